// Visitor identity in Chromium against the real server: anonymous then
// login (history merged), logout then another user on the same browser
// (nothing shared), the fingerprint layer, storage that throws, identity
// verification, and signed standalone links.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../support/browser.mjs';
import { startStaticServer } from '../support/static-server.mjs';
import { AGENT_TOKEN, agentApi, startNatterServer } from '../support/natter-server.mjs';
import { shownMessages, startSite, typeAndSend, waitForMessages, withSite } from '../support/chat.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const LINK_SECRET = 'link-secret-for-tests';
const IDENTITY_SECRET = 'identity-secret-for-tests';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** The companion server also serves the CDN folder (standalone.html). */
const SITE_ARGS = ['--link-secret', LINK_SECRET, '--static', join(root, 'dist', 'cdn')];
const site = () => startSite(SITE_ARGS);

/** Opens chat.html (optionally with init scripts) and the panel. */
async function openChat(context, pages, path = '/chat.html') {
  const page = await context.newPage();
  const handshakes = [];
  page.on('request', (r) => r.url().endsWith('/api/v1/cs/handshake') && handshakes.push(JSON.parse(r.postData())));
  await page.goto(pages.url + path);
  await page.locator('[part~=launcher]').click();
  return { page, handshakes };
}

const identify = (page, profile) => page.evaluate((p) => window.Natter.identify(p), profile);

/** Every conversation the server holds, with its visitor and messages. */
async function conversations(api) {
  const { conversations } = await agentApi(api, '/conversations?status=all');
  return Promise.all(
    conversations.map(async (c) => ({
      externalUserId: c.visitor.externalUserId,
      texts: (await agentApi(api, `/conversations/${c.conversation.id}/messages?limit=200`)).messages.map((m) => m.text),
    })),
  );
}

describe('login and logout in a single-page app', () => {
  test('anonymous chat, then login: the history is merged and shown', () =>
    withSite(browser, SITE_ARGS, async (s, context) => {
      const { page } = await openChat(context, s.pages);
      await typeAndSend(page, 'asked before login');
      await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: asked before login'));
      await identify(page, { externalUserId: 'u_alice', nickname: 'Alice' });
      await typeAndSend(page, 'asked after login');
      const shown = await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: asked after login'));
      assert.deepEqual(
        shown.map((m) => m.text),
        [
          'asked before login',
          'Echo bot joined the chat.',
          'Echo: asked before login',
          'asked after login',
          'Echo: asked after login',
        ],
      );
      const alice = (await conversations(s.api)).filter((c) => c.externalUserId === 'u_alice');
      assert.ok(alice.some((c) => c.texts.includes('asked before login') && c.texts.includes('asked after login')));
    }));

  test('logout, then a second user on the same browser sees nothing of the first', () =>
    withSite(browser, SITE_ARGS, async (s, context) => {
      const { page } = await openChat(context, s.pages);
      await identify(page, { externalUserId: 'u_alice', nickname: 'Alice' });
      await typeAndSend(page, 'alice secret');
      await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: alice secret'));
      const visitorBefore = await page.evaluate(() => localStorage.getItem('natter_visitor_id'));
      await identify(page, { externalUserId: null });
      assert.deepEqual(await shownMessages(page), []);
      assert.notEqual(await page.evaluate(() => localStorage.getItem('natter_visitor_id')), visitorBefore);
      await identify(page, { externalUserId: 'u_bob', nickname: 'Bob' });
      await typeAndSend(page, 'bob question');
      const shown = await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: bob question'));
      assert.ok(!shown.some((m) => m.text.includes('alice')), JSON.stringify(shown));
      // Reloading as Bob (the app identifies him again) shows his history only.
      await page.reload();
      await page.locator('[part~=launcher]').click();
      await identify(page, { externalUserId: 'u_bob', nickname: 'Bob' });
      await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: bob question'));
      assert.ok(!(await shownMessages(page)).some((m) => m.text.includes('alice')));
      // And on the server, Bob's conversations hold nothing of Alice's.
      const bob = (await conversations(s.api)).filter((c) => c.externalUserId === 'u_bob');
      assert.ok(bob.length > 0 && bob.every((c) => !c.texts.some((t) => t.includes('alice'))));
    }));

  test('a page that logs out by navigation (init without the user) also starts clean', () =>
    withSite(browser, SITE_ARGS, async (s, context) => {
      const { page } = await openChat(context, s.pages);
      await identify(page, { externalUserId: 'u_carol' });
      await typeAndSend(page, 'carol private');
      await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: carol private'));
      // The site navigates after logout; the new page embeds the widget anonymously.
      await page.reload();
      await page.locator('[part~=launcher]').click();
      await page.waitForFunction(() => localStorage.getItem('natter_user:sk_demo') === null);
      await typeAndSend(page, 'anonymous again');
      const shown = await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: anonymous again'));
      assert.ok(!shown.some((m) => m.text.includes('carol')));
    }));
});

