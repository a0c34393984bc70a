//! The holder's side (RFC 9901 section 6): choose which Disclosures to send.

use std::collections::HashMap;

use serde_json::Value;

use super::issue::parse_pointer;
use super::{SdAlg, SdJwt, SdJwtError, ELLIPSIS, SD, SD_ALG};

/// A presentation of `sd_jwt` that reveals the claims at `pointers` (RFC 6901, over the
/// fully disclosed claims) and nothing else: each selected claim with everything beneath it,
/// plus the Disclosures of the claims that contain it. No KB-JWT is attached.
pub fn present(sd_jwt: &SdJwt, pointers: &[&str]) -> Result<SdJwt, SdJwtError> {
    let payload = sd_jwt.jws().claims().map_err(SdJwtError::IssuerJws)?;
    let alg = match payload.get(SD_ALG) {
        None => SdAlg::default(),
        Some(Value::String(s)) => {
            SdAlg::from_name(s).ok_or_else(|| SdJwtError::UnsupportedSdAlg(s.clone()))?
        }
        Some(_) => return Err(SdJwtError::MalformedPayload("_sd_alg is not a string")),
    };
    let by_digest: HashMap<String, usize> = sd_jwt
        .disclosures()
        .iter()
        .enumerate()
        .map(|(i, d)| (d.digest(alg), i))
        .collect();
    let mut paths: Vec<Option<Vec<String>>> = vec![None; sd_jwt.disclosures().len()];
    let mut present = Vec::new();
    walk(
        &Value::Object(payload),
        &mut Vec::new(),
        &by_digest,
        sd_jwt,
        &mut paths,
        &mut present,
    );

    let wanted = pointers
        .iter()
        .map(|p| parse_pointer(p))
        .collect::<Result<Vec<_>, _>>()?;
    for w in &wanted {
        if !present.iter().any(|p| p == w) {
            return Err(SdJwtError::Issue(format!(
                "the credential has no claim at /{}",
                w.join("/")
            )));
        }
    }
    let keep: Vec<_> = sd_jwt
        .disclosures()
        .iter()
        .zip(&paths)
        .filter(|(_, path)| {
            path.as_ref()
                .is_some_and(|p| wanted.iter().any(|w| p.starts_with(w) || w.starts_with(p)))
        })
        .map(|(d, _)| d.clone())
        .collect();
    Ok(SdJwt::from_parts(
        sd_jwt.jws().clone(),
        keep,
        sd_jwt.json().cloned(),
    ))
}

/// Records the path of every Disclosure and of every claim, as the fully disclosed view has them.
fn walk(
    value: &Value,
    path: &mut Vec<String>,
    by_digest: &HashMap<String, usize>,
    sd_jwt: &SdJwt,
    paths: &mut [Option<Vec<String>>],
    present: &mut Vec<Vec<String>>,
) {
    match value {
        Value::Object(obj) => {
            for (k, v) in obj {
                if k == SD || (path.is_empty() && k == SD_ALG) {
                    continue;
                }
                path.push(k.clone());
                present.push(path.clone());
                walk(v, path, by_digest, sd_jwt, paths, present);
                path.pop();
            }
            let digests = obj.get(SD).and_then(Value::as_array).into_iter().flatten();
            for digest in digests.filter_map(Value::as_str) {
                let Some(&i) = by_digest.get(digest) else {
                    continue;
                };
                let d = &sd_jwt.disclosures()[i];
                let (Some(name), None) = (d.name(), &paths[i]) else {
                    continue;
                };
                path.push(name.to_string());
                paths[i] = Some(path.clone());
                present.push(path.clone());
                walk(d.value(), path, by_digest, sd_jwt, paths, present);
                path.pop();
            }
        }
        Value::Array(items) => {
            let mut index = 0;
            for item in items {
                let element = match item
                    .as_object()
                    .and_then(|o| o.get(ELLIPSIS))
                    .and_then(Value::as_str)
                {
                    Some(digest) => match by_digest.get(digest) {
                        Some(&i)
                            if paths[i].is_none() && sd_jwt.disclosures()[i].name().is_none() =>
                        {
                            paths[i] = Some({
                                let mut p = path.clone();
                                p.push(index.to_string());
                                p
                            });
                            sd_jwt.disclosures()[i].value()
                        }
                        _ => continue, // a decoy or a Disclosure the holder does not have
                    },
                    None => item,
                };
                path.push(index.to_string());
                present.push(path.clone());
                walk(element, path, by_digest, sd_jwt, paths, present);
                path.pop();
                index += 1;
            }
        }
        _ => {}
    }
}
