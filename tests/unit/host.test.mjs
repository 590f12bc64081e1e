// The page-side helpers of src/host.js, each in a real browser (Chromium
// through playwright-core), where the browser APIs they stand on exist:
// crypto, localStorage, sessionStorage, Intl, canvas, CSS.supports, Trusted
// Types, Web Audio. Every test gets a fresh page (the module keeps state:
// the memory store, the Trusted Types policy, the canvas), served by
// request interception: no port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launchBrowser } from '../support/browser.mjs';

const HOST_JS = readFileSync(new URL('../../src/host.js', import.meta.url), 'utf8');
const ORIGIN = 'http://host-helpers.test';
const PAGE = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>host.js</title></head><body></body></html>';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

/**
 * Opens a blank page with host.js beside it and returns `call(fn, arg)`,
 * which runs `fn(host, arg)` in the page (`fn` must not close over test
 * variables), and the console messages so far. `init` runs before the
 * page's own scripts, to take a browser API away; `csp` is sent as the
 * page's Content-Security-Policy.
 */
async function hostPage(t, { init, csp, contextOptions } = {}) {
  const context = await browser.newContext(contextOptions);
  t.after(() => context.close());
  await context.route(`${ORIGIN}/**`, (route) =>
    new URL(route.request().url()).pathname === '/host.js'
      ? route.fulfill({ body: HOST_JS, contentType: 'text/javascript' })
      : route.fulfill({ body: PAGE, contentType: 'text/html', headers: csp ? { 'content-security-policy': csp } : {} }),
  );
  const page = await context.newPage();
  const messages = [];
  page.on('console', (m) => messages.push({ type: m.type(), text: m.text() }));
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  t.after(() => assert.deepEqual(errors, [], 'nothing thrown to the page'));
  if (init) await page.addInitScript(init);
  await page.goto(`${ORIGIN}/`);
  const call = (fn, arg) => page.evaluate(`import('/host.js').then((host) => (${fn})(host, ${JSON.stringify(arg ?? null)}))`);
  return { page, call, messages };
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuid', () => {
  test('version 4, variant 1, lowercase, and different every time', async (t) => {
    const { call } = await hostPage(t);
    const ids = await call((host) => Array.from({ length: 500 }, () => host.uuid()));
    for (const id of ids) assert.match(id, UUID_V4);
    assert.equal(new Set(ids).size, ids.length);
  });

  test('without crypto (an old embedded browser) still a v4 id, from Math.random', async (t) => {
    const { call } = await hostPage(t, {
      init: () => Object.defineProperty(window, 'crypto', { configurable: true, get: () => undefined }),
    });
    const { ids, crypto } = await call((host) => ({ ids: Array.from({ length: 500 }, () => host.uuid()), crypto: typeof crypto }));
    assert.equal(crypto, 'undefined', 'the page really has no crypto');
    for (const id of ids) assert.match(id, UUID_V4);
    assert.equal(new Set(ids).size, ids.length);
  });
});

describe('storage', () => {
  test('reads, writes and removes localStorage', async (t) => {
    const { call, messages } = await hostPage(t);
    const seen = await call((host) => {
      host.storage_set('natter_k', 'v1');
      const stored = localStorage.getItem('natter_k');
      const read = host.storage_get('natter_k');
      host.storage_remove('natter_k');
      return { stored, read, removed: localStorage.getItem('natter_k'), missing: host.storage_get('natter_missing') };
    });
    assert.deepEqual(seen, { stored: 'v1', read: 'v1', removed: null, missing: null });
    assert.deepEqual(messages, []);
  });

  test('when localStorage throws (storage blocked), keeps values in memory for the page with one warning', async (t) => {
    const { call, messages } = await hostPage(t, {
      init: () =>
        Object.defineProperty(window, 'localStorage', {
          configurable: true,
          get() {
            throw new DOMException('Access is denied for this document.', 'SecurityError');
          },
        }),
    });
    const seen = await call((host) => {
      host.storage_set('a', '1');
      host.storage_set('b', '2');
      host.storage_set('a', '3');
      const read = (key) => host.storage_get(key) ?? null;
      const before = ['a', 'b', 'c'].map(read);
      host.storage_remove('a');
      return { before, after: ['a', 'b'].map(read) };
    });
    assert.deepEqual(seen, { before: ['3', '2', null], after: [null, '2'] });
    assert.deepEqual(messages, [
      { type: 'warning', text: '[Natter] localStorage is not available; keeping state in memory for this page only' },
    ]);
  });
});

