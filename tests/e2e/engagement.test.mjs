// Bringing the visitor back, in Chromium against the real server under a
// strict CSP: the launcher's modes and commands, the panel and draft kept
// across the pages of a tab, the chime (through an AudioContext spy), the
// flashing title and the preview bubble; each config field in its layers.
// Agent messages come from the server's agent API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, natterMessages } from '../support/browser.mjs';
import { AGENT_TOKEN, agentApi } from '../support/natter-server.mjs';
import { startSite, trackEvent, waitForMessages } from '../support/chat.mjs';
import { embed } from '../support/widget.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const OFF = { launcher: 'hidden', keepOpen: false, sound: false, titleFlash: false, preview: false };

let browser;
let dir;
let site;
before(async () => {
  browser = await launchBrowser();
  dir = mkdtempSync(join(tmpdir(), 'natter-engage-'));
  site = await startEngageSite();
});
after(async () => {
  await site?.close();
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * A site `sk_demo` for the pages' origin, with the rate limits raised (every
 * test loads pages from one address) and `appearance` as its remote config.
 */
async function startEngageSite(appearance = {}, name = 'sites.toml') {
  const config = join(dir, name);
  writeFileSync(
    config,
    [
      '[limits]',
      'handshake_per_minute = 1000',
      'messages_per_minute = 1000',
      'api_per_minute = 10000',
      '[[sites]]',
      'app_key = "sk_demo"',
      'allowed_origins = ["http://127.0.0.1:*"]',
      '[sites.remote.appearance]',
      ...Object.entries(appearance).map(([key, value]) => `${key} = ${JSON.stringify(value)}`),
      '[[sites.agents]]',
      'name = "Agent"',
      `token = "${AGENT_TOKEN}"`,
      '',
    ].join('\n'),
  );
  return startSite(['--config', config], { bot: 'off' });
}

/**
 * A browser context whose pages record `ready`, `unread` and the
 * conversation of every `message`, and count chimes through an
 * AudioContext spy: a chime is an oscillator started on a real context.
 */
async function newContext(options = {}) {
  const context = await browser.newContext(options);
  await trackEvent(context, 'ready', 'version', '__ready');
  await trackEvent(context, 'message', 'conversationId', '__conversations');
  await context.addInitScript(() => {
    const audio = (window.__audio = { contexts: 0, chimes: 0, closed: 0 });
    const Real = window.AudioContext;
    window.AudioContext = class extends Real {
      constructor(...args) {
        super(...args);
        audio.contexts++;
      }
      createOscillator() {
        const tone = super.createOscillator();
        const start = tone.start.bind(tone);
        tone.start = (...args) => {
          audio.chimes++;
          return start(...args);
        };
        return tone;
      }
      close() {
        audio.closed++;
        return super.close();
      }
    };
  });
  return context;
}

/** Runs `body(context)` in a new context (see `newContext`), closed after. */
async function withContext(body, options) {
  const context = await newContext(options);
  try {
    return await body(context);
  } finally {
    await context.close();
  }
}

/** Opens `fixture` of the site in `context`, recording what reaches the console. */
async function openPage(context, fixture = 'engage.html', on = site) {
  const page = await context.newPage();
  const seen = { console: [], pageErrors: [] };
  page.on('console', (m) => seen.console.push({ type: m.type(), text: m.text() }));
  page.on('pageerror', (e) => seen.pageErrors.push(e.message));
  await page.goto(`${on.pages.url}/${fixture}`);
  return { page, seen };
}

/**
 * Embeds the widget for the site with fields given in one layer: `init`
 * (an object for `init()`), `attributes` (`data-*`) or `query`; waits for
 * `ready`.
 */
async function embedWidget(page, { init, attributes = {}, query = '', on = site } = {}) {
  // No fingerprint: every context of this one browser is a visitor of its own.
  const tag = init
    ? { 'data-defer-init': '', 'data-fingerprint': 'false', ...attributes }
    : { 'data-app-key': 'sk_demo', 'data-api-base': on.api.url, 'data-fingerprint': 'false', ...attributes };
  await embed(page, { query, attributes: tag });
  if (init) await page.evaluate((config) => window.Natter.init(config), { appKey: 'sk_demo', apiBase: on.api.url, ...init });
  await page.waitForFunction(() => window.__ready.length > 0);
}

/** Opens a page and embeds the widget (see `embedWidget`). */
async function openWidget(context, options = {}) {
  const opened = await openPage(context, options.fixture, options.on);
  await embedWidget(opened.page, options);
  return opened;
}

/** Runs `fn(shadowRoot, arg)` in the page. */
const inShadow = (page, fn, arg) =>
  page.evaluate(`(${fn})(document.querySelector('[data-natter-widget]').shadowRoot, ${JSON.stringify(arg ?? null)})`);

/** What the widget shows, read through its shadow root. */
const shown = (page) =>
  inShadow(page, (root) => {
    const visible = (part) => root.querySelector(`[part~=${part}]`).checkVisibility();
    return {
      launcher: visible('launcher'),
      panel: visible('panel'),
      mute: visible('mute'),
      muted: root.querySelector('[part~=mute]').getAttribute('aria-pressed'),
      preview: visible('preview') ? root.querySelector('[part~=preview] .peek').textContent : null,
      draft: root.querySelector('[part~=input]').value,
      composerFocused: root.activeElement === root.querySelector('[part~=input]'),
    };
  });

/** The visitor writes through the API (not an interaction) and the server stores it. */
async function visitorWrites(page, text) {
  await page.evaluate((text) => window.Natter.sendMessage(text), text);
  await waitForMessages(page, (list) => list.some((m) => m.text === text && m.state === 'sent'));
}

/** The conversation of the visitor's messages on this page. */
async function conversationOf(page) {
  const id = await page.evaluate(() => window.__conversations.find(Boolean));
  assert.ok(id, 'the visitor has written on this page');
  return id;
}

/**
 * An agent reply through the agent API in conversation `id` (default: this
 * page's); resolves once shown.
 */
async function agentSays(page, text, { on = site, id } = {}) {
  id ??= await conversationOf(page);
  await agentApi(on.api, `/conversations/${id}/messages`, { text });
  await waitForMessages(page, (list) => list.some((m) => m.from === 'agent' && m.text === text));
}

/**
 * Makes the page hidden or visible: headless Chromium keeps every page
 * visible (bringing another page to front, minimizing the window and the
 * lifecycle states leave `visibilityState` alone), so the document's own
 * state is covered while hidden, and a `visibilitychange` event dispatched.
 * Shown again, the browser's state is back (and it is the browser that
 * hides the page when it goes).
 */
const setHidden = (page, hidden) =>
  page.evaluate((hidden) => {
    if (hidden) {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    } else {
      delete document.visibilityState;
      delete document.hidden;
    }
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);

/**
 * Lets the page run the tasks already queued: the widget reacts to a message
 * in the same task (chime, preview) or in a timer of 0 ms queued then
 * (title), which runs before a timer of 0 ms queued after it.
 */
const settle = (page) => page.evaluate(() => new Promise((resolve) => setTimeout(() => setTimeout(resolve, 0), 0)));

const audio = (page) => page.evaluate(() => ({ ...window.__audio }));

/** Nothing escaped to the page, no `[Natter]` error, and the CSP held. */
async function assertClean(page, seen) {
  assert.deepEqual(seen.pageErrors, []);
  assert.deepEqual(natterMessages(seen, 'error'), []);
  assert.deepEqual(seen.console.filter((m) => m.text.includes('Content Security Policy')), []);
}

async function axe(page) {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const { violations } = await window.axe.run(document, { resultTypes: ['violations'] });
    return violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' >>> ')) }));
  });
}

