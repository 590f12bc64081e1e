// `npm run bench`: all five benchmarks of issue 8, then
// bench/results/latest.md and latest.json (not committed; BENCHMARKS.md holds
// the numbers of record).
//
//   npm run bench                    build, then everything (≈ 10 min)
//   npm run bench -- --no-build      use the current dist/ and binaries
//   npm run bench -- --only=bytes,load,latency,long,capacity
//   npm run bench -- --quick         fewer samples (a smoke run, ≈ 3 min)
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser } from '../tests/support/browser.mjs';
import { run, rustToolchain } from '../scripts/lib.mjs';
import { measureBytes, prefetchTwiggy } from './bytes.mjs';
import { runCapacity } from './capacity.mjs';
import { runLatency } from './latency.mjs';
import { benchDir, load, log, machine, root, snapshotBuild, startServer } from './lib.mjs';
import { runLoad } from './load.mjs';
import { runLong } from './long.mjs';
import { profileLoad } from './profile.mjs';
import { report } from './report.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const only = argv.find((a) => a.startsWith('--only='))?.slice(7).split(',') ?? ['bytes', 'load', 'latency', 'long', 'capacity'];
const quick = flag('quick');
const started = Date.now();
const elapsed = () => Math.round((Date.now() - started) / 1000);

// twiggy (bytes) installs while the build runs, on a fresh machine.
const twiggyReady = only.includes('bytes') ? prefetchTwiggy() : Promise.resolve();
if (!flag('no-build')) {
  log('building: the widget (node scripts/build.mjs), the server and the load generator');
  const rust = rustToolchain();
  // The server and the load generator build while the widget builds: its
  // LTO with one codegen unit leaves a core idle most of the time.
  const cargo = (args) =>
    new Promise((resolve, reject) => {
      const child = spawn('cargo', args, { cwd: root, stdio: 'inherit', env: rust.env });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`cargo ${args.join(' ')} failed (${code})`))));
      child.on('error', reject);
    });
  const others = Promise.all([
    cargo(['build', '-q', '--profile', 'server', '--locked', '-p', 'natter-server']),
    cargo(['build', '-q', '--release', '--locked', '--manifest-path', join(benchDir, 'loadgen', 'Cargo.toml'), '--target-dir', join(root, 'target', 'bench-loadgen')]),
  ]);
  run('node', [join(root, 'scripts', 'build.mjs')]);
  await others;
  log(`built in ${elapsed()} s`);
}
// A private copy: the shared dist/ may be rebuilt while the bench runs.
const snap = await snapshotBuild();
const sectionSecs = {};
const timed = async (name, fn) => {
  const t = Date.now();
  try {
    return await fn();
  } finally {
    sectionSecs[name] = Math.round((Date.now() - t) / 1000);
  }
};
const results = { sectionSecs, buildSecs: elapsed(), date: new Date().toISOString(), machine: machine(), loadAverage: { start: load() }, quick, sections: {} };
try {
  if (only.includes('bytes')) {
    await twiggyReady;
    log('bytes');
    const b = await timed('bytes', () => measureBytes(snap.cdn, snap.bindgenWasm));
    b.files = b.files.map(({ wasmBytes, ...f }) => f);
    b.loader = b.files.find((f) => f.role === 'loader');
    results.sections.bytes = b;
  }
  if (only.some((s) => ['load', 'latency', 'long'].includes(s))) {
    const browser = await launchBrowser();
    try {
      if (only.includes('load')) {
        log('load cost');
        const server = await startServer({ staticDir: snap.cdn, args: ['--bot', 'off'] });
        try {
          results.sections.load = await timed('load', () => runLoad(browser, server, { count: quick ? 3 : 7 }));
          results.sections.load.profile4x = await timed('profile', () => profileLoad(browser, server, { throttle: 4 }));
        } finally {
          await server.stop();
        }
      }
      if (only.includes('latency')) {
        log('message latency');
        results.sections.latency = await timed('latency', () => runLatency(browser, snap, { count: quick ? 50 : 200, pollSamples: quick ? 3 : 8 }));
      }
      if (only.includes('long')) {
        log('long conversations');
        results.sections.long = await timed('long', () => runLong(browser, snap, { sizes: quick ? [1000] : [1000, 5000] }));
      }
    } finally {
      await browser.close();
    }
  }
  if (only.includes('capacity')) {
    log('server capacity');
    results.sections.capacity = await timed('capacity', () => runCapacity(quick ? { idle: 2000, active: 300, durationSecs: 10, holdSecs: 3 } : {}));
  }
} finally {
  rmSync(snap.dir, { recursive: true, force: true });
}
results.loadAverage.end = load();
results.wallSecs = elapsed();
const out = join(benchDir, 'results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
const md = report(results);
writeFileSync(join(out, 'latest.md'), md);
console.log(md);
log(`done in ${results.wallSecs} s: bench/results/latest.md and latest.json`);
