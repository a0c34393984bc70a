//! `vouch registry`: run the trust register's service, audit its log, and decide offline
//! from a snapshot file.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use credentials::keys::Jwk;
use credentials::x509::Certificate;
use trust_framework::admission::WritePolicy;
use trust_framework::decision::{self, Evidence};
use trust_framework::note::NoteKey;
use trust_framework::snapshot::SnapshotVerifier;
use vouch_registry::audit::{self, AuditState, Source};
use vouch_registry::http::{self, auth::Tokens, AppState};
use vouch_registry::service::{Registry, Settings};
use vouch_registry::store::Store;

use crate::io::{self, CliResult};

/// Registry commands.
#[derive(Subcommand)]
pub enum RegistryCommand {
    /// Serve the register: public read API, authenticated write API, web page.
    Serve(ServeArgs),
    /// Replay the log, verify every proof and checkpoint, recompute the register, report
    /// anomalies. Exit 1 if the log was tampered with.
    Audit(AuditArgs),
    /// Decide offline, from a snapshot file alone, whether an issuer was certified.
    Authorize(AuthorizeArgs),
    /// Follow the log through its tiles (C2SP tlog-tiles), reading only what is new since
    /// the state file; print a JSON report. Exit 0 when all is well, 1 on any finding (a
    /// rewritten entry, a log that shrank, tiles that disagree with their entries, a bad
    /// checkpoint signature).
    Monitor(MonitorArgs),
    /// Run a witness (C2SP tlog-witness): cosign a register's checkpoints after checking
    /// each is consistent with the last one it cosigned. Prints its verifier key.
    #[command(subcommand)]
    Witness(WitnessCommand),
}

/// `vouch registry witness`.
#[derive(Subcommand)]
pub enum WitnessCommand {
    /// Serve `POST /add-checkpoint`.
    Serve(WitnessServeArgs),
}

/// `vouch registry witness serve`.
#[derive(Args)]
pub struct WitnessServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: String,
    /// The witness's name (its cosignatures' key name), e.g. `witness1.example.org`.
    #[arg(long)]
    name: String,
    /// Its key (`witness.jwk`, made on first start) and state (`witness-state.json`).
    #[arg(long, default_value = "witness-data")]
    data_dir: PathBuf,
    /// A log it witnesses, by one of its keys (`origin+id+key`; repeatable).
    #[arg(long = "log-key", required = true)]
    log_keys: Vec<String>,
}

/// `vouch registry monitor`.
#[derive(Args)]
pub struct MonitorArgs {
    /// The registry's base URL (`https://host[:port]` or `http://host:port`).
    #[arg(long)]
    url: String,
    /// A trusted log key (`name+id+key`, repeatable: each key the log has used).
    #[arg(long = "log-key", required = true)]
    log_keys: Vec<String>,
    /// The state file: what was verified so far (made on the first run; moved forward only
    /// after a clean run).
    #[arg(long)]
    state: PathBuf,
    /// A trusted witness (`name+id+base64(0x04 || key)`, repeatable): the checkpoint must
    /// carry the quorum of their cosignatures.
    #[arg(long = "witness")]
    witnesses: Vec<String>,
    /// How many of the trusted witnesses must have cosigned (default: all of them).
    #[arg(long)]
    quorum: Option<usize>,
}

/// `vouch registry serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// `sqlite://FILE` (created if missing) or `postgres://...`.
    #[arg(long, default_value = "sqlite://registry.db")]
    database_url: String,
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// The URL the registry is reached at (registration certificates point their status
    /// list there); `http://` and the listening address by default.
    #[arg(long)]
    public_url: Option<String>,
    /// Directory of the log and snapshot keys (created, with keys, on first run).
    #[arg(long, default_value = "registry-data")]
    data_dir: PathBuf,
    /// A witness the register submits each new checkpoint to, `URL=VKEY` (repeatable); the
    /// cosignatures gathered are served with the checkpoint.
    #[arg(long = "witness")]
    witnesses: Vec<String>,
    /// Seconds between submissions of a new checkpoint to the witnesses.
    #[arg(long, default_value_t = 1)]
    witness_interval_seconds: u64,
    /// How far (seconds) a written event's `occurred_at` may be from this server's clock.
    /// Only an operator importing an existing register's history raises it.
    #[arg(long, default_value_t = trust_framework::admission::DEFAULT_MAX_SKEW.as_secs())]
    max_event_skew_seconds: u64,
    /// File holding the scheme operator's bearer token.
    #[arg(long)]
    admin_token_file: PathBuf,
    /// File of certifying-body tokens, one `<cab-id> <token>` per line.
    #[arg(long)]
    cab_token_file: Option<PathBuf>,
    /// The log's origin line (also the log key's name).
    #[arg(long, default_value = "registry.vouch.example/log")]
    origin: String,
    /// How long a snapshot stays valid, in hours.
    #[arg(long, default_value_t = 24)]
    snapshot_validity_hours: i64,
}

