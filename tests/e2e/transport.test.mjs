// The widget against the real companion server: WebSocket and polling,
// dropped sockets, a server restart, offline periods and reloads. In every
// scenario each message must arrive exactly once, in order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser } from '../support/browser.mjs';
import { startStaticServer } from '../support/static-server.mjs';
import { startNatterServer } from '../support/natter-server.mjs';
import { runSchedule } from '../support/faults.mjs';
import {
  agentReply,
  serverMessages,
  shownMessages,
  trackConnection,
  typeAndSend,
  waitForMessages,
  withSite,
} from '../support/chat.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** Opens the chat page with the panel open and connection states tracked. */
async function openChat(pages, context) {
  await trackConnection(context);
  const page = await context.newPage();
  const seen = { errors: [], pageErrors: [] };
  page.on('console', (m) => m.type() === 'error' && m.text().startsWith('[Natter]') && seen.errors.push(m.text()));
  page.on('pageerror', (e) => seen.pageErrors.push(e.message));
  await page.goto(`${pages.url}/chat.html`);
  await page.locator('[part~=launcher]').click();
  return { page, seen };
}

// System lines are worded by the widget, in its language: the same sender there.
const sameAs = (expected) => (list) =>
  list.length === expected.length &&
  list.every((m, i) => m.from === expected[i].from && (m.from === 'system' || m.text === expected[i].text));

/** Visitor and server agree: same messages, same order, none pending. */
async function assertInSync(page, api) {
  const server = await serverMessages(api);
  const shown = await waitForMessages(page, sameAs(server));
  assert.ok(shown.every((m) => m.state === 'sent'), JSON.stringify(shown));
  const texts = server.map((m) => m.text);
  assert.equal(new Set(texts).size, texts.length, `duplicates on the server: ${texts}`);
  return server;
}

describe('live chat over the WebSocket', () => {
  test('a message round-trips, the bot and an agent reply, and the visitor sees it live', () =>
    withSite(browser, [], async (s, context) => {
      const { page, seen } = await openChat(s.pages, context);
      await page.waitForFunction(() => window.__states.some((s) => s.state === 'online'));
      await typeAndSend(page, 'Where is my order?');
      await waitForMessages(page, (l) => l.some((m) => m.from === 'agent' && m.text === 'Echo: Where is my order?'));
      const sentAt = Date.now();
      await agentReply(s.api, 'It ships today.');
      await waitForMessages(page, (l) => l.some((m) => m.text === 'It ships today.'));
      console.log(`# measured: agent reply to display over WebSocket: ${Date.now() - sentAt} ms`);
      await assertInSync(page, s.api);
      assert.deepEqual(seen.pageErrors, []);
      assert.deepEqual(seen.errors, []);
    }));

  test('history is shown again after a reload', () =>
    withSite(browser, [], async (s, context) => {
      const { page } = await openChat(s.pages, context);
      await typeAndSend(page, 'first');
      await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: first'));
      await page.reload();
      await page.locator('[part~=launcher]').click();
      await assertInSync(page, s.api);
      assert.equal((await shownMessages(page)).length, 3, 'first, the bot joining, its echo');
    }));

  test('dropped sockets reconnect and nothing is lost or doubled', () =>
    withSite(browser, [], async (s, context) => {
      const { page } = await openChat(s.pages, context);
      await typeAndSend(page, 'one');
      await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: one'));
      for (const text of ['two', 'three']) {
        const res = await fetch(`${s.api.url}/api/v1/test/drop-sockets`, { method: 'POST' });
        assert.equal(res.status, 200);
        // The agent answers while the socket is down.
        await agentReply(s.api, `while down ${text}`);
        await typeAndSend(page, text);
      }
      await waitForMessages(page, (l) => l.filter((m) => m.from === 'agent').length === 5, { timeout: 30000 });
      await assertInSync(page, s.api);
      await page.waitForFunction(() => window.__states.at(-1)?.state === 'online');
    }));
});

describe('acknowledgements out of order', () => {
  test('a message acknowledged after a later reply leaves no stale pending row', () =>
    withSite(
      browser,
      [],
      async (s, context) => {
        // The visitor's own message frame is lost and the answer to its
        // send (the socket's ack, or the POST's answer) held until the
        // bot's reply is shown: the acknowledgement then moves the message
        // before that reply.
        let release;
        const held = new Promise((resolve) => (release = resolve));
        await context.routeWebSocket(/\/ws$/, (ws) => {
          const server = ws.connectToServer();
          ws.onMessage((m) => server.send(m));
          server.onMessage((m) => {
            if (m.startsWith('{"type":"ack"')) held.then(() => ws.send(m));
            else if (!/"from":"visitor"/.test(m)) ws.send(m);
          });
        });
        await context.route(/\/conversations$/, async (route) => {
          const response = await route.fetch();
          await held;
          await route.fulfill({ response });
        });
        const { page } = await openChat(s.pages, context);
        await typeAndSend(page, 'early');
        await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: early'));
        release();
        await assertInSync(page, s.api);
      },
      { botDelayMs: 50 },
    ));
});

