//! The witnessed register through the binary: `vouch registry witness serve` cosigns the
//! checkpoints `vouch registry serve --witness` submits, and `vouch registry monitor`
//! with that witness in its policy accepts the register's checkpoint (and refuses it with a
//! witness that never cosigned).

mod registry_support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use registry_support::{get, serve, serve_with, write_tokens};

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_register_gets_its_checkpoints_cosigned_and_the_monitor_checks_the_quorum() {
    let dir = tempfile::tempdir().unwrap();
    write_tokens(dir.path());
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("r.db").display());
    // The register's log key, from a first start.
    let log_vkey = {
        let first = serve(dir.path(), &db);
        let keys = get(&first.url, "/keys").json().unwrap();
        keys["log_keys"][0]["vkey"].as_str().unwrap().to_string()
    };
    // The witness of that log.
    let listen = format!("127.0.0.1:{}", vouch_ops::loopback::free_ports(1));
    let mut witness = Child(
        Command::new(env!("CARGO_BIN_EXE_vouch"))
            .args([
                "registry",
                "witness",
                "serve",
                "--name",
                "witness.test.vouch.example",
                "--listen",
                &listen,
                "--log-key",
                &log_vkey,
                "--data-dir",
            ])
            .arg(dir.path().join("witness"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(witness.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let rest = line.trim().strip_prefix("vouch witness ").expect(&line);
    let (witness_vkey, url) = rest.split_once(" listening on ").unwrap();
    let register = serve_with(
        dir.path(),
        &db,
        &["--witness", &format!("{url}={witness_vkey}")],
    );
    let monitor = |witness: &str, state: &str| {
        Command::new(env!("CARGO_BIN_EXE_vouch"))
            .args([
                "registry",
                "monitor",
                "--url",
                &register.url,
                "--log-key",
                &log_vkey,
                "--witness",
                witness,
                "--state",
            ])
            .arg(dir.path().join(state))
            .output()
            .unwrap()
    };
    // The register submits within its interval: wait for the cosigned checkpoint.
    let deadline = Instant::now() + Duration::from_secs(30);
    let report = loop {
        let out = monitor(witness_vkey, "monitor.json");
        if out.status.success() {
            break serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "never cosigned: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(report["witnesses"][0], "witness.test.vouch.example");
    assert_eq!(report["to_size"], 1);
    // A witness that never cosigned this register: the quorum is not met, exit 1.
    let (stranger, _) =
        credentials::keys::SoftwareSigner::generate(credentials::keys::Algorithm::EdDsa).unwrap();
    let other = trust_framework::cosignature::CosignerKey::new(
        "other.test.vouch.example",
        credentials::keys::Signer::public_key(&stranger),
    )
    .unwrap()
    .to_vkey();
    let refused = monitor(&other, "monitor-other.json");
    assert_eq!(refused.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(report["findings"][0]["code"], "quorum");
}
