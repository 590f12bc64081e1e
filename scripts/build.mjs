// `npm run build`: the wasm, the CDN folder and the staged npm package.
//
//   cargo (release, build-std + immediate-abort) → wasm-bindgen (pinned) →
//   wasm-opt (OPT_FLAGS) → dist/cdn/{widget.js, widget-<hash>.js, widget-<hash>.wasm}
//   and dist/npm/ from pkg-template/.
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { dist, fail, packageVersion, root, run, rustToolchain, OPT_FLAGS, STRIP_FLAGS, WASM_FEATURES } from './lib.mjs';
import { printSizes } from './size.mjs';

const bindgen = join(root, 'target', 'bindgen');
const version = packageVersion();


function buildWasm() {
  const rust = rustToolchain();
  run(
    'cargo',
    [
      'build',
      '--release',
      '--target=wasm32-unknown-unknown',
      '-p',
      'natter',
      `--target-dir=${rust.targetDir}`,
      '--config',
      join(root, 'scripts', 'wasm-release.toml'),
    ],
    { env: { ...rust.env, RUSTC_BOOTSTRAP: '1' } },
  );
  const wasm = join(rust.targetDir, 'wasm32-unknown-unknown', 'release', 'natter.wasm');
  rmSync(bindgen, { recursive: true, force: true });
  run('wasm-bindgen', ['--target=web', `--out-dir=${bindgen}`, '--out-name=natter', '--no-typescript', wasm], {
    env: rust.env,
  });
  const optimized = join(bindgen, 'natter.opt.wasm');
  run(join(root, 'node_modules', '.bin', 'wasm-opt'), [
    ...OPT_FLAGS,
    ...STRIP_FLAGS,
    ...WASM_FEATURES,
    join(bindgen, 'natter_bg.wasm'),
    '-o',
    optimized,
  ]);
  minifyNames(optimized, join(bindgen, 'natter.js'));
  trimGlue(join(bindgen, 'natter.js'));
  const bytes = readFileSync(optimized);
  const leak = bytes.toString('latin1').match(/\/\.cargo\/|\/\.rustup\/|[\w/.-]*src\/[\w/]+\.rs/)?.[0];
  if (leak) fail(`the wasm contains the path ${leak}: source locations must stay out of the build`);
  return bytes;
}

/**
 * Short import, export and module names (`a`, `$b`) in the wasm and the same
 * in the glue. wasm-bindgen names each import `__wbg_<method>_<16 hex>`: 193
 * of them, written once in the wasm and once in the glue, where the random
 * hex does not compress (about 4 KiB brotli together).
 */
function minifyNames(wasmFile, glueFile) {
  const { stdout } = run(
    join(root, 'node_modules', '.bin', 'wasm-opt'),
    ['--minify-imports-and-exports-and-modules', ...WASM_FEATURES, wasmFile, '-o', wasmFile],
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' },
  );
  const map = JSON.parse(stdout.slice(stdout.indexOf('{')));
  const modules = new Set(WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasmFile))).map((i) => i.module));
  if (modules.size !== 1) fail(`expected one import module after minifying, got ${[...modules].join(', ')}`);
  let glue = readFileSync(glueFile, 'utf8');
  // Whole names only: one export's name can be the start of another's.
  const replace = (from, to) => {
    const whole = new RegExp(`(?<![\\w$])${from.replace(/[.$[\]"]/g, '\\$&')}(?![\\w$])`, 'g');
    if (!whole.test(glue)) fail(`the glue has no ${from} to rename`);
    glue = glue.replace(whole, to);
  };
  replace('"./natter_bg.js"', JSON.stringify([...modules][0]));
  for (const [, name, short] of map.imports) replace(name, JSON.stringify(short));
  // Exports the glue never reads (the abort hooks) are renamed all the same.
  for (const [name, short] of map.exports) {
    if (glue.includes(`wasm.${name}`)) replace(`wasm.${name}`, `wasm[${JSON.stringify(short)}]`);
  }
  // Local functions may share an export's name; property reads may not.
  const left = map.exports.find(([name]) => [`wasm.${name}`, `wasm['${name}']`, `wasm["${name}"]`].some((use) => glue.includes(use)));
  if (left) fail(`the glue still reads the export ${left[0]} by its long name`);
  writeFileSync(glueFile, glue);
}

/**
 * Leaves out of the glue what every browser Natter supports (README,
 * "Browser support": Chrome 87, Firefox 101, Safari 16.4) already has:
 * fallbacks for a missing `TextEncoder.encodeInto` and
 * `FinalizationRegistry`, and `initSync`'s warning about a call style the
 * loader never uses. Each piece is matched exactly; a wasm-bindgen release
 * that writes it differently fails the build here instead of shipping it.
 */
function trimGlue(glueFile) {
  let glue = readFileSync(glueFile, 'utf8');
  const cut = (from, to) => {
    if (!glue.includes(from)) fail(`the glue no longer contains the piece to trim:\n${from}`);
    glue = glue.replace(from, to);
  };
  cut(
    `if (!('encodeInto' in cachedTextEncoder)) {
    cachedTextEncoder.encodeInto = function (arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
            read: arg.length,
            written: buf.length
        };
    };
}`,
    '',
  );
  cut(
    `(typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(`,
    'new FinalizationRegistry(',
  );
  cut(
    `    if (module !== undefined) {
        if (Object.getPrototypeOf(module) === Object.prototype) {
            ({module} = module)
        } else {
            console.warn('using deprecated parameters for \`initSync()\`; pass a single object instead')
        }
    }

    const imports = __wbg_get_imports();
    if (!(module instanceof WebAssembly.Module)) {
        module = new WebAssembly.Module(module);
    }
`,
    `    ({ module } = module);
    const imports = __wbg_get_imports();
`,
  );
  writeFileSync(glueFile, glue);
}

