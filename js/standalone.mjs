// standalone.html's script: turns the link's query string into init().
// `.mjs` so `npm run size` leaves it out: an embedding page never loads it.
// Whichever of this and widget.js runs first, the call reaches the widget:
// the snippet stub queues it until widget.js has loaded.
const link = new URLSearchParams(location.search);
const config = { defaultOpen: true };
// Short keys from the seed's link format, then long ones. `apiBase` is not
// read from the link on purpose: a crafted link could otherwise send the
// visitor's messages to another server; the default is this page's origin.
const FIELDS = { k: 'appKey', u: 'externalUserId', nick: 'nickname' };
for (const name of ['appKey', 'externalUserId', 'nickname', 'locale', 'theme', 'primaryColor', ...Object.keys(FIELDS)]) {
  const value = link.get(name);
  if (value) config[FIELDS[name] || name] = value;
}
// The link itself goes to the server, which checks its signature and TTL
// (and skips the origin allowlist for link entries).
config.link = Object.fromEntries(['u', 'nick', 't', 's'].filter((key) => link.has(key)).map((key) => [key, link.get(key)]));
window.Natter =
  window.Natter ||
  function () {
    (window.Natter.q = window.Natter.q || []).push(arguments);
  };
window.Natter('init', config);
