//! The wallet's side: which credentials answer each credential query, with which claims,
//! and whether the query as a whole (credential sets) can be satisfied.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{CredentialQuery, DcqlQuery, PathElement};

/// Implements [`Candidate`] for a struct with the fields `format: String`,
/// `vct: Option<String>`, `doctype: Option<String>` and `claims: Value`, plus any further
/// trait methods given after the type.
#[macro_export]
macro_rules! dcql_candidate {
    ($t:ty $(, $extra:item)* $(,)?) => {
        impl $crate::dcql::Candidate for $t {
            fn format(&self) -> &str {
                &self.format
            }
            fn vct(&self) -> Option<&str> {
                self.vct.as_deref()
            }
            fn doctype(&self) -> Option<&str> {
                self.doctype.as_deref()
            }
            fn claims(&self) -> &serde_json::Value {
                &self.claims
            }
            $($extra)*
        }
    };
}

/// A credential the wallet holds, as DCQL sees it.
pub trait Candidate {
    /// `dc+sd-jwt`, `mso_mdoc`, ...
    fn format(&self) -> &str;
    /// The SD-JWT VC `vct`.
    fn vct(&self) -> Option<&str> {
        None
    }
    /// The mdoc docType.
    fn doctype(&self) -> Option<&str> {
        None
    }
    /// Every claim it can disclose (mdoc: `{namespace: {element: value}}`; a W3C VC: the
    /// whole credential document).
    fn claims(&self) -> &Value;
    /// The W3C VC `type` values (`type_values`): the claims' `type` member.
    fn vc_types(&self) -> Vec<&str> {
        match self.claims().get("type") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(t)) => vec![t.as_str()],
            _ => Vec::new(),
        }
    }
    /// Whether it is bound to a holder key (can prove possession).
    fn holder_binding(&self) -> bool {
        true
    }
    /// Trust information about its issuer, as a Trusted Authorities Query (section 6.1.1)
    /// matches it: the type (`aki`, `etsi_tl`, `openid_federation`) and its values.
    fn authority(&self) -> Option<(&str, &[String])> {
        None
    }
    /// Every kind of trust information about its issuer (type and values); by default the
    /// one [`Candidate::authority`] gives. A credential with an issuer certificate chain
    /// gives its `aki` values ([`aki_values`]).
    fn authorities(&self) -> Vec<(String, Vec<String>)> {
        self.authority()
            .map(|(k, v)| vec![(k.to_string(), v.to_vec())])
            .unwrap_or_default()
    }
}

/// The `aki` values of an issuer certificate chain (OpenID4VP 1.0 section 6.1.1.1): the
/// base64url keyIdentifier of the authorityKeyIdentifier of each certificate in it, so a
/// query naming the chain's root (its subjectKeyIdentifier) or an intermediate matches.
pub fn aki_values(chain: &[crate::x509::Certificate]) -> Vec<String> {
    let mut out: Vec<String> = chain
        .iter()
        .filter_map(crate::x509::Certificate::authority_key_identifier)
        .map(crate::b64::encode)
        .collect();
    out.dedup();
    out
}

/// One credential answering one credential query.
#[derive(Clone, Debug, PartialEq)]
pub struct CredentialMatch {
    /// Index of the candidate.
    pub candidate: usize,
    /// The claim set used (index into `claim_sets`), if the query has them.
    pub claim_set: Option<usize>,
    /// Concrete paths (keys and indices) of the claims to disclose.
    pub paths: Vec<Vec<PathElement>>,
}

/// What the wallet can answer.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Selection {
    /// Matches per credential query id, in candidate order.
    pub matches: BTreeMap<String, Vec<CredentialMatch>>,
    /// For each credential set: the first option that can be satisfied.
    pub chosen_options: Vec<Option<Vec<String>>>,
    /// Whether every required part of the query can be answered.
    pub satisfied: bool,
}

impl Selection {
    /// The credential query ids to answer: the chosen options, or every query without sets.
    pub fn query_ids(&self, query: &DcqlQuery) -> Vec<String> {
        match &query.credential_sets {
            None => query.credentials.iter().map(|c| c.id.clone()).collect(),
            Some(_) => {
                let mut ids: Vec<String> = self
                    .chosen_options
                    .iter()
                    .flatten()
                    .flatten()
                    .cloned()
                    .collect();
                ids.sort();
                ids.dedup();
                ids
            }
        }
    }
}

/// Matches one candidate against one credential query (format, meta, holder binding,
/// claims and claim sets, values).
pub(crate) fn match_one(
    q: &CredentialQuery,
    c: &dyn Candidate,
    index: usize,
) -> Result<CredentialMatch, String> {
    match_with(q, c, index, false)
}

