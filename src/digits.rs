//! Numbers as text without `core::fmt`: `format!` and `to_string` on
//! integers bring the whole formatting machinery into the wasm (with its
//! call sites, about 2 KiB brotli) for a handful of numbers. Strings are
//! joined with `[..].concat()`.
//!
//! Pure logic, unit-tested natively.

/// `n` in decimal: `-42`.
pub fn int(n: i64) -> String {
    let digits = padded(n.unsigned_abs(), 10, 1);
    if n < 0 {
        ["-", &digits].concat()
    } else {
        digits
    }
}

/// `n` in `base` (10 or 16), with leading zeros up to `width` digits.
pub fn padded(mut n: u64, base: u64, width: usize) -> String {
    // Digits as one-byte `str` slices, inserted in front: no `char`
    // encoding, no reversing.
    const DIGITS: &str = "0123456789abcdef";
    let mut out = String::new();
    while n > 0 || out.len() < width {
        let digit = (n % base) as usize;
        out.insert_str(0, &DIGITS[digit..=digit]);
        n /= base;
    }
    out
}

/// `n` pixels, for CSS: `24px`.
pub fn px(n: i64) -> String {
    [&int(n), "px"].concat()
}

/// Digits in `base` (10 or 16, either case) as a number of type `T`: no
/// sign, no spaces, `None` when empty or too large for `T`. `str::parse`
/// would bring core's generic integer parsers, one per integer type.
pub fn parse<T: TryFrom<u64>>(s: &str, base: u64) -> Option<T> {
    T::try_from(parse_u64(s, base)?).ok()
}

/// The digit loop of [`parse`], not generic: one copy in the wasm.
fn parse_u64(s: &str, base: u64) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.bytes().try_fold(0u64, |n, b| {
        let digit = char::from(b).to_digit(base as u32)?;
        n.checked_mul(base)?.checked_add(u64::from(digit))
    })
}

/// A decimal integer with an optional sign: `-12`, `+7`.
pub fn parse_int(s: &str) -> Option<i64> {
    match s.strip_prefix('-') {
        Some(digits) => 0i64.checked_sub_unsigned(parse(digits, 10)?),
        None => parse(s.strip_prefix('+').unwrap_or(s), 10),
    }
}

/// A decimal number as text (`-12`, `400.5`, `.5`, `99999999999999999999`),
/// rounded to a whole number as `f64::round` rounds a number from `init()`
/// (halves away from zero) and saturated at the ends of `i64`, so that a
/// caller's clamp treats it like that number. No exponents: float parsing
/// would add about 13 KB of tables to the wasm.
pub fn parse_number(s: &str) -> Option<i64> {
    let (negative, unsigned) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (whole, fraction) = match unsigned.bytes().position(|b| b == b'.') {
        Some(dot) => (&unsigned[..dot], &unsigned[dot + 1..]),
        None => (unsigned, ""),
    };
    if whole.is_empty() && fraction.is_empty() || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut magnitude = whole.bytes().fold(0u64, |n, b| n.saturating_mul(10).saturating_add(u64::from(b - b'0')));
    if fraction.as_bytes().first().is_some_and(|&b| b >= b'5') {
        magnitude = magnitude.saturating_add(1);
    }
    let magnitude = i64::try_from(magnitude).unwrap_or(i64::MAX);
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        for n in [0, 7, -7, 10, 99, 100, 2_147_483_000, i64::MAX, i64::MIN] {
            assert_eq!(int(n), n.to_string());
        }
        assert_eq!(padded(9, 10, 2), "09");
        assert_eq!(padded(123, 10, 2), "123");
        assert_eq!(padded(0, 10, 2), "00");
        assert_eq!(padded(0xbeef, 16, 8), "0000beef");
        assert_eq!(padded(u64::from(u32::MAX), 16, 8), "ffffffff");
        assert_eq!(px(-3), "-3px");
    }

    #[test]
    fn parsing() {
        assert_eq!(parse::<u64>("0", 10), Some(0));
        assert_eq!(parse::<u8>("255", 10), Some(255));
        assert_eq!(parse::<u8>("256", 10), None);
        assert_eq!(parse::<u8>("fF", 16), Some(255));
        assert_eq!(parse::<u64>("", 10), None);
        assert_eq!(parse::<u64>("1a", 10), None);
        assert_eq!(parse::<u64>(" 1", 10), None);
        assert_eq!(parse::<u64>("99999999999999999999", 10), None);
        assert_eq!(parse_int("-12"), Some(-12));
        assert_eq!(parse_int("+7"), Some(7));
        assert_eq!(parse_int("-"), None);
        assert_eq!(parse_int("9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int("9223372036854775808"), None);
    }

    #[test]
    fn numbers_round_and_saturate_like_numbers_from_init() {
        for (text, n) in [
            ("0", 0),
            ("400", 400),
            ("+7", 7),
            ("-12", -12),
            ("400.5", 401),
            ("400.49", 400),
            ("-2.5", -3),
            (".5", 1),
            ("5.", 5),
            ("0.0001", 0),
            ("99999999999999999999", i64::MAX),
            ("-99999999999999999999.9", -i64::MAX),
        ] {
            assert_eq!(parse_number(text), Some(n), "{text}");
            let f: f64 = text.parse().expect("a number");
            assert_eq!(f.round().clamp(-1e15, 1e15), (n as f64).clamp(-1e15, 1e15), "{text} as f64");
        }
        for bad in ["", ".", "-", "+", "1e3", "1.2.3", " 1", "1 ", "0x10", "12px", "--1", "+-1", "∞", "NaN"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }
}
