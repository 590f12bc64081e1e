// Load cost on the host page, in headless Chromium: fresh context per load,
// cache disabled, against the same page without the widget in the same run.
import { freshPage, log, longTaskTotals, measured, median, metrics, mib, round } from './lib.mjs';

const SETTLE_MS = 1000; // after the launcher shows, let the boot finish before reading metrics

/** One load, retried once (a crashed or stuck load is logged and redone). */
async function loadOnce(browser, url, options) {
  try {
    return await loadOnceTry(browser, url, options);
  } catch (err) {
    log(`load: ${url} failed (${err.message.split('\n')[0]}); retrying once`);
    return loadOnceTry(browser, url, options);
  }
}

/** One load of `page.html`; returns its timings, long tasks and memory. */
async function loadOnceTry(browser, url, { throttle = 1, widget = true, waitOnline = false } = {}) {
  const until = !widget ? 'load' : waitOnline ? 'online' : 'launcher';
  const { context, page, cdp, errors } = await freshPage(browser, { throttle, until, settleMs: SETTLE_MS * Math.min(throttle, 2) });
  try {
    const done = measured(page);
    done.catch(() => {});
    await page.goto(url, { waitUntil: 'load' });
    await done;
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0];
      return { domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd, responseEnd: n.responseEnd };
    });
    const m = await page.evaluate(() => ({
      launcherAt: window.__bench.final.launcherAt,
      fcp: window.__bench.final.fcp,
      readyAt: window.__bench.events.find((e) => e.type === 'ready')?.at ?? null,
      onlineAt: window.__bench.events.find((e) => e.type === 'connection' && e.detail?.state === 'online')?.at ?? null,
      longtasks: window.__bench.final.longtasks,
      wasmBytes: window.__bench.wasmBytes(),
      resources: performance.getEntriesByType('resource').map((r) => ({ name: r.name.replace(/^.*\//, ''), start: r.startTime, end: r.responseEnd })),
    }));
    const cdpMetrics = await metrics(cdp);
    let click = null;
    if (widget) {
      click = await page.evaluate(async () => {
        const root = document.querySelector('[data-natter-widget]').shadowRoot;
        const launcher = root.querySelector('[part~=launcher]');
        const panel = root.querySelector('[part~=panel]');
        const shown = () => !panel.hidden && panel.getBoundingClientRect().width > 0 && getComputedStyle(panel).visibility !== 'hidden';
        const before = window.__bench.longtasks.length;
        const t0 = performance.now();
        launcher.click();
        const handlerMs = performance.now() - t0;
        const visibleAfterHandler = shown();
        // The first frame that starts with the panel shown paints it.
        const frameMs = await new Promise((resolve) => {
          const check = () => (shown() ? resolve(performance.now() - t0) : performance.now() - t0 > 5000 ? resolve(null) : requestAnimationFrame(check));
          requestAnimationFrame(check);
        });
        await new Promise((r) => setTimeout(r, 200));
        const tasks = window.__bench.longtasks.slice(before);
        return { handlerMs, visibleAfterHandler, frameMs, longTasks: tasks.length, longTaskMs: tasks.reduce((t, x) => t + x.duration, 0) };
      });
    }
    return {
      ...nav,
      ...m,
      jsHeap: cdpMetrics.JSHeapUsedSize,
      nodes: cdpMetrics.Nodes,
      scriptMs: cdpMetrics.ScriptDuration * 1000,
      taskMs: cdpMetrics.TaskDuration * 1000,
      layoutMs: (cdpMetrics.LayoutDuration + cdpMetrics.RecalcStyleDuration) * 1000,
      click,
      errors,
    };
  } finally {
    await context.close();
  }
}

function summarize(runs) {
  const med = (f) => round(median(runs.map(f)), 1);
  const lt = runs.map((r) => longTaskTotals(r.longtasks));
  return {
    runs: runs.length,
    loadMs: med((r) => r.load),
    fcpMs: med((r) => r.fcp),
    launcherVisibleMs: med((r) => r.launcherAt),
    readyMs: med((r) => r.readyAt),
    onlineMs: med((r) => r.onlineAt),
    longTaskCount: median(lt.map((x) => x.count)),
    longTaskMs: round(median(lt.map((x) => x.totalMs)), 1),
    longTaskMaxOfRuns: round(Math.max(...lt.map((x) => x.totalMs)), 1),
    tbtMs: round(median(lt.map((x) => x.tbtMs)), 1),
    jsHeapMiB: mib(median(runs.map((r) => r.jsHeap))),
    jsHeapBytes: median(runs.map((r) => r.jsHeap)),
    wasmMemoryMiB: mib(median(runs.map((r) => r.wasmBytes))),
    nodes: median(runs.map((r) => r.nodes)),
    scriptMs: med((r) => r.scriptMs),
    taskMs: med((r) => r.taskMs),
    layoutMs: med((r) => r.layoutMs),
    clickHandlerMs: runs[0].click ? round(median(runs.map((r) => r.click.handlerMs)), 2) : null,
    clickToFrameMs: runs[0].click ? med((r) => r.click.frameMs) : null,
    panelVisibleAfterHandler: runs[0].click ? runs.every((r) => r.click.visibleAfterHandler) : null,
    clickLongTasks: runs[0].click ? Math.max(...runs.map((r) => r.click.longTasks)) : null,
    errors: [...new Set(runs.flatMap((r) => r.errors))].slice(0, 5),
    resources: runs[Math.floor(runs.length / 2)].resources,
  };
}

/**
 * `count` rounds; each round loads every variant once (interleaved, so a
 * noisy moment hits all of them). Variants: control and mock widget at 1x
 * and 4x CPU throttling, and the widget against the real server.
 */
export async function runLoad(browser, server, { count = 7 } = {}) {
  const variants = {
    control: { page: 'control.html', widget: false },
    mock: { page: 'mock.html' },
    control4x: { page: 'control.html', widget: false, throttle: 4 },
    mock4x: { page: 'mock.html', throttle: 4 },
    live: { page: 'live.html', waitOnline: true },
  };
  const runs = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  // One warm-up load of each (not counted): the browser's own first-use costs.
  for (const v of Object.values(variants)) await loadOnce(browser, `${server.url}/${v.page}`, v);
  for (let i = 0; i < count; i++) {
    for (const [name, v] of Object.entries(variants)) runs[name].push(await loadOnce(browser, `${server.url}/${v.page}`, v));
    log(`load: round ${i + 1}/${count}`);
  }
  const s = Object.fromEntries(Object.entries(runs).map(([k, r]) => [k, summarize(r)]));
  const delta = (w, c) => ({
    launcherMinusControlLoadMs: round(s[w].launcherVisibleMs - s[c].loadMs, 1),
    launcherMinusControlFcpMs: round(s[w].launcherVisibleMs - s[c].fcpMs, 1),
    heapGrowthMiB: mib(s[w].jsHeapBytes - s[c].jsHeapBytes),
    heapGrowthBytes: s[w].jsHeapBytes - s[c].jsHeapBytes,
    extraScriptMs: round(s[w].scriptMs - s[c].scriptMs, 1),
    extraTaskMs: round(s[w].taskMs - s[c].taskMs, 1),
  });
  return { summary: s, delta: { mock: delta('mock', 'control'), mock4x: delta('mock4x', 'control4x'), live: delta('live', 'control') } };
}
