// The byte budgets of bench/budgets.json against the built dist/cdn: run by
// `npm test` after the build (bytes are deterministic, unlike timings).
//
//   node bench/budget.mjs [CDN_DIR]
//
// Exit 1 when an enforced budget is exceeded. A budget with "enforce": false
// in bench/budgets.json is reported with a loud warning and does not fail:
// that switch is the only way to make an exceeded budget pass, and it is
// visible in review. Whenever a budget is exceeded the top wasm contributors
// (twiggy) are printed.
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
    const state = !b.over ? 'ok' : b.enforce ? 'OVER BUDGET' : 'OVER BUDGET (not enforced)';
    const target = b.targetBytes != null ? `, target ${b.targetBytes}` : '';
    console.log(`  ${b.id}: ${b.actual} bytes ${b.compression} / budget ${b.maxBytes}${target}: ${state}  — ${b.what}`);
    if (b.over && b.enforce) failed = true;
  }
  const over = results.filter((b) => b.over);
  if (over.some((b) => b.files === 'embed')) {
    const wasm = measured.files.find((f) => f.role === 'wasm');
    console.log('\ntop wasm contributors:\n');
    console.log(contributorsTable(wasmContributors(bindgenWasm, wasm?.wasmBytes)));
  }
  for (const b of over.filter((b) => !b.enforce)) {
    const bar = '!'.repeat(78);
    console.warn(`\n${bar}\n!! WARNING: budget "${b.id}" is EXCEEDED: ${b.actual} > ${b.maxBytes} bytes ${b.compression}.`);
    console.warn(`!! It is NOT enforced ("enforce": false in bench/budgets.json): ${b.why_not_enforced ?? 'no reason given'}.`);
    console.warn(`!! Set "enforce": true there as soon as the build is under budget.\n${bar}`);
  }
  return failed;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const failed = runBudget(process.argv[2]);
  if (failed) {
    console.error('\n[natter] an enforced byte budget is exceeded (see above)');
    process.exit(1);
  }
}
