//! What `vouch up` seeds: the demo's fictional provider, its certificates, the employer's
//! registration and the citizen's verified attributes (the person of `specs/examples`).

use serde_json::{json, Value};

use crate::io::CliResult;

/// The demo's fictional organisations and person.
pub(super) const ENTRY_ID: &str = "idsp-vouch-identity";
pub(super) const PROVIDER_NAME: &str = "Vouch Test IDSP Ltd";
pub(super) const CAB_ID: &str = "cab-a";
pub(super) const SERVICE_CERT: &str = "CAB-A-2026-0001";
pub(super) const RTW_CERT: &str = "CAB-A-RTW-2026-0001";
pub(super) const EMPLOYER_NAME: &str = "Example Employer plc";
pub(super) const SUBJECT: &str = "citizen-ada";
pub(super) const RTW_VCT: &str = "urn:vouch:uk:right-to-work:1";
pub(super) const PID_VCT: &str = "urn:vouch:uk:pid:1";
pub(super) const DCQL_RTW: &str =
    include_str!("../../../../specs/dcql/templates/right-to-work.json");
pub(super) const PID_CLAIMS: &str = include_str!("../../../../specs/examples/pid.claims.json");
pub(super) const RTW_CLAIMS: &str =
    include_str!("../../../../specs/examples/right-to-work.claims.json");

/// A certificate of the demo's certification body.
pub(super) fn certificate(number: &str, issued: &str, expires: &str) -> Value {
    json!({
        "number": number,
        "body": {"cab_id": CAB_ID, "name": "Example Certification Ltd (cab-a)", "ukas_accreditation": "0001"},
        "framework_version": "1.0",
        "issued_at": issued,
        "expires_at": expires,
        "document_digest": null,
    })
}

/// The employer's registration: right-to-work checks, the claims of the DCQL template.
pub(super) fn employer(client_id: &str) -> CliResult<Value> {
    let dcql: Value = serde_json::from_str(DCQL_RTW).map_err(|e| e.to_string())?;
    let claims: Vec<String> = dcql["credentials"][0]["claims"]
        .as_array()
        .ok_or("the right-to-work DCQL template has no claims")?
        .iter()
        .filter_map(|c| c["path"].as_array())
        .map(|p| {
            p.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    Ok(json!({"relying_party": {
        "relying_party_id": client_id,
        "name": EMPLOYER_NAME,
        "company_number": "07654321",
        "purposes": [{
            "purpose": "right_to_work",
            "description": "Right-to-work check before employment starts",
            "credential_types": [RTW_VCT],
            "claims": claims,
        }],
    }}))
}

/// Ada's verified attributes at the identity provider (the fictional person of
/// `specs/examples`).
pub(super) fn citizen() -> CliResult<Value> {
    let pid: Value = serde_json::from_str(PID_CLAIMS).map_err(|e| e.to_string())?;
    let rtw: Value = serde_json::from_str(RTW_CLAIMS).map_err(|e| e.to_string())?;
    Ok(json!({
        "attributes": {
            "given_name": pid["given_name"],
            "family_name": pid["family_name"],
            "birthdate": pid["birthdate"],
            "birth_place": pid["birth_place"],
            "nationalities": pid["nationalities"],
            "address": pid["address"],
            "pid_document_number": pid["document_number"],
            "portrait": rtw["portrait"],
            "nationality": rtw["nationality"],
            "document": rtw["document"],
        },
        "gpg45_profile": rtw["gpg45_profile"],
    }))
}
