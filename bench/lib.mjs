// Shared helpers of `npm run bench`: paths, statistics, the optimized server,
// a stable copy of the build, and a fresh-context page with CDP metrics.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const benchDir = join(root, 'bench');
// The agent token of bench/sites.toml: the end-to-end tests' token, so their
// agentApi helper serves here too.
export { AGENT_TOKEN } from '../tests/support/natter-server.mjs';
export const APP_KEY = 'sk_bench';
export const SITES = join(benchDir, 'sites.toml');

export const median = (xs) => quantile(xs, 0.5);
export function quantile(xs, q) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(s.length * q) - 1))];
}
export const round = (x, d = 1) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);
export const summary = (xs, d = 2) => ({
  n: xs.length,
  p50: round(quantile(xs, 0.5), d),
  p90: round(quantile(xs, 0.9), d),
  p99: round(quantile(xs, 0.99), d),
  max: round(quantile(xs, 1), d),
});
export const kib = (b) => round(b / 1024, 1);
export const mib = (b) => round(b / 1048576, 2);

export function log(...args) {
  console.error('[bench]', ...args);
}

export function machine() {
  const cpu = cpus();
  const chromium = spawnSync(process.env.CHROME_PATH || '/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).stdout?.trim();
  const rustc = spawnSync('rustc', ['--version'], { encoding: 'utf8' }).stdout?.trim();
  let os = '';
  try {
    os = readFileSync('/etc/os-release', 'utf8').match(/PRETTY_NAME="([^"]*)"/)?.[1] ?? '';
  } catch {}
  return {
    cpu: `${cpu[0]?.model ?? '?'} × ${cpu.length}`,
    memGiB: round(totalmem() / 2 ** 30, 1),
    os,
    node: process.version,
    chromium,
    rustc,
  };
}
export const load = () => loadavg().map((x) => round(x, 2));

/** natter-server built with the `server` profile, as `npm start` runs it (built by run.mjs). */
export const serverBin = () => process.env.NATTER_BENCH_SERVER_BIN || join(root, 'target', 'server', 'natter-server');
export const loadgenBin = () => join(root, 'target', 'bench-loadgen', 'release', 'natter-loadgen');

/** The file-descriptor limit bench children get: the hard limit, at most 65536. */
export function fdLimit() {
  const hard = spawnSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
  return hard === 'unlimited' ? 65536 : Math.min(65536, Number(hard));
}

/**
 * Starts the optimized server on an ephemeral loopback port with the bench site
 * (bench/sites.toml), serving `staticDir`; the fd limit is raised with
 * `ulimit -n` in the shell that execs it. Resolves `{url, port, pid, stop}`.
 */
export async function startServer({ staticDir, args = [], db = null } = {}) {
  const bin = serverBin();
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run cargo build --profile server -p natter-server`);
  const flags = ['--listen', '127.0.0.1:0', ...(db ? ['--db', db] : ['--memory']), '--config', SITES];
  if (staticDir) flags.push('--static', staticDir);
  flags.push(...args);
  const quoted = [bin, ...flags].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawn('bash', ['-c', `ulimit -n ${fdLimit()} && exec ${quoted}`], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' },
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr = (stderr + c).slice(-4000)));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`natter-server did not start in 15 s:\n${stderr}`)), 15000);
    child.stdout.on('data', (c) => {
      out += c;
      const m = out.match(/natter-server listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`natter-server exited (${code}):\n${stderr}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 12000);
      await exited;
      clearTimeout(t);
    },
  };
}

export { agentApi } from '../tests/support/natter-server.mjs';

/**
 * Copies the build to a private folder, so that a rebuild of dist/ during the
 * run cannot mix two builds: `{dir, manifest, bindgenWasm}`. The bench pages
 * (bench/pages/*.html) go beside the files; the server serves that folder.
 */
export async function snapshotBuild({ waitMs = 120000 } = {}) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const snap = trySnapshot();
    if (snap) return snap;
    if (Date.now() > deadline) throw new Error('dist/cdn stayed missing or half-written: run `node scripts/build.mjs`');
    log('dist/cdn is being rebuilt by someone else; waiting for a complete build');
    await sleep(2000);
  }
}

