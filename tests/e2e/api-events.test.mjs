// The command API and its events in a real page, in mock mode: the queue
// before load, data-defer-init, idempotent init, init after shutdown, every
// event through `on()` and as a `natter:*` CustomEvent on window, throwing
// handlers, `once`, `off` and the unsubscribe functions.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  domEvents,
  embed,
  handlerCalls,
  initWidget,
  inShadow,
  mockTag,
  mockWidget,
  natterMessages,
  REPLY_TIMEOUT,
  sendAndWaitForReply,
  useBrowser,
  waitForEvent,
  withHost,
} from '../support/widget.mjs';

const env = useBrowser();
const run = (body, options) => withHost(env, body, options);

const hosts = (page) => page.evaluate(() => document.querySelectorAll('[data-natter-widget]').length);
const panelVisible = (page) => inShadow(page, (root) => root.querySelector('[part~=panel]').checkVisibility());
const composer = (page) =>
  inShadow(page, (root) => {
    const input = root.querySelector('[part~=composer] textarea');
    return { value: input.value, focused: root.activeElement === input };
  });

/** Waits until the `__nt.fn(name)` handler has been called `count` times. */
const waitForCalls = (page, name, count = 1) =>
  page.waitForFunction(([name, count]) => window.__natter.calls.filter((c) => c.name === name).length >= count, [name, count], {
    timeout: REPLY_TIMEOUT,
  });

/**
 * A round trip through the widget: open (or close) and wait for its event.
 * Anything the widget queued earlier (events are delivered on a microtask)
 * has been delivered by then.
 */
async function settle(page) {
  const opens = (await domEvents(page, 'open')).length;
  const closes = (await domEvents(page, 'close')).length;
  if (await panelVisible(page)) {
    await page.evaluate(() => window.Natter.close());
    await waitForEvent(page, 'close', closes + 1);
    await page.evaluate(() => window.Natter.open());
    await waitForEvent(page, 'open', opens + 1);
  } else {
    await page.evaluate(() => window.Natter.open());
    await waitForEvent(page, 'open', opens + 1);
    await page.evaluate(() => window.Natter.close());
    await waitForEvent(page, 'close', closes + 1);
  }
}

describe('calls made before the runtime is ready', { concurrency: 4 }, () => {
  test('on() and open({prefill}) queued through the snippet before load run once it is ready', () =>
    run(
      async (page) => {
        await embed(page, { attributes: { 'data-defer-init': '' } });
        await page.locator('[part~=panel]').waitFor({ state: 'visible' });
        assert.deepEqual(await composer(page), { value: 'Queued question', focused: true });
        await waitForCalls(page, 'open');
        await settle(page);
        const ready = await handlerCalls(page, 'ready');
        assert.equal(ready.length, 1);
        assert.equal(ready[0].payload.version, await page.evaluate(() => window.Natter.version));
        assert.equal((await handlerCalls(page, 'open')).length, 2, 'queued open, then the settle open');
        await page.evaluate(() => window.Natter.sendMessage('queued then sent'));
        await waitForCalls(page, 'message', 2);
        assert.deepEqual(
          (await handlerCalls(page, 'message')).map((c) => [c.payload.from, c.payload.text]),
          [
            ['visitor', 'queued then sent'],
            ['agent', '[mock] queued then sent'],
          ],
        );
      },
      {
        queue: [
          ['on', 'ready', 'fn:ready'],
          ['on', 'open', 'fn:open'],
          ['on', 'message', 'fn:message'],
          ['open', { prefill: 'Queued question' }],
          ['init', { appKey: 'sk_test', mock: true }],
        ],
      },
    ));

  test('a ready handler queued after init fires exactly once', () =>
    run(
      async (page) => {
        await embed(page, { attributes: { 'data-defer-init': '' } });
        await waitForCalls(page, 'ready');
        await settle(page);
        assert.equal((await handlerCalls(page, 'ready')).length, 1);
      },
      { queue: [['init', { appKey: 'sk_test', mock: true }], ['on', 'ready', 'fn:ready']] },
    ));

  test('the documented embed (tag with data-app-key, snippet on("ready") before load) calls the handler once', () =>
    run(
      async (page) => {
        await embed(page, { attributes: mockTag() });
        await waitForCalls(page, 'ready');
        await settle(page);
        assert.equal((await handlerCalls(page, 'ready')).length, 1);
      },
      { queue: [['on', 'ready', 'fn:ready']] },
    ));

  test('init() then on("ready") in the same tick calls the handler once', () =>
    run(async (page) => {
      await embed(page, { attributes: { 'data-defer-init': '' } });
      await page.evaluate(() => {
        window.Natter.init({ appKey: 'sk_test', mock: true });
        window.Natter.on('ready', window.__nt.fn('ready'));
      });
      await waitForCalls(page, 'ready');
      await settle(page);
      assert.equal((await handlerCalls(page, 'ready')).length, 1);
    }));

  test('data-defer-init waits for init(); init() without arguments then uses the data-* layer', () =>
    run(async (page, { seen }) => {
      const probed = page.waitForEvent('console', (m) => m.text().includes('unknown event "probe"'));
      await embed(page, { attributes: mockTag({ 'data-defer-init': '', 'data-position': 'tl' }) });
      // An unknown event name is answered by the runtime: it is up.
      await page.evaluate(() => window.Natter.on('probe', () => {}));
      await probed;
      assert.equal(await hosts(page), 0);
      assert.deepEqual(await domEvents(page), []);
      await page.evaluate(() => window.Natter.init());
      await waitForEvent(page, 'ready');
      assert.equal(await hosts(page), 1);
      assert.match(await inShadow(page, (root) => root.querySelector('.root').className), /\btl\b/);
      assert.equal(natterMessages(seen, 'warning').length, 1);
    }));
});

