//! The widget's stylesheet. It is adopted by the shadow root as a
//! constructable stylesheet: no `<style>` element and no `style=` attribute,
//! both of which a strict Content-Security-Policy blocks.
//!
//! Values that come from configuration are CSS custom properties set on the
//! host element through CSSOM (`--nt-*`, see `ui::Ui::apply_look`), so this
//! text never contains page input. Hosts restyle through `::part()`.

pub const CSS: &str = r#"
:host{all:initial!important;display:block!important;position:fixed!important;inset:auto!important;width:0!important;height:0!important;margin:0!important;padding:0!important;border:0!important;transform:none!important;visibility:visible!important;opacity:1!important;z-index:var(--nt-z,2147483000)!important}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
.root{--nt-ring:var(--nt-ring-light);--nt-bg:#fff;--nt-surface:#f3f4f6;--nt-fg:#111827;--nt-muted:#4b5563;--nt-line:#e5e7eb;--nt-danger:#b91c1c;
position:fixed;z-index:var(--nt-z,2147483000);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Microsoft YaHei",sans-serif;color:var(--nt-fg);-webkit-font-smoothing:antialiased;text-align:left;letter-spacing:normal;word-spacing:normal;text-transform:none;direction:ltr;color-scheme:light}
.root.dark{--nt-ring:#93c5fd;--nt-bg:#111827;--nt-surface:#1f2937;--nt-fg:#f9fafb;--nt-muted:#d1d5db;--nt-line:#374151;--nt-danger:#fca5a5;color-scheme:dark}
@media (prefers-color-scheme:dark){.root.auto{--nt-ring:#93c5fd;--nt-bg:#111827;--nt-surface:#1f2937;--nt-fg:#f9fafb;--nt-muted:#d1d5db;--nt-line:#374151;--nt-danger:#fca5a5;color-scheme:dark}}
.br{right:var(--nt-ox);bottom:var(--nt-oy)}
.bl{left:var(--nt-ox);bottom:var(--nt-oy)}
.tr{right:var(--nt-ox);top:var(--nt-oy)}
.tl{left:var(--nt-ox);top:var(--nt-oy)}
button,textarea{font:inherit;color:inherit;margin:0}
button{cursor:pointer}
:focus-visible{outline:3px solid var(--nt-ring);outline-offset:2px}
.header :focus-visible{outline-color:var(--nt-on-primary)}
.launcher{position:relative;display:flex;align-items:center;justify-content:center;gap:8px;min-width:var(--nt-bs);height:var(--nt-bs);padding:0;border:0;border-radius:calc(var(--nt-bs)/2);background:linear-gradient(135deg,var(--nt-primary),var(--nt-accent));color:var(--nt-on-primary);box-shadow:0 6px 20px rgb(0 0 0/.22);transition:transform .15s ease}
.pill .launcher{padding:0 calc(var(--nt-bs)/3);font-weight:600}
.launcher:hover{transform:scale(1.05)}
.launcher svg,.launcher img{width:calc(var(--nt-bs)/2);height:calc(var(--nt-bs)/2);fill:currentColor;flex:none}
.launcher img{object-fit:contain}
.badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;background:#b91c1c;color:#fff;font-size:12px;font-weight:700;line-height:20px;text-align:center}
.panel{position:absolute;display:flex;flex-direction:column;width:var(--nt-pw);height:var(--nt-ph);max-width:calc(100vw - 2*var(--nt-ox));max-height:calc(100vh - var(--nt-bs) - 2*var(--nt-oy) - 16px);background:var(--nt-bg);border-radius:var(--nt-pr);box-shadow:0 12px 48px rgb(0 0 0/.24);overflow:hidden;isolation:isolate}
.panel.bg::before{content:"";position:absolute;inset:0;z-index:-1;background:var(--nt-bg-image) center/cover no-repeat;opacity:.18}
.br .panel,.tr .panel{right:0}
.bl .panel,.tl .panel{left:0}
.br .panel,.bl .panel{bottom:calc(var(--nt-bs) + 16px)}
.tr .panel,.tl .panel{top:calc(var(--nt-bs) + 16px)}
.header{display:flex;align-items:center;gap:12px;padding:14px 12px 14px 18px;background:var(--nt-header-bg,linear-gradient(135deg,var(--nt-primary),var(--nt-accent)));color:var(--nt-on-primary)}
.heading{flex:1;min-width:0}
.title{margin:0;font-size:16px;font-weight:600;line-height:1.3;overflow-wrap:anywhere}
.subtitle{margin:2px 0 0;font-size:12.5px;line-height:1.35;opacity:.92;display:flex;align-items:center;gap:6px}
.dot{width:8px;height:8px;border-radius:50%;background:#22c55e;box-shadow:0 0 0 2px rgb(255 255 255/.6);flex:none}
.off .dot{background:#9ca3af}
.close{display:grid;place-items:center;width:36px;height:36px;padding:0;border:0;border-radius:8px;background:transparent;color:inherit;flex:none}
.close:hover{background:rgb(127 127 127/.2)}
.close svg{width:20px;height:20px;fill:currentColor}
.banner{padding:8px 16px;background:var(--nt-surface);color:var(--nt-fg);font-size:12.5px;border-bottom:1px solid var(--nt-line)}
.messages{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:16px;display:flex;flex-direction:column;gap:10px}
.greeting{align-self:center;max-width:90%;padding:8px 12px;border-radius:12px;background:var(--nt-surface);color:var(--nt-fg);font-size:13px;text-align:center;white-space:pre-wrap;overflow-wrap:anywhere}
.msg{display:flex;gap:8px;max-width:85%;align-items:flex-end}
.msg.visitor{align-self:flex-end;flex-direction:row-reverse}
.msg.system{align-self:center;max-width:90%}
.avatar{display:grid;place-items:center;width:28px;height:28px;border-radius:50%;background:var(--nt-primary);color:var(--nt-on-primary);font-size:12px;font-weight:700;flex:none;overflow:hidden}
.stack{display:flex;flex-direction:column;min-width:0}
.visitor .stack{align-items:flex-end}
.bubble{padding:8px 12px;border-radius:16px;background:var(--nt-surface);color:var(--nt-fg);white-space:pre-wrap;overflow-wrap:anywhere}
.visitor .bubble{background:var(--nt-primary);color:var(--nt-on-primary);border-bottom-right-radius:4px}
.agent .bubble{border-bottom-left-radius:4px}
.system .bubble{background:transparent;color:var(--nt-muted);font-size:12.5px;text-align:center}
.bubble a{color:inherit;text-decoration:underline}
.pending .bubble{opacity:.7}
.failed .bubble{outline:1px solid var(--nt-danger)}
.meta{margin-top:3px;font-size:11.5px;color:var(--nt-muted);display:flex;gap:6px;align-items:center}
.failed .meta{color:var(--nt-danger)}
.retry{padding:0 2px;border:0;background:none;color:inherit;font-size:inherit;font-weight:600;text-decoration:underline}
.messages{overflow-anchor:none}
.typing{padding:0 16px 6px;font-size:12.5px;color:var(--nt-muted)}
.composer{display:flex;gap:8px;align-items:flex-end;padding:10px 12px 12px;border-top:1px solid var(--nt-line);background:var(--nt-bg)}
.input{flex:1;min-height:40px;max-height:120px;padding:9px 12px;border:1px solid var(--nt-line);border-radius:12px;background:var(--nt-bg);color:var(--nt-fg);resize:none;line-height:1.4;overflow-y:auto}
.input::placeholder{color:var(--nt-muted);opacity:1}
.send{display:grid;place-items:center;width:40px;height:40px;padding:0;border:0;border-radius:12px;background:var(--nt-primary);color:var(--nt-on-primary);flex:none}
.send svg{width:20px;height:20px;fill:currentColor}
.hint{margin:0;padding:0 16px 8px;font-size:12.5px;color:var(--nt-danger)}
@media (max-width:480px){
.panel{position:fixed;left:0;right:0;top:var(--nt-vvt,0);bottom:auto;width:100vw;height:var(--nt-vvh,100dvh);max-width:none;max-height:none;border-radius:0}
.launcher[aria-expanded=true]{display:none}
}
@media (prefers-reduced-motion:reduce){.launcher{transition:none}.launcher:hover{transform:none}}
"#;
