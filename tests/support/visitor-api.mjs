// The visitor REST API called from a page of the server's own origin (the
// demo site allows it), for tests that act as a visitor without a widget.

/**
 * Gives `page` `window.__visitorApi(method, path, token, body)`: a JSON
 * request with the token as a bearer, resolving with the answer's JSON and
 * rejecting with the path, status and body of any answer that is not ok.
 */
export function installVisitorApi(page) {
  return page.evaluate(() => {
    window.__visitorApi = async (method, path, token, body) => {
      const headers = { 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await fetch(path, { method, headers, body: body && JSON.stringify(body) });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
  });
}
