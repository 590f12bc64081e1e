// Long conversations: N messages stored through the agent API, then a fresh
// load of the page (same visitor, panel opened through the queue) that fetches
// the history. Time to render, long tasks while loading and while scrolling
// the whole list, memory and DOM size.
import { agentApi } from '../tests/support/natter-server.mjs';
import { selfTimes } from './profile.mjs';
import { freshPage, log, longTaskTotals, measured, metrics, mib, round, startServer } from './lib.mjs';

async function fill(server, cid, n, concurrency = 8) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await agentApi(server, `/conversations/${cid}/messages`, { text: `history message ${i}: the quick brown fox jumps over the lazy dog` });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export async function runLong(browser, snap, { sizes = [1000, 5000] } = {}) {
  const out = {};
  for (const n of sizes) {
    const server = await startServer({ staticDir: snap.cdn, args: ['--bot', 'off'] });
    const { context, page, cdp, errors } = await freshPage(browser);
    try {
      await page.goto(`${server.url}/live.html`);
      await page.waitForFunction(() => window.__bench.events.some((e) => e.type === 'connection' && e.detail?.state === 'online'), null, { timeout: 30000 });
      const cid = await page.evaluate(
        () =>
          new Promise((resolve) => {
            addEventListener('natter:message', (e) => e.detail.id != null && resolve(e.detail.conversationId));
            window.Natter.sendMessage('first');
          }),
      );
      const filled = Date.now();
      await fill(server, cid, n - 1);
      const fillSecs = (Date.now() - filled) / 1000;
      // Reload with the panel opened from the queue; wait until all N rows are in.
      await page.addInitScript(() => {
        window.Natter = window.Natter || function () { (window.Natter.q = window.Natter.q || []).push(arguments); };
        window.Natter('open');
      });
      // A CPU profile of the smallest size's history render, to name its cost.
      const profiling = n === sizes[0];
      if (profiling) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
        await cdp.send('Profiler.start');
      }
      await page.reload();
      await page.waitForFunction(
        (n) => (document.querySelector('[data-natter-widget]')?.shadowRoot?.querySelectorAll('[part~=message]').length ?? 0) >= n,
        n,
        { timeout: 120000, polling: 250 },
      );
      const loadPhase = await page.evaluate(async () => {
        const rowsAt = performance.now();
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        const lastMessage = window.__bench.events.filter((e) => e.type === 'message').at(-1)?.at ?? null;
        return { rowsSeenAt: rowsAt, lastMessageEventAt: lastMessage, launcherAt: window.__bench.launcherAt, longtasks: window.__bench.longtasks.slice(), messageEvents: window.__bench.events.filter((e) => e.type === 'message').length };
      });
      const profile = profiling ? selfTimes((await cdp.send('Profiler.stop')).profile, 12) : null;
      const m = await metrics(cdp);
      const wasm = await page.evaluate(() => window.__bench.wasmBytes());
      // Scroll from the bottom to the top, one step per frame.
      const scroll = await page.evaluate(async () => {
        const list = document.querySelector('[data-natter-widget]').shadowRoot.querySelector('[part~=messages]');
        const before = window.__bench.longtasks.length;
        const frames = [];
        // About 300 frames per direction whatever the length (at least 120 px, a fast wheel).
        const stepPx = Math.max(120, Math.ceil(list.scrollHeight / 300));
        let last = performance.now();
        const t0 = last;
        const step = (dir) =>
          new Promise((resolve) => {
            const tick = () => {
              const now = performance.now();
              frames.push(now - last);
              last = now;
              list.scrollTop += dir * stepPx;
              const atEnd = dir < 0 ? list.scrollTop <= 0 : list.scrollTop + list.clientHeight >= list.scrollHeight - 1;
              if (atEnd || now - t0 > 60000) resolve();
              else requestAnimationFrame(tick);
            };
            requestAnimationFrame(tick);
          });
        await step(-1);
        await new Promise((r) => setTimeout(r, 100));
        const tasks = window.__bench.longtasks.slice(before);
        frames.shift();
        const sorted = frames.slice().sort((a, b) => a - b);
        return {
          scrollHeight: list.scrollHeight,
          stepPx,
          frames: frames.length,
          seconds: (performance.now() - t0) / 1000,
          p50FrameMs: sorted[Math.floor(sorted.length / 2)] ?? null,
          maxFrameMs: sorted.at(-1) ?? null,
          framesOver33Ms: frames.filter((f) => f > 33.4).length,
          longtasks: tasks,
        };
      });
      out[n] = {
        messages: n,
        fillSecs: round(fillSecs, 1),
        rowsShown: loadPhase.messageEvents,
        renderAllMs: round(loadPhase.lastMessageEventAt, 1),
        launcherMs: round(loadPhase.launcherAt, 1),
        loadLongTasks: longTaskTotals(loadPhase.longtasks),
        jsHeapMiB: mib(m.JSHeapUsedSize),
        wasmMemoryMiB: mib(wasm),
        domNodes: m.Nodes,
        scroll: { ...scroll, longtasks: longTaskTotals(scroll.longtasks), p50FrameMs: round(scroll.p50FrameMs, 1), maxFrameMs: round(scroll.maxFrameMs, 1), seconds: round(scroll.seconds, 1) },
        renderProfile: profile,
        errors: errors.filter((e) => !/favicon|status of 404/.test(e)).slice(0, 5),
      };
      log(`long: ${n} messages rendered in ${out[n].renderAllMs} ms, ${out[n].loadLongTasks.count} long tasks (${out[n].loadLongTasks.totalMs} ms)`);
    } finally {
      await context.close();
      await server.stop();
    }
  }
  return out;
}
