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

/// Which wallet attestations the issuer takes, and whether it requires one.
#[derive(Clone, Debug, Default)]
pub struct WalletAttestationPolicy {
    /// Refuse PAR and token requests without a trusted wallet attestation.
    pub required: bool,
    /// The register whose holder service providers are the trusted wallet providers.
    pub register: Option<Arc<Register>>,
    /// Wallet provider roots, when there is no register.
    pub roots: Vec<Certificate>,
}

impl WalletAttestationPolicy {
    /// Whether any wallet provider is trusted (attestations are checked, and advertised).
    pub fn enabled(&self) -> bool {
        self.register.is_some() || !self.roots.is_empty()
    }

    /// Whether the wallet provider behind `chain` is trusted at `now`.
    pub fn trust(&self, chain: &[Certificate], now: i64) -> Result<(), String> {
        if let Some(register) = &self.register {
            let at = time::OffsetDateTime::from_unix_timestamp(now).map_err(|e| e.to_string())?;
            let d = trust_framework::decision::authorize_wallet_provider(register, chain, at);
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
