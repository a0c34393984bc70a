//! `vouch up`: the whole scheme on one machine. Starts the trust register, an identity
//! provider's issuer, an employer's verifier and the demo web wallet as supervised child
//! processes of this same binary, seeds them on first start, prints where to click, keeps
//! the verifier's trust data in step with the register, and shuts everything down on
//! Ctrl-C or SIGTERM (each child is sent SIGTERM and finishes its requests in flight).
//!
//! The children get this command's `--config` file and `--log-format`, so one file
//! configures every service; what `vouch up` passes as flags (ports, data directories,
//! database URLs) wins over the file, as flags always do.
//!
//! State lives in `--data-dir` (SQLite files, software keys, admin tokens, logs), or with
//! `--database-url postgres://...` each service's tables go into their own schema of that
//! database (`vouch_registry`, `vouch_issuer`, `vouch_verifier`; the wallet, being the
//! citizen's device, stays SQLite).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{json, Value};

use crate::io::CliResult;

/// `vouch up`.
#[derive(Args)]
pub struct UpArgs {
    /// Where every service keeps its keys, tokens, SQLite files and logs.
    #[arg(long, default_value = "vouch-data")]
    data_dir: PathBuf,
    /// `postgres://...`: every service's state in PostgreSQL (one schema per service).
    #[arg(long)]
    database_url: Option<String>,
    /// The register listens on this port, the issuer on +1, the verifier on +2, the wallet
    /// on +3 (all on 127.0.0.1). Fixed by the first start of a data directory.
    #[arg(long, default_value_t = 7070)]
    base_port: u16,
    /// Seconds between the verifier's own re-fetches of the register's snapshot (0: only
    /// when `vouch up` sees the log grow).
    #[arg(long, default_value_t = 60)]
    snapshot_refresh_seconds: u64,
}

/// Global settings `vouch up` hands on to every service it starts.
pub struct Passed {
    /// The configuration file, if any.
    pub config: Option<PathBuf>,
    /// `text` or `json`.
    pub log_format: String,
}

/// The demo's fictional organisations and person.
const ENTRY_ID: &str = "idsp-vouch-identity";
const PROVIDER_NAME: &str = "Vouch Test IDSP Ltd";
const CAB_ID: &str = "cab-a";
const SERVICE_CERT: &str = "CAB-A-2026-0001";
const RTW_CERT: &str = "CAB-A-RTW-2026-0001";
const EMPLOYER_NAME: &str = "Example Employer plc";
const SUBJECT: &str = "citizen-ada";
const RTW_VCT: &str = "urn:vouch:uk:right-to-work:1";
const PID_VCT: &str = "urn:vouch:uk:pid:1";
const DCQL_RTW: &str = include_str!("../../../specs/dcql/templates/right-to-work.json");
const PID_CLAIMS: &str = include_str!("../../../specs/examples/pid.claims.json");
const RTW_CLAIMS: &str = include_str!("../../../specs/examples/right-to-work.claims.json");

struct Ports {
    registry: u16,
    issuer: u16,
    verifier: u16,
    wallet: u16,
}

/// One supervised service.
struct Service {
    name: &'static str,
    args: Vec<String>,
    env: Vec<(String, String)>,
    child: Option<Child>,
    ready: String,
    restarts: u32,
}

struct Up {
    exe: PathBuf,
    /// Arguments before the subcommand of every child (`--config`, `--log-format`).
    global: Vec<String>,
    dir: PathBuf,
    http: reqwest::Client,
    services: Vec<Service>,
    /// Environment every child gets (the outbound fetch allow-list: its own origins only).
    env: Vec<(String, String)>,
}

/// Runs `vouch up`.
pub fn run(a: UpArgs, passed: Passed) -> CliResult<i32> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(up(a, passed))
}

