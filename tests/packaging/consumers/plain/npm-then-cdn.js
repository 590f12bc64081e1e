// The npm package starts the widget, then a CDN script tag arrives too.
// start() has installed window.Natter by the time it first waits.
import { start } from '../app.js';

start();
const script = document.createElement('script');
script.src = '/node_modules/natter-widget/dist/cdn/widget.js';
script.dataset.appKey = 'sk_demo';
script.onload = () => (document.body.dataset.cdnScript = 'ran');
document.head.append(script);
