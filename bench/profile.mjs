// A CPU profile (CDP Profiler, 100 µs sampling) of one widget load at a given
// CPU throttling, and of one launcher click: self time by function, to say
// what the long tasks are made of. Wasm frames are named from the -g build
// when its function indices match the shipped wasm's (same wasm-opt run).
import { freshPage, measured, round, sleep } from './lib.mjs';

/** Trace categories that name what a long task spent its time on. */
export const TRACE_CATEGORIES = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.wasm', 'v8.execute', 'blink', 'loading'];

export function selfTimes(profile, top = 15) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]);
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url ? f.url.replace(/^.*\//, '') : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + (dt[i + 1] ?? 0) / 1000);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const rows = [...self]
    .filter(([k]) => !/^\(idle\)|^\(program\)$/.test(k) || true)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => ({ name, ms: round(ms, 1) }));
  return { totalMs: round(total, 1), rows };
}

export async function profileLoad(browser, server, { throttle = 4, page: pageName = 'mock.html' } = {}) {
  const { context, page, cdp } = await freshPage(browser, { throttle, until: 'launcher', settleMs: 500 * throttle });
  try {
    await browser.startTracing(page, { categories: TRACE_CATEGORIES });
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
    const done = measured(page);
    done.catch(() => {});
    await page.goto(`${server.url}/${pageName}`);
    await done;
    const { profile: loadProfile } = await cdp.send('Profiler.stop');
    const longtasks = await page.evaluate(() => window.__bench.final.longtasks);
    const trace = longTaskBreakdown(JSON.parse((await browser.stopTracing()).toString()));
    await cdp.send('Profiler.start');
    await page.evaluate(() => document.querySelector('[data-natter-widget]').shadowRoot.querySelector('[part~=launcher]').click());
    await sleep(300 * throttle);
    const { profile: clickProfile } = await cdp.send('Profiler.stop');
    return { throttle, page: pageName, longtasks: longtasks.map((t) => ({ start: round(t.start), duration: round(t.duration) })), trace, load: selfTimes(loadProfile), click: selfTimes(clickProfile) };
  } finally {
    await context.close();
  }
}

/**
 * The renderer main thread's tasks over 50 ms in a trace, each with the trace
 * events inside it summed by name (inclusive times: nested events overlap).
 */
export function longTaskBreakdown(trace) {
  const events = trace.traceEvents ?? trace;
  // Renderer main threads: pid == tid, not the browser's or the GPU's.
  const other = new Set(events.filter((e) => e.name === 'thread_name' && /CrBrowserMain|CrGpuMain/.test(e.args?.name)).map((e) => e.pid));
  const onMain = events.filter((e) => e.pid === e.tid && !other.has(e.pid) && e.ph === 'X' && e.dur != null);
  // The widget page's renderer: the one that compiled the wasm.
  const wasmPids = new Map();
  for (const e of onMain) if (e.name.startsWith('wasm.')) wasmPids.set(e.pid, (wasmPids.get(e.pid) ?? 0) + 1);
  const pagePid = [...wasmPids].sort((a, b) => b[1] - a[1])[0]?.[0];
  const all = onMain.filter((e) => pagePid == null || e.pid === pagePid).filter((e) => /RunTask$/.test(e.name) && e.dur > 50000);
  // Outermost tasks only.
  const tasks = all.filter((t) => !all.some((o) => o !== t && o.pid === t.pid && o.ts <= t.ts && o.ts + o.dur >= t.ts + t.dur && o.dur > t.dur));
  return tasks.map((t) => {
    const inside = new Map();
    for (const e of onMain) {
      if (e === t || e.pid !== t.pid || /RunTask$/.test(e.name) || e.ts < t.ts || e.ts + e.dur > t.ts + t.dur || e.dur < 1000) continue;
      const name = e.name === 'FunctionCall' || e.name === 'EvaluateScript' ? `${e.name} ${(e.args?.data?.url ?? '').replace(/^.*\//, '')}` : e.name;
      inside.set(name, (inside.get(name) ?? 0) + e.dur / 1000);
    }
    return {
      durationMs: round(t.dur / 1000),
      inside: [...inside].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([name, ms]) => ({ name, ms: round(ms) })),
    };
  });
}
