// A long conversation from the real server: the list keeps a window of rows
// in the DOM, older ones are built as the visitor scrolls up (the content in
// view stays where it was, the live region is busy meanwhile), every message
// is shown once, in order, however it is reached, and a new message is added
// while the live region is not busy, so that it is announced.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/browser.mjs';
import { agentApi } from '../support/natter-server.mjs';
import { conversationId, typeAndSend, waitForMessages, withSite } from '../support/chat.mjs';

// More than the window (200 rows, at most 300) and than one history page.
const HISTORY = 600;
const MAX_ROWS = 325;

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** In the page: the list's rows, scroll position and live-region state. */
function readList() {
  const list = document.querySelector('[data-natter-widget]').shadowRoot.querySelector('[part~=messages]');
  const rows = [...list.querySelectorAll('[part~=message]')].map((row) => row.querySelector('.bubble').textContent);
  const atEnd = list.scrollTop + list.clientHeight >= list.scrollHeight - 2;
  const greeting = list.querySelector('[part~=greeting]').checkVisibility();
  return { rows, atEnd, busy: list.getAttribute('aria-busy'), scrollTop: list.scrollTop, greeting };
}

const listState = (page) => page.evaluate(readList);

/**
 * In the page: `read()` three animation frames later, and whether the list's
 * rows and busy state stayed as they were meanwhile. Each step of building
 * rows runs in a frame and asks for the next one: after a frame without
 * one, none is pending. (The list is not busy while a new message is added,
 * so that it is announced, even between two steps.)
 */
function readWhenQuiet(read) {
  const list = document.querySelector('[data-natter-widget]').shadowRoot.querySelector('[part~=messages]');
  let quiet = true;
  const observer = new MutationObserver(() => (quiet = false));
  observer.observe(list, { childList: true, attributes: true, attributeFilter: ['aria-busy'] });
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  return frame()
    .then(frame)
    .then(frame)
    .then(() => {
      quiet &&= observer.takeRecords().length === 0;
      observer.disconnect();
      return { ...read(), quiet };
    });
}

/** Waits until the list has settled: no step of building rows pending. */
async function settled(page, check = () => true) {
  const started = Date.now();
  for (;;) {
    const state = await page.evaluate(`(${readWhenQuiet})(${readList})`);
    if (state.quiet && state.busy !== 'true' && check(state)) return state;
    if (Date.now() - started > 30000) {
      const errors = await page.evaluate(() => window.__errors);
      throw new Error(`list never settled: ${JSON.stringify({ ...state, rows: state.rows.length, first: state.rows[0], errors })}`);
    }
  }
}

/**
 * In the page: records, for every row the list gains, whether the list was
 * busy then (in window.__added, emptied by the test as it goes).
 */
function recordAdditions(list) {
  window.__added = [];
  new MutationObserver((records) => {
    for (const r of records) {
      for (const node of r.addedNodes) {
        window.__added.push({ text: node.querySelector?.('.bubble')?.textContent, busy: list.getAttribute('aria-busy') });
      }
    }
  }).observe(list, { childList: true });
}

/**
 * In the page, from its start: once the list is busy building the rows of
 * the history, the visitor sends `text` (in a task of its own, as typing
 * would), and every row added is recorded.
 */
function sendWhileBusy(text) {
  const find = () => {
    const list = document.querySelector('[data-natter-widget]')?.shadowRoot?.querySelector('[part~=messages]');
    if (!list) return requestAnimationFrame(find);
    window.__record(list);
    new MutationObserver((_, observer) => {
      if (list.getAttribute('aria-busy') !== 'true') return;
      observer.disconnect();
      setTimeout(() => window.Natter.sendMessage(text), 0);
    }).observe(list, { attributes: true, attributeFilter: ['aria-busy'] });
  };
  find();
}

/** The additions of rows showing `text`: `[busy attribute at the time]`. */
const additionsOf = (page, text) => page.evaluate((text) => window.__added.filter((a) => a.text === text).map((a) => a.busy), text);

/**
 * Scrolls to the top of the rows once: returns whether older rows came, and
 * how far the row that was first moved on screen meanwhile.
 */
const scrollUpOnce = (page) =>
  page.evaluate(async () => {
    const list = document.querySelector('[data-natter-widget]').shadowRoot.querySelector('[part~=messages]');
    const first = list.querySelector('[part~=message]');
    list.scrollTop = 0;
    const before = first.getBoundingClientRect().top;
    // Scroll events run in the next frame, before its animation callbacks.
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    return { older: list.querySelector('[part~=message]') !== first, moved: first.getBoundingClientRect().top - before };
  });

// The first agent reply joins the conversation: its system line (as the
// widget words it) comes first.
const texts = (n) => [
  'first',
  'Demo agent joined the chat.',
  ...Array.from({ length: n - 1 }, (_, i) => `history ${i + 1}`),
];