/// `vouch registry audit`.
#[derive(Args)]
pub struct AuditArgs {
    /// The registry's base URL (`https://host[:port]` or `http://host:port`).
    #[arg(
        long,
        conflicts_with = "database_url",
        required_unless_present = "database_url"
    )]
    url: Option<String>,
    /// The registry's database (a regulator's replica).
    #[arg(long)]
    database_url: Option<String>,
    /// The pinned genesis log key (`name+id+key`); without it the log's own genesis is trusted.
    #[arg(long)]
    log_key: Option<String>,
    /// File remembering the last verified checkpoint; read, checked, then updated.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Audit as of this time (RFC 3339) instead of now.
    #[arg(long)]
    at: Option<String>,
}

/// `vouch registry authorize`.
#[derive(Args)]
pub struct AuthorizeArgs {
    /// The snapshot file (compact JWS).
    #[arg(long)]
    snapshot: PathBuf,
    /// The registry's snapshot public key (JWK file).
    #[arg(long)]
    snapshot_key: PathBuf,
    /// The registry's pinned genesis log key (`name+id+key`).
    #[arg(long)]
    log_key: String,
    /// The issuer's `iss` (with `--issuer-key`).
    #[arg(long, requires = "issuer_key")]
    iss: Option<String>,
    /// The issuer's public JWK file (with `--iss`).
    #[arg(long)]
    issuer_key: Option<PathBuf>,
    /// The issuer's x5c chain, PEM, leaf first.
    #[arg(long)]
    x5c: Option<PathBuf>,
    /// The IACA root an mdoc validated to, PEM.
    #[arg(long)]
    iaca: Option<PathBuf>,
    /// The credential type (vct or docType).
    #[arg(long)]
    credential_type: String,
    /// The purpose (`right_to_work`, `right_to_rent`, `dbs_check`, or any other).
    #[arg(long, default_value = "general")]
    purpose: String,
    /// Decide as of this time (RFC 3339); the snapshot's freshness is then not required.
    #[arg(long)]
    at: Option<String>,
}

/// Runs a registry command.
pub fn run(cmd: RegistryCommand) -> CliResult<i32> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    match cmd {
        RegistryCommand::Serve(a) => rt.block_on(serve(a)),
        RegistryCommand::Audit(a) => rt.block_on(audit_cmd(a)),
        RegistryCommand::Authorize(a) => authorize(a),
        RegistryCommand::Monitor(a) => rt.block_on(monitor_cmd(a)),
        RegistryCommand::Witness(WitnessCommand::Serve(a)) => rt.block_on(witness_serve(a)),
    }
}

