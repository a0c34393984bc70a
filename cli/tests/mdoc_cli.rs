//! `vouch pki` and `vouch mdoc`: the offline issue / present / verify journey.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

fn vouch(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

struct F(tempfile::TempDir);

impl F {
    fn p(&self, n: &str) -> String {
        self.0.path().join(n).to_string_lossy().into_owned()
    }
    fn run(&self, out: &str, args: &[&str], stdin: &[u8]) {
        let o = vouch(args, stdin);
        assert!(
            o.status.success(),
            "vouch {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        std::fs::write(self.0.path().join(out), o.stdout).unwrap();
    }
    /// `vouch mdoc present` of the issued mdoc over the test transcript into response.cbor.
    fn present(&self, extra: &[&str]) {
        let (m, k, t) = (
            self.p("mdoc.cbor"),
            self.p("device.jwk"),
            self.p("transcript.cbor"),
        );
        let mut args = vec![
            "mdoc",
            "present",
            "--mdoc",
            &m,
            "--device-key",
            &k,
            "--transcript",
            &t,
        ];
        args.extend_from_slice(extra);
        self.run("response.cbor", &args, b"");
    }
    fn read(&self, n: &str) -> Vec<u8> {
        std::fs::read(self.0.path().join(n)).unwrap()
    }
    fn verify(&self, response: &[u8], extra: &[&str]) -> (i32, Value) {
        let (iaca, t) = (self.p("iaca.pem"), self.p("transcript.cbor"));
        let mut args = vec!["mdoc", "verify", "--iaca", &iaca, "--transcript", &t];
        args.extend_from_slice(extra);
        let o = vouch(&args, response);
        (
            o.status.code().unwrap(),
            serde_json::from_slice(&o.stdout).unwrap(),
        )
    }
}

fn setup() -> F {
    let f = F(tempfile::tempdir().unwrap());
    for k in ["iaca", "ds", "device", "reader"] {
        f.run(&format!("{k}.jwk"), &["key", "new", "--alg", "ES256"], b"");
        f.run(
            &format!("{k}.pub.jwk"),
            &["key", "public"],
            &f.read(&format!("{k}.jwk")),
        );
    }
    f.run(
        "iaca.pem",
        &[
            "pki",
            "iaca",
            "--key",
            &f.p("iaca.jwk"),
            "--country",
            "GB",
            "--name",
            "Test IACA",
        ],
        b"",
    );
    f.run(
        "ds.pem",
        &[
            "pki",
            "ds",
            "--iaca",
            &f.p("iaca.pem"),
            "--iaca-key",
            &f.p("iaca.jwk"),
            "--key",
            &f.p("ds.pub.jwk"),
        ],
        b"",
    );
    let claims = json!({"org.iso.18013.5.1": {
        "family_name": "Lovelace", "given_name": "Ada", "birth_date": "1990-12-10",
        "issuing_country": "GB", "age_over_18": true, "portrait": {"bytes_b64": "/9j/4AAQSkZJRg=="},
        "driving_privileges": [{"vehicle_category_code": "B", "issue_date": "2010-01-01"}]
    }});
    std::fs::write(f.0.path().join("claims.json"), claims.to_string()).unwrap();
    // An OpenID4VP-style transcript: [null, null, ["OpenID4VPHandover", h'00..']].
    let mut t = vec![0x83, 0xf6, 0xf6, 0x82, 0x71];
    t.extend_from_slice(b"OpenID4VPHandover");
    t.extend_from_slice(&[0x58, 0x20]);
    t.extend_from_slice(&[7u8; 32]);
    std::fs::write(f.0.path().join("transcript.cbor"), t).unwrap();
    f.run(
        "mdoc.cbor",
        &[
            "mdoc",
            "issue",
            "--claims",
            &f.p("claims.json"),
            "--ds-key",
            &f.p("ds.jwk"),
            "--ds-cert",
            &f.p("ds.pem"),
            "--device-key",
            &f.p("device.pub.jwk"),
        ],
        b"",
    );
    f
}

#[test]
fn issued_mdoc_presents_only_the_chosen_elements_and_verifies() {
    let f = setup();
    f.present(&[
        "--disclose",
        "org.iso.18013.5.1/given_name",
        "--disclose",
        "org.iso.18013.5.1/portrait",
        "--disclose",
        "org.iso.18013.5.1/driving_privileges",
    ]);
    let (code, report) = f.verify(&f.read("response.cbor"), &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["format"], "mso_mdoc");
    assert_eq!(report["doctype"], "org.iso.18013.5.1.mDL");
    let ns = &report["claims"]["org.iso.18013.5.1"];
    assert_eq!(ns["given_name"], "Ada");
    assert_eq!(ns["portrait"]["bytes_b64"], "/9j/4AAQSkZJRg==");
    assert_eq!(ns["driving_privileges"][0]["issue_date"], "2010-01-01");
    assert!(ns.get("family_name").is_none());
}

#[test]
fn tampered_element_is_a_digest_mismatch_and_another_transcript_fails_device_auth() {
    let f = setup();
    f.present(&["--disclose", "org.iso.18013.5.1/family_name"]);
    let mut bytes = f.read("response.cbor");
    let at = bytes.windows(8).position(|w| w == b"Lovelace").unwrap();
    bytes[at] = b'M';
    let (code, report) = f.verify(&bytes, &[]);
    assert_eq!(
        (code, report["error"]["code"].as_str()),
        (1, Some("digest_mismatch"))
    );
    assert_eq!(report["claims"], Value::Null);
    let mut t = std::fs::read(f.p("transcript.cbor")).unwrap();
    *t.last_mut().unwrap() ^= 1;
    std::fs::write(f.p("other.cbor"), t).unwrap();
    let o = vouch(
        &[
            "mdoc",
            "verify",
            "--iaca",
            &f.p("iaca.pem"),
            "--transcript",
            &f.p("other.cbor"),
        ],
        &f.read("response.cbor"),
    );
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["error"]["code"], "device_signature_invalid");
}

#[test]
fn device_mac_verifies_with_the_reader_key_and_expiry_is_enforced() {
    let f = setup();
    f.present(&[
        "--disclose",
        "org.iso.18013.5.1/age_over_18",
        "--mac-for-reader",
        &f.p("reader.pub.jwk"),
    ]);
    let reader = f.p("reader.jwk");
    let (code, report) = f.verify(&f.read("response.cbor"), &["--reader-key", &reader]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["claims"]["org.iso.18013.5.1"]["age_over_18"], true);
    let (_, report) = f.verify(&f.read("response.cbor"), &[]);
    assert_eq!(report["error"]["code"], "reader_key_missing");
    let (code, report) = f.verify(
        &f.read("response.cbor"),
        &["--reader-key", &reader, "--at", "2090-01-01T00:00:00Z"],
    );
    assert_eq!(code, 1);
    assert_eq!(report["error"]["code"], "certificate_expired");
}

#[test]
fn untrusted_iaca_is_refused() {
    let f = setup();
    f.run("other-iaca.jwk", &["key", "new"], b"");
    f.run(
        "other.pem",
        &[
            "pki",
            "iaca",
            "--key",
            &f.p("other-iaca.jwk"),
            "--country",
            "GB",
            "--name",
            "Other",
        ],
        b"",
    );
    f.present(&["--disclose", "org.iso.18013.5.1/family_name"]);
    let o = vouch(
        &[
            "mdoc",
            "verify",
            "--iaca",
            &f.p("other.pem"),
            "--transcript",
            &f.p("transcript.cbor"),
        ],
        &f.read("response.cbor"),
    );
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(report["error"]["code"], "untrusted_root");
}

#[test]
fn bad_inputs_are_usage_errors_with_exit_2() {
    let f = setup();
    let bad: PathBuf = f.0.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"org.iso.18013.5.1": {"birth_date": "10/12/1990"}}"#,
    )
    .unwrap();
    let o = vouch(
        &[
            "mdoc",
            "issue",
            "--claims",
            &bad.to_string_lossy(),
            "--ds-key",
            &f.p("ds.jwk"),
            "--ds-cert",
            &f.p("ds.pem"),
            "--device-key",
            &f.p("device.pub.jwk"),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("full-date"));
    let o = vouch(
        &[
            "pki",
            "iaca",
            "--key",
            &f.p("iaca.jwk"),
            "--country",
            "Britain",
            "--name",
            "x",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(2));
    // A DS key that is not the certificate's.
    let o = vouch(
        &[
            "mdoc",
            "issue",
            "--claims",
            &f.p("claims.json"),
            "--ds-key",
            &f.p("device.jwk"),
            "--ds-cert",
            &f.p("ds.pem"),
            "--device-key",
            &f.p("device.pub.jwk"),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(2));
}
