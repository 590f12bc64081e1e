// A site with forms for the end-to-end tests (docs/protocol.md section 16).
//
// The demo site (a server started without `--config`) already has an
// `offline` form and a `refund` ticket form, but no `preChat` form, so tests
// that send without a form keep working. A test that needs the pre-chat
// form, or the site outside its hours (availability `offline`, where the
// widget shows the offline form), starts its server with this config:
//
//   import { formsSiteArgs } from '../support/forms-site.mjs';
//   const forms = formsSiteArgs({ closed: true });
//   const site = await startSite(forms.args, { bot: 'off' });  // or withSite(browser, forms.args, fn)
//   ...
//   forms.remove();  // after the server has stopped
//
// The site is `sk_demo` for pages on any `http://127.0.0.1:*` origin, with
// the agent `Ada` (token `AGENT_TOKEN`), a `preChat` form asking for a name
// and an email (both required; a visitor whose `identify` gave both is not
// asked), and the demo site's forms (`FORMS_TOML`): `offline` asks for an
// email and a message (both required), `refund` for an order number
// (required, at most 32 characters), a reason (select, required: `damaged`,
// `late`, `other`), details (textarea) and a receipt checkbox.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_TOKEN } from './natter-server.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

const PRE_CHAT = `
[sites.forms.preChat]
title = { en-US = "Before we start", zh-CN = "开始之前" }
[[sites.forms.preChat.fields]]
name = "name"
type = "text"
label = { en-US = "Name", zh-CN = "姓名" }
required = true
[[sites.forms.preChat.fields]]
name = "email"
type = "email"
label = { en-US = "Email", zh-CN = "邮箱" }
required = true
`;

/**
 * The demo site's `offline` and `refund` forms (examples/server/src/demo-forms.toml),
 * as `[sites.forms]` tables of a config file.
 */
export const FORMS_TOML = readFileSync(join(root, 'examples', 'server', 'src', 'demo-forms.toml'), 'utf8').replace(
  /^(\[\[?)/gm,
  '$1sites.forms.',
);

/**
 * Writes the forms site's config to a temporary directory. `preChat`
 * (default true) adds the pre-chat form; `closed` (default false) gives
 * the site business hours that are never open, so its availability is
 * `offline`. Returns `{ path, args, remove }`: `args` are the server flags
 * (`--config <path>`), `remove()` deletes the directory.
 */
export function formsSiteArgs({ preChat = true, closed = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'natter-forms-'));
  const path = join(dir, 'sites.toml');
  const hours = closed ? '\n[sites.hours]\ntime_zone = "UTC"\n' : '';
  writeFileSync(
    path,
    `[limits]
handshake_per_minute = 1000

[[sites]]
app_key = "sk_demo"
allowed_origins = ["http://127.0.0.1:*"]

[sites.remote]
locale = "en-US"
greeting = "Hi! Ask us anything."
${hours}
[[sites.agents]]
name = "Ada"
token = "${AGENT_TOKEN}"
${preChat ? PRE_CHAT : ''}${FORMS_TOML}`,
  );
  return { path, args: ['--config', path], remove: () => rmSync(dir, { recursive: true, force: true }) };
}
