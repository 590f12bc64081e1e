// The CDN snippet on a real page in Chromium: the launcher renders inside a
// shadow root under a strict CSP, opens on click and through the queued API,
// and load failures are reported in one clear console line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, natterMessages, openPage } from '../support/browser.mjs';
import { startStaticServer } from '../support/static-server.mjs';
import { startNatterServer } from '../support/natter-server.mjs';

let api;
let server;
let browser;
before(async () => {
  api = await startNatterServer();
  server = await startStaticServer({ api: api.url });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
  await api?.stop();
});

/** The panel's state as the page sees it, read through the open shadow root. */
const widgetState = (page) =>
  page.evaluate(() => {
    const host = document.querySelector('[data-natter-widget]');
    const shadow = host && host.shadowRoot;
    const launcher = shadow && shadow.querySelector('[part~=launcher]');
    const panel = shadow && shadow.querySelector('[part~=panel]');
    return {
      hosts: document.querySelectorAll('[data-natter-widget]').length,
      launcherTag: launcher && launcher.tagName,
      launcherLabel: launcher && launcher.getAttribute('aria-label'),
      expanded: launcher && launcher.getAttribute('aria-expanded'),
      panelRole: panel && panel.getAttribute('role'),
      panelVisible: !!panel && panel.checkVisibility(),
      styleElements: shadow ? shadow.querySelectorAll('style').length : -1,
      adoptedSheets: shadow ? shadow.adoptedStyleSheets.length : -1,
    };
  });

describe('CDN snippet under a strict CSP', () => {
  test('launcher renders in the shadow root and the panel opens and closes', async () => {
    const { context, page, seen, violations } = await openPage(browser, `${server.url}/launcher.html`);
    try {
      const launcher = page.locator('[part~=launcher]');
      await launcher.waitFor({ state: 'visible' });
      let state = await widgetState(page);
      assert.equal(state.hosts, 1);
      assert.equal(state.launcherTag, 'BUTTON');
      assert.equal(state.launcherLabel, 'Open chat');
      assert.equal(state.expanded, 'false');
      assert.equal(state.panelVisible, false);
      assert.equal(state.styleElements, 0);
      assert.equal(state.adoptedSheets, 1);

      await launcher.click();
      await page.locator('[part~=panel]').waitFor({ state: 'visible' });
      state = await widgetState(page);
      assert.equal(state.expanded, 'true');
      assert.equal(state.panelRole, 'dialog');

      await page.locator('[part~=close]').click();
      await page.locator('[part~=panel]').waitFor({ state: 'hidden' });

      await page.evaluate(() => window.Natter('open'));
      assert.equal((await widgetState(page)).panelVisible, true);
      await page.evaluate(() => window.Natter.close());
      assert.equal((await widgetState(page)).panelVisible, false);
      await page.evaluate(() => window.Natter.toggle());
      assert.equal((await widgetState(page)).panelVisible, true);

      assert.match(await page.evaluate(() => window.Natter.version), /^\d+\.\d+\.\d+/);
      assert.deepEqual(await violations(), []);
      assert.deepEqual(seen.pageErrors, []);
      assert.deepEqual(natterMessages(seen, 'error'), []);
    } finally {
      await context.close();
    }
  });

  test('calls queued before the script loads run in order once it is ready', async () => {
    const { context, page, seen, violations } = await openPage(browser, `${server.url}/queued.html`);
    try {
      await page.locator('[part~=panel]').waitFor({ state: 'visible' });
      const state = await widgetState(page);
      assert.equal(state.hosts, 1);
      assert.equal(state.expanded, 'true');
      // position from the queued init() applies
      const corner = await page.evaluate(() => {
        const rect = document
          .querySelector('[data-natter-widget]')
          .shadowRoot.querySelector('[part~=launcher]')
          .getBoundingClientRect();
        return { left: rect.left, right: window.innerWidth - rect.right };
      });
      assert.ok(corner.left < corner.right, `launcher should sit bottom-left, got ${JSON.stringify(corner)}`);
      assert.deepEqual(await violations(), []);
      assert.deepEqual(seen.pageErrors, []);
    } finally {
      await context.close();
    }
  });
});

describe('load failures are reported, never thrown', () => {
  test('a missing data-app-key gives one [Natter] console error and no widget', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    const said = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (m) => m.text().startsWith('[Natter]') && said.push(`${m.type()}: ${m.text()}`));
    try {
      const message = page.waitForEvent('console', (m) => m.text().startsWith('[Natter]'));
      await page.goto(`${server.url}/no-key.html`);
      await message;
      // The runtime is up and has handled the page: a later command is
      // ignored quietly because there is no widget to act on.
      await page.evaluate(() => window.Natter('open'));
      assert.equal(said.length, 1, said.join('\n'));
      assert.match(said[0], /^error: \[Natter\] missing app key: add data-app-key/);
      assert.equal(await page.evaluate(() => document.querySelectorAll('[data-natter-widget]').length), 0);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test("a CSP without 'wasm-unsafe-eval' is named in the error", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (err) => errors.push(err.message));
    try {
      const message = page.waitForEvent('console', (m) => m.text().startsWith('[Natter]'));
      await page.goto(`${server.url}/no-wasm-eval.html`);
      const first = await message;
      assert.equal(first.type(), 'error');
      assert.match(first.text(), /'wasm-unsafe-eval'/);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
