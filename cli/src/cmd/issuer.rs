//! `vouch issuer`: run the OpenID4VCI issuer, print its trust-register registration, and
//! drive its admin API from scripts (subjects, offers, credential status, key rotation).

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use issuer::IssuerConfig;
use serde_json::{json, Value};

use crate::io::{self, CliResult};

/// Issuer commands.
#[derive(Subcommand)]
pub enum IssuerCommand {
    /// Serve OpenID4VCI (metadata, offers, tokens, credentials), status lists and the admin API.
    Serve(Box<ServeArgs>),
    /// Create or update a subject's verified attributes and make a credential offer; prints
    /// the admin API's answer (offer links, QR, the transaction code to send out of band).
    Offer(OfferArgs),
    /// Revoke, suspend or reinstate a credential (its Token Status List entry).
    Status(StatusArgs),
    /// Make a new signing key the active one; the old key stays published.
    RotateKey(AdminArgs),
    /// Register a wallet as an OAuth client with its exact redirect URIs (a pushed
    /// authorization request from any other client, or to any other URI, is refused).
    RegisterClient(RegisterClientArgs),
}

/// `vouch issuer register-client`.
#[derive(Args)]
pub struct RegisterClientArgs {
    #[command(flatten)]
    admin: AdminArgs,
    /// The wallet's `client_id`.
    #[arg(long)]
    client_id: String,
    /// Its name, as the sign-in page shows it.
    #[arg(long)]
    name: String,
    /// A redirect URI, compared exactly (repeatable).
    #[arg(long = "redirect-uri", required = true)]
    redirect_uris: Vec<String>,
}

/// `vouch issuer serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// `sqlite://FILE` (created if missing) or `postgres://...`.
    #[arg(long, default_value = "sqlite://issuer.db")]
    database_url: String,
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: String,
    /// Directory of keys, certificates and the admin token (made on first run).
    #[arg(long, default_value = "issuer-data")]
    data_dir: PathBuf,
    /// The Credential Issuer Identifier (default: http://LISTEN-ADDRESS).
    #[arg(long)]
    issuer_url: Option<String>,
    /// Display name, `issuing_authority` and certificate subject.
    #[arg(long, default_value = "Vouch Issuer")]
    name: String,
    /// ISO 3166-1 alpha-2 country of the IACA and of mdoc `issuing_country`.
    #[arg(long, default_value = "GB")]
    country: String,
    /// Entries per status list (indices are drawn at random among them).
    #[arg(long, default_value_t = 1 << 20)]
    status_list_size: i64,
    /// Refuse token requests without a DPoP proof.
    #[arg(long)]
    require_dpop: bool,
    /// PEM file of wallet provider root certificates: key attestations (OpenID4VCI 1.0
    /// Appendix D) whose `x5c` chain leads to one are accepted, and the `attestation` proof
    /// type (one attestation for a batch of keys) is offered.
    #[arg(long)]
    key_attestation_roots: Option<PathBuf>,
    /// Refuse key proofs that carry no key attestation.
    #[arg(long, requires = "key_attestation_roots")]
    require_key_attestation: bool,
    /// `key_storage` values a key attestation must assert one of, comma-separated (for
    /// example iso_18045_high,iso_18045_moderate); any by default.
    #[arg(long, value_delimiter = ',', requires = "key_attestation_roots")]
    key_storage: Vec<String>,
    /// `user_authentication` values a key attestation must assert one of, comma-separated;
    /// any by default.
    #[arg(long, value_delimiter = ',', requires = "key_attestation_roots")]
    user_authentication: Vec<String>,
    /// Wallet attestations (HAIP 1.0 section 4.4.1) at PAR and the token endpoint:
    /// `optional` checks one when sent, `required` refuses requests without one (401
    /// `invalid_client`). The trusted wallet providers come from `--register-snapshot`
    /// (entries certified as holder service providers) or `--wallet-provider-roots`.
    #[arg(long, default_value = "off", value_parser = ["off", "optional", "required"])]
    wallet_attestation: String,
    /// The trust register's signed snapshot (JWS file): its holder service providers are
    /// the wallet providers whose attestations are trusted. Re-read whenever the file
    /// changes (keep it fresh as a verifier's is); refused past its next update. Needs
    /// `--snapshot-key` and `--log-key`.
    #[arg(long, requires_all = ["snapshot_key", "log_key"])]
    register_snapshot: Option<PathBuf>,
    /// The register's snapshot signing key (public JWK file).
    #[arg(long)]
    snapshot_key: Option<PathBuf>,
    /// The register's log verifier key (`origin+hash+key`).
    #[arg(long)]
    log_key: Option<String>,
    /// PEM file of wallet provider roots, trusted for wallet attestations when there is no
    /// `--register-snapshot` (a closed pilot).
    #[arg(long, conflicts_with = "register_snapshot")]
    wallet_provider_roots: Option<PathBuf>,
    /// A PKCS#11 module: new signing keys are generated in its token, never leaving it.
    #[arg(long, requires = "pkcs11_pin_file")]
    pkcs11_module: Option<PathBuf>,
    /// File whose first line is the token's user PIN.
    #[arg(long)]
    pkcs11_pin_file: Option<PathBuf>,
    /// Label of the token to use (default: the first initialised token).
    #[arg(long)]
    pkcs11_token: Option<String>,
    /// Print the trust-register registration request (service, credential types, anchors)
    /// and exit.
    #[arg(long)]
    print_registration: bool,
}

