// The exports map's types for `import` under Node's own resolution.
import Natter, { init, on, version } from 'natter-widget';

on('message', (m) => m.text);
export const started: Promise<void> = init({ appKey: 'sk_demo' });
export const v: string = version + Natter.version;
