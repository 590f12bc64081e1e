const pkg = require('natter-widget');
const paths = Object.fromEntries(
  ['natter-widget', 'natter-widget/widget.js', 'natter-widget/natter.wasm', 'natter-widget/package.json'].map((id) => [
    id,
    require.resolve(id).replace(/\\/g, '/').split('/node_modules/').pop(),
  ]),
);
import('./check.mjs')
  .then(({ describePackage }) => describePackage(pkg))
  .then((result) => console.log(JSON.stringify({ ...result, paths })));
