//! Operations, through the built `vouch` binary: every service of `vouch up` answers
//! `/healthz` and `/metrics` (Prometheus text whose request counter grows), a service
//! configured by file and environment logs JSON, and SIGTERM stops a service only after the
//! request in flight is answered, with exit status 0.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{file_contains, wait_exit, wait_until};

fn vouch() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vouch"))
}

/// One HTTP/1.1 exchange over a fresh connection: (status, body).
fn http(addr: &str, method: &str, path: &str) -> (u16, String) {
    let mut c = TcpStream::connect(addr).unwrap_or_else(|e| panic!("{addr}: {e}"));
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        c,
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    c.read_to_string(&mut out).unwrap();
    parse_response(&out)
}

fn parse_response(raw: &str) -> (u16, String) {
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {raw:?}"));
    let body = raw.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
    (status, body.to_string())
}

/// Checks every line is Prometheus text (a comment, or `name{labels} value`); returns the
/// samples as (name with labels, value).
fn parse_prometheus(text: &str) -> Vec<(String, f64)> {
    let mut samples = vec![];
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(c) = line.strip_prefix('#') {
            let c = c.trim_start();
            assert!(
                c.starts_with("HELP ") || c.starts_with("TYPE ") || c.starts_with("EOF"),
                "bad comment line {line:?}"
            );
            if let Some(t) = c.strip_prefix("TYPE ") {
                let kind = t.split_whitespace().nth(1).unwrap_or("");
                assert!(
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                    "bad TYPE {line:?}"
                );
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line:?}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                && !name.starts_with(|c: char| c.is_ascii_digit()),
            "bad metric name in {line:?}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "unterminated labels in {line:?}");
        }
        let v: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v
                .parse()
                .unwrap_or_else(|_| panic!("bad value in {line:?}")),
        };
        samples.push((series.to_string(), v));
    }
    samples
}

/// The sum of the samples of `name` whose labels contain every one of `labels`.
fn total(samples: &[(String, f64)], name: &str, labels: &[&str]) -> f64 {
    samples
        .iter()
        .filter(|(s, _)| {
            s.starts_with(&format!("{name}{{")) && labels.iter().all(|l| s.contains(l))
        })
        .map(|(_, v)| v)
        .sum()
}

fn lines_of(child: &mut Child) -> Receiver<String> {
    let (tx, rx) = channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            eprintln!("vouch: {l}");
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_line(rx: &Receiver<String>, what: &str, secs: u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) if l.contains(what) => return l,
            Ok(_) => {}
            Err(_) => panic!("never printed {what:?}"),
        }
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig}");
}

fn write_token(path: &Path) {
    std::fs::write(path, "operator-token-0123456789abcdef").unwrap();
}

