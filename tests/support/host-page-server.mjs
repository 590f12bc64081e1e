// A host page on its own origin, for cross-origin end-to-end tests: serves
// only the fixture pages (never the widget's files, so they must come from
// elsewhere) on 127.0.0.1 with an ephemeral port. `{{NAME}}` in a page
// becomes `vars.NAME`, which a test may set after the server has started
// (the API's origin allowlist needs this server's origin first). Response
// headers come from `<meta name="test-header" ...>`, as in static-server.mjs.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const HEADER_META = /<meta name="test-header" content="([^:"]+):\s*([^"]*)">/g;

export async function startHostPageServer(vars = {}) {
  const server = createServer(async (req, res) => {
    const name = basename(new URL(req.url, 'http://x').pathname);
    let page;
    try {
      if (!name.endsWith('.html')) throw new Error('only pages are served here');
      page = await readFile(FIXTURES + name, 'utf8');
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    page = page.replace(/\{\{(\w+)\}\}/g, (_, key) => vars[key] ?? '');
    const headers = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
    for (const [, header, value] of page.matchAll(HEADER_META)) headers[header] = value;
    res.writeHead(200, headers).end(page);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, vars, close: () => new Promise((resolve) => server.close(resolve)) };
}