describe('every field in its layers', () => {
  const layers = {
    init: { init: OFF },
    'data-*': {
      attributes: {
        'data-launcher': 'hidden',
        'data-keep-open': 'false',
        'data-sound': 'false',
        'data-title-flash': 'false',
        'data-preview': 'false',
      },
    },
    query: { query: 'launcher=hidden&keepOpen=false&sound=false&titleFlash=false&preview=false' },
  };
  for (const [layer, options] of Object.entries(layers)) {
    test(`${layer}: launcher, keepOpen, sound, titleFlash and preview turned off`, () =>
      withContext(async (context) => {
        const { page, seen } = await openWidget(context, options);
        let state = await shown(page);
        assert.equal(state.launcher, false, 'launcher: hidden');
        // Shown, so that a preview could show beside it.
        await page.evaluate(() => window.Natter.showLauncher());
        // The visitor writes, and clicks and types in the widget.
        await page.evaluate(() => window.Natter.open());
        await page.locator('[part~=input]').click();
        assert.equal((await shown(page)).mute, false, 'sound off: no mute toggle');
        await visitorWrites(page, 'hello');
        await page.evaluate(() => window.Natter.close());
        await setHidden(page, true);
        await agentSays(page, 'How can I help?');
        await settle(page);
        state = await shown(page);
        assert.equal(state.preview, null, 'preview off');
        assert.equal((await audio(page)).chimes, 0, 'sound off');
        assert.equal(await page.title(), 'Engage page', 'titleFlash off');
        await setHidden(page, false);
        // keepOpen off: nothing comes back on the next page.
        await page.evaluate(() => window.Natter.open({ prefill: 'half a thought' }));
        await page.goto(`${site.pages.url}/engage.html?page=2`);
        await embedWidget(page, options);
        state = await shown(page);
        assert.equal(state.panel, false);
        assert.equal(state.draft, '');
        await assertClean(page, seen);
        assert.deepEqual(natterMessages(seen, 'warning'), []);
      }));
  }

  test('remote config: appearance.launcher and appearance.preview, below data-*', async () => {
    const remote = await startEngageSite({ launcher: 'hidden', preview: false, sound: false }, 'remote.toml');
    const context = await newContext();
    try {
      const { page, seen } = await openWidget(context, { on: remote });
      await page.waitForFunction(() =>
        document.querySelector('[data-natter-widget]').shadowRoot.querySelector('[part~=launcher]').hidden,
      );
      assert.equal((await shown(page)).mute, false);
      await visitorWrites(page, 'hello');
      await agentSays(page, 'Hi there', { on: remote });
      assert.equal((await shown(page)).preview, null);
      await assertClean(page, seen);
      // A data-* attribute wins over the remote layer.
      await page.reload();
      await embedWidget(page, { on: remote, attributes: { 'data-launcher': 'visible', 'data-preview': '' } });
      // The visitor's message, the agent's joined line, the agent's reply.
      await waitForMessages(page, (list) => list.length === 3);
      const state = await shown(page);
      assert.equal(state.launcher, true);
      assert.equal(state.preview, 'Hi there');
    } finally {
      await context.close();
      await remote.close();
    }
  });

  test('each bad value is warned about once, and the default kept', () =>
    withContext(async (context) => {
      const { page, seen } = await openWidget(context, {
        init: { launcher: 'sometimes', keepOpen: 'yes', sound: 2, titleFlash: 'nah', preview: {} },
        attributes: { 'data-sound': 'loud' },
      });
      await visitorWrites(page, 'hello');
      assert.deepEqual(natterMessages(seen, 'warning').sort(), [
        '[Natter] ignored keepOpen: expected true or false',
        '[Natter] ignored launcher: expected visible, hidden or whenConversation',
        '[Natter] ignored preview: expected true or false',
        '[Natter] ignored sound: expected true or false',
        '[Natter] ignored sound: expected true or false',
        '[Natter] ignored titleFlash: expected true or false',
      ]);
      const state = await shown(page);
      assert.equal(state.launcher, true);
      assert.equal(state.mute, false, 'the mute toggle is in the closed panel');
      await page.evaluate(() => window.Natter.open());
      assert.equal((await shown(page)).mute, true, 'sound on by default');
      await assertClean(page, seen);
    }));
});

