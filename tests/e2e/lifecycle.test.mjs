// The conversation's life cycle in Chromium against the real server (with
// its test hooks): availability in the header and as events (agents coming
// and going, the site's hours crossed by the server's test clock), ending a
// chat from the header menu (confirmed), with `endChat()` and by an agent,
// the life-cycle lines and events, the next message starting a new
// conversation, an agent joining and typing, the rating card (stored,
// changed, keyboard only, refused, over the socket and by polling),
// `getState()` from the npm package and the CDN global, and axe on the menu,
// the confirmation and the card.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../support/browser.mjs';
import { AGENT_TOKEN, agentApi } from '../support/natter-server.mjs';
import { conversationId, shownMessages, typeAndSend, waitForMessages, withSite } from '../support/chat.mjs';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const NPM = fileURLToPath(new URL('../../dist/npm/dist/', import.meta.url));
/** The life-cycle events, recorded from the page's first script on. */
const EVENTS = ['ready', 'availability', 'conversationStarted', 'agentJoined', 'conversationEnded', 'typing', 'rating', 'error'];

let browser;
let dir;
before(async () => {
  browser = await launchBrowser();
  dir = mkdtempSync(join(tmpdir(), 'natter-lifecycle-'));
});
after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Runs in the page before its scripts: subscribes to `names` through the
// documented snippet queue, into `window.__life`.
function recordEvents(names) {
  window.__life = [];
  window.Natter =
    window.Natter ||
    function () {
      (window.Natter.q = window.Natter.q || []).push(arguments);
    };
  for (const name of names) window.Natter('on', name, (detail) => window.__life.push({ name, detail }));
}

/** Opens the chat page (strict CSP, API on another origin) with events recorded; the panel open. */
async function openChat(site, context) {
  await context.addInitScript(recordEvents, EVENTS);
  const page = await context.newPage();
  const seen = { errors: [], pageErrors: [] };
  page.on('console', (m) => m.type() === 'error' && m.text().startsWith('[Natter]') && seen.errors.push(m.text()));
  page.on('pageerror', (e) => seen.pageErrors.push(e.message));
  await page.goto(`${site.pages.url}/chat.html`);
  await page.locator('[part~=launcher]').click();
  await waitFor(page, 'ready');
  return { page, seen };
}

/** The recorded events, optionally of one name: `{name, detail}`. */
const events = (page, name) => page.evaluate((name) => window.__life.filter((e) => !name || e.name === name), name);

/** Waits until `name` has been recorded `count` times; returns those events' details. */
async function waitFor(page, name, count = 1) {
  await page.waitForFunction(([name, count]) => window.__life.filter((e) => e.name === name).length >= count, [name, count], {
    timeout: 15000,
  });
  return (await events(page, name)).map((e) => e.detail);
}

const inShadow = (page, fn, arg) =>
  page.evaluate(`(${fn})(document.querySelector('[data-natter-widget]').shadowRoot, ${JSON.stringify(arg ?? null)})`);
const status = (page) => inShadow(page, (root) => root.querySelector('[part~=subtitle]').textContent.trim());
const notice = (page) =>
  inShadow(page, (root) => {
    const el = root.querySelector('[part~=notice]');
    return el.hidden ? null : el.textContent;
  });
/** The element focused inside the widget: its class. */
const focused = (page) => inShadow(page, (root) => root.activeElement?.className ?? null);

/** axe-core on the widget, inside its shadow root: the violations (the test page itself is not under test). */
async function axe(page) {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    const { violations, passes } = await window.axe.run({ include: [['natter-widget']] }, { resultTypes: ['violations'] });
    return {
      checked: passes.filter((p) => p.nodes.some((n) => n.target.some((t) => Array.isArray(t)))).length,
      violations: violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' >>> ')) })),
    };
  });
  assert.ok(result.checked >= 5, 'axe looked inside the shadow root');
  return result.violations;
}

/** Nothing escaped to the page and the widget reported no error. */
function assertClean(seen) {
  assert.deepEqual(seen.pageErrors, []);
  assert.deepEqual(seen.errors, []);
}

