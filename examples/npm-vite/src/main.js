// natter-widget in a Vite app. Vite copies natter.wasm into the build on its
// own; `?mock` in the page URL runs the widget without a backend.
import { init, on, open, version } from 'natter-widget';

const status = document.getElementById('chat-status');
status.dataset.state = 'loading';
status.textContent = `natter-widget ${version}: loading`;

document.getElementById('open').addEventListener('click', () => open({ prefill: 'About my order: ' }));

try {
  await init({
    appKey: 'sk_demo',
    mock: new URLSearchParams(location.search).has('mock'),
    position: 'br',
  });
  status.dataset.state = 'ready';
  status.textContent = `natter-widget ${version}: ready`;
  on('message', (m) => console.log(`${m.from}: ${m.text}`));
} catch (err) {
  // The widget has already said what went wrong in one [Natter] console line.
  status.dataset.state = 'failed';
  status.textContent = `${err.code}: ${err.message}`;
}
