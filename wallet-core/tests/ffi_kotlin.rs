//! The FFI works from Kotlin on the JVM, as the Android app uses it: Kotlin bindings
//! generated from the built cdylib (uniffi library mode), compiled with a small program
//! (tests/kotlin, a Maven project) and run with JNA against the in-process peers. The program
//! takes an offer, checks, deletes and refills credentials, completes the authorization code
//! flow, answers a signed request and is refused an unsigned one in HAIP mode, reads the
//! activity log, and opens a second wallet whose database key and device keys are Kotlin's.
//!
//! Needs `mvn` and a JDK (17) on the PATH and Maven Central reachable on the first run.

mod support;

use std::path::Path;

use serde_json::json;
use support::{issuer, verifier, PID_VCT};

/// Copies the Maven project, leaving out any build output of a run made in place.
fn copy_project(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if entry.file_name() == "target" {
            continue;
        }
        if path.is_dir() {
            copy_project(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kotlin_bindings_drive_the_wallet_on_the_jvm() {
    // The Kotlin bindings of the cdylib the app loads.
    let (gen, lib) = support::bindings::generate(&uniffi_bindgen::bindings::KotlinBindingGenerator);
    let generated = gen.path().join("uniffi/wallet_core/wallet_core.kt");
    let kt = std::fs::read_to_string(&generated)
        .unwrap_or_else(|e| panic!("{}: {e}", generated.display()));
    // Compiled as generated: an error field called `message` would clash with
    // `Throwable.message` (mozilla/uniffi-rs#1434), which is why `FfiError` says `reason`.

    // The Maven project, the bindings beside the program, the library beside them.
    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("project");
    copy_project(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kotlin"),
        &project,
    );
    let bindings = project.join("src/main/kotlin/uniffi/wallet_core");
    std::fs::create_dir_all(&bindings).unwrap();
    std::fs::write(bindings.join("wallet_core.kt"), &kt).unwrap();
    let lib_dir = work.path().join("lib");
    std::fs::create_dir_all(&lib_dir).unwrap();
    let lib_copy = lib_dir.join(lib.file_name().unwrap());
    std::fs::copy(&lib, &lib_copy).unwrap();

    let iss = issuer::start().await;
    let ver = verifier::start().await;
    let query = json!({"credentials": [{"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": [PID_VCT]},
        "claims": [{"path": ["given_name"]}, {"path": ["family_name"]}, {"path": ["birthdate"]}]}]});
    let (request, req) = ver.request(
        query.clone(),
        "direct_post.jwt",
        Some("right_to_work"),
        false,
        None,
    );
    // An unsigned request by value with the redirect_uri prefix: fine outside HAIP mode,
    // refused in it.
    let response_uri = format!("{}/response", ver.base);
    let mut unsigned = url::Url::parse("openid4vp://").unwrap();
    unsigned
        .query_pairs_mut()
        .append_pair("client_id", &format!("redirect_uri:{response_uri}"))
        .append_pair("response_type", "vp_token")
        .append_pair("response_mode", "direct_post")
        .append_pair("response_uri", &response_uri)
        .append_pair("nonce", "n-unsigned")
        .append_pair("dcql_query", &query.to_string());
    let data = tempfile::tempdir().unwrap();
    let data2 = tempfile::tempdir().unwrap();

    let mut cmd = std::process::Command::new("mvn");
    cmd.args(["-B", "-q", "-f"])
        .arg(project.join("pom.xml"))
        .arg(format!("-Djna.library.path={}", lib_dir.display()))
        .arg(format!(
            "-Duniffi.component.wallet_core.libraryOverride={}",
            lib_copy.display()
        ));
    if kt.contains("import kotlinx.coroutines") {
        cmd.arg("-Duniffi.async");
    }
    cmd.args(["compile", "exec:java"])
        .current_dir(&project)
        .env("DATA", data.path())
        .env("DATA2", data2.path())
        .env("ROOT", ver.root.to_pem())
        .env("ORIGINS", format!("{},{}", iss.base, ver.base))
        .env("ISSUER", &iss.base)
        .env("OFFER", iss.offer_by_reference("pre"))
        .env("AUTH_OFFER", iss.offer_by_reference("auth"))
        .env("REQUEST", request)
        .env("UNSIGNED", unsigned.to_string());
    let output = tokio::task::spawn_blocking(move || {
        cmd.output()
            .unwrap_or_else(|e| panic!("mvn could not be run (is Maven installed?): {e}"))
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.lines().any(|l| l.trim() == "kotlin ffi ok"),
        "mvn exited {}:\n--- stdout\n{stdout}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );

    // What the peers saw: the HAIP presentation answered this request, encrypted, and the
    // issuer issued the offer (6), the refill (3), the authorization code flow (3) and the
    // platform wallet's offer (6).
    let resp = ver.last_response();
    assert_eq!(resp.state, req.state);
    assert_eq!(resp.vp_token["pid"].len(), 1);
    let offer = 2 * issuer::BATCH;
    assert_eq!(
        *iss.issued.lock().unwrap(),
        offer + issuer::BATCH + issuer::BATCH + offer
    );
}
