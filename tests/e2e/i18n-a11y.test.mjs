// Both locales and the locale chain; keyboard and screen-reader access;
// axe-core on the closed and open widget in both themes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  embed,
  initWidget,
  inShadow,
  messageRows,
  mockTag,
  mockWidget,
  sendAndWaitForReply,
  useBrowser,
  waitForEvent,
  withHost,
} from '../support/widget.mjs';

const env = useBrowser();
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Every visible string and accessible name the widget shows. */
const texts = (page) =>
  inShadow(page, (root) => {
    const q = (sel) => root.querySelector(sel);
    return {
      launcher: q('[part~=launcher]').getAttribute('aria-label'),
      panel: q('[part~=panel]').getAttribute('aria-label'),
      title: q('[part~=title]').textContent,
      subtitle: q('[part~=subtitle]').textContent,
      close: q('[part~=close]').getAttribute('aria-label'),
      messages: q('[part~=messages]').getAttribute('aria-label'),
      input: q('textarea').getAttribute('aria-label'),
      placeholder: q('textarea').getAttribute('placeholder'),
      send: q('[part~=send]').getAttribute('aria-label'),
    };
  });

const EN = {
  launcher: 'Open chat',
  panel: 'Chat',
  title: 'Chat with us',
  subtitle: 'Online · we usually reply in a few minutes',
  close: 'Close chat',
  messages: 'Messages',
  input: 'Message',
  placeholder: 'Write a message…',
  send: 'Send',
};
const ZH = {
  launcher: '打开聊天',
  panel: '聊天',
  title: '在线客服',
  subtitle: '在线 · 通常几分钟内回复',
  close: '关闭聊天',
  messages: '消息',
  input: '消息',
  placeholder: '输入消息…',
  send: '发送',
};

