// The page-side helpers of the widget, one module for all of them (an
// unbundled ESM import then loads one file, not one per helper). Each is
// here because the browser does it in fewer bytes of glue than Rust
// bindings would; the Rust module named above each says why. Each is
// tested on its own in a browser: tests/unit/host.test.mjs.

// --- crate::js
export function page_window() { return typeof window == 'object' ? window : undefined; }
export function time_zone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone; } catch {}
}

// --- crate::ids
export function uuid() {
  const bytes = new Uint8Array(16);
  try { crypto.getRandomValues(bytes); } catch { bytes.forEach((_, i) => { bytes[i] = Math.random() * 256; }); }
  bytes[6] = (bytes[6] & 15) | 64;
  bytes[8] = (bytes[8] & 63) | 128;
  let id = '';
  bytes.forEach((byte, i) => { id += (i == 4 || i == 6 || i == 8 || i == 10 ? '-' : '') + (byte + 256).toString(16).slice(1); });
  return id;
}

// --- crate::storage
let memory;
function fallback() {
  if (!memory) {
    memory = {};
    console.warn('[Natter] localStorage is not available; keeping state in memory for this page only');
  }
  return memory;
}
export function storage_get(key) {
  try { return localStorage.getItem(key); } catch { return fallback()[key]; }
}
export function storage_set(key, value) {
  try { localStorage.setItem(key, value); } catch { fallback()[key] = value; }
}
export function storage_remove(key) {
  try { localStorage.removeItem(key); } catch {}
  if (memory) delete memory[key];
}

// --- crate::fingerprint
// The offset, not the zone's name: fingerprints stay what they were.
function utc_offset() {
  const minutes = -new Date().getTimezoneOffset(), abs = Math.abs(minutes);
  const two = (n) => String(n).padStart(2, '0');
  return 'UTC' + (minutes < 0 ? '-' : '+') + two(Math.floor(abs / 60)) + ':' + two(abs % 60);
}
export function signals() {
  const mark = 'natter:fingerprint', nav = navigator, screen = window.screen, text = 'Natter mmmWWlli 0123 &%@';
  performance.mark(mark + ':start');
  const parts = [nav.userAgent, (nav.languages || []).join(',')];
  if (screen) parts.push(screen.width | 0, screen.height | 0, screen.colorDepth | 0);
  parts.push(utc_offset());
  try {
    const canvas = document.createElement('canvas');
    canvas.width = 220;
    canvas.height = 30;
    const ctx = canvas.getContext('2d');
    if (ctx) {
      ctx.textBaseline = 'top';
      ctx.font = '16px sans-serif';
      ctx.fillStyle = '#f60';
      ctx.fillRect(100, 1, 62, 20);
      ctx.fillStyle = '#069';
      ctx.fillText(text, 2, 4);
      parts.push(canvas.toDataURL());
      for (const font of ['Arial', 'Helvetica Neue', 'Segoe UI', 'Roboto', 'Noto Sans CJK SC', 'PingFang SC', 'Ubuntu']) {
        ctx.font = '16px "' + font + '", monospace';
        parts.push(Math.round(ctx.measureText(text).width * 100));
      }
    }
  } catch {}
  performance.measure(mark, mark + ':start');
  return parts.join('\x1f');
}

// --- crate::session::http
export function request(url, method, headers, body, reply, done) {
  Promise.resolve().then(() => fetch(url, { method, credentials: 'omit', headers, body: JSON.stringify(body) })).then(
    (r) => r.json().catch(() => null).then((json) => done({ reply, status: r.status, json, retryAfter: r.headers.get('Retry-After') })),
    () => done({ reply, status: 0 }),
  );
}

// --- crate::session::driver
export function open_socket(url, protocol, token_protocol, handler) {
  try {
    const ws = new WebSocket(url, [protocol, token_protocol]);
    ws.onopen = ws.onmessage = ws.onclose = handler;
    return ws;
  } catch {}
}
export function close_socket(ws) {
  ws.onopen = ws.onmessage = ws.onclose = null;
  try { ws.close(); } catch {}
}
export function send_json(ws, frame) { try { ws.send(JSON.stringify(frame)); } catch {} }
export function watch_network(handler, on) {
  const method = on ? 'addEventListener' : 'removeEventListener';
  try {
    window[method]('online', handler);
    window[method]('offline', handler);
  } catch {}
}
export function parse_frame(message) { try { return JSON.parse(message.data); } catch {} }

// --- crate::ui
// Pages that enforce Trusted Types (`require-trusted-types-for 'script'`)
// refuse plain strings in innerHTML. The widget's markup is its own
// constant skeleton, or icon markup of constants and escaped values
// (configured SVG is read in Rust and built element by element), so its
// `natter` policy passes markup through; only set_html uses it. Created
// once: a second policy of the same name may be refused.
let policy;
function trusted(markup) {
  policy = policy || (window.trustedTypes ? trustedTypes.createPolicy('natter', { createHTML: (s) => s }) : { createHTML: (s) => s });
  return policy.createHTML(markup);
}
export function set_html(element, outer, markup) { element[outer ? 'outerHTML' : 'innerHTML'] = trusted(markup); }

// --- crate::ui::messages
export function ascii_host(url) { try { return new URL(url).host; } catch {} }

// --- crate::widget (colors)
// CSS.supports says whether the browser takes the value as a color; a
// canvas then reads any color (names, hsl(), ...) back as #rrggbb or
// rgba(r, g, b, a), so contrast is checked for every color, not only hex.
let paint;
export function color_channels(value) {
  try {
    if (!CSS.supports('color', value)) return;
    paint = paint || document.createElement('canvas').getContext('2d');
    paint.fillStyle = '#000';
    paint.fillStyle = value;
    const resolved = paint.fillStyle;
    if (resolved[0] == '#') return parseInt(resolved.slice(1), 16);
    const [r, g, b] = resolved.match(/\d+/g);
    return (r << 16) | (g << 8) | b;
  } catch {}
}

// --- crate::widget::engage
// The chime: a tone stepping up a fifth under a short gain envelope. A
// script: through web-sys each node, parameter and method is an import.
// `audio` is the context of earlier chimes, created on the first (after the
// visitor's first click or key in the widget, so the browser lets it play).
export function chime(audio) {
  try {
    audio = audio || new AudioContext();
    const tone = audio.createOscillator(), gain = audio.createGain(), t = audio.currentTime, level = gain.gain;
    tone.frequency.setValueAtTime(660, t);
    tone.frequency.setValueAtTime(990, t + 0.1);
    level.setValueAtTime(0.2, t);
    level.exponentialRampToValueAtTime(0.001, t + 0.4);
    tone.connect(gain).connect(audio.destination);
    tone.start(t);
    tone.stop(t + 0.4);
  } catch {}
  return audio;
}
export function close_audio(audio) { try { audio.close().catch(() => {}); } catch {} }
// keepOpen's record, for this tab only: returns the item there was and
// puts `value` in its place (none: removes it). Where sessionStorage
// throws, nothing is kept.
export function session_swap(key, value) {
  try {
    const old = sessionStorage.getItem(key);
    value == null ? sessionStorage.removeItem(key) : sessionStorage.setItem(key, value);
    return old;
  } catch {}
}