describe('polling fallback', () => {
  test('without WebSocket the widget polls every 8 s and agent replies arrive', () =>
    withSite(browser, ['--no-websocket'], async (s, context) => {
      // When the refused socket closes, and when the first poll goes out.
      const times = {};
      context.on('page', (p) => {
        p.on('websocket', (ws) => ws.on('close', () => (times.wsClosed ??= Date.now())));
        p.on('request', (r) => /\/conversations\/(current|\d+\/messages)/.test(r.url()) && times.wsClosed && (times.poll ??= Date.now()));
      });
      const { page, seen } = await openChat(s.pages, context);
      await page.waitForFunction(() => window.__states.some((s) => s.state === 'polling'));
      // The bot's reply comes soon after the send (a poll follows every send).
      await typeAndSend(page, 'hello from a proxy');
      await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: hello from a proxy'), { timeout: 8000 });
      const sentAt = Date.now();
      await agentReply(s.api, 'polled reply');
      await waitForMessages(page, (l) => l.some((m) => m.text === 'polled reply'), { timeout: 8000 + 3000 });
      console.log(`# measured: agent reply to display while polling: ${Date.now() - sentAt} ms`);
      assert.ok(times.poll, 'a poll followed the refused socket');
      console.log(`# measured: refused WebSocket to first poll: ${times.poll - times.wsClosed} ms`);
      await assertInSync(page, s.api);
      assert.deepEqual(seen.errors, []);
    }));

  test('when the WebSocket becomes possible again the widget leaves polling for it, without user action', () =>
    withSite(browser, [], async (s, context) => {
      // A proxy that refuses WebSockets at first, then lets them through.
      let blocked = true;
      await context.routeWebSocket(/\/ws$/, (ws) => (blocked ? ws.close({ code: 1006 }) : ws.connectToServer()));
      const { page } = await openChat(s.pages, context);
      await page.waitForFunction(() => window.__states.at(-1)?.state === 'polling');
      await typeAndSend(page, 'while polling');
      await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: while polling'));
      blocked = false;
      // The socket is retried with backoff (at most 30 s apart).
      await page.waitForFunction(() => window.__states.at(-1)?.state === 'online', null, { timeout: 40_000 });
      const sentAt = Date.now();
      await agentReply(s.api, 'live again');
      await waitForMessages(page, (l) => l.some((m) => m.text === 'live again'), { timeout: 5000 });
      console.log(`# measured: agent reply to display after leaving polling: ${Date.now() - sentAt} ms`);
      await assertInSync(page, s.api);
    }));
});

describe('outages', () => {
  test('a server restart on the same database while the visitor types loses nothing', () =>
    withRestartableSite(async ({ pages, context, server }) => {
      const { page } = await openChat(pages, context);
      await typeAndSend(page, 'before restart');
      await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: before restart'));
      await server.kill();
      await page.waitForFunction(() => ['offline', 'connecting'].includes(window.__states.at(-1)?.state));
      await typeAndSend(page, 'while down 1');
      await typeAndSend(page, 'while down 2');
      assert.deepEqual(
        (await shownMessages(page)).filter((m) => m.state === 'pending').map((m) => m.text),
        ['while down 1', 'while down 2'],
      );
      await server.restart();
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await waitForMessages(page, (l) => l.filter((m) => m.from === 'agent').length === 3, { timeout: 40000 });
      const stored = await assertInSync(page, server.api);
      assert.deepEqual(
        stored.filter((m) => m.from === 'visitor').map((m) => m.text),
        ['before restart', 'while down 1', 'while down 2'],
      );
    }));

  test('messages written offline are sent once, in order, when the browser is back online', () =>
    withSite(browser, [], async (s, context) => {
      const { page } = await openChat(s.pages, context);
      await typeAndSend(page, 'online first');
      await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: online first'));
      await context.setOffline(true);
      await page.waitForFunction(() => window.__states.at(-1)?.state === 'offline');
      await typeAndSend(page, 'offline a');
      await typeAndSend(page, 'offline b');
      await context.setOffline(false);
      await waitForMessages(page, (l) => l.filter((m) => m.from === 'agent').length === 3, { timeout: 30000 });
      await assertInSync(page, s.api);
    }));

  test('messages still in the outbox when the page reloads are sent after the reload', () =>
    withRestartableSite(async ({ pages, context, server }) => {
      const { page } = await openChat(pages, context);
      await typeAndSend(page, 'sent');
      await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: sent'));
      await server.kill();
      await typeAndSend(page, 'queued 1');
      await typeAndSend(page, 'queued 2');
      const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('natter_outbox:sk_demo')));
      assert.deepEqual(stored.map(([, text]) => text), ['queued 1', 'queued 2']);
      await server.restart();
      await page.reload();
      await page.locator('[part~=launcher]').click();
      await waitForMessages(page, (l) => l.filter((m) => m.from === 'agent').length === 3, { timeout: 30000 });
      await assertInSync(page, server.api);
      assert.equal(await page.evaluate(() => localStorage.getItem('natter_outbox:sk_demo')), null);
    }));
});

