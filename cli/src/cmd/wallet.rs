//! `vouch wallet`: the holder's wallet from a terminal (wallet-core behind it).

use std::io::{BufRead, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use wallet_core::consent::{Consent, TrustFinding};
use wallet_core::{PassphraseKeyStore, Wallet};

use crate::io::{read_jwk, read_text, CliResult};

/// Where the wallet lives and how it is opened.
#[derive(Args)]
pub struct WalletArgs {
    /// The data directory (default: $VOUCH_WALLET_DIR or ./vouch-wallet).
    #[arg(long, global = true)]
    dir: Option<PathBuf>,
    /// The passphrase (default: $VOUCH_WALLET_PASSPHRASE).
    #[arg(long, global = true)]
    passphrase: Option<String>,
    #[command(subcommand)]
    command: WalletCommand,
}

/// `vouch wallet` subcommands.
#[derive(Subcommand)]
pub enum WalletCommand {
    /// Create the wallet (an encrypted SQLite database in --dir).
    Init,
    /// Trust a verifier root, a reader root, or a trust-register snapshot.
    Trust {
        /// PEM roots that verifier request objects must chain to.
        #[arg(long)]
        verifier_root: Option<PathBuf>,
        /// PEM roots for 18013-5 reader authentication.
        #[arg(long)]
        reader_root: Option<PathBuf>,
        /// A register snapshot (JWS) to check verifiers against.
        #[arg(long, requires_all = ["snapshot_key", "log_key"])]
        snapshot: Option<PathBuf>,
        /// The snapshot signing key (JWK).
        #[arg(long)]
        snapshot_key: Option<PathBuf>,
        /// The log's note verifier key (file holding the vkey).
        #[arg(long)]
        log_key: Option<PathBuf>,
    },
    /// Accept a credential offer URL (pre-authorized code flow).
    Accept {
        /// `openid-credential-offer://...`
        offer: String,
        /// The transaction code, when the offer asks for one.
        #[arg(long)]
        tx_code: Option<String>,
    },
    /// List stored credentials.
    List,
    /// Show one credential's claims.
    Show {
        /// Its id (from `list`).
        id: String,
    },
    /// Answer a presentation request URL (`openid4vp://...`).
    Present {
        /// The request URL.
        request: String,
        /// Approve every claim without asking (scripts); over-asking is still refused.
        #[arg(long)]
        yes: bool,
    },
    /// Show the activity log (kept on this device only).
    Log,
    /// Refill single-use batches that are running low.
    Refill,
    /// Serve the demo web wallet (accept offers, consent screen, activity log) on localhost.
    Serve(crate::cmd::wallet_web::ServeArgs),
}

fn open_wallet(rt: &tokio::runtime::Runtime, args: &WalletArgs) -> CliResult<Wallet> {
    let keys: std::sync::Arc<dyn wallet_core::device_keys::DeviceKeys> = match &args.command {
        WalletCommand::Serve(a) => a.device_keys()?,
        _ => std::sync::Arc::new(wallet_core::device_keys::SoftwareDeviceKeys),
    };
    let dir = args
        .dir
        .clone()
        .or_else(|| std::env::var_os("VOUCH_WALLET_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("vouch-wallet"));
    let pass = args
        .passphrase
        .clone()
        .or_else(|| std::env::var("VOUCH_WALLET_PASSPHRASE").ok())
        .ok_or("a passphrase is needed: --passphrase or VOUCH_WALLET_PASSPHRASE")?;
    rt.block_on(Wallet::open_with(
        &dir,
        &PassphraseKeyStore::new(&pass),
        keys,
    ))
    .map_err(|e| e.to_string())
}

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(v).expect("JSON")
}

/// Runs a `vouch wallet` command.
pub fn run(args: WalletArgs) -> CliResult<i32> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let w = open_wallet(&rt, &args)?;
    let e = |e: wallet_core::Error| e.to_string();
    let code = match args.command {
        WalletCommand::Serve(a) => return crate::cmd::wallet_web::serve(rt, w, a),
        WalletCommand::Init => {
            println!("wallet ready");
            0
        }
        WalletCommand::Trust {
            verifier_root,
            reader_root,
            snapshot,
            snapshot_key,
            log_key,
        } => {
            if let Some(p) = verifier_root {
                rt.block_on(w.add_verifier_root(&read_text(&p)?))
                    .map_err(e)?;
            }
            if let Some(p) = reader_root {
                rt.block_on(w.add_reader_root(&read_text(&p)?)).map_err(e)?;
            }
            if let (Some(s), Some(k), Some(l)) = (snapshot, snapshot_key, log_key) {
                let key = read_jwk(&k, false)?;
                rt.block_on(w.set_snapshot(&read_text(&s)?, &key, &read_text(&l)?))
                    .map_err(e)?;
            }
            0
        }
        WalletCommand::Accept { offer, tx_code } => {
            let got = rt
                .block_on(w.accept_offer(&offer, tx_code.as_deref()))
                .map_err(e)?;
            println!("{}", json(&got));
            0
        }
        WalletCommand::List => {
            let list: Vec<serde_json::Value> = rt
                .block_on(w.credentials())
                .map_err(e)?
                .into_iter()
                .map(|c| {
                    serde_json::json!({"id": c.id, "type": c.value.type_name(), "format": c.value.format,
                        "issuer": c.value.issuer, "batch": c.batch_id, "used": c.used, "expires_at": c.value.expires_at})
                })
                .collect();
            println!("{}", json(&list));
            0
        }
        WalletCommand::Show { id } => {
            let c = rt.block_on(w.credential(&id)).map_err(e)?;
            println!(
                "{}",
                json(
                    &serde_json::json!({"id": c.id, "type": c.type_name(), "format": c.format, "issuer": c.issuer, "claims": c.claims})
                )
            );
            0
        }
        WalletCommand::Present { request, yes } => {
            let req = rt.block_on(w.prepare_presentation(&request)).map_err(e)?;
            eprintln!(
                "{} ({}) asks, for the purpose {}:",
                req.verifier
                    .name
                    .as_deref()
                    .unwrap_or("an unknown verifier"),
                req.verifier.client_id,
                req.purpose.as_deref().unwrap_or("(none stated)")
            );
            match &req.trust {
                TrustFinding::UnregisteredVerifier => {
                    eprintln!("WARNING: this verifier is not on the trust register")
                }
                TrustFinding::NoRegister => {
                    eprintln!("WARNING: no trust register to check against")
                }
                TrustFinding::OverAsking { beyond } => {
                    eprintln!(
                        "WARNING: asks beyond its registration: {}",
                        beyond.join(", ")
                    )
                }
                _ => {}
            }
            for c in &req.credentials {
                eprintln!("  from {}:", c.type_name);
                for k in &c.claims {
                    let mark = if k.registered {
                        ""
                    } else {
                        "  (not registered)"
                    };
                    eprintln!("    {} = {}{mark}", k.name, k.value);
                }
            }
            let consent = if let Some(r) = &req.refused {
                eprintln!("refused: {r}");
                Consent::deny()
            } else if yes {
                Consent::approve_all(&req)
            } else {
                eprint!("share these? [y/N] ");
                std::io::stderr().flush().ok();
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).ok();
                if line.trim().eq_ignore_ascii_case("y") {
                    Consent::approve_all(&req)
                } else {
                    Consent::deny()
                }
            };
            let out = rt.block_on(w.respond(&req.id, &consent)).map_err(e)?;
            println!("{}", json(&out));
            if out.shared {
                0
            } else {
                1
            }
        }
        WalletCommand::Log => {
            println!("{}", json(&rt.block_on(w.activity()).map_err(e)?));
            0
        }
        WalletCommand::Refill => {
            let r = rt.block_on(w.refill_low_batches()).map_err(e)?;
            let out: Vec<_> = r
                .into_iter()
                .map(|(b, res)| match res {
                    Ok(n) => serde_json::json!({"batch": b, "received": n}),
                    Err(err) => serde_json::json!({"batch": b, "error": err.to_string()}),
                })
                .collect();
            println!("{}", json(&out));
            0
        }
    };
    rt.block_on(w.close());
    Ok(code)
}
