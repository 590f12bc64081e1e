// The ES module build finds the wasm next to itself. Vite and webpack 5 see
// `new URL('./file', import.meta.url)` and copy the file into their output;
// a page loading dist/index.js directly fetches it from beside that file.
import { compileWasm } from './load.js';

export const compileDefaultWasm = () => compileWasm(new URL('./natter.wasm', import.meta.url).href);
