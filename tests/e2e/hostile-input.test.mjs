// Bad input from the host page, in a real page under the strict CSP of
// host.html: icons whose CSS hides an outside URL, icons with handlers and
// styles, colors the browser would take but that are no color, colors whose
// contrast only the browser can compute, and icon URLs without a host.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  initWidget,
  inShadow,
  natterMessages,
  useBrowser,
  waitForEvent,
  waitForRows,
  withHost as withPage,
} from '../support/widget.mjs';

const env = useBrowser();
const withHost = (body, options = {}) => withPage(env, body, options);
const warnings = (seen) => natterMessages(seen, 'warning');

/** Every request the page makes to a host other than the test server's. */
function outsideRequests(page, url) {
  const own = new URL(url).host;
  const seen = [];
  page.on('request', (request) => {
    const host = new URL(request.url()).host;
    if (host && host !== own) seen.push(request.url());
  });
  return seen;
}

describe('launcher icons from a hostile page', { concurrency: 4 }, () => {
  // CSS escapes, comments, case and entity references that make `url(` out
  // of a presentation attribute once the browser's CSS parser reads it.
  const spellings = ['u\\72l(', '\\75 rl(', '\\75rl(', 'u\\000072l(', 'U\\52L(', '\\55\\52\\4c(', 'URL(', 'uRl(', 'u&#92;72l(', 'u&#x5c;72l('];
  const corpus = spellings.flatMap((url) => [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="${url}http://other.example/t.svg#p)" d="M2 2h20v20H2z"/></svg>`,
    `<svg viewBox="0 0 24 24"><path stroke="${url}'http://other.example/s.svg#p')" d="M2 2h20v20H2z"/></svg>`,
    `<svg viewBox="0 0 24 24"><linearGradient id="g"><stop stop-color="${url}http://other.example/c.svg#p)"/></linearGradient><path d="M2 2h20v20H2z" filter="${url}http://other.example/f.svg#p)" clip-path="${url}http://other.example/k.svg#p)"/></svg>`,
  ]);

  test(`the escaped url() corpus (${corpus.length} icons) makes no outside request and no CSP report`, () =>
    withHost(async (page, { url }) => {
      const outside = outsideRequests(page, url);
      for (const [n, buttonIcon] of corpus.entries()) {
        if (n) await page.evaluate(() => window.Natter.shutdown());
        await initWidget(page, { buttonIcon });
        await waitForEvent(page, 'ready', n + 1);
        const icon = await inShadow(page, (root) => root.querySelector('[part~=launcher] svg').outerHTML);
        assert.doesNotMatch(icon, /other\.example|\\|url/i, buttonIcon);
        // Paint the icon, so that a surviving reference would be fetched.
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      }
      assert.deepEqual(outside, []);
    }));

  test('an icon with handlers and styles is built without them: no CSP report at all', () =>
    withHost(async (page, { seen }) => {
      await initWidget(page, {
        buttonIcon:
          '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" onload="window.__pwned=1" style="fill:red">' +
          '<path onclick="window.__pwned=2" style="stroke:red" onmouseover="x()" d="M2 2h20v20H2z"/></svg>',
      });
      await waitForEvent(page, 'ready');
      const path = await inShadow(page, (root) => root.querySelector('[part~=launcher] svg path').getAttributeNames());
      assert.deepEqual(path, ['d']);
      await page.locator('[part~=launcher]').click();
      assert.deepEqual(warnings(seen), []);
      // withHost checks that the page saw no CSP violation.
    }));

  test('an icon URL without a host is refused with one warning', () =>
    withHost(async (page, { seen }) => {
      await initWidget(page, { buttonIcon: 'https://' });
      await waitForEvent(page, 'ready');
      assert.equal(warnings(seen).filter((w) => /buttonIcon/.test(w)).length, 1, JSON.stringify(warnings(seen)));
      assert.equal(await inShadow(page, (root) => root.querySelectorAll('img').length), 0);
    }));
});

describe('brand colors from a hostile page', { concurrency: 4 }, () => {
  const look = (page) =>
    inShadow(page, (root) => ({
      primary: root.host.style.getPropertyValue('--nt-primary'),
      text: getComputedStyle(root.querySelector('[part~=launcher]')).color,
      background: getComputedStyle(root.querySelector('[part~=launcher]')).backgroundImage,
    }));

  const INVALID = ['rgb(a)', 'rgb()', 'hsl(x)', 'rgba(1, 2, 3, 4, 5, 6)', 'rgb(0,0,0) rgb(1,1,1)', 'inherit', 'initial', 'unset', 'revert', 'currentColor'];
  for (const primaryColor of INVALID) {
    test(`primaryColor ${primaryColor} is refused with one warning; the launcher keeps the default color`, () =>
      withHost(async (page, { seen }) => {
        await initWidget(page, { primaryColor });
        await waitForEvent(page, 'ready');
        const said = warnings(seen);
        assert.equal(said.length, 1, said.join('\n'));
        assert.match(said[0], /primaryColor/);
        const l = await look(page);
        assert.equal(l.primary, '#4338ca');
        assert.match(l.background, /rgb\(67, 56, 202\)/);
      }));
  }

  for (const primaryColor of ['white', 'yellow', 'hsl(60 100% 95%)']) {
    test(`a light ${primaryColor} gets dark text and one contrast warning, like a light hex color`, () =>
      withHost(async (page, { seen }) => {
        await initWidget(page, { primaryColor });
        await waitForEvent(page, 'ready');
        assert.equal((await look(page)).text, 'rgb(17, 24, 39)');
        const said = warnings(seen);
        assert.equal(said.length, 1, said.join('\n'));
        assert.match(said[0], /primaryColor.*contrast/);
      }));
  }
});

describe('links in messages', () => {
  test('a host mixing Latin with another script shows in punycode; bidi controls never reach the link text', () =>
    withHost(async (page) => {
      await initWidget(page, { mock: true });
      await waitForEvent(page, 'ready');
      const text = 'See https://\u0430pple.com/login and https://evil.example/\u202egnp.exe and https://例子.中国/路径 and https://münchen.de';
      await page.evaluate((text) => window.Natter.sendMessage(text), text);
      // The visitor's row and the mock agent's echo: both render links alike.
      await waitForRows(page, 2);
      const rows = await inShadow(page, (root) =>
        [...root.querySelectorAll('[part~=message] .bubble')].map((bubble) => [...bubble.querySelectorAll('a')].map((a) => a.textContent)),
      );
      const shown = ['https://xn--pple-43d.com/login', 'https://evil.example/gnp.exe', 'https://例子.中国/路径', 'https://münchen.de'];
      assert.deepEqual(rows, [shown, shown]);
    }));
});

describe('init() objects from a hostile page', { concurrency: 4 }, () => {
  test('an object whose properties cannot be listed (a Proxy) is one warning; a later init() works', () =>
    withHost(
      async (page, { seen }) => {
        await initWidget(page);
        await waitForEvent(page, 'ready');
        await page.evaluate(() => window.Natter.shutdown());
        const warned = page.waitForEvent('console', (m) => /cannot be read/.test(m.text()));
        await page.evaluate(() => {
          const trap = new Proxy({}, { ownKeys() { throw new Error('no keys'); } });
          window.Natter.init(trap);
        });
        await warned;
        assert.equal(warnings(seen).filter((w) => /cannot be read/.test(w)).length, 1, JSON.stringify(warnings(seen)));
        await page.evaluate(() => window.Natter.init({ appKey: 'sk_test', mock: true }));
        await waitForEvent(page, 'ready', 2);
        await page.evaluate(() => window.Natter.sendMessage('still here'));
        await waitForRows(page, 2);
      },
      { natterErrors: ['[Natter] missing app key: add data-app-key="..." to the script tag or pass appKey to init()'] },
    ));

  test('numbers as text out of range or with decimals are clamped and rounded like numbers', () =>
    withHost(async (page, { seen }) => {
      await initWidget(page, { zIndex: '99999999999999999999', panelWidth: '400.5', offsetX: '-3.7', buttonSize: '1e3' });
      await waitForEvent(page, 'ready');
      const look = await inShadow(page, (root) => ({
        zIndex: getComputedStyle(root.host).zIndex,
        width: root.host.style.getPropertyValue('--nt-pw'),
        offset: root.host.style.getPropertyValue('--nt-ox'),
      }));
      assert.deepEqual(look, { zIndex: '2147483647', width: '401px', offset: '0px' });
      // An exponent is no number the widget reads: one warning, as before.
      assert.deepEqual(warnings(seen).filter((w) => !/buttonSize/.test(w)), []);
    }));
});
