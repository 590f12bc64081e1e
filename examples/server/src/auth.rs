//! Visitor tokens (JWT, HS256, per-site key), identity hashes and link
//! signatures. Written by hand on `hmac` + `sha2` + `base64`: the whole JWT
//! surface here is one fixed header and a few claims, small enough to audit.
//! Every MAC is checked with the MAC's own constant-time `verify_slice`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use natter::protocol::ErrorCode;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// `{"alg":"HS256","typ":"JWT"}`, the only header this server issues or accepts.
const HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
pub const ISSUER: &str = "natter";

/// The claims of a visitor token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// Always `natter`.
    pub iss: String,
    /// The site's app key: picks the verification key.
    pub aud: String,
    /// The visitor (`cv_...`) this token speaks for.
    pub sub: String,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// `"link"` when the token was issued to a standalone-link handshake:
    /// calls with it skip the origin allowlist (and need the site's link
    /// entry to be on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ent: Option<String>,
    /// The token was minted on a proof of the visitor's identity (userHash,
    /// identityToken, signed link) or renewed from such a token. Only these
    /// act for a verified visitor: tokens minted on an unproven claim of
    /// the same user stop working once the user is verified.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prf: bool,
}

impl Claims {
    pub fn is_link(&self) -> bool {
        self.ent.as_deref() == Some(natter::protocol::ENTRY_LINK)
    }
}

/// HMAC-SHA256 keyed with `key`, fed with `data`. HMAC takes keys of any
/// length, so the error branch is unreachable in practice; it maps to
/// `internal` rather than a panic.
fn mac(key: &[u8], data: &[u8]) -> Result<HmacSha256, ErrorCode> {
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).map_err(|_| ErrorCode::Internal)?;
    m.update(data);
    Ok(m)
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Result<Vec<u8>, ErrorCode> {
    Ok(mac(key, data)?.finalize().into_bytes().to_vec())
}

/// Checks `tag` against HMAC-SHA256(key, data) in constant time (the MAC's
/// own `verify_slice`).
fn mac_matches(key: &[u8], data: &[u8], tag: &[u8]) -> bool {
    mac(key, data).is_ok_and(|m| m.verify_slice(tag).is_ok())
}

pub fn sign(claims: &Claims, key: &[u8]) -> Result<String, ErrorCode> {
    let payload = serde_json::to_vec(claims).map_err(|_| ErrorCode::Internal)?;
    let signing_input = format!("{HEADER}.{}", URL_SAFE_NO_PAD.encode(payload));
    let sig = URL_SAFE_NO_PAD.encode(hmac_sha256(key, signing_input.as_bytes())?);
    Ok(format!("{signing_input}.{sig}"))
}

/// Reads the claims without checking anything, to learn which site's key
/// verifies the token. Never trust the result before [`verify`].
pub fn peek(token: &str) -> Result<Claims, ErrorCode> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_sig), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ErrorCode::TokenInvalid);
    };
    if header != HEADER {
        return Err(ErrorCode::TokenInvalid);
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| ErrorCode::TokenInvalid)?;
    serde_json::from_slice(&bytes).map_err(|_| ErrorCode::TokenInvalid)
}

/// Checks signature (constant time), issuer and expiry.
pub fn verify(token: &str, key: &[u8], now_secs: i64) -> Result<Claims, ErrorCode> {
    let claims = peek(token)?;
    let (signing_input, sig) = token.rsplit_once('.').ok_or(ErrorCode::TokenInvalid)?;
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| ErrorCode::TokenInvalid)?;
    if !mac_matches(key, signing_input.as_bytes(), &sig) {
        return Err(ErrorCode::TokenInvalid);
    }
    if claims.iss != ISSUER {
        return Err(ErrorCode::TokenInvalid);
    }
    if claims.exp <= now_secs {
        return Err(ErrorCode::TokenExpired);
    }
    Ok(claims)
}

