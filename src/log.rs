//! Console output. Everything the widget says to the page's developer is
//! prefixed `[Natter]` so it is easy to find and filter.

pub fn error(message: &str) {
    web_sys::console::error_1(&["[Natter] ", message].concat().into());
}

pub fn warn(message: &str) {
    web_sys::console::warn_1(&["[Natter] ", message].concat().into());
}
