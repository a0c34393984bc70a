//! The verifier's side: does what came back in `vp_token` answer the query?

use std::collections::BTreeMap;

use serde_json::Value;

use super::select::{match_one, Candidate};
use super::{DcqlError, DcqlQuery};

/// One verified presentation, as DCQL sees it: its disclosed claims only.
#[derive(Clone, Debug, PartialEq)]
pub struct PresentedCredential {
    /// Format.
    pub format: String,
    /// SD-JWT VC `vct`.
    pub vct: Option<String>,
    /// mdoc docType.
    pub doctype: Option<String>,
    /// The disclosed claims (mdoc: `{namespace: {element: value}}`).
    pub claims: Value,
    /// Whether holder binding was verified.
    pub holder_bound: bool,
}

impl Candidate for PresentedCredential {
    fn format(&self) -> &str {
        &self.format
    }
    fn vct(&self) -> Option<&str> {
        self.vct.as_deref()
    }
    fn doctype(&self) -> Option<&str> {
        self.doctype.as_deref()
    }
    fn claims(&self) -> &Value {
        &self.claims
    }
    fn holder_binding(&self) -> bool {
        self.holder_bound
    }
}

/// Checks a response, keyed by credential query id, against the query: no unknown ids,
/// one presentation per query unless `multiple`, each presentation answering its query
/// (format, meta, claims, values, holder binding), and the credential sets satisfied.
pub fn check_response(
    query: &DcqlQuery,
    presented: &BTreeMap<String, Vec<PresentedCredential>>,
) -> Result<(), DcqlError> {
    for (id, list) in presented {
        let q = query
            .credential(id)
            .ok_or_else(|| DcqlError(format!("the response answers unknown query \"{id}\"")))?;
        if list.is_empty() {
            return Err(DcqlError(format!("the response for \"{id}\" is empty")));
        }
        if list.len() > 1 && !q.multiple {
            return Err(DcqlError(format!(
                "\"{id}\" allows one credential, the response has {}",
                list.len()
            )));
        }
        for (i, p) in list.iter().enumerate() {
            match_one(q, p, i).map_err(|e| DcqlError(format!("\"{id}\": {e}")))?;
        }
    }
    let answered = |id: &String| presented.contains_key(id);
    match &query.credential_sets {
        None => {
            if let Some(q) = query.credentials.iter().find(|q| !answered(&q.id)) {
                return Err(DcqlError(format!(
                    "the response does not answer \"{}\"",
                    q.id
                )));
            }
        }
        Some(sets) => {
            for (i, s) in sets.iter().enumerate() {
                if s.required && !s.options.iter().any(|o| o.iter().all(answered)) {
                    return Err(DcqlError(format!(
                        "required credential set {i} is not satisfied"
                    )));
                }
            }
        }
    }
    Ok(())
}
