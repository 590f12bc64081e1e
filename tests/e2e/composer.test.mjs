// The composer (Enter, Shift+Enter, IME, refusals with a visible reason,
// prefill, growth) and message rendering: XSS payloads in messages and
// config stay text, only http(s) URLs become links.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertNothingInjected,
  domEvents,
  initWidget,
  inShadow,
  messageRows,
  mockWidget,
  sendAndWaitForReply,
  useBrowser,
  waitForEvent,
  waitForRows,
  withHost,
} from '../support/widget.mjs';

const env = useBrowser();

/** A mock widget with the panel opened by a click, so the composer has focus. */
async function opened(page, attributes) {
  await mockWidget(page, attributes);
  await page.locator('[part~=launcher]').click();
  await page.locator('[part~=panel]').waitFor({ state: 'visible' });
}
const run = (body, attributes, options) =>
  withHost(
    env,
    async (page, ctx) => {
      await opened(page, attributes);
      await body(page, ctx);
    },
    options,
  );

const input = (page) =>
  inShadow(page, (root) => {
    const el = root.querySelector('[part~=composer] textarea');
    const hint = root.querySelector('[part~=hint]');
    return {
      value: el.value,
      focused: root.activeElement === el,
      height: el.getBoundingClientRect().height,
      hint: hint.checkVisibility() ? hint.textContent : null,
      hintRole: hint.getAttribute('role'),
    };
  });

/** Dispatches a synthetic keydown on the composer, as an IME would. */
const imeEnter = (page, init) =>
  inShadow(
    page,
    (root, init) => {
      const el = root.querySelector('[part~=composer] textarea');
      const event = new KeyboardEvent('keydown', { key: 'Enter', code: 'Enter', bubbles: true, cancelable: true, composed: true, ...init });
      el.dispatchEvent(event);
      return event.defaultPrevented;
    },
    init,
  );

