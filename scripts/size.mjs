// `npm run size`: raw, gzip -9 and brotli bytes of every shipped CDN file,
// and their total; then the wasm's bytes by Rust module and data (twiggy on
// a named copy, see bench/bytes.mjs). Run after `npm run build`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dist, fail, root, sizes } from './lib.mjs';

/** The shipped CDN files: what a page downloads. */
export function shippedFiles() {
  const dir = join(dist, 'cdn');
  if (!existsSync(dir)) fail('dist/cdn is missing: run `npm run build` first');
  return readdirSync(dir)
    .filter((name) => /\.(js|wasm)$/.test(name))
    .sort()
    .map((name) => ({ name: `dist/cdn/${name}`, bytes: readFileSync(join(dir, name)) }));
}

export function printSizes(files) {
  const rows = files.map(({ name, bytes }) => ({ name, ...sizes(bytes) }));
  const total = rows.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }), {
    raw: 0,
    gzip: 0,
    brotli: 0,
  });
  rows.push({ name: 'total', ...total });
  const width = Math.max(...rows.map((r) => r.name.length));
  const line = (name, raw, gzip, brotli) =>
    `${name.padEnd(width)}  ${String(raw).padStart(8)}  ${String(gzip).padStart(8)}  ${String(brotli).padStart(8)}`;
  console.log('\n' + line('file', 'raw', 'gzip -9', 'brotli'));
  for (const r of rows) console.log(line(r.name, r.raw, r.gzip, r.brotli));
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const files = shippedFiles();
  printSizes(files);
  const { modulesTable, wasmContributors } = await import('../bench/bytes.mjs');
  const wasm = files.find(({ name }) => name.endsWith('.wasm'));
  console.log('\nwasm bytes by Rust module and data (≈ brotli: see bench/bytes.mjs):\n');
  console.log(modulesTable(wasmContributors(join(root, 'target', 'bindgen', 'natter_bg.wasm'), wasm?.bytes)));
}
