import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs: the built folder works from any path.
  base: './',
  // The dev server pre-bundles dependencies into .vite/deps, where
  // natter-widget's `new URL('./natter.wasm', import.meta.url)` no longer
  // points at the wasm. `vite build` needs nothing.
  optimizeDeps: { exclude: ['natter-widget'] },
});
