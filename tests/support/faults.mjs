// Seeded fault schedules against the real server: sends, agent replies,
// dropped sockets, offline periods and reloads in a random order, then a
// check that the visitor and the server agree. Used by the end-to-end test
// (a few schedules) and by `npm run chaos` (many, concurrently).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentReply, serverMessages, shownMessages, startSite, trackConnection, typeAndSend } from './chat.mjs';
import { AGENT_TOKEN } from './natter-server.mjs';

/**
 * The demo site with higher rate limits: a schedule writes in seconds what a
 * visitor writes in an hour, and the default 20 messages a minute would
 * pace its messages by `Retry-After` (3 s each), which is not what it tests.
 */
const SITE = `[limits]
messages_per_minute = 1000
api_per_minute = 3000

[[sites]]
app_key = "sk_demo"
allowed_origins = ["http://127.0.0.1:*"]

[sites.remote]
locale = "en-US"
greeting = "Hi! Ask us anything."

[[sites.agents]]
name = "Demo agent"
token = "${AGENT_TOKEN}"
`;

/** The schedule's PRNG (mulberry32): the same seed gives the same steps. */
function seeded(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How long the test waits for both sides to agree after the last step. */
const SETTLE_MS = 45_000;

/**
 * Runs the schedule of `seed` with `steps` steps on a fresh server and
 * browser context. Resolves with `{ steps, maxPendingMs, slowest }`: the
 * longest time any visitor message was shown as pending, and its text.
 * Rejects, naming the seed and its steps, when a message is lost, doubled
 * or still pending after the settle time.
 */
export async function runSchedule(browser, { seed, steps }) {
  const dir = mkdtempSync(join(tmpdir(), 'natter-faults-'));
  const config = join(dir, 'sites.toml');
  writeFileSync(config, SITE);
  let site;
  let context;
  try {
    site = await startSite(['--config', config], { botDelayMs: 50 });
    running.add(site);
    context = await browser.newContext();
    return await play(site, context, seed, steps);
  } finally {
    // Whatever failed (even the browser going away), the server is stopped.
    await context?.close().catch(() => {});
    await site?.close();
    running.delete(site);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The sites of the schedules under way, for a caller that must stop them at once (on a signal). */
export const running = new Set();

async function play(s, context, seed, count) {
  const random = seeded(seed);
  const steps = [];
  const pending = await trackPending(context);
  // What the widget says on the console, to explain a failure.
  const said = [];
  context.on('page', (p) => p.on('console', (m) => m.text().startsWith('[Natter]') && said.push(`${m.type()}: ${m.text()}`)));
  try {
    await trackConnection(context);
    const page = await context.newPage();
    await page.goto(`${s.pages.url}/chat.html`);
    await page.locator('[part~=launcher]').click();
    await typeAndSend(page, 'start');
    await settled(page, s.api, (server) => server.some((m) => m.text === 'Echo: start'));
    let n = 0;
    for (let step = 0; step < count; step++) {
      const pick = random();
      if (pick < 0.35) {
        steps.push('send');
        await typeAndSend(page, `visitor ${++n}`);
      } else if (pick < 0.55) {
        steps.push('agent');
        await agentReply(s.api, `agent ${++n}`);
      } else if (pick < 0.7) {
        steps.push('drop');
        await fetch(`${s.api.url}/api/v1/test/drop-sockets`, { method: 'POST' });
      } else if (pick < 0.85) {
        steps.push('offline');
        await context.setOffline(true);
        await typeAndSend(page, `visitor ${++n} offline`);
        await context.setOffline(false);
      } else {
        steps.push('reload');
        await page.reload();
        await page.locator('[part~=launcher]').click();
      }
    }
    // Every visitor message acknowledged, and the visitor's view equal to
    // the server's conversation.
    const server = await settled(page, s.api, () => true);
    const texts = server.map((m) => m.text);
    if (new Set(texts).size !== texts.length) throw new Error(`duplicates on the server: ${texts}`);
    for (let i = 1; i <= n; i++) {
      if (!texts.some((t) => t === `visitor ${i}` || t === `visitor ${i} offline` || t === `agent ${i}`)) {
        throw new Error(`#${i} lost`);
      }
    }
    return { steps, ...pending.longest() };
  } catch (err) {
    if (said.length) err.message += `\nconsole: ${said.join('\n')}`;
    // Any failure names the schedule that replays it.
    err.message = `seed ${seed}, ${count} steps (${steps}): ${err.message}`;
    throw err;
  }
}

/**
 * Waits until `ready(server)`, every visitor message has its echo, nothing
 * is pending and the panel shows the server's list; returns that list.
 */
async function settled(page, api, ready) {
  const started = Date.now();
  for (;;) {
    const [server, shown] = [await serverMessages(api), await shownMessages(page)];
    const echoed = server.filter((m) => m.from === 'visitor').every((m) => server.some((e) => e.text === `Echo: ${m.text}`));
    // System lines are worded by the widget, in its language: the same sender there.
    const matches = (m, i) => (m.from === 'system' ? server[i].from === 'system' : m.text === server[i].text);
    const same = shown.length === server.length && shown.every((m, i) => matches(m, i) && m.state === 'sent');
    if (ready(server) && echoed && same) return server;
    if (Date.now() - started > SETTLE_MS) {
      throw new Error(`never in sync:\nserver ${JSON.stringify(server.map((m) => m.text))}\nshown ${JSON.stringify(shown)}`);
    }
    await page.waitForTimeout(100);
  }
}

/**
 * Records, across reloads, when each visitor message was first shown
 * pending and when it was first shown sent after that (the page reports
 * every change of a row's state; a message's text is unique in a schedule),
 * when the browser was offline, and the widget's attempts to post each
 * message, to explain a long wait. Times are the page's clock: the
 * reports may reach this process late on a loaded machine.
 */
async function trackPending(context) {
  const times = new Map();
  const attempts = new Map();
  const offline = [];
  await context.exposeBinding('__natterReport', (_, kind, text, at, postedAt) => {
    const t = times.get(text);
    if (kind === 'pending' && !t) times.set(text, { since: at });
    else if (kind === 'sent' && t && t.until === undefined) t.until = at;
    else if (kind === 'post') attempts.set(text, [...(attempts.get(text) ?? []), { at }]);
    else if (kind === 'answer') attempts.get(text).find((a) => a.at === postedAt).answer = at;
    else if (kind === 'offline') offline.push({ from: at, to: Infinity });
    else if (kind === 'online' && offline.length) offline.at(-1).to = at;
  });
  await context.addInitScript(() => {
    const report = (kind, text, at = Date.now(), postedAt) => window.__natterReport(kind, text, at, postedAt);
    addEventListener('offline', () => report('offline', null));
    addEventListener('online', () => report('online', null));
    const fetchFirst = window.fetch;
    window.fetch = (url, init) => {
      const text = init?.method === 'POST' && /\/conversations$/.test(url) ? JSON.parse(init.body).text : null;
      if (text === null) return fetchFirst(url, init);
      const at = Date.now();
      report('post', text, at);
      const answer = fetchFirst(url, init);
      answer.then((r) => report('answer', text, r.status, at), () => report('answer', text, 'failed', at));
      return answer;
    };
    const states = new Map();
    const scan = (root) => {
      for (const row of root.querySelectorAll('.msg.visitor')) {
        const text = row.querySelector('.bubble')?.textContent ?? '';
        const state = row.classList.contains('pending') ? 'pending' : row.classList.contains('failed') ? 'failed' : 'sent';
        if (states.get(text) !== state) {
          states.set(text, state);
          report(state, text);
        }
      }
    };
    const watch = () => {
      const root = document.querySelector('[data-natter-widget]')?.shadowRoot;
      if (!root) return false;
      new MutationObserver(() => scan(root)).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
      scan(root);
      return true;
    };
    new MutationObserver((_, observer) => watch() && observer.disconnect()).observe(document, { childList: true, subtree: true });
  });
  /** How much of `from`..`to` the browser spent offline. */
  const offlineDuring = (from, to) =>
    offline.reduce((sum, o) => sum + Math.max(0, Math.min(to, o.to) - Math.max(from, o.from)), 0);
  return {
    /**
     * The longest time a message was pending while the browser was online
     * (a message still pending counts until now), with its text, the whole
     * time it was pending and its post attempts.
     */
    longest() {
      let longest = { maxPendingMs: 0, slowest: null, attempts: '' };
      for (const [text, { since, until = Date.now() }] of times) {
        const online = until - since - offlineDuring(since, until);
        if (online > longest.maxPendingMs) {
          const tried = (attempts.get(text) ?? []).map((a) => `+${a.at - since} ms: ${a.answer ?? 'no answer'}`);
          const whole = online === until - since ? '' : `, ${until - since} ms with the offline time`;
          longest = { maxPendingMs: online, slowest: text, attempts: `posted at ${tried.join(', ') || 'never'}${whole}` };
        }
      }
      return longest;
    },
  };
}
