//! The consent screen in plain words (issue #21): the demo right-to-work request from
//! Example Employer plc reads as a person would say it. No raw claim key, client identifier
//! or certificate subject outside the folded "Technical details", no ISO date; labels from
//! the type metadata, the date of birth as "10 December 1990", nationality and document in
//! words, the photo as a picture, the purpose once, and each claim still marked for the
//! browser journey (`#requested-claims tr[data-claim]`).

use std::collections::HashMap;

use serde_json::Value;
use vouch_wallet_web::{consent_html, Held};
use wallet_core::consent::{
    ConsentRequest, RequestedClaim, RequestedCredential, TrustFinding, VerifierInfo,
};

const RTW: &str = "urn:vouch:uk:right-to-work:1";
const RTW_V2: &str = "urn:vouch:uk:right-to-work:2";

/// Every concrete path (keys and indices) a DCQL claims path (null: every element) selects
/// in `value`.
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

/// The demo request as the wallet makes it from the right-to-work template's credential
/// query `query_id`, answered with `example`: one claim per concrete path, named as
/// registrations name it (keys joined by `/`, array elements dropped).
fn request_for(query_id: &str, vct: &str, example: &str) -> ConsentRequest {
    let example: Value = serde_json::from_str(example).unwrap();
    let template: Value = serde_json::from_str(include_str!(
        "../../specs/dcql/templates/right-to-work.json"
    ))
    .unwrap();
    let query = template["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == query_id)
        .unwrap();
    let claims = query["claims"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| expand(c["path"].as_array().unwrap(), &example))
        .map(|path| {
            let pointer: String = path
                .iter()
                .map(|p| match p {
                    Value::String(s) => format!("/{s}"),
                    other => format!("/{other}"),
                })
                .collect();
            let name = path
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("/");
            RequestedClaim {
                key: format!("{query_id}{pointer}"),
                name,
                value: example.pointer(&pointer).cloned().unwrap(),
                registered: true,
            }
        })
        .collect();
    ConsentRequest {
        id: "req-1".into(),
        verifier: VerifierInfo {
            client_id: "x509_san_dns:localhost".into(),
            name: Some("Example Employer plc".into()),
            registered: true,
            certificate_subject: Some("CN=localhost,O=Vouch verifier".into()),
        },
        purpose: Some("right_to_work".into()),
        purpose_description: Some("Right-to-work check before employment starts".into()),
        retention: Some(wallet_core::consent::Retention {
            period: "P2Y".into(),
            description: "For your employment and 2 years after it ends; 6 months after the check if you are not employed".into(),
        }),
        credentials: vec![RequestedCredential {
            query_id: query_id.into(),
            credential_id: "cred-1".into(),
            type_name: vct.into(),
            claims,
            reused: false,
        }],
        trust: TrustFinding::Registered,
        refused: None,
    }
}

/// The demo request: the right-to-work template's twelve version 1 claims of the example
/// citizen.
fn demo_request() -> ConsentRequest {
    request_for(
        "right_to_work",
        RTW,
        include_str!("../../specs/examples/right-to-work.claims.json"),
    )
}

/// The text a person reads in `html` (tags dropped), without the folded technical details.
fn visible(html: &str) -> String {
    let main = &html[html.find("<main").expect("a main element")..];
    let main = &main[..main.find("</main>").expect("main ends")];
    let (before, after) = main
        .split_once("<details")
        .expect("a Technical details section");
    let after = &after[after.find("</details>").expect("details end") + 10..];
    let mut text = String::new();
    let mut in_tag = false;
    for ch in format!("{before} {after}").chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn held() -> HashMap<String, Held> {
    HashMap::from([(
        "cred-1".to_string(),
        Held {
            credential_metadata: None,
            provider: Some("Vouch Test IDSP Ltd".into()),
        },
    )])
}

#[test]
fn the_consent_screen_is_in_plain_words() {
    let html = consent_html(&demo_request(), &held());
    let text = visible(&html);

    for raw in [
        "given_name",
        "family_name",
        "birthdate",
        "expiry_date",
        "document/",
        "gpg45_profile",
        "check_date",
        "checked_by",
        "right_to_work",
        "x509_san_dns:",
        "CN=",
        "urn:vouch",
    ] {
        assert!(!text.contains(raw), "{raw:?} is shown: {text}");
    }
    // No ISO date anywhere a person reads.
    let bytes = text.as_bytes();
    let iso = bytes.windows(10).any(|w| {
        w.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
    });
    assert!(!iso, "an ISO date is shown: {text}");

    // Who, why (once), and what, in words.
    assert!(
        text.contains("Example Employer plc wants to see your details"),
        "{text}"
    );
    assert!(text.contains("On the trust register"), "{text}");
    assert_eq!(text.matches("Right-to-work check").count(), 1, "{text}");
    assert!(text.contains("Date of birth 10 December 1990"), "{text}");
    assert!(text.contains("Nationality British"), "{text}");
    assert!(text.contains("Document type Passport"), "{text}");
    assert!(
        text.contains("Document expiry date 14 March 2033"),
        "{text}"
    );
    assert!(text.contains("Date of check 20 November 2026"), "{text}");
    assert!(text.contains("GPG 45 profile M1B"), "{text}");
    assert!(text.contains("Level of confidence Medium"), "{text}");
    assert!(
        text.contains("From your Right to work check, issued by Vouch Test IDSP Ltd"),
        "{text}"
    );
    assert_eq!(text.matches("From your").count(), 1, "{text}");
    assert!(text.contains("Share") && text.contains("Decline"), "{text}");
    // How long they keep it, in the register's words, once.
    assert!(
        text.contains("How long they will keep it For your employment and 2 years after it ends; 6 months after the check if you are not employed"),
        "{text}"
    );
    assert!(!text.contains("P2Y"), "{text}");

    // The photo is a picture a person can compare, at least 120 px wide.
    assert!(html.contains(r#"<img class="portrait" src="data:image/jpeg;base64,"#));
    assert!(
        html.contains(".portrait{width:160px"),
        "the portrait's width"
    );

    // The technical details are there, folded away.
    let details = &html[html.find("<details").unwrap()..];
    assert!(details.contains("<summary>Technical details</summary>"));
    assert!(details.contains("x509_san_dns:localhost"));
    assert!(details.contains("CN=localhost,O=Vouch verifier"));

    // Every claim is still a row the browser journey counts.
    assert_eq!(html.matches("<tr data-claim=").count(), 12);
    let section = &html[html.find(r#"<div id="requested-claims">"#).unwrap()..];
    let section = &section[..section.find("</div>").unwrap()];
    assert_eq!(section.matches("<tr data-claim=").count(), 12);
}

#[test]
fn the_issuers_own_labels_come_first_and_an_unknown_verifier_is_not_named_by_its_address() {
    let mut req = demo_request();
    req.verifier.name = None;
    req.verifier.registered = false;
    req.trust = TrustFinding::UnregisteredVerifier;
    let metadata = serde_json::json!({
        "display": [{"locale": "en-GB", "name": "Right to work (from the issuer)"}],
        "claims": [{"path": ["given_name"], "display": [{"locale": "en-GB", "name": "First names"}]}],
    });
    let held = HashMap::from([(
        "cred-1".to_string(),
        Held {
            credential_metadata: Some(metadata),
            provider: None,
        },
    )]);
    let html = consent_html(&req, &held);
    let text = visible(&html);
    assert!(text.contains("First names Ada"), "{text}");
    assert!(text.contains("Surname Lovelace"), "{text}");
    assert!(
        text.contains("From your Right to work (from the issuer)"),
        "{text}"
    );
    assert!(text.contains("Not on the trust register"), "{text}");
    assert!(!text.contains("localhost"), "{text}");
    assert!(html.contains(r#"id="finding""#));
}

/// Version 2 (the assurance as OIDC4IA `verified_claims`): every claim the template asks of
/// it is shown by its type metadata label, nested ones included, its value in words; no
/// raw key, code or ISO date.
#[test]
fn a_version_2_consent_screen_is_in_plain_words_too() {
    let req = request_for(
        "right_to_work_v2",
        RTW_V2,
        include_str!("../../specs/examples/right-to-work-v2.claims.json"),
    );
    let html = consent_html(&req, &held());
    let text = visible(&html);
    for raw in [
        "verified_claims",
        "verification",
        "assurance",
        "trust_framework",
        "uk_tfida",
        "gpg45",
        "document_details",
        "date_of_expiry",
        "check_details",
        "organization",
        "GBR",
        "right_to_work",
        "urn:vouch",
    ] {
        assert!(!text.contains(raw), "{raw:?} is shown: {text}");
    }
    let bytes = text.as_bytes();
    let iso = bytes.windows(10).any(|w| {
        w.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
    });
    assert!(!iso, "an ISO date is shown: {text}");
    for said in [
        "Given names Ada",
        "Surname Lovelace",
        "Date of birth 10 December 1990",
        "Nationalities British",
        "Trust framework UK digital identity and attributes trust framework",
        "Level of confidence Medium",
        "Standard followed GPG 45",
        "GPG 45 profile M1B",
        "Date of check 20 November 2026",
        "Type of evidence Document",
        "Document type Passport",
        "Document number 123456789",
        "Document expiry date 14 March 2033",
        "Checked by Vouch Test IDSP Ltd",
        "From your Right to work check, issued by Vouch Test IDSP Ltd",
    ] {
        assert!(text.contains(said), "{said:?} not in: {text}");
    }
    assert!(html.contains(r#"<img class="portrait" src="data:image/jpeg;base64,"#));
    // Fifteen claims asked; the organisation of each of the two checks is its own row.
    assert_eq!(html.matches("<tr data-claim=").count(), 16);
}
