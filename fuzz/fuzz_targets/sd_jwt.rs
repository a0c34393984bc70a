//! Any text as an SD-JWT VC presentation: parse, process and verify must never panic.
#![no_main]

use std::sync::OnceLock;

use credentials::keys::{Jwk, PublicKey};
use credentials::report::CheckLog;
use credentials::sd_jwt::VerifyOptions;
use credentials::sd_jwt_vc::{self, IssuerKeySource, VcVerifyOptions};
use libfuzzer_sys::fuzz_target;

fn key() -> &'static PublicKey {
    static KEY: OnceLock<PublicKey> = OnceLock::new();
    KEY.get_or_init(|| {
        Jwk::from_json(r#"{"kty":"EC","crv":"P-256","x":"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ","y":"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8"}"#)
            .unwrap()
            .public_key()
            .clone()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut opts = VerifyOptions::at(1_800_000_000);
    opts.aud = Some("https://verifier.example.org");
    opts.nonce = Some("1234567890");
    let source = IssuerKeySource::Key(key().clone());
    let _ = sd_jwt_vc::verify(text, &source, &VcVerifyOptions::new(opts), &mut CheckLog::default());
    // The unsigned processing path too, so the fuzzer reaches disclosure handling
    // without having to forge a signature.
    if let Ok(sd) = credentials::sd_jwt::SdJwt::parse(text) {
        if let Ok(payload) = sd.jws().claims() {
            let _ = credentials::sd_jwt::process_disclosures(payload, sd.disclosures(), Default::default());
        }
        let _ = credentials::sd_jwt::present(&sd, &["/a", "/b/0"]);
    }
});