describe('launcher', () => {
  test('whenConversation: no launcher until the visitor writes, open() works, focus returns to the page', () =>
    withContext(async (context) => {
      const { page, seen } = await openWidget(context, { attributes: { 'data-launcher': 'whenConversation' } });
      assert.equal((await shown(page)).launcher, false);
      await page.focus('#outside');
      await page.evaluate(() => window.Natter('open'));
      let state = await shown(page);
      assert.equal(state.panel, true);
      assert.equal(state.launcher, false);
      await page.keyboard.press('Escape');
      assert.equal((await shown(page)).panel, false);
      assert.equal(await page.evaluate(() => document.activeElement.id), 'outside', 'focus back where it was');
      await visitorWrites(page, 'first message');
      assert.equal((await shown(page)).launcher, true, 'shown once there is a conversation');
      // The next page: the handshake names the conversation.
      await page.goto(`${site.pages.url}/engage.html?page=2`);
      await embedWidget(page, { attributes: { 'data-launcher': 'whenConversation' } });
      await page.waitForFunction(() =>
        document.querySelector('[data-natter-widget]').shadowRoot.querySelector('[part~=launcher]').checkVisibility(),
      );
      state = await shown(page);
      assert.equal(state.launcher, true);
      await assertClean(page, seen);
    }));

  test('showLauncher() and hideLauncher() override the config until shutdown', () =>
    withContext(async (context) => {
      const { page, seen } = await openWidget(context, { init: { launcher: 'hidden' } });
      assert.equal((await shown(page)).launcher, false);
      await page.evaluate(() => window.Natter('showLauncher'));
      assert.equal((await shown(page)).launcher, true);
      await page.evaluate(() => window.Natter.hideLauncher());
      assert.equal((await shown(page)).launcher, false);
      await page.evaluate(() => window.Natter.showLauncher());
      assert.equal((await shown(page)).launcher, true);
      // A visible-by-config launcher hides too, and the panel still opens.
      await page.evaluate(() => window.Natter.shutdown());
      await page.evaluate((api) => window.Natter.init({ appKey: 'sk_demo', apiBase: api }), site.api.url);
      await page.waitForFunction(() => window.__ready.length > 1);
      assert.equal((await shown(page)).launcher, true, 'the override went with shutdown');
      await page.evaluate(() => window.Natter('hideLauncher'));
      await page.evaluate(() => window.Natter('open'));
      const state = await shown(page);
      assert.deepEqual([state.launcher, state.panel], [false, true]);
      await assertClean(page, seen);
    }));
});

