// Fetching and compiling the wasm, with messages that say what to fix.

/** Starts fetching and compiling at once; streaming compile runs off the main thread. */
export async function compileWasm(url) {
  let response;
  try {
    response = await fetch(url, { credentials: 'same-origin' });
  } catch (err) {
    throw new Error(`could not fetch ${url} (${err.message}); check the network and the page's connect-src`);
  }
  if (!response.ok) {
    throw new Error(`could not load ${url}: HTTP ${response.status}; is the whole CDN folder deployed?`);
  }
  try {
    const type = response.headers.get('content-type') || '';
    if (type.split(';')[0].trim() === 'application/wasm') {
      return await WebAssembly.compileStreaming(response);
    }
    console.warn(`[Natter] ${url} is served as "${type}", not application/wasm: compiling it the slow way. Fix the server's MIME type.`);
    return await WebAssembly.compile(await response.arrayBuffer());
  } catch (err) {
    throw explainCompileError(err);
  }
}

function explainCompileError(err) {
  const message = String(err && err.message);
  if (/unsafe-eval|wasm-eval|Content.Security.Policy/i.test(message)) {
    return new Error(
      "the page's Content-Security-Policy blocks WebAssembly: add 'wasm-unsafe-eval' to script-src",
    );
  }
  return new Error('could not compile the widget: ' + message);
}
