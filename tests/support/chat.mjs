// Reading and driving the chat panel in end-to-end tests against the real
// server, plus the server-side view through the agent API.
import { agentApi, startNatterServer } from './natter-server.mjs';
import { startStaticServer } from './static-server.mjs';

/** Messages shown in the panel, in order: `{from, text, state}`. */
export const shownMessages = (page) =>
  page.evaluate(() => {
    const shadow = document.querySelector('[data-natter-widget]')?.shadowRoot;
    return [...(shadow?.querySelectorAll('.msg') ?? [])].map((row) => ({
      from: ['visitor', 'agent', 'system'].find((f) => row.classList.contains(f)),
      text: row.querySelector('.bubble')?.textContent ?? '',
      state: row.classList.contains('pending') ? 'pending' : row.classList.contains('failed') ? 'failed' : 'sent',
    }));
  });

/** Waits until the panel shows messages for which `check(list)` is true. */
export async function waitForMessages(page, check, { timeout = 15000 } = {}) {
  const started = Date.now();
  for (;;) {
    const list = await shownMessages(page);
    if (check(list)) return list;
    if (Date.now() - started > timeout) {
      throw new Error(`messages never matched; last seen: ${JSON.stringify(list)}`);
    }
    await page.waitForTimeout(50);
  }
}

/** Types in the composer and presses Enter. */
export async function typeAndSend(page, text) {
  const input = page.locator('[part~=input]');
  await input.fill(text);
  await input.press('Enter');
}

/**
 * Records every `connection` event from the start: registered through the
 * standard queue snippet before the widget loads (the event is not sticky).
 */
export async function trackConnection(context) {
  await context.addInitScript(() => {
    window.__states = [];
    window.Natter =
      window.Natter ||
      function () {
        (window.Natter.q = window.Natter.q || []).push(arguments);
      };
    window.Natter('on', 'connection', (e) => window.__states.push({ state: e.state, at: performance.now() }));
  });
}

/**
 * Records `payload[field]` of every `event` the widget emits into
 * `window[name]`, from the start: registered through the standard queue
 * snippet before the widget loads. `target` is a page or a context.
 */
export async function trackEvent(target, event, field, name) {
  await target.addInitScript(
    ([event, field, name]) => {
      window[name] = [];
      window.Natter =
        window.Natter ||
        function () {
          (window.Natter.q = window.Natter.q || []).push(arguments);
        };
      window.Natter('on', event, (e) => window[name].push(e[field]));
    },
    [event, field, name],
  );
}

/** The server's messages of the only (or newest) conversation, oldest first. */
export async function serverMessages(server) {
  const { conversations } = await agentApi(server, '/conversations?status=all');
  if (!conversations.length) return [];
  const id = conversations[0].conversation.id;
  const page = await agentApi(server, `/conversations/${id}/messages?limit=200`);
  return page.messages.map((m) => ({ id: m.id, from: m.from, text: m.text }));
}

/** The newest conversation's id (the visitor must have written first). */
export async function conversationId(server) {
  const { conversations } = await agentApi(server, '/conversations?status=all');
  if (!conversations.length) throw new Error('no conversation yet');
  return conversations[0].conversation.id;
}

/** An agent's reply in the newest conversation. */
export async function agentReply(server, text) {
  const id = await conversationId(server);
  return agentApi(server, `/conversations/${id}/messages`, { text });
}

/**
 * A companion server (`args`, `options` as for startNatterServer) and a
 * static host page server pointing at it: the page and the API on different
 * origins, as on a site using a hosted backend.
 */
export async function startSite(args = [], options = {}) {
  const api = await startNatterServer(args, options);
  const pages = await startStaticServer({ api: api.url });
  return {
    api,
    pages,
    async close() {
      await pages.close();
      await api.stop();
    },
  };
}

/** Runs `fn(site, context)` with a fresh site and browser context, then stops both. */
export async function withSite(browser, args, fn, options = {}) {
  const site = await startSite(args, options);
  const context = await browser.newContext();
  try {
    return await fn(site, context);
  } finally {
    await context.close();
    await site.close();
  }
}
