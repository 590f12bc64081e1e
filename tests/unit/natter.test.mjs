// The `Natter` function (js/natter.js) with a stand-in runtime, in Node:
// the queue before the runtime is ready, the unsubscribe functions of `on`
// and `once`, the hub handed over at boot, and a runtime that throws.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS } from '../../js/commands.js';
import { createNatter } from '../../js/natter.js';

// `createNatter` runs in a browser; its hub dispatches on `window`.
beforeEach(() => {
  globalThis.window = new EventTarget();
});
afterEach(() => {
  delete globalThis.window;
});

/** A runtime that records what it is given. */
function fakeRuntime() {
  const runtime = { boots: [], calls: [] };
  runtime.boot = (script, queue, hub) => runtime.boots.push({ script, queue, hub });
  runtime.call = (name, args) => runtime.calls.push([name, ...args]);
  return runtime;
}

describe('createNatter', () => {
  test('every command is a method and a queue function argument; version is set', () => {
    const { Natter } = createNatter('9.9.9');
    assert.equal(Natter.version, '9.9.9');
    for (const command of COMMANDS) assert.equal(typeof Natter[command], 'function', command);
    assert.ok(COMMANDS.includes('once'));
  });

  test('calls before the runtime is ready are queued after the snippet ones and handed to boot with the hub', () => {
    const { Natter, attach } = createNatter('1');
    const handler = () => {};
    Natter('init', { appKey: 'k' });
    Natter.on('ready', handler);
    const runtime = fakeRuntime();
    const script = { tag: 'script' };
    attach(runtime, script, [['open']]);
    assert.equal(runtime.boots.length, 1);
    const [{ script: given, queue, hub }] = runtime.boots;
    assert.equal(given, script);
    assert.deepEqual(queue, [['open'], ['init', { appKey: 'k' }], ['on', 'ready', handler]]);
    for (const method of ['on', 'off', 'emit', 'shutdown']) assert.equal(typeof hub[method], 'function', method);
    Natter.close();
    assert.deepEqual(runtime.calls, [['close']]);
  });

  test('the hub handed to boot is the one whose events reach the page', async () => {
    const { attach } = createNatter('1');
    const runtime = fakeRuntime();
    attach(runtime, null, []);
    const seen = [];
    window.addEventListener('natter:open', (event) => seen.push(event.detail));
    runtime.boots[0].hub.emit('open', 'from the runtime');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, ['from the runtime']);
  });

  for (const style of ['queue function', 'method']) {
    test(`on and once return the function that unsubscribes, before and after ready (${style})`, () => {
      const { Natter, attach } = createNatter('1');
      const subscribe = (command, ...args) => (style == 'method' ? Natter[command](...args) : Natter(command, ...args));
      const early = () => {};
      const stopEarly = subscribe('once', 'ready', early);
      assert.equal(typeof stopEarly, 'function');
      stopEarly();
      const runtime = fakeRuntime();
      attach(runtime, null, []);
      assert.deepEqual(runtime.boots[0].queue, [
        ['once', 'ready', early],
        ['off', 'ready', early],
      ]);
      const late = () => {};
      const stopLate = subscribe('on', 'message', late);
      stopLate();
      assert.deepEqual(runtime.calls, [
        ['on', 'message', late],
        ['off', 'message', late],
      ]);
      assert.equal(subscribe('open'), undefined);
    });
  }

  test('getState returns what the runtime answers once it is ready, and nothing before', () => {
    const { Natter, attach } = createNatter('1');
    assert.equal(Natter.getState(), undefined);
    const runtime = fakeRuntime();
    runtime.call = (name) => (name == 'getState' ? { open: false } : 'ignored');
    attach(runtime, null, []);
    assert.deepEqual(Natter.getState(), { open: false });
    assert.deepEqual(Natter('getState'), { open: false });
    assert.equal(Natter('open'), undefined);
  });

  test('a runtime that throws is retired: one [Natter] error, nothing thrown to the page, later calls ignored', (t) => {
    const errors = t.mock.method(console, 'error', () => {});
    const { Natter, attach } = createNatter('1');
    const runtime = fakeRuntime();
    attach(runtime, null, []);
    runtime.call = () => {
      throw new Error('unreachable executed');
    };
    assert.doesNotThrow(() => Natter.open());
    assert.doesNotThrow(() => Natter.close());
    assert.equal(typeof Natter.on('open', () => {}), 'function');
    assert.deepEqual(
      errors.mock.calls.map((c) => c.arguments),
      [['[Natter] internal error, the widget stopped: unreachable executed']],
    );
  });
});
