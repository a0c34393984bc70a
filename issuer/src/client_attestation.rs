//! Wallet attestations at PAR and the token endpoint (HAIP 1.0 section 4.4.1, OAuth 2.0
//! Attestation-Based Client Authentication): which wallet providers are trusted, and the
//! check each request gets.
//!
//! Wallet providers are trusted the scheme's way: entries of the trust register certified
//! for the role `holder_service_provider`, whose `x5c_root` anchor validates the
//! attestation's chain and whose entry and certificate stand at the time of the request
//! ([`trust_framework::decision::authorize_wallet_provider`]), from a verified snapshot.
//! Without a register, configured roots alone (a closed pilot). Each PoP `jti` is used once.

use std::sync::Arc;

use axum::http::HeaderMap;
use credentials::openid4vci::client_attestation::{
    self, ClientAttestationError, Expectations, VerifiedClientAttestation, ATTESTATION_HEADER,
    POP_HEADER,
};
use credentials::x509::{validate_chain, Certificate, LeafProfile};
use trust_framework::register::Register;

use crate::error::ApiError;
use crate::http::{single_header, Issuer};

/// Where the issuer reads the trust register it judges wallet providers by.
pub trait RegisterSource: Send + Sync {
    /// The register in force at `now` (seconds), or why there is none to trust.
    fn register(&self, now: i64) -> Result<Arc<Register>, String>;
}

/// A register given once (tests, embedding): always the same.
impl RegisterSource for Register {
    fn register(&self, _now: i64) -> Result<Arc<Register>, String> {
        Ok(Arc::new(self.clone()))
    }
}

/// The register's signed snapshot in a file the operator keeps fresh (as a verifier's
/// snapshot is): re-read and verified whenever the file changes, never replaced by an
/// older sequence, and refused once past its `next_update`, so a wallet provider removed
/// from the register stops being trusted when the next snapshot arrives, and no later
/// than the current one's end.
pub struct SnapshotFile {
    path: std::path::PathBuf,
    verifier: trust_framework::snapshot::SnapshotVerifier,
    current: std::sync::RwLock<(
        Option<std::time::SystemTime>,
        Arc<trust_framework::snapshot::Snapshot>,
    )>,
}

impl SnapshotFile {
    /// Opens and verifies the snapshot at `path`.
    pub fn open(
        path: &std::path::Path,
        verifier: trust_framework::snapshot::SnapshotVerifier,
    ) -> Result<Self, String> {
        let mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let snapshot = verifier
            .verify(&text, time::OffsetDateTime::now_utc())
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(SnapshotFile {
            path: path.to_path_buf(),
            verifier,
            current: std::sync::RwLock::new((mtime, Arc::new(snapshot))),
        })
    }

    fn reload_if_changed(&self) {
        let mtime = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        if mtime.is_none() || self.current.read().expect("snapshot lock").0 == mtime {
            return;
        }
        let fresh = std::fs::read_to_string(&self.path)
            .map_err(|e| e.to_string())
            .and_then(|t| {
                self.verifier
                    .verify(&t, time::OffsetDateTime::now_utc())
                    .map_err(|e| e.to_string())
            });
        let mut current = self.current.write().expect("snapshot lock");
        match fresh {
            Ok(s) if s.payload.sequence >= current.1.payload.sequence => {
                tracing::info!(sequence = s.payload.sequence, "register snapshot reloaded");
                *current = (mtime, Arc::new(s));
            }
            Ok(_) => tracing::warn!(
                "register snapshot file holds an older sequence; kept the current one"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "register snapshot file refused; kept the current one")
            }
        }
        current.0 = mtime;
    }
}

impl RegisterSource for SnapshotFile {
    fn register(&self, now: i64) -> Result<Arc<Register>, String> {
        self.reload_if_changed();
        let current = self.current.read().expect("snapshot lock").1.clone();
        if now > current.payload.next_update.unix_timestamp() {
            return Err("the issuer's register snapshot is past its next update".into());
        }
        Ok(Arc::new(current.register().clone()))
    }
}

/// Which wallet attestations the issuer takes, and whether it requires one.
#[derive(Clone, Default)]
pub struct WalletAttestationPolicy {
    /// Refuse PAR and token requests without a trusted wallet attestation.
    pub required: bool,
    /// The register whose holder service providers are the trusted wallet providers.
    pub register: Option<Arc<dyn RegisterSource>>,
    /// Wallet provider roots, when there is no register.
    pub roots: Vec<Certificate>,
}

impl std::fmt::Debug for WalletAttestationPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalletAttestationPolicy")
            .field("required", &self.required)
            .field("register", &self.register.is_some())
            .field("roots", &self.roots.len())
            .finish()
    }
}

impl WalletAttestationPolicy {
    /// Whether any wallet provider is trusted (attestations are checked, and advertised).
    pub fn enabled(&self) -> bool {
        self.register.is_some() || !self.roots.is_empty()
    }

    /// Whether the wallet provider behind `chain` is trusted at `now`.
    pub fn trust(&self, chain: &[Certificate], now: i64) -> Result<(), String> {
        if let Some(source) = &self.register {
            let register = source.register(now)?;
            let at = time::OffsetDateTime::from_unix_timestamp(now).map_err(|e| e.to_string())?;
            let d = trust_framework::decision::authorize_wallet_provider(&register, chain, at);
            return if d.allowed {
                Ok(())
            } else {
                Err(d.reason.to_string())
            };
        }
        validate_chain(chain, &self.roots, now, &LeafProfile::default())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

fn refused(e: ClientAttestationError) -> ApiError {
    ApiError::unauthorized_client(e.to_string())
}

/// Checks the wallet attestation of a PAR or token request naming `client_id` (if it
/// names one): `Ok(None)` when none is sent and none is required (or none is trusted).
pub async fn authenticate(
    s: &Issuer,
    headers: &HeaderMap,
    client_id: Option<&str>,
) -> Result<Option<VerifiedClientAttestation>, ApiError> {
    let policy = &s.config.wallet_attestation;
    let attestation = single_header(headers, ATTESTATION_HEADER)?;
    let pop = single_header(headers, POP_HEADER)?;
    let (attestation, pop) = match (attestation, pop) {
        (Some(a), Some(p)) if policy.enabled() => (a, p),
        (None, None) | (Some(_), Some(_)) if !policy.required => return Ok(None),
        _ => return Err(refused(ClientAttestationError::Missing)),
    };
    let now = crate::util::now();
    let verified = client_attestation::verify(
        attestation,
        pop,
        &Expectations {
            audience: &s.config.issuer_url,
            client_id,
            now,
            max_age: s.config.proof_max_age,
            skew: s.config.proof_max_skew,
        },
        |chain| policy.trust(chain, now),
    )
    .map_err(refused)?;
    // One use of each PoP: its jti, kept (domain-separated from DPoP jtis) until it could
    // no longer pass the freshness check.
    let jti_hash = crate::util::sha256_hex(
        format!("oauth-client-attestation-pop\0{}", verified.pop_jti).as_bytes(),
    );
    let expires = now + s.config.proof_max_age + s.config.proof_max_skew;
    if !s.store.use_dpop_jti(&jti_hash, expires).await? {
        return Err(refused(ClientAttestationError::Pop(
            "this PoP was used before".into(),
        )));
    }
    tracing::info!("wallet attestation accepted");
    Ok(Some(verified))
}
