// The app every bundler builds: what a developer writes with natter-widget.
// `?mock` runs the widget without a backend; the status line shows what
// `await init()` gave, for people and for the tests.
import Natter, { init, version } from 'natter-widget';

export async function start(extra = {}) {
  const status = document.getElementById('chat-status');
  const mock = new URLSearchParams(location.search).has('mock');
  status.dataset.state = 'loading';
  status.textContent = `natter-widget ${version}: loading`;
  document.getElementById('open').addEventListener('click', () => Natter.open());
  try {
    await init({ appKey: 'sk_demo', mock, ...extra });
    status.dataset.state = 'ready';
    status.textContent = `natter-widget ${version}: ready`;
  } catch (err) {
    status.dataset.state = 'failed';
    status.textContent = `${err.code}: ${err.message}`;
  }
}