/// `hex(HMAC-SHA256(secret, externalUserId))`, the identity-verification hash.
pub fn user_hash(secret: &[u8], external_user_id: &str) -> Result<String, ErrorCode> {
    hmac_sha256(secret, external_user_id.as_bytes()).map(|h| hex(&h))
}

/// A webhook delivery's `Natter-Signature` header: `t=<unix seconds>,v1=<hex
/// HMAC-SHA256(secret, "<t>.<body>")>`. `t` is digits only, so the dot
/// cannot be confused with one of the body's.
pub fn webhook_signature(secret: &[u8], t: i64, body: &str) -> Result<String, ErrorCode> {
    hmac_sha256(secret, format!("{t}.{body}").as_bytes()).map(|h| format!("t={t},v1={}", hex(&h)))
}

/// Checks a `userHash` (hex, case-insensitive) in constant time.
pub fn user_hash_matches(secret: &[u8], external_user_id: &str, given: &str) -> bool {
    hex_mac_matches(secret, external_user_id.as_bytes(), given.trim())
}

/// Checks a hex HMAC (case-insensitive) against `HMAC-SHA256(key, data)`
/// in constant time.
fn hex_mac_matches(key: &[u8], data: &[u8], given: &str) -> bool {
    hex::decode(given).is_ok_and(|tag| mac_matches(key, data, &tag))
}

/// What a standalone link signs: appKey, t, u and nick (absent = empty),
/// each as a netstring `<UTF-8 byte length>:<value>,`. The lengths make the
/// encoding unambiguous: no choice of `u` and `nick` signs the same bytes
/// as another split of them (the old `appKey\nt\nu\nnick` let a `nick`
/// of `victim\n` pass for a `u` of `\nvictim`).
fn link_payload(app_key: &str, t: i64, u: &str, nick: &str) -> String {
    [app_key, &t.to_string(), u, nick].iter().map(|f| format!("{}:{f},", f.len())).collect()
}

/// `s` of a standalone link: hex(HMAC-SHA256(link secret, [`link_payload`])).
pub fn link_signature(secret: &[u8], app_key: &str, t: i64, u: &str, nick: &str) -> Result<String, ErrorCode> {
    hmac_sha256(secret, link_payload(app_key, t, u, nick).as_bytes()).map(|h| hex(&h))
}

pub fn link_signature_matches(secret: &[u8], app_key: &str, t: i64, u: &str, nick: &str, given: &str) -> bool {
    hex_mac_matches(secret, link_payload(app_key, t, u, nick).as_bytes(), given)
}

/// The verified content of a site-minted `identityToken`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdentityClaims {
    pub sub: String,
    pub nickname: Option<String>,
    pub email: Option<String>,
    pub avatar: Option<String>,
    pub phone: Option<String>,
}