describe('unsent messages follow their writer', () => {
  test('an app that identifies its user again after a reload still sends that user\'s unsent messages, as that user', () =>
    withSite(browser, SITE_ARGS, async (s, context) => {
      // Sends go on the socket (as `message` frames) or by POST.
      let dropSends = false;
      await context.routeWebSocket(/\/ws$/, (ws) => {
        const server = ws.connectToServer();
        ws.onMessage((m) => (dropSends && m.startsWith('{"type":"message"')) || server.send(m));
      });
      const { page } = await openChat(context, s.pages);
      await identify(page, { externalUserId: 'u_erin' });
      await typeAndSend(page, 'erin first');
      await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: erin first'));
      // The network drops sends: the next message stays in Erin's outbox.
      dropSends = true;
      await context.route('**/api/v1/cs/conversations', (route) => route.abort());
      await typeAndSend(page, 'erin unsent');
      assert.equal((await shownMessages(page)).at(-1).state, 'pending');
      await page.reload();
      dropSends = false;
      await context.unroute('**/api/v1/cs/conversations');
      // The app boots anonymously, then identifies Erin once it knows her.
      await page.locator('[part~=launcher]').click();
      await identify(page, { externalUserId: 'u_erin' });
      await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: erin unsent'));
      const erin = (await conversations(s.api)).filter((c) => c.texts.includes('erin unsent'));
      assert.deepEqual(erin.map((c) => c.externalUserId), ['u_erin']);
    }));
});

describe('the three layers', () => {
  test('cleared localStorage resumes the anonymous conversation through the fingerprint', () =>
    withSite(browser, SITE_ARGS, async (s, context) => {
      const { page, handshakes } = await openChat(context, s.pages);
      await typeAndSend(page, 'remember me');
      await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: remember me'));
      await page.evaluate(() => localStorage.clear());
      await page.reload();
      await page.locator('[part~=launcher]').click();
      await waitForMessages(page, (l) => l.some((m) => m.text === 'remember me'));
      const [first, second] = handshakes;
      assert.match(first.fingerprint, /^[0-9a-f]{16}$/);
      assert.equal(second.fingerprint, first.fingerprint);
      assert.notEqual(second.visitorId, first.visitorId);
    }));

  /** The first handshake body of a fresh context opening `path`. */
  async function firstHandshake(pages, path = '/chat.html', setup = async () => {}) {
    const context = await browser.newContext();
    try {
      await setup(context);
      const page = await context.newPage();
      const request = page.waitForRequest((r) => r.url().endsWith('/api/v1/cs/handshake'));
      await page.goto(pages.url + path);
      const body = JSON.parse((await request).postData());
      // The widget measures its fingerprint work in the page's User Timing.
      const [cost] = await page.evaluate(() => performance.getEntriesByName('natter:fingerprint').map((e) => e.duration));
      return { ...body, cost };
    } finally {
      await context.close();
    }
  }

  test('the fingerprint is the same in a new browser context (a private window)', async () => {
    const s = await site();
    try {
      const [a, b] = [await firstHandshake(s.pages), await firstHandshake(s.pages)];
      console.log(`# measured: fingerprint cost ${a.cost.toFixed(1)} ms, ${b.cost.toFixed(1)} ms`);
      assert.match(a.fingerprint, /^[0-9a-f]{16}$/);
      assert.equal(a.fingerprint, b.fingerprint);
      assert.notEqual(a.visitorId, b.visitorId);
    } finally {
      await s.close();
    }
  });

  test('fingerprint: false and Global Privacy Control send no fingerprint', async () => {
    const s = await site();
    try {
      const off = await firstHandshake(s.pages, '/chat-no-fingerprint.html');
      assert.equal(off.fingerprint, undefined);
      const gpc = await firstHandshake(s.pages, '/chat.html', (context) =>
        context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true })),
      );
      assert.equal(gpc.fingerprint, undefined);
      assert.match(gpc.visitorId, /^v_/);
    } finally {
      await s.close();
    }
  });

  test('when storage throws, the widget works with an in-memory id and says so once', () =>
    withSite(browser, SITE_ARGS, async (s, context) => {
      await context.addInitScript(() =>
        Object.defineProperty(window, 'localStorage', {
          get() {
            throw new DOMException('storage is disabled', 'SecurityError');
          },
        }),
      );
      const warnings = [];
      const page = await context.newPage();
      page.on('console', (m) => m.type() === 'warning' && m.text().startsWith('[Natter]') && warnings.push(m.text()));
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(s.pages.url + '/chat.html');
      await page.locator('[part~=launcher]').click();
      await typeAndSend(page, 'no storage');
      await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: no storage'));
      assert.deepEqual(errors, []);
      assert.equal(warnings.filter((w) => /localStorage/.test(w)).length, 1, warnings.join('\n'));
    }));
});

