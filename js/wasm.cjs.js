// CommonJS has no import.meta, and the tools that consume CommonJS (Jest,
// webpack 4, older bundlers) neither copy a file referenced at run time nor
// leave `document.currentScript` pointing at this package. So this build
// carries the wasm inline, base64 (decoded only when init() runs), and works
// with no bundler settings. `init({ wasmUrl })` still fetches a hosted copy.
import wasmBase64 from 'natter-wasm-inline';
import { compileWasmBytes } from './load.js';

export const compileDefaultWasm = () => compileWasmBytes(Uint8Array.from(atob(wasmBase64), (c) => c.charCodeAt(0)));
