// Cargo.toml: hmac = "0.12", sha2 = "0.10", hex = "0.4"
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Checks a `Natter-Signature` header (`t=<unix seconds>,v1=<hex>`) against the
/// raw request body: `t` within `tolerance_secs` of `now_secs`, and a `v1` equal
/// to HMAC-SHA256(secret, "<t>.<body>"), compared in constant time.
pub fn verify(secret: &str, header: &str, body: &[u8], now_secs: u64, tolerance_secs: u64) -> bool {
    let (mut t, mut signatures) = (None, Vec::new());
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<u64>().ok(),
            Some(("v1", v)) => signatures.push(v),
            _ => {}
        }
    }
    let Some(t) = t.filter(|t| t.abs_diff(now_secs) <= tolerance_secs) else { return false };
    signatures.iter().any(|signature| {
        let Ok(tag) = hex::decode(signature) else { return false };
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        mac.verify_slice(&tag).is_ok()
    })
}
