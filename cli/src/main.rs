//! `vouch`: the one Vouch binary. It runs the whole scheme on one machine (`vouch up`), each
//! service (`registry`, `issuer`, `verifier`, `wallet` with their `serve`) and the offline
//! format commands (`key`, `sd-jwt`, `pki`, `mdoc`, `vc`).
//!
//! - `cmd` (private): one module per command group, `up` among them.
//! - `config` (private): settings of `up` and each `serve` from file, environment and flags.
//! - `io` (private): reading inputs and writing outputs, with errors a person can act on.
//!
//! Exit status: 0 success (or a valid credential), 1 a credential was rejected, 2 a usage
//! or I/O error. Errors go to stderr as one line a person can act on.
#![forbid(unsafe_code)]

mod cmd;
mod config;
mod io;

use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use vouch_ops::log::LogFormat;

/// Vouch: digital identity credentials (SD-JWT VC, mdoc) for issuers, wallets and verifiers.
#[derive(Parser)]
#[command(name = "vouch", version, about)]
struct Cli {
    /// Settings file (TOML) for `up` and the `serve` commands, given before the command
    /// (`vouch --config vouch.toml up`); flags and `VOUCH_*` environment variables override it.
    #[arg(long, env = "VOUCH_CONFIG")]
    config: Option<PathBuf>,
    /// Log lines of the services as `text` or `json` (filter: `VOUCH_LOG` or `RUST_LOG`).
    #[arg(long, global = true, env = "VOUCH_LOG_FORMAT", default_value = "text")]
    log_format: String,
    /// The crypto backend for the whole process: `aws-lc-rs` (the default) or `rustcrypto`
    /// (pure Rust, when built with the `rustcrypto` feature). Installed once, before any key
    /// is touched.
    #[arg(long, global = true, env = "VOUCH_CRYPTO_PROVIDER")]
    crypto_provider: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// Parses the command line with the configuration file and environment applied; also says
/// whether the command runs a service (services log; offline commands keep stderr for
/// errors).
fn parse() -> Result<(Cli, bool), String> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let file = config::path_from_args(&args)
        .map(|p| config::load(&p))
        .transpose()?;
    let cmd = config::apply(Cli::command(), file.as_ref())?;
    let matches = cmd.get_matches_from(args);
    let serves = match matches.subcommand() {
        Some(("up", _)) => true,
        Some((_, sub)) => matches!(sub.subcommand(), Some(("serve", _))),
        None => false,
    };
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    Ok((cli, serves))
}

#[derive(Subcommand)]
enum Command {
    /// Create keys and derive public keys (JWK).
    #[command(subcommand)]
    Key(cmd::key::KeyCommand),
    /// Issue, present and verify SD-JWT VCs (dc+sd-jwt) offline.
    #[command(subcommand, name = "sd-jwt")]
    SdJwt(cmd::sd_jwt::SdJwtCommand),
    /// Development certificates: IACA, Document Signer, reader root and reader (18013-5 Annex B).
    #[command(subcommand)]
    Pki(cmd::pki::PkiCommand),
    /// Issue, present and verify ISO 18013-5 mdocs (mso_mdoc) offline.
    #[command(subcommand)]
    Mdoc(cmd::mdoc::MdocCommand),
    /// Issue and verify W3C Verifiable Credentials 2.0 (JOSE, SD-JWT, COSE, Data Integrity).
    #[command(subcommand)]
    Vc(cmd::vc::VcCommand),
    /// The trust register: serve it, audit its transparency log, decide from a snapshot.
    #[command(subcommand)]
    Registry(cmd::registry::RegistryCommand),
    /// The credential issuer: serve OpenID4VCI, make offers, revoke or suspend, rotate keys.
    #[command(subcommand)]
    Issuer(cmd::issuer::IssuerCommand),
    /// The verifier: serve the right-to-work check, check a retained record offline.
    #[command(subcommand)]
    Verifier(cmd::verifier::VerifierCommand),
    /// The holder's wallet: accept offers, list, present with consent, activity log.
    Wallet(cmd::wallet::WalletArgs),
    /// The whole scheme on this machine: register, issuer, verifier and web wallet, seeded.
    Up(cmd::up::UpArgs),
}

/// mimalloc: the services allocate and free per request from many threads, where it is
/// markedly faster than the system allocator (issuance +25-30% in the issuer's load driver).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Installs the process's crypto provider by name.
fn install_provider(name: &str) -> Result<(), String> {
    use credentials::keys::provider;
    let p = provider::by_name(name).ok_or_else(|| {
        let built: Vec<&str> = provider::all().iter().map(|p| p.name()).collect();
        format!(
            "--crypto-provider: {name} is not built in (available: {})",
            built.join(", ")
        )
    })?;
    provider::install_default(p)
        .map_err(|used| format!("--crypto-provider: {} is already in use", used.name()))
}

fn main() {
    let (cli, serves) = parse().unwrap_or_else(|e| {
        eprintln!("vouch: {e}");
        std::process::exit(2);
    });
    if let Some(name) = &cli.crypto_provider {
        if let Err(e) = install_provider(name) {
            eprintln!("vouch: {e}");
            std::process::exit(2);
        }
    }
    if serves {
        let started = cli
            .log_format
            .parse::<LogFormat>()
            .and_then(vouch_ops::log::init);
        if let Err(e) = started {
            eprintln!("vouch: {e}");
            std::process::exit(2);
        }
    }
    let outcome = match cli.command {
        Command::Key(c) => cmd::key::run(c),
        Command::SdJwt(c) => cmd::sd_jwt::run(c),
        Command::Pki(c) => cmd::pki::run(c),
        Command::Mdoc(c) => cmd::mdoc::run(c),
        Command::Vc(c) => cmd::vc::run(c),
        Command::Registry(c) => cmd::registry::run(c),
        Command::Issuer(c) => cmd::issuer::run(c),
        Command::Verifier(c) => cmd::verifier::run(c),
        Command::Wallet(c) => cmd::wallet::run(c),
        Command::Up(c) => cmd::up::run(
            c,
            cmd::up::Passed {
                config: cli.config.clone(),
                log_format: cli.log_format.clone(),
            },
        ),
    };
    match outcome {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("vouch: {e}");
            std::process::exit(2);
        }
    }
}
