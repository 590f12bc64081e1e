// The real companion server for end-to-end tests: `natter-server` on an
// ephemeral port with an in-memory (or given) database, started and stopped
// by PID. `npm test` builds the binary before the end-to-end layer.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const SERVER_BIN = process.env.NATTER_SERVER_BIN || `${root}target/debug/natter-server`;
export const AGENT_TOKEN = 'agent-token-for-tests-0123456789';

/**
 * Starts the server; resolves with `{ url, pid, stop }` once it has printed
 * its address. `args` are extra flags (`--no-websocket`...); `listen` a fixed
 * address (to restart on the same port), `db` a database file to keep.
 */
export async function startNatterServer(args = [], { bot = 'echo', botDelayMs = 300, db, listen = '127.0.0.1:0' } = {}) {
  if (!existsSync(SERVER_BIN)) throw new Error(`${SERVER_BIN} is missing: run \`cargo build -p natter-server\``);
  const flags = [
    '--listen',
    listen,
    ...(db ? ['--db', db] : ['--memory']),
    '--bot',
    bot,
    '--bot-delay-ms',
    String(botDelayMs),
    '--agent-token',
    AGENT_TOKEN,
    '--test-hooks',
    ...args,
  ];
  const child = spawn(SERVER_BIN, flags, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/natter-server listening on (http:\/\/\S+)/);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`natter-server exited (${code}) before listening:\n${stderr}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    url,
    pid: child.pid,
    /** Stops it with SIGTERM (graceful) or the given signal; resolves on exit. */
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** A JSON request to the server, as an agent. */
export async function agentApi(server, path, body) {
  const res = await fetch(`${server.url}/api/v1/agent${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${AGENT_TOKEN}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
