// What the widget promises a host page, checked in Chromium against the real
// server: the header shows the site's name, the agent stops seeing the
// visitor typing once the composer is cleared, history loaded at start is
// not announced as new messages, the handshake names the IANA time zone, a
// page API that throws inside the widget does not stop it, and a page that
// enforces Trusted Types runs it without a violation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, natterMessages } from '../support/browser.mjs';
import { agentApi } from '../support/natter-server.mjs';
import { startSite, typeAndSend, waitForMessages } from '../support/chat.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/**
 * Runs `fn(site, context)` with a fresh site and a browser context made
 * with `contextOptions`, then stops both.
 */
async function withChat(fn, contextOptions = {}) {
  const site = await startSite();
  const context = await browser.newContext(contextOptions);
  try {
    await fn(site, context);
  } finally {
    await context.close();
    await site.close();
  }
}

/**
 * Opens `path` of the site's pages in `context` and clicks the launcher,
 * recording console lines, uncaught errors, CSP violations, every
 * `natter:message` event and every frame the widget's sockets send.
 * `frameSent(match)` resolves with the next sent frame (parsed) that
 * `match`es.
 */
async function openChat(context, pages, path = '/chat.html') {
  const page = await context.newPage();
  const seen = { console: [], pageErrors: [] };
  page.on('console', (msg) => seen.console.push({ type: msg.type(), text: msg.text() }));
  page.on('pageerror', (err) => seen.pageErrors.push(err.message));
  const waiting = new Set();
  page.on('websocket', (ws) =>
    ws.on('framesent', ({ payload }) => {
      const frame = JSON.parse(String(payload));
      for (const waiter of waiting) waiter(frame);
    }),
  );
  const frameSent = (match) =>
    new Promise((resolve) => {
      const waiter = (frame) => {
        if (!match(frame)) return;
        waiting.delete(waiter);
        resolve(frame);
      };
      waiting.add(waiter);
    });
  await page.addInitScript(() => {
    window.__messages = [];
    window.__violations = [];
    window.addEventListener('natter:message', (e) => window.__messages.push(e.detail));
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__violations.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample }),
    );
  });
  await page.goto(pages.url + path);
  await page.locator('[part~=launcher]').click();
  return { page, seen, frameSent };
}

/** Nothing escaped to the page: no uncaught error, no CSP or Trusted Types violation, no `[Natter]` error. */
async function assertClean(page, seen) {
  assert.deepEqual(seen.pageErrors, [], 'uncaught errors in the page');
  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'CSP violations');
  assert.deepEqual(natterMessages(seen, 'error'), [], '[Natter] console errors');
}

/** Sends `text` through the composer and waits for the echo bot's answer. */
async function roundTrip(page, text) {
  await typeAndSend(page, text);
  await waitForMessages(page, (list) => list.some((m) => m.text === `Echo: ${text}`));
}

/** Rejects after `ms` with `what` in the message, for a promise that must settle. */
const within = (promise, ms, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms).unref())]);

