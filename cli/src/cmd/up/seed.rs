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
/// Version 2 of the right-to-work credential (OIDC4IA `verified_claims`).
pub(super) const RTW_V2_VCT: &str = "urn:vouch:uk:right-to-work:2";
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

/// The claims of every credential query of a DCQL query, named as registrations name them
/// (keys joined by `/`, array elements dropped), each once, in the query's order.
pub(super) fn template_claims(dcql: &Value) -> CliResult<Vec<String>> {
    let mut claims: Vec<String> = Vec::new();
    for query in dcql["credentials"]
        .as_array()
        .ok_or("the right-to-work DCQL template has no credential queries")?
    {
        for path in query["claims"]
            .as_array()
            .ok_or("a right-to-work credential query has no claims")?
            .iter()
            .filter_map(|c| c["path"].as_array())
        {
            let name = path
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("/");
            if !claims.contains(&name) {
                claims.push(name);
            }
        }
    }
    Ok(claims)
}

/// The employer's registration: right-to-work checks with either version of the
/// credential, the claims of every credential query of the DCQL template.
pub(super) fn employer(client_id: &str) -> CliResult<Value> {
    let dcql: Value = serde_json::from_str(DCQL_RTW).map_err(|e| e.to_string())?;
    let claims = template_claims(&dcql)?;
    Ok(json!({"relying_party": {
        "relying_party_id": client_id,
        "name": EMPLOYER_NAME,
        "company_number": "07654321",
        "purposes": [{
            "purpose": "right_to_work",
            "description": "Right-to-work check before employment starts",
            "credential_types": [RTW_V2_VCT, RTW_VCT],
            "claims": claims,
            // As the employer's verifier keeps records (`vouch verifier serve`'s retention).
            "retention": {
                "period": "P2Y",
                "description": "For your employment and 2 years after it ends; 6 months after the check if you are not employed",
            },
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

#[cfg(test)]
mod tests {
    use super::*;
    use credentials::sd_jwt_vc::type_metadata::RIGHT_TO_WORK_V2_VCT;
    use issuer::configurations::{sd_jwt_claims_for, IssueContext};
    use issuer::store::Subject;

    /// The employer registers the claims of both credential queries of the template: the
    /// version 2 `verified_claims` names and version 1's flat ones, for both types.
    #[test]
    fn the_employer_registers_both_versions_claims() {
        let e = employer("x509_san_dns:localhost").unwrap();
        let purpose = &e["relying_party"]["purposes"][0];
        assert_eq!(
            purpose["credential_types"],
            serde_json::json!([RTW_V2_VCT, RTW_VCT])
        );
        let claims: Vec<&str> = purpose["claims"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for c in [
            "verified_claims/claims/family_name",
            "verified_claims/verification/assurance_process/procedure",
            "verified_claims/verification/evidence/document_details/document_number",
            "verified_claims/verification/evidence/check_details/organization",
            "portrait",
            "gpg45_profile",
            "document/number",
        ] {
            assert!(claims.contains(&c), "{c} in {claims:?}");
        }
        assert_eq!(
            claims.iter().filter(|c| **c == "portrait").count(),
            1,
            "each claim once"
        );
        assert_eq!(RTW_V2_VCT, RIGHT_TO_WORK_V2_VCT);
    }

    /// The demo citizen makes a version 2 credential: checked at the example's time by the
    /// demo provider, the issuer's claims are the example that specs/check.py validates
    /// against the version 2 schema (the example's checks carry their own times).
    #[test]
    fn the_demo_citizen_makes_the_version_2_example() {
        let c = citizen().unwrap();
        let checked = time::macros::datetime!(2026-11-20 10:15 UTC).unix_timestamp();
        let subject = Subject {
            subject_id: SUBJECT.into(),
            attributes: c["attributes"].clone(),
            gpg45_profile: c["gpg45_profile"].as_str().map(str::to_string),
            verified_at: checked,
        };
        let ctx = IssueContext {
            authority: PROVIDER_NAME,
            country: "GB",
            now: checked + 60,
            expires_at: checked + 86_400 * 365,
        };
        let issued = Value::Object(sd_jwt_claims_for(RTW_V2_VCT, &subject, &ctx).unwrap());
        let mut example: Value = serde_json::from_str(include_str!(
            "../../../../specs/examples/right-to-work-v2.claims.json"
        ))
        .unwrap();
        let when = example["verified_claims"]["verification"]["time"].clone();
        let evidence = &mut example["verified_claims"]["verification"]["evidence"][0];
        evidence["time"] = when.clone();
        for check in evidence["check_details"].as_array_mut().unwrap() {
            check["time"] = when.clone();
        }
        assert_eq!(issued, example);
    }
}
