//! The FFI works: Python bindings generated from the built cdylib (uniffi library mode)
//! drive a whole issuance and presentation against the in-process peers.

mod support;

use std::path::PathBuf;

use camino::Utf8PathBuf;
use serde_json::json;
use support::{issuer, verifier, PID_VCT};

fn cdylib() -> PathBuf {
    // target/debug/deps/ffi_python-HASH -> target/debug/libwallet_core.so
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let name = if cfg!(target_os = "macos") {
        "libwallet_core.dylib"
    } else {
        "libwallet_core.so"
    };
    dir.join(name)
}

const SCRIPT: &str = r#"
import os, sys, json
sys.path.insert(0, os.environ["BINDINGS"])
import wallet_core as wc

data = os.environ["DATA"]
w = wc.WalletHandle.open(data, "pass phrase")
try:
    wc.WalletHandle.open(data, "wrong")
    raise SystemExit("a wrong passphrase opened the wallet")
except wc.FfiError.WrongPassphrase:
    pass
w.add_verifier_root(os.environ["ROOT"])
assert w.accept_offer(os.environ["OFFER"], "4321") == 6
creds = w.list()
assert len(creds) == 6 and all(not c.used for c in creds)
req = w.prepare_presentation(os.environ["REQUEST"])
assert req.verifier_client_id == "x509_san_dns:localhost", req.verifier_client_id
assert req.refused is None
names = [c.name for c in req.claims]
assert names == ["given_name", "family_name", "birthdate"], names
keep = [c.key for c in req.claims if c.name != "birthdate"]
out = w.respond(req.id, True, keep)
assert out.shared and out.claims == ["given_name", "family_name"], out
log = w.activity()
assert [a.outcome for a in log][-1] == "shared"
try:
    w.prepare_presentation("openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3Ax&request=a.b.c")
    raise SystemExit("a DID request was accepted")
except wc.FfiError.Failed as e:
    assert "unsupported client identifier" in str(e)
print("python ffi ok")
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_bindings_drive_issuance_and_presentation() {
    // `cargo test` links the rlib; build the cdylib the apps load, as they would.
    let status = std::process::Command::new(env!("CARGO"))
        .args(["build", "-p", "wallet-core", "--lib"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success());
    let lib = cdylib();
    assert!(lib.exists(), "{} not built", lib.display());
    let out = tempfile::tempdir().unwrap();
    let out_dir = Utf8PathBuf::from_path_buf(out.path().to_path_buf()).unwrap();
    uniffi_bindgen::library_mode::generate_bindings(
        &Utf8PathBuf::from_path_buf(lib.clone()).unwrap(),
        None,
        &uniffi_bindgen::bindings::PythonBindingGenerator,
        &uniffi_bindgen::EmptyCrateConfigSupplier,
        None,
        &out_dir,
        false,
    )
    .unwrap();
    std::fs::copy(&lib, out.path().join(lib.file_name().unwrap())).unwrap();
    let iss = issuer::start().await;
    let ver = verifier::start().await;
    let query = json!({"credentials": [{"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": [PID_VCT]},
        "claims": [{"path": ["given_name"]}, {"path": ["family_name"]}, {"path": ["birthdate"]}]}]});
    let (request, _) = ver.request(query, "direct_post.jwt", Some("right_to_work"), false, None);
    let data = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new("python3");
    cmd.arg("-c")
        .arg(SCRIPT)
        .env("BINDINGS", out.path())
        .env("DATA", data.path())
        .env("ROOT", ver.root.to_pem())
        .env("OFFER", iss.offer_by_reference("pre"))
        .env("REQUEST", request);
    let output = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("python ffi ok"),
        "python failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(ver.last_response().vp_token["pid"].len(), 1);
}
