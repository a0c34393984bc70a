//! The issuer in operation: `/healthz` at the origin says ready when the database answers,
//! and `/metrics` counts requests by route template and credential responses by format,
//! without a subject id or a claim in any label.

mod support;

use issuer::wallet::Transport;
use support::*;

async fn get(t: &TestIssuer, path: &str) -> (u16, String) {
    let r = Transport::Router(t.router.clone())
        .send("GET", &format!("https://issuer.test{path}"), &[], vec![])
        .await;
    (r.status, String::from_utf8(r.body).unwrap())
}

fn sample(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) && labels.iter().all(|x| l.contains(x)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn healthz_is_ready_and_metrics_count_credential_responses_by_format() {
    let t = issuer().await;
    let (s, body) = get(&t, "/healthz").await;
    assert_eq!(s, 200, "{body}");
    let h: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["checks"]["database"], "ok");

    let (_, before) = get(&t, "/metrics").await;
    let count = |text: &str, format: &str| {
        sample(
            text,
            "vouch_issuer_credential_responses_total",
            &[&format!("format=\"{format}\"")],
        )
    };
    let (sd, mdoc) = (count(&before, "dc+sd-jwt"), count(&before, "mso_mdoc"));

    t.subject("subj-ops-7").await;
    let offer = t
        .offer("subj-ops-7", &["pid_sd_jwt", "mdl_mdoc"], true)
        .await;
    let w = t.wallet();
    let token = w
        .token_pre_authorized(&pre_code(&offer), offer["tx_code"].as_str())
        .await
        .unwrap();
    let keys = holders(2);
    w.issue(&token, "pid_sd_jwt", &dyns(&keys)).await.unwrap();
    w.issue(&token, "mdl_mdoc", &[&holder()]).await.unwrap();

    let (s, text) = get(&t, "/metrics").await;
    assert_eq!(s, 200);
    assert!(count(&text, "dc+sd-jwt") >= sd + 1.0, "{text}");
    assert!(count(&text, "mso_mdoc") >= mdoc + 1.0, "{text}");
    let route = [
        "service=\"issuer\"",
        "route=\"/tenant/credential\"",
        "status=\"200\"",
    ];
    assert!(
        sample(&text, "vouch_http_requests_total", &route) >= 2.0,
        "{text}"
    );
    assert!(
        !text.contains("subj-ops-7") && !text.contains("Ada"),
        "{text}"
    );
}
