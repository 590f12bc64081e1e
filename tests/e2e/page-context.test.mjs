// What an ordinary page gives the widget, against the real server: a long
// title, a long URL and referrer, text with lone surrogates, a mistyped app
// key, and a server that refuses the handshake. None of them may leave the
// widget pretending to be online while nothing is sent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser } from '../support/browser.mjs';
import { startStaticServer } from '../support/static-server.mjs';
import { AGENT_TOKEN, agentApi, startNatterServer } from '../support/natter-server.mjs';
import { shownMessages, typeAndSend, waitForMessages, withSite } from '../support/chat.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/**
 * Opens page-context.html (`goto` options, e.g. a referer), records the
 * widget's `error` events and the page's `[Natter]` console errors, runs
 * `setup` in the page, then `init(config)`.
 */
async function openPage(context, pages, { query = '', goto = {}, setup = () => {}, config }) {
  const page = await context.newPage();
  const natterErrors = [];
  page.on('console', (m) => m.type() === 'error' && m.text().startsWith('[Natter]') && natterErrors.push(m.text()));
  await page.goto(`${pages.url}/page-context.html${query}`, goto);
  await page.waitForFunction(() => typeof window.Natter === 'function');
  await page.evaluate(setup);
  await page.evaluate((config) => {
    window.__errors = [];
    window.Natter('on', 'error', (e) => window.__errors.push(e.code));
    window.Natter('init', config);
  }, config);
  return { page, natterErrors };
}

const errorCodes = (page) => page.evaluate(() => window.__errors);
const waitForError = (page, code, count = 1) =>
  page.waitForFunction(([code, count]) => window.__errors.filter((c) => c === code).length >= count, [code, count]);
const panelText = (page, part) => page.locator(`[part~=${part}]`).textContent();

/** The only visitor the server has seen, as agents see them. */
async function onlyVisitor(api) {
  const { conversations } = await agentApi(api, '/conversations?status=all');
  assert.equal(conversations.length, 1);
  return conversations[0].visitor;
}

describe('page context from ordinary pages', () => {
  test('a 300-character title, 3,000-character URL and referrer, and lone surrogates: the chat works', () =>
    withSite(browser, [], async (s, context) => {
      const long = 'x'.repeat(3000);
      const { page, natterErrors } = await openPage(context, s.pages, {
        query: `?q=${long}`,
        goto: { referer: `${s.pages.url}/from?r=${long}` },
        // 299 characters and a lone surrogate: a title cut in the middle of a pair.
        setup: () => {
          document.title = `${'T'.repeat(299)}\ud83d`;
        },
        config: { appKey: 'sk_demo', apiBase: s.api.url, extra: { note: 'a\ud800b' }, nickname: 'Ann\udfff' },
      });
      await page.locator('[part~=launcher]').click();
      await typeAndSend(page, 'hello from a long page');
      const shown = await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: hello from a long page'));
      assert.ok(shown.every((m) => m.state === 'sent'), JSON.stringify(shown));
      const visitor = await onlyVisitor(s.api);
      assert.equal(visitor.page.title, 'T'.repeat(256));
      assert.equal(visitor.page.url.length, 2048);
      assert.ok(`${s.pages.url}/page-context.html?q=${long}`.startsWith(visitor.page.url));
      assert.equal(visitor.page.referrer.length, 2048);
      assert.equal(visitor.extra.note, 'a\ufffdb');
      assert.equal(visitor.nickname, 'Ann\ufffd');
      assert.deepEqual(await errorCodes(page), []);
      assert.deepEqual(natterErrors, []);
    }));

  test('an unknown app key: no launcher, and one [Natter] error for the developer', () =>
    withSite(browser, [], async (s, context) => {
      const { page, natterErrors } = await openPage(context, s.pages, {
        config: { appKey: 'sk_typo', apiBase: s.api.url },
      });
      await waitForError(page, 'unknown_app_key');
      assert.equal(await page.locator('[part~=launcher]').isVisible(), false);
      assert.deepEqual(await errorCodes(page), ['unknown_app_key']);
      assert.equal(natterErrors.length, 1, JSON.stringify(natterErrors));
      assert.match(natterErrors[0], /not configured.*sk_typo/);
    }));
});

describe('a handshake the server refuses', () => {
  let dir;
  /** A sites file for sk_site whose allowlist holds `origin`. */
  const sites = (name, origin) => {
    const file = join(dir, name);
    writeFileSync(
      file,
      [
        '[[sites]]',
        'app_key = "sk_site"',
        `allowed_origins = ["${origin}"]`,
        '[[sites.agents]]',
        'name = "Agent"',
        `token = "${AGENT_TOKEN}"`,
        '',
      ].join('\n'),
    );
    return file;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'natter-refused-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('shows that chat is unavailable, emits the code, keeps the outbox, and retries on setLocale() and identify()', async () => {
    let api = await startNatterServer(['--config', sites('refusing.toml', 'https://elsewhere.example')]);
    const pages = await startStaticServer({ api: api.url });
    const context = await browser.newContext();
    try {
      const { page, natterErrors } = await openPage(context, pages, { config: { appKey: 'sk_site', apiBase: api.url } });
      await page.locator('[part~=launcher]').click();
      await waitForError(page, 'origin_denied');
      // A clear state: not "Online" in the header, the reason in the banner.
      assert.match(await panelText(page, 'banner'), /unavailable/);
      assert.doesNotMatch(await panelText(page, 'subtitle'), /^Online/);
      assert.equal(natterErrors.length, 1, JSON.stringify(natterErrors));
      // What the visitor writes meanwhile waits, in the outbox.
      await typeAndSend(page, 'kept for later');
      await waitForMessages(page, (l) => l.length === 1 && l[0].state === 'pending');
      const outbox = await page.evaluate(() => localStorage.getItem('natter_outbox:sk_site'));
      assert.match(outbox ?? '', /kept for later/);
      // setLocale() changes the handshake too: it tries again (and is refused again).
      await page.evaluate(() => window.Natter('setLocale', 'zh-CN'));
      await waitForError(page, 'origin_denied', 2);
      assert.match(await panelText(page, 'banner'), /暂时无法使用/);
      await waitForMessages(page, (l) => l.length === 1 && l[0].state === 'pending');
      // The site's allowlist is fixed; the next identify() tries again.
      const port = new URL(api.url).port;
      await api.stop();
      api = await startNatterServer(['--config', sites('allowing.toml', 'http://127.0.0.1:*')], {
        listen: `127.0.0.1:${port}`,
      });
      await page.evaluate(() => window.Natter('identify', { nickname: 'Ann' }));
      const shown = await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: kept for later'));
      assert.deepEqual(
        shown.map((m) => [m.text, m.state]),
        [
          ['kept for later', 'sent'],
          ['Echo bot 加入了对话。', 'sent'],
          ['Echo: kept for later', 'sent'],
        ],
      );
      assert.equal((await onlyVisitor(api)).nickname, 'Ann');
      assert.equal(await page.locator('[part~=banner]').isVisible(), false);
      assert.equal(await page.evaluate(() => localStorage.getItem('natter_outbox:sk_site')), null);
      assert.deepEqual(await errorCodes(page), ['origin_denied', 'origin_denied']);
    } finally {
      await context.close();
      await pages.close();
      await api.stop();
    }
  });
});
