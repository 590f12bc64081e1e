// The event hub (js/hub.js) on its own, in Node: the calls Rust makes
// (`on`, `off`, `emit`, `shutdown`) and what the page's handlers and
// `natter:*` window listeners see.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHub } from '../../js/hub.js';

/** Resolves once every queued microtask (every delivery) has run. */
const delivered = () => new Promise((resolve) => setImmediate(resolve));

/** A hub whose window is an EventTarget recording `natter:*` events, and a recorder of handler calls. */
function setup() {
  const target = new EventTarget();
  const seen = [];
  for (const name of ['ready', 'open', 'message', 'shutdown']) {
    target.addEventListener(`natter:${name}`, (event) => seen.push(['window', name, event.detail]));
  }
  const calls = [];
  const fn = (label) => (payload) => calls.push([label, payload]);
  return { hub: createHub(target), seen, calls, fn };
}

describe('delivery', () => {
  test('on a microtask, never inside the emitting call; to handlers of that event, then to window', async () => {
    const { hub, seen, calls, fn } = setup();
    const order = [];
    hub.on('open', (payload) => order.push(['handler', payload]), false, false);
    hub.on('message', fn('message'), false, false);
    hub.emit('open', { n: 1 });
    order.push(['emit returned']);
    assert.deepEqual(seen, []);
    await delivered();
    assert.deepEqual(order, [['emit returned'], ['handler', { n: 1 }]]);
    assert.deepEqual(calls, []);
    assert.deepEqual(seen, [['window', 'open', { n: 1 }]]);
  });

  test('events keep their order, also ones a handler emits while being called', async () => {
    const { hub, seen } = setup();
    hub.on('open', () => hub.emit('message', 'from a handler'), false, false);
    hub.emit('open', 1);
    hub.emit('message', 2);
    await delivered();
    assert.deepEqual(seen, [
      ['window', 'open', 1],
      ['window', 'message', 2],
      ['window', 'message', 'from a handler'],
    ]);
  });

  test('a handler that throws is reported with the event name; the other handlers and window still get it', async (t) => {
    const errors = t.mock.method(console, 'error', () => {});
    const { hub, seen, calls, fn } = setup();
    const boom = new Error('host handler boom');
    hub.on('open', () => {
      throw boom;
    }, false, false);
    hub.on('open', fn('second'), false, false);
    hub.emit('open', 'payload');
    await delivered();
    assert.deepEqual(calls, [['second', 'payload']]);
    assert.deepEqual(seen, [['window', 'open', 'payload']]);
    assert.deepEqual(errors.mock.calls.map((c) => c.arguments), [['[Natter] a "open" handler threw:', boom]]);
  });

  test('a handler registered while a batch is delivered waits for the next event', async () => {
    const { hub, calls, fn } = setup();
    hub.on('open', () => hub.on('message', fn('late'), false, false), false, false);
    hub.emit('open');
    hub.emit('message', 'queued before it was registered');
    await delivered();
    assert.deepEqual(calls, []);
    hub.emit('message', 'next');
    await delivered();
    assert.deepEqual(calls, [['late', 'next']]);
  });
});

