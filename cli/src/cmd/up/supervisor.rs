//! The supervisor of `vouch up`: starts each service as a child process of this binary,
//! waits until it answers its readiness URL, restarts what dies, and stops everything
//! (SIGTERM, then SIGKILL after five seconds).

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::io::CliResult;

/// One supervised service.
pub(super) struct Service {
    pub(super) name: &'static str,
    args: Vec<String>,
    env: Vec<(String, String)>,
    pub(super) child: Option<Child>,
    ready: String,
    pub(super) restarts: u32,
}

/// The children and what they share.
pub(super) struct Supervisor {
    pub(super) exe: PathBuf,
    /// Arguments before the subcommand of every child (`--config`, `--log-format`).
    pub(super) global: Vec<String>,
    pub(super) dir: PathBuf,
    pub(super) http: reqwest::Client,
    pub(super) services: Vec<Service>,
    /// Environment every child gets (the outbound fetch allow-list: its own origins only).
    pub(super) env: Vec<(String, String)>,
}

impl Supervisor {
    fn log_file(&self, name: &str) -> CliResult<(File, File)> {
        let p = self.dir.join("logs").join(format!("{name}.log"));
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let f = opts.open(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let g = f.try_clone().map_err(|e| e.to_string())?;
        Ok((f, g))
    }

    fn spawn(&self, s: &Service) -> CliResult<Child> {
        let (out, err) = self.log_file(s.name)?;
        let mut c = Command::new(&self.exe);
        c.args(&self.global)
            .args(&s.args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        for (k, v) in self.env.iter().chain(&s.env) {
            c.env(k, v);
        }
        c.spawn()
            .map_err(|e| format!("cannot start the {}: {e}", s.name))
    }

    /// Starts `name` and waits until `ready` (a URL) answers 2xx.
    pub(super) async fn start(
        &mut self,
        name: &'static str,
        args: Vec<String>,
        env: Vec<(String, String)>,
        ready: String,
    ) -> CliResult<()> {
        let mut s = Service {
            name,
            args,
            env,
            child: None,
            ready,
            restarts: 0,
        };
        s.child = Some(self.spawn(&s)?);
        self.services.push(s);
        let i = self.services.len() - 1;
        self.wait_ready(i).await
    }

    async fn wait_ready(&mut self, i: usize) -> CliResult<()> {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let s = &mut self.services[i];
            if let Some(c) = &mut s.child {
                if let Ok(Some(status)) = c.try_wait() {
                    return Err(format!(
                        "the {} exited ({status}) while starting; see {}",
                        s.name,
                        self.dir
                            .join("logs")
                            .join(format!("{}.log", s.name))
                            .display()
                    ));
                }
            }
            let ready = s.ready.clone();
            if let Ok(r) = self.http.get(&ready).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the {} did not answer {ready} within 90 s; see {}",
                    self.services[i].name,
                    self.dir.join("logs").display()
                ));
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Stops one service: SIGTERM, then SIGKILL after five seconds.
    fn stop(s: &mut Service) {
        let Some(mut c) = s.child.take() else { return };
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = c.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = c.kill();
        let _ = c.wait();
    }

    pub(super) fn stop_all(&mut self) {
        for s in self.services.iter_mut().rev() {
            Self::stop(s);
        }
    }

    pub(super) async fn restart(&mut self, i: usize) -> CliResult<()> {
        Self::stop(&mut self.services[i]);
        let c = self.spawn(&self.services[i])?;
        self.services[i].child = Some(c);
        self.wait_ready(i).await
    }

    pub(super) async fn get_text(&self, url: &str) -> CliResult<String> {
        let r = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        let status = r.status();
        let t = r.text().await.map_err(|e| format!("GET {url}: {e}"))?;
        if !status.is_success() {
            return Err(format!("GET {url}: HTTP {status}: {t}"));
        }
        Ok(t)
    }

    /// Sends JSON with a bearer token; 409 (already there) counts as done when `idempotent`.
    pub(super) async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        token: &str,
        body: &Value,
        idempotent: bool,
    ) -> CliResult<Value> {
        let r = self
            .http
            .request(method.clone(), url)
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .map_err(|e| format!("{method} {url}: {e}"))?;
        let status = r.status();
        let t = r.text().await.unwrap_or_default();
        if status.is_success() || (idempotent && status.as_u16() == 409) {
            return Ok(serde_json::from_str(&t).unwrap_or(Value::Null));
        }
        Err(format!("{method} {url}: HTTP {status}: {t}"))
    }
}