fn random_token() -> CliResult<String> {
    use std::io::Read;
    let mut b = [0u8; 32];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .map_err(|e| format!("no randomness: {e}"))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Writes a file of the data directory: `0600`, created exclusively, renamed into place.
fn write_secret(path: &Path, text: &str) -> CliResult<()> {
    vouch_ops::files::write_private(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads `path`, or makes it with a fresh token.
fn token_file(path: &Path) -> CliResult<String> {
    if let Ok(t) = std::fs::read_to_string(path) {
        if t.trim().len() >= 16 {
            return Ok(t.trim().to_string());
        }
    }
    let t = random_token()?;
    write_secret(path, &t)?;
    Ok(t)
}

fn now_rfc3339(offset_days: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::days(offset_days))
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339 formats")
}

/// The database URL of `service`: a SQLite file in the data dir, or a schema of PostgreSQL.
async fn database_url(dir: &Path, pg: Option<&str>, service: &str) -> CliResult<String> {
    let Some(pg) = pg else {
        return Ok(format!(
            "sqlite://{}",
            dir.join(format!("{service}.db")).display()
        ));
    };
    if !pg.starts_with("postgres://") && !pg.starts_with("postgresql://") {
        return Err("--database-url must be postgres://... (SQLite is the default)".into());
    }
    let schema = format!("vouch_{service}");
    use sqlx::Connection;
    let mut c = sqlx::postgres::PgConnection::connect(pg)
        .await
        .map_err(|e| format!("cannot reach {pg}: {e}"))?;
    sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .execute(&mut c)
        .await
        .map_err(|e| format!("cannot create the schema {schema}: {e}"))?;
    let _ = c.close().await;
    let sep = if pg.contains('?') { '&' } else { '?' };
    Ok(format!("{pg}{sep}options=-c%20search_path%3D{schema}"))
}

impl Up {
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
    async fn start(
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

    fn stop_all(&mut self) {
        for s in self.services.iter_mut().rev() {
            Self::stop(s);
        }
    }

    async fn restart(&mut self, i: usize) -> CliResult<()> {
        Self::stop(&mut self.services[i]);
        let c = self.spawn(&self.services[i])?;
        self.services[i].child = Some(c);
        self.wait_ready(i).await
    }

    async fn get_text(&self, url: &str) -> CliResult<String> {
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
    async fn send(
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

fn certificate(number: &str, issued: &str, expires: &str) -> Value {
    json!({
        "number": number,
        "body": {"cab_id": CAB_ID, "name": "Example Certification Ltd (cab-a)", "ukas_accreditation": "0001"},
        "framework_version": "1.0",
        "issued_at": issued,
        "expires_at": expires,
        "document_digest": null,
    })
}

/// The employer's registration: right-to-work checks, the claims of the DCQL template.
fn employer(client_id: &str) -> CliResult<Value> {
    let dcql: Value = serde_json::from_str(DCQL_RTW).map_err(|e| e.to_string())?;
    let claims: Vec<String> = dcql["credentials"][0]["claims"]
        .as_array()
        .ok_or("the right-to-work DCQL template has no claims")?
        .iter()
        .filter_map(|c| c["path"].as_array())
        .map(|p| {
            p.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    Ok(json!({"relying_party": {
        "relying_party_id": client_id,
        "name": EMPLOYER_NAME,
        "company_number": "07654321",
        "purposes": [{
            "purpose": "right_to_work",
            "description": "Right-to-work check before employment starts",
            "credential_types": [RTW_VCT],
            "claims": claims,
        }],
    }}))
}

/// Ada's verified attributes at the identity provider (the fictional person of
/// `specs/examples`).
fn citizen() -> CliResult<Value> {
    let pid: Value = serde_json::from_str(PID_CLAIMS).map_err(|e| e.to_string())?;
    let rtw: Value = serde_json::from_str(RTW_CLAIMS).map_err(|e| e.to_string())?;
    Ok(json!({
        "attributes": {
            "given_name": pid["given_name"],
            "family_name": pid["family_name"],
            "birthdate": pid["birthdate"],
            "birth_place": pid["birth_place"],
            "nationalities": pid["nationalities"],
            "address": pid["address"],
            "pid_document_number": pid["document_number"],
            "portrait": rtw["portrait"],
            "nationality": rtw["nationality"],
            "document": rtw["document"],
        },
        "gpg45_profile": rtw["gpg45_profile"],
    }))
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn up(a: UpArgs, passed: Passed) -> CliResult<i32> {
    // Everything this process and its services create is theirs only; what an earlier
    // version left readable by others is tightened.
    vouch_ops::files::restrict_umask();
    vouch_ops::files::private_dir(&a.data_dir.join("logs"))
        .map_err(|e| format!("{}: {e}", a.data_dir.display()))?;
    let tightened = vouch_ops::files::tighten(&a.data_dir)
        .map_err(|e| format!("{}: {e}", a.data_dir.display()))?;
    if tightened > 0 {
        eprintln!(
            "vouch up: {tightened} file(s) of {} were readable by others; now private",
            a.data_dir.display()
        );
    }
    let dir = a
        .data_dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", a.data_dir.display()))?;
    let state_path = dir.join("up.json");
    let mut state: Value = std::fs::read_to_string(&state_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| json!({}));
    let base = match state["base_port"].as_u64() {
        Some(p) => {
            if p != u64::from(a.base_port) && a.base_port != 7070 {
                eprintln!(
                    "vouch up: {} was first started on base port {p}; keeping it (the register names the issuer by its URL)",
                    dir.display()
                );
            }
            p as u16
        }
        None => a.base_port,
    };
    if base > u16::MAX - 3 {
        return Err("--base-port is too high".into());
    }
    state["base_port"] = json!(base);
    let ports = Ports {
        registry: base,
        issuer: base + 1,
        verifier: base + 2,
        wallet: base + 3,
    };
    let registry_url = format!("http://127.0.0.1:{}", ports.registry);
    let issuer_url = format!("http://127.0.0.1:{}", ports.issuer);
    let verifier_url = format!("http://localhost:{}", ports.verifier);
    let wallet_url = format!("http://127.0.0.1:{}", ports.wallet);
    let client_id = "x509_san_dns:localhost";

    // Tokens: the scheme operator's and the certifying body's.
    let operator = token_file(&dir.join("operator.token"))?;
    let cab = token_file(&dir.join("cab.token"))?;
    write_secret(&dir.join("cabs.tokens"), &format!("{CAB_ID} {cab}\n"))?;
    let passphrase = token_file(&dir.join("wallet.passphrase"))?;

    let pg = a.database_url.as_deref();
    let registry_db = database_url(&dir, pg, "registry").await?;
    let issuer_db = database_url(&dir, pg, "issuer").await?;
    let verifier_db = database_url(&dir, pg, "verifier").await?;

    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let mut global = vec!["--log-format".to_string(), passed.log_format.clone()];
    if let Some(c) = &passed.config {
        let c = c
            .canonicalize()
            .map_err(|e| format!("{}: {e}", c.display()))?;
        global.extend(["--config".to_string(), c.display().to_string()]);
    }
    let mut up = Up {
        exe,
        global,
        dir: dir.clone(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| e.to_string())?,
        services: Vec::new(),
        // The services fetch from one another over plain HTTP on loopback (status lists,
        // metadata, snapshots): those origins, and no other non-public address, are allowed.
        env: vec![(
            "VOUCH_FETCH_ALLOW_ORIGINS".into(),
            [&registry_url, &issuer_url, &verifier_url, &wallet_url]
                .iter()
                .map(|u| u.replace("localhost", "127.0.0.1"))
                .chain(std::iter::once(verifier_url.clone()))
                .collect::<Vec<_>>()
                .join(","),
        )],
    };
    let p = |x: &Path| x.display().to_string();
    let s = |x: &str| x.to_string();

    let result: CliResult<String> = async {
        // 1. The trust register.
        up.start(
            "registry",
            vec![
                s("registry"),
                s("serve"),
                s("--database-url"),
                registry_db.clone(),
                s("--listen"),
                format!("127.0.0.1:{}", ports.registry),
                s("--data-dir"),
                p(&dir.join("registry")),
                s("--admin-token-file"),
                p(&dir.join("operator.token")),
                s("--cab-token-file"),
                p(&dir.join("cabs.tokens")),
            ],
            vec![],
            format!("{registry_url}/healthz"),
        )
        .await?;
        let keys: Value =
            serde_json::from_str(&up.get_text(&format!("{registry_url}/keys")).await?)
                .map_err(|e| format!("/keys: {e}"))?;
        let snapshot_key = dir.join("registry-snapshot-key.jwk");
        write_secret(&snapshot_key, &keys["snapshot_key"].to_string())?;
        let vkey = keys["log_keys"][0]["vkey"]
            .as_str()
            .ok_or("the registry's /keys has no log key")?
            .to_string();
        let vkey_file = dir.join("registry-log.vkey");
        write_secret(&vkey_file, &vkey)?;

        let issuer_args = |extra: &[&str]| -> Vec<String> {
            let mut v = vec![
                s("issuer"),
                s("serve"),
                s("--database-url"),
                issuer_db.clone(),
                s("--listen"),
                format!("127.0.0.1:{}", ports.issuer),
                s("--data-dir"),
                p(&dir.join("issuer")),
                s("--issuer-url"),
                issuer_url.clone(),
                s("--name"),
                s(PROVIDER_NAME),
                s("--status-list-size"),
                s("16384"),
            ];
            v.extend(extra.iter().map(|x| x.to_string()));
            v
        };

        // 2. First start: register the provider (with its issuer's anchors), its right-to-work
        //    note and the employer.
        if state["seeded"].as_bool() != Some(true) {
            let out = Command::new(&up.exe)
                .args(&up.global)
                .args(issuer_args(&["--print-registration"]))
                .stderr(Stdio::inherit())
                .output()
                .map_err(|e| format!("cannot run the issuer: {e}"))?;
            if !out.status.success() {
                return Err("vouch issuer serve --print-registration failed".to_string());
            }
            let reg: Value = serde_json::from_slice(&out.stdout)
                .map_err(|e| format!("--print-registration printed no JSON: {e}"))?;
            let mut body = reg["request"]["body"].clone();
            let (issued, expires) = (now_rfc3339(-30), now_rfc3339(3 * 365));
            body["entry_id"] = json!(ENTRY_ID);
            body["provider"] = json!({
                "provider_id": "vouch-test-idsp",
                "legal_name": PROVIDER_NAME,
                "company_number": "01234567",
                "jurisdiction": "GB",
                "website": issuer_url,
            });
            body["certificate"] = certificate(SERVICE_CERT, &issued, &expires);
            body["expires_at"] = json!(expires);
            let events = format!("{registry_url}/events");
            up.send(
                reqwest::Method::POST,
                &format!("{events}/entry.registered"),
                &operator,
                &json!({"legal_basis": "DUAA 2025 s.33", "body": body}),
                true,
            )
            .await?;
            up.send(
                reqwest::Method::POST,
                &format!("{events}/note.added"),
                &operator,
                &json!({"legal_basis": "DUAA 2025 s.36", "body": {
                    "entry_id": ENTRY_ID,
                    "note": {"code": "right_to_work", "code_version": "1.0",
                             "certificate": certificate(RTW_CERT, &issued, &expires)},
                }}),
                true,
            )
            .await?;
            up.send(
                reqwest::Method::POST,
                &format!("{events}/relying_party.registered"),
                &operator,
                &json!({"body": employer(client_id)?}),
                true,
            )
            .await?;
            state["seeded"] = json!(true);
            state["entry_id"] = json!(ENTRY_ID);
            write_secret(&state_path, &state.to_string())?;
        }

        // 3. The identity provider's issuer, Ada's verified attributes and a fresh offer.
        up.start(
            "issuer",
            issuer_args(&[]),
            vec![],
            format!("{issuer_url}/healthz"),
        )
        .await?;
        let admin = std::fs::read_to_string(dir.join("issuer/admin.token"))
            .map_err(|e| format!("the issuer's admin token: {e}"))?;
        let admin = admin.trim();
        up.send(
            reqwest::Method::PUT,
            &format!("{issuer_url}/admin/subjects/{SUBJECT}"),
            admin,
            &citizen()?,
            false,
        )
        .await?;
        // The demo wallet is the issuer's one registered OAuth client (authorization code
        // flow), with its exact redirect URI.
        up.send(
            reqwest::Method::POST,
            &format!("{issuer_url}/admin/clients"),
            admin,
            &json!({"client_id": "vouch-wallet", "name": "Vouch demo wallet",
                    "redirect_uris": [format!("{wallet_url}/authorized")]}),
            false,
        )
        .await?;
        let offer = up
            .send(
                reqwest::Method::POST,
                &format!("{issuer_url}/admin/offers"),
                admin,
                &json!({"subject_id": SUBJECT,
                        "credential_configuration_ids": ["pid_sd_jwt", "right_to_work_sd_jwt"],
                        "pre_authorized": true, "tx_code": true}),
                false,
            )
            .await?;
        let offer_url = offer["offer_url"]
            .as_str()
            .ok_or("the issuer's offer has no offer_url")?
            .to_string();
        let tx_code = offer["tx_code"].as_str().unwrap_or("").to_string();

        // 4. The employer's verifier, from the register's current snapshot.
        let snapshot = dir.join("snapshot.jws");
        write_secret(
            &snapshot,
            &up.get_text(&format!("{registry_url}/snapshot")).await?,
        )?;
        up.start(
            "verifier",
            vec![
                s("verifier"),
                s("serve"),
                s("--listen"),
                format!("127.0.0.1:{}", ports.verifier),
                s("--public-url"),
                verifier_url.clone(),
                s("--database-url"),
                verifier_db.clone(),
                s("--data-dir"),
                p(&dir.join("verifier")),
                s("--snapshot"),
                p(&snapshot),
                s("--snapshot-key"),
                p(&snapshot_key),
                s("--log-key"),
                vkey.clone(),
                s("--registry-url"),
                registry_url.clone(),
                s("--snapshot-refresh-seconds"),
                a.snapshot_refresh_seconds.to_string(),
            ],
            vec![],
            format!("http://127.0.0.1:{}/healthz", ports.verifier),
        )
        .await?;

        // 5. The citizen's web wallet, trusting the verifier's root and the register.
        up.start(
            "wallet",
            vec![
                s("wallet"),
                s("--dir"),
                p(&dir.join("wallet")),
                s("serve"),
                s("--listen"),
                format!("127.0.0.1:{}", ports.wallet),
                s("--verifier-root"),
                p(&dir.join("verifier/reader-root.pem")),
                s("--registry-url"),
                registry_url.clone(),
                s("--snapshot-key"),
                p(&snapshot_key),
                s("--log-key"),
                p(&vkey_file),
                s("--refresh-seconds"),
                s("5"),
            ],
            vec![(s("VOUCH_WALLET_PASSPHRASE"), passphrase.clone())],
            format!("{wallet_url}/healthz"),
        )
        .await?;

        let citizen_link = format!("{wallet_url}/offer?offer={}", enc(&offer_url));
        let ready = json!({
            "registry_url": registry_url,
            "issuer_url": issuer_url,
            "verifier_url": verifier_url,
            "wallet_url": wallet_url,
            "offer_url": offer_url,
            "tx_code": tx_code,
            "citizen_link": citizen_link,
            "entry_id": ENTRY_ID,
            "certificate_number": SERVICE_CERT,
            "rtw_certificate_number": RTW_CERT,
            "cab_id": CAB_ID,
            "operator_token_file": dir.join("operator.token"),
            "cab_token_file": dir.join("cab.token"),
            "issuer_admin_token_file": dir.join("issuer/admin.token"),
            "snapshot_key_file": snapshot_key,
            "log_key": vkey,
            "record_key_file": dir.join("verifier/record.jwk"),
            "employer_relying_party_id": client_id,
            "credential_types": [PID_VCT, RTW_VCT],
        });
        write_secret(
            &dir.join("ready.json"),
            &serde_json::to_string_pretty(&ready).map_err(|e| e.to_string())?,
        )?;
        print_next_steps(&dir, &ready);
        Ok(vkey)
    }
    .await;
    let vkey = match result {
        Ok(v) => v,
        Err(e) => {
            up.stop_all();
            return Err(e);
        }
    };
    let _ = vkey;

    // 6. Supervise: restart what dies, reload the verifier when the register changes, stop
    //    everything on Ctrl-C or SIGTERM.
    let shutdown = vouch_ops::signal();
    tokio::pin!(shutdown);
    let mut last = up
        .get_text(&format!("{registry_url}/log/checkpoint"))
        .await
        .unwrap_or_default();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        for i in 0..up.services.len() {
            let exited = match &mut up.services[i].child {
                Some(c) => matches!(c.try_wait(), Ok(Some(_))),
                None => true,
            };
            if exited {
                let name = up.services[i].name;
                if up.services[i].restarts >= 5 {
                    eprintln!("vouch up: the {name} keeps exiting; stopping everything");
                    up.stop_all();
                    return Ok(1);
                }
                eprintln!("vouch up: the {name} exited; restarting it");
                up.services[i].restarts += 1;
                if let Err(e) = up.restart(i).await {
                    eprintln!("vouch up: {e}");
                }
            }
        }
        // The verifier decides from a snapshot file: when the log grows, give it the new one.
        let Ok(now) = up.get_text(&format!("{registry_url}/log/checkpoint")).await else {
            continue;
        };
        if now != last {
            match up.get_text(&format!("{registry_url}/snapshot")).await {
                Ok(jws) => {
                    if let Err(e) = write_secret(&dir.join("snapshot.jws"), &jws) {
                        eprintln!("vouch up: cannot write the snapshot: {e}");
                        continue;
                    }
                    if let Some(i) = up.services.iter().position(|s| s.name == "verifier") {
                        match up.restart(i).await {
                            Ok(()) => {
                                let size = now.lines().nth(1).unwrap_or("?");
                                println!(
                                    "vouch up: the trust register changed (log size {size}); the verifier reloaded it"
                                );
                                use std::io::Write;
                                let _ = std::io::stdout().flush();
                                last = now;
                            }
                            Err(e) => eprintln!("vouch up: {e}"),
                        }
                    }
                }
                Err(e) => eprintln!("vouch up: {e}"),
            }
        }
    }
    println!("vouch up: stopping");
    up.stop_all();
    println!("vouch up: stopped");
    Ok(0)
}

fn print_next_steps(dir: &Path, r: &Value) {
    let v = |k: &str| r[k].as_str().unwrap_or("").to_string();
    let tx = v("tx_code");
    let tx_line = if tx.is_empty() {
        String::new()
    } else {
        format!("     The identity provider's transaction code (sent by text in real life): {tx}\n")
    };
    println!(
        "Vouch is up. State and keys in {dir}, logs in {dir}/logs.

  Trust register (regulator)    {reg}/
  Identity provider (issuer)    {iss}/.well-known/openid-credential-issuer
  Employer's check (verifier)   {ver}/
  Citizen's wallet              {wal}/

What to do next:
  1. Citizen: open this link and press \"Add to wallet\" to get a PID and a right-to-work
     credential from {provider}:
       {link}
{tx_line}  2. Employer: open {ver}/ and press \"Start a check\". Copy the page's wallet link
     (openid4vp://...) into the wallet's \"Answer a request\", review the consent screen
     and press \"Share\". The employer's page shows the outcome.
  3. Regulator: suspend the provider's certificate, then run a new check (it fails with
     certificate_suspended; earlier records still verify with vouch verifier check-record):
       curl -X POST {reg}/events/certificate.suspended \\
         -H \"Authorization: Bearer $(cat {dir}/cab.token)\" -H 'Content-Type: application/json' \\
         -d '{{\"body\":{{\"entry_id\":\"{entry}\",\"certificate_number\":\"{cert}\"}}}}'

Ctrl-C stops everything.",
        dir = dir.display(),
        reg = v("registry_url"),
        iss = v("issuer_url"),
        ver = v("verifier_url"),
        wal = v("wallet_url"),
        link = v("citizen_link"),
        provider = PROVIDER_NAME,
        entry = v("entry_id"),
        cert = v("certificate_number"),
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
}
