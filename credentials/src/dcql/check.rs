//! The verifier's side: does what came back in `vp_token` answer the query?

use std::collections::BTreeMap;

use serde_json::Value;

use super::select::match_with;
use super::DcqlQuery;

/// Why a response does not satisfy the query it answers (OpenID4VP 1.0 section 6.4.2):
/// distinct from [`super::DcqlError`], which says the query itself is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the response does not satisfy the DCQL query: {0}")]
pub struct Unsatisfied(pub String);

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

crate::dcql_candidate!(
    PresentedCredential,
    fn holder_binding(&self) -> bool {
        self.holder_bound
    }
);

/// Checks a response, keyed by credential query id, against the query (section 8.6): no
/// unknown ids or empty arrays, one presentation per query unless `multiple`; a
/// presentation that does not answer its query (format, meta, claims, values, holder
/// binding) is discarded, and what remains must satisfy the query (every credential
/// query, or every required credential set). Returns the indices discarded per query id.
pub fn check_response(
    query: &DcqlQuery,
    presented: &BTreeMap<String, Vec<PresentedCredential>>,
) -> Result<BTreeMap<String, Vec<usize>>, Unsatisfied> {
    let mut discarded: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut answered = std::collections::BTreeSet::new();
    let mut reasons = Vec::new();
    for (id, list) in presented {
        let q = query
            .credential(id)
            .ok_or_else(|| Unsatisfied(format!("the response answers unknown query \"{id}\"")))?;
        if list.is_empty() {
            return Err(Unsatisfied(format!("the response for \"{id}\" is empty")));
        }
        if list.len() > 1 && !q.multiple {
            return Err(Unsatisfied(format!(
                "\"{id}\" allows one credential, the response has {}",
                list.len()
            )));
        }
        for (i, p) in list.iter().enumerate() {
            match match_with(q, p, i, true) {
                Ok(_) => {
                    answered.insert(id.clone());
                }
                Err(e) => {
                    discarded.entry(id.clone()).or_default().push(i);
                    reasons.push(format!("\"{id}\": {e}"));
                }
            }
        }
    }
    let why = |what: String| {
        if reasons.is_empty() {
            Unsatisfied(what)
        } else {
            Unsatisfied(format!("{what} ({})", reasons.join("; ")))
        }
    };
    match &query.credential_sets {
        None => {
            if let Some(q) = query.credentials.iter().find(|q| !answered.contains(&q.id)) {
                return Err(why(format!("the response does not answer \"{}\"", q.id)));
            }
        }
        Some(sets) => {
            for (i, s) in sets.iter().enumerate() {
                if s.required
                    && !s
                        .options
                        .iter()
                        .any(|o| o.iter().all(|id| answered.contains(id)))
                {
                    return Err(why(format!("required credential set {i} is not satisfied")));
                }
            }
        }
    }
    Ok(discarded)
}
