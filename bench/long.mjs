// Long conversations: N messages stored through the agent API, then a fresh
// load of the page (same visitor, panel opened through the queue) that fetches
// the history. Time until the list's window of rows is built, long tasks while
// loading and while scrolling up through the whole conversation, memory and
// DOM size; at 1x, and at 4x CPU for the largest size.
import { agentApi } from '../tests/support/natter-server.mjs';
import { longTaskBreakdown, selfTimes, TRACE_CATEGORIES } from './profile.mjs';
import { freshPage, log, longTaskTotals, measured, metrics, mib, round, startServer } from './lib.mjs';

/** Stores n agent messages; returns the text of the newest (highest id). */
async function fill(server, cid, n, concurrency = 8) {
  let next = 0;
  let newest = { id: -1, text: null };
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const text = `history message ${i}: the quick brown fox jumps over the lazy dog`;
      const { message } = await agentApi(server, `/conversations/${cid}/messages`, { text });
      if (message.id > newest.id) newest = { id: message.id, text };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return newest.text;
}

export async function runLong(browser, snap, { sizes = [1000, 5000] } = {}) {
  const out = {};
  // The last run repeats the largest size at 4x under a CPU profile and a
  // trace, to name its cost (profiling slows what it measures: the run
  // before it is the unobserved one).
  const runs = [...sizes.map((n) => [n, 1, false]), [sizes.at(-1), 4, false], [sizes.at(-1), 4, true]];
  for (const [n, throttle, profiling] of runs) {
    const server = await startServer({ staticDir: snap.cdn, args: ['--bot', 'off'] });
    const { context, page, cdp, errors } = await freshPage(browser);
    const key = throttle === 1 ? n : `${n} (4x CPU${profiling ? ', profiled' : ''})`;
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
      const newest = await fill(server, cid, n - 1);
      const fillSecs = (Date.now() - filled) / 1000;
      // Reload with the panel opened from the queue; wait until all N rows are in.
      await page.addInitScript(() => {
        window.Natter = window.Natter || function () { (window.Natter.q = window.Natter.q || []).push(arguments); };
        window.Natter('open');
      });
      const startProfile = async () => {
        await browser.startTracing(page, { categories: TRACE_CATEGORIES });
        await cdp.send('Profiler.start');
      };
      const stopProfile = async () => {
        const { profile } = await cdp.send('Profiler.stop');
        const trace = JSON.parse((await browser.stopTracing()).toString());
        return { self: selfTimes(profile, 12), longTasks: longTaskBreakdown(trace) };
      };
      if (profiling) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
        await startProfile();
      }
      if (throttle !== 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
      await page.reload();
      // The list is done when it shows the newest message at the end, with
      // its window of rows built (not busy): checked every frame, in the page.
      await page.waitForFunction(
        (newest) => {
          const list = document.querySelector('[data-natter-widget]')?.shadowRoot?.querySelector('[part~=messages]');
          const rows = list?.querySelectorAll('[part~=message]') ?? [];
          const done = rows.length >= 200 && list.getAttribute('aria-busy') === 'false' && rows[rows.length - 1].querySelector('.bubble').textContent === newest;
          if (done) window.__windowBuiltAt ??= performance.now();
          return done;
        },
        newest,
        { timeout: 120000, polling: 'raf' },
      );
      const loadPhase = await page.evaluate(async () => {
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        return {
          windowBuiltAt: window.__windowBuiltAt,
          launcherAt: window.__bench.launcherAt,
          longtasks: window.__bench.longtasks.slice(),
          rows: document.querySelector('[data-natter-widget]').shadowRoot.querySelectorAll('[part~=message]').length,
        };
      });
      const profile = profiling ? await stopProfile() : null;
      if (profiling) await startProfile();
      const m = await metrics(cdp);
      const wasm = await page.evaluate(() => window.__bench.wasmBytes());
      // Scroll from the bottom to the first message, one step per frame.
      const scroll = await page.evaluate(async (n) => {
        const list = document.querySelector('[data-natter-widget]').shadowRoot.querySelector('[part~=messages]');
        const rows = () => list.querySelectorAll('[part~=message]');
        const before = window.__bench.longtasks.length;
        const frames = [];
        let maxRows = 0;
        // About 300 frames whatever the length (at least 120 px, a fast
        // wheel), from the height of the rows built so far.
        const stepPx = Math.max(120, Math.ceil(((list.scrollHeight / rows().length) * n) / 300));
        const atTop = () => list.scrollTop <= 0 && rows()[0]?.querySelector('.bubble').textContent === 'first';
        let last = performance.now();
        const t0 = last;
        const step = (dir) =>
          new Promise((resolve) => {
            const tick = () => {
              const now = performance.now();
              frames.push(now - last);
              last = now;
              list.scrollTop += dir * stepPx;
              maxRows = Math.max(maxRows, rows().length);
              const atEnd = dir < 0 ? atTop() : list.scrollTop + list.clientHeight >= list.scrollHeight - 1;
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
          reachedFirst: atTop(),
          maxRows,
          scrollHeight: list.scrollHeight,
          stepPx,
          frames: frames.length,
          seconds: (performance.now() - t0) / 1000,
          p50FrameMs: sorted[Math.floor(sorted.length / 2)] ?? null,
          maxFrameMs: sorted.at(-1) ?? null,
          framesOver33Ms: frames.filter((f) => f > 33.4).length,
          longtasks: tasks,
        };
      }, n);
      const scrollProfile = profiling ? await stopProfile() : null;
      out[key] = {
        messages: key,
        throttle,
        fillSecs: round(fillSecs, 1),
        rowsShown: loadPhase.rows,
        renderAllMs: round(loadPhase.windowBuiltAt, 1),
        launcherMs: round(loadPhase.launcherAt, 1),
        loadLongTasks: longTaskTotals(loadPhase.longtasks),
        jsHeapMiB: mib(m.JSHeapUsedSize),
        wasmMemoryMiB: mib(wasm),
        domNodes: m.Nodes,
        scroll: { ...scroll, longtasks: longTaskTotals(scroll.longtasks), p50FrameMs: round(scroll.p50FrameMs, 1), maxFrameMs: round(scroll.maxFrameMs, 1), seconds: round(scroll.seconds, 1) },
        renderProfile: profile?.self ?? null,
        renderLongTasks: profile?.longTasks ?? null,
        scrollProfile,
        errors: errors.filter((e) => !/favicon|status of 404/.test(e)).slice(0, 5),
      };
      const r = out[key];
      log(`long: ${key} messages, window built in ${r.renderAllMs} ms (${r.rowsShown} rows), ${r.loadLongTasks.count} long tasks (${r.loadLongTasks.totalMs} ms); scroll to the first: ${r.scroll.reachedFirst}, ${r.scroll.longtasks.count} long tasks, at most ${r.scroll.maxRows} rows`);
    } finally {
      await context.close();
      await server.stop();
    }
  }
  return out;
}
