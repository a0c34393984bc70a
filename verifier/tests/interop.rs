//! An independent wallet answers our OpenID4VP endpoint: the Python peer of `tests/interop/`
//! (OpenWallet's `sd-jwt==0.10.4`, with a small OpenID4VP client of its own in
//! `peer.py openid4vp`) holds an SD-JWT VC that the peer itself issued with the key of a
//! registered test provider, follows our wallet link, fetches and checks the signed request
//! object (x5c chain to our reader root, client_id, wallet_nonce), reads the nonce, client_id,
//! response_uri and DCQL query from it, presents with a KB-JWT whose `aud` is our full
//! client_id and `nonce` ours, and posts to our response_uri, by `direct_post` and by
//! `direct_post.jwt`. Our verifier accepts it and the right-to-work check passes.
//!
//! Runs `tests/interop/setup.sh` itself (a no-op when warm; `scripts/test.sh` runs it only
//! after `cargo test`). Outside CI an unavailable peer skips the test with a notice.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{client, running, MemFetcher, Scheme, Story, ISS, RTW_VCT, STATUS_URI};
use credentials::keys::{Jwk, SoftwareSigner};
use serde_json::{json, Value};

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

/// The peer's python, after `tests/interop/setup.sh`; `Err` is why it is unavailable.
fn python_peer() -> Result<PathBuf, String> {
    let dir = interop_dir();
    let setup = Command::new("bash")
        .arg(dir.join("setup.sh"))
        .output()
        .map_err(|e| format!("bash: {e}"))?;
    if !setup.status.success() {
        return Err(format!(
            "tests/interop/setup.sh failed: {}",
            String::from_utf8_lossy(&setup.stderr)
        ));
    }
    let venv = std::env::var_os("VOUCH_PY_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join(".venv"));
    Ok(venv.join("bin/python"))
}

fn peer(python: &Path, args: &[&str]) -> String {
    let out = Command::new("timeout")
        .arg("120")
        .arg(python)
        .arg(interop_dir().join("python/peer.py"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "peer.py {}: {}",
        args[0],
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_independent_python_wallet_is_accepted_by_our_openid4vp_endpoint() {
    let python = match python_peer() {
        Ok(p) => p,
        Err(why) => {
            assert!(
                std::env::var("CI").map_or(true, |v| v.is_empty() || v == "false"),
                "the interop peer cannot run in CI: {why}"
            );
            eprintln!("NOTICE: skipping the OpenID4VP interop test: {why}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n).to_string_lossy().into_owned();

    // The provider's key and the holder's key are the peer's; the register knows the first.
    let idp_jwk = peer(&python, &["keygen"]);
    std::fs::write(path("idp.jwk"), &idp_jwk).unwrap();
    let idp = SoftwareSigner::from_jwk(&Jwk::from_json(&idp_jwk).unwrap()).unwrap();
    let scheme = Scheme::with_idp(Story::Good, idp);
    std::fs::write(path("holder.jwk"), peer(&python, &["keygen"])).unwrap();
    let holder_pub = Command::new(&python)
        .arg(interop_dir().join("python/peer.py"))
        .arg("public")
        .stdin(std::fs::File::open(path("holder.jwk")).unwrap())
        .output()
        .unwrap();
    std::fs::write(path("holder.pub.jwk"), holder_pub.stdout).unwrap();

    // The peer issues the right-to-work credential (every claim selectively disclosable,
    // status in the clear) as the registered provider.
    let mut claims: serde_json::Map<String, Value> = serde_json::from_str(include_str!(
        "../../specs/examples/right-to-work.claims.json"
    ))
    .unwrap();
    claims.insert(
        "status".into(),
        json!({"status_list": {"idx": 7, "uri": STATUS_URI}}),
    );
    std::fs::write(path("claims.json"), Value::Object(claims).to_string()).unwrap();
    let cred = peer(
        &python,
        &[
            "issue",
            "--key",
            &path("idp.jwk"),
            "--iss",
            ISS,
            "--vct",
            RTW_VCT,
            "--claims",
            &path("claims.json"),
            "--holder",
            &path("holder.pub.jwk"),
            "--exp",
            "86400",
        ],
    );
    std::fs::write(path("credential.sd-jwt"), cred.trim()).unwrap();

    let r = running(
        &scheme,
        MemFetcher::serving(STATUS_URI, scheme.status_token(0)),
    )
    .await;
    std::fs::write(path("root.pem"), r.root.to_pem()).unwrap();

    for mode in ["direct_post", "direct_post.jwt"] {
        let created: Value = client()
            .post(format!("{}/api/transactions", r.base))
            .json(&json!({"template": "right-to-work", "response_mode": mode}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().unwrap().to_string();
        let url = created["wallet_url"].as_str().unwrap().to_string();
        let (python, credential, holder, root) = (
            python.clone(),
            path("credential.sd-jwt"),
            path("holder.jwk"),
            path("root.pem"),
        );
        // The peer blocks on HTTP to this runtime's server: run it off the runtime.
        let answered = tokio::task::spawn_blocking(move || {
            peer(
                &python,
                &[
                    "openid4vp",
                    "--url",
                    &url,
                    "--credential",
                    &credential,
                    "--holder-key",
                    &holder,
                    "--trust-root",
                    &root,
                ],
            )
        })
        .await
        .unwrap();
        let answered: Value = serde_json::from_str(&answered).unwrap();
        assert_eq!(answered["request"]["client_id"], created["client_id"]);
        assert_eq!(answered["request"]["nonce"], created["nonce"]);
        assert_eq!(answered["request"]["response_uri"], created["response_uri"]);
        assert_eq!(answered["request"]["response_mode"], mode);
        // Every claim of the template: the ten of the person and the check, and the level of
        // confidence and who checked.
        assert_eq!(answered["disclosed"].as_array().unwrap().len(), 12);
        for f in answered["findings"].as_array().into_iter().flatten() {
            // Known: rcgen's IsCa::ExplicitNoCa (credentials::x509::dev) encodes cA FALSE,
            // a DEFAULT, which strict DER parsers refuse; the SAN check is then skipped.
            eprintln!("NOTICE: the peer reports: {f}");
        }
        assert_eq!(answered["status"], 200, "{mode}: {answered:#}");
        assert!(answered["body"]["redirect_uri"]
            .as_str()
            .unwrap()
            .contains("response_code="));

        let t: Value = client()
            .get(format!("{}/api/transactions/{id}", r.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(t["state"], "responded");
        let o = &t["outcome"];
        assert_eq!(o["passed"], true, "{mode}: {:#}", o["report"]);
        assert_eq!(o["report"]["valid"], true);
        let checks: Vec<&str> = o["report"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["ok"] == true)
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        for c in [
            "issuer_signature",
            "trust_register",
            "holder_binding",
            "status",
        ] {
            assert!(checks.contains(&c), "{mode}: {c} did not pass: {checks:?}");
        }
        assert_eq!(o["person"]["family_name"], "Lovelace");
        assert_eq!(o["entry_id"], "idp");
    }
}
