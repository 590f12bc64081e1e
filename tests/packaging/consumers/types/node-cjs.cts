// The exports map's types for `require` under Node's own resolution.
import natter = require('natter-widget');

natter.on('message', (m) => m.text);
export const started: Promise<void> = natter.init({ appKey: 'sk_demo' });
export const v: string = natter.version + natter.default.version;
