//! The DCQL query templates a check is started from, shipped in `specs/dcql/templates/`.

use std::collections::BTreeMap;

use credentials::dcql::DcqlQuery;
use serde_json::Value;

/// The DCQL templates shipped in `specs/dcql/templates/`.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "right-to-work",
        include_str!("../../../specs/dcql/templates/right-to-work.json"),
    ),
    (
        "right-to-work-w3c",
        include_str!("../../../specs/dcql/templates/right-to-work-w3c.json"),
    ),
];

/// Loads the shipped templates.
pub fn templates() -> BTreeMap<String, DcqlQuery> {
    TEMPLATES
        .iter()
        .map(|(n, t)| {
            let v: Value = serde_json::from_str(t).expect("template JSON");
            (
                n.to_string(),
                DcqlQuery::from_json(&v).expect("template DCQL"),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The right-to-work template asks for version 2 of the credential (its claims inside
    /// OIDC4IA `verified_claims`) or, failing that, version 1: one credential set whose
    /// options prefer version 2.
    #[test]
    fn right_to_work_prefers_version_2_and_accepts_version_1() {
        let t = templates();
        let q = &t["right-to-work"];
        let sets = q.credential_sets.as_ref().expect("a credential set");
        assert_eq!(sets.len(), 1);
        assert!(sets[0].required);
        assert_eq!(
            sets[0].options,
            vec![
                vec!["right_to_work_v2".to_string()],
                vec!["right_to_work".to_string()]
            ]
        );
        let vct = |id: &str| {
            q.credential(id)
                .and_then(|c| c.meta.vct_values.clone())
                .unwrap_or_default()
        };
        assert_eq!(vct("right_to_work_v2"), [crate::rtw::RTW_V2_VCT]);
        assert_eq!(vct("right_to_work"), [crate::rtw::RTW_VCT]);
        let v2 = q.credential("right_to_work_v2").unwrap();
        let claims = v2.claims.as_ref().unwrap();
        assert_eq!(claims.len(), 15);
        assert!(claims.iter().all(|c| {
            let path = c.path.to_json();
            path[0] == "verified_claims" || path == serde_json::json!(["portrait"])
        }));
    }
}
