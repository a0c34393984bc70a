//! The proof-of-possession JWTs a wallet signs: key proofs (`openid4vci-proof+jwt`,
//! OpenID4VCI 1.0 Appendix F.1), carrying the key in a `jwk` header or attested by a
//! `key_attestation` header, and DPoP proofs (`dpop+jwt`, RFC 9449 section 4.2).
//!
//! Only the signing side lives here; verifying a proof is the issuer's, under its policy
//! (freshness, accepted algorithms, key attestation trust).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::jose::{sign_compact, JoseError};
use crate::keys::{HashAlg, PublicKey, Signer};

/// The `typ` of a key proof.
pub const KEY_PROOF_TYP: &str = "openid4vci-proof+jwt";
/// The `typ` of a DPoP proof.
pub const DPOP_TYP: &str = "dpop+jwt";

/// A public key's JWK as a proof header carries it: the key members only, no `kid`.
pub fn header_jwk(key: &PublicKey) -> Value {
    let mut v = key.to_jwk().to_value();
    if let Value::Object(m) = &mut v {
        m.remove("kid");
    }
    v
}

/// The claims of a key proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyProofClaims {
    /// The client the wallet is (absent for an anonymous pre-authorized flow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The credential issuer identifier.
    pub aud: String,
    /// When the proof was made (seconds since the epoch).
    pub iat: i64,
    /// The issuer's `c_nonce`, when it has a nonce endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

impl KeyProofClaims {
    fn sign_with(
        &self,
        mut header: Map<String, Value>,
        signer: &dyn Signer,
    ) -> Result<String, JoseError> {
        header.insert("typ".into(), KEY_PROOF_TYP.into());
        let payload = serde_json::to_vec(self).expect("claims serialize");
        sign_compact(&header, &payload, signer)
    }

    /// A key proof for the signer's own key, carried in the `jwk` header.
    pub fn sign(&self, signer: &dyn Signer) -> Result<String, JoseError> {
        let mut header = Map::new();
        header.insert("jwk".into(), header_jwk(signer.public_key()));
        self.sign_with(header, signer)
    }

    /// A key proof by one of the keys of `attestation` (a key attestation JWT), named by
    /// `kid`: its `kid` in `attested_keys`, or its position there.
    pub fn sign_attested(
        &self,
        signer: &dyn Signer,
        attestation: &str,
        kid: &str,
    ) -> Result<String, JoseError> {
        let mut header = Map::new();
        header.insert("kid".into(), kid.into());
        header.insert("key_attestation".into(), attestation.into());
        self.sign_with(header, signer)
    }
}

/// The `ath` of a DPoP proof: base64url SHA-256 of the access token.
pub fn access_token_hash(access_token: &str) -> String {
    crate::b64::encode(
        crate::keys::provider::default().hash(HashAlg::Sha256, access_token.as_bytes()),
    )
}

/// The claims of a DPoP proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DpopClaims {
    /// A unique identifier of this proof.
    pub jti: String,
    /// The HTTP method.
    pub htm: String,
    /// The target URI without query and fragment.
    pub htu: String,
    /// When the proof was made.
    pub iat: i64,
    /// The access token's hash, at a protected resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ath: Option<String>,
    /// The server's `DPoP-Nonce`, once it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

impl DpopClaims {
    /// The claims for `htm` at `url` (query and fragment dropped, section 4.2), bound to
    /// `access_token` when given.
    pub fn new(
        jti: String,
        htm: &str,
        url: &str,
        iat: i64,
        access_token: Option<&str>,
    ) -> Result<Self, url::ParseError> {
        let mut htu = url::Url::parse(url)?;
        htu.set_query(None);
        htu.set_fragment(None);
        Ok(DpopClaims {
            jti,
            htm: htm.to_string(),
            htu: htu.to_string(),
            iat,
            ath: access_token.map(access_token_hash),
            nonce: None,
        })
    }

    /// The DPoP proof signed by `signer`, its key in the `jwk` header.
    pub fn sign(&self, signer: &dyn Signer) -> Result<String, JoseError> {
        let mut header = Map::new();
        header.insert("typ".into(), DPOP_TYP.into());
        header.insert("jwk".into(), header_jwk(signer.public_key()));
        sign_compact(
            &header,
            &serde_json::to_vec(self).expect("claims serialize"),
            signer,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::{CompactJws, JwsPolicy};
    use crate::keys::{Algorithm, SoftwareSigner};

    #[test]
    fn a_key_proof_carries_its_type_and_bare_key_and_verifies_with_that_key() {
        let (s, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
        let claims = KeyProofClaims {
            iss: None,
            aud: "https://issuer.example".into(),
            iat: 1_700_000_000,
            nonce: Some("n".into()),
        };
        let jws = CompactJws::parse(&claims.sign(&s).unwrap()).unwrap();
        assert_eq!(jws.header().typ(), Some(KEY_PROOF_TYP));
        let jwk = jws.header().get("jwk").unwrap();
        assert!(jwk.get("kid").is_none() && jwk.get("d").is_none());
        jws.verify(s.public_key(), &JwsPolicy::allowing(&[Algorithm::Es256]))
            .unwrap();
        let back: KeyProofClaims =
            serde_json::from_value(Value::Object(jws.claims().unwrap())).unwrap();
        assert_eq!(back, claims);
    }

    #[test]
    fn a_dpop_proof_drops_query_and_fragment_and_hashes_the_token() {
        let c = DpopClaims::new(
            "j".into(),
            "POST",
            "https://as.example/token?x=1#f",
            1,
            Some("tok"),
        )
        .unwrap();
        assert_eq!(c.htu, "https://as.example/token");
        // RFC 9449 section 4.2: ath = base64url(SHA-256(ASCII(access token))).
        assert_eq!(
            c.ath.as_deref(),
            Some("GnZ0607njffhrEOak8P6jjyUV4TU3sn9jjARc4svHWI")
        );
    }
}
