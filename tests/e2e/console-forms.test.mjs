// The agent console against the real server: a form a visitor submits shows
// as label/value pairs (text nodes, never markup), live and after the
// console reloads, and a conversation the offline form opened carries the
// ticket badge in the list. The demo site has the `offline` and `refund`
// forms; `formsSiteArgs` (tests/support/forms-site.mjs) gives a site with a
// pre-chat form, outside its hours.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, openPage } from '../support/browser.mjs';
import { formsSiteArgs } from '../support/forms-site.mjs';
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

const MARKUP = '<img src=x onerror="window.__pwned=1">';

/** Visitor API calls from a page of the server's origin. */
async function visitorCalls(page, calls) {
  await installVisitorApi(page);
  return page.evaluate(async (calls) => {
    const call = window.__visitorApi;
    const hs = await call('POST', '/api/v1/cs/handshake', null, { appKey: 'sk_demo', visitorId: 'v_forms', nickname: 'Gil' });
    const sent = [];
    for (const [clientMsgId, form] of calls) {
      sent.push(await call('POST', '/api/v1/cs/conversations', hs.token, { clientMsgId, form }));
    }
    return sent.map((s) => s.conversation.id);
  }, calls);
}

/** The label/value pairs of the form message `name` in the open conversation. */
function formPairs(page, name) {
  return page.$$eval(`#messages li[data-form="${name}"] dt`, (dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent]));
}

async function signIn(page) {
  await page.fill('#token', AGENT_TOKEN);
  await page.press('#token', 'Enter');
}

async function openConversation(page, who) {
  const item = page.locator('#conversations li', { hasText: who });
  await item.focus();
  await page.keyboard.press('Enter');
}

describe('agent console: forms', () => {
  test('a submitted form shows as label/value pairs, live and after a reload; an offline form makes a ticket', async () => {
    const visitor = await openPage(browser, `${server.url}/healthz`);
    const console_ = await openPage(browser, `${server.url}/agent`);
    const { page } = console_;
    try {
      await signIn(page);
      await page.locator('#empty').waitFor({ state: 'visible' });
      const offline = { name: 'offline', values: { email: 'gil@example.com', message: MARKUP } };
      const [id] = await visitorCalls(visitor.page, [['o-1', offline]]);

      // The list shows the new conversation with the ticket badge.
      const item = page.locator('#conversations li', { hasText: 'Gil' });
      await item.locator('.badge.ticket').waitFor();
      assert.equal(await item.locator('.badge.ticket').textContent(), 'ticket');
      await openConversation(page, 'Gil');
      const offlinePairs = [['Email', 'gil@example.com'], ['Message', MARKUP]];
      await page.locator('#messages li[data-form="offline"] dd').nth(1).waitFor();
      assert.deepEqual(await formPairs(page, 'offline'), offlinePairs);
      assert.equal(await page.locator('#messages li[data-form="offline"] strong').textContent(), 'Leave us a message');

      // Live: a ticket form while the conversation is open in the console.
      const refund = { name: 'refund', values: { order: 'A-17', reason: 'late', receipt: true } };
      assert.deepEqual(await visitorCalls(visitor.page, [['r-1', refund]]), [id]);
      await page.locator('#messages li[data-form="refund"] dd').nth(2).waitFor();
      const refundPairs = [['Order number', 'A-17'], ['Reason', 'late'], ['I still have the receipt', 'yes']];
      assert.deepEqual(await formPairs(page, 'refund'), refundPairs);

      // After a reload: the same, read from the history.
      await page.reload();
      await page.locator('#conversations li', { hasText: 'Gil' }).locator('.badge.ticket').waitFor();
      await openConversation(page, 'Gil');
      await page.locator('#messages li[data-form="refund"] dd').nth(2).waitFor();
      assert.deepEqual(await formPairs(page, 'offline'), offlinePairs);
      assert.deepEqual(await formPairs(page, 'refund'), refundPairs);

      assert.equal(await page.evaluate(() => window.__pwned), undefined, 'values are text, not markup');
      for (const p of [visitor, console_]) {
        assert.deepEqual(p.seen.pageErrors, []);
        assert.deepEqual(await p.violations(), []);
      }
    } finally {
      await Promise.all([visitor.context.close(), console_.context.close()]);
    }
  });

  test('the forms site of tests/support has the pre-chat form and, closed, is offline', async () => {
    const forms = formsSiteArgs({ closed: true });
    const site = await startNatterServer(forms.args, { bot: 'off' });
    try {
      const res = await fetch(`${site.url}/api/v1/cs/config?appKey=sk_demo`, { headers: { origin: 'http://127.0.0.1:1' } });
      assert.equal(res.status, 200);
      const config = await res.json();
      assert.equal(config.availability.state, 'offline');
      assert.deepEqual(config.forms.preChat.fields.map((f) => f.name), ['name', 'email']);
      assert.deepEqual(Object.keys(config.forms.tickets), ['refund']);
      assert.equal(config.forms.offline.fields.length, 2);
    } finally {
      await site.stop();
      forms.remove();
    }
  });
});