async fn serve(a: ServeArgs) -> CliResult<i32> {
    vouch_ops::files::restrict_umask();
    let operator_token = io::read_text(&a.admin_token_file)?;
    if operator_token.trim().len() < 16 {
        return Err(format!(
            "{} must hold a token of at least 16 characters",
            a.admin_token_file.display()
        ));
    }
    let mut tokens = Tokens::new("ofdia", &operator_token);
    if let Some(f) = &a.cab_token_file {
        tokens = tokens.with_cab_file(&io::read_text(f)?);
    }
    let settings = Settings {
        origin: a.origin.clone(),
        snapshot_validity: time::Duration::hours(a.snapshot_validity_hours),
        write_policy: WritePolicy {
            max_skew: std::time::Duration::from_secs(a.max_event_skew_seconds),
        },
    };
    let registry = Registry::open(&a.database_url, &a.data_dir, settings)
        .await
        .map_err(|e| format!("cannot open the registry: {e}"))?;
    let listener = tokio::net::TcpListener::bind(&a.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", a.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut endpoints = Vec::new();
    for w in &a.witnesses {
        let (url, vkey) = w
            .split_once('=')
            .ok_or_else(|| format!("--witness {w}: expected URL=VKEY"))?;
        endpoints.push(vouch_registry::witness::submit::WitnessEndpoint {
            url: url.to_string(),
            key: trust_framework::cosignature::CosignerKey::from_vkey(vkey)
                .map_err(|e| format!("--witness {url}: {e}"))?,
            size: 0,
        });
    }
    registry.set_public_url(
        &a.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}")),
    );
    println!("vouch registry listening on http://{addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let state = Arc::new(AppState { registry, tokens });
    if !endpoints.is_empty() {
        let s = state.clone();
        let every = std::time::Duration::from_secs(a.witness_interval_seconds.max(1));
        tokio::spawn(async move {
            let http = match vouch_registry::http::client::Client::new() {
                Ok(h) => h,
                Err(e) => return tracing::error!(error = %e, "no HTTP client for the witnesses"),
            };
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = s.registry.witness_round(&http, &mut endpoints).await {
                    tracing::warn!(error = %e, "witness round failed");
                }
            }
        });
    }
    http::serve(listener, state)
        .await
        .map_err(|e| format!("server failed: {e}"))?;
    Ok(0)
}

