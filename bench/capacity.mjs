// Server capacity: the Rust load generator (bench/loadgen) against the release
// server on 127.0.0.1, each run bounded in count and time. The server and the
// load generator run with `ulimit -n` raised to the hard limit (≤ 65536).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fdLimit, loadgenBin, log, startServer } from './lib.mjs';

function loadgen(args, timeoutSecs) {
  const quoted = [loadgenBin(), ...args, '--timeout-secs', String(timeoutSecs)].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `ulimit -n ${fdLimit()} && exec ${quoted}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err = (err + c).slice(-2000)));
    // The generator bounds itself; this is the backstop.
    const kill = setTimeout(() => child.kill('SIGKILL'), (timeoutSecs + 30) * 1000);
    child.on('exit', (code) => {
      clearTimeout(kill);
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)));
      } catch {
        reject(new Error(`natter-loadgen exited ${code}: ${err || out}`));
      }
    });
  });
}

/**
 * `perf record` of the server for `secs` seconds, `delaySecs` from now; resolves
 * with the top symbols by self time, or null where perf is missing or denied.
 */
export async function perfTop(pid, delaySecs, secs) {
  if (!existsSync('/usr/bin/perf') && !process.env.PERF) return null;
  const perf = process.env.PERF || '/usr/bin/perf';
  await new Promise((r) => setTimeout(r, delaySecs * 1000));
  const dir = mkdtempSync(join(tmpdir(), 'natter-perf-'));
  const record = (file, extra, seconds) =>
    spawnSync(perf, ['record', ...extra, '-o', file, '-p', String(pid), '--', 'sleep', String(seconds)], { encoding: 'utf8', timeout: (seconds + 60) * 1000 });
  const report = (file, extra) =>
    spawnSync(perf, ['report', '-i', file, '--stdio', '--no-children', ...extra], { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 120000 });
  // System-wide (-a): `perf record -p` missed the server's threads at 1,000
  // visitors here. Rows are kept for the server's own thread ids.
  const tids = new Set(readdirSync(`/proc/${pid}/task`));
  const flat = join(dir, 'flat.data');
  const rec = record(flat, ['-a', '-F', '499'], secs);
  if (rec.status !== 0) return { error: (rec.stderr || '').slice(0, 300) };
  const rows = new Map();
  let total = 0;
  for (const line of (report(flat, ['--sort', 'pid,sym', '--percent-limit', '0.2']).stdout ?? '').split('\n')) {
    const m = line.match(/^\s+(\d+\.\d+)%\s+(\d+):\S*\s+\[[.k]\]\s+(.*\S)\s*$/);
    if (!m || !tids.has(m[2])) continue;
    const symbol = m[3].slice(0, 120);
    rows.set(symbol, (rows.get(symbol) ?? 0) + Number(m[1]));
    total += Number(m[1]);
  }
  // Percent of the server's samples (not of the whole machine's).
  const top = [...rows]
    .sort((a, b) => b[1] - a[1])
    .map(([symbol, p]) => ({ percent: Math.round((p / total) * 1000) / 10, symbol, chain: [] }));
  rmSync(dir, { recursive: true, force: true });
  return {
    secs,
    top: top.slice(0, 12).map(({ percent, symbol, chain }) => {
      const frames = chain.filter((f) => f !== symbol);
      return { percent, symbol, caller: frames.at(-1)?.slice(0, 120) ?? null };
    }),
  };
}

export async function runCapacity({ idle = 10000, active = 1000, durationSecs = 30, holdSecs = 10 } = {}) {
  const limit = fdLimit();
  const result = { fdLimit: limit };
  // Each idle visitor needs one socket in each process, plus a few.
  const idleCount = Math.min(idle, limit - 200);
  if (idleCount < idle) log(`capacity: fd limit ${limit}: holding ${idleCount} sockets instead of ${idle}`);
  {
    const server = await startServer({ args: ['--bot', 'off'] });
    try {
      result.idle = await loadgen(['idle', '--addr', `127.0.0.1:${server.port}`, '--count', String(idleCount), '--concurrency', '64', '--hold-secs', String(holdSecs), '--server-pid', String(server.pid)], 300);
      log(`capacity: idle ${result.idle.stillOpenAfterHold}/${idleCount} held, ${result.idle.serverBytesPerConnection} B/conn`);
    } finally {
      await server.stop();
    }
  }
  // Active visitors with the echo bot (default 600 ms delay): on a database
  // file (the server's default: WAL, synchronous=FULL) with a perf profile,
  // then in memory (--memory) for comparison.
  // Then a smaller run (300 visitors, 10 s, in memory) under perf: at 1,000
  // visitors perf recorded no samples of the server on this machine.
  const runs = [
    ['active', 'file', active, durationSecs],
    ['activeMemory', 'memory', active, Math.ceil(durationSecs / 2)],
    ['activeProfiled', 'memory', Math.min(300, active), 10],
  ];
  for (const [key, db, count, secs] of runs) {
    const dir = mkdtempSync(join(tmpdir(), 'natter-capacity-'));
    try {
      const server = await startServer({ db: db === 'file' ? join(dir, 'natter.db') : null, args: ['--bot', 'echo'] });
      try {
        const run = loadgen(['active', '--addr', `127.0.0.1:${server.port}`, '--count', String(count), '--rate', '1', '--duration-secs', String(secs), '--concurrency', '32', '--server-pid', String(server.pid)], secs + 180);
        const perf = key === 'activeProfiled' ? perfTop(server.pid, 3, 4) : null;
        result[key] = await run;
        result[key].database = db === 'file' ? 'file (WAL, synchronous=FULL)' : 'memory (--memory)';
        if (perf) result[key].perf = await perf;
        log(`capacity: ${key} p50 ${result[key].ackFromSchedule?.p50Ms} ms p99 ${result[key].ackFromSchedule?.p99Ms} ms, errors ${result[key].errorsTotal}`);
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return result;
}
