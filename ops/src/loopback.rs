//! Loopback ports for tests and local runs, below 32768: the kernel hands out the ports
//! above (its ephemeral range) to outgoing connections, so a server bound there can collide
//! with a client of another test.

use std::net::TcpListener as StdListener;

/// The first port tried is spread by process and time; ports from here up are probed.
const LOW: u16 = 20_000;
/// One past the last port used (still below 32768).
const HIGH: u16 = 32_000;

fn start() -> u16 {
    let seed = u64::from(std::process::id())
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::from(d.subsec_nanos()))
            .unwrap_or(0);
    LOW + (seed.wrapping_mul(7919) % u64::from(HIGH - LOW)) as u16
}

/// A listener on `127.0.0.1` at a free port below 32768.
pub fn std_listener() -> std::io::Result<StdListener> {
    let first = start();
    let span = HIGH - LOW;
    for i in 0..span {
        let port = LOW + (first - LOW + i) % span;
        if let Ok(l) = StdListener::bind(("127.0.0.1", port)) {
            return Ok(l);
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        "no free loopback port below 32768",
    ))
}

/// A tokio listener on `127.0.0.1` at a free port below 32768.
pub async fn listener() -> std::io::Result<tokio::net::TcpListener> {
    let l = std_listener()?;
    l.set_nonblocking(true)?;
    tokio::net::TcpListener::from_std(l)
}

/// A loopback port below 32768 that accepts connections, counts them and answers none:
/// what a test watches to prove that nothing connected (or that something did).
pub async fn counting_port(
) -> std::io::Result<(u16, std::sync::Arc<std::sync::atomic::AtomicUsize>)> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let l = listener().await?;
    let port = l.local_addr()?.port();
    let conns = std::sync::Arc::new(AtomicUsize::new(0));
    let c = conns.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            drop(s);
        }
    });
    Ok((port, conns))
}

/// A port below 32768 free at the time of the call, for a child process to bind (`n`
/// consecutive free ports from the one returned).
pub fn free_ports(n: u16) -> u16 {
    let first = start();
    let span = HIGH - LOW - n;
    for i in 0..span {
        let base = LOW + (first - LOW + i) % span;
        let held: Vec<_> = (0..n)
            .map_while(|k| StdListener::bind(("127.0.0.1", base + k)).ok())
            .collect();
        if held.len() == usize::from(n) {
            return base;
        }
    }
    panic!("no {n} consecutive free loopback ports below 32768");
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn ports_are_below_the_ephemeral_range() {
        let l = super::listener().await.unwrap();
        let p = l.local_addr().unwrap().port();
        assert!((20_000..32_000).contains(&p), "{p}");
        let b = super::free_ports(4);
        assert!(b + 3 < 32_768, "{b}");
    }
}