describe('composer', { concurrency: 4 }, () => {
  test('Enter sends, clears the composer and keeps focus in it', () =>
    run(async (page) => {
      assert.equal((await input(page)).focused, true, 'opening focused the composer');
      await page.keyboard.type('Hello from the keyboard');
      await page.keyboard.press('Enter');
      await waitForRows(page, 1);
      const [first] = await messageRows(page);
      assert.deepEqual([first.from, first.text], ['visitor', 'Hello from the keyboard']);
      const after = await input(page);
      assert.equal(after.value, '');
      assert.equal(after.focused, true);
      await waitForRows(page, 2);
      assert.deepEqual((await messageRows(page))[1].text, '[mock] Hello from the keyboard');
    }));

  test('a sent message is added to the live log once: its acknowledgement updates the row in place', () =>
    run(async (page) => {
      // Every row node added to the role=log list is announced by a screen
      // reader; the acknowledgement must not add the message a second time.
      await inShadow(page, (root) => {
        const list = root.querySelector('[role=log]');
        window.__added = [];
        new MutationObserver((records) => {
          for (const r of records) for (const n of r.addedNodes) if (n.classList?.contains('msg')) window.__added.push(n.textContent);
        }).observe(list, { childList: true });
      });
      await sendAndWaitForReply(page, 'Said once');
      const added = await page.evaluate(() => window.__added);
      assert.equal(added.filter((text) => text.includes('Said once') && !text.includes('[mock]')).length, 1, JSON.stringify(added));
      const [mine] = await messageRows(page);
      assert.equal(mine.text, 'Said once');
      assert.equal(await inShadow(page, (root) => root.querySelector('.msg.visitor').className), 'msg visitor');
    }));

  test('the send button sends too', () =>
    run(async (page) => {
      await page.keyboard.type('Clicked');
      await page.locator('[part~=send]').click();
      await waitForRows(page, 1);
      assert.equal((await messageRows(page))[0].text, 'Clicked');
    }));

  test('Shift+Enter inserts a newline and does not send', () =>
    run(async (page) => {
      await page.keyboard.type('line one');
      await page.keyboard.press('Shift+Enter');
      await page.keyboard.type('line two');
      assert.equal((await input(page)).value, 'line one\nline two');
      assert.deepEqual(await messageRows(page), []);
      await page.keyboard.press('Enter');
      await waitForRows(page, 1);
      assert.equal((await messageRows(page))[0].text, 'line one\nline two');
    }));

  test('Enter that confirms an IME composition does not send (isComposing, keyCode 229)', () =>
    run(async (page) => {
      await page.keyboard.type('ni hao');
      assert.equal(await imeEnter(page, { isComposing: true }), false, 'not prevented: the IME handles it');
      assert.equal(await imeEnter(page, { keyCode: 229 }), false);
      assert.equal((await input(page)).value, 'ni hao');
      // A plain Enter afterwards sends exactly once: the IME Enters sent nothing.
      await page.keyboard.press('Enter');
      await waitForRows(page, 1);
      await waitForEvent(page, 'message');
      const sent = (await domEvents(page, 'message')).filter((e) => e.detail.from === 'visitor');
      assert.deepEqual(sent.map((e) => e.detail.text), ['ni hao']);
    }));

  test('empty, whitespace-only and over-4000-character messages are refused with a visible reason', () =>
    run(async (page) => {
      await page.locator('[part~=send]').click();
      let state = await input(page);
      assert.equal(state.hint, 'Write something before sending.');
      assert.equal(state.hintRole, 'alert');

      await page.locator('[part~=composer] textarea').fill('   \n\t  ');
      assert.equal((await input(page)).hint, null, 'typing hides the reason');
      await page.keyboard.press('Enter');
      assert.equal((await input(page)).hint, 'Write something before sending.');

      const long = 'a'.repeat(4001);
      await page.locator('[part~=composer] textarea').fill(long);
      await page.keyboard.press('Enter');
      state = await input(page);
      assert.match(state.hint, /4000/);
      assert.equal(state.value, long, 'the text is kept so it can be shortened');
      assert.deepEqual(await messageRows(page), []);

      await page.keyboard.press('Backspace');
      assert.equal((await input(page)).hint, null);
      await page.keyboard.press('Enter');
      await waitForRows(page, 1);
      assert.equal((await messageRows(page))[0].text.length, 4000);
      assert.deepEqual(
        (await domEvents(page, 'error')).map((e) => e.detail.code),
        ['empty_text', 'empty_text', 'text_too_long'],
      );
    }));

  test('open({prefill}) fills the composer and focuses it, replacing earlier text', () =>
    withHost(env, async (page) => {
      await mockWidget(page);
      await page.evaluate(() => window.Natter.open({ prefill: 'I want to ask about my order' }));
      await page.locator('[part~=panel]').waitFor({ state: 'visible' });
      assert.deepEqual(
        (({ value, focused }) => ({ value, focused }))(await input(page)),
        { value: 'I want to ask about my order', focused: true },
      );
      await page.evaluate(() => window.Natter('open', { prefill: 'Second thought' }));
      assert.equal((await input(page)).value, 'Second thought');
      await page.keyboard.press('Enter');
      await waitForRows(page, 1);
      assert.equal((await messageRows(page))[0].text, 'Second thought');
    }));

  test('the composer grows with its text up to a maximum height', () =>
    run(async (page) => {
      const one = (await input(page)).height;
      await page.keyboard.type('1');
      for (const n of [2, 3, 4]) {
        await page.keyboard.press('Shift+Enter');
        await page.keyboard.type(String(n));
      }
      const four = (await input(page)).height;
      assert.ok(four > one + 30, `grew: ${one} -> ${four}`);
      await page.locator('[part~=composer] textarea').fill(Array.from({ length: 30 }, (_, i) => i).join('\n'));
      const many = (await input(page)).height;
      assert.ok(many <= 124, `capped: ${many}`);
    }));
});