/** WCAG contrast ratio of two `rgb(r, g, b)` strings. */
function contrastRatio(a, b) {
  const lum = (css) => {
    const [r, g, b] = css
      .match(/\d+/g)
      .slice(0, 3)
      .map(Number)
      .map((c) => {
        const s = c / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const stored = (page) => page.evaluate(() => localStorage.getItem('natter_locale'));

describe('locales', { concurrency: 4 }, () => {
  test("locale: 'zh-CN' renders every string and accessible name in Chinese", () =>
    withHost(env, async (page) => {
      await initWidget(page, { locale: 'zh-CN' });
      await waitForEvent(page, 'ready');
      assert.deepEqual(await texts(page), ZH);
      await page.locator('[part~=launcher]').click();
      await page.locator('[part~=send]').click();
      const shown = await inShadow(page, (root) => ({
        hint: root.querySelector('[part~=hint]').textContent,
        launcher: root.querySelector('[part~=launcher]').getAttribute('aria-label'),
      }));
      assert.deepEqual(shown, { hint: '请输入内容后再发送。', launcher: '关闭聊天' });
      await sendAndWaitForReply(page, '你好');
      const [visitor] = await messageRows(page);
      assert.match(visitor.meta, /^我 · \d\d:\d\d$/);
    }));

  test("setLocale('en-US') switches at once, keeps messages, draft and open state, and persists", () =>
    withHost(env, async (page) => {
      await initWidget(page, { locale: 'zh-CN' });
      await waitForEvent(page, 'ready');
      await page.evaluate(() => window.Natter.open());
      await sendAndWaitForReply(page, '订单问题');
      await page.locator('[part~=composer] textarea').fill('草稿');
      const rows = await messageRows(page);
      await page.evaluate(() => window.Natter.setLocale('en-US'));
      assert.deepEqual(await texts(page), { ...EN, launcher: 'Close chat' });
      const after = await messageRows(page);
      assert.deepEqual(after.map((r) => [r.from, r.text]), rows.map((r) => [r.from, r.text]));
      assert.match(after[0].meta, /^You · \d\d:\d\d$/);
      assert.equal(await inShadow(page, (root) => root.querySelector('textarea').value), '草稿');
      assert.equal(await inShadow(page, (root) => root.querySelector('[part~=panel]').checkVisibility()), true);
      assert.equal(await stored(page), 'en-US');
    }));

  test('the widget declares its language, so screen readers read zh-CN strings as Chinese on an English page', () =>
    withHost(env, async (page) => {
      await initWidget(page, { locale: 'zh-CN' });
      await waitForEvent(page, 'ready');
      const lang = () =>
        inShadow(page, (root) => {
          const panel = root.querySelector('[part~=panel]');
          return (panel.closest('[lang]') ?? root.host.closest('[lang]'))?.getAttribute('lang');
        });
      assert.equal(await lang(), 'zh-CN');
      await page.evaluate(() => window.Natter.setLocale('en-US'));
      assert.equal(await lang(), 'en-US');
    }));

  test('navigator.languages zh-* selects zh-CN', () =>
    withHost(
      env,
      async (page) => {
        await mockWidget(page);
        assert.deepEqual(await texts(page), ZH);
      },
      { contextOptions: { locale: 'zh-TW' } },
    ));

  test('only the preferred browser language counts: fr first, zh second is en-US; zh first is zh-CN', () =>
    withHost(env, async (page, { url }) => {
      const browserSays = async (languages) => {
        await page.addInitScript((languages) => {
          Object.defineProperty(Navigator.prototype, 'languages', { get: () => languages });
          Object.defineProperty(Navigator.prototype, 'language', { get: () => languages[0] });
        }, languages);
        await page.goto(`${url}/host.html`);
        await mockWidget(page);
        return (await texts(page)).title;
      };
      assert.equal(await browserSays(['fr-FR', 'zh-CN']), EN.title);
      assert.equal(await browserSays(['zh', 'fr-FR']), ZH.title);
    }));

  test('the locale chain: stored setLocale beats the browser; data-locale and query locale beat storage', () =>
    withHost(
      env,
      async (page, { url }) => {
        await mockWidget(page);
        assert.deepEqual(await texts(page), EN, 'en browser');
        await page.evaluate(() => window.Natter.setLocale('zh-CN'));
        assert.equal(await stored(page), 'zh-CN');

        const reload = async (options) => {
          await page.goto(`${url}/host.html`);
          await embed(page, options);
          await waitForEvent(page, 'ready');
          return (await texts(page)).title;
        };
        assert.equal(await reload({ attributes: mockTag() }), ZH.title, 'localStorage beats navigator.languages');
        assert.equal(await reload({ attributes: mockTag({ 'data-locale': 'en-US' }) }), EN.title, 'data-locale beats localStorage');
        assert.equal(await reload({ query: 'locale=en-US', attributes: mockTag() }), EN.title, 'query locale beats localStorage');
        assert.equal(await reload({ query: 'locale=zh-CN', attributes: mockTag({ 'data-locale': 'en-US' }) }), EN.title, 'data-locale beats query');
      },
      { contextOptions: { locale: 'en-US' } },
    ));
});

describe('keyboard and screen readers', { concurrency: 4 }, () => {
  const focusState = (page) =>
    page.evaluate(() => {
      const host = document.querySelector('[data-natter-widget]');
      const inner = host.shadowRoot.activeElement;
      const outline = inner && getComputedStyle(inner);
      return {
        outside: document.activeElement === host ? null : document.activeElement?.id || document.activeElement?.tagName,
        part: inner?.getAttribute('part') ?? null,
        outline: outline ? `${outline.outlineStyle} ${outline.outlineWidth}` : null,
      };
    });

  test('launcher and controls are buttons with names; aria-expanded and aria-controls track the panel', () =>
    withHost(env, async (page) => {
      await mockWidget(page);
      const launcher = page.getByRole('button', { name: 'Open chat', exact: true });
      assert.equal(await launcher.count(), 1);
      assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
      const controls = await launcher.getAttribute('aria-controls');
      assert.equal(await inShadow(page, (root, id) => root.getElementById(id)?.getAttribute('part'), controls), 'panel');
      await launcher.click();
      assert.equal(await page.getByRole('dialog', { name: 'Chat' }).isVisible(), true);
      assert.equal(await page.getByRole('button', { name: 'Close chat' }).count(), 2, 'the launcher and the header button');
      assert.equal(await page.getByRole('button', { name: 'Send' }).count(), 1);
      assert.equal(await page.getByRole('textbox', { name: 'Message' }).count(), 1);
      const log = page.getByRole('log', { name: 'Messages' });
      assert.equal(await log.getAttribute('aria-live'), 'polite');
      assert.equal(await inShadow(page, (root) => root.querySelector('[part~=launcher]').getAttribute('aria-expanded')), 'true');
    }));

  test('keyboard: Tab reaches the launcher with a visible focus ring, Enter opens into the composer, Esc and the close button return focus', () =>
    withHost(env, async (page) => {
      await mockWidget(page);
      await page.focus('#before');
      await page.keyboard.press('Tab');
      let focus = await focusState(page);
      assert.equal(focus.part, 'launcher');
      assert.equal(focus.outline, 'solid 3px', 'visible focus');

      await page.keyboard.press('Enter');
      await page.locator('[part~=panel]').waitFor({ state: 'visible' });
      assert.equal((await focusState(page)).part, 'input');
      await page.keyboard.press('Escape');
      await page.locator('[part~=panel]').waitFor({ state: 'hidden' });
      focus = await focusState(page);
      assert.equal(focus.part, 'launcher');
      assert.equal(await inShadow(page, (root) => root.querySelector('[part~=launcher]').getAttribute('aria-expanded')), 'false');

      await page.keyboard.press('Space');
      await page.locator('[part~=panel]').waitFor({ state: 'visible' });
      assert.equal((await focusState(page)).part, 'input');
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Shift+Tab');
      focus = await focusState(page);
      assert.equal(focus.part, 'close');
      assert.equal(focus.outline, 'solid 3px');
      await page.keyboard.press('Enter');
      await page.locator('[part~=panel]').waitFor({ state: 'hidden' });
      assert.equal((await focusState(page)).part, 'launcher');
    }));

  test('no keyboard trap: Tab and Shift+Tab leave the open panel', () =>
    withHost(env, async (page) => {
      await mockWidget(page);
      await page.locator('[part~=launcher]').click();
      const leave = async (key) => {
        for (let i = 0; i < 8; i++) {
          await page.keyboard.press(key);
          const { outside } = await focusState(page);
          if (outside) return outside;
        }
        return null;
      };
      assert.notEqual(await leave('Tab'), null, 'Tab leaves the widget');
      await page.locator('[part~=composer] textarea').focus();
      assert.equal((await focusState(page)).part, 'input');
      assert.equal(await leave('Shift+Tab'), 'before', 'Shift+Tab reaches the host page');
    }));

  test('prefers-reduced-motion turns the launcher transition off', () =>
    withHost(
      env,
      async (page) => {
        await mockWidget(page);
        const reduced = await inShadow(page, (root) => getComputedStyle(root.querySelector('[part~=launcher]')).transitionDuration);
        assert.equal(reduced, '0s');
      },
      { contextOptions: { reducedMotion: 'reduce' } },
    ));
});

describe('contrast', { concurrency: 4 }, () => {
  const hexToRgb = (hex) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

  for (const primaryColor of [undefined, '#2563eb']) {
    test(`header and launcher text meet WCAG AA on both gradient stops${primaryColor ? ` (primaryColor ${primaryColor})` : ' (default colors)'}, or a warning says so`, () =>
      withHost(env, async (page, { seen }) => {
        await initWidget(page, primaryColor ? { primaryColor } : {});
        await waitForEvent(page, 'ready');
        await page.evaluate(() => window.Natter.open());
        const c = await inShadow(page, (root) => ({
          primary: root.host.style.getPropertyValue('--nt-primary'),
          accent: root.host.style.getPropertyValue('--nt-accent'),
          title: getComputedStyle(root.querySelector('[part~=title]')).color,
          launcher: getComputedStyle(root.querySelector('[part~=launcher]')).color,
        }));
        const warned = seen.console.some((m) => m.type === 'warning' && /contrast|WCAG/i.test(m.text));
        for (const stop of [c.primary, c.accent]) {
          for (const text of [c.title, c.launcher]) {
            const r = contrastRatio(text, hexToRgb(stop));
            assert.ok(r >= 4.5 || warned, `${text} on ${stop}: ${r.toFixed(2)}:1 with no warning`);
          }
        }
      }));
  }
});

describe('focus ring contrast', { concurrency: 4 }, () => {
  for (const theme of ['dark', 'auto']) {
    test(`the keyboard focus ring has 3:1 contrast on the dark panel (theme ${theme}, dark color scheme)`, () =>
      withHost(
        env,
        async (page) => {
          await initWidget(page, { theme });
          await waitForEvent(page, 'ready');
          await page.locator('[part~=launcher]').click();
          await page.keyboard.press('Tab'); // composer -> send button
          const c = await inShadow(page, (root) => {
            const send = root.activeElement;
            return {
              part: send?.getAttribute('part'),
              ring: getComputedStyle(send).outlineColor,
              style: getComputedStyle(send).outlineStyle,
              bg: getComputedStyle(root.querySelector('[part~=composer]')).backgroundColor,
            };
          });
          assert.equal(c.part, 'send');
          assert.equal(c.style, 'solid');
          assert.ok(contrastRatio(c.ring, c.bg) >= 3, `${c.ring} on ${c.bg}: ${contrastRatio(c.ring, c.bg).toFixed(2)}:1`);
        },
        { contextOptions: { colorScheme: 'dark' } },
      ));
  }

  test("theme 'auto' follows a live change of the color scheme", () =>
    withHost(env, async (page) => {
      await initWidget(page, { theme: 'auto' });
      await waitForEvent(page, 'ready');
      await page.evaluate(() => window.Natter.open());
      const bg = () => inShadow(page, (root) => getComputedStyle(root.querySelector('[part~=panel]')).backgroundColor);
      await page.emulateMedia({ colorScheme: 'light' });
      assert.equal(await bg(), 'rgb(255, 255, 255)');
      await page.emulateMedia({ colorScheme: 'dark' });
      assert.equal(await bg(), 'rgb(17, 24, 39)');
    }));
});

describe('axe-core reports no violations', { concurrency: 4 }, () => {
  for (const theme of ['light', 'dark']) {
    for (const state of ['closed', 'open']) {
      test(`${theme} theme, ${state} widget`, () =>
        withHost(
          env,
          async (page) => {
            await initWidget(page, { theme });
            await waitForEvent(page, 'ready');
            if (state === 'open') {
              await page.locator('[part~=launcher]').click();
              await sendAndWaitForReply(page, 'See https://example.com/help for help');
              await page.locator('[part~=send]').click(); // shows the refusal hint too
            }
            await page.addScriptTag({ path: AXE });
            const result = await page.evaluate(async () => {
              const { violations, passes } = await window.axe.run(document, { resultTypes: ['violations'] });
              return {
                passes: passes.length,
                // rules that checked nodes inside the widget's shadow root
                inShadow: passes
                  .filter((p) => p.nodes.some((n) => n.target.some((t) => Array.isArray(t) && t[0] === 'natter-widget')))
                  .map((p) => p.id),
                violations: violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' >>> ')) })),
              };
            });
            assert.deepEqual(result.violations, []);
            assert.ok(result.passes > 5, 'axe ran its rules');
            assert.ok(result.inShadow.includes('aria-valid-attr') && result.inShadow.length >= 5, `axe looked inside the shadow root: ${result.inShadow}`);
          },
          { contextOptions: { bypassCSP: true, colorScheme: theme } },
        ));
    }
  }
});