describe('life cycle', { concurrency: 4 }, () => {
  test('a second init with the same key is a no-op: one launcher, one ready, first config kept', () =>
    run(async (page, { seen }) => {
      await mockWidget(page);
      await page.evaluate(() => {
        window.Natter.init({ appKey: 'sk_test', mock: true, position: 'tl', onReady: window.__nt.fn('second-ready') });
        window.Natter('init', { appKey: 'sk_test' });
      });
      await settle(page);
      assert.equal(await hosts(page), 1);
      assert.equal((await domEvents(page, 'ready')).length, 1);
      assert.deepEqual(await handlerCalls(page, 'second-ready'), []);
      assert.match(await inShadow(page, (root) => root.querySelector('.root').className), /\bbr\b/);
      assert.deepEqual(natterMessages(seen, 'warning'), []);
    }));

  test('shutdown removes the widget and emits shutdown; init afterwards works again', () =>
    run(async (page) => {
      await mockWidget(page);
      await page.evaluate(() => window.Natter.on('shutdown', window.__nt.fn('shutdown')));
      await page.evaluate(() => window.Natter.shutdown());
      await waitForEvent(page, 'shutdown');
      await waitForCalls(page, 'shutdown');
      assert.equal(await hosts(page), 0);
      assert.equal(await page.evaluate(() => document.querySelectorAll('natter-widget').length), 0);
      // a command without a widget is ignored quietly, a second shutdown emits nothing
      await page.evaluate(() => {
        window.Natter.open();
        window.Natter.shutdown();
      });
      await page.evaluate(() => window.Natter.init({ appKey: 'sk_test', mock: true, position: 'tl' }));
      await waitForEvent(page, 'ready', 2);
      assert.equal(await hosts(page), 1);
      assert.equal((await domEvents(page, 'shutdown')).length, 1);
      assert.match(await inShadow(page, (root) => root.querySelector('.root').className), /\btl\b/, 'the new config applies');
      await sendAndWaitForReply(page, 'after restart');
    }));

  test('shutdown drops a pending mock reply: it never arrives in the next instance', () =>
    run(async (page) => {
      await mockWidget(page);
      await page.evaluate(() => {
        window.Natter.sendMessage('before shutdown');
        window.Natter.shutdown();
        window.Natter.init({ appKey: 'sk_test', mock: true });
      });
      await waitForEvent(page, 'ready', 2);
      await page.evaluate(() => window.Natter.sendMessage('after restart'));
      await page.waitForFunction(() => window.__natter.dom.some((e) => e.type === 'message' && e.detail.text === '[mock] after restart'), null, {
        timeout: REPLY_TIMEOUT,
      });
      const texts = (await domEvents(page, 'message')).map((e) => e.detail.text);
      assert.deepEqual(texts, ['before shutdown', 'after restart', '[mock] after restart']);
    }));

  test('defaultOpen opens the panel at start without taking the page focus', () =>
    run(async (page) => {
      await page.focus('#before');
      await mockWidget(page, { 'data-default-open': '' });
      await page.locator('[part~=panel]').waitFor({ state: 'visible' });
      assert.equal(await page.evaluate(() => document.activeElement.id), 'before');
      assert.equal((await domEvents(page, 'open')).length, 1);
    }));
});

