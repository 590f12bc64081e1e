import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs: the built folder works from any path. Nothing else
  // is needed for natter-widget with Vite 8, in dev or build. (If an older
  // Vite's dev server cannot find natter.wasm, its dependency pre-bundling
  // has moved the code: add `optimizeDeps: { exclude: ['natter-widget'] }`.)
  base: './',
});
