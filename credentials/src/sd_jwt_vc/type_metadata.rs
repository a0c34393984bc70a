//! SD-JWT VC Type Metadata for the credential types Vouch issues (bundled from `specs/`).

use serde_json::Value;

/// The PID type identifier.
pub const PID_VCT: &str = "urn:vouch:uk:pid:1";
/// The right-to-work attestation type identifier.
pub const RIGHT_TO_WORK_VCT: &str = "urn:vouch:uk:right-to-work:1";

/// The bundled Type Metadata document for `vct`, if Vouch knows the type.
pub fn builtin(vct: &str) -> Option<Value> {
    let _ = vct;
    None
}