/** `rows` is a run of consecutive messages of `all`, each once. */
function assertRun(rows, all) {
  const at = all.indexOf(rows[0]);
  assert.ok(at >= 0, `unknown first row ${rows[0]}`);
  assert.deepEqual(rows, all.slice(at, at + rows.length));
}

test('a long conversation keeps a window of rows, in order, however it is scrolled', () =>
  withSite(
    browser,
    [],
    async (s, context) => {
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.addInitScript(() => {
        window.__errors = [];
        addEventListener('error', (e) => window.__errors.push(String(e.message)));
      });
      await page.goto(`${s.pages.url}/chat.html`);
      await page.locator('[part~=launcher]').click();
      await typeAndSend(page, 'first');
      await waitForMessages(page, (l) => l.some((m) => m.text === 'first' && m.state === 'sent'));
      const cid = await conversationId(s.api);
      for (let i = 1; i < HISTORY; i++) {
        await agentApi(s.api, `/conversations/${cid}/messages`, { text: `history ${i}` });
      }
      let all = texts(HISTORY);

      // A reload fetches the whole history: only the newest window is built.
      // A message sent while its rows are being built (the list busy) is
      // added while the list is not, and so announced.
      await page.addInitScript(`window.__record = ${recordAdditions}; (${sendWhileBusy})('during the build')`);
      await page.reload();
      await page.locator('[part~=launcher]').click();
      all = [...all, 'during the build'];
      // The list can settle between two pages of the history: done once the
      // last page's message is shown too, before the one sent.
      const newest = JSON.stringify(all.slice(-2));
      let state = await settled(page, (st) => JSON.stringify(st.rows.slice(-2)) === newest && st.atEnd);
      assert.ok(state.rows.length >= 200 && state.rows.length <= MAX_ROWS, `${state.rows.length} rows`);
      assertRun(state.rows, all);
      const during = await additionsOf(page, 'during the build');
      assert.ok(during.length > 0 && during[0] !== 'true', `added while busy: ${during}`);
      assert.equal(state.greeting, false, 'no greeting above a later message');

      // Scrolling up: older rows each time, the row in view stays in place,
      // and nothing built by scrolling is news for the live region.
      await page.evaluate(() => (window.__added = []));
      const seen = new Set(state.rows);
      for (let i = 0; state.rows[0] !== 'first'; i++) {
        assert.ok(i < 100, 'never reached the oldest message');
        const step = await scrollUpOnce(page);
        state = await listState(page);
        if (step.older) assert.ok(Math.abs(step.moved) < 1, `the row in view moved by ${step.moved} px`);
        assert.ok(state.rows.length <= MAX_ROWS, `${state.rows.length} rows`);
        assertRun(state.rows, all);
        assert.equal(state.greeting, state.rows[0] === 'first', `greeting shown above ${state.rows[0]}`);
        state.rows.forEach((text) => seen.add(text));
      }
      assert.equal(seen.size, all.length, 'every message was shown on the way up');
      state = await settled(page);
      assert.ok(!state.rows.includes(all.at(-1)), 'the newest rows were dropped far below');
      const added = await page.evaluate(() => window.__added);
      assert.ok(added.length > 0);
      assert.deepEqual(added.filter((a) => a.busy !== 'true'), [], 'rows built by scrolling while not busy');

      // A new message while scrolled up, its row far below the window: the
      // list goes to it (as it always has), and it is announced: added once,
      // while the list is not busy.
      await page.evaluate(() => (window.__added = []));
      await agentApi(s.api, `/conversations/${cid}/messages`, { text: 'newest' });
      all = [...all, 'newest'];
      state = await settled(page, (st) => st.rows.at(-1) === 'newest' && st.atEnd);
      assertRun(state.rows, all);
      assert.ok(state.rows.length <= MAX_ROWS);
      assert.deepEqual(await additionsOf(page, 'newest'), ['false']);

      // Scrolled up again, panel closed: a message sent now starts the rows
      // again at it, is acknowledged there; opening shows it once.
      while ((await listState(page)).rows[0] !== 'first') await scrollUpOnce(page);
      await settled(page);
      await page.locator('[part~=close]').click();
      await page.evaluate(
        () =>
          new Promise((resolve) => {
            addEventListener('natter:message', (e) => e.detail.text === 'while away' && e.detail.id != null && resolve());
            window.Natter.sendMessage('while away');
          }),
      );
      assert.equal((await listState(page)).rows.at(-1), 'while away');
      all = [...all, 'while away'];
      await page.locator('[part~=launcher]').click();
      state = await settled(page, (st) => st.rows.at(-1) === 'while away' && st.atEnd);
      assertRun(state.rows, all);
      const last = await waitForMessages(page, (l) => l.at(-1)?.text === 'while away');
      assert.equal(last.at(-1).state, 'sent');
      assert.deepEqual(errors, []);
    },
    { bot: 'off' },
  ));
