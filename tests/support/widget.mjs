// Shared helpers for the widget's end-to-end tests: one browser and static
// server per test file, a page that records every `natter:*` window event
// from its first script on, embedding the loader with chosen `data-*`
// attributes and query string, and reading the widget through its open
// shadow root.
import { after, before } from 'node:test';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { launchBrowser, natterMessages, openPage } from './browser.mjs';
import { startStaticServer } from './static-server.mjs';

export { natterMessages };

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Every event the widget emits, as documented. */
export const EVENTS = ['ready', 'open', 'close', 'message', 'error', 'identify', 'shutdown', 'unread', 'connection'];

/** The mock agent answers after 1.4 s: conditions wait up to this long for it. */
export const REPLY_TIMEOUT = 5000;

/** Starts Chromium and the fixture server for the test file that calls it. */
export function useBrowser() {
  const env = {};
  before(async () => {
    env.server = await startStaticServer();
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}

// Runs in the page before any of its scripts: records `natter:*` events on
// `window`, and offers `__nt.fn(name)`, a function that records its calls,
// for handlers given through the API.
function recorder(names) {
  const log = { dom: [], calls: [] };
  window.__natter = log;
  for (const name of names) {
    window.addEventListener(`natter:${name}`, (event) => log.dom.push({ type: name, detail: event.detail }));
  }
  const fns = {};
  window.__nt = {
    fn: (name) => (fns[name] ??= (payload) => log.calls.push({ name, payload })),
    root: () => document.querySelector('[data-natter-widget]')?.shadowRoot ?? null,
  };
}

// The documented snippet, then the given calls, before the loader runs.
// A string argument "fn:<name>" stands for `__nt.fn(name)`.
function snippet(calls) {
  window.Natter =
    window.Natter ||
    function () {
      (window.Natter.q = window.Natter.q || []).push(arguments);
    };
  for (const [command, ...args] of calls) {
    window.Natter(command, ...args.map((a) => (typeof a === 'string' && a.startsWith('fn:') ? window.__nt.fn(a.slice(3)) : a)));
  }
}

/**
 * Opens a fixture page (default `host.html`, strict CSP) in a new context.
 * `queue`: calls the page makes through the snippet before the loader runs.
 */
export async function openHost(env, { fixture = 'host.html', contextOptions = {}, queue = null } = {}) {
  const opened = await openPage(env.browser, 'about:blank', { contextOptions });
  const { context, page } = opened;
  // The shared static server sends .css without a text/css type, which
  // browsers refuse for stylesheets: fixture CSS is served here instead.
  await context.route(/\.css(\?|$)/, (route) =>
    route.fulfill({ path: join(FIXTURES, new URL(route.request().url()).pathname), contentType: 'text/css' }),
  );
  await page.addInitScript(recorder, EVENTS);
  if (queue) await page.addInitScript(snippet, queue);
  await page.goto(`${env.server.url}/${fixture}`);
  return { ...opened, url: env.server.url };
}

/**
 * Adds the loader to the page as a marketer's tag would: `<script async
 * src="/widget.js?query">` with the given attributes (written as in HTML:
 * `{'data-app-key': 'sk_test'}`). Resolves once the loader has run, so
 * `window.Natter` exists (the wasm may still be loading).
 */
export async function embed(page, { query = '', attributes = {} } = {}) {
  await page.evaluate(
    ({ query, attributes }) => {
      const script = document.createElement('script');
      script.async = true;
      for (const [name, value] of Object.entries(attributes)) script.setAttribute(name, value);
      script.src = `/widget.js${query ? `?${query}` : ''}`;
      const loaded = new Promise((resolve, reject) => {
        script.onload = resolve;
        script.onerror = () => reject(new Error(`could not load ${script.src}`));
      });
      document.head.append(script);
      return loaded.then(() => undefined);
    },
    { query, attributes },
  );
}

/** The tag attributes of a mock-mode widget with a test key, plus `extra`. */
export const mockTag = (extra = {}) => ({ 'data-app-key': 'sk_test', 'data-mock': 'true', ...extra });

/** Embeds the loader with `data-defer-init` and runs `init(config)` (mock mode by default). */
export async function initWidget(page, config = {}) {
  await embed(page, { attributes: { 'data-defer-init': '' } });
  await page.evaluate((config) => window.Natter.init(config), { appKey: 'sk_test', mock: true, ...config });
}

/** Waits until `natter:<name>` has been seen on `window` at least `count` times. */
export async function waitForEvent(page, name, count = 1, timeout = REPLY_TIMEOUT) {
  await page.waitForFunction(
    ([name, count]) => window.__natter.dom.filter((e) => e.type === name).length >= count,
    [name, count],
    { timeout },
  );
}

/** `natter:*` events seen so far, optionally only one kind, as `{type, detail}`. */
export const domEvents = (page, name) =>
  page.evaluate((name) => window.__natter.dom.filter((e) => !name || e.type === name), name);

/** Calls of `__nt.fn(...)` handlers so far, optionally of one handler. */
export const handlerCalls = (page, name) =>
  page.evaluate((name) => window.__natter.calls.filter((c) => !name || c.name === name), name);

/** Embeds a mock widget through the tag and waits for `ready`. */
export async function mockWidget(page, extraAttributes = {}) {
  await embed(page, { attributes: mockTag(extraAttributes) });
  await waitForEvent(page, 'ready');
}

/**
 * Runs `fn(shadowRoot, arg)` in the page (`fn` must not close over test
 * variables). Evaluated through DevTools, so the page's CSP does not apply.
 */
export const inShadow = (page, fn, arg) => page.evaluate(`(${fn})(window.__nt.root(), ${JSON.stringify(arg ?? null)})`);

/** Visitor/agent message rows: `{from, text, meta}` in order. */
export const messageRows = (page) =>
  inShadow(page, (root) =>
    [...root.querySelectorAll('[part~=message]')].map((row) => ({
      from: row.getAttribute('part').split(' ')[1],
      text: row.querySelector('.bubble').textContent,
      meta: row.querySelector('.meta')?.textContent ?? null,
    })),
  );

/** Waits until the message list shows `count` rows. */
export const waitForRows = (page, count, timeout = REPLY_TIMEOUT) =>
  page.waitForFunction((count) => (window.__nt.root()?.querySelectorAll('[part~=message]').length ?? 0) >= count, count, {
    timeout,
  });

/** Sends through the API and waits for the mock agent's echo row. */
export async function sendAndWaitForReply(page, text) {
  const before = (await messageRows(page)).length;
  await page.evaluate((text) => window.Natter.sendMessage(text), text);
  await waitForRows(page, before + 2);
}

/** Nothing escaped to the host page: no uncaught errors, no CSP violations, no `[Natter]` errors. */
export async function assertClean({ seen, violations }, { natterErrors = [] } = {}) {
  assert.deepEqual(seen.pageErrors, [], 'uncaught errors in the page');
  assert.deepEqual(await violations(), [], 'CSP violations');
  // Expected errors are strings or patterns, in order.
  const errors = natterMessages(seen, 'error');
  assert.equal(errors.length, natterErrors.length, `[Natter] console errors: ${JSON.stringify(errors)}`);
  natterErrors.forEach((expected, i) =>
    expected instanceof RegExp ? assert.match(errors[i], expected) : assert.equal(errors[i], expected),
  );
}

/**
 * Opens a host page (see `openHost`), runs `body(page, opened)`, then checks
 * that nothing escaped to the page (`assertClean`) and closes the context.
 * `natterErrors`: the `[Natter]` console errors the test expects;
 * `violations`: a replacement for the CSP check when a test checks itself.
 */
export async function withHost(env, body, { natterErrors, violations, ...options } = {}) {
  const opened = await openHost(env, options);
  try {
    await body(opened.page, opened);
    await assertClean(violations ? { ...opened, violations } : opened, { natterErrors });
  } finally {
    await opened.context.close();
  }
}

/** Page-wide XSS check: no canary flag set and no element the payloads would have created. */
export async function assertNothingInjected(page) {
  const found = await page.evaluate(() => {
    const roots = [document, window.__nt.root()].filter(Boolean);
    const hits = [];
    for (const root of roots) {
      for (const el of root.querySelectorAll('img[src="x"], script:not([src]), iframe, foreignObject, [onerror], [onload], [onclick], [onmouseover], [onfocus]')) {
        hits.push(el.outerHTML.slice(0, 80));
      }
      for (const a of root.querySelectorAll('a[href]')) {
        if (!/^https?:/i.test(a.getAttribute('href'))) hits.push(a.outerHTML.slice(0, 80));
      }
    }
    return { pwned: window.__pwned ?? null, hits };
  });
  assert.deepEqual(found, { pwned: null, hits: [] });
}

/**
 * Counts the listeners on `window`, `document` and `visualViewport` through
 * the DevTools protocol, and the live JS heap after a forced GC.
 */
export async function pageFootprint(page, cdp) {
  const counts = {};
  for (const expression of ['window', 'document', 'window.visualViewport']) {
    const { result } = await cdp.send('Runtime.evaluate', { expression });
    const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId });
    counts[expression] = listeners.map((l) => l.type).sort().join(',');
    await cdp.send('Runtime.releaseObject', { objectId: result.objectId });
  }
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const nodes = await page.evaluate(() => document.querySelectorAll('*').length);
  const hosts = await page.evaluate(() => document.querySelectorAll('[data-natter-widget], natter-widget').length);
  return { listeners: counts, heap: usedSize, nodes, hosts };
}
