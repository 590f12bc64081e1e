//! `--static`: the widget's public files as a page on another origin loads
//! them (CORS, cache classes, content types, conditional and range
//! requests), and nothing outside the folder, whatever links it holds.

mod common;

use std::path::Path;

use common::{Server, TempDir};

const PAGE_ORIGIN: &str = "https://shop.example";

/// A CDN folder as the build writes it, plus a page that is not the widget's.
fn cdn_folder(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, body) in [
        ("widget.js", "/* loader */"),
        ("widget-0123456789.js", "export function initSync() {}"),
        ("standalone.html", "<!doctype html><title>chat</title>"),
        ("standalone.mjs", "import './widget-0123456789.js';"),
        ("manifest.json", "{\"version\":\"0.1.0\"}"),
        ("demo.html", "<!doctype html><title>demo</title>"),
    ] {
        std::fs::write(dir.join(name), body).unwrap();
    }
    std::fs::write(dir.join("widget-abcdef0123.wasm"), b"\0asm\x01\0\0\0").unwrap();
}

fn start(dir: &TempDir) -> Server {
    let cdn = dir.0.join("cdn");
    cdn_folder(&cdn);
    Server::start_in(&dir.0, &["--memory", "--static", "cdn"])
}

#[test]
fn the_widget_files_are_public_to_every_origin_with_their_cache_class() {
    let dir = TempDir::new();
    let server = start(&dir);
    let year = "public, max-age=31536000, immutable";
    let short = "public, max-age=300";
    for (path, content_type, cache) in [
        ("/widget.js", "text/javascript", short),
        ("/widget-0123456789.js", "text/javascript", year),
        ("/widget-abcdef0123.wasm", "application/wasm", year),
        ("/standalone.html", "text/html", short),
        ("/standalone.mjs", "text/javascript", short),
        ("/manifest.json", "application/json", short),
        ("/demo.html", "text/html", "no-cache"),
    ] {
        let r = server.request("GET", path, &[("Origin", PAGE_ORIGIN)], None);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{path}");
        assert_eq!(r.header("access-control-allow-credentials"), None, "{path}");
        assert_eq!(r.header("cross-origin-resource-policy"), Some("cross-origin"), "{path}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(r.header("content-type").and_then(|t| t.split(';').next()), Some(content_type), "{path}");
        assert_eq!(r.header("cache-control"), Some(cache), "{path}");
        assert!(r.header("etag").is_some() && r.header("last-modified").is_some(), "{path}");
    }
    // A missing file says 404 readably across origins, not as a CORS error.
    let missing = server.request("GET", "/widget-ffffffffff.wasm", &[("Origin", PAGE_ORIGIN)], None);
    assert_eq!((missing.status, missing.header("access-control-allow-origin")), (404, Some("*")));
    assert_eq!(missing.code(), "not_found");
}

#[test]
fn head_conditional_and_range_requests_work() {
    let dir = TempDir::new();
    let server = start(&dir);
    let wasm = "/widget-abcdef0123.wasm";
    let full = server.request("GET", wasm, &[], None);
    let etag = full.header("etag").unwrap().to_string();
    let modified = full.header("last-modified").unwrap().to_string();

    let head = server.request("HEAD", wasm, &[], None);
    assert_eq!((head.status, head.header("content-length"), head.body.as_str()), (200, Some("8"), ""));
    assert_eq!(head.header("etag"), Some(etag.as_str()));

    let by_tag = server.request("GET", wasm, &[("If-None-Match", &etag)], None);
    assert_eq!((by_tag.status, by_tag.body.as_str()), (304, ""));
    assert_eq!(by_tag.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert_eq!(by_tag.header("access-control-allow-origin"), Some("*"));
    assert_eq!(server.request("GET", wasm, &[("If-Modified-Since", &modified)], None).status, 304);
    assert_eq!(server.request("GET", wasm, &[("If-None-Match", "\"other\"")], None).status, 200);

    let range = server.request("GET", wasm, &[("Range", "bytes=0-3")], None);
    assert_eq!((range.status, range.header("content-range")), (206, Some("bytes 0-3/8")));
    assert_eq!(range.body, "\0asm");
}

#[test]
fn answers_are_compressed_as_the_browser_accepts_with_a_weak_etag() {
    let dir = TempDir::new();
    let server = start(&dir);
    let big = "export const filler = 0;\n".repeat(400);
    std::fs::write(dir.0.join("cdn/widget-fedcba9876.js"), &big).unwrap();
    let path = "/widget-fedcba9876.js";
    let plain = server.request("GET", path, &[], None);
    assert_eq!((plain.header("content-encoding"), plain.body.len()), (None, big.len()));
    let strong = plain.header("etag").unwrap().to_string();
    assert!(!strong.starts_with("W/"));
    for encoding in ["br", "gzip"] {
        let r = server.request("GET", path, &[("Accept-Encoding", encoding)], None);
        assert_eq!(r.header("content-encoding"), Some(encoding));
        assert!(r.body.len() < big.len() / 10, "{encoding}: {} bytes", r.body.len());
        assert_eq!(r.header("vary"), Some("accept-encoding"));
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        let weak = r.header("etag").unwrap();
        assert_eq!(weak, format!("W/{strong}"));
        let again = server.request("GET", path, &[("Accept-Encoding", encoding), ("If-None-Match", weak)], None);
        assert_eq!(again.status, 304);
    }
}

#[test]
fn only_files_are_served_and_only_read() {
    let dir = TempDir::new();
    let server = start(&dir);
    std::fs::create_dir_all(dir.0.join("cdn/api/v1")).unwrap();
    std::fs::write(dir.0.join("cdn/api/v1/x"), "a file, not the API").unwrap();
    assert_eq!(server.request("GET", "/api/v1/x", &[], None).code(), "not_found");
    let post = server.request("POST", "/widget.js", &[], Some(b"{}"));
    assert_eq!((post.status, post.code().as_str()), (405, "method_not_allowed"));
    // Without an index.html, `/` is the landing page.
    let root = server.request("GET", "/", &[], None);
    assert_eq!(root.status, 200);
    assert!(root.header("content-security-policy").is_some());
}

#[cfg(unix)]
#[test]
fn nothing_outside_the_folder_is_served_whatever_links_it_holds() {
    use std::os::unix::fs::symlink;

    let dir = TempDir::new();
    let cdn = dir.0.join("cdn");
    cdn_folder(&cdn);
    std::fs::write(dir.0.join("secret.txt"), "outside").unwrap();
    std::fs::create_dir_all(dir.0.join("private")).unwrap();
    std::fs::write(dir.0.join("private/key.pem"), "outside too").unwrap();
    std::fs::write(cdn.join(".env"), "a dotfile").unwrap();
    symlink(dir.0.join("secret.txt"), cdn.join("leak.txt")).unwrap();
    symlink("../secret.txt", cdn.join("relative-leak.txt")).unwrap();
    symlink(dir.0.join("private"), cdn.join("private")).unwrap();
    symlink("/etc", cdn.join("etc")).unwrap();
    // Links that stay inside the folder keep working.
    std::fs::create_dir_all(cdn.join("0.1.0")).unwrap();
    std::fs::write(cdn.join("0.1.0/widget.js"), "/* versioned */").unwrap();
    symlink("0.1.0", cdn.join("latest")).unwrap();
    symlink("widget.js", cdn.join("loader.js")).unwrap();
    let server = Server::start_in(&dir.0, &["--memory", "--static", "cdn"]);

    for path in [
        "/leak.txt",
        "/relative-leak.txt",
        "/private/key.pem",
        "/etc/passwd",
        "/etc/hostname",
        "/.env",
        "/%2e%2e/secret.txt",
        "/../secret.txt",
    ] {
        for method in ["GET", "HEAD"] {
            let r = server.request(method, path, &[], None);
            assert_eq!(r.status, 404, "{method} {path}");
            assert!(!r.body.contains("outside") && !r.body.contains("root:"), "{method} {path}: {}", r.body);
        }
    }
    assert_eq!(server.request("GET", "/latest/widget.js", &[], None).body, "/* versioned */");
    assert_eq!(server.request("GET", "/loader.js", &[], None).body, "/* loader */");
}
