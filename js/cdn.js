// The CDN loader (`widget.js`), a classic script for `<script async>`.
// It stays tiny: it installs `window.Natter`, then fetches the hashed glue
// module and the wasm in parallel and hands over to Rust, which reads the
// configuration and renders the widget. The two files are named relative to
// this script's own URL, so the folder can be hosted anywhere.
/* global __NATTER_VERSION__, __GLUE_FILE__, __WASM_FILE__ */
import { createNatter, snippetQueue, reportLoadError } from './natter.js';
import { compileWasm, corsBlocked } from './load.js';

// Only set while this script first runs.
const script = document.currentScript;

(() => {
  const existing = window.Natter;
  // One widget per page: a second widget.js, or widget.js after the npm
  // package has started, leaves the first copy in charge.
  if (existing && existing.version) {
    console.warn(`[Natter] a copy of the widget (${existing.version}) is already on the page; this widget.js does nothing`);
    return;
  }
  const earlier = snippetQueue(existing);
  const { Natter, attach } = createNatter(__NATTER_VERSION__);
  window.Natter = Natter;

  const base = (script && script.src) || document.baseURI;
  const wasm = compileWasm(new URL(__WASM_FILE__, base).href);
  const glueUrl = new URL(__GLUE_FILE__, base).href;
  const glue = import(glueUrl).catch(async (err) => {
    throw await corsBlocked(
      glueUrl,
      new Error(`could not load ${glueUrl} (${err.message}); is the whole CDN folder deployed, and its origin in script-src?`),
    );
  });
  Promise.all([glue, wasm])
    .then(([runtime, module]) => {
      runtime.initSync({ module });
      attach(runtime, script, earlier);
    })
    .catch(reportLoadError);
})();
