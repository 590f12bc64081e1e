// The npm entry: `import Natter, { init, open, on } from 'natter-widget'`.
// Importing touches no `window` or `document`, so server-side rendering can
// import it; `init` loads the wasm on first call, in the browser only.
/* global __NATTER_VERSION__ */
import initGlue, * as runtime from 'natter-glue';
import { createNatter, reportLoadError } from './natter.js';
import { compileWasm } from './load.js';
import { defaultWasmUrl } from 'natter-wasm-url';

export const version = __NATTER_VERSION__;

let page = null;

/** The page's one `Natter`: shared with a CDN copy already on the page. */
function natter() {
  if (page) return page;
  const existing = window.Natter;
  if (existing && existing.version) return (page = { Natter: existing, loading: Promise.resolve() });
  const { Natter, attach } = createNatter(version);
  window.Natter = Natter;
  page = { Natter, attach, loading: null };
  return page;
}

function load(wasmUrl) {
  const current = natter();
  current.loading ??= compileWasm(String(wasmUrl || defaultWasmUrl()))
    .then(async (module) => {
      await initGlue({ module_or_path: module });
      current.attach(runtime, null, []);
    })
    .catch((err) => {
      current.loading = null;
      reportLoadError(err);
      throw err;
    });
  return current.loading;
}

/** Starts the widget; resolves once the runtime has taken the config. */
export async function init(config = {}) {
  if (typeof window === 'undefined' || typeof document === 'undefined') {
    throw new Error('[Natter] init() needs a browser: call it on the client, e.g. in useEffect or onMounted');
  }
  const { wasmUrl, ...rest } = config;
  natter().Natter('init', rest);
  await load(wasmUrl);
}

function command(name) {
  return (...args) => {
    if (typeof window === 'undefined') return;
    natter().Natter(name, ...args);
  };
}

export const identify = command('identify');
export const open = command('open');
export const close = command('close');
export const toggle = command('toggle');
export const sendMessage = command('sendMessage');
export const setLocale = command('setLocale');
export const on = command('on');
export const off = command('off');
export const shutdown = command('shutdown');

const api = { init, identify, open, close, toggle, sendMessage, setLocale, on, off, shutdown, version };
export default api;
