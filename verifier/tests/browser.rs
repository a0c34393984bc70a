//! The employer's workspace and right-to-work check in headless Chromium (Debian's
//! `chromium`, driven by `playwright-core` from `tests/e2e/employer.mjs` at the repository's
//! root): the HR administrator signs in and invites a recruiter, who joins through the
//! one-time link and starts a check; a wallet answers the link the page shows, the page's
//! polling brings up the outcome (provider and right-to-work note included), the recruiter
//! confirms the likeness, the signed record downloads (and `vouch verifier check-record`
//! verifies it) and the records export for an inspection; the administrator reads the
//! access log. An anonymous browser and a member of another organisation get nothing from
//! any of those URLs. Every page passes axe-core (WCAG 2.2 AA and best practice, no
//! violation) and reflows at 320 px.
//!
//! `VOUCH_E2E_SCREENSHOTS=DIR` keeps the outcome page's screenshot as
//! `DIR/employer-outcome.png` (the whole journey's pictures come from `cli/tests/up_journey.rs`,
//! see `scripts/screenshots.sh`).
//!
//! Needs `/usr/bin/chromium` (`.ci/run` installs it) and node; runs
//! `scripts/setup-peers.sh` itself (the npm test peers, playwright-core among them; a no-op
//! when warm). Outside CI a missing browser or node
//! skips the test with a notice; under CI it fails.

mod common;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{now, running, wallet, MemFetcher, Scheme, Story, STATUS_URI};
use serde_json::Value;
use time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

/// Whether the browser test can run here; `Err` is why not.
fn prerequisites(repo: &Path) -> Result<(), String> {
    let chromium = std::env::var("VOUCH_CHROMIUM").unwrap_or_else(|_| CHROMIUM.into());
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

/// The `vouch` binary beside this test's executable (`target/debug/vouch`), or `$VOUCH`.
fn vouch_binary() -> Option<PathBuf> {
    if let Some(v) = std::env::var_os("VOUCH") {
        return Some(PathBuf::from(v));
    }
    let exe = std::env::current_exe().ok()?;
    let p = exe.parent()?.parent()?.join("vouch");
    p.exists().then_some(p)
}

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.len() > 1000,
        "the screenshot is {} bytes",
        bytes.len()
    );
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "the screenshot is a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert!(w >= 320 && h >= 320, "the screenshot is {w}x{h}");
}

