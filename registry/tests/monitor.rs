//! The monitor follows the log through its tiles (issue 19): after 10,000 events it catches
//! up on a later run reading only the new tiles (its requests are counted), and a register
//! that shows another history under the same log key (an entry rewritten) is caught.

mod common;

use common::{add_relying_parties, open, serve};
use trust_framework::note::NoteKey;
use vouch_registry::http::client::Client;
use vouch_registry::monitor::{self, Finding, MonitorState};

fn leaf_tiles_between(from: u64, to: u64) -> u64 {
    trust_framework::tiles::leaf_tiles(from, to).len() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monitor_reads_only_new_tiles_and_catches_a_rewritten_history() {
    let dir = tempfile::tempdir().unwrap();
    let keys_dir = dir.path().join("keys");
    let r = open(dir.path(), &keys_dir).await;
    add_relying_parties(&r, 0, 10_000).await;
    let vkey = r.genesis_vkey().await.unwrap();
    let keys = [NoteKey::from_vkey(&vkey).unwrap()];
    let (base, state) = serve(r).await;
    let http = Client::new().unwrap();

    // First run: the whole log, from its tiles.
    let (first, next) = monitor::run(&http, &base, &keys, &MonitorState::default()).await;
    assert!(first.ok(), "{:?}", first.findings);
    let seen = next.expect("a clean run moves the state");
    assert_eq!(seen.range.size, 10_001, "genesis and 10,000 events");
    assert_eq!(first.new_events["relying_party.registered"], 10_000);
    assert_eq!(first.requests, 1 + 2 * leaf_tiles_between(0, 10_001));

    // An independent tlog-tiles reader (Python, written from the C2SP text and RFC 6962)
    // reproduces the checkpoint's root from the same tiles and bundles.
    let reader =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/tlog-tiles/reader.py");
    let out = tokio::process::Command::new("python3")
        .arg(&reader)
        .arg(format!("{base}/log"))
        .output()
        .await
        .expect("python3 runs");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert!(out.status.success(), "{summary}");
    assert_eq!(summary["root_matches"], true);
    assert_eq!(summary["size"], 10_001);

    // 300 more events: the next run reads the checkpoint and the tiles of the new entries
    // only (the last partial tile again, and the new ones).
    add_relying_parties(&state.registry, 10_000, 300).await;
    let (second, next) = monitor::run(&http, &base, &keys, &seen).await;
    assert!(second.ok(), "{:?}", second.findings);
    assert_eq!(second.new_events["relying_party.registered"], 300);
    assert_eq!(second.requests, 1 + 2 * leaf_tiles_between(10_001, 10_301));
    assert!(second.requests <= 5, "{} requests", second.requests);
    let later = next.unwrap();
    assert_eq!(later.range.size, 10_301);

    // Nothing new: one request, nothing changes.
    let (quiet, again) = monitor::run(&http, &base, &keys, &later).await;
    assert!(quiet.ok() && quiet.requests == 1);
    assert_eq!(again.unwrap(), later);

    // Another history under the same log key (a register showing a different tree to this
    // monitor: its first entry differs) is caught, and the state does not move.
    let other_dir = tempfile::tempdir().unwrap();
    let forked = open(other_dir.path(), &keys_dir).await;
    add_relying_parties(&forked, 0, 10_400).await;
    let (fork_base, _fork) = serve(forked).await;
    let (caught, moved) = monitor::run(&http, &fork_base, &keys, &later).await;
    assert_eq!(moved, None);
    assert!(
        matches!(
            caught.findings.as_slice(),
            [Finding::RootMismatch {
                size: 10_401,
                verified_size: 10_301
            }]
        ),
        "{:?}",
        caught.findings
    );

    // A log that shows fewer entries than were verified is caught too.
    let small_dir = tempfile::tempdir().unwrap();
    let small = open(small_dir.path(), &keys_dir).await;
    let (small_base, _small) = serve(small).await;
    let (shrunk, _) = monitor::run(&http, &small_base, &keys, &later).await;
    assert!(
        matches!(
            shrunk.findings.as_slice(),
            [Finding::Shrank {
                from: 10_301,
                to: 1
            }]
        ),
        "{:?}",
        shrunk.findings
    );
}
