// The widget on hostile and changing host pages: hostile CSS, ::part()
// restyling, a mobile viewport, single-page apps that remove it, and
// repeated init/shutdown cycles that must leave nothing behind.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  domEvents,
  inShadow,
  messageRows,
  mockWidget,
  pageFootprint,
  REPLY_TIMEOUT,
  sendAndWaitForReply,
  useBrowser,
  waitForEvent,
  waitForRows,
  withHost,
} from '../support/widget.mjs';

const env = useBrowser();

const box = (page, part) =>
  inShadow(
    page,
    (root, part) => {
      const el = root.querySelector(`[part~=${part}]`);
      const r = el.getBoundingClientRect();
      return { visible: el.checkVisibility(), left: r.left, top: r.top, width: r.width, height: r.height, bottom: r.bottom, right: r.right };
    },
    part,
  );

describe('host CSS', { concurrency: 4 }, () => {
  test('hostile host CSS (all: unset, display: none on button/div, inherited fonts, visibility) cannot break the widget', () =>
    withHost(env, async (page) => {
      await page.addStyleTag({ url: '/hostile.css' });
      await mockWidget(page);
      assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('#before')).display), 'none', 'the hostile CSS applies');
      const launcher = await box(page, 'launcher');
      assert.equal(launcher.visible, true);
      assert.deepEqual([launcher.width, launcher.height], [56, 56]);
      const viewport = page.viewportSize();
      assert.deepEqual([viewport.width - launcher.right, viewport.height - launcher.bottom], [24, 24]);

      await page.locator('[part~=launcher]').click();
      await page.locator('[part~=panel]').waitFor({ state: 'visible' });
      const panel = await box(page, 'panel');
      assert.deepEqual([panel.width, panel.height], [380, 580]);
      assert.equal((await box(page, 'input')).visible, true);
      assert.equal((await box(page, 'send')).visible, true);
      const text = await inShadow(page, (root) => {
        const s = getComputedStyle(root.querySelector('[part~=title]'));
        return { size: s.fontSize, spacing: s.letterSpacing, transform: s.textTransform, style: s.fontStyle, visibility: s.visibility, direction: s.direction };
      });
      assert.deepEqual(text, { size: '16px', spacing: 'normal', transform: 'none', style: 'normal', visibility: 'visible', direction: 'ltr' });

      await page.keyboard.type('typed on a hostile page');
      await page.keyboard.press('Enter');
      await waitForRows(page, 2);
      assert.equal((await box(page, 'message')).visible, true);
      await page.locator('[part~=close]').click();
      await page.locator('[part~=panel]').waitFor({ state: 'hidden' });
    }));

  test('hosts restyle the widget through ::part()', () =>
    withHost(env, async (page) => {
      await page.addStyleTag({ url: '/parts.css' });
      await mockWidget(page);
      await page.evaluate(() => window.Natter.open());
      await page.evaluate(() => window.Natter.sendMessage('styled'));
      await waitForRows(page, 1);
      const styled = await inShadow(page, (root) => {
        const css = (sel) => getComputedStyle(root.querySelector(sel));
        return {
          launcher: [css('[part~=launcher]').backgroundColor, css('[part~=launcher]').backgroundImage],
          header: css('[part~=header]').backgroundColor,
          visitor: css('[part~=message][part~=visitor]').outlineColor,
        };
      });
      assert.deepEqual(styled, { launcher: ['rgb(1, 2, 3)', 'none'], header: 'rgb(4, 5, 6)', visitor: 'rgb(7, 8, 9)' });
    }));

  test('every documented part exists', () =>
    withHost(env, async (page) => {
      await mockWidget(page);
      await page.evaluate(() => window.Natter.open());
      await sendAndWaitForReply(page, 'parts');
      const parts = await inShadow(page, (root) => [...new Set([...root.querySelectorAll('[part]')].flatMap((el) => el.getAttribute('part').split(' ')))].sort());
      for (const part of ['launcher', 'badge', 'panel', 'header', 'title', 'subtitle', 'close', 'messages', 'message', 'visitor', 'agent', 'composer', 'input', 'send', 'hint', 'mute', 'preview', 'menu', 'menuitem', 'rating', 'notice']) {
        assert.ok(parts.includes(part), `part "${part}" in ${parts.join(', ')}`);
      }
    }));
});

