// The npm entry: `import Natter, { init, open, on } from 'natter-widget'`.
// Importing touches no `window` or `document`, so server-side rendering can
// import it; `init` loads the wasm on first call, in the browser only.
//
// There is one widget per page: if a copy of Natter is already there (the CDN
// `widget.js`, or another bundle of this package), every call goes to it and
// no second wasm is loaded. `window.Natter.version` marks a loaded copy.
/* global __NATTER_VERSION__ */
// Named imports only: the glue's default initialiser holds
// `new URL('natter_bg.wasm', import.meta.url)`, which bundlers would try to
// resolve; leaving it out lets the bundle drop it.
import { boot, call, initSync } from 'natter-glue';
import { createNatter, reportLoadError, snippetQueue } from './natter.js';
import { compileWasm } from './load.js';
import { compileDefaultWasm } from 'natter-wasm-source';

export const version = __NATTER_VERSION__;

const inBrowser = () => typeof window !== 'undefined' && typeof document !== 'undefined';

let page = null;

/** The page's one `Natter`: this package's, or a copy already on the page. */
function natter() {
  if (page) return page;
  const existing = window.Natter;
  if (existing && existing.version) {
    if (existing.version !== version) {
      console.warn(`[Natter] natter-widget ${version} found widget ${existing.version} already on the page and uses it`);
    }
    return (page = { Natter: existing, loading: Promise.resolve() });
  }
  // Calls the page queued through the snippet stub before this ran.
  const earlier = snippetQueue(existing);
  const { Natter, attach } = createNatter(version);
  window.Natter = Natter;
  page = { Natter, attach: (runtime) => attach(runtime, null, earlier), loading: null };
  return page;
}

function load(wasmUrl) {
  const current = natter();
  current.loading ??= (wasmUrl ? compileWasm(String(wasmUrl)) : compileDefaultWasm())
    .then((module) => {
      initSync({ module });
      current.attach({ boot, call });
    })
    .catch((err) => {
      current.loading = null;
      reportLoadError(err);
      throw failure('init_load_failed', err.message);
    });
  return current.loading;
}

function failure(code, message) {
  const err = new Error('[Natter] ' + message);
  err.code = code;
  return err;
}

/**
 * Starts the widget. Resolves on the runtime's `ready` event; rejects on a
 * load failure or an `error` event whose code starts with `init`.
 */
export function init(config = {}) {
  const started = inBrowser()
    ? start(config)
    : Promise.reject(
        failure('init_no_browser', 'init() needs a browser: call it on the client only, e.g. in useEffect or onMounted'),
      );
  // Every failure is also a [Natter] console line, so a page that does not
  // await init() gets that line rather than an unhandled rejection.
  started.catch(() => {});
  return started;
}

function start(config) {
  const { wasmUrl, ...rest } = config || {};
  const { Natter } = natter();
  return new Promise((resolve, reject) => {
    const settle = (finish, value) => {
      // Unsubscribing after the handler has returned, never inside the
      // runtime's own dispatch.
      queueMicrotask(() => {
        Natter('off', 'ready', onReady);
        Natter('off', 'error', onError);
      });
      finish(value);
    };
    const onReady = () => settle(resolve);
    const onError = (event) => {
      if (event && String(event.code).startsWith('init')) settle(reject, failure(event.code, event.message));
    };
    // Subscribed before init, so an error init itself raises is seen; the
    // hub replays `ready` to late subscribers.
    Natter('on', 'ready', onReady);
    Natter('on', 'error', onError);
    Natter('init', rest);
    load(wasmUrl).catch((err) => settle(reject, err));
  });
}

function command(name) {
  return (...args) => {
    if (inBrowser()) natter().Natter(name, ...args);
  };
}

export const identify = command('identify');
export const open = command('open');
export const close = command('close');
export const toggle = command('toggle');
export const sendMessage = command('sendMessage');
export const setLocale = command('setLocale');
export const showLauncher = command('showLauncher');
export const hideLauncher = command('hideLauncher');
export const off = command('off');
export const shutdown = command('shutdown');
export const endChat = command('endChat');

/** The widget's state, synchronously; `null` before it is ready (or outside a browser). */
export function getState() {
  return (inBrowser() && natter().Natter('getState')) || null;
}

// Returned here, not taken from the page's `Natter`: a copy of an older
// version there may return nothing, and on the server there is none.
const subscribe = (name) => (event, handler) => {
  command(name)(event, handler);
  return () => off(event, handler);
};

/** Subscribes to a widget event; returns the function that unsubscribes. */
export const on = subscribe('on');
/** Like `on`, for the next event only. */
export const once = subscribe('once');

const api = {
  init,
  identify,
  open,
  close,
  toggle,
  sendMessage,
  setLocale,
  showLauncher,
  hideLauncher,
  on,
  once,
  off,
  shutdown,
  endChat,
  getState,
  version,
};
export default api;