describe('time_zone and signals', () => {
  test("time_zone is the browser's IANA zone; nothing when Intl fails", async (t) => {
    const { call } = await hostPage(t, { contextOptions: { timezoneId: 'Europe/Berlin' } });
    assert.equal(await call((host) => host.time_zone()), 'Europe/Berlin');
    const broken = await hostPage(t, {
      init: () => {
        Intl.DateTimeFormat = () => {
          throw new RangeError('no time zone data');
        };
      },
    });
    assert.equal(await broken.call((host) => host.time_zone() ?? 'none'), 'none');
  });

  for (const [zone, offset] of [
    ['Asia/Kolkata', 'UTC+05:30'],
    ['America/Caracas', 'UTC-04:00'],
    ['UTC', 'UTC+00:00'],
  ]) {
    test(`signals: browser, screen, UTC offset (${offset}), canvas and font widths, the same on every call`, async (t) => {
      const { call } = await hostPage(t, {
        contextOptions: { timezoneId: zone, locale: 'de-DE', viewport: { width: 800, height: 600 } },
      });
      const { first, second, navigatorParts, measured } = await call((host) => ({
        first: host.signals(),
        second: host.signals(),
        navigatorParts: [navigator.userAgent, navigator.languages.join(','), screen.width, screen.height, screen.colorDepth].map(String),
        measured: performance.getEntriesByName('natter:fingerprint', 'measure').length,
      }));
      assert.equal(first, second);
      const parts = first.split('\x1f');
      assert.deepEqual(parts.slice(0, 5), navigatorParts);
      assert.equal(parts[1], 'de-DE');
      assert.equal(parts[5], offset);
      assert.match(parts[6], /^data:image\/png;base64,/);
      const widths = parts.slice(7);
      assert.equal(widths.length, 7, 'one width per probed font');
      for (const width of widths) assert.match(width, /^[1-9]\d*$/);
      assert.equal(measured, 2, 'each call is measured on the performance timeline');
    });
  }

  test('signals without a usable canvas: the other signals still', async (t) => {
    const { call } = await hostPage(t, {
      contextOptions: { timezoneId: 'UTC' },
      init: () => {
        HTMLCanvasElement.prototype.getContext = () => {
          throw new Error('canvas blocked');
        };
      },
    });
    const parts = (await call((host) => host.signals())).split('\x1f');
    assert.equal(parts.length, 6);
    assert.equal(parts[5], 'UTC+00:00');
  });
});

describe('set_html', () => {
  const fill = (host) => {
    const box = document.createElement('div');
    document.body.append(box);
    host.set_html(box, false, '<p class="a">one</p>');
    const inner = box.innerHTML;
    host.set_html(box.firstChild, true, '<span>two</span>');
    return [inner, box.innerHTML];
  };

  test('sets innerHTML, or replaces the element (outerHTML)', async (t) => {
    const { call } = await hostPage(t);
    assert.deepEqual(await call(fill), ['<p class="a">one</p>', '<span>two</span>']);
  });

  test("under Trusted Types enforcement, through one 'natter' policy", async (t) => {
    // Without 'allow-duplicates', a second policy named natter would throw.
    const { call } = await hostPage(t, { csp: "require-trusted-types-for 'script'; trusted-types natter" });
    const refused = await call(() => {
      try {
        document.body.innerHTML = '<b>plain string</b>';
        return false;
      } catch {
        return true;
      }
    });
    assert.equal(refused, true, 'the page really enforces Trusted Types');
    assert.deepEqual(await call(fill), ['<p class="a">one</p>', '<span>two</span>']);
    assert.deepEqual(await call(fill), ['<p class="a">one</p>', '<span>two</span>']);
  });

  test('in a browser without Trusted Types, plain strings', async (t) => {
    const { call } = await hostPage(t, { init: () => delete window.trustedTypes });
    assert.deepEqual(await call(fill), ['<p class="a">one</p>', '<span>two</span>']);
  });
});

