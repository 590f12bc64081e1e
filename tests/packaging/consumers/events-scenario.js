// The same subscriptions through any form of the API (the npm package's
// exports, `window.Natter.on(...)`, `window.Natter('on', ...)`): what the
// calls return and which handlers run, before ready, after it, and across
// shutdown and a new init. Run in a page, in mock mode.
export async function eventScenario(api) {
  // Counts `natter:*` window events, which come after the handlers of the same event.
  const seen = { ready: 0, open: 0, close: 0 };
  const waiting = [];
  for (const event of Object.keys(seen)) {
    window.addEventListener(`natter:${event}`, () => {
      seen[event] += 1;
      for (const w of waiting) if (w.event === event && seen[event] >= w.count) w.resolve();
    });
  }
  const until = (event, count) =>
    new Promise((resolve) => (seen[event] >= count ? resolve() : waiting.push({ event, count, resolve })));
  const calls = [];
  const handler = (name) => () => calls.push(name);
  const config = { appKey: 'sk_demo', mock: true };

  const returned = [
    api.once('ready', handler('once ready')),
    api.on('open', handler('on open')),
    api.once('open', handler('once open')),
    api.on('close', handler('unsubscribed')),
  ];
  returned[3]();
  api.init(config);
  await until('ready', 1);
  api.once('ready', handler('once ready, after ready'));
  for (const count of [1, 2]) {
    api.open();
    await until('open', count);
    api.close();
    await until('close', count);
  }
  api.shutdown();
  api.init(config);
  await until('ready', 2);
  api.on('ready', handler('on ready, after init again'));
  api.open();
  await until('open', 3);
  return { returned: returned.map((r) => typeof r), calls };
}
