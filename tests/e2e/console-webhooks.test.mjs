// The agent console against the real server with a webhook to a receiver
// on loopback: the conversation fields a visitor's page set show on the
// conversation (as text, never markup), and the delivery log panel shows
// each event delivered.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, openPage } from '../support/browser.mjs';
import { installVisitorApi } from '../support/visitor-api.mjs';
import { AGENT_TOKEN, startNatterServer } from '../support/natter-server.mjs';

let browser;
let server;
let receiver;
let dir;
const received = [];

before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ signature: req.headers['natter-signature'], event: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  dir = mkdtempSync(join(tmpdir(), 'natter-hooks-'));
  const config = join(dir, 'sites.toml');
  writeFileSync(
    config,
    `[[sites]]
app_key = "sk_demo"
allowed_origins = ["http://127.0.0.1:*"]
[[sites.agents]]
name = "Ada"
token = "${AGENT_TOKEN}"
[[sites.webhooks]]
url = "http://127.0.0.1:${receiver.address().port}/hook"
secret = "whsec_console_test"
events = ["conversation.started", "message.created"]
`,
  );
  browser = await launchBrowser();
  server = await startNatterServer(['--config', config, '--allow-private-webhooks'], { bot: 'off' });
});
after(async () => {
  await browser?.close();
  await server?.stop();
  receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('agent console: conversation fields and webhook deliveries', () => {
  test('shows the fields as text and each delivery with its last attempt', async () => {
    const visitor = await openPage(browser, `${server.url}/healthz`);
    const console_ = await openPage(browser, `${server.url}/agent`);
    try {
      const markup = '<img src=x onerror="window.__pwned=1">';
      await installVisitorApi(visitor.page);
      const id = await visitor.page.evaluate(async (markup) => {
        const call = window.__visitorApi;
        const hs = await call('POST', '/api/v1/cs/handshake', null, { appKey: 'sk_demo', visitorId: 'v_fields', nickname: 'Fay' });
        const fields = { plan: 'pro', seats: 3, [markup]: markup };
        await call('PATCH', '/api/v1/cs/conversations/current/fields', hs.token, { fields });
        const sent = await call('POST', '/api/v1/cs/conversations', hs.token, { clientMsgId: 'f-1', text: 'About my order' });
        return sent.conversation.id;
      }, markup);

      const { page } = console_;
      await page.fill('#token', AGENT_TOKEN);
      await page.press('#token', 'Enter');
      const item = page.locator('#conversations li', { hasText: 'Fay' });
      await item.focus();
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.getElementById('fields').children.length === 6);
      const pairs = await page.$$eval('#fields dt', (dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent]));
      assert.deepEqual(new Map(pairs), new Map([['plan', 'pro'], ['seats', '3'], [markup, markup]]));
      assert.equal(await page.locator('#no-fields').isHidden(), true);
      assert.equal(await page.evaluate(() => window.__pwned), undefined, 'fields are text, not markup');

      // Both events reach the receiver; the panel shows them delivered.
      await page.waitForFunction(
        () => Array.from(document.querySelectorAll('#deliveries li.delivered .name'), (n) => n.textContent).sort().join('|') ===
          'conversation.started · delivered|message.created · delivered',
        null,
        { timeout: 10_000 },
      );
      assert.deepEqual(received.map((r) => r.event.type).sort(), ['conversation.started', 'message.created']);
      for (const r of received) {
        assert.match(r.signature, /^t=\d+,v1=[0-9a-f]{64}$/);
        assert.equal(r.event.data.conversation.conversation.id, id);
        assert.equal(r.event.data.conversation.fields.plan, 'pro');
      }
      const attempt = await page.locator('#deliveries li .snippet').first().textContent();
      assert.match(attempt, /HTTP 204/);
      for (const p of [visitor, console_]) {
        assert.deepEqual(p.seen.pageErrors, []);
        assert.deepEqual(await p.violations(), []);
      }
    } finally {
      await Promise.all([visitor.context.close(), console_.context.close()]);
    }
  });
});