describe('mobile viewport', { concurrency: 4 }, () => {
  const MOBILE = { viewport: { width: 390, height: 700 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
  const bodyState = (page) =>
    page.evaluate(() => ({
      bodyStyle: document.body.getAttribute('style'),
      bodyClass: document.body.className,
      htmlStyle: document.documentElement.getAttribute('style'),
      htmlClass: document.documentElement.className,
      overflow: getComputedStyle(document.body).overflow,
    }));

  test('the panel covers the viewport, the page scroll is restored on close, <body> is left as it was', () =>
    withHost(
      env,
      async (page) => {
        // The host page's own inline style on <body>, set through CSSOM (strict CSP).
        await page.evaluate(() => document.body.style.setProperty('margin-top', '3px'));
        const before = await bodyState(page);
        await mockWidget(page);
        await page.evaluate(() => window.scrollTo(0, 1234));
        await page.waitForFunction(() => window.scrollY === 1234);

        await page.locator('[part~=launcher]').tap();
        await page.locator('[part~=panel]').waitFor({ state: 'visible' });
        const panel = await box(page, 'panel');
        assert.deepEqual([panel.left, panel.top, panel.width, panel.height], [0, 0, 390, 700]);
        const composer = await box(page, 'composer');
        assert.ok(composer.visible && composer.bottom <= 700 && composer.top > 0, JSON.stringify(composer));
        assert.equal((await box(page, 'close')).visible, true);

        // The page scrolls underneath while the panel is open (focus, keyboard).
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.waitForFunction(() => window.scrollY === 0);
        await page.locator('[part~=close]').tap();
        await page.locator('[part~=panel]').waitFor({ state: 'hidden' });
        await page.waitForFunction(() => window.scrollY === 1234, null, { timeout: 2000 });
        assert.deepEqual(await bodyState(page), before);
        assert.equal((await box(page, 'launcher')).visible, true);
      },
      { contextOptions: MOBILE },
    ));

  test('the open panel follows the visual viewport (pinch zoom, on-screen keyboard) so the composer stays visible', () =>
    withHost(
      env,
      async (page, { context }) => {
        await mockWidget(page);
        await page.locator('[part~=launcher]').tap();
        await page.locator('[part~=panel]').waitFor({ state: 'visible' });
        const cdp = await context.newCDPSession(page);
        await cdp.send('Input.synthesizePinchGesture', { x: 195, y: 500, scaleFactor: 2, relativeSpeed: 800 });
        await page.waitForFunction(() => window.visualViewport.scale > 1.5);
        // The panel's box (layout px) matches the visual viewport's.
        await page.waitForFunction(
          () => {
            const vv = window.visualViewport;
            const r = window.__nt.root().querySelector('[part~=panel]').getBoundingClientRect();
            return Math.abs(r.height - vv.height) <= 1 && Math.abs(r.top - vv.offsetTop) <= 1;
          },
          null,
          { timeout: 3000 },
        );
        const inView = await page.evaluate(() => {
          const vv = window.visualViewport;
          const r = window.__nt.root().querySelector('[part~=composer]').getBoundingClientRect();
          return r.bottom <= vv.offsetTop + vv.height + 1 && r.top >= vv.offsetTop;
        });
        assert.equal(inView, true);
      },
      { contextOptions: MOBILE },
    ));
});

describe('single-page apps', { concurrency: 4 }, () => {
  /** The widget's state that must survive a re-attach. */
  const state = (page) =>
    page.evaluate(() => {
      const hosts = document.querySelectorAll('[data-natter-widget]');
      const host = hosts[0];
      const root = host?.shadowRoot;
      return {
        hosts: hosts.length,
        same: host?.__testMark === 'first',
        inBody: host?.parentNode === document.body,
        open: root?.querySelector('[part~=panel]').checkVisibility(),
        expanded: root?.querySelector('[part~=launcher]').getAttribute('aria-expanded'),
        rows: root?.querySelectorAll('[part~=message]').length,
        draft: root?.querySelector('textarea').value,
      };
    });
  const reattached = (page) =>
    page.waitForFunction(() => document.querySelector('[data-natter-widget]')?.isConnected === true, null, { timeout: 2000 });
  const KEPT = { hosts: 1, same: true, inBody: true, open: true, expanded: 'true', rows: 2, draft: 'a draft' };

  test('removing the host element or replacing <body> content or <body> itself re-attaches the same instance with its state', () =>
    withHost(env, async (page) => {
      await mockWidget(page);
      await page.evaluate(() => window.Natter.open());
      await sendAndWaitForReply(page, 'before the route change');
      await page.locator('[part~=composer] textarea').fill('a draft');
      await page.evaluate(() => {
        document.querySelector('[data-natter-widget]').__testMark = 'first';
      });

      await page.evaluate(() => document.querySelector('[data-natter-widget]').remove());
      await reattached(page);
      assert.deepEqual(await state(page), KEPT, 'host element removed');

      await page.evaluate(() => {
        const main = document.createElement('main');
        main.textContent = 'Route two';
        document.body.replaceChildren(main);
      });
      await reattached(page);
      assert.deepEqual(await state(page), KEPT, 'body children replaced');

      await page.evaluate(() => {
        document.body.innerHTML = '<main><h1>Route three</h1></main>';
      });
      await reattached(page);
      assert.deepEqual(await state(page), KEPT, 'body innerHTML replaced');

      // Turbo-style navigation: a new <body> element.
      await page.evaluate(() => {
        const body = document.createElement('body');
        body.innerHTML = '<main><h1>Route four</h1></main>';
        document.body.replaceWith(body);
      });
      await reattached(page);
      assert.deepEqual(await state(page), KEPT, 'body element replaced');
      // ...and the new body is watched too.
      await page.evaluate(() => document.body.replaceChildren());
      await reattached(page);
      assert.deepEqual(await state(page), KEPT, 'new body emptied');

      await sendAndWaitForReply(page, 'after the route changes');
      assert.equal((await messageRows(page)).length, 4);
    }));
});

describe('init/shutdown cycles', { concurrency: 4 }, () => {
  test('20 cycles leave no DOM nodes, host elements, listeners, observers or timers behind', () =>
    withHost(env, async (page, { context }) => {
      const cdp = await context.newCDPSession(page);
      await cdp.send('DOMDebugger.enable').catch(() => {});
      const cycle = async (n) => {
        await page.evaluate(() => window.Natter.init({ appKey: 'sk_test', mock: true, defaultOpen: true }));
        await waitForEvent(page, 'ready', n);
        await page.evaluate(() => {
          window.Natter.sendMessage('pending reply dropped by shutdown');
          window.Natter.setLocale('zh-CN');
          window.Natter.close();
          window.Natter.shutdown();
        });
        await waitForEvent(page, 'shutdown', n);
      };
      await mockWidget(page);
      await page.evaluate(() => window.Natter.shutdown());
      await waitForEvent(page, 'shutdown', 1);
      await cycle(2);
      const baseline = await pageFootprint(page, cdp);
      for (let n = 3; n <= 22; n++) await cycle(n);
      const after = await pageFootprint(page, cdp);

      assert.equal(after.hosts, 0);
      assert.equal(after.nodes, baseline.nodes, 'DOM nodes');
      assert.deepEqual(after.listeners, baseline.listeners, 'listeners on window, document, visualViewport');
      const growth = after.heap - baseline.heap;
      assert.ok(growth < 1_000_000, `JS heap grew by ${growth} bytes over 20 cycles`);

      // No observer is left: SPA-style body changes do not bring a widget back.
      await page.evaluate(
        () =>
          new Promise((resolve) => {
            document.body.replaceChildren(document.createElement('main'));
            setTimeout(resolve, 0);
          }),
      );
      assert.equal(await page.evaluate(() => document.querySelectorAll('natter-widget').length), 0);
      // No timer is left: no mock reply of a dropped message ever arrives,
      // even after a full reply delay in the next instance.
      await page.evaluate(() => window.Natter.init({ appKey: 'sk_test', mock: true }));
      await waitForEvent(page, 'ready', 23);
      await page.evaluate(() => window.Natter.sendMessage('last'));
      await page.waitForFunction(() => window.__natter.dom.some((e) => e.type === 'message' && e.detail.text === '[mock] last'), null, {
        timeout: REPLY_TIMEOUT,
      });
      // The probe sees a running widget's listeners.
      assert.notDeepEqual((await pageFootprint(page, cdp)).listeners, baseline.listeners);
      const agent = (await domEvents(page, 'message')).filter((e) => e.detail.from === 'agent');
      assert.deepEqual(agent.map((e) => e.detail.text), ['[mock] last']);
    }));
});
