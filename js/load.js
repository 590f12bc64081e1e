// Fetching and compiling the wasm, with messages that say what to fix.
// Every failure becomes an Error whose message is one `[Natter]` console
// line: what went wrong, with which URL, and the fix.

/** Starts fetching and compiling at once; streaming compile runs off the main thread. */
export async function compileWasm(url) {
  let response;
  try {
    response = await fetch(url, { credentials: 'same-origin' });
  } catch (err) {
    throw await corsBlocked(url, new Error(`could not fetch ${url} (${err.message}); check the network and the page's connect-src`));
  }
  if (!response.ok) {
    throw new Error(`could not load ${url}: HTTP ${response.status}; is the whole CDN folder deployed?`);
  }
  const type = (response.headers.get('content-type') || 'no content type').split(';')[0].trim();
  if (type === 'application/wasm') return explained(WebAssembly.compileStreaming(response));
  const bytes = new Uint8Array(await response.arrayBuffer());
  // "\0asm": anything else is usually an HTML fallback page served for a
  // file that is not there.
  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error(`${url} is not WebAssembly (served as ${type}): the server sent another file, often an HTML fallback page; deploy the whole CDN folder`);
  }
  console.error(`[Natter] ${url} is served as ${type}: serve .wasm files as application/wasm (the widget still starts, but compiles more slowly)`);
  return compileWasmBytes(bytes);
}

/**
 * `err`, or the CORS error it really is: a file on another origin that fails
 * in CORS mode but loads in no-cors mode passed the network and the CSP
 * (both apply to either mode) and lacks only Access-Control-Allow-Origin.
 */
export async function corsBlocked(url, err) {
  const { origin } = new URL(url);
  return origin === location.origin
    ? err
    : fetch(url).then(
        () => err,
        () =>
          fetch(url, { mode: 'no-cors' }).then(
            () => new Error(`${url} is blocked by CORS: ${origin} must send the header Access-Control-Allow-Origin`),
            () => err,
          ),
      );
}

/** Compiles wasm bytes already in memory (the CommonJS build inlines them). */
export const compileWasmBytes = (bytes) => explained(WebAssembly.compile(bytes));

function explained(compiling) {
  return compiling.catch((err) => {
    const message = String(err && err.message);
    throw new Error(
      /unsafe-eval|wasm-eval|Content.Security.Policy/i.test(message)
        ? "the page's Content-Security-Policy blocks WebAssembly: add 'wasm-unsafe-eval' to script-src"
        : 'could not compile the widget: ' + message,
    );
  });
}
