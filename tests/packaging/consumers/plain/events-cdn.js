// The event scenario through `window.Natter`: its methods, or with
// `?form=call` the queue function, `Natter('on', ...)`.
import { eventScenario } from '../events-scenario.js';

const { Natter } = window;
const api =
  new URLSearchParams(location.search).get('form') === 'call'
    ? Object.fromEntries(['init', 'on', 'once', 'open', 'close', 'shutdown'].map((name) => [name, (...args) => Natter(name, ...args)]))
    : Natter;
eventScenario(api).then((result) => (document.body.dataset.result = JSON.stringify(result)));