describe('events', { concurrency: 4 }, () => {
  test('ready, open, close, message, identify and shutdown reach on() handlers and natter:* window events', () =>
    run(async (page) => {
      await mockWidget(page);
      await page.evaluate((names) => {
        for (const name of names) window.Natter.on(name, window.__nt.fn(name));
        window.__customEvents = [];
        window.addEventListener('natter:message', (e) => window.__customEvents.push(e instanceof CustomEvent && e.type));
      }, ['ready', 'open', 'close', 'message', 'identify', 'shutdown']);
      await waitForCalls(page, 'ready');
      const started = Date.now();
      await page.evaluate(() => window.Natter.toggle());
      await waitForCalls(page, 'open');
      await page.evaluate(() => window.Natter.sendMessage('  Hello there  '));
      await waitForCalls(page, 'message', 2);
      await page.evaluate(() => window.Natter.toggle());
      await waitForCalls(page, 'close');
      await page.evaluate(() => window.Natter.identify({ externalUserId: 'u_42', nickname: 'Alex Lee', email: 'alex@example.com', extra: { orderNo: 'O-1' } }));
      await waitForCalls(page, 'identify');
      await page.evaluate(() => window.Natter.identify({ externalUserId: null }));
      await waitForCalls(page, 'identify', 2);
      await page.evaluate(() => window.Natter.shutdown());
      await waitForCalls(page, 'shutdown');

      const calls = await handlerCalls(page);
      assert.deepEqual(
        calls.map((c) => c.name),
        ['ready', 'open', 'message', 'message', 'close', 'identify', 'identify', 'shutdown'],
      );
      const [visitor, agent] = calls.filter((c) => c.name === 'message').map((c) => c.payload);
      assert.deepEqual(Object.keys(visitor).sort(), ['createdAt', 'from', 'id', 'text']);
      assert.equal(visitor.from, 'visitor');
      assert.equal(visitor.text, 'Hello there', 'trimmed as sent');
      assert.deepEqual(Object.keys(agent).sort(), ['agentName', 'createdAt', 'from', 'id', 'text']);
      assert.equal(agent.from, 'agent');
      assert.equal(agent.text, '[mock] Hello there');
      assert.equal(typeof agent.agentName, 'string');
      assert.ok(agent.agentName.length > 0);
      for (const m of [visitor, agent]) {
        assert.ok(Number.isFinite(m.id), `numeric id: ${m.id}`);
        const at = Date.parse(m.createdAt);
        assert.ok(at >= started - 60_000 && at <= Date.now() + 60_000, `createdAt ${m.createdAt}`);
      }
      assert.notEqual(visitor.id, agent.id);
      const replyDelay = Date.parse(agent.createdAt) - Date.parse(visitor.createdAt);
      assert.ok(replyDelay >= 1300 && replyDelay < 4000, `mock reply after ~1.4 s, got ${replyDelay} ms`);

      const [login, logout] = calls.filter((c) => c.name === 'identify').map((c) => c.payload);
      assert.equal(login.externalUserId, 'u_42');
      assert.equal(login.nickname, 'Alex Lee');
      assert.equal(login.email, 'alex@example.com');
      assert.equal(logout.externalUserId, null);

      // every on() call has the same payload as its natter:* window event
      const dom = (await domEvents(page)).filter((e) => !['connection', 'unread'].includes(e.type));
      assert.deepEqual(
        dom.map((e) => [e.type, e.detail ?? null]),
        calls.map((c) => [c.name, c.payload ?? null]),
      );
      assert.deepEqual(await page.evaluate(() => window.__customEvents), ['natter:message', 'natter:message']);
    }));

  test('ready is replayed to a handler registered after ready', () =>
    run(async (page) => {
      await mockWidget(page);
      await settle(page);
      await page.evaluate(() => window.Natter.on('ready', window.__nt.fn('late')));
      await waitForCalls(page, 'late');
      await settle(page);
      const late = await handlerCalls(page, 'late');
      assert.equal(late.length, 1);
      assert.deepEqual(late[0].payload, (await domEvents(page, 'ready'))[0].detail);
    }));

  test('init({onReady, onMessage}) handlers fire, and go away with shutdown', () =>
    run(async (page) => {
      await embed(page, { attributes: { 'data-defer-init': '' } });
      await page.evaluate(() =>
        window.Natter.init({ appKey: 'sk_test', mock: true, onReady: window.__nt.fn('onReady'), onMessage: window.__nt.fn('onMessage') }),
      );
      await waitForCalls(page, 'onReady');
      await sendAndWaitForReply(page, 'first');
      await waitForCalls(page, 'onMessage', 2);
      await page.evaluate(() => {
        window.Natter.shutdown();
        window.Natter.init({ appKey: 'sk_test', mock: true });
      });
      await waitForEvent(page, 'ready', 2);
      await sendAndWaitForReply(page, 'second');
      await settle(page);
      assert.equal((await handlerCalls(page, 'onReady')).length, 1);
      assert.equal((await handlerCalls(page, 'onMessage')).length, 2);
    }));

  test('error: empty, whitespace-only and over-length messages give {code, message}; 4000 characters pass', () =>
    run(async (page) => {
      await mockWidget(page);
      await page.evaluate(() => {
        window.Natter.on('error', window.__nt.fn('error'));
        window.Natter.sendMessage('');
        window.Natter.sendMessage('  \n\t ');
        window.Natter.sendMessage('x'.repeat(4001));
        window.Natter.sendMessage('y'.repeat(4000));
      });
      await waitForCalls(page, 'error', 3);
      await waitForEvent(page, 'message');
      const errors = (await handlerCalls(page, 'error')).map((c) => c.payload);
      assert.deepEqual(
        errors.map((e) => e.code),
        ['empty_text', 'empty_text', 'text_too_long'],
      );
      for (const e of errors) {
        assert.deepEqual(Object.keys(e).sort(), ['code', 'message']);
        assert.ok(e.message.length > 0);
      }
      assert.match(errors[2].message, /4000/);
      assert.deepEqual(
        (await domEvents(page, 'error')).map((e) => e.detail),
        errors,
      );
      // Only the visitor's side: the mock agent's echo may already be in on a slow machine.
      const sent = (await domEvents(page, 'message')).filter((e) => e.detail.from === 'visitor').map((e) => e.detail.text.length);
      assert.deepEqual(sent, [4000]);
    }));

  test('unread counts agent messages while closed and resets on open', () =>
    run(async (page) => {
      await mockWidget(page);
      const badge = () =>
        inShadow(page, (root) => {
          const b = root.querySelector('[part~=badge]');
          return { visible: b.checkVisibility(), text: b.textContent, name: root.querySelector('[part~=launcher]').getAttribute('aria-label') };
        });
      await sendAndWaitForReply(page, 'one');
      await waitForEvent(page, 'unread');
      assert.deepEqual((await badge()).visible, true);
      assert.equal((await badge()).text, '1');
      await sendAndWaitForReply(page, 'two');
      await waitForEvent(page, 'unread', 2);
      const two = await badge();
      assert.equal(two.text, '2');
      assert.match(two.name, /2/, 'the launcher name announces the count');
      await page.evaluate(() => window.Natter.open());
      await waitForEvent(page, 'unread', 3);
      assert.equal((await badge()).visible, false);
      // while open, replies are seen at once: no new unread
      await sendAndWaitForReply(page, 'three');
      await settle(page);
      assert.deepEqual(
        (await domEvents(page, 'unread')).map((e) => e.detail.count),
        [1, 2, 0],
      );
    }));

  test('after a sign-in, mock replies count as unread again: message ids go on across sessions', () =>
    run(async (page) => {
      await mockWidget(page);
      await page.evaluate(() => window.Natter.open());
      await sendAndWaitForReply(page, 'seen while open');
      await page.evaluate(() => {
        window.Natter.close();
        window.Natter.identify({ externalUserId: 'u_1' });
      });
      await waitForEvent(page, 'identify');
      await sendAndWaitForReply(page, 'signed in, panel closed');
      await waitForEvent(page, 'unread');
      assert.deepEqual((await domEvents(page, 'unread')).map((e) => e.detail.count), [1]);
      // Acknowledged at once: nothing is left waiting in either outbox.
      assert.deepEqual(
        await page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('natter_outbox:'))),
        [],
      );
    }));

  test('replies that arrive while the tab is hidden are unread until the visitor comes back to the open panel', () =>
    run(async (page) => {
      await mockWidget(page);
      await page.evaluate(() => window.Natter.open());
      await page.evaluate(() => {
        // The tab goes to the background (as the browser would report it).
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await sendAndWaitForReply(page, 'asked, then switched tabs');
      await waitForEvent(page, 'unread');
      assert.equal((await domEvents(page, 'unread'))[0].detail.count, 1, 'unseen while hidden');
      await page.evaluate(() => {
        delete document.visibilityState;
        delete document.hidden;
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await waitForEvent(page, 'unread', 2, 2000);
      assert.deepEqual((await domEvents(page, 'unread')).map((e) => e.detail.count), [1, 0]);
    }));

  test('connection: mock mode reports online once, also across a change of user, and no banner shows', () =>
    run(async (page) => {
      await mockWidget(page);
      // A new user gets a new session: the mock's is online as before.
      await page.evaluate(() => window.Natter.identify({ externalUserId: 'u_1' }));
      await waitForEvent(page, 'identify');
      await sendAndWaitForReply(page, 'signed in');
      const states = (await domEvents(page, 'connection')).map((e) => e.detail.state);
      assert.deepEqual(states, ['online']);
      assert.equal(await inShadow(page, (root) => root.querySelector('[part~=banner]').checkVisibility()), false);
    }));

  test('a handler that throws is reported in the console; other handlers and the widget keep working', () =>
    run(
      async (page, { seen }) => {
        await mockWidget(page);
        await page.evaluate(() => {
          window.Natter.on('open', () => {
            throw new Error('host handler boom');
          });
          window.Natter.on('open', window.__nt.fn('open'));
        });
        await page.evaluate(() => window.Natter.open());
        await waitForCalls(page, 'open');
        await waitForEvent(page, 'open');
        await sendAndWaitForReply(page, 'still alive');
        await page.evaluate(() => window.Natter.close());
        await page.evaluate(() => window.Natter.open());
        await waitForCalls(page, 'open', 2);
        const reported = natterMessages(seen, 'error');
        assert.equal(reported.length, 2, reported.join('\n'));
        assert.match(reported[0], /"open" handler threw.*host handler boom/s);
        assert.equal(await panelVisible(page), true);
      },
      { natterErrors: [/^\[Natter\] a "open" handler threw/, /^\[Natter\] a "open" handler threw/] },
    ));

  test('handlers run on a later tick and may call the API from inside', () =>
    run(async (page) => {
      await mockWidget(page);
      const order = await page.evaluate(() => {
        const order = [];
        window.Natter.on('open', () => {
          order.push('open handler');
          window.Natter.close();
          window.Natter.sendMessage('sent from a handler');
        });
        window.Natter.open();
        order.push('open() returned');
        return new Promise((resolve) => window.addEventListener('natter:close', () => resolve(order), { once: true }));
      });
      assert.deepEqual(order, ['open() returned', 'open handler']);
      await waitForEvent(page, 'message');
      assert.equal((await domEvents(page, 'message'))[0].detail.text, 'sent from a handler');
      assert.equal(await panelVisible(page), false);
    }));

  test('off() removes exactly that handler', () =>
    run(async (page) => {
      await mockWidget(page);
      await page.evaluate(() => {
        window.Natter.on('open', window.__nt.fn('removed'));
        window.Natter.on('open', window.__nt.fn('kept'));
        window.Natter.off('open', window.__nt.fn('removed'));
        window.Natter.off('close', window.__nt.fn('kept'));
      });
      await page.evaluate(() => window.Natter.open());
      await waitForCalls(page, 'kept');
      await settle(page);
      assert.deepEqual(await handlerCalls(page, 'removed'), []);
      assert.equal((await handlerCalls(page, 'kept')).length, 2);
    }));

  test('on and once return the unsubscribe function in both forms, before the runtime has loaded and after; once fires once, across shutdown and init', () =>
    run(async (page) => {
      // The wasm is held back, so these calls are queued in the page, not yet in the runtime.
      let release;
      const held = new Promise((resolve) => (release = resolve));
      await page.route(/\.wasm$/, async (route) => {
        await held;
        await route.continue();
      });
      await embed(page, { attributes: { 'data-defer-init': '' } });
      const returned = await page.evaluate(() => {
        const { Natter, __nt } = window;
        const subscriptions = [
          Natter.once('ready', __nt.fn('once ready (method)')),
          Natter('once', 'ready', __nt.fn('once ready (call)')),
          Natter.on('open', __nt.fn('on open')),
          Natter('once', 'open', __nt.fn('once open')),
          Natter('on', 'open', __nt.fn('unsubscribed (call)')),
          Natter.on('open', __nt.fn('unsubscribed (method)')),
          Natter.once('open', __nt.fn('unsubscribed (once)')),
        ];
        for (const unsubscribe of subscriptions.slice(4)) unsubscribe();
        Natter.init({ appKey: 'sk_test', mock: true });
        return subscriptions.map((s) => typeof s);
      });
      assert.deepEqual(returned, Array(7).fill('function'));
      assert.equal(await hosts(page), 0, 'the runtime had not loaded');
      release();
      await waitForEvent(page, 'ready');
      await page.evaluate(() => {
        const { Natter, __nt } = window;
        Natter.once('ready', __nt.fn('once ready (late)'));
        Natter('on', 'close', __nt.fn('unsubscribed (after ready)'))();
      });
      await waitForCalls(page, 'once ready (late)');
      await settle(page);
      await settle(page);
      await page.evaluate(() => {
        window.Natter.shutdown();
        window.Natter.init({ appKey: 'sk_test', mock: true });
      });
      await waitForEvent(page, 'ready', 2);
      await settle(page);
      const counts = {};
      for (const { name } of await handlerCalls(page)) counts[name] = (counts[name] ?? 0) + 1;
      assert.deepEqual(counts, {
        'once ready (method)': 1,
        'once ready (call)': 1,
        'once ready (late)': 1,
        'on open': 3,
        'once open': 1,
      });
    }));

  test('on and once refuse an unknown event name with a warning', () =>
    run(async (page, { seen }) => {
      await mockWidget(page);
      // Console messages arrive in order: the second means both are in.
      const warned = page.waitForEvent('console', (m) => m.text().includes('on(): unknown event "redy"'));
      const returned = await page.evaluate(() => [typeof window.Natter.once('opne', () => {}), typeof window.Natter('on', 'redy', () => {})]);
      await warned;
      assert.deepEqual(returned, ['function', 'function']);
      const known =
        'known events: ready, open, close, message, error, identify, shutdown, unread, connection, availability, ' +
        'conversationStarted, agentJoined, conversationEnded, typing, rating';
      assert.deepEqual(natterMessages(seen, 'warning'), [
        `[Natter] once(): unknown event "opne"; ${known}`,
        `[Natter] on(): unknown event "redy"; ${known}`,
      ]);
    }));

  test('open, close and toggle emit only on a change of state', () =>
    run(async (page) => {
      await mockWidget(page);
      await page.evaluate(() => {
        window.Natter.open();
        window.Natter.open();
        window.Natter.toggle();
        window.Natter.close();
        window.Natter.toggle();
      });
      await waitForEvent(page, 'open', 2);
      await settle(page);
      const kinds = (await domEvents(page)).map((e) => e.type).filter((t) => t === 'open' || t === 'close');
      assert.deepEqual(kinds, ['open', 'close', 'open', 'close', 'open']);
    }));
});
