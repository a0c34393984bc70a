//! `vouch up` as a newcomer runs it: it starts the register, the issuer, the verifier and the
//! web wallet on free ports in a temporary data directory, seeds them (the provider answers
//! `authorize` for right-to-work credentials, the employer `may_request` for the claims of
//! the right-to-work DCQL template), restarts from the same directory without re-seeding, and
//! stops every child on SIGINT. Then the whole journey in headless Chromium
//! (`tests/e2e/journey.mjs`): a PID and a right-to-work credential into the web wallet, a
//! check that passes, the certificate suspended on the register, a new check that fails
//! with the reason shown, and the earlier record still verifying with `vouch verifier
//! check-record`.
//!
//! The browser test needs `/usr/bin/chromium` and node (`.ci/run` installs them) and runs
//! `scripts/setup-peers.sh` itself (the npm test peers, playwright-core among them; a no-op
//! when warm); outside CI a missing browser skips it with a notice.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

fn vouch() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vouch"))
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

/// A base port with it and the next three free on 127.0.0.1.
fn free_base_port() -> u16 {
    vouch_ops::loopback::free_ports(4)
}

/// A running `vouch up`; SIGINT on drop.
struct Up {
    child: Child,
    lines: Receiver<String>,
    ready: Value,
    dir: PathBuf,
}

impl Up {
    fn start(dir: &Path, base: u16) -> Up {
        Up::start_with(dir, base, &[])
    }

    fn start_with(dir: &Path, base: u16, extra: &[&str]) -> Up {
        let _ = std::fs::remove_file(dir.join("ready.json"));
        let mut child = vouch()
            .args(["up", "--data-dir"])
            .arg(dir)
            .args(["--base-port", &base.to_string()])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let (tx, lines) = channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                eprintln!("vouch up: {l}");
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let mut up = Up {
            child,
            lines,
            ready: Value::Null,
            dir: dir.to_path_buf(),
        };
        up.wait_for("Ctrl-C stops everything", 240);
        up.ready = serde_json::from_str(&std::fs::read_to_string(dir.join("ready.json")).unwrap())
            .unwrap();
        up
    }

    /// Waits for a line of `vouch up`'s output containing `what`.
    fn wait_for(&mut self, what: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) if l.contains(what) => return l,
                Ok(_) => {}
                Err(_) => {
                    let logs = std::fs::read_dir(self.dir.join("logs"))
                        .map(|d| {
                            d.filter_map(Result::ok)
                                .map(|e| {
                                    format!(
                                        "--- {}\n{}",
                                        e.path().display(),
                                        std::fs::read_to_string(e.path()).unwrap_or_default()
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join("\n")
                        })
                        .unwrap_or_default();
                    panic!("vouch up never printed {what:?}; logs:\n{logs}");
                }
            }
        }
    }

    fn url(&self, k: &str) -> String {
        self.ready[k].as_str().unwrap().to_string()
    }

    /// SIGINT, as Ctrl-C; returns the exit code.
    fn stop(&mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        // Not `support::wait_exit`: this also runs in `drop`, maybe while a failed test
        // unwinds, where a second panic would abort.
        if let Some(s) = support::poll_until(Duration::from_secs(30), || {
            self.child.try_wait().ok().flatten()
        }) {
            return s.code();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

fn http_get(url: &str) -> Result<(u16, String), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = reqwest::Client::new()
            .get(url)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let s = r.status().as_u16();
        Ok((s, r.text().await.map_err(|e| e.to_string())?))
    })
}

fn http_post(url: &str, token: &str, body: &Value) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = reqwest::Client::new()
            .post(url)
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.text().await.unwrap())
    })
}

