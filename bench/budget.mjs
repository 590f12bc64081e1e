// The byte budgets of bench/budgets.json against the built dist/cdn: run by
// `npm test` after the build (bytes are deterministic, unlike timings).
//
//   node bench/budget.mjs [CDN_DIR]
//
// Exit 1 when a budget is exceeded, after printing the top wasm
// contributors (twiggy) when the embed is over.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './lib.mjs';
import { checkBudgets, contributorsTable, measureFiles, wasmContributors } from './bytes.mjs';

export function runBudget(cdnDir = join(root, 'dist', 'cdn'), bindgenWasm = join(root, 'target', 'bindgen', 'natter_bg.wasm')) {
  const measured = measureFiles(cdnDir);
  const results = checkBudgets(measured);
  let failed = false;
  console.log('\nbyte budgets (bench/budgets.json):');
  for (const b of results) {
    const state = b.over ? 'OVER BUDGET' : 'ok';
    const target = b.targetBytes != null ? `, target ${b.targetBytes}` : '';
    console.log(`  ${b.id}: ${b.actual} bytes ${b.compression} / budget ${b.maxBytes}${target}: ${state}  — ${b.what}`);
    if (b.over) failed = true;
  }
  const over = results.filter((b) => b.over);
  if (over.some((b) => b.files === 'embed')) {
    const wasm = measured.files.find((f) => f.role === 'wasm');
    console.log('\ntop wasm contributors:\n');
    console.log(contributorsTable(wasmContributors(bindgenWasm, wasm?.wasmBytes)));
  }
  return failed;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const failed = runBudget(process.argv[2]);
  if (failed) {
    console.error('\n[natter] a byte budget is exceeded (see above)');
    process.exit(1);
  }
}
