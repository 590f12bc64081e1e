// The agent console against the real server: a conversation's rating (given
// through the visitor API) and the site's rating summary show, Join and End
// work from the keyboard, and the visitor's socket receives each step.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, openPage } from '../support/browser.mjs';
import { installVisitorApi } from '../support/visitor-api.mjs';
import { AGENT_TOKEN, startNatterServer } from '../support/natter-server.mjs';

let browser;
let server;
before(async () => {
  browser = await launchBrowser();
  server = await startNatterServer([], { bot: 'off' });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * A visitor on a page of the server's own origin (allowed by the demo
 * site): handshakes as `nickname`, sends `text`, and records every frame of
 * its socket in `window.__frames`. Resolves with the conversation id.
 */
async function visitor(page, nickname, text) {
  await installVisitorApi(page);
  return page.evaluate(
    async ({ nickname, text }) => {
      const call = window.__visitorApi;
      const hs = await call('POST', '/api/v1/cs/handshake', null, { appKey: 'sk_demo', visitorId: `v_${nickname}`, nickname });
      const sent = await call('POST', '/api/v1/cs/conversations', hs.token, { clientMsgId: `${nickname}-1`, text });
      window.__frames = [];
      window.__call = (method, path, body) => call(method, path, hs.token, body);
      await new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://${location.host}/ws`, ['natter.v1', `jwt.${hs.token}`]);
        ws.addEventListener('message', (e) => {
          const frame = JSON.parse(e.data);
          window.__frames.push(frame);
          if (frame.type === 'hello') resolve();
        });
        ws.addEventListener('error', reject);
        window.__ws = ws;
      });
      return sent.conversation.id;
    },
    { nickname, text },
  );
}

/** Waits for a frame of the visitor's socket matching `want` (a subset). */
const frame = (page, want) =>
  page.waitForFunction(
    (want) => {
      const matches = (value, w) =>
        typeof w === 'object' && w !== null ? Object.entries(w).every(([k, v]) => value && matches(value[k], v)) : value === w;
      return window.__frames.find((f) => matches(f, want));
    },
    want,
    { timeout: 10_000 },
  );

describe('agent console: life cycle and ratings', () => {
  test('shows ratings and the summary, and Join and End reach the visitor', async () => {
    const rater = await openPage(browser, `${server.url}/healthz`);
    const live = await openPage(browser, `${server.url}/healthz`);
    const console_ = await openPage(browser, `${server.url}/agent`);
    try {
      // A rated conversation: ended by its visitor, rated with markup that must stay text.
      const rated = await visitor(rater.page, 'Rita', 'Thanks for the help');
      await rater.page.evaluate((id) => window.__call('POST', `/api/v1/cs/conversations/${id}/leave`), rated);
      const comment = '<img src=x onerror="window.__pwned=1">Great';
      const rating = await rater.page.evaluate(
        ({ id, comment }) => window.__call('POST', `/api/v1/cs/conversations/${id}/rating`, { scale: 'csat', score: 4, comment }),
        { id: rated, comment },
      );
      assert.equal(rating.rating.score, 4);
      const open = await visitor(live.page, 'Lee', 'Is anyone there?');

      const { page } = console_;
      await page.fill('#token', AGENT_TOKEN);
      await page.press('#token', 'Enter');
      await page.waitForFunction(() => document.getElementById('ratings').textContent === 'Ratings: CSAT average 4.0/5 (1)');

      // The rated conversation shows its rating in the list and when opened.
      await page.selectOption('#filter', 'all');
      const ritaItem = page.locator('#conversations li', { hasText: 'Rita' });
      await ritaItem.locator('.rated', { hasText: 'CSAT 4/5' }).waitFor();
      await ritaItem.focus();
      await page.keyboard.press('Enter');
      await page.waitForFunction((c) => document.getElementById('chat-rating').textContent === `Rating: CSAT 4/5 · “${c}”`, comment);
      assert.equal(await page.locator('#chat-status').textContent(), 'Ended by the visitor');
      assert.equal(await page.locator('#join').isHidden(), true);
      assert.equal(await page.locator('#end').isHidden(), true);
      assert.equal(await page.locator('#reply').isDisabled(), true);
      await page.locator('#messages li.system[data-event="endedByVisitor"]', { hasText: 'The visitor ended the conversation.' }).waitFor();
      assert.equal(await page.evaluate(() => window.__pwned), undefined, 'the comment is text, not markup');

      // Join, from the keyboard, on the open conversation.
      const leeItem = page.locator('#conversations li', { hasText: 'Lee' });
      await leeItem.focus();
      await page.keyboard.press('Enter');
      await page.locator('#join').waitFor();
      await page.locator('#join').focus();
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.getElementById('chat-status').textContent === 'Joined by Demo agent · open');
      await page.locator('#messages li[data-event="joined"]', { hasText: 'Demo agent joined the conversation.' }).waitFor();
      assert.equal(await page.locator('#join').isHidden(), true);
      await frame(live.page, { type: 'conversation', conversation: { id: open, agentName: 'Demo agent' } });
      await frame(live.page, { type: 'message', message: { event: 'joined', agentName: 'Demo agent' } });

      // End, from the keyboard.
      await page.locator('#end').focus();
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.getElementById('chat-status').textContent === 'Joined by Demo agent · Ended by an agent');
      await page.locator('#messages li[data-event="endedByAgent"]', { hasText: 'Demo agent ended the conversation.' }).waitFor();
      assert.equal(await page.locator('#end').isHidden(), true);
      assert.equal(await page.locator('#reply').isDisabled(), true);
      await frame(live.page, { type: 'conversation', conversation: { id: open, status: 'closed', endedBy: 'agent' } });
      await frame(live.page, { type: 'message', message: { event: 'endedByAgent', agentName: 'Demo agent' } });

      // The visitor rates it: the console's summary and conversation follow.
      await live.page.evaluate((id) => window.__call('POST', `/api/v1/cs/conversations/${id}/rating`, { scale: 'csat', score: 2 }), open);
      await page.waitForFunction(() => document.getElementById('chat-rating').textContent === 'Rating: CSAT 2/5');
      await page.waitForFunction(() => document.getElementById('ratings').textContent === 'Ratings: CSAT average 3.0/5 (2)');
      for (const p of [rater, live, console_]) {
        assert.deepEqual(p.seen.pageErrors, []);
        assert.deepEqual(await p.violations(), []);
      }
    } finally {
      await Promise.all([rater.context.close(), live.context.close(), console_.context.close()]);
    }
  });

  test('a conversation focused in the list keeps focus when the list refreshes', async () => {
    const first = await openPage(browser, `${server.url}/healthz`);
    const second = await openPage(browser, `${server.url}/healthz`);
    const console_ = await openPage(browser, `${server.url}/agent`);
    try {
      await visitor(first.page, 'Kim', 'First question');
      const { page } = console_;
      await page.fill('#token', AGENT_TOKEN);
      await page.press('#token', 'Enter');
      const kimItem = page.locator('#conversations li', { hasText: 'Kim' });
      await kimItem.focus();
      // Another visitor writes: the list is rebuilt with a new item.
      await visitor(second.page, 'Max', 'Second question');
      await page.locator('#conversations li', { hasText: 'Max' }).waitFor();
      const focused = () => document.activeElement?.matches('#conversations li') && document.activeElement.textContent;
      assert.match(await page.evaluate(focused) || '', /^Kim/);
      // Enter still opens the conversation the keyboard user was on.
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.getElementById('chat-title').textContent.startsWith('Kim'));
    } finally {
      await Promise.all([first.context.close(), second.context.close(), console_.context.close()]);
    }
  });
});
