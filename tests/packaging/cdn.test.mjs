// The CDN folder as a site hosts it, and the example pages as users serve
// them: the manifest's SRI hashes, versions from one place, the loader's
// size budget, hosting under a subpath, loading twice, standalone.html, and
// each load failure reported as one [Natter] console line, never thrown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchBrowser, natterMessages, openPage } from '../support/browser.mjs';
import {
  cdnDir,
  expectOneLauncher,
  messageRoundTrip,
  npmDir,
  readJson,
  requireBuild,
  root,
  runtimeCall,
  serve,
  STRICT_CSP,
  widgetState,
} from './support.mjs';

requireBuild();

const examplesDir = join(root, 'examples');
const manifest = readJson(join(cdnDir, 'manifest.json'));
const version = readJson(join(root, 'package.json')).version;
const wasmFile = manifest.shipped.find((name) => name.endsWith('.wasm'));
const glueFile = manifest.shipped.find((name) => /^widget-[0-9a-f]+\.js$/.test(name));

/** A host page with the given tags in its head, answered by a route. */
const hostPage = (head) => (req, res) =>
  res
    .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    .end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title>${head}</head><body><h1>Host page</h1></body></html>`);
const WIDGET_TAG = '<script async src="/widget.js" data-app-key="sk_demo"></script>';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

/** Resolves once the page has logged a [Natter] error (at once if it already has). */
function firstNatterError(page, seen) {
  if (natterMessages(seen, 'error').length) return Promise.resolve();
  return page.waitForEvent('console', { predicate: (m) => m.type() === 'error' && m.text().startsWith('[Natter]') });
}

/** Serves the CDN folder plus `routes`, runs `fn(url)`, then closes. */
async function withServer(routes, fn, mounts = [['/', cdnDir]]) {
  const server = await serve({ mounts, routes });
  try {
    return await fn(server.url);
  } finally {
    await server.close();
  }
}

/** Asserts a healthy page: one launcher, no page error, violation or unexpected [Natter] error. */
async function expectHealthy(url) {
  const { context, page, seen, violations } = await openPage(browser, url);
  try {
    await expectOneLauncher(page, assert);
    assert.deepEqual(seen.pageErrors, []);
    assert.deepEqual(await violations(), []);
    assert.deepEqual(natterMessages(seen, 'error'), []);
    return { wasmFetches: await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.wasm'))) };
  } finally {
    await context.close();
  }
}

describe('examples, served as a user serves them', () => {
  let server;
  before(async () => {
    server = await serve({
      mounts: [
        ['/', cdnDir],
        ['/', examplesDir],
      ],
      headers: (path) => (path === '/strict-csp.html' ? { 'content-security-policy': STRICT_CSP } : {}),
    });
  });
  after(() => server?.close());

  test('cdn.html: one script tag with data-* appearance fields', async () => {
    await expectHealthy(`${server.url}/cdn.html`);
  });

  test('strict-csp.html: the widget runs under the strict policy with no violation', async () => {
    await expectHealthy(`${server.url}/strict-csp.html`);
  });

  test('queue-snippet.html: calls made before load run once the widget is ready', async () => {
    const { context, page, seen } = await openPage(browser, `${server.url}/queue-snippet.html`);
    try {
      await page.locator('[part~=panel]').waitFor({ state: 'visible' });
      const corner = await page.evaluate(() => {
        const rect = document.querySelector('[data-natter-widget]').shadowRoot.querySelector('[part~=launcher]').getBoundingClientRect();
        return rect.left < window.innerWidth - rect.right ? 'left' : 'right';
      });
      assert.equal(corner, 'left');
      assert.deepEqual(seen.pageErrors, []);
      assert.deepEqual(natterMessages(seen, 'error'), []);
    } finally {
      await context.close();
    }
  });

  test('spa-login/: the launcher appears next to the app', async () => {
    await expectHealthy(`${server.url}/spa-login/`);
  });

  test('spa-login/: logging in and out calls identify', async () => {
    const { context, page, seen } = await openPage(browser, `${server.url}/spa-login/`);
    try {
      await expectOneLauncher(page, assert);
      assert.ok(await runtimeCall(page, 'on', 'identify'), 'the runtime knows on()');
      const identified = (count) =>
        page.waitForFunction((count) => (window.__natterEvents.identify || []).length >= count, count, { timeout: 10_000 });
      await page.locator('#login').click();
      await identified(1);
      await page.locator('#logout').click();
      await identified(2);
      assert.deepEqual(
        await page.evaluate(() => window.__natterEvents.identify.map((e) => [e.externalUserId, e.nickname])),
        [
          ['u_42', 'Alex Lee'],
          [null, null],
        ],
      );
      assert.deepEqual(seen.pageErrors, []);
      assert.deepEqual(natterMessages(seen, 'error'), []);
    } finally {
      await context.close();
    }
  });

  test('cdn.html: a message round-trips with the companion server', (t) =>
    messageRoundTrip(t, { browser, openPage, staticDirs: [cdnDir, examplesDir], path: '/cdn.html', assert }));
});

describe('the CDN folder', () => {
  test('manifest.json lists every file with its size, SRI hash and cache class', () => {
    const files = Object.entries(manifest.files);
    assert.deepEqual(files.map(([name]) => name).sort(), ['standalone.html', 'standalone.mjs', ...manifest.shipped].sort());
    assert.equal(manifest.entry, 'widget.js');
    for (const [name, entry] of files) {
      const bytes = readFileSync(join(cdnDir, name));
      assert.equal(entry.bytes, bytes.length, name);
      assert.equal(entry.integrity, 'sha384-' + createHash('sha384').update(bytes).digest('base64'), name);
      assert.equal(entry.cache, name === wasmFile || name === glueFile ? 'immutable' : 'short', name);
    }
  });

  test('the version comes from one place: package.json', () => {
    const cargo = readFileSync(join(root, 'Cargo.toml'), 'utf8').match(/\[package\][^[]*?\nversion = "([^"]+)"/);
    assert.equal(readJson(join(npmDir, 'package.json')).version, version);
    assert.equal(manifest.version, version);
    assert.equal(cargo?.[1], version, 'Cargo.toml [package] version must match package.json');
  });

  test('widget.js stays under 2 KiB gzipped', () => {
    const gzip = gzipSync(readFileSync(join(cdnDir, 'widget.js')), { level: 9 }).length;
    assert.ok(gzip < 2048, `widget.js is ${gzip} bytes gzipped`);
  });

  test('a page can pin widget.js with integrity=; a wrong hash blocks it', async () => {
    const good = manifest.files['widget.js'].integrity;
    const wrong = 'sha384-' + createHash('sha384').update('tampered').digest('base64');
    const tag = (hash) => `<script async src="/widget.js" integrity="${hash}" crossorigin="anonymous" data-app-key="sk_demo"></script>`;
    await withServer({ '/good.html': hostPage(tag(good)), '/wrong.html': hostPage(tag(wrong)) }, async (url) => {
      await expectHealthy(`${url}/good.html`);
      const { context, page, seen } = await openPage(browser, `${url}/wrong.html`);
      try {
        await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/widget.js')));
        assert.equal(await page.evaluate(() => typeof window.Natter), 'undefined');
        assert.deepEqual(seen.pageErrors, []);
      } finally {
        await context.close();
      }
    });
  });

  test('hosted under a versioned subpath, it fetches its files from beside widget.js', async () => {
    const base = `/assets/natter/${version}/`;
    const page = hostPage(`<script async src="${base}widget.js" data-app-key="sk_demo"></script>`);
    await withServer(
      { '/shop/index.html': page },
      async (url) => {
        const { wasmFetches } = await expectHealthy(`${url}/shop/index.html`);
        assert.deepEqual(wasmFetches, [`${url}${base}${wasmFile}`]);
      },
      [[base, cdnDir]],
    );
  });

  test('the same script twice makes one widget and one warning', async () => {
    const page = hostPage(WIDGET_TAG + WIDGET_TAG.replace('async ', ''));
    await withServer({ '/twice.html': page }, async (url) => {
      const { context, page, seen } = await openPage(browser, `${url}/twice.html`);
      try {
        await expectOneLauncher(page, assert);
        assert.deepEqual(natterMessages(seen, 'warning'), [
          `[Natter] a copy of the widget (${version}) is already on the page; this widget.js does nothing`,
        ]);
        assert.deepEqual(seen.pageErrors, []);
      } finally {
        await context.close();
      }
    });
  });

  test('standalone.html opens the chat full page from a link', () =>
    withServer({}, async (url) => {
      const { context, page, seen, violations } = await openPage(browser, `${url}/standalone.html?k=sk_demo&nick=Alex`);
      try {
        await page.locator('[part~=panel]').waitFor({ state: 'visible' });
        assert.equal((await widgetState(page)).hosts, 1);
        assert.deepEqual(seen.pageErrors, []);
        assert.deepEqual(await violations(), []);
        assert.deepEqual(natterMessages(seen, 'error'), []);
      } finally {
        await context.close();
      }
    }));
});

describe('load failures: one clear [Natter] console line, never an exception', () => {
  const notFound = (req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  const wasmBytes = () => readFileSync(join(cdnDir, wasmFile));

  /** Loads a host page with `routes` answering instead of the CDN folder, and checks what it reported. */
  const expectReported = (routes, pattern, { widget }) =>
    withServer({ '/page.html': hostPage(WIDGET_TAG), ...routes }, async (url) => {
      const { context, page, seen } = await openPage(browser, `${url}/page.html`);
      try {
        await firstNatterError(page, seen);
        if (widget) await expectOneLauncher(page, assert);
        else assert.deepEqual(await widgetState(page), { hosts: 0, launcher: false });
        const errors = natterMessages(seen, 'error');
        assert.equal(errors.length, 1, errors.join('\n'));
        assert.match(errors[0], pattern(url));
        assert.deepEqual(seen.pageErrors, []);
      } finally {
        await context.close();
      }
    });

  test('the wasm is missing (HTTP 404)', () =>
    expectReported({ [`/${wasmFile}`]: notFound }, (url) => new RegExp(`could not load ${url}/${wasmFile}: HTTP 404`), { widget: false }));

  test('the wasm is served with the wrong MIME type: named, and the widget still starts', () =>
    expectReported(
      { [`/${wasmFile}`]: (req, res) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(wasmBytes()) },
      () => /is served as application\/octet-stream: serve \.wasm files as application\/wasm/,
      { widget: true },
    ));

  test('an HTML fallback page answers for the wasm', () =>
    expectReported({ [`/${wasmFile}`]: hostPage('') }, () => /is not WebAssembly \(served as text\/html\)/, { widget: false }));

  test('the glue module is missing', () =>
    expectReported({ [`/${glueFile}`]: notFound }, () => new RegExp(`could not load .*/${glueFile}.*whole CDN folder`), { widget: false }));
});