#[derive(Deserialize)]
struct IdentityHeader {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawIdentityClaims {
    sub: Option<String>,
    exp: Option<f64>,
    nbf: Option<f64>,
    iat: Option<f64>,
    aud: Option<serde_json::Value>,
    nickname: Option<String>,
    email: Option<String>,
    avatar: Option<String>,
    phone: Option<String>,
}

fn b64_json<T: serde::de::DeserializeOwned>(part: &str) -> Option<T> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

/// Verifies an `identityToken`: a JWT with header `alg` = `HS256` (`typ`, if
/// any, `JWT`; no `crit`), signed with the site's identity secret, whose
/// `sub` is the external user id. `exp` (optional) is honoured with
/// [`CLOCK_SKEW_SECS`] of leeway, `nbf`/`iat` may not be later than now plus
/// that leeway, and `aud`, if present, must name `app_key`. The error is a
/// short reason for the `identity_rejected` message.
pub fn verify_identity_token(
    token: &str,
    secret: &[u8],
    app_key: &str,
    now: i64,
) -> Result<IdentityClaims, &'static str> {
    let mut parts = token.trim().split('.');
    let (Some(head), Some(body), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err("identityToken is not a JWT");
    };
    let header: IdentityHeader = b64_json(head).ok_or("identityToken header is malformed")?;
    if header.alg != "HS256" || header.typ.is_some_and(|t| !t.eq_ignore_ascii_case("JWT")) || header.crit.is_some() {
        return Err("identityToken must be an HS256 JWT");
    }
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| "identityToken signature is malformed")?;
    if !mac_matches(secret, format!("{head}.{body}").as_bytes(), &sig) {
        return Err("identityToken signature does not match");
    }
    let c: RawIdentityClaims = b64_json(body).ok_or("identityToken claims are malformed")?;
    let skew = natter::protocol::CLOCK_SKEW_SECS as f64;
    let now = now as f64;
    if c.exp.is_some_and(|exp| now > exp + skew) {
        return Err("identityToken has expired");
    }
    if c.nbf.into_iter().chain(c.iat).any(|t| t > now + skew) {
        return Err("identityToken is not valid yet");
    }
    let aud_ok = match &c.aud {
        None => true,
        Some(serde_json::Value::String(a)) => a == app_key,
        Some(serde_json::Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(app_key)),
        Some(_) => false,
    };
    if !aud_ok {
        return Err("identityToken aud is another site");
    }
    // `sub` is used exactly as signed: one with surrounding blanks or
    // control characters is refused, never trimmed into another id.
    let sub = c.sub.filter(|s| !s.is_empty()).ok_or("identityToken has no sub")?;
    if !is_canonical_id(&sub) {
        return Err("identityToken sub has blanks around it or control characters");
    }
    Ok(IdentityClaims { sub, nickname: c.nickname, email: c.email, avatar: c.avatar, phone: c.phone })
}

/// An identifier as it may be signed and stored: no control characters and
/// no blanks at either end (so trimming cannot turn it into another one).
pub fn is_canonical_id(s: &str) -> bool {
    !s.chars().any(char::is_control) && s.trim() == s
}

