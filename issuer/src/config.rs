//! How an issuer is set up: its identifier and the lifetimes and limits of what it hands out.

/// The issuer's settings.
#[derive(Clone, Debug)]
pub struct IssuerConfig {
    /// The Credential Issuer Identifier: an `https` URL (an `http://127.0.0.1` URL is accepted
    /// for local runs), no trailing slash, no query or fragment.
    pub issuer_url: String,
    /// Display name (metadata, `issuing_authority`, certificates).
    pub name: String,
    /// ISO 3166-1 alpha-2 country (mdoc `issuing_country`, IACA and DS certificates).
    pub country: String,
    /// Credential validity in seconds.
    pub credential_validity: i64,
    /// Entries per status list (herd privacy: indices are drawn at random from this many).
    pub status_list_size: i64,
    /// Bits per status entry (2: VALID, INVALID, SUSPENDED).
    pub status_list_bits: i64,
    /// `ttl` of status list tokens, and their HTTP `max-age`.
    pub status_ttl: i64,
    /// Lifetime of a status list token (`exp - iat`).
    pub status_token_validity: i64,
    /// Wrong transaction codes allowed before an offer is locked.
    pub tx_code_attempts: i64,
    /// Length of generated transaction codes.
    pub tx_code_length: usize,
    /// Lifetime of an offer and its pre-authorized code.
    pub offer_validity: i64,
    /// Lifetime of access tokens.
    pub token_validity: i64,
    /// Lifetime of `c_nonce` values.
    pub nonce_validity: i64,
    /// How old a key proof or DPoP proof's `iat` may be.
    pub proof_max_age: i64,
    /// How far in the future a proof's `iat` may be (clock skew).
    pub proof_max_skew: i64,
    /// Maximum `proofs` per credential request (`batch_credential_issuance.batch_size`).
    pub batch_size: usize,
    /// Whether the token endpoint refuses requests without a DPoP proof.
    pub require_dpop: bool,
    /// Largest request body accepted, in bytes.
    pub max_body: usize,
    /// Unexpired pushed authorization requests kept at once; past it, new ones are refused
    /// (503) until some expire.
    pub max_pending_pars: i64,
    /// Which wallet providers' key attestations are accepted (OpenID4VCI 1.0 Appendix D),
    /// and what is required of them; none by default.
    pub key_attestations: crate::proofs::attestation::KeyAttestationPolicy,
    /// Which wallet providers' wallet attestations are taken at PAR and the token endpoint
    /// (HAIP 1.0 section 4.4.1), and whether one is required; none by default.
    pub wallet_attestation: crate::client_attestation::WalletAttestationPolicy,
    /// Whether the VC API keeps a caller's well-formed `credentialStatus` (Bitstring Status
    /// List entries of a list the caller runs) instead of refusing it; off by default, when
    /// the issuer assigns status itself.
    pub accept_caller_status: bool,
}

impl IssuerConfig {
    /// Defaults for an issuer at `issuer_url`.
    pub fn new(issuer_url: &str) -> Self {
        IssuerConfig {
            issuer_url: issuer_url.trim_end_matches('/').to_string(),
            name: "Vouch Issuer".into(),
            country: "GB".into(),
            credential_validity: 90 * 24 * 3600,
            status_list_size: 1 << 20,
            status_list_bits: 2,
            status_ttl: 300,
            status_token_validity: 24 * 3600,
            tx_code_attempts: 3,
            tx_code_length: 6,
            offer_validity: 15 * 60,
            token_validity: 10 * 60,
            nonce_validity: 5 * 60,
            proof_max_age: 300,
            proof_max_skew: 60,
            batch_size: 10,
            require_dpop: false,
            max_body: 64 * 1024,
            max_pending_pars: crate::store::MAX_PENDING_PARS,
            key_attestations: Default::default(),
            wallet_attestation: Default::default(),
            accept_caller_status: false,
        }
    }

    /// The path part of the issuer identifier (`""` or `/tenant`), under which every
    /// endpoint lives.
    pub fn base_path(&self) -> String {
        url::Url::parse(&self.issuer_url)
            .map(|u| u.path().trim_end_matches('/').to_string())
            .unwrap_or_default()
    }

    /// The URL of an endpoint: the issuer identifier plus `path`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer_url)
    }

    /// A well-known URL: `/.well-known/{name}` inserted between host and path (OpenID4VCI
    /// section 12.2.2, RFC 8414 section 3.1).
    pub fn well_known(&self, name: &str) -> String {
        match url::Url::parse(&self.issuer_url) {
            Ok(u) => {
                let path = u.path().trim_end_matches('/');
                let origin = u.origin().ascii_serialization();
                format!("{origin}/.well-known/{name}{path}")
            }
            Err(_) => format!("{}/.well-known/{name}", self.issuer_url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_is_inserted_before_the_issuer_path() {
        let c = IssuerConfig::new("https://issuer.example.com/tenant/");
        assert_eq!(c.issuer_url, "https://issuer.example.com/tenant");
        assert_eq!(
            c.well_known("openid-credential-issuer"),
            "https://issuer.example.com/.well-known/openid-credential-issuer/tenant"
        );
        assert_eq!(c.base_path(), "/tenant");
        let c = IssuerConfig::new("https://tenant.issuer.example.com");
        assert_eq!(
            c.well_known("openid-credential-issuer"),
            "https://tenant.issuer.example.com/.well-known/openid-credential-issuer"
        );
        assert_eq!(c.base_path(), "");
    }
}
