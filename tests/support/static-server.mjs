// A static HTTP server for end-to-end tests: serves the built CDN folder and
// the test fixture pages on 127.0.0.1 with an ephemeral port. A fixture page
// may name response headers (e.g. a CSP) in `<meta name="test-header" ...>`.
// With `{ api }` (the companion server's URL), `{{API}}` and `{{WS}}` in
// pages become its http and ws origins: the page and the API are then on
// different origins, as on a real site using a hosted backend.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const DIRS = [join(root, 'dist', 'cdn'), join(root, 'tests', 'fixtures')];
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};
const HEADER_META = /<meta name="test-header" content="([^:"]+):\s*([^"]*)">/g;

export async function startStaticServer({ api = '' } = {}) {
  const ws = api.replace(/^http/, 'ws');
  const server = createServer(async (req, res) => {
    if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    for (const dir of DIRS) {
      try {
        let body = await readFile(join(dir, path === '/' ? 'index.html' : path));
        const headers = { 'content-type': TYPES[extname(path)] || 'application/octet-stream', 'cache-control': 'no-store' };
        if (extname(path) === '.html') {
          body = Buffer.from(body.toString().replaceAll('{{API}}', api).replaceAll('{{WS}}', ws));
          for (const [, name, value] of body.toString().matchAll(HEADER_META)) headers[name] = value;
        }
        res.writeHead(200, headers).end(body);
        return;
      } catch {
        // try the next directory
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}
