//! Any text as a compact or JSON JWS, and any bytes as a JWK: parsing never panics.
#![no_main]

use credentials::jose::{CompactJws, JsonJws};
use credentials::keys::Jwk;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(jws) = CompactJws::parse(text) {
        let _ = jws.claims();
        let _ = jws.header().x5c();
        if let Some(Ok(jwk)) = jws.header().jwk() {
            let _ = jws.verify(jwk.public_key(), &Default::default());
        }
    }
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        if let Ok(jws) = JsonJws::parse(&value) {
            let _ = jws.compact(0);
        }
        let _ = Jwk::from_value(&value);
    }
});
