// The markdown report of a bench run, with each budget or target beside its number.
import { bytesTable, contributorsTable } from './bytes.mjs';
import { kib } from './lib.mjs';

const ok = (pass) => (pass == null ? '–' : pass ? 'met' : '**MISSED**');
const ms = (x) => (x == null ? '–' : `${x} ms`);

export function report(r) {
  const L = [];
  const s = r.sections;
  L.push(`# Natter benchmarks: ${r.date}`, '');
  L.push(`Machine: ${r.machine.cpu}, ${r.machine.memGiB} GiB, ${r.machine.os}; ${r.machine.chromium}; node ${r.machine.node}; ${r.machine.rustc}.`);
  L.push(`Load average (1/5/15 min) at start ${r.loadAverage.start.join(' / ')}, at end ${r.loadAverage.end.join(' / ')}: the machine is shared, timings above ~1 are noisy.`);
  L.push(`Wall time ${r.wallSecs} s (builds ${r.buildSecs} s; ${Object.entries(r.sectionSecs ?? {}).map(([k, v]) => `${k} ${v} s`).join(', ')})${r.quick ? ' (--quick: fewer samples)' : ''}. Reproduce: \`npm run bench\`.`, '');

  if (s.bytes) {
    const b = s.bytes;
    L.push('## 1. Bytes', '', bytesTable(b), '');
    L.push('| budget | measured | budget | target | verdict |', '|---|--:|--:|--:|---|');
    for (const x of b.budgets) {
      L.push(`| ${x.what} | ${x.actual} B (${kib(x.actual)} KiB) | ${x.maxBytes} B | ${x.targetBytes ?? '–'} | ${ok(!x.over)}${x.overTarget && !x.over ? ' (target missed)' : ''} |`);
    }
    L.push('', contributorsTable(b.contributors), '');
  }

  if (s.load) {
    const { summary: m, delta: d } = s.load;
    L.push(`## 2. Load cost (headless Chromium, median of ${m.mock.runs} fresh contexts, cache disabled)`, '');
    L.push('| page | load event | FCP | launcher visible | ready | long tasks (n / ms / TBT) | JS heap | wasm memory | DOM nodes | script ms | click handler | click → frame with panel |');
    L.push('|---|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|');
    for (const [name, x] of Object.entries(m)) {
      L.push(
        `| ${name} | ${ms(x.loadMs)} | ${ms(x.fcpMs)} | ${ms(x.launcherVisibleMs)} | ${ms(x.readyMs)} | ${x.longTaskCount} / ${x.longTaskMs} / ${x.tbtMs} (worst run ${x.longTaskMaxOfRuns}) | ${x.jsHeapMiB} MiB | ${x.wasmMemoryMiB} MiB | ${x.nodes} | ${x.scriptMs} | ${ms(x.clickHandlerMs)} | ${ms(x.clickToFrameMs)} |`,
      );
    }
    L.push('', '| target | measured (mock, 1x) | 4x CPU | real server | verdict |', '|---|--:|--:|--:|---|');
    L.push(`| launcher visible ≤ 40 ms after the control page's load event | ${ms(d.mock.launcherMinusControlLoadMs)} | ${ms(d.mock4x.launcherMinusControlLoadMs)} | ${ms(d.live.launcherMinusControlLoadMs)} | ${ok(d.mock.launcherMinusControlLoadMs <= 40)} |`);
    L.push(`| zero long tasks, even at 4x | ${m.mock.longTaskCount} (${m.mock.longTaskMs} ms) | ${m.mock4x.longTaskCount} (${m.mock4x.longTaskMs} ms, TBT ${m.mock4x.tbtMs}) | ${m.live.longTaskCount} (${m.live.longTaskMs} ms) | ${ok(m.mock.longTaskCount === 0 && m.mock4x.longTaskCount === 0)} |`);
    L.push(`| JS heap growth < 1 MiB | ${d.mock.heapGrowthMiB} MiB | ${d.mock4x.heapGrowthMiB} MiB | ${d.live.heapGrowthMiB} MiB | ${ok(d.mock.heapGrowthMiB < 1 && d.live.heapGrowthMiB < 1)} (wasm memory ${m.mock.wasmMemoryMiB} MiB, not in the JS heap) |`);
    L.push(`| panel visible within 16 ms of the click | ${ms(m.mock.clickToFrameMs)} (handler ${ms(m.mock.clickHandlerMs)}) | ${ms(m.mock4x.clickToFrameMs)} (handler ${ms(m.mock4x.clickHandlerMs)}) | ${ms(m.live.clickToFrameMs)} | ${ok(m.mock.clickToFrameMs <= 16)} |`);
    L.push('', '"Launcher visible" is the first animation frame whose start finds the launcher laid out with a non-zero box (frame resolution, ~16.7 ms); "click → frame" runs `launcher.click()` in the page and waits for the first frame that starts with the panel shown (it is painted in that frame). The long tasks are frozen 1 s (2 s at 4x) after the launcher shows, before any DevTools evaluation; the JS heap is `Performance.getMetrics` JSHeapUsedSize after a forced GC, minus the control page.', '');
    const p = s.load.profile4x;
    if (p) {
      L.push(`Profile of one mock load at ${p.throttle}x (CDP Profiler + trace): long tasks ${p.longtasks.map((t) => `${t.duration} ms at ${t.start} ms`).join(', ') || 'none'}.`, '');
      for (const t of p.trace) L.push(`- main-thread task of ${t.durationMs} ms: ${t.inside.map((e) => `${e.name} ${e.ms}`).join('; ')}`);
      L.push('', `Click at ${p.throttle}x, self time: ${p.click.rows.filter((x) => !/^\(idle\)/.test(x.name)).slice(0, 6).map((x) => `${x.name} ${x.ms} ms`).join('; ')}.`, '');
      L.push(`Load at ${p.throttle}x, self time: ${p.load.rows.filter((x) => !/^\(idle\)/.test(x.name)).slice(0, 8).map((x) => `${x.name} ${x.ms} ms`).join('; ')}.`, '');
    }
  }

  if (s.latency) {
    const w = s.latency.websocket;
    const p = s.latency.polling;
    const row = (what, x, target) => `| ${what} | ${x.n} | ${ms(x.p50)} | ${ms(x.p90)} | ${ms(x.p99)} | ${ms(x.max)} | ${target} |`;
    L.push('## 3. Message latency (in the page, `performance.now()`, loopback, optimized server)', '');
    L.push('| path | n | p50 | p90 | p99 | max | target |', '|---|--:|--:|--:|--:|--:|---|');
    if (w) {
      L.push(row('WebSocket: `sendMessage` → `message` event with the server id (`message` frame, `ack` frame, row updated)', w.sendToAck, `p50 < 5 ms: ${ok(w.sendToAck.p50 < 5)}`));
      if (w.sendSocketRoundTrip) L.push(row('… of which: the socket round trip in the network stack (CDP Network: `message` frame sent → its `ack` received)', w.sendSocketRoundTrip, 'for reference'));
      if (w.sendHttpPost?.n) L.push(row('… POSTs seen while the socket was open (CDP Network: request sent → body loaded)', w.sendHttpPost, 'none expected'));
      L.push(row('WebSocket: agent `message` frame sent on the agent socket (in the page) → `message` event for it (pushed over the visitor socket, row inserted)', w.replyToDisplay, `p50 < 5 ms: ${ok(w.replyToDisplay.p50 < 5)}`));
      if (w.replyPushToDisplay) L.push(row('… of which: the pushed frame reaching the page → `message` event (parse, row inserted)', w.replyPushToDisplay, 'for reference'));
      if (w.replyApiToDisplay) L.push(row('WebSocket: agent API POST start (in the page) → `message` event for it', w.replyApiToDisplay, 'for reference'));
      L.push(row('… of which: agent API POST start → its HTTP response', w.replyAgentApiResponse, 'for reference'));
    }
    if (p) {
      L.push(row('Polling: `sendMessage` → acknowledged', p.sendToAck, '–'));
      L.push(row('Polling: `sendMessage` → echo bot reply (0 ms bot delay) shown, through the fetch after a send', p.sendToEchoDisplay, 'about one round trip'));
      L.push(row('Polling: agent reply at a random moment → shown', p.replyToDisplay, `≤ 8 s + fetch: ${ok(p.replyToDisplay.max != null && p.replyToDisplay.max <= 8500)}`));
    }
    if (w?.sendProfile) L.push('', `Page CPU profile of 30 sends (self time): ${w.sendProfile.rows.filter((x) => !/^\(idle\)/.test(x.name)).slice(0, 8).map((x) => `${x.name} ${x.ms} ms`).join('; ')}.`);
    L.push('', 'Nothing is subtracted: each number includes the page\'s send (a socket frame, or a fetch), the server (SQLite in memory here), the socket push or the poll, the widget\'s parsing and DOM update, and the microtask that delivers the event. Only the measured messages flow (bot off on the WebSocket run).', '');
  }

  if (s.long) {
    L.push('## 4. Long conversations (history fetched on load, panel open)', '');
    L.push('| messages | all rows rendered | long tasks while loading (n / ms / longest) | scrolling to the top: frames, p50 / max frame, frames > 33 ms, long tasks | JS heap | wasm memory | DOM nodes |', '|--:|--:|---|---|--:|--:|--:|');
    for (const x of Object.values(s.long)) {
      L.push(`| ${x.messages} | ${ms(x.renderAllMs)} | ${x.loadLongTasks.count} / ${x.loadLongTasks.totalMs} / ${x.loadLongTasks.longestMs} | ${x.scroll.frames} frames, ${x.scroll.p50FrameMs} / ${x.scroll.maxFrameMs} ms, ${x.scroll.framesOver33Ms}, ${x.scroll.longtasks.count} (${x.scroll.longtasks.totalMs} ms) | ${x.jsHeapMiB} MiB | ${x.wasmMemoryMiB} MiB | ${x.domNodes} |`);
    }
    const prof = Object.values(s.long).find((x) => x.renderProfile)?.renderProfile;
    if (prof) L.push('', `Profile of the ${Object.values(s.long)[0].messages}-message render, self time: ${prof.rows.slice(0, 6).map((x) => `${x.name} ${x.ms} ms`).join('; ')}.`);
    L.push('', 'Target: zero long tasks while scrolling (keep the DOM bounded if needed).', '');
  }

  if (s.capacity) {
    const c = s.capacity;
    L.push('## 5. Server capacity (natter-server, `server` profile; Rust load generator `bench/loadgen`, 127.0.0.1)', '');
    if (c.idle) {
      const i = c.idle;
      if (i.timedOut) L.push('Idle run timed out.', '');
      else L.push(`Idle WebSocket visitors: **${i.stillOpenAfterHold} / ${i.requested} held** for ${i.holdSecs} s (target 10,000: ${ok(i.stillOpenAfterHold >= 10000)}), opened in ${i.connectAllSecs} s (handshake + upgrade p50 ${i.connectLatency.p50Ms} ms, p99 ${i.connectLatency.p99Ms} ms), errors ${JSON.stringify(i.errors)}. Server VmRSS ${Math.round(i.serverRssKiB.before / 1024)} → ${Math.round(i.serverRssKiB.afterHold / 1024)} MiB: **${Math.round(i.serverBytesPerConnection / 1024)} KiB per connection**. fd limit ${c.fdLimit} (raised with \`ulimit -n\` in the shell that starts each process).`, '');
    }
    for (const key of ['active', 'activeMemory', 'activeProfiled']) {
      const a = c[key];
      if (!a || a.timedOut) continue;
      if (key === 'activeProfiled') L.push('Profiled run (smaller, for `perf`):', '');
      L.push(`Active visitors (${a.database}): ${a.connected} / ${a.visitors} connected, each sending ${a.ratePerVisitor}/s for ${a.durationSecs} s with the echo bot: ${a.acked} of ${a.planned ?? a.sent} planned sends acknowledged (${a.ackedPerSec}/s; ${a.skippedOverload ?? 0} never started because the visitor's previous send was still waiting when the run ended), errors ${a.errorsTotal} ${JSON.stringify(a.errors)}; server CPU ${a.serverCpuPercent} % (of 200 %), load generator ${a.loadgenCpuPercent} %.`, '');
      L.push('| latency | n | p50 | p90 | p99 | max | target |', '|---|--:|--:|--:|--:|--:|---|');
      const r = (what, x, t) => `| ${what} | ${x.n} | ${ms(x.p50Ms)} | ${ms(x.p90Ms)} | ${ms(x.p99Ms)} | ${ms(x.maxMs)} | ${t} |`;
      L.push(r('ack, from the scheduled send time (includes queueing behind a slow previous send)', a.ackFromSchedule, `p99 < 50 ms: ${ok(a.ackFromSchedule.p99Ms < 50 && a.errorsTotal === 0)}`));
      L.push(r('ack, from the request write', a.ackFromWrite, '–'));
      L.push(r('echo reply frame on the socket, from the write (includes the 600 ms bot delay)', a.echoFromWrite, '–'));
      if (a.perf?.top?.length) {
        L.push('', `perf of the server (${a.perf.secs} s, self time, with the nearest caller):`, '');
        for (const t of a.perf.top.slice(0, 8)) L.push(`- ${t.percent} % \`${t.symbol}\`${t.caller ? ` ← \`${t.caller}\`` : ''}`);
      }
      if (a.perf?.error) L.push('', `(perf unavailable: ${a.perf.error})`);
      else if (a.perf && !a.perf.top?.length) L.push('', '(perf recorded no samples of the server: see BENCHMARKS.md for a profile taken by hand)');
      L.push('');
    }
  }
  return L.join('\n') + '\n';
}
