// Bytes: every shipped CDN file raw / gzip -9 / brotli, the embed total, the
// budgets of bench/budgets.json, and the top wasm contributors by twiggy.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPT_FLAGS, sizes, STRIP_FLAGS, WASM_FEATURES } from '../scripts/lib.mjs';
import { kib, root } from './lib.mjs';

export const TWIGGY_VERSION = '0.8.0';
const tools = join(root, '.tools');
const twiggyBin = join(tools, 'bin', 'twiggy');

export const budgets = () => JSON.parse(readFileSync(join(root, 'bench', 'budgets.json'), 'utf8')).budgets;

/** Sizes of every .js/.mjs/.wasm in a CDN folder, and which of them an embed loads. */
export function measureFiles(cdnDir) {
  const manifest = JSON.parse(readFileSync(join(cdnDir, 'manifest.json'), 'utf8'));
  const embed = new Set(manifest.shipped);
  const files = readdirSync(cdnDir)
    .filter((n) => /\.(js|mjs|wasm)$/.test(n))
    .sort()
    .map((name) => ({ name, bytes: readFileSync(join(cdnDir, name)) }))
    .map(({ name, bytes }) => ({
      name,
      role: name === manifest.entry ? 'loader' : name.endsWith('.wasm') ? 'wasm' : embed.has(name) ? 'glue' : 'standalone page only',
      embed: embed.has(name),
      ...sizes(bytes),
      ...(name.endsWith('.wasm') ? { wasmBytes: bytes } : {}),
    }));
  const sum = (list) => list.reduce((t, f) => ({ raw: t.raw + f.raw, gzip: t.gzip + f.gzip, brotli: t.brotli + f.brotli }), { raw: 0, gzip: 0, brotli: 0 });
  return { files, embed: sum(files.filter((f) => f.embed)), loader: files.find((f) => f.role === 'loader'), entry: manifest.entry };
}

/** Each budget with its measured value and verdict. */
export function checkBudgets(measured) {
  return budgets().map((b) => {
    const group = b.files === 'loader' ? measured.loader : measured.embed;
    const actual = group[b.compression];
    return {
      ...b,
      actual,
      over: actual > b.maxBytes,
      overTarget: b.targetBytes != null && actual > b.targetBytes,
    };
  });
}

const twiggyOk = () => existsSync(twiggyBin) && spawnSync(twiggyBin, ['--version'], { encoding: 'utf8' }).stdout?.includes(TWIGGY_VERSION);

/**
 * Starts installing twiggy in the background when it is missing (the bench
 * overlaps it with the build); resolves when done. ensureTwiggy() then finds it.
 */
export function prefetchTwiggy() {
  if (twiggyOk()) return Promise.resolve();
  console.error(`[bench] installing twiggy ${TWIGGY_VERSION} into .tools in the background (about 2 min, once)`);
  return new Promise((resolve) => {
    const child = spawn('cargo', ['install', '-q', 'twiggy', '--version', TWIGGY_VERSION, '--root', tools, '--force', '--locked'], { stdio: 'inherit' });
    child.on('exit', resolve);
    child.on('error', resolve);
  });
}

/** Ensures `.tools/bin/twiggy` of the pinned version (cargo install, ~2 min, once). */
export function ensureTwiggy() {
  const ok = twiggyOk;
  if (ok()) return twiggyBin;
  console.error(`[bench] installing twiggy ${TWIGGY_VERSION} into .tools (about 2 min, once)`);
  for (const extra of [['--locked'], []]) {
    const r = spawnSync('cargo', ['install', '-q', 'twiggy', '--version', TWIGGY_VERSION, '--root', tools, '--force', ...extra], {
      stdio: 'inherit',
    });
    if (r.status === 0 && ok()) return twiggyBin;
  }
  return null;
}

/**
 * The top `n` contributors to the wasm: `wasm-opt -g` (the build's OPT_FLAGS) of the pre-opt
 * bindgen output (the shipped build minus the name stripping), then
 * `twiggy top`. Also checks that the same input with the shipped flags gives
 * the shipped wasm byte for byte, so the names describe what ships.
 */
