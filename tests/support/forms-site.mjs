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
// the agent `Ada` (token `AGENT_TOKEN`) and the forms of `FORMS_TOML`:
// `preChat` asks for a name and an email (both required; a visitor whose
// `identify` gave both is not asked), `offline` for an email and a message,
// `refund` for an order number (required, at most 12 characters), a reason
// (select: `damaged`, `late`), details (textarea) and a receipt checkbox
// (required).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_TOKEN } from './natter-server.mjs';

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

export const FORMS_TOML = `
[sites.forms.offline]
title = { en-US = "Leave us a message", zh-CN = "给我们留言" }
[[sites.forms.offline.fields]]
name = "email"
type = "email"
label = { en-US = "Email", zh-CN = "邮箱" }
required = true
[[sites.forms.offline.fields]]
name = "message"
type = "textarea"
label = { en-US = "Message", zh-CN = "留言" }
required = true

[sites.forms.tickets.refund]
title = { en-US = "Ask for a refund", zh-CN = "申请退款" }
[[sites.forms.tickets.refund.fields]]
name = "order"
type = "text"
label = { en-US = "Order number", zh-CN = "订单号" }
help = { en-US = "In your confirmation email", zh-CN = "见确认邮件" }
required = true
maxLength = 12
[[sites.forms.tickets.refund.fields]]
name = "reason"
type = "select"
label = { en-US = "Reason", zh-CN = "原因" }
required = true
options = [
  { value = "damaged", label = { en-US = "It arrived damaged", zh-CN = "商品损坏" } },
  { value = "late", label = { en-US = "It arrived late", zh-CN = "送达太晚" } },
]
[[sites.forms.tickets.refund.fields]]
name = "details"
type = "textarea"
label = { en-US = "Details", zh-CN = "详情" }
[[sites.forms.tickets.refund.fields]]
name = "receipt"
type = "checkbox"
label = { en-US = "I still have the receipt", zh-CN = "我保留了收据" }
required = true
`;

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