describe('identity verification', () => {
  const hash = (id) => createHmac('sha256', IDENTITY_SECRET).update(id).digest('hex');
  const jwt = (claims) => {
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
    return `${head}.${createHmac('sha256', IDENTITY_SECRET).update(head).digest('base64url')}`;
  };
  let dir;
  let config;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'natter-verify-'));
    config = join(dir, 'sites.toml');
    writeFileSync(
      config,
      [
        '[[sites]]',
        'app_key = "sk_demo"',
        'allowed_origins = ["http://127.0.0.1:*"]',
        `identity_secret = "${IDENTITY_SECRET}"`,
        'require_user_hash = true',
        '[[sites.agents]]',
        'name = "Agent"',
        `token = "${AGENT_TOKEN}"`,
        '',
      ].join('\n'),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, proof, verified] of [
    ['a good userHash', (id) => ({ userHash: hash(id) }), true],
    ['a bad userHash', () => ({ userHash: hash('someone else') }), false],
    ['no proof at all', () => ({}), false],
    ['a server-minted identity token', (id) => ({ identityToken: jwt({ sub: id, exp: Math.floor(Date.now() / 1000) + 600 }) }), true],
  ]) {
    test(`login with ${name} is ${verified ? 'accepted' : 'refused, and the visitor stays anonymous'}`, async () => {
      const api = await startNatterServer(['--config', config]);
      const pages = await startStaticServer({ api: api.url });
      const context = await browser.newContext();
      try {
        const { page } = await openChat(context, pages);
        await page.evaluate(() => {
          window.__identityErrors = [];
          window.Natter.on('error', (e) => e.code.startsWith('identity') && window.__identityErrors.push(e.code));
        });
        await identify(page, { externalUserId: 'u_dave', ...proof('u_dave') });
        await typeAndSend(page, 'hello');
        await waitForMessages(page, (l) => l.some((m) => m.text === 'hello' && m.state === 'sent'));
        const owners = (await conversations(api)).filter((c) => c.texts.includes('hello')).map((c) => c.externalUserId);
        assert.deepEqual(owners, [verified ? 'u_dave' : null]);
        const errors = await page.evaluate(() => window.__identityErrors);
        if (verified) assert.deepEqual(errors, []);
        else assert.match(errors[0] ?? '', /^identity_/);
      } finally {
        await context.close();
        await pages.close();
        await api.stop();
      }
    });
  }
});

describe('standalone link entry', () => {
  const sign = (t, u, nick, appKey = 'sk_demo') =>
    createHmac('sha256', LINK_SECRET)
      .update([appKey, String(t), u, nick].map((f) => `${Buffer.byteLength(f)}:${f},`).join(''))
      .digest('hex');
  const now = () => Math.floor(Date.now() / 1000);

  for (const [name, link, ok] of [
    ['a valid signed link', () => { const t = now(); return { t, s: sign(t, 'u_link', 'Lee'), u: 'u_link', nick: 'Lee' }; }, true],
    ['an expired link', () => { const t = now() - 3600; return { t, s: sign(t, 'u_link', 'Lee'), u: 'u_link', nick: 'Lee' }; }, false],
    ['a tampered link', () => { const t = now(); return { t, s: sign(t, 'u_link', 'Lee'), u: 'u_admin', nick: 'Lee' }; }, false],
  ]) {
    test(`${name} ${ok ? 'opens the chat as that user' : 'is refused with an error'}`, async () => {
      const s = await site();
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const { t, s: sig, u, nick } = link();
        await page.addInitScript(() => {
          window.__errors = [];
          window.Natter = window.Natter || function () { (window.Natter.q = window.Natter.q || []).push(arguments); };
          window.Natter('on', 'error', (e) => window.__errors.push(e.code));
        });
        // Served by the companion server itself, as in production.
        await page.goto(`${s.api.url}/standalone.html?k=sk_demo&u=${u}&nick=${nick}&t=${t}&s=${sig}`);
        if (ok) {
          await page.locator('[part~=input]').waitFor();
          await typeAndSend(page, 'from the link');
          await waitForMessages(page, (l) => l.some((m) => m.text === 'Echo: from the link'));
          const owners = (await conversations(s.api)).map((c) => c.externalUserId);
          assert.deepEqual(owners, ['u_link']);
        } else {
          await page.waitForFunction(() => window.__errors.some((c) => c.startsWith('link_')));
          assert.deepEqual(await conversations(s.api), []);
        }
      } finally {
        await context.close();
        await s.close();
      }
    });
  }
});