export function wasmContributors(bindgenWasm, shippedBytes, n = 15) {
  if (!bindgenWasm || !existsSync(bindgenWasm)) return { error: 'target/bindgen/natter_bg.wasm is missing (run the build)' };
  const twiggy = ensureTwiggy();
  if (!twiggy) return { error: `twiggy ${TWIGGY_VERSION} could not be installed` };
  const dir = mkdtempSync(join(tmpdir(), 'natter-twiggy-'));
  const wasmOpt = join(root, 'node_modules', '.bin', 'wasm-opt');
  const named = join(dir, 'named.wasm');
  const stripped = join(dir, 'stripped.wasm');
  // The build's two passes (scripts/build.mjs): OPT_FLAGS, then short import and export names.
  const opt = (out, flags) => {
    const r = spawnSync(wasmOpt, [...OPT_FLAGS, ...flags, ...WASM_FEATURES, bindgenWasm, '-o', out], { encoding: 'utf8' });
    if (r.status !== 0) return r;
    return spawnSync(wasmOpt, ['--minify-imports-and-exports-and-modules', ...flags, ...WASM_FEATURES, out, '-o', out], { encoding: 'utf8', maxBuffer: 64 << 20 });
  };
  let r = opt(named, ['-g']);
  if (r.status !== 0) return { error: `wasm-opt -g failed: ${r.stderr}` };
  r = opt(stripped, STRIP_FLAGS);
  const matchesShipped = r.status === 0 && shippedBytes != null && readFileSync(stripped).equals(shippedBytes);
  const top = spawnSync(twiggy, ['top', '--format', 'json', named], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (top.status !== 0) return { error: `twiggy top failed: ${top.stderr}` };
  const all = JSON.parse(top.stdout)
    .filter((row) => !/names" subsection|^"?(name|producers)"? ?section|custom section|"name"|"producers"/i.test(row.name))
    .map((row) => ({ ...row, name: row.name.replace(/\[[0-9a-f]{16}\]/g, '') }));
  // Shallow sizes summed by Rust module and data (see moduleRows).
  const byModule = shippedBytes ? moduleRows(all, shippedBytes) : [];
  const rows = all
    // The name section only exists in this -g copy; it is not shipped.
    .filter((row) => !/names" subsection|^"?(name|producers)"? ?section|custom section|"name"|"producers"/i.test(row.name))
    .slice(0, n)
    .map((row) => ({ name: row.name, bytes: row.shallow_size, percentOfShipped: null }));
  const shippedRaw = shippedBytes ? shippedBytes.length : null;
  for (const row of rows) row.percentOfShipped = shippedRaw ? Math.round((row.bytes / shippedRaw) * 1000) / 10 : null;
  for (const row of byModule) row.percentOfShipped = Math.round((row.raw / shippedRaw) * 1000) / 10;
  return { byModule, tool: `twiggy ${TWIGGY_VERSION} top`, input: 'wasm-opt (OPT_FLAGS) -g target/bindgen/natter_bg.wasm', matchesShipped, shippedRaw, rows };
}

/**
 * The Rust module an item of `twiggy top` belongs to: `natter::` and up to
 * two module names below it (`natter::ui::messages`), the crate for other
 * crates, `core` for methods of primitive types; null for what has no path.
 * Drop glue counts for the type it drops.
 */
export function moduleOf(name) {
  const inner = name.replace(/^core::ptr::drop_in_place::</, '').replace(/^[<&]+(mut |dyn )?/, '');
  if (inner.startsWith('[')) return 'core';
  const path = inner.match(/^[A-Za-z_]\w*(?:::[A-Za-z_]\w*)*/)?.[0];
  if (!path) return null;
  const segments = path.split('::');
  if (segments.length === 1) return /^(str|char|bool|[iuf](8|16|32|64|128|size))$/.test(path) ? 'core' : null;
  if (segments[0] !== 'natter') return segments[0];
  // Modules are the lowercase names before a type; a path of lowercase
  // names only ends with the function's own.
  const modules = [];
  for (const segment of segments.slice(1)) {
    if (/^[A-Z]/.test(segment)) break;
    modules.push(segment);
  }
  if (modules.length === segments.length - 1) modules.pop();
  return ['natter', ...modules.slice(0, 2)].join('::');
}

/** The build's minified assets (build.rs's OUT_DIR) whose text is in `wasm`. */
function embeddedAssets(wasm) {
  const target = join(root, 'target');
  const outDirs = existsSync(target)
    ? readdirSync(target).flatMap((dir) => {
        const build = join(target, dir, 'wasm32-unknown-unknown', 'release', 'build');
        return existsSync(build) ? readdirSync(build).filter((n) => n.startsWith('natter-')).map((n) => join(build, n, 'out')) : [];
      })
    : [];
  const outDir = outDirs.find((dir) => existsSync(join(dir, 'widget.html')) && wasm.includes(readFileSync(join(dir, 'widget.html'))));
  if (!outDir) return [];
  const read = (file) => readFileSync(join(outDir, file));
  const copies = (bytes) => {
    let count = 0;
    for (let at = wasm.indexOf(bytes); at >= 0; at = wasm.indexOf(bytes, at + 1)) count++;
    return count;
  };
  // The markup holds one copy of the launcher icon; the other is `icon::CHAT`.
  return [
    { name: 'data: markup (src/ui/widget.html, icons in)', bytes: read('widget.html'), count: 1 },
    { name: 'data: stylesheet (src/ui/widget.css)', bytes: read('widget.css'), count: copies(read('widget.css')) },
    { name: 'data: launcher icon again (src/ui/icons/chat.svg)', bytes: read('chat.svg'), count: copies(read('chat.svg')) - 1 },
  ].filter((a) => a.count > 0);
}

/**
 * Raw wasm bytes by Rust module and by data (the stylesheet, the markup, the
 * rest: strings and tables), from twiggy's rows of the named copy, with an
 * estimated brotli share: an asset's own brotli size, and the rest of the
 * shipped wasm's brotli size shared out by raw bytes.
 */
export function moduleRows(rows, shippedBytes) {
  const groups = new Map();
  const add = (key, bytes) => groups.set(key, (groups.get(key) ?? 0) + bytes);
  for (const row of rows) {
    if (/^data segment/.test(row.name)) add('data: other (strings, tables)', row.shallow_size);
    else if (/^__wbindgen_/.test(row.name)) add('wasm_bindgen', row.shallow_size);
    else if (/^(boot|call)$/.test(row.name)) add('natter (exports, src/lib.rs)', row.shallow_size);
    else add(moduleOf(row.name) ?? 'wasm structure (types, tables, headers) and unnamed code', row.shallow_size);
  }
  const assets = embeddedAssets(shippedBytes);
  for (const asset of assets) {
    const raw = asset.bytes.length * asset.count;
    add('data: other (strings, tables)', -raw);
    groups.set(asset.name, raw);
  }
  const shippedRaw = shippedBytes.length;
  const shippedBrotli = sizes(shippedBytes).brotli;
  const counted = [...groups.values()].reduce((a, b) => a + b, 0);
  if (shippedRaw > counted) add('wasm structure (types, tables, headers) and unnamed code', shippedRaw - counted);
  const assetBrotli = new Map(assets.map((a) => [a.name, sizes(a.bytes).brotli * a.count]));
  const restBrotli = shippedBrotli - [...assetBrotli.values()].reduce((a, b) => a + b, 0);
  const restRaw = shippedRaw - assets.reduce((t, a) => t + a.bytes.length * a.count, 0);
  return [...groups]
    .map(([name, raw]) => ({
      name,
      raw,
      brotli: assetBrotli.get(name) ?? Math.round((raw * restBrotli) / restRaw),
    }))
    .sort((a, b) => b.raw - a.raw);
}

/**
 * Bytes, budgets and contributors for a CDN folder; prints the wasm's bytes
 * by module (the report has them too).
 */
export function measureBytes(cdnDir, bindgenWasm, { contributors = true } = {}) {
  const measured = measureFiles(cdnDir);
  const checked = checkBudgets(measured);
  const wasm = measured.files.find((f) => f.role === 'wasm');
  const found = contributors ? wasmContributors(bindgenWasm, wasm?.wasmBytes) : null;
  if (found) console.log(`\nwasm bytes by Rust module and data:\n\n${modulesTable(found)}\n`);
  return { ...measured, budgets: checked, contributors: found };
}

export function bytesTable(result) {
  const lines = ['| file | role | raw | gzip -9 | brotli |', '|---|---|--:|--:|--:|'];
  for (const f of result.files) lines.push(`| \`${f.name}\` | ${f.role} | ${f.raw} | ${f.gzip} | ${f.brotli} |`);
  const e = result.embed;
  lines.push(`| **embed total** (loader + glue + wasm) | CDN path | ${e.raw} | ${e.gzip} | **${e.brotli}** (${kib(e.brotli)} KiB) |`);
  return lines.join('\n');
}

export function contributorsTable(c) {
  if (!c) return '';
  if (c.error) return `(contributors unavailable: ${c.error})`;
  const lines = [
    `${c.tool} on \`${c.input}\` (same code as the shipped wasm: ${c.matchesShipped ? 'yes, byte-identical when stripped' : 'NO, the bindgen output changed since the build'}; shipped wasm ${c.shippedRaw} bytes raw):`,
    '',
    '| # | item | bytes | % of shipped wasm |',
    '|--:|---|--:|--:|',
  ];
  c.rows.forEach((r, i) => lines.push(`| ${i + 1} | \`${r.name.replaceAll('|', '\\|').slice(0, 110)}\` | ${r.bytes} | ${r.percentOfShipped} |`));
  lines.push('', 'The shipped wasm by Rust module and data:', '', modulesTable(c));
  return lines.join('\n');
}

/** `contributors.byModule` as a table (`npm run size`, the bench report). */
export function modulesTable(c) {
  if (c.error) return `(modules unavailable: ${c.error})`;
  const brotli = c.byModule.reduce((t, r) => t + r.brotli, 0);
  const lines = ['| module or data | raw bytes | % of raw | ≈ brotli bytes |', '|---|--:|--:|--:|'];
  for (const r of c.byModule) lines.push(`| \`${r.name}\` | ${r.raw} | ${r.percentOfShipped} | ${r.brotli} |`);
  lines.push(`| **wasm** | ${c.shippedRaw} | 100 | ${brotli} |`);
  return lines.join('\n');
}