describe('keepOpen', () => {
  test('the open panel, the draft and the focus in the composer come back on the next page', () =>
    withContext(async (context) => {
      const { page, seen } = await openWidget(context);
      await page.locator('[part~=launcher]').click();
      await page.locator('[part~=input]').fill('half a thought');
      assert.equal((await shown(page)).composerFocused, true);
      await page.goto(`${site.pages.url}/engage.html?page=2`);
      await embedWidget(page);
      const state = await shown(page);
      assert.deepEqual([state.panel, state.draft, state.composerFocused], [true, 'half a thought', true]);
      await assertClean(page, seen);
    }));

  test('focus stays on the page when the visitor had left the composer; a new tab starts afresh', () =>
    withContext(async (context) => {
      const { page, seen } = await openWidget(context);
      await page.locator('[part~=launcher]').click();
      await page.locator('[part~=input]').fill('a draft');
      await page.focus('#outside');
      // Hiding the tab keeps the state (as leaving the page does).
      await setHidden(page, true);
      await setHidden(page, false);
      // Another tab of the same browser: its own session, nothing kept.
      const other = await openWidget(context);
      let state = await shown(other.page);
      assert.deepEqual([state.panel, state.draft], [false, '']);
      await other.page.close();
      await page.goto(`${site.pages.url}/engage.html?page=2`);
      await embedWidget(page);
      state = await shown(page);
      assert.deepEqual([state.panel, state.draft, state.composerFocused], [true, 'a draft', false]);
      assert.equal(await page.evaluate(() => document.activeElement === document.body), true);
      // Sent: nothing kept for a closed panel with an empty composer.
      await page.locator('[part~=input]').press('Enter');
      await waitForMessages(page, (list) => list.some((m) => m.text === 'a draft' && m.state === 'sent'));
      await page.locator('[part~=close]').click();
      await page.goto(`${site.pages.url}/engage.html`);
      await embedWidget(page);
      state = await shown(page);
      assert.deepEqual([state.panel, state.draft], [false, '']);
      await assertClean(page, seen);
    }));

  test('where sessionStorage throws, nothing comes back and the page sees no error', () =>
    withContext(async (context) => {
      await context.addInitScript(() => {
        Object.defineProperty(window, 'sessionStorage', {
          get() {
            throw new DOMException('denied', 'SecurityError');
          },
        });
      });
      const { page, seen } = await openWidget(context);
      await page.locator('[part~=launcher]').click();
      await page.locator('[part~=input]').fill('lost');
      await page.goto(`${site.pages.url}/engage.html?page=2`);
      await embedWidget(page);
      const state = await shown(page);
      assert.deepEqual([state.panel, state.draft], [false, '']);
      await assertClean(page, seen);
    }));
});