async fn witness_serve(a: WitnessServeArgs) -> CliResult<i32> {
    vouch_ops::files::restrict_umask();
    let mut logs: std::collections::BTreeMap<String, Vec<NoteKey>> = Default::default();
    for v in &a.log_keys {
        let k = NoteKey::from_vkey(v).map_err(|e| format!("--log-key: {e}"))?;
        logs.entry(k.name().to_string()).or_default().push(k);
    }
    let signer = vouch_registry::keys::witness_key(&a.data_dir)
        .map_err(|e| format!("{}: {e}", a.data_dir.display()))?;
    let witness = vouch_registry::witness::Witness::new(
        &a.name,
        signer,
        logs,
        a.data_dir.join("witness-state.json"),
    )
    .map_err(|e| format!("the witness's state: {e}"))?;
    let listener = tokio::net::TcpListener::bind(&a.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", a.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!(
        "vouch witness {} listening on http://{addr}",
        witness.vkey()
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    vouch_ops::serve(listener, Arc::new(witness).router(), "witness")
        .await
        .map_err(|e| format!("server failed: {e}"))?;
    Ok(0)
}

async fn monitor_cmd(a: MonitorArgs) -> CliResult<i32> {
    use vouch_registry::monitor::{self, MonitorState};
    let keys = a
        .log_keys
        .iter()
        .map(|v| NoteKey::from_vkey(v).map_err(|e| format!("--log-key: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let state: MonitorState = if a.state.exists() {
        serde_json::from_str(&io::read_text(&a.state)?)
            .map_err(|e| format!("{} is not a monitor state: {e}", a.state.display()))?
    } else {
        MonitorState::default()
    };
    let witnesses = a
        .witnesses
        .iter()
        .map(|v| {
            trust_framework::cosignature::CosignerKey::from_vkey(v)
                .map_err(|e| format!("--witness: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let policy = (!witnesses.is_empty()).then(|| trust_framework::cosignature::WitnessPolicy {
        quorum: a.quorum.unwrap_or(witnesses.len()),
        witnesses,
    });
    let http = vouch_registry::http::client::Client::new().map_err(|e| e.to_string())?;
    let (report, next) =
        monitor::run_with_policy(&http, &a.url, &keys, policy.as_ref(), &state).await;
    if let Some(next) = next {
        vouch_ops::files::write_private(
            &a.state,
            serde_json::to_string_pretty(&next).map_err(|e| e.to_string())?,
        )
        .map_err(|e| format!("{}: {e}", a.state.display()))?;
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
    );
    Ok(if report.ok() { 0 } else { 1 })
}

async fn audit_cmd(a: AuditArgs) -> CliResult<i32> {
    let now = match &a.at {
        Some(t) => time::OffsetDateTime::from_unix_timestamp(io::parse_time(t)?)
            .map_err(|e| e.to_string())?,
        None => time::OffsetDateTime::now_utc(),
    };
    let pinned = a
        .log_key
        .as_deref()
        .map(|v| NoteKey::from_vkey(v).map_err(|e| format!("--log-key: {e}")))
        .transpose()?;
    let seen: Option<AuditState> = match &a.state {
        Some(p) if p.exists() => Some(
            serde_json::from_str(&io::read_text(p)?)
                .map_err(|e| format!("{} is not an audit state: {e}", p.display()))?,
        ),
        _ => None,
    };
    let store;
    let source = match (&a.url, &a.database_url) {
        (Some(u), _) => Source::Http(u),
        (None, Some(d)) => {
            store = Store::connect(d)
                .await
                .map_err(|e| format!("cannot open {d}: {e}"))?;
            Source::Database(&store)
        }
        (None, None) => return Err("give --url or --database-url".into()),
    };
    let report = audit::audit(source, pinned.as_ref(), seen.as_ref(), now)
        .await
        .map_err(|e| format!("audit failed: {e}"))?;
    io::print_json(&serde_json::to_value(&report).map_err(|e| e.to_string())?);
    if let Some(first) = report.tampering.first() {
        eprintln!("vouch: TAMPERING DETECTED: {first}");
        return Ok(1);
    }
    if let Some(p) = &a.state {
        vouch_ops::files::write_private(
            p,
            serde_json::to_string(&report.state).map_err(|e| e.to_string())?,
        )
        .map_err(|e| format!("cannot write {}: {e}", p.display()))?;
    }
    eprintln!(
        "vouch: log intact: {} entries, {} checkpoints, {} inclusion and {} consistency proofs verified; {} anomalies",
        report.log_size,
        report.checkpoints_verified,
        report.inclusion_proofs_verified,
        report.consistency_proofs_verified,
        report.anomalies.len()
    );
    Ok(0)
}

fn authorize(a: AuthorizeArgs) -> CliResult<i32> {
    let snapshot_key = io::read_jwk(&a.snapshot_key, false)?;
    let log_key = NoteKey::from_vkey(&a.log_key).map_err(|e| format!("--log-key: {e}"))?;
    let verifier = SnapshotVerifier {
        snapshot_key: snapshot_key.public_key().clone(),
        log_key,
    };
    let jws = io::read_text(&a.snapshot)?;
    let (snapshot, at) = match &a.at {
        Some(t) => {
            let at = time::OffsetDateTime::from_unix_timestamp(io::parse_time(t)?)
                .map_err(|e| e.to_string())?;
            (verifier.verify_archived(&jws), at)
        }
        None => {
            let now = time::OffsetDateTime::now_utc();
            (verifier.verify(&jws, now), now)
        }
    };
    let snapshot = snapshot.map_err(|e| format!("{}: {e} ({})", a.snapshot.display(), e.code()))?;
    let pem = |p: &PathBuf| -> CliResult<Vec<Certificate>> {
        Certificate::from_pem_chain(&io::read_text(p)?).map_err(|e| format!("{}: {e}", p.display()))
    };
    let issuer_jwk: Option<Jwk> = a
        .issuer_key
        .as_ref()
        .map(|p| io::read_jwk(p, false))
        .transpose()?;
    let chain = a.x5c.as_ref().map(pem).transpose()?;
    let iaca = a.iaca.as_ref().map(pem).transpose()?;
    let evidence = match (&a.iss, &issuer_jwk, &chain, &iaca) {
        (Some(iss), Some(jwk), None, None) => Evidence::IssKey {
            iss,
            key: jwk.public_key(),
        },
        // With --x5c, --iss (if given) is the credential's `iss`, checked against the entry.
        (iss, None, Some(chain), None) => Evidence::X5c {
            chain,
            iss: iss.as_deref(),
        },
        (None, None, None, Some(roots)) => Evidence::Iaca(&roots[0]),
        _ => return Err("give exactly one of --iss with --issuer-key, --x5c, or --iaca".into()),
    };
    let d = decision::authorize(
        snapshot.register(),
        &evidence,
        &a.credential_type,
        &a.purpose,
        at,
    );
    io::print_json(&serde_json::to_value(&d).map_err(|e| e.to_string())?);
    if !d.allowed {
        eprintln!("vouch: not authorized: {}", d.reason);
        return Ok(1);
    }
    Ok(0)
}
