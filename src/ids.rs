//! Random identifiers. The browser's `crypto.getRandomValues` is used rather
//! than the `uuid` crate with `getrandom`: same result, fewer wasm bytes, and
//! unlike `crypto.randomUUID` it also works on plain-http pages.

/// A random (version 4) UUID, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
pub fn uuid() -> String {
    let mut bytes = [0u8; 16];
    let filled = crate::js::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        // No Web Crypto (very old or unusual environments): Math.random is
        // enough for a client message id, which only needs to be unique.
        for b in bytes.iter_mut() {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    format_v4(bytes)
}

pub fn format_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const HEX: &str = "0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        // Two one-byte slices: no String per byte as `padded` would make.
        for digit in [usize::from(b >> 4), usize::from(b & 15)] {
            out.push_str(&HEX[digit..=digit]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_a_version_4_uuid() {
        let id = super::format_v4([0xff; 16]);
        assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(super::format_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
    }
}
