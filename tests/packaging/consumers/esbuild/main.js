// esbuild does not copy files named by `new URL(..., import.meta.url)`, so
// this app imports the wasm's URL (the `file` loader copies it) and passes it.
import wasmUrl from 'natter-widget/natter.wasm';
import { start } from '../app.js';

start({ wasmUrl });
