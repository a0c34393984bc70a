//! `vouch verifier employer`: the employer organisations one verifier serves, for its
//! operator. Each organisation gets its own API key (written to a file, never printed) and
//! its first HR administrator through a one-time invitation link; the administrator invites
//! the rest of their people from the members page.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use verifier::access;
use verifier::store::{Invitation, Role, Store};

use crate::io::CliResult;

/// Employer organisation commands.
#[derive(Subcommand)]
pub enum EmployerCommand {
    /// Add an employer organisation; its API key (for its HR systems) is written (0600) to
    /// `--api-key-file`.
    Add(AddArgs),
    /// Print a one-time invitation link (valid 7 days) for a member of an organisation.
    Invite(InviteArgs),
}

/// `vouch verifier employer add`.
#[derive(Args)]
pub struct AddArgs {
    /// The verifier's database: `sqlite://FILE` or `postgres://...`.
    #[arg(long, default_value = "sqlite://verifier.db")]
    database_url: String,
    /// The organisation's id (lower-case letters, digits and `-`).
    #[arg(long)]
    id: String,
    /// Its name, as its members see it.
    #[arg(long)]
    name: String,
    /// Where to write its API key; refused if the file exists.
    #[arg(long)]
    api_key_file: PathBuf,
    /// An email domain its members' addresses must be at (repeatable), so that no other
    /// organisation can invite its staff; any domain when none is given.
    #[arg(long = "email-domain")]
    email_domains: Vec<String>,
    /// The time zone its members read times in (an IANA name).
    #[arg(long, default_value = "Europe/London")]
    time_zone: String,
    /// Give it its own request-signing key and certificate (its own `x509_hash` client id,
    /// printed, to register as its relying party), so wallets name this employer. Needs
    /// `--data-dir` and `--public-url` of the verifier.
    #[arg(long, requires_all = ["data_dir", "public_url"])]
    own_client_id: bool,
    /// The verifier's data directory (`--own-client-id`).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// The verifier's public base URL (`--own-client-id`).
    #[arg(long)]
    public_url: Option<String>,
}

/// `vouch verifier employer invite`.
#[derive(Args)]
pub struct InviteArgs {
    /// The verifier's database: `sqlite://FILE` or `postgres://...`.
    #[arg(long, default_value = "sqlite://verifier.db")]
    database_url: String,
    /// The organisation (`default`: the one a single-employer verifier serves).
    #[arg(long, default_value = "default")]
    org: String,
    /// Rename the organisation while at it.
    #[arg(long)]
    organisation_name: Option<String>,
    /// The invited person's email address (their sign-in name).
    #[arg(long)]
    email: String,
    /// `admin` (HR administrator), `recruiter` or `auditor`.
    #[arg(long, default_value = "admin")]
    role: String,
    /// The verifier's public base URL, for the link.
    #[arg(long)]
    public_url: String,
    /// Print nothing and succeed when the email is a member already.
    #[arg(long)]
    unless_member: bool,
}

/// Runs an employer command.
pub fn run(cmd: EmployerCommand) -> CliResult<i32> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(async {
            match cmd {
                EmployerCommand::Add(a) => add(a).await,
                EmployerCommand::Invite(a) => invite(a).await,
            }
        })
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn open(url: &str) -> CliResult<Store> {
    Store::connect(url, None)
        .await
        .map_err(|e| format!("{url}: {e}"))
}

async fn add(a: AddArgs) -> CliResult<i32> {
    let id_ok = !a.id.is_empty()
        && a.id.len() <= 64
        && a.id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !id_ok {
        return Err("--id: lower-case letters, digits and - only".into());
    }
    if a.api_key_file.exists() {
        return Err(format!("{}: already exists", a.api_key_file.display()));
    }
    let store = open(&a.database_url).await?;
    let key = access::new_token();
    if !store
        .create_organisation(&a.id, &a.name, Some(&access::digest(&key)), now())
        .await
        .map_err(|e| e.to_string())?
    {
        return Err(format!("an organisation {} exists already", a.id));
    }
    if verifier::words::Zone::named(&a.time_zone).is_none() {
        return Err(format!(
            "--time-zone {}: not a time zone the tz database knows",
            a.time_zone
        ));
    }
    let domains: Vec<String> = a
        .email_domains
        .iter()
        .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    store
        .set_email_domains(&a.id, &domains)
        .await
        .map_err(|e| e.to_string())?;
    store
        .set_time_zone(&a.id, &a.time_zone)
        .await
        .map_err(|e| e.to_string())?;
    vouch_ops::files::write_private(&a.api_key_file, &key)
        .map_err(|e| format!("{}: {e}", a.api_key_file.display()))?;
    let mut out = serde_json::json!({"id": a.id});
    if let (true, Some(dir), Some(url)) = (a.own_client_id, &a.data_dir, &a.public_url) {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .ok_or("--public-url is not a URL")?;
        let signer = verifier::oid4vp::RequestSigner::organisation(dir, &a.id, &a.name, &host)
            .map_err(|e| e.to_string())?;
        store
            .set_own_client_id(&a.id, true)
            .await
            .map_err(|e| e.to_string())?;
        out["client_id"] = signer.client_id.as_string().into();
    }
    println!("{out}");
    Ok(0)
}

async fn invite(a: InviteArgs) -> CliResult<i32> {
    let role = Role::parse(&a.role).ok_or("--role: admin, recruiter or auditor")?;
    let email = a.email.trim().to_lowercase();
    let store = open(&a.database_url).await?;
    let org = store
        .organisation(&a.org)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no organisation {}", a.org))?;
    if let Some(name) = &a.organisation_name {
        store
            .rename_organisation(&org.id, name)
            .await
            .map_err(|e| e.to_string())?;
    }
    if !org.admits_email(&email) {
        return Err(format!(
            "{email} is not at {}'s email domains ({})",
            org.id,
            org.email_domains.join(", ")
        ));
    }
    if store
        .member_by_email(&email)
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        if a.unless_member {
            return Ok(0);
        }
        return Err(format!("{email} is a member already"));
    }
    let token = access::new_token();
    let now = now();
    let inv = Invitation {
        org_id: org.id.clone(),
        email,
        role,
        expires_at: now + access::INVITATION_SECONDS,
        accepted_at: None,
    };
    store
        .create_invitation(&access::digest(&token), &inv, "operator", now)
        .await
        .map_err(|e| e.to_string())?;
    println!("{}/invitations/{token}", a.public_url.trim_end_matches('/'));
    Ok(0)
}
