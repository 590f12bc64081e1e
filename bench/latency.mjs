// Message latency in the page, with performance.now(): the widget served by
// natter-server itself (same origin, so the page can also act as the agent).
//   send → ack:      Natter.sendMessage(text) until the widget's `message`
//                    event for that visitor message with a server id (the
//                    socket's `ack`, or the POST's 201 while polling, was
//                    parsed and the row updated).
//   reply → display: the agent's `message` frame sent on an agent WebSocket
//                    opened by the page (or, for reference, the start of the
//                    agent API POST) until the widget's `message` event for
//                    that agent message (pushed over the visitor socket, or
//                    fetched by a poll; row inserted). Of which push →
//                    display: the visitor socket's frame reaching the page
//                    (a `message` listener added before the widget's) until
//                    that event.
import { AGENT_TOKEN } from '../tests/support/natter-server.mjs';
import { freshPage, log, sleep, startServer, summary } from './lib.mjs';
import { selfTimes } from './profile.mjs';

/** In the page: helpers on window.__lat. */
function helpers(token) {
  // Every frame the widget's sockets receive, with its arrival time.
  const arrivals = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => arrivals.push([performance.now(), e.data]));
    }
  };
  /** When the frame pushing the message `text` reached the page. */
  const arrival = (text) => arrivals.find(([, data]) => data.startsWith('{"type":"message"') && data.includes(JSON.stringify(text)))?.[0];
  let agent;
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
    /** Opens the agent socket: replies go as `message` frames on it. */
    async agentSocket() {
      agent = new Native(`ws://${location.host}/api/v1/agent/ws`, ['natter.agent.v1', `bearer.${token}`]);
      await new Promise((resolve, reject) => {
        agent.onmessage = (e) => JSON.parse(e.data).type === 'hello' && resolve();
        agent.onclose = () => reject(new Error('agent socket closed'));
      });
    },
    async replyOnSocket(conversationId, text, timeout = 10000) {
      arrivals.length = 0;
      const p = waitMessage((d) => d.from === 'agent' && d.text === text, timeout);
      const t0 = performance.now();
      agent.send(JSON.stringify({ type: 'message', conversationId, text }));
      const shown = await p;
      const pushed = arrival(text);
      return shown ? { ms: shown.at - t0, pushToDisplay: pushed == null ? null : shown.at - pushed } : null;
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
  // The visitor's `message` frames and their `ack`s as the network stack saw
  // them: frame sent → ack received, by client id.
  const frames = [];
  const sentAt = new Map();
  const clientId = (payload) => /"clientMsgId":"([^"]+)"/.exec(payload)?.[1];
  cdp.on('Network.webSocketFrameSent', (e) => {
    if (e.response.payloadData.includes('"type":"message"')) sentAt.set(clientId(e.response.payloadData), e.timestamp);
  });
  cdp.on('Network.webSocketFrameReceived', (e) => {
    const at = e.response.payloadData.startsWith('{"type":"ack"') && sentAt.get(clientId(e.response.payloadData));
    if (at) frames.push((e.timestamp - at) * 1000);
  });
  await page.addInitScript(helpers, AGENT_TOKEN);
  await page.goto(`${server.url}/live.html`);
  await page.waitForFunction((state) => window.__bench.events.some((e) => e.type === 'connection' && e.detail?.state === state), state, { timeout: 30000 });
  await page.evaluate(() => window.Natter.open());
  return { context, page, cdp, errors, posts, frames };
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
    const { context, page, cdp, errors, posts, frames } = await openWidget(browser, server, 'online');
    try {
      const first = await page.evaluate(() => window.__lat.send('warm-up'));
      const cid = first.conversationId;
      posts.length = 0;
      frames.length = 0;
      const sends = await series(page, count, (i) => page.evaluate((t) => window.__lat.send(t), `ws send ${i}`));
      const sendPosts = posts.slice();
      const sendFrames = frames.slice();
      await page.evaluate(() => window.__lat.agentSocket());
      const replies = await series(page, count, (i) => page.evaluate(([c, t]) => window.__lat.replyOnSocket(c, t), [cid, `ws reply ${i}`]));
      const apiReplies = await series(page, count, (i) => page.evaluate(([c, t]) => window.__lat.reply(c, t), [cid, `api reply ${i}`]));
      // 30 more sends under the CPU profiler: where the page's time goes.
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
      await cdp.send('Profiler.start');
      await series(page, 30, (i) => page.evaluate((t) => window.__lat.send(t), `profiled send ${i}`));
      const sendProfile = selfTimes((await cdp.send('Profiler.stop')).profile, 10);
      result.websocket = {
        sendProfile,
        sendToAck: summary(sends.map((r) => r.ms)),
        sendSocketRoundTrip: summary(sendFrames),
        sendHttpPost: summary(sendPosts),
        replyToDisplay: summary(replies.map((r) => r.ms)),
        replyPushToDisplay: summary(replies.map((r) => r.pushToDisplay).filter((x) => x != null)),
        replyApiToDisplay: summary(apiReplies.map((r) => r.ms)),
        replyAgentApiResponse: summary(apiReplies.map((r) => r.apiMs)),
        lost: { sends: count - sends.length, replies: count - replies.length, apiReplies: count - apiReplies.length },
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