#[test]
fn registry_from_a_config_file_logs_json_and_drains_the_request_in_flight_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write_token(&d.join("operator.token"));
    let config = d.join("vouch.toml");
    std::fs::write(
        &config,
        format!(
            "log_format = \"json\"\n\n[registry]\nlisten = \"127.0.0.1:{}\"\ndata_dir = \"{}\"\ndatabase_url = \"sqlite://{}\"\nadmin_token_file = \"{}\"\n",
            vouch_ops::loopback::free_ports(1),
            d.join("registry").display(),
            d.join("registry.db").display(),
            d.join("operator.token").display(),
        ),
    )
    .unwrap();
    let log = std::fs::File::create(d.join("registry.log")).unwrap();
    let mut child = vouch()
        .args(["--config"])
        .arg(&config)
        .args(["registry", "serve"])
        // The environment beats the file: the origin is taken from here.
        .env("VOUCH_REGISTRY_ORIGIN", "ops-test.vouch.example/log")
        .env_remove("VOUCH_LOG")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let rx = lines_of(&mut child);
    let line = wait_line(&rx, "listening on http://", 60);
    let addr = line.rsplit("http://").next().unwrap().trim().to_string();

    let (s, body) = http(&addr, "GET", "/healthz");
    assert_eq!(s, 200, "{body}");
    let h: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(h["status"], "ok");
    let (_, cp) = http(&addr, "GET", "/log/checkpoint");
    assert!(cp.starts_with("ops-test.vouch.example/log\n"), "{cp}");

    let before = parse_prometheus(&http(&addr, "GET", "/metrics").1);
    let labels = [
        "service=\"registry\"",
        "route=\"/healthz\"",
        "status=\"200\"",
    ];
    let n = total(&before, "vouch_http_requests_total", &labels);
    assert!(n >= 1.0, "{before:?}");
    http(&addr, "GET", "/healthz");
    http(&addr, "GET", "/entries/someone-s-entry?who=ada");
    let (s, text) = http(&addr, "GET", "/metrics");
    assert_eq!(s, 200);
    let after = parse_prometheus(&text);
    assert_eq!(total(&after, "vouch_http_requests_total", &labels), n + 1.0);
    assert!(
        total(
            &after,
            "vouch_http_requests_total",
            &["route=\"/entries/{entry_id}\""]
        ) >= 1.0,
        "{text}"
    );
    assert!(!text.contains("someone") && !text.contains("ada"), "{text}");
    assert!(
        text.contains("vouch_http_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(text.contains("vouch_registry_log_size "), "{text}");

    // A request in flight: headers and half the body sent, then SIGTERM, then the rest.
    let in_flight = |addr: &str| {
        let (_, text) = http(addr, "GET", "/metrics");
        total(
            &parse_prometheus(&text),
            "vouch_http_requests_in_flight",
            &["service=\"registry\""],
        )
    };
    // At rest (the /metrics request may count itself).
    let idle = in_flight(&addr);
    let body = br#"{"legal_basis":"test","body":{}}"#;
    let mut c = TcpStream::connect(&addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        c,
        "POST /events/entry.registered HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer operator-token-0123456789abcdef\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    c.write_all(&body[..10]).unwrap();
    c.flush().unwrap();
    wait_until(
        "the registry to count the half-sent request in flight",
        Duration::from_secs(20),
        || (in_flight(&addr) > idle).then_some(()),
    );
    signal(&child, "-TERM");
    // The signal is taken: the registry stops accepting and drains (its own log says so).
    wait_until(
        "the registry to log that it drains after SIGTERM",
        Duration::from_secs(20),
        || file_contains(&d.join("registry.log"), "no longer accepting").then_some(()),
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "exited with a request in flight"
    );
    c.write_all(&body[10..]).unwrap();
    let mut raw = String::new();
    c.read_to_string(&mut raw).unwrap();
    let (status, answer) = parse_response(&raw);
    assert!(
        (400..500).contains(&status),
        "the request in flight was answered: {status} {answer}"
    );
    assert_eq!(wait_exit(&mut child, Duration::from_secs(15)), Some(0));
    assert!(TcpStream::connect(&addr).is_err(), "still accepting");

    let logs = std::fs::read_to_string(d.join("registry.log")).unwrap();
    let json_lines: Vec<Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(!json_lines.is_empty(), "no JSON log lines:\n{logs}");
    let msg = |v: &Value| v["fields"]["message"].as_str().unwrap_or("").to_string();
    assert!(
        json_lines.iter().any(|v| msg(v) == "shutdown requested"),
        "{logs}"
    );
    assert!(json_lines.iter().any(|v| msg(v) == "stopped"), "{logs}");
    assert!(
        json_lines
            .iter()
            .any(|v| v["fields"]["route"] == "/entries/{entry_id}"),
        "{logs}"
    );
    assert!(
        !logs.contains("someone-s-entry") && !logs.contains("who=ada"),
        "{logs}"
    );
}

fn free_base_port() -> u16 {
    vouch_ops::loopback::free_ports(4)
}

#[test]
fn every_service_of_up_answers_healthz_and_metrics_and_up_stops_cleanly_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let base = free_base_port();
    let mut child = vouch()
        .args(["up", "--data-dir"])
        .arg(&dir)
        .args(["--base-port", &base.to_string(), "--log-format", "json"])
        .args(["--snapshot-refresh-seconds", "1"])
        .env_remove("VOUCH_LOG")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut child);
    wait_line(&rx, "Ctrl-C stops everything", 240);
    let services = [
        ("registry", base),
        ("issuer", base + 1),
        ("verifier", base + 2),
        ("wallet", base + 3),
    ];
    for (name, port) in services {
        let addr = format!("127.0.0.1:{port}");
        let (s, body) = http(&addr, "GET", "/healthz");
        assert_eq!(s, 200, "{name} /healthz: {body}");
        let h: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(h["status"], "ok", "{name}: {h}");
        let labels = [
            format!("service=\"{name}\""),
            "route=\"/healthz\"".to_string(),
        ];
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        let (s, text) = http(&addr, "GET", "/metrics");
        assert_eq!(s, 200, "{name} /metrics");
        let n = total(
            &parse_prometheus(&text),
            "vouch_http_requests_total",
            &labels,
        );
        assert!(n >= 1.0, "{name}: {text}");
        http(&addr, "GET", "/healthz");
        let (_, text) = http(&addr, "GET", "/metrics");
        let m = total(
            &parse_prometheus(&text),
            "vouch_http_requests_total",
            &labels,
        );
        assert_eq!(m, n + 1.0, "{name}'s request counter did not grow");
    }
    // The verifier re-fetches the register's snapshot on its own (every second here).
    let verifier = format!("127.0.0.1:{}", base + 2);
    let text = wait_until(
        "the verifier to count a snapshot refresh in /metrics",
        Duration::from_secs(20),
        || {
            let (_, text) = http(&verifier, "GET", "/metrics");
            let s = parse_prometheus(&text);
            (total(&s, "vouch_verifier_trust_snapshot_refreshes_total", &[]) >= 1.0).then_some(text)
        },
    );
    assert!(
        text.contains("vouch_verifier_trust_snapshot_age_seconds "),
        "{text}"
    );
    let (_, h) = http(&verifier, "GET", "/healthz");
    let h: Value = serde_json::from_str(&h).unwrap();
    assert_eq!(h["checks"]["database"], "ok", "{h}");
    assert_eq!(h["checks"]["trust_snapshot"], "ok", "{h}");

    signal(&child, "-TERM");
    assert_eq!(wait_exit(&mut child, Duration::from_secs(60)), Some(0));
    for (name, port) in services {
        assert!(
            TcpStream::connect(("127.0.0.1", port)).is_err(),
            "the {name} still listens"
        );
        let log = std::fs::read_to_string(dir.join("logs").join(format!("{name}.log"))).unwrap();
        let json: Vec<Value> = log
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        assert!(
            json.iter()
                .any(|v| v["fields"]["message"] == "shutdown requested"),
            "the {name} did not log a graceful shutdown as JSON:\n{log}"
        );
        // Seeding stored the citizen at the issuer: the line names no subject.
        assert!(
            !log.contains("citizen-ada"),
            "the {name} logged a subject id:\n{log}"
        );
        if name == "issuer" {
            assert!(
                json.iter()
                    .any(|v| v["fields"]["message"] == "subject stored"
                        && v["fields"]["subject"] == "[redacted]"),
                "{log}"
            );
        }
    }
}
