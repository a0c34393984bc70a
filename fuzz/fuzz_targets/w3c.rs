//! Any bytes as a W3C credential or presentation (JOSE, SD-JWT, COSE, Data Integrity with
//! JSON-LD expansion over the bundled contexts), a Bitstring Status List or a DID:
//! verification never panics.
#![no_main]

use credentials::status::bitstring_status_list::BitstringStatusList;
use credentials::w3c::jose::DocKind;
use credentials::w3c::{self, VerifyOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = time::OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap();
    for kind in [DocKind::Credential, DocKind::Presentation] {
        let _ = w3c::verify(data, &VerifyOptions::at(now, kind));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = BitstringStatusList::decode(text, 1);
        let _ = credentials::did::resolve(text, None);
    }
});
