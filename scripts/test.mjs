// `npm test`: every test layer, in order; the first failing layer stops the run.
//   0. guardrails: `cargo fmt --check` and clippy with warnings as errors,
//   1. native `cargo test` for pure logic and the companion server,
//      then node's test runner on the JS layer (in Node and Chromium),
//   2. wasm-bindgen-test in headless Chromium for DOM code,
//   3. the production build and its byte budgets,
//   4. end-to-end: node's test runner driving Chromium against real pages,
//   5. packaging: the packed npm package installed into real bundlers.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { root, run, rustToolchain } from './lib.mjs';

const rust = rustToolchain();
const started = Date.now();
const layer = (name) => console.log(`\n=== ${name} (${Math.round((Date.now() - started) / 1000)} s) ===`);

// Debian's toolchain ships no prebuilt wasm32 std: it builds std itself.
const wasmStd = rust.buildStd ? ['-Zbuild-std=std,panic_abort'] : [];
const nativeTarget = rust.kind === 'debian' ? [`--target-dir=${join(root, 'target', 'debian')}`] : [];

layer('guardrails: cargo fmt --check, cargo clippy -D warnings');
run('cargo', ['fmt', '--all', '--check'], { env: rust.env });
run('cargo', ['fmt', '--check', '--manifest-path', join(root, 'bench', 'loadgen', 'Cargo.toml')], { env: rust.env });
// The widget's browser-only code is compiled for wasm32 alone, so it is linted
// there too (with rustup's toolchain: Debian's fallback builds std itself).
const wasmLint = rust.kind === 'rustup' ? [['--target=wasm32-unknown-unknown', '-p', 'natter']] : [];
for (const target of [['--workspace', ...nativeTarget], ...wasmLint]) {
  run('cargo', ['clippy', '--all-targets', '--locked', ...target, '--', '-D', 'warnings'], {
    env: rust.env,
  });
}

layer('native tests: cargo test --workspace');
run('cargo', ['test', '--workspace', '--locked', ...nativeTarget], { env: rust.env });

layer('JS unit tests: the Natter function, its event hub, the page helpers (tests/unit/)');
run('node', ['--test', 'tests/unit/']);

layer('DOM tests in Chromium: wasm-bindgen-test');
run(
  'cargo',
  [
    'test',
    '--locked',
    '--target=wasm32-unknown-unknown',
    '-p',
    'natter',
    '--tests',
    `--target-dir=${rust.targetDir}-test`,
    ...wasmStd,
  ],
  {
    env: {
      ...rust.env,
      ...(rust.buildStd ? { RUSTC_BOOTSTRAP: '1' } : {}),
      CHROMEDRIVER: process.env.CHROMEDRIVER || '/usr/bin/chromedriver',
      WASM_BINDGEN_TEST_TIMEOUT: '120',
    },
  },
);

layer('build: npm run build, and the companion server for the end-to-end tests');
run('node', [join(root, 'scripts', 'build.mjs')]);
// Bytes are deterministic: the budgets of bench/budgets.json are tests.
run('node', [join(root, 'bench', 'budget.mjs')]);
run('cargo', ['build', '--locked', '-p', 'natter-server', ...nativeTarget], { env: rust.env });

// The end-to-end tests start the server binary built above.
const serverBin = join(rust.kind === 'debian' ? join(root, 'target', 'debian') : join(root, 'target'), 'debug', 'natter-server');
const e2eEnv = { ...process.env, NATTER_SERVER_BIN: serverBin };

layer('end-to-end tests in Chromium');
run('node', ['--test', 'tests/e2e/'], { env: e2eEnv });

if (existsSync(join(root, 'tests', 'packaging'))) {
  layer('packaging tests: the packed package in real bundlers');
  run('node', ['--test', 'tests/packaging/'], { env: e2eEnv });
}
