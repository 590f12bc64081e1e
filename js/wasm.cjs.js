// CommonJS has no import.meta: find the wasm next to the script that loaded
// this bundle, or pass `wasmUrl` to init().
export const defaultWasmUrl = () => {
  const script = typeof document !== 'undefined' && document.currentScript;
  if (script && script.src) return new URL('natter.wasm', script.src);
  throw new Error('cannot locate natter.wasm from a CommonJS bundle: pass init({ wasmUrl })');
};
