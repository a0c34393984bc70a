//! `vouch verifier`: serve the right-to-work check (OpenID4VP verifier and employer pages),
//! and check a retained record offline.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use trust_framework::note::NoteKey;
use trust_framework::snapshot::SnapshotVerifier;
use verifier::oid4vp::{load_or_create_key, templates, RequestSigner, Service, SystemClock};
use verifier::pipeline::Verifier;
use verifier::policy::Policy;
use verifier::record::{self, CheckOptions};
use verifier::status::{HttpStatusFetcher, NoNetwork, StatusCache, StatusFetcher, StatusLists};
use verifier::store::Store;
use verifier::trust::{HttpLogProofs, LogProofs, SnapshotRefresh, TrustData, TrustState};

use crate::io::{self, CliResult};

/// Verifier commands.
#[derive(Subcommand)]
pub enum VerifierCommand {
    /// Serve the right-to-work check: OpenID4VP endpoints, employer pages, records.
    Serve(ServeArgs),
    /// Verify a downloaded right-to-work record offline. Exit 0 valid, 1 not.
    CheckRecord(CheckRecordArgs),
    /// Write the Home Office inspection export (`.tar.gz`): the signed records, their
    /// printable pages and the access log; each record then verifies offline with
    /// `check-record`.
    Export(ExportArgs),
    /// Print an organisation's access log (every view, download, change, export and purge
    /// of its records, and who) as JSON and verify its hash chain. Exit 0 intact, 1 broken.
    AccessLog(AccessLogArgs),
    /// The employer organisations this verifier serves: add one, invite its members.
    #[command(subcommand)]
    Employer(super::employer::EmployerCommand),
}

/// `vouch verifier export`.
#[derive(Args)]
pub struct ExportArgs {
    /// The verifier's database: `sqlite://FILE` or `postgres://...`.
    #[arg(long, default_value = "sqlite://verifier.db")]
    database_url: String,
    /// The archive to write (`.tar.gz`); refused if it exists.
    #[arg(long)]
    out: PathBuf,
    /// Export only this record (repeatable); every record of the organisation by default.
    #[arg(long = "record")]
    records: Vec<String>,
    /// The organisation whose records these are.
    #[arg(long, default_value = "default")]
    org: String,
}

/// `vouch verifier access-log`.
#[derive(Args)]
pub struct AccessLogArgs {
    /// The verifier's database: `sqlite://FILE` or `postgres://...`.
    #[arg(long, default_value = "sqlite://verifier.db")]
    database_url: String,
    /// The organisation whose log to print.
    #[arg(long, default_value = "default")]
    org: String,
}

