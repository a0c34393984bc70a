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

mod seed;
mod state;
mod supervisor;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use clap::Args;
use serde_json::{json, Value};

use crate::io::CliResult;
use seed::*;
use state::{Ready, UpState};
use supervisor::Supervisor;

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
    /// `haip`: the scheme in its HAIP 1.0 form: the employer's `x509_hash` client id, a
    /// wallet in HAIP mode (signed requests, encrypted responses) whose wallet provider, a
    /// register entry certified as a holder service provider, attests it to an issuer that
    /// requires wallet attestations. Fixed by the first start of a data directory.
    #[arg(long, default_value = "default", value_parser = ["default", "haip"])]
    profile: String,
}

/// Global settings `vouch up` hands on to every service it starts.
pub struct Passed {
    /// The configuration file, if any.
    pub config: Option<PathBuf>,
    /// `text` or `json`.
    pub log_format: String,
}

/// Where each service listens: the register on the base port, then the issuer, the
/// verifier and the wallet.
struct Ports {
    registry: u16,
    issuer: u16,
    verifier: u16,
    wallet: u16,
}

impl Ports {
    fn from_base(base: u16) -> CliResult<Self> {
        if base > u16::MAX - 3 {
            return Err("--base-port is too high".into());
        }
        Ok(Ports {
            registry: base,
            issuer: base + 1,
            verifier: base + 2,
            wallet: base + 3,
        })
    }
}

/// Everything the services are started with: derived once from the arguments and the data
/// directory, so each service's command line is a pure function of it.
struct Plan {
    dir: PathBuf,
    ports: Ports,
    registry_url: String,
    issuer_url: String,
    verifier_url: String,
    wallet_url: String,
    registry_db: String,
    issuer_db: String,
    verifier_db: String,
    snapshot_refresh_seconds: u64,
    /// The HAIP profile.
    haip: bool,
    /// The employer's client id (its relying-party id on the register).
    client_id: String,
}

/// The employer's client identifier (its verifier's certificate names `localhost`); in the
/// HAIP profile its `x509_hash` instead.
const CLIENT_ID: &str = "x509_san_dns:localhost";

/// The demo wallet provider's identifier (its certificate's URI).
const WALLET_PROVIDER: &str = "https://wallet-provider.vouch.example";

impl Plan {
    fn path(&self, p: &str) -> String {
        self.dir.join(p).display().to_string()
    }

    fn registry_args(&self) -> Vec<String> {
        args(&[
            "registry",
            "serve",
            "--database-url",
            &self.registry_db,
            "--listen",
            &format!("127.0.0.1:{}", self.ports.registry),
            "--data-dir",
            &self.path("registry"),
            "--admin-token-file",
            &self.path("operator.token"),
            "--cab-token-file",
            &self.path("cabs.tokens"),
        ])
    }

    fn issuer_args(&self, extra: &[&str]) -> Vec<String> {
        let mut v = args(&[
            "issuer",
            "serve",
            "--database-url",
            &self.issuer_db,
            "--listen",
            &format!("127.0.0.1:{}", self.ports.issuer),
            "--data-dir",
            &self.path("issuer"),
            "--issuer-url",
            &self.issuer_url,
            "--name",
            PROVIDER_NAME,
            "--status-list-size",
            "16384",
        ]);
        v.extend(extra.iter().map(|x| x.to_string()));
        v
    }

    fn verifier_args(&self, trust: &RegisterTrust) -> Vec<String> {
        args(&[
            "verifier",
            "serve",
            "--listen",
            &format!("127.0.0.1:{}", self.ports.verifier),
            "--public-url",
            &self.verifier_url,
            "--database-url",
            &self.verifier_db,
            "--data-dir",
            &self.path("verifier"),
            "--organisation-name",
            EMPLOYER_NAME,
            "--snapshot",
            &self.path("snapshot.jws"),
            "--snapshot-key",
            &trust.snapshot_key_file.display().to_string(),
            "--log-key",
            &trust.log_key,
            "--registry-url",
            &self.registry_url,
            "--snapshot-refresh-seconds",
            &self.snapshot_refresh_seconds.to_string(),
            // The demo employer is registered under its DNS name (CLIENT_ID), which a
            // register seeded by an earlier version also names; under HAIP, its hash.
            "--client-id-prefix",
            if self.haip {
                "x509_hash"
            } else {
                "x509_san_dns"
            },
        ])
    }