/** A copy whose files all match dist/cdn/manifest.json, or null. */
function trySnapshot() {
  const dir = mkdtempSync(join(tmpdir(), 'natter-bench-'));
  const cdn = join(dir, 'cdn');
  try {
    cpSync(join(root, 'dist', 'cdn'), cdn, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(cdn, 'manifest.json'), 'utf8'));
    for (const [name, { bytes }] of Object.entries(manifest.files)) {
      if (readFileSync(join(cdn, name)).length !== bytes) throw new Error(`${name} changed while copying`);
    }
    let bindgenWasm = null;
    const bindgen = join(root, 'target', 'bindgen', 'natter_bg.wasm');
    if (existsSync(bindgen)) {
      bindgenWasm = join(dir, 'natter_bg.wasm');
      cpSync(bindgen, bindgenWasm);
    }
    for (const name of readdirSync(join(benchDir, 'pages'))) cpSync(join(benchDir, 'pages', name), join(cdn, name));
    // The widget pages: the control page plus one script tag.
    const control = readFileSync(join(benchDir, 'pages', 'control.html'), 'utf8');
    const withTag = (title, tag) => control.replace(/<title>.*<\/title>/, `<title>${title}</title>\n${tag}`);
    writeFileSync(join(cdn, 'mock.html'), withTag('Bench: mock widget', '<script async src="/widget.js" data-app-key="sk_test" data-mock="true"></script>'));
    writeFileSync(join(cdn, 'live.html'), withTag('Bench: widget against natter-server', `<script async src="/widget.js" data-app-key="${APP_KEY}"></script>`));
    return { dir, cdn, manifest, bindgenWasm };
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

/** Writes a page into the served folder (pages are read per request). */
export function writePage(snapshot, name, html) {
  writeFileSync(join(snapshot.cdn, name), html);
}

export const WIDGET_HOST = '[data-natter-widget]';

/**
 * Page-side instrumentation, installed before any page script: long tasks,
 * wasm memories (by wrapping WebAssembly.instantiate* and Instance), widget
 * events, and a per-frame check for the launcher's first visible frame.
 */
export function instrument({ until = 'none', settleMs = 1000 } = {}) {
  const m = (window.__bench = { longtasks: [], memories: [], events: [], launcherAt: null, fcp: null, final: null });
  // Freezes the measurements `settleMs` after the awaited moment and says so on
  // the console: the bench waits for that line instead of polling the page,
  // because Playwright's polling evaluates scripts in the page (long tasks).
  let pending = until === 'none' ? 0 : until === 'online' ? 2 : 1;
  const reached = () => {
    if (--pending !== 0) return;
    setTimeout(() => {
      m.final = { longtasks: m.longtasks.slice(), launcherAt: m.launcherAt, fcp: m.fcp, at: performance.now() };
      console.debug('__bench_done');
    }, settleMs);
  };
  if (until === 'load') addEventListener('load', () => reached());
  if (until === 'online') {
    let online = false;
    addEventListener('natter:connection', (e) => {
      if (e.detail?.state === 'online' && !online) {
        online = true;
        reached();
      }
    });
  }
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) m.longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (e.name === 'first-contentful-paint') m.fcp = e.startTime;
    }).observe({ type: 'paint', buffered: true });
  } catch {}
  const collect = (inst) => {
    for (const v of Object.values((inst && inst.exports) || {})) if (v instanceof WebAssembly.Memory) m.memories.push(v);
  };
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const orig = WebAssembly[name];
    if (!orig) continue;
    WebAssembly[name] = function (...args) {
      return orig.apply(this, args).then((r) => {
        collect(r && r.instance ? r.instance : r);
        return r;
      });
    };
  }
  // The CDN glue starts with `initSync`: `new WebAssembly.Instance`.
  WebAssembly.Instance = new Proxy(WebAssembly.Instance, {
    construct(target, args, newTarget) {
      const inst = Reflect.construct(target, args, newTarget);
      collect(inst);
      return inst;
    },
  });
  for (const type of ['ready', 'message', 'connection', 'open']) {
    window.addEventListener(`natter:${type}`, (e) => m.events.push({ type, at: performance.now(), detail: e.detail }));
  }
  const check = () => {
    const launcher = document.querySelector('[data-natter-widget]')?.shadowRoot?.querySelector('[part~=launcher]');
    if (launcher && launcher.getBoundingClientRect().width > 0 && getComputedStyle(launcher).visibility !== 'hidden') {
      m.launcherAt = performance.now();
      if (until === 'launcher' || until === 'online') reached();
      return;
    }
    if (performance.now() < 30000) requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
  m.wasmBytes = () => m.memories.reduce((t, mem) => t + mem.buffer.byteLength, 0);
}

/** A fresh context with the cache disabled, a CDP session and the instrumentation. */
export async function freshPage(browser, { throttle = 1, until = 'none', settleMs = 1000 } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Performance.enable');
  if (throttle !== 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
  await page.addInitScript(instrument, { until, settleMs });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return { context, page, cdp, errors };
}

/** CDP Performance.getMetrics as an object, after a forced GC. */
export async function metrics(cdp, { gc = true } = {}) {
  if (gc) await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

export const longTaskTotals = (tasks) => ({
  count: tasks.length,
  totalMs: round(tasks.reduce((t, x) => t + x.duration, 0), 1),
  tbtMs: round(tasks.reduce((t, x) => t + Math.max(0, x.duration - 50), 0), 1),
  longestMs: round(Math.max(0, ...tasks.map((x) => x.duration)), 1),
});

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves when the instrumentation has frozen its measurements. */
export const measured = (page, timeout = 60000) =>
  page.waitForEvent('console', { predicate: (m) => m.text() === '__bench_done', timeout });