/// `vouch verifier serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: String,
    /// Public base URL wallets reach (default `http://localhost:PORT`).
    #[arg(long)]
    public_url: Option<String>,
    /// `sqlite://FILE` (created if missing) or `postgres://...`.
    #[arg(long, default_value = "sqlite://verifier.db")]
    database_url: String,
    /// Directory of keys (reader root, request signing, record key) and the status-list cache.
    #[arg(long, default_value = "verifier-data")]
    data_dir: PathBuf,
    /// The registry snapshot file (signed JWS) to decide trust from.
    #[arg(long)]
    snapshot: PathBuf,
    /// The registry's snapshot public key (JWK file).
    #[arg(long)]
    snapshot_key: PathBuf,
    /// The registry's genesis log key (`name+id+key`).
    #[arg(long)]
    log_key: String,
    /// The registry's base URL, for inclusion proofs in records and snapshot refreshes.
    #[arg(long)]
    registry_url: Option<String>,
    /// With `--registry-url` (and not `--offline`): seconds between re-fetches of the
    /// register's signed snapshot (a rollback or fork is refused); 0 never re-fetches.
    #[arg(long, default_value_t = 300)]
    snapshot_refresh_seconds: u64,
    /// No network: status lists come from the on-disk cache only.
    #[arg(long)]
    offline: bool,
    /// Client identifier prefix: `x509_hash` (default; HAIP 1.0: the SHA-256 of the kept
    /// request-signing certificate) or `x509_san_dns` (the host of `--public-url`).
    #[arg(long, default_value = "x509_hash", value_parser = ["x509_hash", "x509_san_dns"])]
    client_id_prefix: String,
    /// Oldest registry snapshot accepted, hours.
    #[arg(long, default_value_t = 168)]
    max_snapshot_age_hours: i64,
    /// Oldest cached status list accepted, hours.
    #[arg(long, default_value_t = 24)]
    max_status_age_hours: i64,
    /// Days a record is kept after the employment ends.
    #[arg(long, default_value_t = 731)]
    retention_days: i64,
    /// Days the record of a candidate never hired (no employment end entered) is kept after
    /// the check.
    #[arg(long, default_value_t = verifier::oid4vp::NOT_HIRED_RETENTION_DAYS)]
    not_hired_retention_days: i64,
    /// The organisation's API key for its HR systems (`Authorization: Bearer` on
    /// `/api/transactions`); made (0600) on first start when missing. Default:
    /// `<data-dir>/api.key`.
    #[arg(long)]
    api_key_file: Option<PathBuf>,
    /// The HR system's URL that gets a signed notice (JWS by the record key, ids and outcome
    /// only) when a check completes; through the outbound fetch policy (public HTTPS, or
    /// `VOUCH_FETCH_ALLOW_ORIGINS`).
    #[arg(long)]
    webhook_url: Option<String>,
    /// The name of the organisation this verifier serves by default (the one whose API key
    /// is `--api-key-file`), shown to its members.
    #[arg(long)]
    organisation_name: Option<String>,
    /// Checks waiting for a wallet's answer kept at once; past it, new checks get 503.
    #[arg(long, default_value_t = verifier::oid4vp::MAX_PENDING_TRANSACTIONS)]
    max_pending_transactions: i64,
}

/// `vouch verifier check-record`.
#[derive(Args)]
pub struct CheckRecordArgs {
    /// The record file (`right-to-work-*.jws`).
    file: PathBuf,
    /// A later registry snapshot: confirm from it that the provider held the note that day.
    #[arg(long)]
    snapshot: Option<PathBuf>,
    /// Pin the verifier's record key (JWK file).
    #[arg(long)]
    record_key: Option<PathBuf>,
    /// Pin the registry's snapshot key (JWK file).
    #[arg(long)]
    snapshot_key: Option<PathBuf>,
    /// Pin the registry's log key (`name+id+key`).
    #[arg(long)]
    log_key: Option<String>,
}

/// Runs a verifier command.
pub fn run(cmd: VerifierCommand) -> CliResult<i32> {
    match cmd {
        VerifierCommand::CheckRecord(a) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?
            .block_on(check_record(a)),
        VerifierCommand::Serve(a) => tokio::runtime::Runtime::new()
            .map_err(|e| e.to_string())?
            .block_on(serve(a)),
        VerifierCommand::Export(a) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?
            .block_on(export(a)),
        VerifierCommand::AccessLog(a) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?
            .block_on(access_log(a)),
        VerifierCommand::Employer(c) => super::employer::run(c),
    }
}

async fn export(a: ExportArgs) -> CliResult<i32> {
    if a.out.exists() {
        return Err(format!("{}: already exists", a.out.display()));
    }
    let store = Store::connect(&a.database_url, None)
        .await
        .map_err(|e| format!("{}: {e}", a.database_url))?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let bytes = verifier::export::inspection_archive(&store, &a.org, "operator", now, &a.records)
        .await
        .map_err(|e| e.to_string())?;
    vouch_ops::files::write_private(&a.out, &bytes)
        .map_err(|e| format!("{}: {e}", a.out.display()))?;
    println!("{}", a.out.display());
    Ok(0)
}

