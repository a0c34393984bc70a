//! The register's web page, rendered by headless Chromium (Debian's `chromium`, installed by
//! `.ci/run`): it works without JavaScript and has the headings, captions and states a
//! person (or a screen reader) needs.

mod registry_support;

use std::process::Command;

use credentials::keys::{Algorithm, SoftwareSigner};
use registry_support::*;

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn dump_dom(browser: &str, url: &str) -> String {
    // coreutils `timeout`: a page that never answers fails the test instead of hanging it.
    let out = Command::new("timeout")
        .args([
            "60",
            browser,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-javascript",
            "--dump-dom",
            url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn register_entry_history_and_log_pages_render_in_headless_chromium_without_javascript() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium (see .ci/run)"
        );
        eprintln!("NOTICE: chromium is not installed; skipping the web page test (apt-get install -y chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write_tokens(dir.path());
    let server = serve(
        dir.path(),
        &format!("sqlite://{}", dir.path().join("r.db").display()),
    );
    populate(
        &server.url,
        &SoftwareSigner::generate(Algorithm::Es256).unwrap().0,
    );

    let home = dump_dom(browser, &format!("{}/", server.url));
    assert!(home.contains("<html lang=\"en\">"), "{home}");
    assert!(home.contains("<h1>Register of digital verification services</h1>"));
    assert!(home.contains("<caption>Registered and removed services (1)</caption>"));
    assert!(home.contains("<a href=\"/register/acme\">acme ID</a>"));
    assert!(home.contains("govuk-tag--green\">Registered</strong>"));
    assert!(home.contains("right to work"));
    assert!(home.contains("href=\"#main\""), "skip link");
    assert!(!home.contains("<script"), "no JavaScript");

    let entry = dump_dom(browser, &format!("{}/register/acme", server.url));
    assert!(entry.contains("<h1>acme ID</h1>"));
    assert!(entry.contains("<caption>History of this entry</caption>"));
    assert!(entry.contains("<caption>Certificates</caption>"));
    for change in [
        "Registered with certificate acme-1",
        "right to work supplementary note added",
        "Certificate acme-1 suspended",
        "Certificate acme-1 reinstated",
    ] {
        assert!(entry.contains(change), "{change} missing from {entry}");
    }
    assert!(entry.contains("<th scope=\"col\">Legal basis</th>"));
    assert!(entry.contains("DUAA 2025 s.33"));

    let log = dump_dom(browser, &format!("{}/log", server.url));
    assert!(log.contains("<h1>Transparency log</h1>"));
    assert!(log.contains("The log holds 6 entries."));
    assert!(
        log.contains("registry.vouch.example/log\n6\n"),
        "the signed checkpoint is shown"
    );
    assert!(log.contains("<caption>Log keys</caption>"));

    let missing = dump_dom(browser, &format!("{}/register/nope", server.url));
    assert!(missing.contains("<h1>Page not found</h1>"));
}
