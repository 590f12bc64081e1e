//! Message text: what may be sent, and how received text splits into plain
//! runs and links. Text is only ever rendered as text nodes; links are
//! created as elements with a checked `href`.
//!
//! Pure logic, unit-tested natively.

use crate::protocol::MAX_TEXT_CHARS;

/// Why a message cannot be sent as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    TooLong,
}

/// The text to send (trimmed at the ends), or why not.
pub fn outgoing(text: &str) -> Result<&str, Refusal> {
    let text = text.trim();
    if text.is_empty() {
        Err(Refusal::Empty)
    } else if char_count(text) > MAX_TEXT_CHARS {
        Err(Refusal::TooLong)
    } else {
        Ok(text)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    Link(&'a str),
}

/// Splits text into plain runs and http(s) links. Trailing punctuation that
/// usually ends a sentence is left out of the link, and so is a closing
/// bracket that has no opening one inside the link.
pub fn segments(text: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = find_link_start(rest) {
        let tail = &rest[start..];
        let end = tail.find(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"').unwrap_or(tail.len());
        let link = trim_link(&tail[..end]);
        if link.len() <= "https://".len() {
            // A bare scheme is not a link: keep it as text and go on.
            let skip = start + link.len().max(1);
            out.push(Segment::Text(&rest[..skip]));
            rest = &rest[skip..];
            continue;
        }
        if start > 0 {
            out.push(Segment::Text(&rest[..start]));
        }
        out.push(Segment::Link(link));
        rest = &rest[start + link.len()..];
    }
    if !rest.is_empty() {
        out.push(Segment::Text(rest));
    }
    out
}

fn find_link_start(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    let http = find(&lower, "http://");
    let https = find(&lower, "https://");
    match (http, https) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn trim_link(mut link: &str) -> &str {
    // Byte loops: every character trimmed is ASCII, and a non-ASCII last
    // character ends in a byte that matches none of them (core's char
    // pattern searchers are much larger).
    loop {
        let bytes = link.as_bytes();
        let Some(&last) = bytes.last() else { return link };
        let count = |byte: u8| bytes.iter().filter(|&&b| b == byte).count();
        let unbalanced = |open: u8, close: u8| last == close && count(open) < count(close);
        if matches!(last, b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\'')
            || unbalanced(b'(', b')')
            || unbalanced(b'[', b']')
        {
            link = &link[..link.len() - 1];
        } else {
            return link;
        }
    }
}

/// What a link shows: its URL, with the bidirectional controls left out
/// (they can make `https://evil.example/moc.elgoog` read as another
/// address), and the host in its ASCII (punycode) form when it mixes Latin
/// letters with letters of another script, as in `аpple.com` with a
/// Cyrillic `а`. `to_ascii` is the browser's reading of the URL's host.
/// Hosts in one other script alone (`例子.中国`) are shown as they are.
pub fn link_label(url: &str, to_ascii: fn(&str) -> Option<String>) -> String {
    let shown: String = url.chars().filter(|&c| !is_bidi_control(c)).collect();
    let start = find(&shown, "://").map_or(0, |i| i + 3);
    let end = shown[start..].bytes().position(|b| matches!(b, b'/' | b'?' | b'#')).map_or(shown.len(), |i| start + i);
    let host = &shown[start..end];
    let latin = host.chars().any(|c| c.is_ascii_alphabetic() || ('\u{c0}'..'\u{250}').contains(&c));
    if !(latin && host.chars().any(|c| c >= '\u{250}')) {
        return shown;
    }
    match to_ascii(url) {
        Some(ascii) => [&shown[..start], &ascii, &shown[end..]].concat(),
        None => shown,
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Characters (Unicode scalar values) in `s`: the bytes that do not
/// continue a UTF-8 sequence. The same as `s.chars().count()`, in a few
/// bytes of wasm instead of core's vectorized counter.
pub fn char_count(s: &str) -> usize {
    s.bytes().filter(|b| b & 0xC0 != 0x80).count()
}

/// Where `needle` first occurs in `haystack`. A plain scan: `str::find`
/// with a string pattern brings the two-way searcher (about 1.6 KB of wasm),
/// which only pays off on texts far longer than a chat message or an icon.
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    haystack.as_bytes().windows(needle.len()).position(|window| window == needle.as_bytes())
}

/// JSON text from `JSON.stringify` with its lone surrogates replaced by
/// U+FFFD. `JSON.stringify` writes a lone surrogate as a `\udXXX` escape
/// (and a pair as the character itself), which strict parsers, the
/// server's among them, refuse: one in `extra` would fail every handshake.
/// A `\\` escape is stepped over whole, so `\\ud800` stays text.
pub fn without_lone_surrogates(json: &str) -> String {
    let bytes = json.as_bytes();
    let mut out = String::with_capacity(json.len());
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        let at = |k: usize| bytes.get(i + k).map_or(0, |b| b | 0x20);
        if at(1) == b'u' && at(2) == b'd' && matches!(at(3), b'8' | b'9' | b'a'..=b'f') && i + 6 <= bytes.len() {
            out.push_str(json.get(start..i).unwrap_or_default());
            out.push_str("\\ufffd");
            start = i + 6;
        }
        i += 2;
    }
    out.push_str(json.get(start..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::Segment::{Link, Text};
    use super::*;

    #[test]
    fn links_show_mixed_script_hosts_in_ascii_and_no_bidi_controls() {
        // The browser's URL parser, for the hosts used here.
        fn to_ascii(url: &str) -> Option<String> {
            let host = if find(url, "аpple").is_some() { "xn--pple-43d.com" } else { "xn--ggle-55da.com" };
            Some(host.to_string())
        }
        let label = |url| link_label(url, to_ascii);
        assert_eq!(label("https://аpple.com/login"), "https://xn--pple-43d.com/login");
        assert_eq!(label("https://gооgle.com"), "https://xn--ggle-55da.com");
        for shown in ["https://example.com/a?b#c", "https://例子.中国/路径", "https://пример.рф", "http://münchen.de/ü"]
        {
            assert_eq!(label(shown), shown);
        }
        assert_eq!(label("https://evil.example/\u{202e}moc.elgoog"), "https://evil.example/moc.elgoog");
        assert_eq!(label("https://a.example/\u{2066}x\u{2069}\u{200f}"), "https://a.example/x");
    }

    #[test]
    fn lone_surrogates_in_json_text_become_replacement_characters() {
        let cases = [
            (r#"{"a":"x\ud800y"}"#, r#"{"a":"x\ufffdy"}"#),
            (r#"{"\uDFFF":"\udc00\ud83d"}"#, r#"{"\ufffd":"\ufffd\ufffd"}"#),
            // Escaped backslashes and other escapes stay as they are.
            (r#"{"a":"\\ud800","b":"\n\u001f\"","c":"\u00e9"}"#, r#"{"a":"\\ud800","b":"\n\u001f\"","c":"\u00e9"}"#),
            (r#"{"a":"😀é"}"#, r#"{"a":"😀é"}"#),
            ("", ""),
            // Cut short: kept, never a panic.
            (r"\ud80", r"\ud80"),
        ];
        for (json, expected) in cases {
            assert_eq!(without_lone_surrogates(json), expected, "{json}");
        }
    }

    #[test]
    fn char_count_counts_scalar_values() {
        for text in ["", "abc", "héllo", "你好", "a😀b", "\u{10ffff}"] {
            assert_eq!(char_count(text), text.chars().count());
        }
    }

    #[test]
    fn outgoing_trims_and_refuses() {
        assert_eq!(outgoing("  hi \n"), Ok("hi"));
        assert_eq!(outgoing(" \n\t "), Err(Refusal::Empty));
        assert_eq!(outgoing(&"é".repeat(MAX_TEXT_CHARS)), Ok("é".repeat(MAX_TEXT_CHARS).as_str()));
        assert_eq!(outgoing(&"x".repeat(MAX_TEXT_CHARS + 1)), Err(Refusal::TooLong));
    }

    #[test]
    fn finds_links_and_leaves_the_rest_as_text() {
        assert_eq!(
            segments("see https://example.com/a?b=1, or (http://x.org/y)."),
            vec![Text("see "), Link("https://example.com/a?b=1"), Text(", or ("), Link("http://x.org/y"), Text(")."),]
        );
        assert_eq!(segments("no links here"), vec![Text("no links here")]);
        assert_eq!(
            segments("https://en.wikipedia.org/wiki/Rust_(language)"),
            vec![Link("https://en.wikipedia.org/wiki/Rust_(language)")]
        );
    }

    #[test]
    fn trims_sentence_punctuation_and_unbalanced_brackets() {
        assert_eq!(trim_link("https://x.org/a)."), "https://x.org/a");
        assert_eq!(trim_link("https://x.org/(a)]"), "https://x.org/(a)");
        assert_eq!(trim_link("https://x.org/[a]!?"), "https://x.org/[a]");
        assert_eq!(trim_link("https://x.org/é"), "https://x.org/é");
        assert_eq!(trim_link("https://x.org/你."), "https://x.org/你");
        assert_eq!(trim_link("'.,"), "");
    }

    #[test]
    fn other_schemes_and_markup_stay_text() {
        assert_eq!(segments("javascript:alert(1)"), vec![Text("javascript:alert(1)")]);
        assert_eq!(
            segments("<a href=\"https://evil.com\">x</a>"),
            vec![Text("<a href=\""), Link("https://evil.com"), Text("\">x</a>")]
        );
        assert_eq!(segments("https:// alone"), vec![Text("https://"), Text(" alone")]);
    }
}