    fn wallet_args(&self, trust: &RegisterTrust) -> Vec<String> {
        let mut v = args(&[
            "wallet",
            "--dir",
            &self.path("wallet"),
            "serve",
            "--listen",
            &format!("127.0.0.1:{}", self.ports.wallet),
            "--verifier-root",
            &self.path("verifier/reader-root.pem"),
            "--registry-url",
            &self.registry_url,
            "--snapshot-key",
            &trust.snapshot_key_file.display().to_string(),
            "--log-key",
            &trust.log_key_file.display().to_string(),
            "--refresh-seconds",
            "5",
        ]);
        if self.haip {
            v.extend(args(&[
                "--haip",
                "--wallet-provider-key",
                &self.path("wallet-provider/provider.jwk"),
                "--wallet-provider-cert",
                &self.path("wallet-provider/provider.pem"),
            ]));
        }
        v
    }

    /// The origins the services may fetch from over plain HTTP on loopback (status lists,
    /// metadata, snapshots): their own, and no other non-public address.
    fn fetch_allow_list(&self) -> String {
        [
            &self.registry_url,
            &self.issuer_url,
            &self.verifier_url,
            &self.wallet_url,
        ]
        .iter()
        .map(|u| u.replace("localhost", "127.0.0.1"))
        .chain(std::iter::once(self.verifier_url.clone()))
        .collect::<Vec<_>>()
        .join(",")
    }
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|x| x.to_string()).collect()
}