async fn access_log(a: AccessLogArgs) -> CliResult<i32> {
    let store = Store::connect(&a.database_url, None)
        .await
        .map_err(|e| format!("{}: {e}", a.database_url))?;
    let entries = store.access_log(&a.org).await.map_err(|e| e.to_string())?;
    let verdict = verifier::store::AccessEntry::verify_chain(&entries);
    let out = serde_json::json!({
        "intact": verdict.is_ok(),
        "broken_at": verdict.err(),
        "entries": entries,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
    );
    Ok(if verdict.is_ok() { 0 } else { 1 })
}

async fn check_record(a: CheckRecordArgs) -> CliResult<i32> {
    let jws = io::read_text(&a.file)?;
    let opts = CheckOptions {
        record_key: a
            .record_key
            .map(|p| io::read_jwk(&p, false).map(|j| j.public_key().clone()))
            .transpose()?,
        later_snapshot: a.snapshot.map(|p| io::read_text(&p)).transpose()?,
        snapshot_key: a
            .snapshot_key
            .map(|p| io::read_jwk(&p, false).map(|j| j.public_key().clone()))
            .transpose()?,
        log_key: a
            .log_key
            .map(|k| NoteKey::from_vkey(&k).map_err(|e| e.to_string()))
            .transpose()?,
    };
    let report = record::check(&jws, &opts).await;
    io::print_json(&serde_json::to_value(&report).expect("a report serializes"));
    Ok(if report.valid { 0 } else { 1 })
}

async fn serve(a: ServeArgs) -> CliResult<i32> {
    vouch_ops::files::restrict_umask();
    vouch_ops::files::private_dir(&a.data_dir)
        .and_then(|()| vouch_ops::files::tighten(&a.data_dir))
        .map_err(|e| format!("{}: {e}", a.data_dir.display()))?;
    let sv = SnapshotVerifier {
        snapshot_key: io::read_jwk(&a.snapshot_key, false)?.public_key().clone(),
        log_key: NoteKey::from_vkey(&a.log_key).map_err(|e| format!("--log-key: {e}"))?,
    };
    let data = TrustData::verify(&sv, &io::read_text(&a.snapshot)?)
        .map_err(|e| format!("{}: {e}", a.snapshot.display()))?;
    let snapshot_keys = (sv.snapshot_key.to_jwk().to_value(), sv.log_key.to_vkey());
    let api_key_file = a
        .api_key_file
        .clone()
        .unwrap_or_else(|| a.data_dir.join("api.key"));
    let api_key = match std::fs::read_to_string(&api_key_file) {
        Ok(k) if k.trim().len() >= 32 => k.trim().to_string(),
        Ok(_) => {
            return Err(format!(
                "{}: the API key is too short",
                api_key_file.display()
            ))
        }
        Err(_) => {
            let k = verifier::access::new_token();
            vouch_ops::files::write_private(&api_key_file, &k)
                .map_err(|e| format!("{}: {e}", api_key_file.display()))?;
            k
        }
    };
    let refresh = match (&a.registry_url, a.offline, a.snapshot_refresh_seconds) {
        (Some(u), false, secs) if secs > 0 => Some(SnapshotRefresh {
            registry_url: u.clone(),
            verifier: sv.clone(),
            client: reqwest_client(),
            every: std::time::Duration::from_secs(secs),
        }),
        _ => None,
    };
    let trust = TrustState::new(data).map_err(|e| e.to_string())?;
    if let Some(r) = refresh {
        tracing::info!(
            every_seconds = r.every.as_secs(),
            "refreshing the trust snapshot from the register"
        );
        r.spawn(trust.clone());
    }
    let fetcher: Arc<dyn StatusFetcher> = if a.offline {
        Arc::new(NoNetwork)
    } else {
        Arc::new(HttpStatusFetcher::new())
    };
    let status = StatusLists::new(
        fetcher,
        StatusCache::new(Some(a.data_dir.join("status-lists"))),
    );
    let policy = Policy {
        max_snapshot_age: time::Duration::hours(a.max_snapshot_age_hours),
        max_status_age: time::Duration::hours(a.max_status_age_hours),
        ..Policy::default()
    };
    let listener = tokio::net::TcpListener::bind(&a.listen)
        .await
        .map_err(|e| format!("{}: {e}", a.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let base = a
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://localhost:{}", addr.port()));
    let host = url::Url::parse(&base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .ok_or("--public-url is not a URL")?;
    let request_signer = RequestSigner::deployment(
        &a.data_dir,
        &host,
        a.organisation_name.as_deref().unwrap_or("Vouch verifier"),
        a.client_id_prefix == "x509_hash",
    )
    .map_err(|e| e.to_string())?;
    let record_key =
        Arc::new(load_or_create_key(&a.data_dir.join("record.jwk")).map_err(|e| e.to_string())?);
    let proofs: Option<Arc<dyn LogProofs>> = match (&a.registry_url, a.offline) {
        (Some(u), false) => Some(Arc::new(HttpLogProofs {
            base: u.clone(),
            client: reqwest_client(),
        })),
        _ => None,
    };
    let store = Store::connect(&a.database_url, None)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(name) = &a.organisation_name {
        store
            .rename_organisation("default", name)
            .await
            .map_err(|e| e.to_string())?;
    }
    // Employers with their own relying-party registration sign with their own keys.
    let mut org_signers = std::collections::BTreeMap::new();
    for org in store
        .organisations_with_own_client_id()
        .await
        .map_err(|e| e.to_string())?
    {
        let signer = RequestSigner::organisation(&a.data_dir, &org.id, &org.name, &host)
            .map_err(|e| format!("organisation {}: {e}", org.id))?;
        tracing::info!(organisation = %org.id, client_id = %signer.client_id.as_string(), "employer signs with its own client id");
        org_signers.insert(org.id, signer);
    }
    let service = Arc::new(Service {
        store,
        verifier: Verifier {
            trust,
            status,
            policy,
        },
        request_signer,
        org_signers,
        record_key,
        base_url: base.trim_end_matches('/').to_string(),
        templates: templates(),
        transaction_ttl: 600,
        clock: Arc::new(SystemClock),
        proofs,
        snapshot_keys,
        retention_days: a.retention_days,
        not_hired_retention_days: a.not_hired_retention_days,
        api_key_digest: Some(verifier::access::digest(&api_key)),
        webhook: a.webhook_url.clone().map(|u| {
            Arc::new(verifier::webhook::Webhook::new(
                u,
                vouch_fetch::FetchPolicy::from_env(),
            ))
        }),
        max_pending_transactions: a.max_pending_transactions,
        registration: Default::default(),
    });
    // The registration certificates of every client id this verifier signs requests as,
    // from the register, refreshed with the snapshot.
    if let (Some(u), false) = (&a.registry_url, a.offline) {
        let signs_as: Vec<verifier::oid4vp::SignsAs> = std::iter::once(&service.request_signer)
            .chain(service.org_signers.values())
            .map(|s| verifier::oid4vp::SignsAs {
                client_id: s.client_id.as_string(),
                organisation: s
                    .chain
                    .first()
                    .and_then(|c| credentials::x509::profile::subject_attr(c, "2.5.4.10")),
            })
            .collect();
        service.registration.clone().spawn(
            reqwest_client(),
            u.clone(),
            signs_as,
            std::time::Duration::from_secs(a.snapshot_refresh_seconds.max(60)),
        );
    }
    let purger = service.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let _ = purger.purge().await;
        }
    });
    println!(
        "verifier listening on http://{addr} (public URL {base}, client_id {})",
        service.request_signer.client_id.as_string()
    );
    verifier::http::serve(listener, service)
        .await
        .map_err(|e| e.to_string())?;
    Ok(0)
}

fn reqwest_client() -> verifier::trust::HttpClient {
    verifier::trust::HttpClient::new()
}
