// `window.Natter`: callable as a queue function, `Natter('open', {...})`,
// and through methods, `Natter.open({...})`. Calls made before the runtime is
// ready are queued and handed to it in order; afterwards they go straight in.
// It owns the page's event hub and hands it to the runtime at boot.
import { COMMANDS } from './commands.js';
import { createHub } from './hub.js';

const PREFIX = '[Natter] ';

/**
 * Returns the `Natter` function for the page and `attach`, which the loader
 * calls once the runtime is ready, handing it the loader's script element
 * and the calls queued before the loader ran.
 */
export function createNatter(version) {
  let runtime = null;
  let broken = false;
  const queue = [];
  const hub = createHub(window);

  // `on` and `once` return the function that unsubscribes, at once: the
  // registration itself goes to the runtime (queued until it is ready),
  // which refuses unknown event names. `getState` returns the runtime's
  // answer (the state once it is ready); other commands return nothing.
  function Natter(command, ...args) {
    let answer;
    if (runtime) guard(() => (answer = runtime.call(String(command), args)));
    else queue.push([command, ...args]);
    if (command == 'on' || command == 'once') return () => Natter('off', args[0], args[1]);
    if (command == 'getState') return answer;
  }

  // Nothing thrown inside the widget may reach the host page. A trap leaves
  // the wasm instance in an unknown state, so the runtime is then retired.
  function guard(fn) {
    if (broken) return;
    try {
      fn();
    } catch (err) {
      broken = true;
      console.error(PREFIX + 'internal error, the widget stopped: ' + (err && err.message));
    }
  }

  for (const command of COMMANDS) {
    Natter[command] = (...args) => Natter(command, ...args);
  }
  Natter.version = version;

  function attach(loaded, script, earlier) {
    runtime = loaded;
    guard(() => runtime.boot(script, [...earlier, ...queue.splice(0)], hub));
  }
  return { Natter, attach };
}

/** Calls queued by the snippet `Natter.q.push(arguments)` before this script ran. */
export function snippetQueue(existing) {
  const q = existing && existing.q;
  return Array.isArray(q) ? q.map((args) => Array.from(args)) : [];
}

export function reportLoadError(err) {
  console.error(PREFIX + (err && err.message ? err.message : String(err)));
}
