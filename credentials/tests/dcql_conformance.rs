//! DCQL against `specs/dcql/`: the OpenID4VP 1.0 spec examples and supplementary queries
//! match the wallet's credentials exactly as the expected results (produced by the
//! independent npm `dcql` oracle, overridden where the spec text disagrees) say; every
//! invalid query is refused; every presented response is accepted or refused as expected.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use credentials::dcql::{
    check_response, select, Candidate, ClaimsPath, DcqlQuery, PathElement, PresentedCredential,
};
use serde_json::Value;

fn specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/dcql")
}

fn json(p: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

struct WalletCredential(Value);

impl Candidate for WalletCredential {
    fn format(&self) -> &str {
        self.0["format"].as_str().unwrap()
    }
    fn vct(&self) -> Option<&str> {
        self.0["vct"].as_str()
    }
    fn doctype(&self) -> Option<&str> {
        self.0["doctype"].as_str()
    }
    fn claims(&self) -> &Value {
        &self.0["claims"]
    }
    fn holder_binding(&self) -> bool {
        self.0["holder_binding"].as_bool().unwrap_or(false)
    }
    fn authority(&self) -> Option<(&str, &[String])> {
        None
    }
}

struct WithAuthority(WalletCredential, Option<(String, Vec<String>)>);

impl Candidate for WithAuthority {
    fn format(&self) -> &str {
        self.0.format()
    }
    fn vct(&self) -> Option<&str> {
        self.0.vct()
    }
    fn doctype(&self) -> Option<&str> {
        self.0.doctype()
    }
    fn claims(&self) -> &Value {
        self.0.claims()
    }
    fn holder_binding(&self) -> bool {
        self.0.holder_binding()
    }
    fn authority(&self) -> Option<(&str, &[String])> {
        self.1.as_ref().map(|(t, v)| (t.as_str(), v.as_slice()))
    }
}

fn wallet() -> Vec<(String, WithAuthority)> {
    json(&specs().join("wallet/credentials.json"))
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let auth = c.get("authority").map(|a| {
                (
                    a["type"].as_str().unwrap().to_string(),
                    a["values"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().unwrap().to_string())
                        .collect(),
                )
            });
            (
                c["id"].as_str().unwrap().to_string(),
                WithAuthority(WalletCredential(c.clone()), auth),
            )
        })
        .collect()
}

fn concrete(path: &[PathElement]) -> Value {
    ClaimsPath(path.to_vec()).to_json()
}

#[test]
fn spec_examples_and_supplementary_queries_match_as_expected() {
    let wallet = wallet();
    let candidates: Vec<&dyn Candidate> = wallet.iter().map(|(_, c)| c as &dyn Candidate).collect();
    let mut checked = 0;
    let mut entries: Vec<_> = fs::read_dir(specs().join("expected"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.chars().next().unwrap().is_ascii_digit() {
            continue;
        }
        let expected = json(&path);
        let query = DcqlQuery::from_json(&json(&specs().join(expected["query"].as_str().unwrap())))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(expected["valid_query"].as_bool().unwrap(), "{name}");
        let sel = select(&query, &candidates);
        assert_eq!(
            sel.satisfied,
            expected["can_be_satisfied"].as_bool().unwrap(),
            "{name}: can_be_satisfied"
        );
        for (qid, ids) in expected["matches"].as_object().unwrap() {
            let got: Vec<&str> = sel.matches[qid]
                .iter()
                .map(|m| wallet[m.candidate].0.as_str())
                .collect();
            let want: Vec<&str> = ids
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(got, want, "{name}: matches of {qid}");
        }
        for (i, set) in expected["credential_sets"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            assert_eq!(
                sel.chosen_options[i].is_some(),
                set["satisfied"].as_bool().unwrap(),
                "{name}: credential set {i}"
            );
            if let Some(first) = set["matching_options"].as_array().and_then(|o| o.first()) {
                let first: Vec<String> = serde_json::from_value(first.clone()).unwrap();
                assert_eq!(
                    sel.chosen_options[i].as_ref(),
                    Some(&first),
                    "{name}: preferred option of set {i}"
                );
            }
        }
        for (qid, per) in expected["claims"].as_object().unwrap() {
            for (cid, want) in per.as_object().unwrap() {
                let m = sel.matches[qid]
                    .iter()
                    .find(|m| wallet[m.candidate].0 == *cid)
                    .unwrap_or_else(|| panic!("{name}: {qid}/{cid}"));
                assert_eq!(
                    m.claim_set.map(|i| i as u64),
                    want["claim_set_index"].as_u64(),
                    "{name}: claim set of {qid}/{cid}"
                );
                let mut got: Vec<Value> = m.paths.iter().map(|p| concrete(p)).collect();
                let mut exp: Vec<Value> = want["selected"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["path"].clone())
                    .collect();
                got.sort_by_key(|v| v.to_string());
                exp.sort_by_key(|v| v.to_string());
                got.dedup();
                exp.dedup();
                assert_eq!(got, exp, "{name}: disclosed paths of {qid}/{cid}");
            }
        }
        checked += 1;
    }
    assert!(checked >= 26, "only {checked} expected files");
}

#[test]
fn every_invalid_query_is_refused() {
    let mut n = 0;
    for e in fs::read_dir(specs().join("invalid")).unwrap().flatten() {
        let case = json(&e.path());
        let r = DcqlQuery::from_json(&case["query"]);
        assert!(
            r.is_err(),
            "{} was accepted: {}",
            e.path().display(),
            case["reason"]
        );
        n += 1;
    }
    assert!(n >= 40);
}

#[test]
fn presented_responses_are_accepted_or_refused_as_expected() {
    let mut n = 0;
    for e in fs::read_dir(specs().join("presented")).unwrap().flatten() {
        let case = json(&e.path());
        let query =
            DcqlQuery::from_json(&json(&specs().join(case["query"].as_str().unwrap()))).unwrap();
        let presented: BTreeMap<String, Vec<PresentedCredential>> = case["presented"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, list)| {
                let list = list
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| PresentedCredential {
                        format: p["format"].as_str().unwrap().into(),
                        vct: p["vct"].as_str().map(Into::into),
                        doctype: p["doctype"].as_str().map(Into::into),
                        claims: p["claims"].clone(),
                        holder_bound: p["holder_binding"].as_bool().unwrap_or(false),
                    })
                    .collect();
                (k.clone(), list)
            })
            .collect();
        let got = check_response(&query, &presented);
        let ok = case["expected_ok"].as_bool().unwrap();
        assert_eq!(
            got.is_ok(),
            ok,
            "{}: {} ({:?})",
            e.path().display(),
            case["reason"],
            got
        );
        if let (Ok(discarded), Some(want)) = (&got, case.get("expected_discarded")) {
            let want: BTreeMap<String, Vec<usize>> = serde_json::from_value(want.clone()).unwrap();
            assert_eq!(discarded, &want, "{}", e.path().display());
        }
        n += 1;
    }
    assert!(n >= 25);
}