const contentHash = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 10);
const integrity = (bytes) => 'sha384-' + createHash('sha384').update(bytes).digest('base64');

const shared = {
  bundle: true,
  minify: true,
  legalComments: 'none',
  target: 'es2020',
  alias: { 'natter-glue': join(bindgen, 'natter.js') },
  logOverride: { 'empty-import-meta': 'silent' },
  write: false,
};

async function bundle(options) {
  const result = await esbuild.build({ ...shared, ...options });
  return Buffer.from(result.outputFiles[0].contents);
}

/** dist/cdn: the loader, the hashed glue module and the hashed wasm. */
async function buildCdn(wasm) {
  const out = join(dist, 'cdn');
  mkdirSync(out, { recursive: true });
  // Only what the loader uses: the wasm arrives compiled, so the glue's
  // fetching initialiser stays out.
  const glue = await bundle({
    stdin: { contents: "export { boot, call, initSync } from 'natter-glue';", resolveDir: root },
    format: 'esm',
  });
  const files = {
    wasm: { name: `widget-${contentHash(wasm)}.wasm`, bytes: wasm },
    glue: { name: `widget-${contentHash(glue)}.js`, bytes: glue },
  };
  const loader = await bundle({
    entryPoints: [join(root, 'js', 'cdn.js')],
    format: 'iife',
    define: {
      __NATTER_VERSION__: JSON.stringify(version),
      __GLUE_FILE__: JSON.stringify(files.glue.name),
      __WASM_FILE__: JSON.stringify(files.wasm.name),
    },
  });
  files.loader = { name: 'widget.js', bytes: loader };
  for (const { name, bytes } of Object.values(files)) writeFileSync(join(out, name), bytes);
  // The full-screen page for standalone links; not part of an embed.
  for (const name of ['standalone.html', 'standalone.mjs']) copyFileSync(join(root, 'js', name), join(out, name));
  writeManifest(out, Object.values(files).map(({ name }) => name));
  return files;
}

/**
 * manifest.json: for each file, its size, its SRI hash (for `integrity=` on
 * a versioned URL) and how long it may be cached: content-hashed names
 * forever, the rest briefly because their contents change under one name.
 */
function writeManifest(out, shipped) {
  const manifest = { version, entry: 'widget.js', shipped, files: {} };
  for (const name of readdirSync(out).sort()) {
    const bytes = readFileSync(join(out, name));
    const cache = /-[0-9a-f]{10}\.(js|wasm)$/.test(name) ? 'immutable' : 'short';
    manifest.files[name] = { bytes: bytes.length, integrity: integrity(bytes), cache };
  }
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
}

/**
 * dist/npm: the package as published, from pkg-template/. One wasm, two
 * module formats: the ES module fetches `natter.wasm` from beside itself
 * (bundlers copy it); the CommonJS build inlines it (see js/wasm.cjs.js).
 * Types are hand-written (js/index.d.ts), the same file for both formats.
 */
async function buildNpm(wasm) {
  const out = join(dist, 'npm');
  cpSync(join(root, 'pkg-template'), out, { recursive: true });
  const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8'));
  pkg.version = version;
  writeFileSync(join(out, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  const lib = join(out, 'dist');
  mkdirSync(lib, { recursive: true });
  writeFileSync(join(lib, 'natter.wasm'), wasm);
  for (const [format, file] of [
    ['esm', 'index.js'],
    ['cjs', 'index.cjs'],
  ]) {
    const bytes = await bundle({
      entryPoints: [join(root, 'js', 'index.js')],
      format,
      minify: false,
      define: { __NATTER_VERSION__: JSON.stringify(version) },
      loader: { '.wasm': 'base64' },
      alias: {
        ...shared.alias,
        'natter-wasm-source': join(root, 'js', `wasm.${format}.js`),
        'natter-wasm-inline': join(lib, 'natter.wasm'),
      },
    });
    // The glue's own `new URL('natter_bg.wasm', import.meta.url)` would make
    // bundlers look for a file the package does not have.
    if (bytes.includes('natter_bg.wasm')) fail(`dist/npm/dist/${file} still refers to natter_bg.wasm`);
    writeFileSync(join(lib, file), bytes);
  }
  copyFileSync(join(root, 'js', 'index.d.ts'), join(lib, 'index.d.ts'));
  copyFileSync(join(root, 'js', 'index.d.ts'), join(lib, 'index.d.cts'));
  cpSync(join(dist, 'cdn'), join(lib, 'cdn'), { recursive: true });
}

rmSync(dist, { recursive: true, force: true });
const wasm = buildWasm();
const files = await buildCdn(wasm);
await buildNpm(wasm);
printSizes(Object.values(files).map(({ name, bytes }) => ({ name: `dist/cdn/${name}`, bytes })));
