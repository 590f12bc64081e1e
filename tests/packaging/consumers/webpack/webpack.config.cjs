// Nothing Natter-specific: webpack 5 copies natter.wasm on its own, from
// the package's `new URL('./natter.wasm', import.meta.url)`.
const path = require('node:path');

module.exports = {
  mode: 'production',
  entry: './main.js',
  output: { path: path.resolve(__dirname, 'dist'), filename: 'main.js', clean: true },
};
