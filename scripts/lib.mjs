// Shared helpers for the build, size, start and test scripts.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const tools = join(root, '.tools');
export const dist = join(root, 'dist');

/** Runs a command with inherited output; exits with a clear line on failure. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) fail(`could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
  return result;
}

export function fail(message) {
  console.error(`\n[natter] ${message}`);
  process.exit(1);
}

/**
 * The Rust toolchain that scripts/bootstrap.sh chose: rustup's, or Debian's
 * rustc-web where rustup could not fetch the wasm target. The two never share
 * a target dir.
 */
export function rustToolchain() {
  const file = join(tools, 'toolchain.env');
  const kind = existsSync(file) ? readFileSync(file, 'utf8').match(/NATTER_TOOLCHAIN=(\w+)/)?.[1] : 'rustup';
  const env = { ...process.env, PATH: `${join(tools, 'bin')}:${process.env.PATH}` };
  if (kind === 'debian') {
    env.PATH = `/usr/bin:${env.PATH}`;
    return { kind, env, targetDir: join(root, 'target', 'debian-wasm'), buildStd: true };
  }
  return { kind: 'rustup', env, targetDir: join(root, 'target', 'wasm'), buildStd: false };
}

/** Wasm features the Rust target emits; binaryen's wasm-opt must accept them all. */
export const WASM_FEATURES = [
  '--enable-bulk-memory',
  '--enable-nontrapping-float-to-int',
  '--enable-sign-ext',
  '--enable-mutable-globals',
  '--enable-reference-types',
  '--enable-multivalue',
];

/**
 * wasm-opt's optimisation of the shipped wasm. After -Oz, re-deriving the
 * control flow (--flatten --rereloop) and optimising again finds smaller
 * code (-0.2 KiB brotli). --low-memory-unused lets binaryen fold constant
 * pointer offsets into loads and stores (-0.2 KiB): sound because Rust
 * places its 1 MiB stack at the bottom of memory, growing down, so the low
 * 1 KiB is only reached by a stack that is about to overflow anyway.
 * Then --monomorphize specialises functions for the constant arguments of
 * their calls where that makes the whole smaller, and --converge repeats it
 * all while the module shrinks (-0.2 KiB brotli together).
 */
export const OPT_FLAGS = ['-Oz', '--flatten', '--rereloop', '-Oz', '--low-memory-unused', '--monomorphize', '-Oz', '--converge'];

/** wasm-opt flags that drop the custom sections nothing reads at run time. */
export const STRIP_FLAGS = ['--strip-debug', '--strip-producers', '--strip-target-features'];

/** Raw, gzip -9 and brotli (quality 11) sizes of a buffer. */
export function sizes(bytes) {
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }).length,
  };
}

export function packageVersion() {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
}