/// Where the admin API is.
#[derive(Args)]
pub struct AdminArgs {
    /// The issuer's base URL as reachable from here (http or https, e.g. http://127.0.0.1:8090).
    #[arg(long)]
    url: String,
    /// The admin token file (`DATA_DIR/admin.token`).
    #[arg(long)]
    token_file: PathBuf,
}

/// `vouch issuer offer`.
#[derive(Args)]
pub struct OfferArgs {
    #[command(flatten)]
    admin: AdminArgs,
    /// The subject's id.
    #[arg(long)]
    subject: String,
    /// JSON file of verified attributes (creates or replaces the subject).
    #[arg(long)]
    attributes: Option<PathBuf>,
    /// The GPG 45 profile reached (for example M1B).
    #[arg(long)]
    gpg45_profile: Option<String>,
    /// Credential configurations to offer (repeatable).
    #[arg(long = "config", required = true)]
    configs: Vec<String>,
    /// Offer without a transaction code.
    #[arg(long)]
    no_tx_code: bool,
    /// Offer the authorization code flow instead of a pre-authorized code.
    #[arg(long)]
    authorization_code: bool,
}

/// `vouch issuer status`.
#[derive(Args)]
pub struct StatusArgs {
    #[command(flatten)]
    admin: AdminArgs,
    /// The credential id (from the admin API's credential list).
    #[arg(long)]
    credential: String,
    /// `valid`, `revoked` or `suspended`.
    #[arg(long)]
    set: String,
}

/// Runs an issuer command.
pub fn run(cmd: IssuerCommand) -> CliResult<i32> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    match cmd {
        IssuerCommand::Serve(a) => rt.block_on(serve(*a)),
        IssuerCommand::Offer(a) => rt.block_on(offer(a)),
        IssuerCommand::Status(a) => rt.block_on(status(a)),
        IssuerCommand::RotateKey(a) => rt.block_on(async {
            print_json(&admin(&a, "POST", "/admin/keys/rotate", json!({})).await?);
            Ok(0)
        }),
        IssuerCommand::RegisterClient(a) => rt.block_on(async {
            let body = json!({"client_id": a.client_id, "name": a.name,
                              "redirect_uris": a.redirect_uris});
            print_json(&admin(&a.admin, "POST", "/admin/clients", body).await?);
            Ok(0)
        }),
    }
}

fn hsm(a: &ServeArgs) -> CliResult<Option<Arc<dyn issuer::keys::HsmBackend>>> {
    let Some(module) = &a.pkcs11_module else {
        return Ok(None);
    };
    let pin = a
        .pkcs11_pin_file
        .as_ref()
        .ok_or("--pkcs11-module needs --pkcs11-pin-file")?;
    let backend = issuer::pkcs11::Pkcs11Backend::open(module, pin, a.pkcs11_token.as_deref())
        .map_err(|e| format!("cannot open the PKCS#11 token: {e}"))?;
    Ok(Some(Arc::new(backend)))
}

async fn serve(a: ServeArgs) -> CliResult<i32> {
    vouch_ops::files::restrict_umask();
    let listener = tokio::net::TcpListener::bind(&a.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", a.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let url = a.issuer_url.clone().unwrap_or(format!("http://{addr}"));
    let parsed = url::Url::parse(&url).map_err(|e| format!("--issuer-url: {e}"))?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err("--issuer-url must have no query or fragment".into());
    }
    let mut config = IssuerConfig::new(&url);
    config.name = a.name.clone();
    config.country = a.country.clone();
    config.status_list_size = a.status_list_size;
    config.require_dpop = a.require_dpop;
    if let Some(path) = &a.key_attestation_roots {
        let roots = credentials::x509::Certificate::from_pem_chain(&io::read_text(path)?)
            .map_err(|e| format!("--key-attestation-roots: {e}"))?;
        if roots.is_empty() {
            return Err("--key-attestation-roots: no certificate in the file".into());
        }
        let mut policy = issuer::proofs::attestation::KeyAttestationPolicy::trusting(roots);
        policy.required = a.require_key_attestation;
        policy.key_storage = a.key_storage.clone();
        policy.user_authentication = a.user_authentication.clone();
        config.key_attestations = policy;
    }
    config.wallet_attestation = wallet_attestation(&a)?;
    let shared = issuer::open(config, &a.database_url, &a.data_dir, hsm(&a)?)
        .await
        .map_err(|e| format!("cannot open the issuer: {e}"))?;
    if a.print_registration {
        print_json(&issuer::registration::request(&shared));
        return Ok(0);
    }
    // One line (tests read it and may close the pipe): where, as whom, the admin token file.
    use std::io::Write;
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "vouch issuer listening on http://{addr} as {url} (admin token in {})",
        a.data_dir.join("admin.token").display()
    );
    let _ = out.flush();
    issuer::serve(listener, shared)
        .await
        .map_err(|e| format!("server failed: {e}"))?;
    Ok(0)
}

