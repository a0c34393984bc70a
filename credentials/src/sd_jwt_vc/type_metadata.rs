//! SD-JWT VC Type Metadata for the credential types Vouch issues (bundled from `specs/`),
//! and the disclosure frame it implies.

use serde_json::{Map, Value};

use crate::sd_jwt::{DisclosureFrame, SdJwtError};

/// The PID type identifier.
pub const PID_VCT: &str = "urn:vouch:uk:pid:1";
/// The right-to-work attestation type identifier.
pub const RIGHT_TO_WORK_VCT: &str = "urn:vouch:uk:right-to-work:1";

/// The bundled Type Metadata document for `vct`, if Vouch knows the type.
pub fn builtin(vct: &str) -> Option<Value> {
    let text = match vct {
        PID_VCT => include_str!("../../../specs/credential-types/pid.type-metadata.json"),
        RIGHT_TO_WORK_VCT => {
            include_str!("../../../specs/credential-types/right-to-work.type-metadata.json")
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
