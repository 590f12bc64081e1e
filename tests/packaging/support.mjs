// Helpers for the packaging tests: the built package and CDN folder, temp
// dirs, child processes stopped by PID, a static server with per-path
// overrides, the companion server, and what a page said.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { natterMessages } from '../support/browser.mjs';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const cdnDir = join(root, 'dist', 'cdn');
export const npmDir = join(root, 'dist', 'npm');

/** Fails the whole file with one clear line when there is nothing built to test. */
export function requireBuild() {
  if (!existsSync(join(npmDir, 'package.json')) || !existsSync(join(cdnDir, 'manifest.json'))) {
    throw new Error('dist/npm and dist/cdn are missing: run `npm run build` first');
  }
}

export const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

/** A temp dir under os.tmpdir(), removed by the returned function. */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `natter-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Runs a command to completion and resolves with its output; rejects with
 * the output when it exits non-zero (unless `allowFailure`). A run that
 * outlives `timeoutMs` is stopped by its PID.
 */
export function exec(command, args, { cwd, env, timeoutMs = 180_000, allowFailure = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => process.kill(child.pid, 'SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code, signal, output };
      if ((code === 0 || allowFailure) && !signal) resolve(result);
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal || `exit ${code}`}):\n${output}`));
    });
  });
}

/** `npm pack` of the built package into `dir`; resolves with the tarball path. */
export async function packTarball(dir) {
  const { output } = await exec('npm', ['pack', npmDir, '--pack-destination', dir, '--json', '--loglevel=error']);
  const [{ filename }] = JSON.parse(output.slice(output.indexOf('[')));
  return join(dir, filename);
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

/**
 * Serves directories on 127.0.0.1 with an ephemeral port.
 * `mounts`: `[['/prefix/', dir], ...]`, searched in order. `routes`: exact paths
 * answered by a function `(req, res) => void` (a 404, a wrong MIME type...).
 * `headers(path)`: extra response headers, e.g. a CSP for one page.
 */
export async function serve({ mounts, routes = {}, headers = () => ({}) }) {
  // The page's API lives on the same origin, as when a site serves the CDN
  // folder with its backend: /api/ and /ws go to a companion server.
  const companion = await startCompanion(companionBinary(), []);
  const api = new URL(companion.url);
  const upgraded = new Set();
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (routes[path]) return routes[path](req, res);
    if (path.startsWith('/api/')) {
      const upstream = httpRequest(
        { host: api.hostname, port: api.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
      return;
    }
    for (const [prefix, dir] of mounts) {
      if (!path.startsWith(prefix)) continue;
      let file = join(dir, path.slice(prefix.length));
      if (file.endsWith('/') || (existsSync(file) && statSync(file).isDirectory())) file = join(file, 'index.html');
      try {
        const body = await readFile(file);
        const type = TYPES[extname(file)] || 'application/octet-stream';
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', ...headers(path) }).end(body);
        return;
      } catch {
        // try the next mount
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  server.on('upgrade', (req, socket, head) => {
    const upstream = connect(Number(api.port), api.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    for (const end of [socket, upstream]) {
      upgraded.add(end);
      end.on('error', () => {
        socket.destroy();
        upstream.destroy();
      });
      end.on('close', () => upgraded.delete(end));
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const socket of upgraded) socket.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await companion.stop();
    },
  };
}

/** The strict policy the widget runs under (README, "Content-Security-Policy"). */
export const STRICT_CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'";

/**
 * The natter-server binary: NATTER_SERVER_BIN (set by `npm test`), else the
 * newest one a build has left (release or debug, rustup's or Debian's).
 */
export function companionBinary() {
  const given = process.env.NATTER_SERVER_BIN || process.env.NATTER_SERVER;
  if (given) return given;
  const candidates = [
    ['target', 'release'],
    ['target', 'debug'],
    ['target', 'debian', 'debug'],
    ['target', 'debian', 'release'],
  ]
    .map((parts) => join(root, ...parts, 'natter-server'))
    .filter((path) => existsSync(path));
  candidates.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!candidates.length) throw new Error('no natter-server binary: build it with `cargo build -p natter-server`');
  return candidates[0];
}

/**
 * Starts the companion server on an ephemeral port with an in-memory store
 * and the echo bot, serving `staticDirs`; resolves once it prints its
 * address. `stop()` ends it by PID and waits for the exit.
 */
export function startCompanion(binary, staticDirs) {
  const args = ['--listen', '127.0.0.1:0', '--memory', '--bot', 'echo', '--bot-delay-ms', '0'];
  for (const dir of staticDirs) args.push('--static', dir);
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      const match = stdout.match(/natter-server listening on (http:\/\/\S+)/);
      if (match) resolve({ url: match[1], stop });
    });
    child.on('error', reject);
    exited.then((code) => reject(new Error(`natter-server exited (${code}) before listening:\n${stderr}`)));
  });
}

/** Number of widget hosts on the page and whether the launcher is visible. */
export const widgetState = (page) =>
  page.evaluate(() => {
    const hosts = document.querySelectorAll('[data-natter-widget]');
    const launcher = hosts[0] && hosts[0].shadowRoot && hosts[0].shadowRoot.querySelector('[part~=launcher]');
    return { hosts: hosts.length, launcher: !!launcher && launcher.checkVisibility() };
  });

/** Waits for the launcher inside the shadow root, then asserts it is the only widget. */
export async function expectOneLauncher(page, assert) {
  await page.locator('[part~=launcher]').waitFor({ state: 'visible' });
  assert.deepEqual(await widgetState(page), { hosts: 1, launcher: true });
}

/**
 * Runs `Natter(command, ...)` in the page, with a handler that records
 * payloads in `window.__natterEvents[event]` for `on`, and says whether the
 * runtime knew the command (it logs "unknown command" synchronously).
 */
export function runtimeCall(page, command, ...args) {
  return page.evaluate(
    ([command, args]) => {
      const said = [];
      const original = console.error;
      console.error = (...parts) => {
        said.push(parts.join(' '));
        original.apply(console, parts);
      };
      try {
        if (command === 'on') {
          const [event] = args;
          const events = (window.__natterEvents ||= {});
          events[event] ||= [];
          window.Natter('on', event, (payload) => events[event].push(payload));
        } else {
          window.Natter(command, ...args);
        }
      } finally {
        console.error = original;
      }
      return !said.some((line) => line.includes(`unknown command "${command}"`));
    },
    [command, args],
  );
}

/**
 * The "message round-trips with the companion server" check for a page
 * served by the companion server itself from `staticDirs` at `path`.
 */
export async function messageRoundTrip(t, { browser, openPage, staticDirs, path, assert }) {
  const binary = companionBinary();
  const companion = await startCompanion(binary, staticDirs);
  const { context, page, seen } = await openPage(browser, companion.url + path);
  try {
    await expectOneLauncher(page, assert);
    assert.ok(await runtimeCall(page, 'on', 'message'));
    const text = `hello ${Date.now()}`;
    assert.ok(await runtimeCall(page, 'sendMessage', text));
    await page.waitForFunction(
      (text) => (window.__natterEvents.message || []).some((m) => m.from === 'agent' && m.text.includes(text)),
      text,
      { timeout: 15_000 },
    );
    assert.deepEqual(seen.pageErrors, []);
    assert.deepEqual(natterMessages(seen, 'error'), []);
  } finally {
    await context.close();
    await companion.stop();
  }
}
