// The packed npm package in every kind of consumer: `npm pack` of dist/npm,
// installed with pinned tools into one throwaway project, then
//   - Vite (examples/npm-vite), webpack 5, esbuild and a plain
//     <script type="module"> page each build or serve their own page, driven
//     in Chromium: the launcher appears, nothing reaches the host page;
//   - the package's exports and the CDN global subscribe to events alike;
//   - Node ESM and CommonJS import it as server-side rendering would;
//   - tsc --strict accepts a consumer using every API and rejects misuse.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, natterMessages, openPage } from '../support/browser.mjs';
import {
  exec,
  expectOneLauncher,
  messageRoundTrip,
  packTarball,
  readJson,
  requireBuild,
  root,
  serve,
  STRICT_CSP,
  tempDir,
  widgetState,
} from './support.mjs';

requireBuild();

// Every consumer tool, pinned exactly.
const TOOLS = { vite: '8.3.8', webpack: '5.112.2', 'webpack-cli': '7.3.1', esbuild: '0.28.2', typescript: '7.0.2' };
const version = readJson(join(root, 'package.json')).version;

let work;
let project;
let browser;
const bin = (name) => join(project, 'node_modules', '.bin', name);

before(async () => {
  work = tempDir('packaging');
  const tarball = await packTarball(work.dir);
  project = join(work.dir, 'project');
  cpSync(join(root, 'tests', 'packaging', 'consumers'), project, { recursive: true });
  const example = join(root, 'examples', 'npm-vite');
  for (const name of ['index.html', 'src', 'vite.config.js']) {
    cpSync(join(example, name), join(project, 'vite', name), { recursive: true });
  }
  const manifest = {
    name: 'natter-consumers',
    private: true,
    type: 'module',
    dependencies: { 'natter-widget': `file:${tarball}` },
    devDependencies: TOOLS,
  };
  writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
  await exec('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  work?.remove();
});

/** Copies a consumer's page next to its bundle and lists the bundle's wasm files. */
function finishBundle(dir) {
  cpSync(join(dir, 'index.html'), join(dir, 'dist', 'index.html'));
  return readdirSync(join(dir, 'dist')).filter((name) => name.endsWith('.wasm'));
}

const CONSUMERS = [
  {
    name: 'Vite production build (examples/npm-vite)',
    async build() {
      await exec(bin('vite'), ['build', '--logLevel', 'warn'], { cwd: join(project, 'vite') });
      const assets = readdirSync(join(project, 'vite', 'dist', 'assets'));
      assert.ok(assets.some((name) => name.endsWith('.wasm')), `vite copied no wasm: ${assets}`);
      return { dir: join(project, 'vite', 'dist'), path: '/index.html' };
    },
  },
  {
    name: 'webpack 5',
    async build() {
      const dir = join(project, 'webpack');
      await exec(bin('webpack'), ['--config', 'webpack.config.cjs'], { cwd: dir });
      assert.equal(finishBundle(dir).length, 1, 'webpack should emit the wasm once');
      return { dir: join(dir, 'dist'), path: '/index.html' };
    },
  },
  {
    name: 'esbuild',
    async build() {
      const dir = join(project, 'esbuild');
      await exec(bin('esbuild'), ['main.js', '--bundle', '--format=esm', '--minify', '--loader:.wasm=file', '--outdir=dist'], {
        cwd: dir,
      });
      assert.equal(finishBundle(dir).length, 1, 'esbuild should emit the wasm once');
      return { dir: join(dir, 'dist'), path: '/index.html' };
    },
  },
  {
    name: 'plain <script type="module"> page with an import map',
    async build() {
      return { dir: project, path: '/plain/index.html' };
    },
  },
];

for (const consumer of CONSUMERS) {
  describe(consumer.name, () => {
    let built;
    let server;
    before(async () => {
      built = await consumer.build();
      server = await serve({ mounts: [['/', built.dir]] });
    });
    after(() => server?.close());

    test('the launcher appears in the shadow root and nothing reaches the host page', async () => {
      const { context, page, seen, violations } = await openPage(browser, `${server.url}${built.path}?mock`);
      try {
        await expectOneLauncher(page, assert);
        assert.notEqual(await page.locator('#chat-status').getAttribute('data-state'), 'failed');
        assert.equal(await page.evaluate(() => window.Natter.version), version);
        assert.deepEqual(seen.pageErrors, []);
        assert.deepEqual(await violations(), []);
        assert.deepEqual(natterMessages(seen, 'error'), []);
      } finally {
        await context.close();
      }
    });

    test('await init() resolves on the ready event', async () => {
      const { context, page, seen } = await openPage(browser, `${server.url}${built.path}?mock`);
      try {
        await page.locator('#chat-status:is([data-state=ready], [data-state=failed])').waitFor();
        assert.equal(await page.locator('#chat-status').textContent(), `natter-widget ${version}: ready`);
        assert.deepEqual(natterMessages(seen, 'error'), []);
      } finally {
        await context.close();
      }
    });

    test('a message round-trips with the companion server', (t) =>
      messageRoundTrip(t, { browser, openPage, staticDirs: [built.dir], path: built.path, assert }));
  });
}

/** Opens a page and waits until the app's `await init()` has failed. */
async function initFailure(url) {
  const { context, page, seen } = await openPage(browser, url);
  try {
    await page.locator('#chat-status[data-state=failed]').waitFor();
    return {
      status: await page.locator('#chat-status').textContent(),
      errors: natterMessages(seen, 'error'),
      pageErrors: seen.pageErrors,
      widget: await widgetState(page),
    };
  } finally {
    await context.close();
  }
}

describe('init() rejects with a clear error', () => {
  test("on the runtime's init error event (no app key)", async () => {
    const server = await serve({ mounts: [['/', project]] });
    try {
      const failure = await initFailure(`${server.url}/plain/no-key.html?mock`);
      assert.match(failure.status, /^init_missing_app_key: \[Natter\] missing app key/);
      assert.equal(failure.errors.length, 1, failure.errors.join('\n'));
      assert.deepEqual(failure.pageErrors, []);
    } finally {
      await server.close();
    }
  });

  test("webpack page under a CSP without 'wasm-unsafe-eval'", async () => {
    const dir = join(project, 'webpack', 'dist');
    const server = await serve({
      mounts: [['/', dir]],
      headers: () => ({ 'content-security-policy': STRICT_CSP.replace(" 'wasm-unsafe-eval'", '') }),
    });
    try {
      const failure = await initFailure(`${server.url}/index.html?mock`);
      assert.match(failure.status, /^init_load_failed: \[Natter\] .*add 'wasm-unsafe-eval' to script-src/);
      assert.equal(failure.errors.length, 1, failure.errors.join('\n'));
      assert.match(failure.errors[0], /'wasm-unsafe-eval'/);
      assert.deepEqual(failure.pageErrors, []);
      assert.deepEqual(failure.widget, { hosts: 0, launcher: false });
    } finally {
      await server.close();
    }
  });

  test('esbuild page whose wasm is missing (HTTP 404)', async () => {
    const dir = join(project, 'esbuild', 'dist');
    const [wasm] = readdirSync(dir).filter((name) => name.endsWith('.wasm'));
    const server = await serve({
      mounts: [['/', dir]],
      routes: { [`/${wasm}`]: (req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('not found') },
    });
    try {
      const failure = await initFailure(`${server.url}/index.html?mock`);
      assert.match(failure.status, new RegExp(`^init_load_failed: \\[Natter\\] could not load .*/${wasm}: HTTP 404`));
      assert.equal(failure.errors.length, 1, failure.errors.join('\n'));
      assert.deepEqual(failure.pageErrors, []);
      assert.deepEqual(failure.widget, { hosts: 0, launcher: false });
    } finally {
      await server.close();
    }
  });
});

describe('one widget when the CDN script and the npm package share a page', () => {
  let server;
  before(async () => {
    server = await serve({ mounts: [['/', project]] });
  });
  after(() => server?.close());

  test('CDN script first: the package uses its Natter and loads no second wasm', async () => {
    const { context, page, seen } = await openPage(browser, `${server.url}/plain/cdn-then-npm.html?mock`);
    try {
      await expectOneLauncher(page, assert);
      const wasmFetches = await page.evaluate(
        () => performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.wasm')).length,
      );
      assert.equal(wasmFetches, 1);
      assert.deepEqual(seen.pageErrors, []);
      assert.deepEqual(natterMessages(seen, 'error'), []);
    } finally {
      await context.close();
    }
  });

  test('package first: a later CDN script tag does nothing but say so', async () => {
    const { context, page, seen } = await openPage(browser, `${server.url}/plain/npm-then-cdn.html?mock`);
    try {
      await page.locator('body[data-cdn-script=ran]').waitFor({ state: 'attached' });
      await expectOneLauncher(page, assert);
      assert.deepEqual(natterMessages(seen, 'warning'), [
        `[Natter] a copy of the widget (${version}) is already on the page; this widget.js does nothing`,
      ]);
      assert.deepEqual(seen.pageErrors, []);
      assert.deepEqual(natterMessages(seen, 'error'), []);
    } finally {
      await context.close();
    }
  });
});

describe('one API: the package and the CDN global subscribe alike', () => {
  let server;
  before(async () => {
    server = await serve({ mounts: [['/', project]] });
  });
  after(() => server?.close());

  // consumers/events-scenario.js, in each form.
  const EXPECTED = {
    returned: ['function', 'function', 'function', 'function'],
    calls: ['once ready', 'once ready, after ready', 'on open', 'once open', 'on open', 'on ready, after init again', 'on open'],
  };
  for (const [form, path] of [
    ['npm named exports', '/plain/events.html'],
    ['window.Natter.on(...)', '/plain/events-cdn.html'],
    ["window.Natter('on', ...)", '/plain/events-cdn.html?form=call'],
  ]) {
    test(`on, once and their unsubscribe functions: ${form}`, async () => {
      const { context, page, seen } = await openPage(browser, `${server.url}${path}`);
      try {
        await page.locator('body[data-result]').waitFor({ state: 'attached' });
        assert.deepEqual(JSON.parse(await page.locator('body').getAttribute('data-result')), EXPECTED);
        assert.deepEqual(seen.pageErrors, []);
        assert.deepEqual(natterMessages(seen, 'error'), []);
        assert.deepEqual(natterMessages(seen, 'warning'), []);
      } finally {
        await context.close();
      }
    });
  }
});

describe('server-side rendering: Node imports the package without a browser', () => {
  const API = [
    'close',
    'endChat',
    'getState',
    'hideLauncher',
    'identify',
    'init',
    'off',
    'on',
    'once',
    'open',
    'sendMessage',
    'setLocale',
    'showLauncher',
    'shutdown',
    'toggle',
    'version',
  ];
  const expectSsrSafe = (result) => {
    assert.deepEqual(result.named, API);
    assert.deepEqual(result.defaultKeys, API);
    assert.equal(result.version, version);
    assert.equal(result.rejection.code, 'init_no_browser');
    assert.match(result.rejection.message, /^\[Natter\] init\(\) needs a browser/);
    assert.deepEqual(result.newGlobals, []);
  };

  test('ES module import', async () => {
    const { output } = await exec('node', ['node/esm.mjs'], { cwd: project });
    expectSsrSafe(JSON.parse(output));
  });

  test('CommonJS require, and the exports map subpaths', async () => {
    const { output } = await exec('node', ['node/cjs.cjs'], { cwd: project });
    const result = JSON.parse(output);
    expectSsrSafe(result);
    assert.deepEqual(result.paths, {
      'natter-widget': 'natter-widget/dist/index.cjs',
      'natter-widget/widget.js': 'natter-widget/dist/cdn/widget.js',
      'natter-widget/natter.wasm': 'natter-widget/dist/natter.wasm',
      'natter-widget/package.json': 'natter-widget/package.json',
    });
  });
});

describe('TypeScript: tsc --strict on consumer code', () => {
  const tsc = (args) =>
    exec(bin('tsc'), ['--strict', '--noEmit', ...args], { cwd: join(project, 'types'), allowFailure: true });
  const BUNDLER = ['--target', 'es2022', '--module', 'preserve', '--moduleResolution', 'bundler', '--lib', 'es2022,dom'];

  test('a file using every API type-checks (bundler resolution)', async () => {
    const { code, output } = await tsc([...BUNDLER, 'good.ts']);
    assert.equal(code, 0, output);
  });

  test("the exports map's import and require types resolve under Node's resolution", async () => {
    const { code, output } = await tsc(['--module', 'nodenext', '--lib', 'es2022,dom', 'node-esm.mts', 'node-cjs.cts']);
    assert.equal(code, 0, output);
  });

  test('misuse fails: misspelled event and handler, wrong field types, a missing appKey, internals', async () => {
    const { code, output } = await tsc([...BUNDLER, '--pretty', 'false', 'bad.ts']);
    assert.notEqual(code, 0);
    const errors = [...output.matchAll(/^bad\.ts\((\d+),\d+\): error (TS\d+): (.*)$/gm)].map(([, line, id, text]) => ({
      line: Number(line),
      id,
      text,
    }));
    const at = (line) => errors.filter((e) => e.line === line);
    assert.match(at(4)[0]?.text ?? '', /"mesage"/, output);
    assert.match(at(5)[0]?.text ?? '', /string.*not assignable to type 'number'/, output);
    assert.match(at(6)[0]?.text ?? '', /"middle".*not assignable to type 'Position\b/, output);
    assert.match(at(7)[0]?.text ?? '', /appKey/, output);
    assert.match(at(8)[0]?.text ?? '', /Property 'body' does not exist on type 'ChatMessage'/, output);
    assert.match(at(9)[0]?.text ?? '', /Property 'call' does not exist/, output);
    assert.match(at(10)[0]?.text ?? '', /'onMesage' does not exist in type 'InitConfig'/, output);
    assert.match(at(11)[0]?.text ?? '', /"opne"/, output);
    assert.equal(errors.length, 8, output);
  });
});
