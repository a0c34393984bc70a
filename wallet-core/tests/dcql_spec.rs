//! Every DCQL query of `specs/dcql/` (the OpenID4VP 1.0 examples and the supplementary
//! queries) run through `credentials::dcql::select` over the fixture wallet, the way the
//! wallet runs it, and compared with `expected/*.json` (made by the independent npm `dcql`
//! oracle, overridden where the spec text wins).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use credentials::dcql::{select, Candidate, ClaimsPath, DcqlQuery};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/dcql")
}

fn read(p: &Path) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .unwrap()
}

struct Fixture {
    id: String,
    v: Value,
    authority: Option<(String, Vec<String>)>,
}

impl Candidate for Fixture {
    fn format(&self) -> &str {
        self.v["format"].as_str().unwrap()
    }
    fn vct(&self) -> Option<&str> {
        self.v["vct"].as_str()
    }
    fn doctype(&self) -> Option<&str> {
        self.v["doctype"].as_str()
    }
    fn claims(&self) -> &Value {
        &self.v["claims"]
    }
    fn holder_binding(&self) -> bool {
        self.v["holder_binding"].as_bool().unwrap_or(false)
    }
    fn authority(&self) -> Option<(&str, &[String])> {
        self.authority
            .as_ref()
            .map(|(t, v)| (t.as_str(), v.as_slice()))
    }
}

#[test]
fn spec_dcql_examples_select_the_expected_credentials_and_claims() {
    let expected_dir = root().join("expected");
    if !expected_dir.is_dir() {
        panic!("specs/dcql/expected is missing");
    }
    let wallet: Vec<Fixture> = read(&root().join("wallet/credentials.json"))
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Fixture {
            id: v["id"].as_str().unwrap().to_string(),
            authority: v.get("authority").map(|a| {
                (
                    a["type"].as_str().unwrap().to_string(),
                    a["values"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_str().unwrap().to_string())
                        .collect(),
                )
            }),
            v: v.clone(),
        })
        .collect();
    let cands: Vec<&dyn Candidate> = wallet.iter().map(|c| c as &dyn Candidate).collect();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&expected_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.ends_with(".json") && !n.contains("oracle") && n != "ORACLE.json"
        })
        .collect();
    files.sort();
    let mut examples = 0;
    for f in &files {
        let exp = read(f);
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let query = DcqlQuery::from_json(&read(&root().join(exp["query"].as_str().unwrap())))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let sel = select(&query, &cands);
        assert_eq!(
            sel.satisfied,
            exp["can_be_satisfied"].as_bool().unwrap(),
            "{name}: can_be_satisfied"
        );
        for (qid, ids) in exp["matches"].as_object().unwrap() {
            let got: Vec<&str> = sel.matches[qid]
                .iter()
                .map(|m| wallet[m.candidate].id.as_str())
                .collect();
            let want: Vec<&str> = ids
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap())
                .collect();
            assert_eq!(got, want, "{name}: matches of {qid}");
        }
        for (qid, per) in exp["claims"].as_object().unwrap() {
            for (cid, c) in per.as_object().unwrap() {
                let m = sel.matches[qid]
                    .iter()
                    .find(|m| wallet[m.candidate].id == *cid)
                    .unwrap_or_else(|| panic!("{name}: {qid} has no match {cid}"));
                assert_eq!(
                    m.claim_set.map(|i| i as u64),
                    c["claim_set_index"].as_u64(),
                    "{name}: claim set of {qid}/{cid}"
                );
                let got: BTreeSet<String> = m
                    .paths
                    .iter()
                    .map(|p| ClaimsPath(p.clone()).to_json().to_string())
                    .collect();
                // `selected` holds the concrete paths (null wildcards expanded).
                let want: BTreeSet<String> = c["selected"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["path"].to_string())
                    .collect();
                assert_eq!(got, want, "{name}: paths of {qid}/{cid}");
            }
        }
        let sets = exp["credential_sets"].as_array().unwrap();
        for (i, s) in sets.iter().enumerate() {
            let chosen = &sel.chosen_options[i];
            assert_eq!(
                chosen.is_some(),
                s["satisfied"].as_bool().unwrap(),
                "{name}: set {i}"
            );
            if let Some(first) = s["matching_options"].as_array().unwrap().first() {
                let want: Vec<String> = serde_json::from_value(first.clone()).unwrap();
                assert_eq!(
                    chosen.as_ref(),
                    Some(&want),
                    "{name}: chosen option of set {i}"
                );
            }
        }
        examples += 1;
    }
    assert!(examples >= 26, "only {examples} expected files");
}