describe('off and once', () => {
  test('off removes that function for that event only, also for events already queued', async () => {
    const { hub, calls, fn } = setup();
    const removed = fn('removed');
    hub.on('open', removed, false, false);
    hub.on('message', removed, false, false);
    hub.on('open', fn('kept'), false, false);
    hub.emit('open', 1);
    hub.off('open', removed);
    hub.off('close', fn('kept'));
    hub.emit('message', 2);
    await delivered();
    assert.deepEqual(calls, [
      ['kept', 1],
      ['removed', 2],
    ]);
  });

  test('a handler removed by another handler is not called for the rest of the batch', async () => {
    const { hub, calls, fn } = setup();
    const second = fn('second');
    hub.on('open', () => hub.off('open', second), false, false);
    hub.on('open', second, false, false);
    hub.emit('open');
    await delivered();
    assert.deepEqual(calls, []);
  });

  test('once: called for the first event only, even when two are queued together', async () => {
    const { hub, calls, fn } = setup();
    hub.on('message', fn('once'), false, true);
    hub.on('message', fn('on'), false, false);
    hub.emit('message', 1);
    hub.emit('message', 2);
    await delivered();
    hub.emit('message', 3);
    await delivered();
    assert.deepEqual(calls, [
      ['once', 1],
      ['on', 1],
      ['on', 2],
      ['on', 3],
    ]);
  });

  test('once: off before the event cancels it', async () => {
    const { hub, calls, fn } = setup();
    const handler = fn('once');
    hub.on('open', handler, false, true);
    hub.off('open', handler);
    hub.emit('open');
    await delivered();
    assert.deepEqual(calls, []);
  });
});

describe('ready', () => {
  test('replayed once to a handler registered after ready, never twice to one registered before', async () => {
    const { hub, seen, calls, fn } = setup();
    hub.on('ready', fn('before'), false, false);
    hub.emit('ready', { version: '1.2.3' });
    // Registered after the emit but before the delivery: the broadcast reaches it.
    hub.on('ready', fn('queued'), false, false);
    await delivered();
    hub.on('ready', fn('after'), false, false);
    await delivered();
    hub.emit('open');
    await delivered();
    assert.deepEqual(calls, [
      ['before', { version: '1.2.3' }],
      ['queued', { version: '1.2.3' }],
      ['after', { version: '1.2.3' }],
    ]);
    assert.deepEqual(
      seen.filter(([, name]) => name == 'ready'),
      [['window', 'ready', { version: '1.2.3' }]],
      'the replay goes to that handler only, not to window',
    );
  });

  test('once("ready") after ready fires once, and not for the next instance', async () => {
    const { hub, calls, fn } = setup();
    hub.emit('ready', 1);
    await delivered();
    hub.on('ready', fn('once'), false, true);
    await delivered();
    hub.shutdown(true);
    hub.emit('ready', 2);
    await delivered();
    assert.deepEqual(calls, [['once', 1]]);
  });

  test('on("ready") handlers fire again for the instance after a shutdown', async () => {
    const { hub, calls, fn } = setup();
    hub.on('ready', fn('on'), false, false);
    hub.emit('ready', 1);
    await delivered();
    hub.shutdown(true);
    await delivered();
    hub.on('ready', fn('while off'), false, false);
    await delivered();
    assert.deepEqual(calls, [['on', 1]], 'nothing is replayed while no instance runs');
    hub.emit('ready', 2);
    await delivered();
    assert.deepEqual(calls, [
      ['on', 1],
      ['on', 2],
      ['while off', 2],
    ]);
  });

  test('an instance shut down in the tick it started leaves no ready to replay', async () => {
    const { hub, calls, fn } = setup();
    hub.emit('ready', 1);
    hub.shutdown(true);
    await delivered();
    hub.on('ready', fn('late'), false, false);
    await delivered();
    assert.deepEqual(calls, []);
  });
});

describe('shutdown', () => {
  test('announces shutdown once asked to, and drops only the handlers init() gave', async () => {
    const { hub, seen, calls, fn } = setup();
    hub.on('message', fn('init'), true, false);
    hub.on('message', fn('api'), false, false);
    hub.emit('message', 1);
    await delivered();
    hub.shutdown(true);
    hub.emit('message', 2);
    await delivered();
    assert.deepEqual(calls, [
      ['init', 1],
      ['api', 1],
      ['api', 2],
    ]);
    assert.deepEqual(
      seen.map(([, name]) => name),
      ['message', 'shutdown', 'message'],
    );
    hub.shutdown(false);
    await delivered();
    assert.equal(seen.filter(([, name]) => name == 'shutdown').length, 1, 'a shutdown with nothing running is silent');
  });
});