/// The browser's next event, which must be `what`; on none, the script's stderr.
async fn next(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Value>,
    err: &mut Option<std::thread::JoinHandle<String>>,
    what: &str,
) -> Value {
    match tokio::time::timeout(std::time::Duration::from_secs(150), rx.recv()).await {
        Ok(Some(v)) => {
            assert_eq!(v["event"], what, "{v}");
            v
        }
        _ => panic!(
            "the browser gave no {what} event; employer.mjs said:\n{}",
            err.take().map(|t| t.join().unwrap()).unwrap_or_default()
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn employer_runs_the_right_to_work_check_in_headless_chromium() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let here = repo.join("tests/e2e");
    if let Err(why) = prerequisites(&repo) {
        assert!(!in_ci(), "the browser test cannot run in CI: {why}");
        eprintln!("NOTICE: skipping the browser test: {why}");
        return;
    }
    let scheme = Scheme::new(Story::Good);
    let r = running(
        &scheme,
        MemFetcher::serving(STATUS_URI, scheme.status_token(0)),
    )
    .await;
    let out = tempfile::tempdir().unwrap();
    // A second organisation, with a recruiter.
    let store = &r.service.store;
    let t = now().unix_timestamp() - 60;
    assert!(store
        .create_organisation("globex", "Globex", None, t)
        .await
        .unwrap());
    common::member_with_session(
        store,
        t,
        "globex",
        "recruiter@globex.test",
        verifier::store::Role::Recruiter,
        "globex-recruiter-session-0123456789abcdefgh",
        "globex-form-token",
    )
    .await;
    let config = serde_json::json!({
        "admin_email": common::ADMIN_EMAIL,
        "admin_password": common::ADMIN_PASSWORD,
        "other_email": "recruiter@globex.test",
        "other_password": common::ADMIN_PASSWORD,
    });

    let mut child = Command::new("timeout")
        .args(["300", "node"])
        .arg(here.join("employer.mjs"))
        .arg(&r.base)
        .arg(out.path())
        .arg(config.to_string())
        .current_dir(&here)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            match serde_json::from_str(&line) {
                Ok(v) => {
                    let _ = tx.send(v);
                }
                Err(_) => eprintln!("employer.mjs: {line}"),
            }
        }
    });
    let stderr = child.stderr.take().unwrap();
    let mut err_thread = Some(std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::BufReader::new(stderr), &mut s).ok();
        s
    }));
    // The employer's page shows the request; the wallet answers the link it shows.
    let request = next(&mut rx, &mut err_thread, "request").await;
    let link = request["link"].as_str().unwrap();
    assert!(link.contains("request_uri_method=post"), "{link}");
    let cred = scheme.issue(None, |_| {}, now() + Duration::days(300));
    wallet::share_link(&r, link, &scheme, &cred).await;

    let shown = next(&mut rx, &mut err_thread, "outcome").await;
    let text = shown["text"].as_str().unwrap();
    for want in [
        "The digital identity checks passed",
        "Ada Lovelace",
        "10 December 1990",
        "14 March 2033",
        "Test Identity Ltd",
        "How this was checked",
    ] {
        // innerText is as rendered: the folded "How this was checked" shows its summary only.
        assert!(
            text.to_lowercase().contains(&want.to_lowercase()),
            "the outcome page lacks {want:?}:\n{text}"
        );
    }
    let shot = Path::new(shown["screenshot"].as_str().unwrap());
    assert_png(shot);
    if let Some(keep) = std::env::var_os("VOUCH_E2E_SCREENSHOTS") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(shot, keep.join("employer-outcome.png")).unwrap();
    }

    let done = next(&mut rx, &mut err_thread, "done").await;
    let status = child.wait().unwrap();
    let err = err_thread.take().unwrap().join().unwrap();
    assert!(status.success(), "employer.mjs failed: {err}");
    assert!(done["record_page"]
        .as_str()
        .unwrap()
        .contains("Right to work check complete"));
    assert!(done["pages"].as_u64().unwrap() >= 12, "{done}");
    // The inspection export holds the record, its page and the access log naming the
    // recruiter's actions.
    let archive = std::fs::read(done["export"].as_str().unwrap()).unwrap();
    let mut names = vec![];
    let mut log = String::new();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive.as_slice()));
    for e in tar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().display().to_string();
        if name == "access-log.json" {
            std::io::Read::read_to_string(&mut e, &mut log).unwrap();
        }
        names.push(name);
    }
    assert_eq!(names.len(), 4, "{names:?}");
    let log: Value = serde_json::from_str(&log).unwrap();
    assert_eq!(log["intact"], true);
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "viewed", "downloaded", "exported"]);
    let file = PathBuf::from(done["record"].as_str().unwrap());
    assert!(file
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("right-to-work-"));

    // The downloaded record verifies offline with the CLI, pinned to this verifier's key.
    let key = out.path().join("record-key.jwk");
    std::fs::write(
        &key,
        credentials::keys::Signer::public_key(r.service.record_key.as_ref())
            .to_jwk()
            .to_value()
            .to_string(),
    )
    .unwrap();
    match vouch_binary() {
        Some(vouch) => {
            let o = Command::new(&vouch)
                .args(["verifier", "check-record"])
                .arg(&file)
                .arg("--record-key")
                .arg(&key)
                .output()
                .unwrap();
            let report: Value = serde_json::from_slice(&o.stdout)
                .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&o.stderr)));
            assert_eq!(o.status.code(), Some(0), "{report:#}");
            assert_eq!(report["valid"], true);
            assert_eq!(report["claims"]["family_name"], "Lovelace");
        }
        None => {
            assert!(
                !in_ci(),
                "the vouch binary is not built (cargo build -p vouch)"
            );
            eprintln!(
                "NOTICE: target/debug/vouch is not built; checking the record with the library"
            );
            let jws = std::fs::read_to_string(&file).unwrap();
            let opts = verifier::record::CheckOptions {
                record_key: Some(
                    credentials::keys::Signer::public_key(r.service.record_key.as_ref()).clone(),
                ),
                ..Default::default()
            };
            assert!(verifier::record::check(&jws, &opts).await.valid);
        }
    }
}