describe('the widget keeps its documented contract', { concurrency: 3 }, () => {
  test("the header shows the site's name from the remote config", () =>
    withChat(async (s, context) => {
      const { page, seen } = await openChat(context, s.pages);
      await page.waitForFunction(
        () => document.querySelector('[data-natter-widget]').shadowRoot.querySelector('[part~=title]').textContent === 'Natter demo',
        null,
        { timeout: 10_000 },
      );
      await assertClean(page, seen);
    }));

  test('clearing the composer tells the agent the visitor stopped typing', () =>
    withChat(async (s, context) => {
      const { page, seen, frameSent } = await openChat(context, s.pages);
      // Typing frames need a conversation: the first message opens it.
      await roundTrip(page, 'hello');
      const started = frameSent((f) => f.type === 'typing' && f.active === true);
      const stopped = frameSent((f) => f.type === 'typing' && f.active === false);
      const input = page.locator('[part~=input]');
      await input.fill('a question I will not ask');
      await within(started, 10_000, 'typing started');
      await input.fill('');
      const frame = await within(stopped, 10_000, 'typing stopped');
      assert.equal(typeof frame.conversationId, 'number');
      await assertClean(page, seen);
    }));

  test('history loaded on a page load is shown but not emitted as new messages; new ones are', () =>
    withChat(async (s, context) => {
      const { page, seen } = await openChat(context, s.pages);
      await roundTrip(page, 'before the reload');
      await page.reload();
      await page.locator('[part~=launcher]').click();
      await waitForMessages(page, (list) => list.some((m) => m.text === 'Echo: before the reload'));
      await roundTrip(page, 'after the reload');
      await page.waitForFunction(() => window.__messages.some((m) => m.text === 'Echo: after the reload'));
      const emitted = await page.evaluate(() => window.__messages.map((m) => [m.from, m.text]));
      assert.deepEqual(emitted, [
        ['visitor', 'after the reload'],
        ['agent', 'Echo: after the reload'],
      ]);
      await assertClean(page, seen);
    }));

  test('the handshake sends the IANA time zone name, and the server keeps it', () =>
    withChat(
      async (s, context) => {
        const handshake = new Promise((resolve) =>
          context.on('request', (r) => r.url().endsWith('/api/v1/cs/handshake') && resolve(r)),
        );
        const { page, seen } = await openChat(context, s.pages);
        const request = await handshake;
        assert.equal(JSON.parse(request.postData()).timezone, 'Europe/Paris');
        assert.equal((await request.response()).status(), 200);
        await roundTrip(page, 'what time is it');
        const { conversations } = await agentApi(s.api, '/conversations?status=all');
        assert.equal(conversations[0].visitor.timezone, 'Europe/Paris');
        await assertClean(page, seen);
      },
      { timezoneId: 'Europe/Paris' },
    ));

  test('a page API that throws inside the widget (performance.mark, once) does not stop it', () =>
    withChat(async (s, context) => {
      await context.addInitScript(() => {
        const mark = performance.mark;
        let thrown = false;
        performance.mark = function (...args) {
          if (thrown) return mark.apply(this, args);
          thrown = window.__markThrew = true;
          throw new Error('the host page broke performance.mark');
        };
      });
      const { page, seen } = await openChat(context, s.pages);
      await roundTrip(page, 'still working');
      // Later calls reach the runtime: none is refused as re-entrant.
      await page.evaluate(() => window.Natter.close());
      await page.evaluate(() => window.Natter.open());
      await roundTrip(page, 'and again');
      assert.equal(await page.evaluate(() => window.__markThrew), true, 'the widget met the throwing mark');
      await assertClean(page, seen);
    }));

  test("a page enforcing Trusted Types (require-trusted-types-for 'script', policy natter) has zero violations", () =>
    withChat(async (s, context) => {
      const { page, seen } = await openChat(context, s.pages, '/trusted-types.html');
      assert.equal(
        await page.evaluate(() => document.querySelector('[data-natter-widget]').shadowRoot.querySelector('[part~=launcher] circle') !== null),
        true,
        'the configured SVG icon is shown',
      );
      await roundTrip(page, 'typed under Trusted Types');
      await assertClean(page, seen);
    }));

  test('a page whose Trusted Types refuse the natter policy gets one [Natter] error naming it, and no widget', () =>
    withChat(async (s, context) => {
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (err) => errors.push(err.message));
      const reported = new Promise((resolve) =>
        page.on('console', (msg) => msg.text().startsWith('[Natter]') && resolve(msg)),
      );
      await page.goto(`${s.pages.url}/trusted-types-refused.html`);
      const msg = await within(reported, 10_000, 'the [Natter] error');
      assert.equal(msg.type(), 'error');
      assert.match(msg.text(), /could not render the widget: .*natter/);
      assert.equal(await page.evaluate(() => document.querySelectorAll('[data-natter-widget]').length), 0);
      assert.deepEqual(errors, []);
    }));
});
