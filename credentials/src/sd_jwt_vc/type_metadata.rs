//! SD-JWT VC Type Metadata for the credential types Vouch issues (bundled from `specs/`),
//! and the disclosure frame it implies.

use serde_json::{Map, Value};

use crate::sd_jwt::{DisclosureFrame, SdJwtError};

/// The PID type identifier.
pub const PID_VCT: &str = "urn:vouch:uk:pid:1";
/// The right-to-work attestation type identifier (version 1: flat claims).
pub const RIGHT_TO_WORK_VCT: &str = "urn:vouch:uk:right-to-work:1";
/// The right-to-work attestation, version 2: the GPG 45 assurance as OpenID Connect for
/// Identity Assurance `verified_claims`.
pub const RIGHT_TO_WORK_V2_VCT: &str = "urn:vouch:uk:right-to-work:2";

/// Whether `vct` is a version of the right-to-work attestation.
pub fn is_right_to_work(vct: &str) -> bool {
    matches!(vct, RIGHT_TO_WORK_VCT | RIGHT_TO_WORK_V2_VCT)
}

/// The bundled Type Metadata document for `vct`, if Vouch knows the type.
pub fn builtin(vct: &str) -> Option<Value> {
    let text = match vct {
        PID_VCT => include_str!("../../../specs/credential-types/pid.type-metadata.json"),
        RIGHT_TO_WORK_VCT => {
            include_str!("../../../specs/credential-types/right-to-work.type-metadata.json")
        }
        RIGHT_TO_WORK_V2_VCT => {
            include_str!("../../../specs/credential-types/right-to-work-v2.type-metadata.json")
        }
        _ => return None,
    };
    serde_json::from_str(text).ok()
}

/// The disclosure frame for `claims` of type `vct`: from the Type Metadata when Vouch knows
/// the type (every claim whose `sd` is not `never` is disclosable), otherwise every
/// top-level claim (data minimisation by default).
pub fn default_frame(
    vct: &str,
    claims: &Map<String, Value>,
) -> Result<DisclosureFrame, SdJwtError> {
    let Some(meta) = builtin(vct) else {
        return claims.keys().try_fold(DisclosureFrame::none(), |f, k| {
            f.pointer(&pointer(&[Value::from(k.as_str())]))
        });
    };
    let mut frame = DisclosureFrame::none();
    for claim in meta
        .get("claims")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(path) = claim.get("path").and_then(Value::as_array) else {
            continue;
        };
        if claim.get("sd").and_then(Value::as_str) == Some("never") {
            continue;
        }
        // A null path segment means "every array element": expand against the claims.
        for concrete in expand(path, &Value::Object(claims.clone())) {
            frame = frame.pointer(&pointer(&concrete))?;
        }
    }
    Ok(frame)
}

fn pointer(path: &[Value]) -> String {
    path.iter()
        .map(|s| match s {
            Value::String(s) => format!("/{}", s.replace('~', "~0").replace('/', "~1")),
            other => format!("/{other}"),
        })
        .collect()
}

/// The concrete paths in `value` that `path` (with null wildcards) matches.
fn expand(path: &[Value], value: &Value) -> Vec<Vec<Value>> {
    let Some((first, rest)) = path.split_first() else {
        return vec![Vec::new()];
    };
    let children: Vec<(Value, &Value)> = match (first, value) {
        (Value::String(k), Value::Object(m)) => m
            .get(k)
            .map(|v| vec![(first.clone(), v)])
            .unwrap_or_default(),
        (Value::Null, Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (Value::from(i), v))
            .collect(),
        (Value::Number(n), Value::Array(a)) => n
            .as_u64()
            .and_then(|i| a.get(i as usize).map(|v| vec![(first.clone(), v)]))
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    children
        .into_iter()
        .flat_map(|(seg, child)| {
            expand(rest, child).into_iter().map(move |mut tail| {
                tail.insert(0, seg.clone());
                tail
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Algorithm, Signer, SoftwareSigner};
    use crate::sd_jwt::{present, SdJwtIssuer};

    fn v2_example() -> Map<String, Value> {
        serde_json::from_str(include_str!(
            "../../../specs/examples/right-to-work-v2.claims.json"
        ))
        .unwrap()
    }

    /// Version 2 nests its claims in `verified_claims`: every member is its own Disclosure,
    /// at every level, array elements included (the evidence, each check, each
    /// nationality), so a DCQL query can ask for one of them and get only it.
    #[test]
    fn right_to_work_v2_discloses_each_nested_claim_on_its_own() {
        let meta = builtin(RIGHT_TO_WORK_V2_VCT).expect("bundled");
        assert_eq!(meta["vct"], RIGHT_TO_WORK_V2_VCT);
        assert!(
            meta.get("extends").is_none(),
            "version 2 does not extend version 1"
        );
        assert!(is_right_to_work(RIGHT_TO_WORK_V2_VCT) && is_right_to_work(RIGHT_TO_WORK_VCT));
        let claims = v2_example();
        let frame = default_frame(RIGHT_TO_WORK_V2_VCT, &claims).unwrap();
        let signer = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
        let sd = SdJwtIssuer::new(&signer as &dyn Signer)
            .typ("dc+sd-jwt")
            .issue(&claims, &frame, &Map::new())
            .unwrap();
        // Nothing of the person is in the signed payload in clear.
        let payload = sd.jws().claims().unwrap();
        let text = serde_json::to_string(&payload).unwrap();
        for clear in ["Lovelace", "uk_tfida", "M1B", "123456789", "GBR", "vcrypt"] {
            assert!(!text.contains(clear), "{clear} in {text}");
        }
        // verified_claims, its verification and claims (3), the verification's 5 members,
        // assurance_process's 2, evidence[0] and its 4 members, 2 checks of 1 + 3, the
        // document's 4 members and the issuer's 1, the person's 4 and their 1 nationality,
        // the portrait.
        assert_eq!(sd.disclosures().len(), 34);
        let number = "/verified_claims/verification/evidence/0/document_details/document_number";
        let shown = present(&sd, &[number]).unwrap();
        let names: Vec<Option<&str>> = shown.disclosures().iter().map(|d| d.name()).collect();
        // The number and the objects it sits in, nothing beside it.
        assert_eq!(shown.disclosures().len(), 6, "{names:?}");
        assert!(names.contains(&Some("document_number")));
        assert!(!names.contains(&Some("date_of_expiry")));
        assert!(!names.contains(&Some("claims")));
    }
}
