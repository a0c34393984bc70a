//! Shared by the registry CLI tests: start `vouch registry serve`, talk to it, fill it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use credentials::keys::{Signer, SoftwareSigner};
use serde_json::{json, Value};
use vouch_registry::http::client::{self, HttpResponse};

pub const OPERATOR: &str = "operator-token-0123456789abcdef";
pub const CAB_A: &str = "cab-a-token-0123456789abcdef";
pub const CAB_B: &str = "cab-b-token-0123456789abcdef";

/// One runtime for every test of the binary: a database pool made on it keeps working in
/// the next `block_on` (a runtime per call left pools bound to a runtime already shut down,
/// which failed the PostgreSQL test once it really ran).
pub fn rt() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// A running `vouch registry serve`, killed on drop.
pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn write_tokens(dir: &Path) {
    std::fs::write(dir.join("operator.token"), OPERATOR).unwrap();
    std::fs::write(
        dir.join("cabs.tokens"),
        format!("# CAB tokens\ncab-a {CAB_A}\ncab-b {CAB_B}\n"),
    )
    .unwrap();
}

pub fn serve(dir: &Path, database_url: &str) -> Server {
    serve_with(dir, database_url, &[])
}

/// As [`serve`], with more arguments.
pub fn serve_with(dir: &Path, database_url: &str, extra: &[&str]) -> Server {
    // A port below 32768 (the kernel hands out the ones above).
    let listen = format!("127.0.0.1:{}", vouch_ops::loopback::free_ports(1));
    let mut child = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args([
            "registry",
            "serve",
            "--database-url",
            database_url,
            "--listen",
            &listen,
            "--data-dir",
        ])
        .arg(dir.join("data"))
        .arg("--admin-token-file")
        .arg(dir.join("operator.token"))
        .arg("--cab-token-file")
        .arg(dir.join("cabs.tokens"))
        // The tests seed a history that starts in 2025: an import, as an operator would.
        .args(["--max-event-skew-seconds", "1000000000"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("vouch registry listening on ")
        .unwrap_or_else(|| panic!("unexpected: {line:?}"))
        .to_string();
    Server { child, url }
}

pub fn get(url: &str, path: &str) -> HttpResponse {
    rt().block_on(client::get(url, path)).unwrap()
}

pub fn post(url: &str, path: &str, token: Option<&str>, body: &Value) -> HttpResponse {
    rt().block_on(client::request(
        "POST",
        url,
        path,
        token,
        Some(&body.to_string()),
    ))
    .unwrap()
}

pub fn cert(number: &str, cab: &str, issued: &str, expires: &str) -> Value {
    json!({"number": number, "body": {"cab_id": cab, "name": format!("{cab} Certification Ltd"), "ukas_accreditation": "0001"},
           "framework_version": "1.0", "issued_at": issued, "expires_at": expires})
}

pub fn registration(entry_id: &str, cab: &str, jwk: &Value) -> Value {
    json!({
        "occurred_at": "2025-07-01T00:00:00Z",
        "legal_basis": "DUAA 2025 s.33",
        "evidence": [{"description": "certification feedback report", "digest": format!("sha-256:{}", "cd".repeat(32))}],
        "body": {
            "entry_id": entry_id,
            "provider": {"provider_id": format!("p-{entry_id}"), "legal_name": format!("{entry_id} Identity Ltd"), "company_number": "01234567", "jurisdiction": "GB"},
            "service": {"name": format!("{entry_id} ID"), "roles": ["identity_service_provider"], "credential_types": ["urn:vouch:uk:right-to-work:1", "urn:vouch:uk:right-to-work:2"]},
            "certificate": cert(&format!("{entry_id}-1"), cab, "2025-06-01T00:00:00Z", "2028-06-01T00:00:00Z"),
            "anchors": [{"anchor_id": "k1", "kind": "iss_key", "iss": format!("https://{entry_id}.example"), "jwk": jwk}],
            "expires_at": "2028-06-01T00:00:00Z"
        }
    })
}

pub fn vouch(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .output()
        .unwrap()
}

pub fn populate(url: &str, issuer: &SoftwareSigner) {
    let jwk = issuer.public_key().to_jwk().to_value();
    assert_eq!(
        post(
            url,
            "/events/entry.registered",
            Some(OPERATOR),
            &registration("acme", "cab-a", &jwk)
        )
        .status,
        201
    );
    let note = json!({"occurred_at": "2025-08-01T00:00:00Z", "body": {"entry_id": "acme", "note": {"code": "right_to_work", "code_version": "1.0",
        "certificate": cert("acme-rtw-1", "cab-a", "2025-07-15T00:00:00Z", "2028-06-01T00:00:00Z")}}});
    assert_eq!(
        post(url, "/events/note.added", Some(OPERATOR), &note).status,
        201
    );
    let rp = json!({"body": {"relying_party": {"relying_party_id": "https://hr.employer.example", "name": "Employer plc",
        "purposes": [{"purpose": "right_to_work", "credential_types": ["urn:vouch:uk:right-to-work:2", "urn:vouch:uk:right-to-work:1"],
            "claims": ["given_name", "family_name", "portrait", "verified_claims/claims/given_name", "verified_claims/claims/family_name"]}]}}});
    assert_eq!(
        post(url, "/events/relying_party.registered", Some(OPERATOR), &rp).status,
        201
    );
    let suspend = json!({"occurred_at": "2026-04-01T00:00:00Z", "body": {"entry_id": "acme", "certificate_number": "acme-1"}});
    let r = post(url, "/events/certificate.suspended", Some(CAB_A), &suspend);
    assert_eq!(r.status, 201, "{}", r.text());
    let reinstate = json!({"occurred_at": "2026-05-01T00:00:00Z", "body": {"entry_id": "acme", "certificate_number": "acme-1"}});
    assert_eq!(
        post(
            url,
            "/events/certificate.reinstated",
            Some(CAB_A),
            &reinstate
        )
        .status,
        201
    );
}