/// As [`match_one`]; `presented`: the claims are what a verifier received, so array
/// indices match any element (see [`super::ClaimsPath::for_presented`]).
pub(crate) fn match_with(
    q: &CredentialQuery,
    c: &dyn Candidate,
    index: usize,
    presented: bool,
) -> Result<CredentialMatch, String> {
    if q.format != c.format() {
        return Err(format!("format {} is not {}", c.format(), q.format));
    }
    if let Some(vcts) = &q.meta.vct_values {
        if !c.vct().is_some_and(|v| vcts.iter().any(|x| x == v)) {
            return Err(format!("vct {:?} is not one of {vcts:?}", c.vct()));
        }
    }
    if let Some(sets) = &q.meta.type_values {
        // Every type of at least one inner array (OpenID4VP 1.0 Appendix B.1.1).
        let types = c.vc_types();
        if !sets
            .iter()
            .any(|set| set.iter().all(|t| types.contains(&t.as_str())))
        {
            return Err(format!("types {types:?} match none of {sets:?}"));
        }
    }
    if let Some(d) = &q.meta.doctype_value {
        if c.doctype() != Some(d.as_str()) {
            return Err(format!("doctype {:?} is not {d}", c.doctype()));
        }
    }
    if let Some(tas) = q.trusted_authorities.as_ref().and_then(Value::as_array) {
        let trusted = c.authorities().iter().any(|(kind, values)| {
            tas.iter().any(|ta| {
                ta.get("type").and_then(Value::as_str) == Some(kind.as_str())
                    && ta
                        .get("values")
                        .and_then(Value::as_array)
                        .is_some_and(|vs| {
                            vs.iter()
                                .any(|v| v.as_str().is_some_and(|v| values.iter().any(|x| x == v)))
                        })
            })
        });
        if !trusted {
            return Err("the issuer is not one of the trusted authorities asked for".into());
        }
    }
    if q.require_cryptographic_holder_binding && !c.holder_binding() {
        return Err("the credential is not bound to a holder key".into());
    }
    let Some(claims) = &q.claims else {
        return Ok(CredentialMatch {
            candidate: index,
            claim_set: None,
            paths: Vec::new(),
        });
    };
    // The concrete paths of each claims query that the credential satisfies.
    let found: Vec<Option<Vec<Vec<PathElement>>>> = claims
        .iter()
        .map(|cq| {
            let path = if presented {
                cq.path.for_presented()
            } else {
                cq.path.clone()
            };
            let hits: Vec<Vec<PathElement>> = path
                .select(c.claims())
                .into_iter()
                .filter(|(_, v)| cq.values.as_ref().is_none_or(|vals| vals.contains(v)))
                .map(|(p, _)| p)
                .collect();
            (!hits.is_empty()).then_some(hits)
        })
        .collect();
    let paths_of = |idx: &[usize]| -> Vec<Vec<PathElement>> {
        idx.iter()
            .flat_map(|&i| found[i].clone().unwrap_or_default())
            .collect()
    };
    match &q.claim_sets {
        None => {
            if let Some(i) = found.iter().position(Option::is_none) {
                return Err(format!(
                    "claim {} is missing or has another value",
                    claims[i].path.to_json()
                ));
            }
            Ok(CredentialMatch {
                candidate: index,
                claim_set: None,
                paths: paths_of(&(0..claims.len()).collect::<Vec<_>>()),
            })
        }
        Some(sets) => {
            for (si, set) in sets.iter().enumerate() {
                let idx: Vec<usize> = set
                    .iter()
                    .filter_map(|id| {
                        claims
                            .iter()
                            .position(|c| c.id.as_deref() == Some(id.as_str()))
                    })
                    .collect();
                if idx.iter().all(|&i| found[i].is_some()) {
                    return Ok(CredentialMatch {
                        candidate: index,
                        claim_set: Some(si),
                        paths: paths_of(&idx),
                    });
                }
            }
            Err("no claim set can be satisfied".into())
        }
    }
}

/// Finds, for every credential query, the candidates that answer it, and whether the
/// query can be satisfied as a whole.
pub fn select(query: &DcqlQuery, candidates: &[&dyn Candidate]) -> Selection {
    let mut matches = BTreeMap::new();
    for q in &query.credentials {
        let m: Vec<CredentialMatch> = candidates
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match_one(q, *c, i).ok())
            .collect();
        matches.insert(q.id.clone(), m);
    }
    let answered = |id: &String| {
        matches
            .get(id)
            .is_some_and(|m: &Vec<CredentialMatch>| !m.is_empty())
    };
    let (chosen_options, satisfied) = match &query.credential_sets {
        None => (
            Vec::new(),
            query.credentials.iter().all(|q| answered(&q.id)),
        ),
        Some(sets) => {
            let chosen: Vec<Option<Vec<String>>> = sets
                .iter()
                .map(|s| s.options.iter().find(|o| o.iter().all(answered)).cloned())
                .collect();
            let ok = sets
                .iter()
                .zip(&chosen)
                .all(|(s, c)| !s.required || c.is_some());
            (chosen, ok)
        }
    };
    Selection {
        matches,
        chosen_options,
        satisfied,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::dcql::PresentedCredential;

    fn w3c(format: &str, types: Value) -> PresentedCredential {
        PresentedCredential {
            format: format.into(),
            vct: None,
            doctype: None,
            claims: json!({"type": types, "credentialSubject": {"given_name": "Ada"}}),
            holder_bound: true,
        }
    }

    #[test]
    fn type_values_need_every_type_of_one_inner_array() {
        let q = DcqlQuery::from_json(&json!({"credentials": [{
            "id": "rtw", "format": "jwt_vc_json",
            "meta": {"type_values": [["VerifiableCredential", "RightToWorkCredential"], ["PassportCredential"]]},
            "claims": [{"path": ["credentialSubject", "given_name"]}]
        }]}))
        .unwrap();
        let cq = &q.credentials[0];
        let ok = w3c(
            "jwt_vc_json",
            json!(["VerifiableCredential", "RightToWorkCredential"]),
        );
        assert!(match_one(cq, &ok, 0).is_ok());
        assert!(match_one(cq, &w3c("jwt_vc_json", json!("PassportCredential")), 0).is_ok());
        // One type of the first set is missing, and the second set is not met either.
        let partial = w3c("jwt_vc_json", json!(["VerifiableCredential"]));
        assert!(match_one(cq, &partial, 0)
            .unwrap_err()
            .contains("match none"));
        // Same types, other format.
        let ldp = w3c(
            "ldp_vc",
            json!(["VerifiableCredential", "RightToWorkCredential"]),
        );
        assert!(match_one(cq, &ldp, 0).is_err());
    }
}