describe('ascii_host', () => {
  test('host and port of a URL, internationalized names in ASCII (punycode); nothing for a non-URL', async (t) => {
    const { call } = await hostPage(t);
    const hosts = await call((host) =>
      ['https://bücher.example:8443/x?y#z', 'http://EXAMPLE.com/', 'https://例え.jp', 'not a url', '/relative'].map(
        (url) => host.ascii_host(url) ?? null,
      ),
    );
    assert.deepEqual(hosts, ['xn--bcher-kva.example:8443', 'example.com', 'xn--r8jz45g.jp', null, null]);
  });
});

describe('color_channels', () => {
  test('any CSS color the browser takes, as 0xrrggbb', async (t) => {
    const { call } = await hostPage(t);
    const colors = {
      '#f60': 0xff6600,
      '#4338CA': 0x4338ca,
      '#ff660080': 0xff6600,
      'rgb(1 2 3 / 50%)': 0x010203,
      'rgba(250, 128, 114, 0.3)': 0xfa8072,
      'hsl(120 100% 50%)': 0x00ff00,
      'hsl(240, 100%, 25%)': 0x000080,
      rebeccapurple: 0x663399,
      White: 0xffffff,
      transparent: 0,
    };
    const read = await call((host, values) => values.map((v) => host.color_channels(v)), Object.keys(colors));
    assert.deepEqual(read, Object.values(colors));
  });

  test('refuses what is not a color, and never answers with the color read before', async (t) => {
    const { call } = await hostPage(t);
    const read = await call((host) =>
      ['#f60', 'not-a-color', '', '12px', 'url(x.png)', '#ff', 'red;background:url(x)', 'inherit'].map((v) => host.color_channels(v) ?? null),
    );
    // CSS-wide keywords pass CSS.supports; the canvas does not take them and
    // reads black (Rust refuses them before asking, see appearance.rs).
    assert.deepEqual(read, [0xff6600, null, null, null, null, null, null, 0]);
  });
});

describe('chime and close_audio', () => {
  test('one context for every chime, each an oscillator started and stopped; closed once', async (t) => {
    const { call } = await hostPage(t);
    const seen = await call((host) => {
      const log = [];
      const Real = window.AudioContext;
      window.AudioContext = class extends Real {
        constructor() {
          super();
          log.push('context');
        }
        createOscillator() {
          const tone = super.createOscillator();
          for (const method of ['start', 'stop']) {
            const real = tone[method].bind(tone);
            tone[method] = (at) => {
              log.push(method);
              return real(at);
            };
          }
          return tone;
        }
      };
      const audio = host.chime(undefined);
      const same = host.chime(audio) === audio;
      host.close_audio(audio);
      host.close_audio(audio); // a second close rejects: caught
      host.close_audio(undefined);
      return { log, same };
    });
    assert.deepEqual(seen, { log: ['context', 'start', 'stop', 'start', 'stop'], same: true });
  });

  test('without Web Audio nothing is thrown and no context is returned', async (t) => {
    const { call } = await hostPage(t, { init: () => delete window.AudioContext });
    assert.equal(await call((host) => host.chime(undefined) ?? null), null);
  });
});

describe('session_swap', () => {
  test('returns the item there was and puts the new one, or removes it', async (t) => {
    const { call } = await hostPage(t);
    const seen = await call((host) => {
      const first = host.session_swap('natter_kept:k', '10draft');
      const second = host.session_swap('natter_kept:k', null);
      const third = host.session_swap('natter_kept:k', null);
      return { first, second, third, left: sessionStorage.length };
    });
    assert.deepEqual(seen, { first: null, second: '10draft', third: null, left: 0 });
  });

  test('where sessionStorage throws, nothing is kept and nothing thrown', async (t) => {
    const { call } = await hostPage(t, {
      init: () =>
        Object.defineProperty(window, 'sessionStorage', {
          get() {
            throw new DOMException('denied', 'SecurityError');
          },
        }),
    });
    const seen = await call((host) => {
      host.session_swap('natter_kept:k', '10draft');
      return host.session_swap('natter_kept:k', null) ?? null;
    });
    assert.equal(seen, null);
  });
});

describe('outside a browser (server-side import)', () => {
  test('importing touches nothing; page_window is undefined and color_channels answers nothing', async () => {
    const host = await import('../../src/host.js');
    assert.equal(host.page_window(), undefined);
    assert.equal(host.color_channels('#fff'), undefined);
  });

  test('page_window is the window in a page', async (t) => {
    const { call } = await hostPage(t);
    assert.equal(await call((host) => host.page_window() === window), true);
  });
});
