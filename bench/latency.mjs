// Message latency in the page, with performance.now(): the widget served by
// natter-server itself (same origin, so the page can also call the agent API).
//   send → ack:      Natter.sendMessage(text) until the widget's `message`
//                    event for that visitor message with a server id (the
//                    POST's 201 was parsed and the row updated).
//   reply → display: start of the agent API POST (fetch in the page) until the
//                    widget's `message` event for that agent message (pushed
//                    over the socket, or fetched by a poll; row inserted).
import { AGENT_TOKEN } from '../tests/support/natter-server.mjs';
import { freshPage, log, sleep, startServer, summary } from './lib.mjs';
import { selfTimes } from './profile.mjs';

/** In the page: helpers on window.__lat. */
function helpers(token) {
  const waitMessage = (pred, timeout) =>
    new Promise((resolve) => {
      const t = setTimeout(() => (removeEventListener('natter:message', h), resolve(null)), timeout);
      const h = (e) => {
        if (pred(e.detail)) {
          clearTimeout(t);
          removeEventListener('natter:message', h);
          resolve({ at: performance.now(), detail: e.detail });
        }
      };
      addEventListener('natter:message', h);
    });
  window.__lat = {
    async send(text, timeout = 10000) {
      const p = waitMessage((d) => d.from === 'visitor' && d.text === text && d.id != null, timeout);
      const t0 = performance.now();
      window.Natter.sendMessage(text);
      const r = await p;
      return r ? { ms: r.at - t0, conversationId: r.detail.conversationId } : null;
    },
    async reply(conversationId, text, timeout = 10000) {
      const p = waitMessage((d) => d.from === 'agent' && d.text === text, timeout);
      const t0 = performance.now();
      const api = fetch(`/api/v1/agent/conversations/${conversationId}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      }).then((r) => (r.ok ? performance.now() - t0 : Promise.reject(new Error(`agent API ${r.status}`))));
      const [shown, apiMs] = await Promise.all([p, api]);
      return shown ? { ms: shown.at - t0, apiMs } : null;
    },
  };
}

async function openWidget(browser, server, state) {
  const { context, page, cdp, errors } = await freshPage(browser);
  // The visitor's POSTs as the network stack saw them: request sent → body loaded.
  const posts = [];
  const started = new Map();
  cdp.on('Network.requestWillBeSent', (e) => {
    if (e.request.method === 'POST' && e.request.url.endsWith('/api/v1/cs/conversations')) started.set(e.requestId, e.timestamp);
  });
  cdp.on('Network.loadingFinished', (e) => {
    if (started.has(e.requestId)) posts.push((e.timestamp - started.get(e.requestId)) * 1000);
  });
  await page.addInitScript(helpers, AGENT_TOKEN);
  await page.goto(`${server.url}/live.html`);
  await page.waitForFunction((state) => window.__bench.events.some((e) => e.type === 'connection' && e.detail?.state === state), state, { timeout: 30000 });
  await page.evaluate(() => window.Natter.open());
  return { context, page, cdp, errors, posts };
}

async function series(page, n, fn) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const r = await fn(i);
    if (r) out.push(r);
  }
  return out;
}

export async function runLatency(browser, snap, { count = 200, pollSamples = 8 } = {}) {
  const result = {};
  // WebSocket: bot off, so only the measured messages flow.
  {
    const server = await startServer({ staticDir: snap.cdn, args: ['--bot', 'off'] });
    const { context, page, cdp, errors, posts } = await openWidget(browser, server, 'online');
    try {
      const first = await page.evaluate(() => window.__lat.send('warm-up'));
      const cid = first.conversationId;
      posts.length = 0;
      const sends = await series(page, count, (i) => page.evaluate((t) => window.__lat.send(t), `ws send ${i}`));
      const sendPosts = posts.slice();
      const replies = await series(page, count, (i) => page.evaluate(([c, t]) => window.__lat.reply(c, t), [cid, `ws reply ${i}`]));
      // 30 more sends under the CPU profiler: where the page's time goes.
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
      await cdp.send('Profiler.start');
      await series(page, 30, (i) => page.evaluate((t) => window.__lat.send(t), `profiled send ${i}`));
      const sendProfile = selfTimes((await cdp.send('Profiler.stop')).profile, 10);
      result.websocket = {
        sendProfile,
        sendToAck: summary(sends.map((r) => r.ms)),
        sendHttpPost: summary(sendPosts),
        replyToDisplay: summary(replies.map((r) => r.ms)),
        replyAgentApiResponse: summary(replies.map((r) => r.apiMs)),
        lost: { sends: count - sends.length, replies: count - replies.length },
        errors: errors.filter((e) => !/status of 404/.test(e)),
      };
      log(`latency: websocket p50 send ${result.websocket.sendToAck.p50} ms, reply ${result.websocket.replyToDisplay.p50} ms`);
    } finally {
      await context.close();
      await server.stop();
    }
  }
  // Polling: --no-websocket; the echo bot without delay shows the fetch that
  // follows each send; agent replies wait for the next 8 s poll.
  {
    const server = await startServer({ staticDir: snap.cdn, args: ['--no-websocket', '--bot', 'echo', '--bot-delay-ms', '0'] });
    const { context, page, errors } = await openWidget(browser, server, 'polling');
    try {
      const first = await page.evaluate(() => window.__lat.send('warm-up'));
      const cid = first.conversationId;
      await sleep(500);
      const sends = [];
      const echoes = [];
      for (let i = 0; i < 20; i++) {
        const r = await page.evaluate(async (text) => {
          const echo = new Promise((resolve) => {
            const h = (e) => e.detail.from === 'agent' && e.detail.text === `Echo: ${text}` && (removeEventListener('natter:message', h), resolve(performance.now()));
            addEventListener('natter:message', h);
          });
          const t0 = performance.now();
          const sent = await window.__lat.send(text);
          const at = await Promise.race([echo, new Promise((r) => setTimeout(() => r(null), 12000))]);
          return { ack: sent?.ms ?? null, echo: at == null ? null : at - t0 };
        }, `poll send ${i}`);
        if (r.ack != null) sends.push(r.ack);
        if (r.echo != null) echoes.push(r.echo);
      }
      // Agent replies at random moments of the poll cycle.
      const replies = [];
      for (let i = 0; i < pollSamples; i++) {
        await sleep(Math.random() * 8000);
        const r = await page.evaluate(([c, t]) => window.__lat.reply(c, t, 20000), [cid, `poll reply ${i}`]);
        if (r) replies.push(r);
      }
      result.polling = {
        sendToAck: summary(sends),
        sendToEchoDisplay: summary(echoes),
        replyToDisplay: summary(replies.map((r) => r.ms)),
        lost: { replies: pollSamples - replies.length },
        errors,
      };
      log(`latency: polling reply p50 ${result.polling.replyToDisplay.p50} ms, max ${result.polling.replyToDisplay.max} ms`);
    } finally {
      await context.close();
      await server.stop();
    }
  }
  return result;
}