/**
 * A companion server on a database file, which the test may kill (SIGKILL,
 * as a crash) and restart on the same port; a host page pointing at it.
 */
async function withRestartableSite(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'natter-restart-'));
  const db = join(dir, 'natter.db');
  const server = { api: await startNatterServer([], { db }) };
  const listen = new URL(server.api.url).host;
  server.kill = () => server.api.stop('SIGKILL');
  server.restart = async () => (server.api = await startNatterServer([], { db, listen }));
  const pages = await startStaticServer({ api: server.api.url });
  const context = await browser.newContext();
  try {
    await fn({ pages, context, server });
  } finally {
    await context.close();
    await pages.close();
    await server.api.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('bad input from the visitor', () => {
  test('over-long and empty messages are refused locally with a reason; nothing reaches the server', () =>
    withSite(browser, [], async (s, context) => {
      const { page, seen } = await openChat(s.pages, context);
      await typeAndSend(page, 'x'.repeat(4001));
      await page.locator('[part~=hint]').waitFor();
      assert.match(await page.locator('[part~=hint]').textContent(), /4000/);
      await typeAndSend(page, '   ');
      assert.deepEqual(await serverMessages(s.api), []);
      // Refusals are shown to the visitor, not logged as errors.
      assert.deepEqual(seen.errors, []);
      assert.deepEqual(seen.pageErrors, []);
    }));
});

describe('beyond one tab', () => {
  test('two tabs of the site share read state: reading in one clears the badge in the other', () =>
    withSite(browser, [], async (s, context) => {
      await trackUnread(context);
      const a = (await openChat(s.pages, context)).page;
      await typeAndSend(a, 'hello from tab A');
      await waitForMessages(a, (l) => l.some((m) => m.text === 'Echo: hello from tab A'));
      await a.locator('[part~=close]').click();
      const b = await context.newPage();
      await b.goto(`${s.pages.url}/chat.html`);
      await b.locator('[part~=launcher]').waitFor();
      // History loaded in tab B is already read (tab A saw it).
      await b.waitForFunction(() => window.__states.some((s) => s.state === 'online'));
      const badge = (page) =>
        page.evaluate(() => {
          const el = document.querySelector('[data-natter-widget]').shadowRoot.querySelector('[part~=badge]');
          return el.hidden ? 0 : Number(el.textContent);
        });
      assert.equal(await badge(b), 0);
      await agentReply(s.api, 'are you there?');
      for (const page of [a, b]) await page.waitForFunction(() => window.__unread.at(-1) === 1);
      assert.deepEqual([await badge(a), await badge(b)], [1, 1]);
      await a.locator('[part~=launcher]').click();
      await b.waitForFunction(() => window.__unread.at(-1) === 0);
      assert.equal(await badge(b), 0);
    }));
});

/** Records every `unread` count from the start. */
async function trackUnread(context) {
  await context.addInitScript(() => {
    window.__unread = [];
    window.Natter =
      window.Natter ||
      function () {
        (window.Natter.q = window.Natter.q || []).push(arguments);
      };
    window.Natter('on', 'unread', (e) => window.__unread.push(e.count));
  });
}

describe('randomized faults', () => {
  // Seeded, so a failure can be replayed: NATTER_FAULT_SEED=<seed>
  // NATTER_FAULT_STEPS=<steps> npm test. NATTER_FAULT_SEEDS=<n> runs n seeds
  // from there; `npm run chaos` runs hundreds, concurrently.
  const env = process.env;
  const steps = Number(env.NATTER_FAULT_STEPS) || 14;
  const first = Number(env.NATTER_FAULT_SEED) || Date.now() % 1_000_000;
  const schedules = Array.from({ length: Number(env.NATTER_FAULT_SEEDS) || 1 }, (_, i) => ({ seed: first + i, steps }));
  if (!env.NATTER_FAULT_SEED) {
    // Long schedules that once left their last message pending for 45 s
    // (the most messages of their batch: the server's message rate limit
    // paced them by Retry-After; it is lifted for the schedules now).
    schedules.push({ seed: 2013, steps: 60 }, { seed: 2031, steps: 60 });
  }
  for (const schedule of schedules) {
    test(`sends, replies, dropped sockets, offline periods and reloads leave both sides identical (seed ${schedule.seed}, ${schedule.steps} steps)`, async () => {
      const { maxPendingMs, slowest, attempts } = await runSchedule(browser, schedule);
      const longest = `"${slowest}" pending for ${maxPendingMs} ms, ${attempts}`;
      console.log(`# measured: seed ${schedule.seed}: ${longest}`);
      // The rule is a second on loopback (`npm run chaos` checks it); this
      // bound leaves room for a loaded machine, not for a wait on a timer.
      assert.ok(maxPendingMs < 10_000, `seed ${schedule.seed}: ${longest}`);
    });
  }
});
