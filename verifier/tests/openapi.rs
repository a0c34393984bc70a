//! `specs/openapi/verifier.yaml` describes the JSON the running service answers: each
//! route's response, as served, validates against the schema the document gives it.

mod common;

use common::{
    client, hr_system, now, running, start_check, stranger, wallet, MemFetcher, Scheme, Story,
    STATUS_URI,
};
use serde_json::{json, Value};
use time::Duration;

fn spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../specs/openapi/verifier.yaml"
    );
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    serde_json::to_value(yaml).unwrap()
}

/// Checks `body` against the schema of `path`'s `method` answer with `status`.
fn conforms(spec: &Value, path: &str, method: &str, status: u16, body: &Value) {
    let op = &spec["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not documented");
    let mut answer = &op["responses"][status.to_string()];
    if let Some(r) = answer["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/responses/");
        answer = &spec["components"]["responses"][name];
    }
    let schema = &answer["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} documents no JSON answer for {status}"
    );
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": schema["$ref"],
        "components": spec["components"],
    });
    let validator = jsonschema::validator_for(&root).unwrap();
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status} does not match the document: {errors:?}\n{body:#}"
    );
}

#[tokio::test]
async fn every_json_answer_of_a_check_matches_the_openapi_document() {
    let spec = spec();
    assert_eq!(spec["openapi"], "3.1.0");
    let s = Scheme::new(Story::Good);
    let r = running(&s, MemFetcher::serving(STATUS_URI, s.status_token(0))).await;
    let base = &r.base;
    let get = |c: reqwest::Client, url: String| async move {
        let resp = c.get(url).send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json::<Value>().await.unwrap())
    };

    // The check bites: a state the document does not list, or a member it does not allow.
    for wrong in [
        json!({"state": "lost"}),
        json!({"state": "pending", "extra": 1}),
    ] {
        let spec = spec.clone();
        let caught = std::panic::catch_unwind(move || {
            conforms(&spec, "/checks/{id}/state", "get", 200, &wrong)
        });
        assert!(caught.is_err());
    }

    let (st, health) = get(client(), format!("{base}/healthz")).await;
    conforms(&spec, "/healthz", "get", st, &health);

    // The HR system's API: create, refused without the key, read back.
    let created = hr_system()
        .post(format!("{base}/api/transactions"))
        .json(&json!({"template": "right-to-work", "response_mode": "direct_post", "planned_start": "2099-01-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let created: Value = created.json().await.unwrap();
    conforms(&spec, "/api/transactions", "post", 200, &created);
    let refused = stranger()
        .post(format!("{base}/api/transactions"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    conforms(
        &spec,
        "/api/transactions",
        "post",
        401,
        &refused.json().await.unwrap(),
    );
    let bad = hr_system()
        .post(format!("{base}/api/transactions"))
        .json(&json!({"response_mode": "query"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    conforms(
        &spec,
        "/api/transactions",
        "post",
        400,
        &bad.json().await.unwrap(),
    );

    // A check through the browser: pending, answered by the wallet, read through the API.
    let id = start_check(&r, "direct_post").await;
    let (st, state) = get(client(), format!("{base}/checks/{id}/state")).await;
    conforms(&spec, "/checks/{id}/state", "get", st, &state);
    let (st, pending) = get(client(), format!("{base}/api/transactions/{id}")).await;
    conforms(&spec, "/api/transactions/{id}", "get", st, &pending);
    let ack = wallet::share(
        &r,
        &id,
        &s,
        &s.issue(None, |_| {}, now() + Duration::days(300)),
    )
    .await;
    conforms(&spec, "/response/{id}", "post", 200, &ack["ack"]);
    let (st, answered) = get(client(), format!("{base}/api/transactions/{id}")).await;
    assert_eq!(answered["state"], "responded");
    conforms(&spec, "/api/transactions/{id}", "get", st, &answered);
    let (st, hidden) = get(stranger(), format!("{base}/api/transactions/{id}")).await;
    assert_eq!(st, 404);
    conforms(&spec, "/api/transactions/{id}", "get", st, &hidden);

    // A second answer to the same transaction is refused as the document says.
    let again = stranger()
        .post(format!("{base}/response/{id}"))
        .form(&[("vp_token", "{}"), ("state", id.as_str())])
        .send()
        .await
        .unwrap();
    let status = again.status().as_u16();
    assert!(status == 400 || status == 404, "{status}");
    conforms(
        &spec,
        "/response/{id}",
        "post",
        status,
        &again.json().await.unwrap(),
    );
}