async fn admin(a: &AdminArgs, method: &str, path: &str, body: Value) -> CliResult<Value> {
    // An error and its causes (`reqwest` keeps "connection refused" or the certificate
    // problem in the causes).
    fn causes(e: &dyn std::error::Error) -> String {
        let mut s = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            s.push_str(": ");
            s.push_str(&c.to_string());
            cause = c.source();
        }
        s
    }
    let u = url::Url::parse(&a.url).map_err(|e| format!("--url: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err("--url: use an http:// or https:// URL".into());
    }
    // The service beside us is reached directly; another host through the environment's
    // proxy, if any.
    let loopback = match u.host().ok_or("--url has no host")? {
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    let mut client = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none());
    if loopback {
        client = client.no_proxy();
    }
    let client = client
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
    let m = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let token = io::read_text(&a.token_file)?;
    let r = client
        .request(m, format!("{}{path}", a.url.trim_end_matches('/')))
        .bearer_auth(token.trim())
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("cannot reach {}: {}", a.url, causes(&e)))?;
    let status = r.status();
    let bytes = r
        .bytes()
        .await
        .map_err(|e| format!("{method} {path}: {}", causes(&e)))?;
    if !status.is_success() {
        return Err(format!(
            "{method} {path}: HTTP {}: {}",
            status.as_u16(),
            String::from_utf8_lossy(&bytes)
        ));
    }
    Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn offer(a: OfferArgs) -> CliResult<i32> {
    if let Some(f) = &a.attributes {
        let attributes = io::read_json(f)?;
        admin(
            &a.admin,
            "PUT",
            &format!("/admin/subjects/{}", a.subject),
            json!({ "attributes": attributes, "gpg45_profile": a.gpg45_profile }),
        )
        .await?;
    }
    let v = admin(
        &a.admin,
        "POST",
        "/admin/offers",
        json!({
            "subject_id": a.subject,
            "credential_configuration_ids": a.configs,
            "pre_authorized": !a.authorization_code,
            "tx_code": !a.no_tx_code,
        }),
    )
    .await?;
    print_json(&v);
    Ok(0)
}

async fn status(a: StatusArgs) -> CliResult<i32> {
    let v = admin(
        &a.admin,
        "POST",
        &format!("/admin/credentials/{}/status", a.credential),
        json!({ "status": a.set }),
    )
    .await?;
    print_json(&v);
    Ok(0)
}

fn print_json(v: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).expect("JSON serializes")
    );
}

/// The wallet attestation policy of `--wallet-attestation`, `--register-snapshot` and
/// `--wallet-provider-roots`.
fn wallet_attestation(
    a: &ServeArgs,
) -> CliResult<issuer::client_attestation::WalletAttestationPolicy> {
    let mut policy = issuer::client_attestation::WalletAttestationPolicy {
        required: a.wallet_attestation == "required",
        ..Default::default()
    };
    if a.wallet_attestation == "off" {
        return Ok(policy);
    }
    if let Some(path) = &a.register_snapshot {
        let (Some(key), Some(log_key)) = (&a.snapshot_key, &a.log_key) else {
            return Err("--register-snapshot needs --snapshot-key and --log-key".into());
        };
        let sv = trust_framework::snapshot::SnapshotVerifier {
            snapshot_key: io::read_jwk(key, false)?.public_key().clone(),
            log_key: trust_framework::note::NoteKey::from_vkey(log_key)
                .map_err(|e| format!("--log-key: {e}"))?,
        };
        // Re-read whenever the file changes (keep it fresh as a verifier's snapshot is).
        policy.register = Some(std::sync::Arc::new(
            issuer::client_attestation::SnapshotFile::open(path, sv)?,
        ));
    } else if let Some(path) = &a.wallet_provider_roots {
        policy.roots = credentials::x509::Certificate::from_pem_chain(&io::read_text(path)?)
            .map_err(|e| format!("--wallet-provider-roots: {e}"))?;
    }
    if !policy.enabled() {
        return Err(
            "--wallet-attestation needs --register-snapshot or --wallet-provider-roots".into(),
        );
    }
    Ok(policy)
}
