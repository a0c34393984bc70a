//! `vouch wallet serve`: the demo web wallet (`vouch_wallet_web`) over this wallet.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use vouch_wallet_web::RegisterSource;
use wallet_core::Wallet;

use crate::io::{read_jwk, read_text, CliResult};

/// `vouch wallet serve`.
#[derive(Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8093")]
    listen: String,
    /// PEM roots that verifier request objects must chain to (added at start; repeatable).
    #[arg(long)]
    verifier_root: Vec<PathBuf>,
    /// The registry's base URL: its snapshot is fetched at start and every
    /// `--refresh-seconds` (needs `--snapshot-key` and `--log-key`).
    #[arg(long, requires_all = ["snapshot_key", "log_key"])]
    registry_url: Option<String>,
    /// The registry's snapshot public key (JWK file).
    #[arg(long)]
    snapshot_key: Option<PathBuf>,
    /// The registry's genesis log key (`name+id+key`, or a file holding it).
    #[arg(long)]
    log_key: Option<String>,
    /// Seconds between trust-register refreshes.
    #[arg(long, default_value_t = 60)]
    refresh_seconds: u64,
    /// HAIP 1.0 mode: only signed requests from `x509_hash` / `x509_san_dns` clients,
    /// answered encrypted (kept in the wallet's settings).
    #[arg(long)]
    pub haip: bool,
    /// A wallet provider's private key (JWK file) beside this wallet, for a demonstration
    /// of wallet attestations: each PAR and token request carries one it signs. Needs
    /// `--wallet-provider-cert`.
    #[arg(long, requires = "wallet_provider_cert")]
    pub wallet_provider_key: Option<PathBuf>,
    /// The provider's certificate (PEM, its chain without the root).
    #[arg(long)]
    pub wallet_provider_cert: Option<PathBuf>,
}

impl ServeArgs {
    /// The device keys to open the wallet with: software keys, with the wallet provider's
    /// attestations when one is given.
    pub fn device_keys(&self) -> CliResult<Arc<dyn wallet_core::device_keys::DeviceKeys>> {
        let (Some(key), Some(cert)) = (&self.wallet_provider_key, &self.wallet_provider_cert)
        else {
            return Ok(Arc::new(wallet_core::device_keys::SoftwareDeviceKeys));
        };
        let signer = credentials::keys::SoftwareSigner::from_jwk(&read_jwk(key, true)?)
            .map_err(|e| format!("--wallet-provider-key: {e}"))?;
        let chain = credentials::x509::Certificate::from_pem_chain(&read_text(cert)?)
            .map_err(|e| format!("--wallet-provider-cert: {e}"))?;
        let provider = chain
            .first()
            .and_then(|c| c.subject_alt_names().1.into_iter().next())
            .ok_or("--wallet-provider-cert: the certificate names no provider URI")?;
        Ok(Arc::new(wallet_core::device_keys::ProviderAttestedKeys {
            provider,
            signer: Arc::new(signer),
            chain,
        }))
    }
}

/// Runs the web wallet until Ctrl-C or SIGTERM.
pub fn serve(rt: tokio::runtime::Runtime, w: Wallet, a: ServeArgs) -> CliResult<i32> {
    let e = |e: wallet_core::Error| e.to_string();
    if a.haip != w.settings().haip {
        rt.block_on(w.set_haip(a.haip)).map_err(e)?;
    }
    for p in &a.verifier_root {
        let pem = read_text(p)?;
        let known = w.settings().verifier_roots_pem.iter().any(|x| x == &pem);
        if !known {
            rt.block_on(w.add_verifier_root(&pem)).map_err(e)?;
        }
    }
    let source = match (&a.registry_url, &a.snapshot_key, &a.log_key) {
        (Some(url), Some(key), Some(vkey)) => {
            let vkey = if std::path::Path::new(vkey).is_file() {
                read_text(std::path::Path::new(vkey))?
            } else {
                vkey.clone()
            };
            Some(RegisterSource {
                registry_url: url.clone(),
                snapshot_key: read_jwk(key, false)?,
                log_vkey: vkey.trim().to_string(),
            })
        }
        _ => None,
    };
    let w = Arc::new(w);
    rt.block_on(async move {
        if let Some(s) = &source {
            vouch_wallet_web::refresh_register(&w, s)
                .await
                .map_err(|e| format!("cannot load the trust register: {e}"))?;
        }
        let listener = tokio::net::TcpListener::bind(&a.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", a.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        {
            use std::io::Write;
            let mut out = std::io::stdout();
            let _ = writeln!(out, "vouch wallet listening on http://{addr}");
            let _ = out.flush();
        }
        let refresh = std::time::Duration::from_secs(a.refresh_seconds.max(1));
        // Returns on Ctrl-C or SIGTERM once the requests in flight are answered.
        vouch_wallet_web::serve(listener, w.clone(), source, refresh)
            .await
            .map_err(|e| format!("server failed: {e}"))?;
        w.close().await;
        Ok(0)
    })
}
