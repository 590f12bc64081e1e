// The event hub: the page's handlers for the widget's events. Which events
// exist and when they fire is decided in Rust (src/events.rs), which calls
// this object's methods; the hub only stores functions and calls them,
// which in Rust took a copy of the handler list, the queue and their glue
// (about 1 KB of the wasm). `createNatter` makes the page's one hub and
// hands it to the runtime at boot, so there is exactly one, whichever
// bundle the glue is in.
//
// Events are delivered on a microtask, never inside the widget's own call
// stack: a handler may call the API freely, and a handler that throws is
// reported without breaking the widget or the other handlers.

/** A hub whose events are also dispatched on `target` (the page's window) as `natter:<name>`. */
export function createHub(target) {
  let handlers = [];
  let queue = [];
  // The running instance's `ready` payload, replayed to later subscribers.
  let ready;

  const enqueue = (event, payload, only) => {
    if (!queue.length) queueMicrotask(flush);
    queue.push([event, payload, only]);
  };

  // Only a handler still registered is called: `off`, a spent `once` and
  // `shutdown` take effect even for events already queued.
  function deliver(handler, event, payload) {
    if (!handlers.includes(handler)) return;
    if (handler.once) handlers = handlers.filter((h) => h !== handler);
    try {
      handler.callback(payload);
    } catch (err) {
      console.error('[Natter] a "' + event + '" handler threw:', err);
    }
  }

  // Handlers run from a snapshot (the list is replaced, never changed in
  // place), so one registered while the batch runs waits for the next event.
  function flush() {
    const now = handlers;
    const batch = queue;
    queue = [];
    for (const [event, payload, only] of batch) {
      if (only) {
        deliver(only, event, payload);
      } else {
        for (const handler of now) if (handler.event == event) deliver(handler, event, payload);
        // A throwing window listener is reported by the browser, not to us.
        target.dispatchEvent(new CustomEvent('natter:' + event, { detail: payload }));
      }
    }
  }

  return {
    /**
     * `init` handlers came with `init({onReady})` and go with `shutdown`;
     * `once` handlers go after their first call. `ready` after ready still
     * fires, once: replayed, unless the broadcast is still queued.
     */
    on(event, callback, init, once) {
      const handler = { event, callback, init, once };
      handlers = [...handlers, handler];
      if (event == 'ready' && ready && !queue.some(([queued, , only]) => queued == event && !only)) {
        enqueue(event, ready, handler);
      }
    },
    off(event, callback) {
      handlers = handlers.filter((h) => h.event != event || h.callback !== callback);
    },
    emit(event, payload) {
      if (event == 'ready') ready = payload;
      enqueue(event, payload);
    },
    /** `announce` queues `shutdown`; the next instance fires `ready` anew. */
    shutdown(announce) {
      if (announce) enqueue('shutdown');
      ready = undefined;
      handlers = handlers.filter((h) => !h.init);
    },
  };
}