describe('message text is text', { concurrency: 4 }, () => {
  const PAYLOAD = [
    `<img src=x onerror="window.__pwned='img'">`,
    `<script>window.__pwned='script'</script>`,
    `"><svg onload="window.__pwned='svg'">`,
    `<a href="javascript:window.__pwned='a'">click me</a>`,
    `<iframe srcdoc="<script>parent.__pwned='iframe'</script>"></iframe>`,
    `<style>*{display:none}</style>`,
  ].join(' ');

  test('HTML in a visitor message and in the agent echo is shown literally and never runs', () =>
    run(async (page) => {
      await page.locator('[part~=composer] textarea').fill(PAYLOAD);
      await page.keyboard.press('Enter');
      await waitForRows(page, 2);
      const rows = await inShadow(page, (root) =>
        [...root.querySelectorAll('[part~=message] .bubble')].map((b) => ({ text: b.textContent, elements: b.children.length })),
      );
      assert.deepEqual(rows, [
        { text: PAYLOAD, elements: 0 },
        { text: `[mock] ${PAYLOAD}`, elements: 0 },
      ]);
      for (const bubble of await page.locator('[part~=message] .bubble').all()) await bubble.click();
      await assertNothingInjected(page);
    }));

  test('HTML in nickname, headerTitle, headerSubtitle and buttonLabel is shown as text', () =>
    withHost(env, async (page) => {
      const img = `<img src=x onerror="window.__pwned=1">`;
      await initWidget(page, {
        nickname: img,
        headerTitle: `<b>${img}</b>`,
        headerSubtitle: `<script>window.__pwned=2</script>`,
        buttonShape: 'pill',
        buttonLabel: img,
      });
      await waitForEvent(page, 'ready');
      await page.evaluate((img) => window.Natter.identify({ nickname: img }), img);
      await page.locator('[part~=launcher]').click();
      await page.locator('[part~=panel]').waitFor({ state: 'visible' });
      const shown = await inShadow(page, (root) => ({
        title: root.querySelector('[part~=title]').textContent,
        subtitle: root.querySelector('[part~=subtitle]').textContent,
        label: root.querySelector('[part~=launcher] .label').textContent,
        elements: root.querySelectorAll('b, img, script').length,
      }));
      assert.deepEqual(shown, {
        title: `<b>${img}</b>`,
        subtitle: `<script>window.__pwned=2</script>`,
        label: img,
        elements: 0,
      });
      await sendAndWaitForReply(page, 'hello');
      await assertNothingInjected(page);
    }));

  test('http(s) URLs become links that open safely in a new tab; other schemes stay text', () =>
    run(async (page) => {
      const text =
        'Docs: https://example.com/a?b=1&c=(x), or HTTP://test.invalid/path. Not: javascript:alert(1) ' +
        'JaVaScRiPt:window.__pwned=1 data:text/html,hi ftp://x.test/f and a bare https:// here; ' +
        'https://evil.test/"onmouseover="window.__pwned=2 https://evil.test/<img src=x onerror=window.__pwned=3>';
      await page.evaluate((text) => window.Natter.sendMessage(text), text);
      await waitForRows(page, 2);
      const links = await inShadow(page, (root) =>
        [...root.querySelectorAll('[part~=message] .bubble')].map((bubble) => ({
          text: bubble.textContent,
          links: [...bubble.querySelectorAll('a')].map((a) => ({
            href: a.getAttribute('href'),
            text: a.textContent,
            target: a.getAttribute('target'),
            rel: a.getAttribute('rel'),
          })),
        })),
      );
      const expected = ['https://example.com/a?b=1&c=(x)', 'HTTP://test.invalid/path', 'https://evil.test/', 'https://evil.test/'].map((href) => ({
        href,
        text: href,
        target: '_blank',
        rel: 'noopener noreferrer',
      }));
      assert.deepEqual(links, [
        { text, links: expected },
        { text: `[mock] ${text}`, links: expected },
      ]);
      await page.locator('[part~=message] a').first().hover();
      await assertNothingInjected(page);
    }));
});
