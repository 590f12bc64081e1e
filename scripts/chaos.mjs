// `npm run chaos`: many seeded fault schedules (sends, agent replies,
// dropped sockets, offline periods, reloads) against the real server, a few
// at a time, each on its own server and browser context. Prints the failing
// seeds (replay one with NATTER_FAULT_SEED=<seed> NATTER_FAULT_STEPS=<steps>
// node --test tests/e2e/transport.test.mjs) and the longest time any visitor
// message stayed pending.
//
// Settings (environment):
//   NATTER_CHAOS_SEEDS    how many schedules (200), seeds from NATTER_FAULT_SEED (1)
//   NATTER_FAULT_STEPS    steps per schedule (60)
//   NATTER_CHAOS_JOBS     schedules at once (2: more on two cores measures the
//                         machine's load, not the widget: at 4, one server answer took 2 s)
//   NATTER_CHAOS_MINUTES  no schedule starts after this (30); the rest are reported as not run
//   NATTER_CHAOS_PENDING_MS  the longest pending time allowed (2000)
//   NATTER_CHAOS_SKIP_BUILD=1  use the widget and server already built
import { join } from 'node:path';
import { root, run, rustToolchain } from './lib.mjs';

const env = process.env;
const count = Number(env.NATTER_CHAOS_SEEDS) || 200;
const first = Number(env.NATTER_FAULT_SEED) || 1;
const steps = Number(env.NATTER_FAULT_STEPS) || 60;
const jobs = Math.max(1, Number(env.NATTER_CHAOS_JOBS) || 2);
const deadline = Date.now() + (Number(env.NATTER_CHAOS_MINUTES) || 30) * 60_000;
const pendingLimit = Number(env.NATTER_CHAOS_PENDING_MS) || 2000;

const rust = rustToolchain();
const targetDir = rust.kind === 'debian' ? join(root, 'target', 'debian') : join(root, 'target');
if (!env.NATTER_CHAOS_SKIP_BUILD) {
  run('node', [join(root, 'scripts', 'build.mjs')]);
  const nativeTarget = rust.kind === 'debian' ? [`--target-dir=${targetDir}`] : [];
  run('cargo', ['build', '--locked', '-p', 'natter-server', ...nativeTarget], { env: rust.env });
}
env.NATTER_SERVER_BIN ||= join(targetDir, 'debug', 'natter-server');

// Imported once the server binary is known: the helpers read it on load.
const { launchBrowser } = await import('../tests/support/browser.mjs');
const { runSchedule, running } = await import('../tests/support/faults.mjs');

// Interrupted: no new schedule, and the servers of those under way stopped
// now (Playwright's own handler closes the browser, and on SIGINT exits).
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopping = true;
    for (const site of running) {
      try {
        process.kill(site.api.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  });
}

const seeds = Array.from({ length: count }, (_, i) => first + i);
const results = [];
const started = Date.now();
const browser = await launchBrowser();
try {
  await Promise.all(Array.from({ length: Math.min(jobs, count) }, worker));
} finally {
  await browser.close();
}

/** Runs schedules one after another until none is left or time is up. */
async function worker() {
  while (seeds.length && Date.now() < deadline && !stopping && browser.isConnected()) {
    const seed = seeds.shift();
    const t0 = Date.now();
    try {
      const { maxPendingMs, slowest, attempts } = await runSchedule(browser, { seed, steps });
      results.push({ seed, maxPendingMs, slowest });
      if (maxPendingMs > pendingLimit) console.log(`seed ${seed}: "${slowest}" pending ${maxPendingMs} ms, ${attempts}`);
    } catch (err) {
      results.push({ seed, error: err.message });
      console.log(`seed ${seed} FAILED: ${err.message}`);
    }
    if (results.length % 10 === 0 || results.length === count) {
      const s = Math.round((Date.now() - started) / 1000);
      console.log(`# ${results.length}/${count} schedules in ${s} s (last: seed ${seed}, ${Date.now() - t0} ms)`);
    }
  }
}

const failed = results.filter((r) => r.error);
const slow = results.filter((r) => r.maxPendingMs > pendingLimit);
const longest = results.filter((r) => !r.error).reduce((a, r) => (r.maxPendingMs > (a?.maxPendingMs ?? -1) ? r : a), null);
const passed = results.length - failed.length - slow.length;
console.log(`\n${passed} of ${count} schedules of ${steps} steps passed in ${Math.round((Date.now() - started) / 1000)} s (${jobs} at once)`);
if (seeds.length) console.log(`not run (time is up, interrupted or the browser went away): ${seeds.length}`);
if (failed.length) console.log(`failed seeds: ${failed.map((r) => r.seed).join(' ')}`);
if (slow.length) console.log(`pending over ${pendingLimit} ms: ${slow.map((r) => r.seed).join(' ')}`);
if (longest) console.log(`longest pending: ${longest.maxPendingMs} ms (seed ${longest.seed}, "${longest.slowest}")`);
process.exitCode = failed.length || slow.length || seeds.length ? 1 : 0;