describe('sound', () => {
  test('a chime per agent message only after an interaction, none when muted, mute remembered', () =>
    withContext(async (context) => {
      const { page, seen } = await openWidget(context);
      await visitorWrites(page, 'hello');
      await agentSays(page, 'before any click');
      assert.deepEqual(await audio(page), { contexts: 0, chimes: 0, closed: 0 }, 'no interaction yet');
      // Clicks in the widget: open, then close.
      await page.locator('[part~=launcher]').click();
      await page.locator('[part~=close]').click();
      await agentSays(page, 'first');
      assert.deepEqual(await audio(page), { contexts: 1, chimes: 1, closed: 0 });
      await agentSays(page, 'second');
      assert.equal((await audio(page)).chimes, 2, 'one per message, on the same context');
      // Open in a visible tab: the visitor sees it, no chime.
      await page.locator('[part~=launcher]').click();
      await agentSays(page, 'while open');
      assert.equal((await audio(page)).chimes, 2);
      // Open in a hidden tab: a chime.
      await setHidden(page, true);
      await agentSays(page, 'while hidden');
      assert.equal((await audio(page)).chimes, 3);
      await setHidden(page, false);
      // Muted.
      const mute = page.locator('[part~=mute]');
      assert.equal(await mute.getAttribute('aria-pressed'), 'false');
      await mute.click();
      assert.equal(await mute.getAttribute('aria-pressed'), 'true');
      await page.locator('[part~=close]').click();
      await agentSays(page, 'muted');
      assert.equal((await audio(page)).chimes, 3);
      const id = await conversationOf(page);
      // Remembered after a reload, where the next click counts again.
      await page.reload();
      await embedWidget(page);
      await page.locator('[part~=launcher]').click();
      assert.equal((await shown(page)).muted, 'true');
      await page.locator('[part~=close]').click();
      await agentSays(page, 'still muted', { id });
      assert.equal((await audio(page)).chimes, 0);
      await page.locator('[part~=launcher]').click();
      await mute.click();
      await page.locator('[part~=close]').click();
      await agentSays(page, 'unmuted', { id });
      assert.deepEqual(await audio(page), { contexts: 1, chimes: 1, closed: 0 });
      // Shutdown closes the context.
      await page.evaluate(() => window.Natter.shutdown());
      assert.equal((await audio(page)).closed, 1);
      await assertClean(page, seen);
    }));
});

describe('titleFlash', () => {
  const titleIs = (page, title) => page.waitForFunction((title) => document.title === title, title, { polling: 20 });

  test('the title alternates with the unread count and comes back exactly', () =>
    withContext(async (context) => {
      const { page, seen } = await openWidget(context);
      await visitorWrites(page, 'hello');
      await setHidden(page, true);
      await agentSays(page, 'one');
      await titleIs(page, '(1) New message');
      await titleIs(page, 'Engage page');
      await agentSays(page, 'two');
      await titleIs(page, '(2) New message');
      // Shown while the alert shows: the page's own title, exactly.
      await setHidden(page, false);
      assert.equal(await page.title(), 'Engage page');
      // A title the page sets meanwhile is the one that comes back.
      await setHidden(page, true);
      await titleIs(page, '(2) New message');
      await page.evaluate(() => {
        document.title = 'Cart (1) · Shop';
      });
      await titleIs(page, '(2) New message');
      await titleIs(page, 'Cart (1) · Shop');
      await titleIs(page, '(2) New message');
      await setHidden(page, false);
      assert.equal(await page.title(), 'Cart (1) · Shop');
      // Shutdown while the alert shows restores it too.
      await setHidden(page, true);
      await titleIs(page, '(2) New message');
      await page.evaluate(() => window.Natter.shutdown());
      assert.equal(await page.title(), 'Cart (1) · Shop');
      await assertClean(page, seen);
    }));

  test('in Chinese, and not while the tab is visible', () =>
    withContext(async (context) => {
      const { page, seen } = await openWidget(context, { attributes: { 'data-locale': 'zh-CN' } });
      await visitorWrites(page, 'hello');
      await agentSays(page, 'visible');
      await settle(page);
      assert.equal(await page.title(), 'Engage page');
      await setHidden(page, true);
      await titleIs(page, '(1) 条新消息');
      await setHidden(page, false);
      assert.equal(await page.title(), 'Engage page');
      await assertClean(page, seen);
    }));
});

