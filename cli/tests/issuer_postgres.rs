//! Two `vouch issuer serve` processes over one PostgreSQL under concurrent wallets; one is
//! killed (SIGKILL) mid-load. Every credential a wallet received is recorded, with a status
//! index no other credential has. Runs when VOUCH_TEST_DATABASE_URL is set.

mod support;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use credentials::keys::{Algorithm, SoftwareSigner};
use credentials::sd_jwt::SdJwt;
use credentials::status::StatusReference;
use issuer::wallet::{Transport, Wallet};
use serde_json::{json, Value};

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &str, data: &std::path::Path, issuer_url: &str) -> Server {
    // A port below 32768 (the kernel hands out the ones above).
    let listen = format!("127.0.0.1:{}", vouch_ops::loopback::free_ports(1));
    let mut child = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args([
            "issuer",
            "serve",
            "--listen",
            &listen,
            "--status-list-size",
            "256",
            "--issuer-url",
            issuer_url,
            "--database-url",
            db,
            "--data-dir",
        ])
        .arg(data)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    Server { child, addr }
}

#[test]
fn killing_one_of_two_processes_loses_no_record_of_a_returned_credential() {
    let Ok(url) = std::env::var("VOUCH_TEST_DATABASE_URL") else {
        eprintln!("SKIPPED: set VOUCH_TEST_DATABASE_URL to run the two-process issuer test");
        return;
    };
    if url.is_empty() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let schema = format!("issuer_cli_{}", issuer::util::random_digits(12));
    let store = rt
        .block_on(issuer::store::Store::connect_with_schema(
            &url,
            Some(&schema),
        ))
        .unwrap();
    let db = format!(
        "{url}{}options=-c%20search_path%3D{schema}",
        if url.contains('?') { "&" } else { "?" }
    );
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // One issuer identifier for both processes (as behind a load balancer).
    let issuer_url = "http://issuer.test";
    let a = serve(&db, &data, issuer_url);
    let mut b = serve(&db, &data, issuer_url);
    let token = std::fs::read_to_string(data.join("admin.token")).unwrap();
    let rtw: Value = serde_json::from_str(include_str!(
        "../../specs/examples/right-to-work.claims.json"
    ))
    .unwrap();

    let received = Arc::new(Mutex::new(Vec::<String>::new()));
    // Credentials received from process b, and whether it has been killed; the load runs
    // until `stop`.
    let from_b = Arc::new(AtomicUsize::new(0));
    let b_killed = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    rt.block_on(async {
        let admin = Transport::Tcp(a.addr.clone());
        let mut tokens = Vec::new();
        for i in 0..12 {
            let headers = [("authorization", format!("Bearer {}", token.trim())), ("content-type", "application/json".to_string())];
            let r = admin
                .send("PUT", &format!("{issuer_url}/admin/subjects/k{i}"), &headers, json!({"attributes": {"given_name": "Ada", "family_name": "Lovelace", "birthdate": "1990-12-10", "document": rtw["document"]}}).to_string().into_bytes())
                .await;
            assert_eq!(r.status, 201);
            let o = admin
                .send("POST", &format!("{issuer_url}/admin/offers"), &headers, json!({"subject_id": format!("k{i}"), "credential_configuration_ids": ["pid_sd_jwt"], "tx_code": false}).to_string().into_bytes())
                .await
                .json();
            let code = o["credential_offer"]["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"].as_str().unwrap().to_string();
            let on_b = i % 2 == 1;
            let addr = if on_b { b.addr.clone() } else { a.addr.clone() };
            let w = Wallet::new(Transport::Tcp(addr), issuer_url);
            let t = w.token_pre_authorized(&code, None).await.unwrap();
            tokens.push((w, t, on_b));
        }
        let mut tasks = Vec::new();
        for (w, t, on_b) in tokens {
            let (received, from_b, b_killed, stop) =
                (received.clone(), from_b.clone(), b_killed.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                let holder = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
                while !stop.load(Ordering::SeqCst) {
                    match w.issue(&t, "pid_sd_jwt", &[&holder]).await {
                        Ok(c) => {
                            if on_b {
                                from_b.fetch_add(c.len(), Ordering::SeqCst);
                            }
                            received.lock().unwrap().extend(c);
                        }
                        // Process b is gone: its wallets are done.
                        Err(_) if on_b && b_killed.load(Ordering::SeqCst) => break,
                        Err(_) => {}
                    }
                }
            }));
        }
        // Mid-load: both processes are issuing (b has answered wallets) when b is killed.
        support::wait_until_async(
            "process b to issue credentials under load",
            Duration::from_secs(60),
            || (from_b.load(Ordering::SeqCst) >= 3).then_some(()),
        )
        .await;
        b_killed.store(true, Ordering::SeqCst);
        b.child.kill().unwrap(); // SIGKILL, mid-load
        let _ = b.child.wait();
        // The load goes on against process a until more than 20 credentials were returned
        // in all, at least 10 of them after b died.
        let at_kill = received.lock().unwrap().len();
        support::wait_until_async(
            "process a to go on issuing after b was killed",
            Duration::from_secs(60),
            || {
                let n = received.lock().unwrap().len();
                (n > 20 && n >= at_kill + 10).then_some(())
            },
        )
        .await;
        stop.store(true, Ordering::SeqCst);
        for t in tasks {
            t.await.unwrap();
        }
    });
    let received = received.lock().unwrap().clone();
    assert!(
        received.len() > 20,
        "only {} credentials issued",
        received.len()
    );
    let recorded: HashSet<(i64, i64)> = rt
        .block_on(store.all_indices())
        .unwrap()
        .into_iter()
        .collect();
    let mut seen = HashSet::new();
    for c in &received {
        let claims = SdJwt::parse(c).unwrap().jws().claims().unwrap();
        let r = StatusReference::from_json(&claims["status"]).unwrap();
        let list: i64 = r.uri.rsplit('/').next().unwrap().parse().unwrap();
        assert!(
            recorded.contains(&(list, r.idx as i64)),
            "a returned credential is not recorded"
        );
        assert!(
            seen.insert((list, r.idx)),
            "two returned credentials share a status index"
        );
    }
    drop(a);
}
