// Cargo.toml: hmac = "0.12", sha2 = "0.10", base64 = "0.22"
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

fn hmac_hex(secret: &str, data: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// userHash = hex(HMAC-SHA256(identity secret, externalUserId)).
pub fn user_hash(identity_secret: &str, external_user_id: &str) -> String {
    hmac_hex(identity_secret, external_user_id)
}

/// s of a standalone link: hex(HMAC-SHA256(link secret, payload)), the payload
/// being appKey, t, u and nick each written as `<UTF-8 byte length>:<value>,`.
pub fn link_signature(link_secret: &str, app_key: &str, t: u64, u: &str, nick: &str) -> String {
    let payload: String = [app_key, &t.to_string(), u, nick].iter().map(|f| format!("{}:{f},", f.len())).collect();
    hmac_hex(link_secret, &payload)
}

/// identityToken: an HS256 JWT; `claims` is a JSON object with at least "sub".
pub fn identity_token(identity_secret: &str, claims: &str) -> String {
    let head = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let input = format!("{head}.{}", URL_SAFE_NO_PAD.encode(claims));
    let mut mac = Hmac::<Sha256>::new_from_slice(identity_secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}