describe('preview', () => {
  test('an agent message shows beside the closed launcher; dismissed until the next; its text opens the panel', () =>
    withContext(async (context) => {
      const { page, seen } = await openWidget(context);
      await page.focus('#outside');
      await visitorWrites(page, 'hello');
      await agentSays(page, 'We ship worldwide, usually within two working days of the order.');
      let state = await shown(page);
      assert.equal(state.preview, 'We ship worldwide, usually within two working days of the order.');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'outside', 'no focus taken');
      // One line, cut by CSS.
      const cut = await inShadow(page, (root) => {
        const peek = root.querySelector('[part~=preview] .peek');
        return { overflow: getComputedStyle(peek).textOverflow, wider: peek.scrollWidth > peek.clientWidth };
      });
      assert.deepEqual(cut, { overflow: 'ellipsis', wider: true });
      const dismiss = page.locator('[part~=preview] .dismiss');
      assert.equal(await dismiss.getAttribute('aria-label'), 'Dismiss message preview');
      await dismiss.click();
      assert.equal((await shown(page)).preview, null);
      await agentSays(page, 'Still there?');
      assert.equal((await shown(page)).preview, 'Still there?', 'the next message shows again');
      await page.locator('[part~=preview] .dismiss').click();
      await agentSays(page, 'Anything else?');
      assert.equal((await shown(page)).preview, 'Anything else?');
      await page.locator('[part~=preview] .peek').click();
      state = await shown(page);
      assert.deepEqual([state.panel, state.preview], [true, null]);
      // Read: nothing to preview once closed.
      await page.locator('[part~=close]').click();
      assert.equal((await shown(page)).preview, null);
      await assertClean(page, seen);
    }));

  test('the bubble sits beside the launcher in every corner', async () => {
    for (const position of ['br', 'bl', 'tr', 'tl']) {
      const context = await newContext();
      try {
        const { page, seen } = await openWidget(context, { attributes: { 'data-position': position } });
        await visitorWrites(page, 'hello');
        await agentSays(page, `Hello from ${position}`);
        const box = await inShadow(page, (root) => {
          const rect = (part) => root.querySelector(`[part~=${part}]`).getBoundingClientRect().toJSON();
          return { launcher: rect('launcher'), preview: rect('preview'), width: innerWidth, height: innerHeight };
        });
        const { launcher, preview } = box;
        if (position[0] === 'b') assert.ok(preview.bottom <= launcher.top, `${position}: above the launcher`);
        else assert.ok(preview.top >= launcher.bottom, `${position}: below the launcher`);
        if (position[1] === 'r') assert.equal(Math.round(preview.right), Math.round(launcher.right), position);
        else assert.equal(Math.round(preview.left), Math.round(launcher.left), position);
        assert.ok(preview.left >= 0 && preview.right <= box.width && preview.top >= 0 && preview.bottom <= box.height);
        await assertClean(page, seen);
      } finally {
        await context.close();
      }
    }
  });
});

describe('accessibility', () => {
  // axe-core is injected as a script, which the strict CSP refuses: these
  // pages are opened in contexts that bypass it.
  test('axe finds nothing on the open panel with the mute toggle', () =>
    withContext(async (context) => {
      const { page } = await openWidget(context);
      await page.locator('[part~=launcher]').click();
      await visitorWrites(page, 'hello');
      await page.locator('[part~=mute]').click();
      const mute = await inShadow(page, (root) => {
        const button = root.querySelector('[part~=mute]');
        return { tag: button.tagName, label: button.getAttribute('aria-label'), pressed: button.getAttribute('aria-pressed') };
      });
      assert.deepEqual(mute, { tag: 'BUTTON', label: 'Mute new message sound', pressed: 'true' });
      assert.deepEqual(await axe(page), []);
    }, { bypassCSP: true }));

  test('axe finds nothing on the page with the preview bubble', () =>
    withContext(async (context) => {
      const { page } = await openWidget(context);
      await visitorWrites(page, 'hello');
      await agentSays(page, 'A reply to preview');
      assert.equal((await shown(page)).preview, 'A reply to preview');
      assert.deepEqual(await axe(page), []);
    }, { bypassCSP: true }));
});