/// The register's keys as the verifier and the wallet pin them.
struct RegisterTrust {
    snapshot_key_file: PathBuf,
    log_key: String,
    log_key_file: PathBuf,
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
pub(super) fn write_secret(path: &Path, text: &str) -> CliResult<()> {
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

pub(super) fn now_rfc3339(offset_days: i64) -> String {
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

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Makes the data directory private (tightening what an earlier version left readable) and
/// returns its canonical path.
fn prepare_data_dir(data_dir: &Path) -> CliResult<PathBuf> {
    // Everything this process and its services create is theirs only.
    vouch_ops::files::restrict_umask();
    vouch_ops::files::private_dir(&data_dir.join("logs"))
        .map_err(|e| format!("{}: {e}", data_dir.display()))?;
    let tightened =
        vouch_ops::files::tighten(data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    if tightened > 0 {
        eprintln!(
            "vouch up: {tightened} file(s) of {} were readable by others; now private",
            data_dir.display()
        );
    }
    data_dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", data_dir.display()))
}

/// The base port: the first start's, whatever is asked later.
fn base_port(state: &UpState, asked: u16, dir: &Path) -> u16 {
    match state.base_port {
        Some(p) => {
            if p != asked && asked != 7070 {
                eprintln!(
                    "vouch up: {} was first started on base port {p}; keeping it (the register names the issuer by its URL)",
                    dir.display()
                );
            }
            p
        }
        None => asked,
    }
}

async fn up(a: UpArgs, passed: Passed) -> CliResult<i32> {
    let dir = prepare_data_dir(&a.data_dir)?;
    let state_path = dir.join("up.json");
    let mut state = UpState::load(&state_path);
    let base = base_port(&state, a.base_port, &dir);
    let ports = Ports::from_base(base)?;
    state.base_port = Some(base);

    // Tokens: the scheme operator's and the certifying body's.
    let operator = token_file(&dir.join("operator.token"))?;
    let cab = token_file(&dir.join("cab.token"))?;
    write_secret(&dir.join("cabs.tokens"), &format!("{CAB_ID} {cab}\n"))?;
    let passphrase = token_file(&dir.join("wallet.passphrase"))?;

    let profile = state.profile.clone().unwrap_or_else(|| a.profile.clone());
    if profile != a.profile && a.profile != "default" {
        return Err(format!(
            "{} was first started with --profile {profile}; start a new data directory for another",
            dir.display()
        ));
    }
    state.profile = Some(profile.clone());
    let haip = profile == "haip";
    let client_id = if haip {
        // The verifier keeps this certificate, so its hash is the client id it will use.
        let signer = verifier::oid4vp::RequestSigner::deployment(
            &dir.join("verifier"),
            "localhost",
            EMPLOYER_NAME,
            true,
        )
        .map_err(|e| format!("the verifier's request-signing certificate: {e}"))?;
        signer.client_id.as_string()
    } else {
        CLIENT_ID.to_string()
    };
    let pg = a.database_url.as_deref();
    let plan = Plan {
        haip,
        client_id,
        registry_url: format!("http://127.0.0.1:{}", ports.registry),
        issuer_url: format!("http://127.0.0.1:{}", ports.issuer),
        verifier_url: format!("http://localhost:{}", ports.verifier),
        wallet_url: format!("http://127.0.0.1:{}", ports.wallet),
        registry_db: database_url(&dir, pg, "registry").await?,
        issuer_db: database_url(&dir, pg, "issuer").await?,
        verifier_db: database_url(&dir, pg, "verifier").await?,
        snapshot_refresh_seconds: a.snapshot_refresh_seconds,
        ports,
        dir: dir.clone(),
    };

    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let mut global = vec!["--log-format".to_string(), passed.log_format.clone()];
    if let Some(c) = &passed.config {
        let c = c
            .canonicalize()
            .map_err(|e| format!("{}: {e}", c.display()))?;
        global.extend(["--config".to_string(), c.display().to_string()]);
    }
    let mut sup = Supervisor {
        exe,
        global,
        dir: dir.clone(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| e.to_string())?,
        services: Vec::new(),
        env: vec![("VOUCH_FETCH_ALLOW_ORIGINS".into(), plan.fetch_allow_list())],
    };

    let started = start_all(
        &mut sup,
        &plan,
        &mut state,
        &state_path,
        &operator,
        &passphrase,
    )
    .await;
    let ready = match started {
        Ok(r) => r,
        Err(e) => {
            sup.stop_all();
            return Err(e);
        }
    };
    write_secret(
        &dir.join("ready.json"),
        &serde_json::to_string_pretty(&ready).map_err(|e| e.to_string())?,
    )?;
    print_next_steps(&dir, &ready);
    supervise(&mut sup, &plan).await
}

/// Starts the five steps in order, seeding on first start; returns what `ready.json` says.
async fn start_all(
    sup: &mut Supervisor,
    plan: &Plan,
    state: &mut UpState,
    state_path: &Path,
    operator: &str,
    passphrase: &str,
) -> CliResult<Ready> {
    let dir = &plan.dir;
    // 1. The trust register, and its keys as the verifier and the wallet pin them.
    sup.start(
        "registry",
        plan.registry_args(),
        vec![],
        format!("{}/healthz", plan.registry_url),
    )
    .await?;
    let keys: Value =
        serde_json::from_str(&sup.get_text(&format!("{}/keys", plan.registry_url)).await?)
            .map_err(|e| format!("/keys: {e}"))?;
    let trust = RegisterTrust {
        snapshot_key_file: dir.join("registry-snapshot-key.jwk"),
        log_key: keys["log_keys"][0]["vkey"]
            .as_str()
            .ok_or("the registry's /keys has no log key")?
            .to_string(),
        log_key_file: dir.join("registry-log.vkey"),
    };
    write_secret(&trust.snapshot_key_file, &keys["snapshot_key"].to_string())?;
    write_secret(&trust.log_key_file, &trust.log_key)?;

    // 2. First start: register the provider (with its issuer's anchors), its right-to-work
    //    note and the employer.
    //    Under HAIP, the demo wallet provider too.
    if plan.haip {
        wallet_provider(plan)?;
    }
    if !state.seeded {
        seed_register(sup, plan, operator).await?;
        if plan.haip {
            seed_wallet_provider(sup, plan, operator).await?;
        }
        state.seeded = true;
        state.entry_id = Some(ENTRY_ID.into());
    }
    state.save(state_path)?;
    // The register's snapshot as the issuer (wallet providers, under HAIP) and the
    // verifier read it; rewritten whenever the log grows.
    write_secret(
        &dir.join("snapshot.jws"),
        &sup.get_text(&format!("{}/snapshot", plan.registry_url))
            .await?,
    )?;

    // 3. The identity provider's issuer, Ada's verified attributes and a fresh offer.
    let (offer_url, tx_code) = start_issuer(sup, plan, &trust).await?;

    // 4. The employer's verifier, from the register's current snapshot.
    write_secret(
        &dir.join("snapshot.jws"),
        &sup.get_text(&format!("{}/snapshot", plan.registry_url))
            .await?,
    )?;
    sup.start(
        "verifier",
        plan.verifier_args(&trust),
        vec![],
        format!("http://127.0.0.1:{}/healthz", plan.ports.verifier),
    )
    .await?;

    // The employer's first HR administrator: a one-time link to choose a password, until
    // they have (then they sign in).
    let admin_invitation = invite_employer_admin(sup, plan)?;

    // 5. The citizen's web wallet, trusting the verifier's root and the register.
    sup.start(
        "wallet",
        plan.wallet_args(&trust),
        vec![("VOUCH_WALLET_PASSPHRASE".into(), passphrase.to_string())],
        format!("{}/healthz", plan.wallet_url),
    )
    .await?;

    Ok(Ready {
        citizen_link: format!("{}/offer?offer={}", plan.wallet_url, enc(&offer_url)),
        registry_url: plan.registry_url.clone(),
        issuer_url: plan.issuer_url.clone(),
        verifier_url: plan.verifier_url.clone(),
        wallet_url: plan.wallet_url.clone(),
        offer_url,
        tx_code,
        entry_id: ENTRY_ID.into(),
        certificate_number: SERVICE_CERT.into(),
        rtw_certificate_number: RTW_CERT.into(),
        cab_id: CAB_ID.into(),
        operator_token_file: dir.join("operator.token"),
        cab_token_file: dir.join("cab.token"),
        issuer_admin_token_file: dir.join("issuer/admin.token"),
        snapshot_key_file: trust.snapshot_key_file,
        log_key: trust.log_key,
        record_key_file: dir.join("verifier/record.jwk"),
        employer_relying_party_id: plan.client_id.clone(),
        profile: if plan.haip { "haip" } else { "default" }.into(),
        employer_token_file: dir.join("verifier/api.key"),
        employer_admin_email: EMPLOYER_ADMIN.into(),
        employer_admin_invitation: admin_invitation,
        credential_types: vec![PID_VCT.into(), RTW_VCT.into(), RTW_V2_VCT.into()],
    })
}

/// The demo employer's HR administrator.
const EMPLOYER_ADMIN: &str = "hr.admin@employer.example";

/// A one-time invitation link for the employer's HR administrator, or `None` when they
/// have joined already.
fn invite_employer_admin(sup: &Supervisor, plan: &Plan) -> CliResult<Option<String>> {
    let out = Command::new(&sup.exe)
        .args(&sup.global)
        .args([
            "verifier",
            "employer",
            "invite",
            "--database-url",
            &plan.verifier_db,
            "--email",
            EMPLOYER_ADMIN,
            "--role",
            "admin",
            "--public-url",
            &plan.verifier_url,
            "--unless-member",
        ])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run vouch verifier employer invite: {e}"))?;
    if !out.status.success() {
        return Err("vouch verifier employer invite failed".into());
    }
    let link = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Ok((!link.is_empty()).then_some(link))
}

/// The demo wallet provider's keys in `wallet-provider/` (made on first use): a root, and
/// the provider's signing key with its certificate (naming [`WALLET_PROVIDER`]) under it.
fn wallet_provider(plan: &Plan) -> CliResult<()> {
    use credentials::keys::{Algorithm, Jwk, SoftwareSigner};
    use credentials::x509::dev::{issue, self_signed, CertSpec};
    let dir = plan.dir.join("wallet-provider");
    if dir.join("provider.pem").exists() {
        return Ok(());
    }
    vouch_ops::files::private_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let root_key: std::sync::Arc<dyn credentials::keys::Signer> = std::sync::Arc::new(
        SoftwareSigner::generate(Algorithm::Es256)
            .map_err(|e| e.to_string())?
            .0,
    );
    let root = self_signed(
        &CertSpec {
            common_name: "Vouch demo wallet provider root".into(),
            organization: Some("Vouch Wallet Ltd".into()),
            days: 3650,
            ca: Some(Some(0)),
            ..Default::default()
        },
        root_key.clone(),
    )
    .map_err(|e| e.to_string())?;
    let (signer, secret) = SoftwareSigner::generate(Algorithm::Es256).map_err(|e| e.to_string())?;
    let leaf = issue(
        &CertSpec {
            common_name: "Vouch demo wallet provider".into(),
            organization: Some("Vouch Wallet Ltd".into()),
            days: 825,
            uris: vec![WALLET_PROVIDER.into()],
            ..Default::default()
        },
        credentials::keys::Signer::public_key(&signer),
        &root,
        root_key,
    )
    .map_err(|e| e.to_string())?;
    write_secret(&dir.join("root.pem"), &root.to_pem())?;
    write_secret(
        &dir.join("provider.jwk"),
        &Jwk::from_secret_key(&secret).to_value().to_string(),
    )?;
    write_secret(&dir.join("provider.pem"), &leaf.to_pem())
}

/// Registers the demo wallet provider: a service certified as a holder service provider,
/// its root the `x5c_root` of its wallet attestations.
async fn seed_wallet_provider(sup: &Supervisor, plan: &Plan, operator: &str) -> CliResult<()> {
    let root = credentials::x509::Certificate::from_pem_chain(
        &std::fs::read_to_string(plan.dir.join("wallet-provider/root.pem"))
            .map_err(|e| format!("the wallet provider's root: {e}"))?,
    )
    .map_err(|e| e.to_string())?;
    let root = root.first().ok_or("the wallet provider's root is empty")?;
    let (issued, expires) = (now_rfc3339(-30), now_rfc3339(3 * 365));
    sup.send(
        reqwest::Method::POST,
        &format!("{}/events/entry.registered", plan.registry_url),
        operator,
        &json!({"legal_basis": "DUAA 2025 s.33", "body": {
            "entry_id": "wallet-provider-demo",
            "provider": {"provider_id": "vouch-wallet-ltd", "legal_name": "Vouch Wallet Ltd",
                         "company_number": "07777777", "jurisdiction": "GB",
                         "website": WALLET_PROVIDER},
            "service": {"name": "Vouch Wallet", "roles": ["holder_service_provider"],
                        "credential_types": [], "url": WALLET_PROVIDER},
            "certificate": certificate("CAB-A-2026-0101", &issued, &expires),
            "anchors": [{"anchor_id": "root", "kind": "x5c_root",
                         "certificate": credentials::b64::encode(root.der())}],
            "expires_at": expires,
        }}),
        true,
    )
    .await?;
    Ok(())
}

/// Registers the provider (its issuer's registration, as `--print-registration` gives it),
/// its right-to-work note and the employer.
async fn seed_register(sup: &Supervisor, plan: &Plan, operator: &str) -> CliResult<()> {
    let out = Command::new(&sup.exe)
        .args(&sup.global)
        .args(plan.issuer_args(&["--print-registration"]))
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
        "website": plan.issuer_url,
    });
    body["certificate"] = certificate(SERVICE_CERT, &issued, &expires);
    body["expires_at"] = json!(expires);
    let events = format!("{}/events", plan.registry_url);
    sup.send(
        reqwest::Method::POST,
        &format!("{events}/entry.registered"),
        operator,
        &json!({"legal_basis": "DUAA 2025 s.33", "body": body}),
        true,
    )
    .await?;
    sup.send(
        reqwest::Method::POST,
        &format!("{events}/note.added"),
        operator,
        &json!({"legal_basis": "DUAA 2025 s.36", "body": {
            "entry_id": ENTRY_ID,
            "note": {"code": "right_to_work", "code_version": "1.0",
                     "certificate": certificate(RTW_CERT, &issued, &expires)},
        }}),
        true,
    )
    .await?;
    sup.send(
        reqwest::Method::POST,
        &format!("{events}/relying_party.registered"),
        operator,
        &json!({"body": employer(&plan.client_id)?}),
        true,
    )
    .await?;
    Ok(())
}

/// Starts the issuer, gives it Ada's attributes and the demo wallet as its OAuth client,
/// and makes a fresh offer: its link and transaction code.
async fn start_issuer(
    sup: &mut Supervisor,
    plan: &Plan,
    trust: &RegisterTrust,
) -> CliResult<(String, String)> {
    let issuer_url = &plan.issuer_url;
    // Under HAIP, wallet attestations are required, from wallet providers the register
    // certifies (read from the snapshot file `vouch up` keeps fresh).
    let snapshot = plan.path("snapshot.jws");
    let snapshot_key = trust.snapshot_key_file.display().to_string();
    let haip: Vec<&str> = if plan.haip {
        vec![
            "--wallet-attestation",
            "required",
            "--register-snapshot",
            &snapshot,
            "--snapshot-key",
            &snapshot_key,
            "--log-key",
            &trust.log_key,
        ]
    } else {
        Vec::new()
    };
    sup.start(
        "issuer",
        plan.issuer_args(&haip),
        vec![],
        format!("{issuer_url}/healthz"),
    )
    .await?;
    let admin = std::fs::read_to_string(plan.dir.join("issuer/admin.token"))
        .map_err(|e| format!("the issuer's admin token: {e}"))?;
    let admin = admin.trim();
    sup.send(
        reqwest::Method::PUT,
        &format!("{issuer_url}/admin/subjects/{SUBJECT}"),
        admin,
        &citizen()?,
        false,
    )
    .await?;
    // The demo wallet is the issuer's one registered OAuth client (authorization code
    // flow), with its exact redirect URI.
    sup.send(
        reqwest::Method::POST,
        &format!("{issuer_url}/admin/clients"),
        admin,
        &json!({"client_id": "vouch-wallet", "name": "Vouch demo wallet",
                "redirect_uris": [format!("{}/authorized", plan.wallet_url)]}),
        false,
    )
    .await?;
    let offer = sup
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
    Ok((offer_url, tx_code))
}

/// Supervises until Ctrl-C or SIGTERM: restarts what dies (five times at most), and
/// reloads the verifier when the register's log grows.
async fn supervise(sup: &mut Supervisor, plan: &Plan) -> CliResult<i32> {
    let registry_url = &plan.registry_url;
    let shutdown = vouch_ops::signal();
    tokio::pin!(shutdown);
    let mut last = sup
        .get_text(&format!("{registry_url}/log/checkpoint"))
        .await
        .unwrap_or_default();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        for i in 0..sup.services.len() {
            let exited = match &mut sup.services[i].child {
                Some(c) => matches!(c.try_wait(), Ok(Some(_))),
                None => true,
            };
            if exited {
                let name = sup.services[i].name;
                if sup.services[i].restarts >= 5 {
                    eprintln!("vouch up: the {name} keeps exiting; stopping everything");
                    sup.stop_all();
                    return Ok(1);
                }
                eprintln!("vouch up: the {name} exited; restarting it");
                sup.services[i].restarts += 1;
                if let Err(e) = sup.restart(i).await {
                    eprintln!("vouch up: {e}");
                }
            }
        }
        // The verifier decides from a snapshot file: when the log grows, give it the new one.
        let Ok(now) = sup
            .get_text(&format!("{registry_url}/log/checkpoint"))
            .await
        else {
            continue;
        };
        if now != last && reload_verifier(sup, plan, &now).await {
            last = now;
        }
    }
    println!("vouch up: stopping");
    sup.stop_all();
    println!("vouch up: stopped");
    Ok(0)
}

/// Writes the register's new snapshot and restarts the verifier on it; whether it did.
async fn reload_verifier(sup: &mut Supervisor, plan: &Plan, checkpoint: &str) -> bool {
    let jws = match sup
        .get_text(&format!("{}/snapshot", plan.registry_url))
        .await
    {
        Ok(j) => j,
        Err(e) => {
            eprintln!("vouch up: {e}");
            return false;
        }
    };
    if let Err(e) = write_secret(&plan.dir.join("snapshot.jws"), &jws) {
        eprintln!("vouch up: cannot write the snapshot: {e}");
        return false;
    }
    let Some(i) = sup.services.iter().position(|s| s.name == "verifier") else {
        return false;
    };
    match sup.restart(i).await {
        Ok(()) => {
            let size = checkpoint.lines().nth(1).unwrap_or("?");
            println!(
                "vouch up: the trust register changed (log size {size}); the verifier reloaded it"
            );
            use std::io::Write;
            let _ = std::io::stdout().flush();
            true
        }
        Err(e) => {
            eprintln!("vouch up: {e}");
            false
        }
    }
}

fn print_next_steps(dir: &Path, r: &Ready) {
    let tx = &r.tx_code;
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
{tx_line}  2. Employer: {employer_access}
     Press \"Start a check\". Copy the page's wallet link
     (openid4vp://...) into the wallet's \"Answer a request\", review the consent screen
     and press \"Share\". The employer's page shows the outcome.
  3. Regulator: suspend the provider's certificate, then run a new check (it fails with
     certificate_suspended; earlier records still verify with vouch verifier check-record):
       curl -X POST {reg}/events/certificate.suspended \\
         -H \"Authorization: Bearer $(cat {dir}/cab.token)\" -H 'Content-Type: application/json' \\
         -d '{{\"body\":{{\"entry_id\":\"{entry}\",\"certificate_number\":\"{cert}\"}}}}'

Ctrl-C stops everything.",
        dir = dir.display(),
        reg = r.registry_url,
        iss = r.issuer_url,
        ver = r.verifier_url,
        wal = r.wallet_url,
        employer_access = match &r.employer_admin_invitation {
            Some(link) => format!(
                "open this one-time link, choose the HR administrator's password and sign in
     ({admin}); invite recruiters from the Members page:
       {link}",
                admin = r.employer_admin_email
            ),
            None => format!(
                "sign in at {}/sign-in as {}.",
                r.verifier_url, r.employer_admin_email
            ),
        },
        link = r.citizen_link,
        provider = PROVIDER_NAME,
        entry = r.entry_id,
        cert = r.certificate_number,
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
}