/// The seeded register, as a verifier or wallet would check it: the provider's issuer key is
/// authorized for right-to-work credentials (CLI, offline from the snapshot), and the
/// employer may request exactly the template's claims, and not one more.
fn check_seeded_register(up: &Up, dir: &Path) {
    let registry = up.url("registry_url");
    let (s, jws) = http_get(&format!("{registry}/snapshot")).unwrap();
    assert_eq!(s, 200);
    std::fs::write(dir.join("snap.jws"), &jws).unwrap();
    let (s, meta) = http_get(&format!(
        "{}/.well-known/jwt-vc-issuer",
        up.url("issuer_url")
    ))
    .unwrap();
    assert_eq!(s, 200, "{meta}");
    let meta: Value = serde_json::from_str(&meta).unwrap();
    std::fs::write(
        dir.join("issuer.pub.jwk"),
        meta["jwks"]["keys"][0].to_string(),
    )
    .unwrap();
    let out = vouch()
        .args(["registry", "authorize", "--snapshot"])
        .arg(dir.join("snap.jws"))
        .arg("--snapshot-key")
        .arg(up.url("snapshot_key_file"))
        .args([
            "--log-key",
            &up.url("log_key"),
            "--iss",
            &up.url("issuer_url"),
        ])
        .arg("--issuer-key")
        .arg(dir.join("issuer.pub.jwk"))
        .args([
            "--credential-type",
            "urn:vouch:uk:right-to-work:1",
            "--purpose",
            "right_to_work",
        ])
        .output()
        .unwrap();
    let d: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert!(
        out.status.success(),
        "authorize: {d} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(d["allowed"], true, "{d}");

    let verifier = trust_framework::snapshot::SnapshotVerifier {
        snapshot_key: credentials::keys::Jwk::from_value(
            &serde_json::from_str::<Value>(
                &std::fs::read_to_string(up.url("snapshot_key_file")).unwrap(),
            )
            .unwrap(),
        )
        .unwrap()
        .public_key()
        .clone(),
        log_key: trust_framework::note::NoteKey::from_vkey(&up.url("log_key")).unwrap(),
    };
    let snap = verifier
        .verify(&jws, time::OffsetDateTime::now_utc())
        .unwrap();
    let rp = up.url("employer_relying_party_id");
    let template: Value = serde_json::from_str(include_str!(
        "../../specs/dcql/templates/right-to-work.json"
    ))
    .unwrap();
    // Both credential queries (version 2 and version 1), claims named as registrations do:
    // keys joined by `/`, array elements dropped.
    let claims: Vec<String> = template["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|q| q["claims"].as_array().unwrap().iter())
        .map(|c| {
            c["path"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    let refs: Vec<&str> = claims.iter().map(String::as_str).collect();
    let ok = trust_framework::decision::may_request(snap.register(), &rp, "right_to_work", &refs);
    assert!(ok.allowed, "{ok:?}");
    let mut more = refs.clone();
    more.push("address");
    let over = trust_framework::decision::may_request(snap.register(), &rp, "right_to_work", &more);
    assert!(!over.allowed, "asking for an address is over-asking");
}

#[test]
fn up_starts_seeds_restarts_and_stops() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let base = free_base_port();
    let mut up = Up::start(&dir, base);
    // Every service answers, with its health endpoint where it has one.
    for (k, path) in [
        ("registry_url", "/healthz"),
        ("verifier_url", "/healthz"),
        ("wallet_url", "/healthz"),
        ("wallet_url", "/metrics"),
        ("issuer_url", "/.well-known/openid-credential-issuer"),
    ] {
        let (s, body) = http_get(&format!("{}{path}", up.url(k))).unwrap();
        assert_eq!(s, 200, "{k}{path}: {body}");
    }
    let (_, metrics) = http_get(&format!("{}/metrics", up.url("wallet_url"))).unwrap();
    assert!(metrics.contains("# TYPE vouch_wallet_http_requests_total counter"));
    for f in [
        "operator.token",
        "cab.token",
        "issuer/admin.token",
        "up.json",
    ] {
        assert!(dir.join(f).is_file(), "{f} is in the data dir");
    }
    assert!(up
        .url("offer_url")
        .starts_with("openid-credential-offer://"));
    check_seeded_register(&up, tmp.path());
    let (_, entries) = http_get(&format!("{}/entries", up.url("registry_url"))).unwrap();
    // Every file `vouch up` and its services wrote (keys, tokens, ready.json, databases,
    // logs) is the user's only: 0600 files in 0700 directories.
    assert_private_tree(&dir);

    // Ctrl-C stops every child.
    assert_eq!(up.stop(), Some(0));
    for k in ["registry_url", "issuer_url", "verifier_url", "wallet_url"] {
        assert!(
            http_get(&format!("{}/", up.url(k))).is_err(),
            "{k} still answers after Ctrl-C"
        );
    }

    // A second start reuses the data dir: same register (not seeded twice), a fresh offer.
    let first_offer = up.url("offer_url");
    drop(up);
    let mut again = Up::start(&dir, base);
    let (_, entries2) = http_get(&format!("{}/entries", again.url("registry_url"))).unwrap();
    let (a, b): (Value, Value) = (
        serde_json::from_str(&entries).unwrap(),
        serde_json::from_str(&entries2).unwrap(),
    );
    assert_eq!(a["log_size"], b["log_size"], "the register is seeded once");
    assert_eq!(b["entries"].as_array().unwrap().len(), 1);
    assert_ne!(again.url("offer_url"), first_offer);
    check_seeded_register(&again, tmp.path());
    assert_eq!(again.stop(), Some(0));
}

/// Every entry under `dir` is readable by its owner only.
fn assert_private_tree(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut seen = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        let meta = std::fs::symlink_metadata(&p).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_dir() {
            assert_eq!(mode, 0o700, "{} is {mode:o}", p.display());
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else {
            assert_eq!(mode & 0o077, 0, "{} is {mode:o}", p.display());
        }
        seen += 1;
    }
    assert!(seen > 10, "only {seen} entries under {}", dir.display());
}

/// No log line names a bearer id: the logs carry a digest prefix instead.
fn assert_no_id_in_logs(dir: &Path, ids: &[&str]) {
    for e in std::fs::read_dir(dir.join("logs")).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        for id in ids {
            assert!(id.len() >= 8, "{id:?} is too short to look for");
            assert!(
                !text.contains(id),
                "{} names the bearer id {id}",
                p.display()
            );
        }
    }
}

/// Whether the browser test can run here; `Err` is why not.
fn browser_prerequisites(repo: &Path) -> Result<(), String> {
    let chromium = std::env::var("VOUCH_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Err(format!(
            "{chromium} is missing (apt-get install -y chromium)"
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Err("node is missing".into());
    }
    let setup = Command::new("bash")
        .arg(repo.join("scripts/setup-peers.sh"))
        .output()
        .map_err(|e| e.to_string())?;
    if !setup.status.success() {
        return Err(format!(
            "scripts/setup-peers.sh failed: {}",
            String::from_utf8_lossy(&setup.stderr)
        ));
    }
    Ok(())
}

fn assert_png(path: &str) {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.len() > 1000, "{path} is {} bytes", bytes.len());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{path} is a PNG");
}

#[test]
fn whole_journey_in_headless_chromium() {
    whole_journey(&[]);
}

/// The same journey with the scheme in its HAIP 1.0 form: the employer asks as its
/// `x509_hash` client id, the wallet is in HAIP mode, and the issuer takes the wallet only
/// with its provider's attestation (the provider a register entry).
#[test]
fn whole_journey_in_the_haip_profile() {
    whole_journey(&["--profile", "haip"]);
}

fn whole_journey(extra: &[&str]) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let e2e = repo.join("tests/e2e");
    if let Err(why) = browser_prerequisites(&repo) {
        assert!(!in_ci(), "the journey test cannot run in CI: {why}");
        eprintln!("NOTICE: skipping the browser journey: {why}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let shots = tmp.path().join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let mut up = Up::start_with(&dir, free_base_port(), extra);
    if extra.contains(&"haip") {
        assert_eq!(up.ready["profile"], "haip");
        let rp = up.url("employer_relying_party_id");
        assert!(rp.starts_with("x509_hash:"), "{rp}");
        let (s, meta) = http_get(&format!(
            "{}/.well-known/oauth-authorization-server",
            up.url("issuer_url")
        ))
        .unwrap();
        assert_eq!(s, 200);
        let meta: Value = serde_json::from_str(&meta).unwrap();
        assert_eq!(
            meta["token_endpoint_auth_methods_supported"],
            serde_json::json!(["attest_jwt_client_auth"]),
            "the issuer requires wallet attestations"
        );
    }

    let mut node = Command::new("timeout")
        .args(["400", "node"])
        .arg(e2e.join("journey.mjs"))
        .arg(dir.join("ready.json"))
        .arg(&shots)
        .current_dir(&e2e)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    let mut stdin = node.stdin.take().unwrap();
    let (tx, events) = channel::<Value>();
    let out = node.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            match serde_json::from_str(&l) {
                Ok(v) => {
                    let _ = tx.send(v);
                }
                Err(_) => eprintln!("journey.mjs: {l}"),
            }
        }
    });
    let err = node.stderr.take().unwrap();
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut BufReader::new(err), &mut s).ok();
        s
    });
    let mut err_thread = Some(err_thread);
    let mut next = |what: &str| -> Value {
        match events.recv_timeout(Duration::from_secs(240)) {
            Ok(v) => {
                assert_eq!(v["event"], what, "{v}");
                v
            }
            Err(_) => panic!(
                "the browser gave no {what} event; journey.mjs said:\n{}",
                err_thread
                    .take()
                    .map(|t| t.join().unwrap())
                    .unwrap_or_default()
            ),
        }
    };

    // The citizen's wallet holds a PID and a right-to-work credential from the provider.
    let issued = next("issued");
    let types: Vec<&str> = issued["types"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(types.contains(&"urn:vouch:uk:pid:1"), "{issued}");
    assert!(types.contains(&"urn:vouch:uk:right-to-work:1"), "{issued}");
    assert_png(issued["screenshot"].as_str().unwrap());

    // The consent screen names the employer, the purpose and each claim; nothing over-asked.
    let consent = next("consent");
    let text = consent["text"].as_str().unwrap();
    assert!(text.contains("Example Employer plc"), "{text}");
    assert!(text.contains("Right-to-work check"), "{text}");
    assert_eq!(consent["finding"], 0, "no warning: {text}");
    // The ten of the person and the document, and the level of confidence and who checked.
    assert_eq!(consent["claims"].as_array().unwrap().len(), 12, "{consent}");
    assert_png(consent["screenshot"].as_str().unwrap());

    // The first check passes and its record is saved.
    let passed = next("passed");
    let text = passed["text"].as_str().unwrap().to_lowercase();
    for want in ["ada", "lovelace", "10 december 1990", "vouch test idsp ltd"] {
        assert!(text.contains(want), "the outcome lacks {want:?}:\n{text}");
    }
    assert_png(passed["screenshot"].as_str().unwrap());
    let record = PathBuf::from(passed["record"].as_str().unwrap());

    // The regulator's side: the certifying body suspends the provider's certificate.
    next("suspend");
    let token = std::fs::read_to_string(dir.join("cab.token")).unwrap();
    let (s, body) = http_post(
        &format!("{}/events/certificate.suspended", up.url("registry_url")),
        token.trim(),
        &serde_json::json!({"body": {
            "entry_id": up.ready["entry_id"],
            "certificate_number": up.ready["certificate_number"],
        }}),
    );
    assert!(s < 300, "suspension: HTTP {s}: {body}");
    up.wait_for("the verifier reloaded it", 120);
    writeln!(stdin, "go").unwrap();
    stdin.flush().unwrap();

    // The second check consents again; it fails, and the page says why.
    let _ = next("consent");
    let failed = next("failed");
    assert_eq!(failed["code"], "certificate_suspended", "{failed}");
    let text = failed["text"].as_str().unwrap();
    assert!(text.contains("suspended"), "{text}");
    assert_png(failed["screenshot"].as_str().unwrap());

    let done = next("done");
    let activity: Vec<&str> = done["activity"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        activity.iter().filter(|a| **a == "shared").count(),
        2,
        "{done}"
    );
    assert_png(done["screenshot"].as_str().unwrap());
    // Every page the journey visited passed axe-core and reflows at 320 px (journey.mjs
    // fails otherwise); make sure it visited them.
    assert!(done["pages"].as_u64().unwrap() >= 12, "{done}");
    let status = node.wait().unwrap();
    assert!(status.success(), "journey.mjs failed");

    // The earlier record still verifies offline, pinned to the verifier's record key.
    let out = vouch()
        .args(["verifier", "check-record"])
        .arg(&record)
        .arg("--record-key")
        .arg(dir.join("verifier/record.jwk"))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(report["valid"], true);
    assert_eq!(report["claims"]["family_name"], "Lovelace");
    // The logs of the whole journey name no offer, transaction or record id.
    let jws = std::fs::read_to_string(&record).unwrap();
    let payload: Value = serde_json::from_slice(
        &credentials::b64::decode(jws.trim().split('.').nth(1).unwrap()).unwrap(),
    )
    .unwrap();
    let offer = up.url("offer_url");
    let offer_id = offer
        .rsplit("%2F")
        .next()
        .unwrap_or_default()
        .split('&')
        .next()
        .unwrap_or_default()
        .to_string();
    assert_no_id_in_logs(
        &dir,
        &[
            payload["record_id"].as_str().unwrap(),
            payload["transaction_id"].as_str().unwrap(),
            &offer_id,
        ],
    );
    // VOUCH_E2E_SCREENSHOTS=DIR keeps the screenshots (the README's walkthrough pictures).
    if let Some(keep) = std::env::var_os("VOUCH_E2E_SCREENSHOTS") {
        std::fs::create_dir_all(&keep).unwrap();
        for e in std::fs::read_dir(&shots).unwrap().filter_map(Result::ok) {
            std::fs::copy(e.path(), Path::new(&keep).join(e.file_name())).unwrap();
        }
    }
    assert_eq!(up.stop(), Some(0));
}

