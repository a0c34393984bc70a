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