/// `n` random bytes from the OS.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| format!("no OS randomness: {e}"))?;
    Ok(buf)
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims { iss: ISSUER.into(), aud: "sk_demo".into(), sub: "cv_1".into(), iat: 0, exp, ent: None, prf: false }
    }

    #[test]
    fn round_trip_and_rejections() {
        let t = sign(&claims(100), b"key").unwrap();
        assert_eq!(verify(&t, b"key", 50), Ok(claims(100)));
        assert_eq!(verify(&t, b"key", 100), Err(ErrorCode::TokenExpired));
        assert_eq!(verify(&t, b"other", 50), Err(ErrorCode::TokenInvalid));
        // A payload swapped under the old signature fails.
        let forged = sign(&Claims { sub: "cv_2".into(), ..claims(100) }, b"x").unwrap();
        let (head, _) = forged.rsplit_once('.').unwrap();
        let (_, sig) = t.rsplit_once('.').unwrap();
        assert_eq!(verify(&format!("{head}.{sig}"), b"key", 50), Err(ErrorCode::TokenInvalid));
        assert_eq!(verify("a.b", b"key", 0), Err(ErrorCode::TokenInvalid));
        assert_eq!(verify("", b"key", 0), Err(ErrorCode::TokenInvalid));
        // `alg: none` is refused by the fixed header.
        let none = format!("eyJhbGciOiJub25lIn0.{}.", t.split('.').nth(1).unwrap());
        assert_eq!(verify(&none, b"key", 0), Err(ErrorCode::TokenInvalid));
    }

    #[test]
    fn user_hash_known_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            user_hash(b"Jefe", "what do ya want for nothing?").unwrap(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(user_hash_matches(
            b"Jefe",
            "what do ya want for nothing?",
            "5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843"
        ));
    }

    fn mint(header: &str, claims: &serde_json::Value, key: &[u8]) -> String {
        let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let sig = URL_SAFE_NO_PAD.encode(hmac_sha256(key, input.as_bytes()).unwrap());
        format!("{input}.{sig}")
    }

    #[test]
    fn identity_tokens() {
        let h = r#"{"typ":"JWT","alg":"HS256"}"#;
        let ok = |claims: serde_json::Value| verify_identity_token(&mint(h, &claims, b"k"), b"k", "sk_a", 1000);
        let c =
            ok(serde_json::json!({"sub": "u_1", "exp": 2000, "nickname": "N", "email": "e@x", "other": 1})).unwrap();
        assert_eq!(
            (c.sub.as_str(), c.nickname.as_deref(), c.email.as_deref(), c.phone),
            ("u_1", Some("N"), Some("e@x"), None)
        );
        assert!(ok(serde_json::json!({"sub": "u", "exp": 941})).is_ok(), "60 s of skew");
        assert_eq!(ok(serde_json::json!({"sub": "u", "exp": 939})), Err("identityToken has expired"));
        assert!(ok(serde_json::json!({"sub": "u", "exp": 1500.5, "iat": 1050, "aud": ["x", "sk_a"]})).is_ok());
        assert!(ok(serde_json::json!({"sub": "u", "iat": 1061})).is_err());
        assert!(ok(serde_json::json!({"sub": "u", "aud": "sk_b"})).is_err());
        assert!(ok(serde_json::json!({"sub": ""})).is_err());
        assert!(ok(serde_json::json!({"sub": 42})).is_err());
        // Signed as is: never trimmed into another user, no control characters.
        assert!(ok(serde_json::json!({"sub": " u_1 "})).is_err());
        assert!(ok(serde_json::json!({"sub": "u_1\n"})).is_err());
        assert!(ok(serde_json::json!({"sub": "u\u{7}1"})).is_err());
        let claims = serde_json::json!({"sub": "u"});
        assert!(verify_identity_token(&mint(h, &claims, b"other"), b"k", "sk_a", 0).is_err());
        for header in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS512"}"#,
            r#"{"alg":"HS256","typ":"at+jwt"}"#,
            r#"{"alg":"HS256","crit":["x"]}"#,
            "nope",
        ] {
            assert!(verify_identity_token(&mint(header, &claims, b"k"), b"k", "sk_a", 0).is_err(), "{header}");
        }
        assert!(verify_identity_token(&mint(r#"{"alg":"HS256"}"#, &claims, b"k"), b"k", "sk_a", 0).is_ok());
        assert!(verify_identity_token("a.b", b"k", "sk_a", 0).is_err());
        assert!(verify_identity_token("", b"k", "sk_a", 0).is_err());
    }

    #[test]
    fn link_signature_vector() {
        // docs/identity.md test vector.
        let s = link_signature(b"natter-link-secret", "sk_demo", 1716268800, "u_42", "Alex Lee").unwrap();
        assert_eq!(
            link_payload("sk_demo", 1716268800, "u_42", "Alex Lee"),
            "7:sk_demo,10:1716268800,4:u_42,8:Alex Lee,"
        );
        assert_eq!(s, "ece1ca590718055d5cfe282e5584202ef3f30566abb4cdaa904dd6042cb11bc6");
        assert!(link_signature_matches(
            b"natter-link-secret",
            "sk_demo",
            1716268800,
            "u_42",
            "Alex Lee",
            &s.to_uppercase()
        ));
        assert!(!link_signature_matches(b"natter-link-secret", "sk_demo", 1716268800, "u_42", "Alex", &s));
        // No bytes can move between fields: `nick = "victim\n"` with no `u`
        // does not sign `u = "\nvictim"`.
        let anonymous = link_signature(b"k", "sk_demo", 1, "", "victim\n").unwrap();
        assert!(!link_signature_matches(b"k", "sk_demo", 1, "\nvictim", "", &anonymous));
        assert!(!link_signature_matches(b"k", "sk_demo", 1, "", "victim\n", "zz"), "not hex");
        assert!(!link_signature_matches(b"k", "sk_demo", 1, "", "victim\n", "é"), "not ASCII");
    }
}