/// `--database-url postgres://...`: every service's tables in its own schema of one database
/// (a fresh database per run, dropped after). Runs when `VOUCH_TEST_DATABASE_URL` is set.
#[test]
fn up_over_postgresql() {
    let Ok(admin_url) = std::env::var("VOUCH_TEST_DATABASE_URL") else {
        eprintln!("NOTICE: VOUCH_TEST_DATABASE_URL is not set; skipping vouch up over PostgreSQL");
        return;
    };
    use sqlx::Connection;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = format!("vouch_up_{}", std::process::id());
    let exec = |sql: String| {
        rt.block_on(async {
            let mut c = sqlx::postgres::PgConnection::connect(&admin_url)
                .await
                .unwrap();
            sqlx::query(&sql).execute(&mut c).await.unwrap();
            c.close().await.unwrap();
        })
    };
    exec(format!("DROP DATABASE IF EXISTS {db}"));
    exec(format!("CREATE DATABASE {db}"));
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&format!("/{db}"));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let mut up = Up::start_with(&dir, free_base_port(), &["--database-url", url.as_str()]);
    check_seeded_register(&up, tmp.path());
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        !files.iter().any(|f| f.ends_with(".db")),
        "no SQLite files: {files:?}"
    );
    let schemas: Vec<String> = rt.block_on(async {
        let mut c = sqlx::postgres::PgConnection::connect(url.as_str())
            .await
            .unwrap();
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT DISTINCT table_schema::text FROM information_schema.tables WHERE table_schema LIKE 'vouch_%' ORDER BY 1",
        )
        .fetch_all(&mut c)
        .await
        .unwrap();
        c.close().await.unwrap();
        rows.into_iter().map(|r| r.0).collect()
    });
    assert_eq!(
        schemas,
        ["vouch_issuer", "vouch_registry", "vouch_verifier"]
    );
    assert_eq!(up.stop(), Some(0));
    drop(up);
    exec(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
}
