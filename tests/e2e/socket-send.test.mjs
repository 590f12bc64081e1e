// Sending over the open WebSocket against the real server: a message goes
// as a `message` frame once the socket said hello (no POST), its `ack`
// shows it sent; a socket lost between the send and the ack sends it again
// by POST with the same client id, stored once; without a socket the POST
// carries it; a rate-limited frame waits for Retry-After like a 429.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/browser.mjs';
import { serverMessages, trackConnection, typeAndSend, waitForMessages, withSite } from '../support/chat.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/**
 * Opens the chat with the panel open, recording the page's message POSTs
 * and, in the page, every socket frame sent and received (a listener added
 * before the widget's: a frame recorded has reached the widget once the
 * next evaluation runs).
 */
async function openChat(pages, context) {
  await trackConnection(context);
  await context.addInitScript(() => {
    window.__frames = { sent: [], received: [] };
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (e) => window.__frames.received.push(JSON.parse(e.data)));
      }
      send(data) {
        window.__frames.sent.push(JSON.parse(data));
        super.send(data);
      }
    };
  });
  const page = await context.newPage();
  const posts = [];
  page.on('request', (r) => r.method() === 'POST' && /\/api\/v1\/cs\/conversations$/.test(r.url()) && posts.push(JSON.parse(r.postData())));
  await page.goto(`${pages.url}/chat.html`);
  await page.locator('[part~=launcher]').click();
  return { page, posts };
}

const frames = (page) => page.evaluate(() => window.__frames);

/** Waits until `n` sockets have said hello. */
const hellos = (page, n) =>
  page.waitForFunction((n) => window.__frames.received.filter((f) => f.type === 'hello').length >= n, n);

const sentRow = (text) => (list) => list.some((m) => m.text === text && m.state === 'sent');

describe('messages over the open socket', () => {
  test('with the socket open a message goes as a frame, not a POST, and its ack shows it sent', () =>
    withSite(browser, [], async (s, context) => {
      const { page, posts } = await openChat(s.pages, context);
      await hellos(page, 1);
      await typeAndSend(page, 'over the socket');
      await waitForMessages(page, sentRow('over the socket'));
      const { sent, received } = await frames(page);
      const message = sent.find((f) => f.type === 'message');
      assert.equal(message?.text, 'over the socket', JSON.stringify(sent));
      const ack = received.find((f) => f.type === 'ack');
      assert.equal(ack?.clientMsgId, message.clientMsgId);
      assert.equal(ack.message.text, 'over the socket');
      assert.deepEqual(posts, []);
      await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: over the socket'));
      assert.deepEqual(
        (await serverMessages(s.api)).map((m) => m.text),
        ['over the socket', 'Echo bot joined the conversation.', 'Echo: over the socket'],
      );
    }));

  test('a socket lost between the send and the ack: the message goes again by POST, stored once', () =>
    withSite(browser, [], async (s, context) => {
      // The first ack never arrives: the socket closes instead (the server
      // has stored the message).
      let cut = true;
      await context.routeWebSocket(/\/ws$/, (ws) => {
        const server = ws.connectToServer();
        ws.onMessage((m) => server.send(m));
        server.onMessage((m) => {
          if (cut && m.startsWith('{"type":"ack"')) {
            cut = false;
            server.close();
            ws.close({ code: 1006 });
          } else {
            ws.send(m);
          }
        });
      });
      const { page, posts } = await openChat(s.pages, context);
      await hellos(page, 1);
      await typeAndSend(page, 'cut before its ack');
      await waitForMessages(page, sentRow('cut before its ack'));
      const sent = (await frames(page)).sent.filter((f) => f.type === 'message');
      assert.deepEqual(sent.map((f) => f.text), ['cut before its ack']);
      assert.deepEqual(posts.map((p) => [p.clientMsgId, p.text]), [[sent[0].clientMsgId, 'cut before its ack']]);
      // The next socket carries the next message.
      await hellos(page, 2);
      await typeAndSend(page, 'on the next socket');
      await waitForMessages(page, sentRow('on the next socket'));
      assert.equal(posts.length, 1);
      await waitForMessages(page, (l) => l.filter((m) => m.from === 'agent').length === 2);
      const server = await serverMessages(s.api);
      const visitor = server.filter((m) => m.from === 'visitor').map((m) => m.text);
      assert.deepEqual(visitor, ['cut before its ack', 'on the next socket']);
      const shown = await waitForMessages(page, (l) => l.length === server.length);
      // System lines are worded by the widget, in its language.
      const seen = (m) => [m.from, m.from === 'system' || m.text];
      assert.deepEqual(
        shown.map((m) => [...seen(m), m.state]),
        server.map((m) => [...seen(m), 'sent']),
      );
    }));

  test('without a socket the message goes by POST', () =>
    withSite(browser, [], async (s, context) => {
      await context.routeWebSocket(/\/ws$/, (ws) => ws.close({ code: 1006 }));
      const { page, posts } = await openChat(s.pages, context);
      await page.waitForFunction(() => window.__states.at(-1)?.state === 'polling');
      await typeAndSend(page, 'by HTTP');
      await waitForMessages(page, sentRow('by HTTP'));
      assert.deepEqual(posts.map((p) => p.text), ['by HTTP']);
      assert.deepEqual((await frames(page)).sent, []);
    }));

  test('a message refused for its rate over the socket waits for Retry-After, then goes', () =>
    withSite(
      browser,
      [],
      async (s, context) => {
        const { page, posts } = await openChat(s.pages, context);
        await hellos(page, 1);
        // 20 messages a minute per visitor (a token back every 3 s): 23
        // written at once are refused from the 21st on unless the sends
        // take over 9 s.
        const texts = Array.from({ length: 23 }, (_, i) => `burst ${i + 1}`);
        await page.evaluate((texts) => texts.forEach((t) => window.Natter.sendMessage(t)), texts);
        await waitForMessages(page, sentRow('burst 23'), { timeout: 30_000 });
        const refused = (await frames(page)).received.filter((f) => f.type === 'error');
        assert.ok(refused.length >= 1, 'the server refused one for its rate');
        for (const f of refused) {
          assert.equal(f.status, 429);
          assert.equal(f.error.code, 'rate_limited');
          assert.ok(f.error.retryAfterSec >= 1);
        }
        assert.deepEqual(posts, []);
        const stored = (await serverMessages(s.api)).filter((m) => m.from === 'visitor').map((m) => m.text);
        assert.deepEqual(stored, texts);
      },
      { bot: 'off' },
    ));
});
