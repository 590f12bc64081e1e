//! Keeps the written spec in step with the code: every error code of
//! `natter::protocol` is documented in `docs/protocol.md` and listed in
//! `docs/openapi.yaml`, with the same HTTP status in the table.

use natter::protocol::ErrorCode;

fn doc(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/");
    std::fs::read_to_string(format!("{path}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_error_code_is_documented() {
    let md = doc("protocol.md");
    let openapi = doc("openapi.yaml");
    for code in ErrorCode::ALL {
        let name = code.as_str();
        assert!(openapi.contains(&format!("- {name}\n")), "{name} missing from openapi.yaml");
        let row = md
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("{name} missing from the error table of protocol.md"));
        if code != ErrorCode::UnknownFrame {
            assert!(row.contains(&format!("| {} |", code.status())), "{name}: status differs in protocol.md: {row}");
        }
    }
}

#[test]
fn constants_match_the_spec() {
    let md = doc("protocol.md");
    assert!(md.contains("1800 s (30 minutes)"));
    assert!(md.contains(natter::protocol::WS_SUBPROTOCOL));
    assert!(md.contains(natter::protocol::AGENT_WS_SUBPROTOCOL));
    assert_eq!(natter::protocol::MAX_TEXT_CHARS, 4000);
    assert_eq!(natter::protocol::TOKEN_TTL_SECS, 1800);
}
