// ESM builds locate the wasm next to the module; bundlers (Vite, webpack 5)
// see this pattern and copy the file.
export const defaultWasmUrl = () => new URL('./natter.wasm', import.meta.url);
