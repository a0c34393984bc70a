//! Abuse of every service `vouch up` runs, one service at a time, bounded in count and time
//! (loopback only): 2,000 idle and 500 slow-header connections from addresses 127.0.0.2
//! and up, while `/healthz` from 127.0.0.1 keeps answering within 2 s; the timeouts then
//! close them all, and the service's open descriptors and memory stay bounded throughout.
//!
//! The header timeout is shortened to 2 s for the test (`VOUCH_HEADER_TIMEOUT_SECS`, what
//! an operator would set), so the whole run stays well inside a minute.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const IDLE: usize = 2_000;
const SLOW: usize = 500;
/// Connections per source address (well under the per-address cap of 256).
const PER_ADDRESS: usize = 100;
const HEADER_TIMEOUT_SECS: u64 = 2;

/// The soft limit on open files raised to the hard limit (the test holds 2,500 sockets).
fn raise_file_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut l = getrlimit(Resource::Nofile);
    l.current = l.maximum;
    let _ = setrlimit(Resource::Nofile, l);
}

struct Up {
    child: Child,
    ready: Value,
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path) -> Up {
    let base = vouch_ops::loopback::free_ports(4);
    let mut child = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["up", "--data-dir"])
        .arg(dir)
        .args(["--base-port", &base.to_string()])
        .env("VOUCH_HEADER_TIMEOUT_SECS", HEADER_TIMEOUT_SECS.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(240);
    for line in out.lines().map_while(Result::ok) {
        if line.contains("Ctrl-C stops everything") {
            break;
        }
        assert!(Instant::now() < deadline, "vouch up did not come up");
    }
    let ready =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ready.json")).unwrap()).unwrap();
    Up { child, ready }
}

/// The process listening on `port`, found by its command line (`--listen 127.0.0.1:PORT`).
fn pid_of(port: u16) -> u32 {
    let needle = format!("127.0.0.1:{port}");
    for e in std::fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains("vouch") && cmd.contains(&needle) && !cmd.contains(" up ") {
            return pid;
        }
    }
    panic!("no process listens on {needle}");
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// `GET /healthz` from 127.0.0.1 over a fresh connection; the time it took.
fn healthz(addr: SocketAddr) -> Duration {
    let t = Instant::now();
    let mut c = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .expect("healthz connects");
    c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 200"), "healthz: {out:?}");
    t.elapsed()
}

async fn connect_from(n: usize, first_octet: usize, to: SocketAddr) -> TcpStream {
    let host = first_octet + n / PER_ADDRESS;
    let s = TcpSocket::new_v4().unwrap();
    s.bind(SocketAddr::from(([127, 0, 0, host as u8], 0)))
        .unwrap();
    s.connect(to).await.unwrap()
}

/// Whether the server has closed `c` (EOF or reset) by now, waiting at most `within`.
async fn closed(c: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 256];
    loop {
        match tokio::time::timeout(within, c.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

async fn flood(name: &str, url: &str) {
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .replace("localhost", "127.0.0.1")
        .parse()
        .unwrap();
    let pid = pid_of(addr.port());
    let fds_before = open_fds(pid);
    let rss_before = rss_kib(pid);
    let started = Instant::now();
    // 2,000 idle connections from 127.0.0.2-21, one in ten first asking for /healthz and
    // then staying kept-alive and idle.
    let mut idle = Vec::with_capacity(IDLE);
    for i in 0..IDLE {
        let mut c = connect_from(i, 2, addr).await;
        if i % 10 == 0 {
            c.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
                .await
                .unwrap();
            let mut buf = [0u8; 1024];
            let _ = c.read(&mut buf).await;
        }
        idle.push(c);
    }
    // 500 slow-header connections from 127.0.0.30-34.
    let mut slow = Vec::with_capacity(SLOW);
    for i in 0..SLOW {
        let mut c = connect_from(i, 30, addr).await;
        c.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
            .await
            .unwrap();
        slow.push(c);
    }
    // Held: the service still answers its health check promptly, from another address.
    for _ in 0..3 {
        let took = tokio::task::spawn_blocking(move || healthz(addr))
            .await
            .unwrap();
        assert!(
            took < Duration::from_secs(2),
            "{name}: healthz took {took:?}"
        );
        for c in slow.iter_mut().take(50) {
            let _ = c.write_all(b"x-slow: 1\r\n").await;
        }
    }
    let fds_held = open_fds(pid);
    let rss_held = rss_kib(pid);
    // The header timeout closes every one of them: by the timeout after the last one
    // opened, with a margin for a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(HEADER_TIMEOUT_SECS + 3);
    let mut open = 0;
    for c in idle.iter_mut().chain(slow.iter_mut()) {
        let left = deadline.saturating_duration_since(Instant::now());
        if !closed(c, left.max(Duration::from_millis(50))).await {
            open += 1;
        }
    }
    eprintln!("{name}: flood and timeouts in {:?}", started.elapsed());
    assert_eq!(
        open, 0,
        "{name}: {open} connections still open after the timeouts"
    );
    drop(idle);
    drop(slow);
    // The service gives the flood's descriptors back.
    let fds_after = support::wait_until_async(
        &format!(
            "the {name} to close the flood's descriptors (to at most {} open)",
            fds_before + 16
        ),
        Duration::from_secs(10),
        || {
            let n = open_fds(pid);
            (n <= fds_before + 16).then_some(n)
        },
    )
    .await;
    let rss_after = rss_kib(pid);
    eprintln!(
        "{name}: fds {fds_before} -> {fds_held} held -> {fds_after}; RSS {rss_before} -> {rss_held} -> {rss_after} KiB"
    );
    assert!(
        fds_held <= fds_before + IDLE + SLOW + 64,
        "{name}: {fds_held} descriptors held"
    );
    assert!(
        rss_held < rss_before + 160 * 1024,
        "{name}: RSS grew from {rss_before} to {rss_held} KiB"
    );
}

#[test]
fn every_service_survives_idle_and_slow_header_floods() {
    raise_file_limit();
    let tmp = tempfile::tempdir().unwrap();
    let up = start(&tmp.path().join("data"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for (name, key) in [
        ("registry", "registry_url"),
        ("issuer", "issuer_url"),
        ("verifier", "verifier_url"),
        ("wallet", "wallet_url"),
    ] {
        let url = up.ready[key].as_str().unwrap().to_string();
        rt.block_on(flood(name, &url));
    }
}
