// The marketer's deployment: the host page, the widget's files and the API
// on different origins, under the README's strict CSP with those origins
// added. Two layouts: three origins (page; `natter-server --static dist/cdn`
// as the file host; the API), and the common pair (page; one
// `natter-server --static dist/cdn` serving files and API). The API's
// allowlist names only the page's origin, so the origin checks are real:
// a page on any other origin is refused. Ports on 127.0.0.1 differ, so do
// the origins.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, natterMessages, openPage } from '../support/browser.mjs';
import { AGENT_TOKEN, agentApi, startNatterServer } from '../support/natter-server.mjs';
import { startHostPageServer } from '../support/host-page-server.mjs';
import { startStaticServer } from '../support/static-server.mjs';
import {
  agentReply,
  serverMessages,
  shownMessages,
  trackConnection,
  trackEvent,
  typeAndSend,
  waitForMessages,
} from '../support/chat.mjs';

const CDN = fileURLToPath(new URL('../../dist/cdn', import.meta.url));
const IDENTITY_SECRET = 'identity-secret-for-cross-origin-tests';
const LAYOUTS = {
  'three origins (page, widget files, API)': 'three',
  'two origins (page; widget files and API on one natter-server)': 'pair',
};

let browser;
let dir;
before(async () => {
  browser = await launchBrowser();
  dir = mkdtempSync(join(tmpdir(), 'natter-cross-origin-'));
});
after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A site that lets only `pageOrigin` embed it, with verified identities. */
function siteConfig(pageOrigin) {
  const file = join(dir, `sites-${pageOrigin.replace(/\W/g, '_')}.toml`);
  const lines = [
    '[[sites]]',
    'app_key = "sk_shop"',
    `allowed_origins = ["${pageOrigin}"]`,
    `identity_secret = "${IDENTITY_SECRET}"`,
    'require_user_hash = true',
    '[[sites.agents]]',
    'name = "Agent"',
    `token = "${AGENT_TOKEN}"`,
  ];
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/**
 * Starts a deployment: the host page server, the API (allowing only the
 * page's origin) and, for three origins, a separate file host. `apiArgs`
 * are extra API flags (`--no-websocket`).
 */
async function startDeployment(layout, apiArgs = []) {
  const page = await startHostPageServer();
  const stops = [() => page.close()];
  try {
    const statics = ['--static', CDN];
    const api = await startNatterServer(
      ['--config', siteConfig(page.url), ...(layout === 'pair' ? statics : []), ...apiArgs],
      { bot: 'off' },
    );
    stops.push(() => api.stop());
    const files = layout === 'pair' ? api : await startNatterServer(statics);
    if (files !== api) stops.push(() => files.stop());
    Object.assign(page.vars, { WIDGET: files.url, API: api.url, WS: api.url.replace(/^http/, 'ws') });
    const origins = new Set([page.url, files.url, api.url]);
    assert.equal(origins.size, layout === 'pair' ? 2 : 3);
    return { page, api, files, close: () => Promise.all(stops.map((stop) => stop())) };
  } catch (err) {
    await Promise.all(stops.map((stop) => stop()));
    throw err;
  }
}

/**
 * Opens the shop page of `pageUrl` in a new context, recording where the
 * widget's hashed files came from; `setup(context, page)` runs first.
 */
async function openShop(pageUrl, setup = async () => {}) {
  const opened = await openPage(browser, 'about:blank');
  await setup(opened.context, opened.page);
  const fileOrigins = new Set();
  opened.page.on('response', (r) => /\/widget-[0-9a-f]+\.(js|wasm)$/.test(r.url()) && fileOrigins.add(new URL(r.url()).origin));
  await trackEvent(opened.page, 'error', 'code', '__errors');
  await opened.page.goto(`${pageUrl}/cross-origin.html`);
  return { ...opened, fileOrigins };
}

/** Runs `fn(deployment, shop)` on a fresh deployment, then checks nothing went wrong and stops all. */
async function withShop(layout, apiArgs, fn, setup) {
  const d = await startDeployment(layout, apiArgs);
  let shop;
  try {
    shop = await openShop(d.page.url, setup);
    await fn(d, shop);
    assert.deepEqual([...shop.fileOrigins], [d.files.url], 'the glue and the wasm come from the file host');
    assert.deepEqual(await shop.violations(), []);
    assert.deepEqual(await shop.page.evaluate(() => window.__errors), []);
    assert.deepEqual(natterMessages(shop.seen, 'error'), []);
    assert.deepEqual(shop.seen.pageErrors, []);
  } finally {
    await shop?.context.close();
    await d.close();
  }
}

/** The visitor writes, the agent API sees it, the agent's reply shows. */
async function roundTrip(page, api, { replyTimeout } = {}) {
  await page.locator('[part~=launcher]').click();
  await typeAndSend(page, 'do you ship abroad?');
  await waitForMessages(page, (l) => l.some((m) => m.text === 'do you ship abroad?' && m.state === 'sent'));
  assert.deepEqual(
    (await serverMessages(api)).map(({ from, text }) => ({ from, text })),
    [{ from: 'visitor', text: 'do you ship abroad?' }],
  );
  await agentReply(api, 'yes, everywhere');
  await waitForMessages(page, (l) => l.some((m) => m.from === 'agent' && m.text === 'yes, everywhere'), {
    timeout: replyTimeout,
  });
}

for (const [name, layout] of Object.entries(LAYOUTS)) {
  describe(name, () => {
    test('chat round trip over the WebSocket', () =>
      withShop(layout, [], async (d, { page }) => {
        await roundTrip(page, d.api);
        assert.equal(await page.evaluate(() => window.__states.at(-1)?.state), 'online');
      }, trackConnection));

    test('polling fallback (--no-websocket): the agent reply arrives by polling', () =>
      withShop(layout, ['--no-websocket'], async (d, { page }) => {
        await page.waitForFunction(() => window.__states.some((s) => s.state === 'polling'));
        // Polls run every 8 s (and right after each send).
        await roundTrip(page, d.api, { replyTimeout: 8000 + 3000 });
      }, trackConnection));

    test('identify with a verified user, then the history after a reload', () =>
      withShop(layout, [], async (d, { page }) => {
        const userHash = createHmac('sha256', IDENTITY_SECRET).update('u_shopper').digest('hex');
        const identify = () => page.evaluate((hash) => window.Natter.identify({ externalUserId: 'u_shopper', userHash: hash }), userHash);
        await identify();
        await page.locator('[part~=launcher]').click();
        await typeAndSend(page, 'where is order 42?');
        await waitForMessages(page, (l) => l.some((m) => m.text === 'where is order 42?' && m.state === 'sent'));
        const { conversations } = await agentApi(d.api, '/conversations?status=all');
        assert.deepEqual(conversations.map((c) => c.visitor.externalUserId), ['u_shopper']);
        // The site identifies its user again on every page.
        await page.reload();
        await identify();
        await page.locator('[part~=launcher]').click();
        await waitForMessages(page, (l) => l.some((m) => m.text === 'where is order 42?'));
      }));
  });
}

describe('the origin allowlist', () => {
  test('a page on an origin the site does not list is refused by the API', async () => {
    const d = await startDeployment('three');
    const stranger = await startHostPageServer(d.page.vars);
    let shop;
    try {
      const handshake = (origin) =>
        fetch(`${d.api.url}/api/v1/cs/handshake`, {
          method: 'POST',
          headers: { origin, 'content-type': 'text/plain' },
          body: JSON.stringify({ appKey: 'sk_shop', visitorId: 'v_probe' }),
        });
      assert.equal((await handshake(d.page.url)).status, 200);
      const refused = await handshake(stranger.url);
      assert.equal(refused.status, 403);
      assert.equal((await refused.json()).error.code, 'origin_denied');
      // The widget itself, loaded on the stranger's page, is refused and says so.
      shop = await openShop(stranger.url);
      await shop.page.waitForFunction(() => window.__errors.includes('origin_denied'));
      assert.deepEqual((await agentApi(d.api, '/conversations?status=all')).conversations, []);
    } finally {
      await shop?.context.close();
      await stranger.close();
      await d.close();
    }
  });
});

describe('a file host without Access-Control-Allow-Origin', () => {
  // Which files lack the header (the others get it through a route), and
  // the file the console line must then name.
  for (const [lacking, allowed, named] of [
    ['the glue and the wasm lack', null, /widget-[0-9a-f]+\.(js|wasm) /],
    ['only the glue lacks', /\.wasm$/, /widget-[0-9a-f]+\.js /],
    ['only the wasm lacks', /\/widget-[0-9a-f]+\.js$/, /widget-[0-9a-f]+\.wasm /],
  ]) {
    test(`when ${lacking} it, the loader says so in one [Natter] line naming the origin and the header`, async () => {
      // static-server.mjs serves dist/cdn with no CORS header at all.
      const files = await startStaticServer();
      const page = await startHostPageServer({ WIDGET: files.url });
      let shop;
      let natterLine;
      try {
        shop = await openShop(page.url, async (_, p) => {
          natterLine = p.waitForEvent('console', (m) => m.text().startsWith('[Natter]'));
          if (allowed) {
            await p.route(allowed, async (route) => {
              const response = await route.fetch();
              await route.fulfill({ response, headers: { ...response.headers(), 'access-control-allow-origin': '*' } });
            });
          }
        });
        const line = (await natterLine).text();
        assert.match(line, new RegExp(`^\\[Natter\\] ${files.url}/\\S+ is blocked by CORS`));
        assert.match(line, named);
        assert.ok(line.endsWith(`${files.url} must send the header Access-Control-Allow-Origin`), line);
        assert.deepEqual(natterMessages(shop.seen, 'error'), [line]);
        assert.deepEqual(await shownMessages(shop.page), []);
        assert.deepEqual(shop.seen.pageErrors, []);
      } finally {
        await shop?.context.close();
        await page.close();
        await files.close();
      }
    });
  }
});