/**
 * A site config file: `sk_demo` for the test pages, its agent Ada, an
 * offline message; `fields` are more of the site's TOML lines, `tables` its
 * sub-tables.
 */
function siteConfig(name, { fields = [], tables = [] } = {}) {
  const file = join(dir, `${name}.toml`);
  const lines = ['[[sites]]', 'app_key = "sk_demo"', 'allowed_origins = ["http://127.0.0.1:*"]', ...fields];
  lines.push('[sites.remote]', 'offline_message = "Back on Monday; leave us a note."', ...tables);
  lines.push('[[sites.agents]]', 'name = "Ada"', `token = "${AGENT_TOKEN}"`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

let sites = 0;
/** Runs `fn(site, context)` on a fresh server (`args`) for a site of `siteConfig(config)`, without the bot. */
const withChat = (args, fn, config) =>
  withSite(browser, ['--config', siteConfig(`site-${++sites}`, config), ...args], fn, { bot: 'off' });

/** Sets the server's test clock. */
async function setClock(site, nowMs) {
  const res = await fetch(`${site.api.url}/api/v1/test/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nowMs }),
  });
  assert.equal(res.status, 200, await res.text());
}

/** An agent socket opened from a blank page of the browser; `close()` closes it. */
async function agentSocket(site, context) {
  const page = await context.newPage();
  await page.evaluate(
    ([url, token]) =>
      new Promise((resolve, reject) => {
        window.__agent = new WebSocket(url, ['natter.agent.v1', `bearer.${token}`]);
        window.__agent.onopen = resolve;
        window.__agent.onerror = () => reject(new Error('agent socket refused'));
      }),
    [`${site.api.url.replace(/^http/, 'ws')}/api/v1/agent/ws`, AGENT_TOKEN],
  );
  return {
    send: (frame) => page.evaluate((frame) => window.__agent.send(JSON.stringify(frame)), frame),
    close: () => page.close(),
  };
}

/** Sends a message and waits until the server has it; returns the conversation's id. */
async function startConversation(page, site, text) {
  await typeAndSend(page, text);
  await waitForMessages(page, (l) => l.some((m) => m.text === text && m.state === 'sent'));
  return conversationId(site.api);
}

const systemLines = async (page) => (await shownMessages(page)).filter((m) => m.from === 'system').map((m) => m.text);

describe('availability', () => {
  test('the header and the event follow agents connecting and leaving; ready and getState carry it', () =>
    withChat(
      [],
      async (site, context) => {
        const { page, seen } = await openChat(site, context);
        assert.deepEqual(await waitFor(page, 'availability'), [{ state: 'away' }]);
        assert.match(await status(page), /^Away/);
        assert.equal(await notice(page), null, 'no offline note while only away');
        const [ready] = await waitFor(page, 'ready');
        assert.ok('availability' in ready, 'ready carries availability');
        const agent = await agentSocket(site, context);
        assert.deepEqual((await waitFor(page, 'availability', 2))[1], { state: 'online' });
        assert.match(await status(page), /^Online/);
        const state = await page.evaluate(() => new Promise((resolve) => window.Natter.getState(resolve)));
        assert.deepEqual(state.availability, { state: 'online' });
        await agent.close();
        assert.deepEqual((await waitFor(page, 'availability', 3))[2], { state: 'away' });
        assert.match(await status(page), /^Away/);
        assertClean(seen);
      },
    ));

  test('outside the hours: offline with the local time they begin, the offline note, messages still sent; the clock crossing the boundary changes it', () => {
    const monday9 = Date.UTC(2026, 11, 7, 9, 0);
    const hours = { tables: ['[sites.hours]', 'time_zone = "UTC"', 'mon = ["09:00-17:00"]'] };
    return withChat(
      [],
      async (site, context) => {
        await setClock(site, monday9 - 60 * 60 * 1000);
        const { page, seen } = await openChat(site, context);
        const [offline] = await waitFor(page, 'availability');
        assert.equal(offline.state, 'offline');
        assert.equal(Date.parse(offline.nextOpenAt), monday9);
        const local = await page.evaluate(
          (at) => new Date(at).toLocaleString('en-US', { weekday: 'short', hour: 'numeric', minute: '2-digit' }),
          offline.nextOpenAt,
        );
        assert.equal(await status(page), `Offline · back ${local}`);
        assert.equal(await notice(page), 'Back on Monday; leave us a note.');
        await startConversation(page, site, 'Anyone there?');
        // In Chinese: the status line and the time in the widget's language.
        await page.evaluate(() => window.Natter.setLocale('zh-CN'));
        const zh = await page.evaluate(
          (at) => new Date(at).toLocaleString('zh-CN', { weekday: 'short', hour: 'numeric', minute: '2-digit' }),
          offline.nextOpenAt,
        );
        assert.equal(await status(page), `离线 · 恢复时间 ${zh}`);
        await setClock(site, monday9 + 1000);
        assert.deepEqual((await waitFor(page, 'availability', 2))[1], { state: 'away' });
        assert.equal(await notice(page), null);
        assertClean(seen);
      },
      hours,
    );
  });
});

describe('ending a chat', () => {
  test('by the visitor from the header menu, confirmed; the next message starts a new conversation', () =>
    withChat(
      [],
      async (site, context) => {
        const { page, seen } = await openChat(site, context);
        const menuItem = page.locator('[part~=menuitem]');
        // Nothing to end yet.
        await page.locator('[part~=menu]').click();
        assert.equal(await menuItem.getAttribute('aria-disabled'), 'true');
        await page.keyboard.press('Escape');
        const first = await startConversation(page, site, 'Hello there');
        assert.deepEqual(await waitFor(page, 'conversationStarted'), [{ conversationId: first }]);

        // The menu by keyboard: opens on its first item, arrows stay in it,
        // Escape closes it and gives focus back to its button (the panel stays).
        await page.locator('[part~=menu]').focus();
        await page.keyboard.press('Enter');
        assert.equal(await page.locator('[part~=menu]').getAttribute('aria-expanded'), 'true');
        assert.equal(await focused(page), 'end-chat');
        assert.equal(await menuItem.getAttribute('aria-disabled'), 'false');
        assert.deepEqual(await axe(page), [], 'axe with the menu open');
        await page.keyboard.press('ArrowDown');
        await page.keyboard.press('End');
        assert.equal(await focused(page), 'end-chat');
        await page.keyboard.press('Escape');
        assert.equal(await page.locator('[role=menu]').isVisible(), false);
        assert.equal(await focused(page), 'more');
        assert.equal(await page.locator('[part~=panel]').isVisible(), true);
        // A click outside closes it.
        await page.locator('[part~=menu]').click();
        await page.locator('h1').click();
        assert.equal(await page.locator('[role=menu]').isVisible(), false);

        // End chat asks first; Cancel keeps the conversation.
        await page.locator('[part~=menu]').click();
        await menuItem.click();
        const confirm = page.locator('.confirm');
        assert.equal(await confirm.isVisible(), true);
        assert.equal(await focused(page), 'cancel');
        assert.deepEqual(await axe(page), [], 'axe with the confirmation');
        await page.getByRole('button', { name: 'Cancel' }).click();
        assert.equal(await confirm.isVisible(), false);
        assert.deepEqual(await events(page, 'conversationEnded'), []);
        await page.locator('[part~=menu]').click();
        await menuItem.click();
        await page.getByRole('button', { name: 'End', exact: true }).click();
        assert.deepEqual(await waitFor(page, 'conversationEnded'), [{ conversationId: first, by: 'visitor' }]);
        await waitForMessages(page, (l) => l.some((m) => m.from === 'system' && m.text === 'You ended the chat.'));
        assert.equal(await menuItem.getAttribute('aria-disabled'), 'true');
        const { conversation } = await agentApi(site.api, `/conversations/${first}`);
        assert.equal(conversation.status, 'closed');
        assert.equal(conversation.endedBy, 'visitor');

        // The ended conversation stays in view; the next message starts another.
        const second = await startConversation(page, site, 'One more thing');
        assert.notEqual(second, first);
        assert.deepEqual(await waitFor(page, 'conversationStarted', 2), [{ conversationId: first }, { conversationId: second }]);
        const texts = (await shownMessages(page)).map((m) => m.text);
        assert.deepEqual(texts, ['Hello there', 'You ended the chat.', 'One more thing']);
        assert.equal(await page.evaluate(() => window.Natter.getState(() => {}))?.conversationId ?? null, null, 'the CDN form answers through the callback');
        assert.deepEqual((await events(page, 'conversationEnded')).length, 1, 'each end evented once');
        assertClean(seen);
      },
    ));

  for (const [transport, args] of [
    ['over the WebSocket', []],
    ['by polling', ['--no-websocket']],
  ]) {
    test(`endChat() asks nothing; an agent ends the next one through the agent API; joined and typing (${transport})`, () =>
      withChat(
      args,
        async (site, context) => {
          const { page, seen } = await openChat(site, context);
          // Without a conversation, endChat() does nothing.
          await page.evaluate(() => window.Natter.endChat());
          const first = await startConversation(page, site, 'Please close this');
          await page.evaluate(() => window.Natter.endChat());
          assert.deepEqual(await waitFor(page, 'conversationEnded'), [{ conversationId: first, by: 'visitor' }]);
          assert.equal(await page.locator('.confirm').isVisible(), false, 'endChat() does not ask');

          const second = await startConversation(page, site, 'A new question');
          assert.deepEqual((await waitFor(page, 'conversationStarted', 2))[1], { conversationId: second });
          await agentApi(site.api, `/conversations/${second}/join`, {});
          assert.deepEqual(await waitFor(page, 'agentJoined'), [{ conversationId: second, agentName: 'Ada' }]);
          if (!args.length) {
            const agent = await agentSocket(site, context);
            await agent.send({ type: 'typing', conversationId: second, active: true });
            assert.deepEqual(await waitFor(page, 'typing'), [{ from: 'agent', active: true }]);
            await agentApi(site.api, `/conversations/${second}/messages`, { text: 'Done, closing now.' });
            assert.deepEqual((await waitFor(page, 'typing', 2))[1], { from: 'agent', active: false });
            await agent.close();
          }
          await agentApi(site.api, `/conversations/${second}/close`, {});
          assert.deepEqual((await waitFor(page, 'conversationEnded', 2))[1], { conversationId: second, by: 'agent' });
          await waitForMessages(page, (l) => l.some((m) => m.text === 'Ada ended the chat.'));
          assert.deepEqual(await systemLines(page), ['You ended the chat.', 'Ada joined the chat.', 'Ada ended the chat.']);
          assert.equal((await events(page, 'agentJoined')).length, 1);
          assert.equal((await events(page, 'conversationEnded')).length, 2);
          assertClean(seen);
        },
        ));
  }

  test('history loaded with the page shows its life-cycle lines in the widget language and fires nothing', () =>
    withChat(
      [],
      async (site, context) => {
        const { page } = await openChat(site, context);
        const id = await startConversation(page, site, 'Before the reload');
        await agentApi(site.api, `/conversations/${id}/join`, {});
        await waitFor(page, 'agentJoined');
        await page.evaluate(() => window.Natter.setLocale('zh-CN'));
        await page.evaluate(() => window.__life.splice(0));
        await page.reload();
        await page.locator('[part~=launcher]').click();
        await waitForMessages(page, (l) => l.some((m) => m.text === 'Ada 加入了对话。'));
        await waitFor(page, 'ready');
        assert.deepEqual(await events(page, 'agentJoined'), []);
        assert.deepEqual(await events(page, 'conversationStarted'), []);
        assert.deepEqual(await page.evaluate(() => new Promise((resolve) => window.Natter.getState(resolve))).then((s) => s.conversationId), id);
      },
    ));
});

describe('the rating card', () => {
  for (const [transport, args] of [
    ['over the WebSocket', []],
    ['by polling', ['--no-websocket']],
  ]) {
    test(`after an end: keyboard only, stored, thanked, changed (${transport})`, () =>
      withChat(
      args,
        async (site, context) => {
          const { page, seen } = await openChat(site, context);
          const id = await startConversation(page, site, 'Rate me');
          const card = page.locator('[part~=rating]');
          assert.equal(await card.isVisible(), false, 'no card while the conversation is open');
          await agentApi(site.api, `/conversations/${id}/close`, {});
          await card.waitFor({ state: 'visible' });
          assert.deepEqual(await axe(page), [], 'axe with the rating card');
          const group = page.getByRole('radiogroup', { name: 'How was this chat?' });
          assert.equal(await group.getByRole('radio').count(), 5);

          // Keyboard only: the group is one tab stop, arrows choose.
          await group.getByRole('radio').first().focus();
          await page.keyboard.press('ArrowRight');
          await page.keyboard.press('ArrowRight');
          await page.keyboard.press('ArrowRight');
          assert.equal(await group.getByRole('radio', { checked: true }).getAttribute('value'), '4');
          await page.keyboard.press('Tab');
          await page.keyboard.type('Quick and kind');
          await page.keyboard.press('Tab');
          await page.keyboard.press('Enter');
          assert.deepEqual(await waitFor(page, 'rating'), [{ conversationId: id, scale: 'csat', score: 4, comment: 'Quick and kind' }]);
          await page.getByText('Thanks for your rating: 4 / 5').waitFor();
          const stored = await agentApi(site.api, '/ratings');
          assert.deepEqual(
            stored.ratings.map((r) => [r.conversationId, r.scale, r.score, r.comment]),
            [[id, 'csat', 4, 'Quick and kind']],
          );

          // Changed within the day: the card asks again with the choice kept.
          await page.getByRole('button', { name: 'Change' }).click();
          assert.equal(await group.getByRole('radio', { checked: true }).getAttribute('value'), '4');
          assert.equal(await card.locator('.comment input').inputValue(), 'Quick and kind');
          await group.getByRole('radio', { name: '5' }).click();
          await page.getByRole('button', { name: 'Send rating' }).click();
          assert.deepEqual((await waitFor(page, 'rating', 2))[1], { conversationId: id, scale: 'csat', score: 5, comment: 'Quick and kind' });
          await page.getByText('Thanks for your rating: 5 / 5').waitFor();
          assert.deepEqual((await agentApi(site.api, '/ratings')).ratings.map((r) => r.score), [5]);

          // The next conversation takes the card away.
          await startConversation(page, site, 'Another thing');
          await card.waitFor({ state: 'hidden' });
          assertClean(seen);
        },
        ));
  }

  test('a refused rating says why and keeps the choice; sent again it is stored', () =>
    withChat(
      [],
      async (site, context) => {
        const { page, seen } = await openChat(site, context);
        const id = await startConversation(page, site, 'Rate me');
        await page.evaluate(() => window.Natter.endChat());
        const card = page.locator('[part~=rating]');
        await card.waitFor({ state: 'visible' });
        // The server gets a score off its scale and refuses it.
        await context.route(/\/rating$/, (route) =>
          route.fetch({ postData: JSON.stringify({ ...route.request().postDataJSON(), score: 9 }) }).then((response) => route.fulfill({ response })),
        );
        await card.getByRole('radio', { name: '2' }).click();
        await card.locator('.comment input').fill('Slow');
        await page.getByRole('button', { name: 'Send rating' }).click();
        const error = card.getByRole('alert');
        await error.waitFor();
        assert.match(await error.textContent(), /^Your rating was not sent: \S/);
        assert.equal(await card.getByRole('radio', { checked: true }).getAttribute('value'), '2');
        assert.equal(await card.locator('.comment input').inputValue(), 'Slow');
        assert.deepEqual(await events(page, 'rating'), []);
        assert.deepEqual((await events(page, 'error')).map((e) => e.detail.code), ['bad_request']);
        await context.unroute(/\/rating$/);
        await page.getByRole('button', { name: 'Send rating' }).click();
        assert.deepEqual(await waitFor(page, 'rating'), [{ conversationId: id, scale: 'csat', score: 2, comment: 'Slow' }]);
        assert.deepEqual(seen.pageErrors, []);
      },
    ));

  test('a site that asks for no rating shows no card', () =>
    withChat(
      [],
      async (site, context) => {
        const { page, seen } = await openChat(site, context);
        await startConversation(page, site, 'No rating please');
        await page.evaluate(() => window.Natter.endChat());
        await waitFor(page, 'conversationEnded');
        await waitForMessages(page, (l) => l.some((m) => m.text === 'You ended the chat.'));
        assert.equal(await page.locator('[part~=rating]').isVisible(), false);
        assertClean(seen);
      },
      { fields: ['rating = "off"'] },
    ));
});

describe('getState()', () => {
  test('from the npm package: null before ready, then synchronous', () => {
    // The package's ESM build beside a page on the server's own origin
    // (its static files), under a strict CSP.
    const files = mkdtempSync(join(dir, 'npm-'));
    for (const name of ['index.js', 'natter.wasm']) copyFileSync(join(NPM, name), join(files, name));
    const csp = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'";
    writeFileSync(
      join(files, 'npm.html'),
      `<!doctype html><html lang="en"><meta http-equiv="content-security-policy" content="${csp}"><title>npm</title><h1>npm host</h1></html>`,
    );
    return withChat(['--static', files], async (site, context) => {
      const page = await context.newPage();
      const pageErrors = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(`${site.api.url}/npm.html`);
      const states = await page.evaluate(async () => {
        const natter = await import('/index.js');
        window.__npm = natter;
        const before = natter.getState();
        await natter.init({ appKey: 'sk_demo', externalUserId: 'user-42' });
        const after = natter.getState();
        natter.open();
        return { before, after, opened: natter.getState().open, same: natter.default.getState === natter.getState };
      });
      assert.equal(states.before, null);
      assert.deepEqual(
        { ...states.after, connection: null, availability: null },
        { open: false, unread: 0, conversationId: null, availability: null, connection: null, locale: 'en-US', externalUserId: 'user-42' },
      );
      assert.equal(states.opened, true);
      assert.equal(states.same, true);
      await page.waitForFunction(() => window.__npm.getState().availability?.state === 'away');
      await typeAndSend(page, 'state?');
      const shown = await page.waitForFunction(() => window.__npm.getState().conversationId);
      assert.equal(await shown.jsonValue(), await conversationId(site.api));
      assert.equal((await page.evaluate(() => window.__npm.getState())).connection, 'online');
      assert.deepEqual(pageErrors, []);
    });
  });

  test('from the CDN global: queued before load, then as a method, through the callback', () =>
    withChat(
      [],
      async (site, context) => {
        await context.addInitScript(() => {
          window.Natter = function () {
            (window.Natter.q = window.Natter.q || []).push(arguments);
          };
          window.Natter('getState', (state) => (window.__queuedState = state));
        });
        const page = await context.newPage();
        await page.goto(`${site.pages.url}/chat.html`);
        const queued = await page.waitForFunction(() => window.__queuedState).then((h) => h.jsonValue());
        assert.equal(queued.open, false);
        assert.equal(queued.locale, 'en-US');
        assert.equal(queued.externalUserId, null);
        await page.locator('[part~=launcher]').click();
        const state = () => page.evaluate(() => new Promise((resolve) => window.Natter.getState(resolve)));
        assert.equal((await state()).open, true);
        // The connection as it goes: the state answers what it is now.
        await page.waitForFunction(() => document.querySelector('[data-natter-widget]').shadowRoot.querySelector('[part~=banner]').hidden);
        assert.equal((await state()).connection, 'online');
      },
    ));
});
