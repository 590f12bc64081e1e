//! The widget's stylesheet. It is adopted by the shadow root as a
//! constructable stylesheet: no `<style>` element and no `style=` attribute,
//! both of which a strict Content-Security-Policy blocks.
//!
//! Values that come from configuration are CSS custom properties set on the
//! host element through CSSOM, so this text never contains page input.

pub const CSS: &str = r#"
:host{all:initial!important;display:block!important;position:fixed!important;inset:auto!important;width:0!important;height:0!important;z-index:var(--nt-z,2147483000)!important}
*,*::before,*::after{box-sizing:border-box}
.root{--nt-primary:#4338ca;--nt-on-primary:#fff;--nt-bg:#fff;--nt-fg:#111827;--nt-muted:#6b7280;--nt-line:#e5e7eb;
position:fixed;z-index:var(--nt-z,2147483000);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Microsoft YaHei",sans-serif;color:var(--nt-fg);-webkit-font-smoothing:antialiased;text-align:left}
.root.br{right:var(--nt-ox,24px);bottom:var(--nt-oy,24px)}
.root.bl{left:var(--nt-ox,24px);bottom:var(--nt-oy,24px)}
.root.tr{right:var(--nt-ox,24px);top:var(--nt-oy,24px)}
.root.tl{left:var(--nt-ox,24px);top:var(--nt-oy,24px)}
button{font:inherit;color:inherit;margin:0;cursor:pointer}
.launcher{display:grid;place-items:center;width:56px;height:56px;padding:0;border:0;border-radius:50%;background:var(--nt-primary);color:var(--nt-on-primary);box-shadow:0 6px 20px rgb(0 0 0/.22);transition:transform .15s ease}
.launcher:hover{transform:scale(1.05)}
.launcher:focus-visible,.close:focus-visible{outline:3px solid var(--nt-primary);outline-offset:3px}
.launcher svg{width:28px;height:28px;fill:currentColor}
.panel{position:absolute;display:flex;flex-direction:column;width:380px;height:580px;max-width:calc(100vw - 32px);max-height:calc(100vh - 112px);background:var(--nt-bg);border-radius:16px;box-shadow:0 12px 48px rgb(0 0 0/.24);overflow:hidden}
.panel[hidden]{display:none}
.br .panel,.tr .panel{right:0}
.bl .panel,.tl .panel{left:0}
.br .panel,.bl .panel{bottom:72px}
.tr .panel,.tl .panel{top:72px}
.header{display:flex;align-items:center;gap:12px;padding:16px 16px 16px 20px;background:var(--nt-primary);color:var(--nt-on-primary)}
.title{flex:1;margin:0;font-size:16px;font-weight:600}
.close{display:grid;place-items:center;width:32px;height:32px;padding:0;border:0;border-radius:8px;background:transparent;color:inherit}
.close:hover{background:rgb(255 255 255/.16)}
.close svg{width:20px;height:20px;fill:currentColor}
.body{flex:1;overflow:auto;padding:16px}
@media (prefers-reduced-motion:reduce){.launcher{transition:none}}
"#;
