//! The credential endpoint's work (OpenID4VCI 1.0 section 8): [`Issuer::issue`] takes an
//! authorized, typed [`CredentialRequest`] and answers a [`CredentialResponse`].
//!
//! A request is checked in full (the selector against the token, the encryption parameters,
//! every key proof, the subject's claims) before anything is written; then one transaction
//! consumes the nonce, records the DPoP `jti`, takes the status indices and records the
//! credentials; only then are they signed. The HTTP layer only extracts (token, body, JWE)
//! and maps the result.

use credentials::jose::jwe::Enc;
use credentials::jose::CompactJws;
use credentials::keys::{Jwk, KeyKind, PublicKey};
use credentials::openid4vci::{
    CredentialRequest, CredentialResponse, CredentialSelector, IssuedCredential, Proofs,
    ResponseEncryption,
};
use credentials::status::StatusReference;
use serde_json::Value;

use crate::configurations::{self, Configuration, IssueContext};
use crate::error::ApiError;
use crate::http::{freshness, Issuer};
use crate::issuance;
use crate::proofs::attestation::verify_key_attestation;
use crate::proofs::{
    parse as parse_proof, verify_attested_key_proof, verify_key_proof, Dpop, ProofError,
};
use crate::store::{ListPolicy, NewCredential, Recorded, Subject, TokenGrant};
use crate::util::random_token;

/// What the access token proved: its grant, its digest, the DPoP proof that came with it,
/// and the token's subject (`None` also when it was deleted).
pub struct Authorization {
    /// The token's grant.
    pub grant: TokenGrant,
    /// The token's digest (how it is stored).
    pub token_hash: String,
    /// The verified DPoP proof, for a DPoP-bound token.
    pub dpop: Option<Dpop>,
    /// The token's subject, when asked for.
    pub subject: Option<Subject>,
}

/// Where to encrypt a credential response: the checked `credential_response_encryption`.
pub struct EncryptTo {
    /// The wallet's key (P-256 or P-384, for ECDH-ES).
    pub key: PublicKey,
    /// Its `kid`, echoed in the JWE header.
    pub kid: Option<String>,
    /// The content encryption.
    pub enc: Enc,
}

/// An answered credential request.
pub struct Issued {
    /// The response body.
    pub response: CredentialResponse,
    /// Where to encrypt it, when the wallet asked.
    pub encryption: Option<EncryptTo>,
}

/// Checks the wallet's response encryption key and algorithms against what this issuer
/// supports (ECDH-ES with P-256 or P-384, A128GCM or A256GCM, no compression).
fn encrypt_to(e: &ResponseEncryption) -> Result<EncryptTo, ApiError> {
    // The JWK carries `alg: ECDH-ES` (and perhaps `use`, `kid`): the key parser knows
    // signature algorithms only, so it reads the key members alone.
    let mut bare = e.jwk.clone();
    for k in ["alg", "use", "kid", "key_ops"] {
        bare.remove(k);
    }
    let jwk = Jwk::from_value(&Value::Object(bare))
        .map_err(|_| ApiError::invalid_encryption_parameters("the jwk is not a usable EC key"))?;
    if e.jwk.get("alg").and_then(Value::as_str) != Some("ECDH-ES") {
        return Err(ApiError::invalid_encryption_parameters(
            "the jwk must carry alg ECDH-ES",
        ));
    }
    if jwk.public_key().kind() == KeyKind::Ed25519 {
        return Err(ApiError::invalid_encryption_parameters(
            "the jwk must be a P-256 or P-384 key",
        ));
    }
    if e.zip.is_some() {
        return Err(ApiError::invalid_encryption_parameters(
            "compression (zip) is not supported",
        ));
    }
    let enc = Enc::from_name(&e.enc)
        .ok_or_else(|| ApiError::invalid_encryption_parameters("enc must be A128GCM or A256GCM"))?;
    Ok(EncryptTo {
        key: jwk.public_key().clone(),
        kid: e.jwk.get("kid").and_then(Value::as_str).map(str::to_string),
        enc,
    })
}

/// The configuration a request selects, if the token covers it.
fn selected(
    grant: &TokenGrant,
    selector: &CredentialSelector,
) -> Result<&'static Configuration, ApiError> {
    let id = match selector {
        CredentialSelector::Identifier(id) => {
            if !grant.authorization_details {
                return Err(ApiError::invalid_credential_request(
                    "credential_identifier is only for tokens issued with authorization_details",
                ));
            }
            if !grant.configuration_ids.iter().any(|c| c == id) {
                return Err(ApiError::unknown_credential_identifier(
                    "unknown credential identifier",
                ));
            }
            id
        }
        CredentialSelector::ConfigurationId(id) => {
            if grant.authorization_details {
                return Err(ApiError::invalid_credential_request(
                    "this token was issued with authorization_details: use credential_identifier",
                ));
            }
            if configurations::find(id).is_none() {
                return Err(ApiError::unknown_credential_configuration(
                    "unknown credential configuration",
                ));
            }
            if !grant.configuration_ids.iter().any(|c| c == id) {
                return Err(ApiError::credential_request_denied(
                    "the access token does not cover this credential configuration",
                ));
            }
            id
        }
    };
    configurations::find(id).ok_or_else(|| {
        ApiError::unknown_credential_configuration("unknown credential configuration")
    })
}

impl Issuer {
    /// Answers a credential request made with `auth`; `encrypted` says whether the request
    /// itself came encrypted (response encryption requires it, to resist substitution).
    pub async fn issue(
        &self,
        auth: Authorization,
        request: &CredentialRequest,
        encrypted: bool,
    ) -> Result<Issued, ApiError> {
        let config = selected(&auth.grant, &request.credential)?;
        let encryption = match &request.response_encryption {
            None => None,
            Some(e) => {
                let e = encrypt_to(e)?;
                if !encrypted {
                    return Err(ApiError::invalid_encryption_parameters(
                        "credential_response_encryption requires an encrypted credential request",
                    ));
                }
                Some(e)
            }
        };

        // Key proofs: the keys to bind, and the c_nonce they were made for.
        let proofs = request
            .proofs
            .as_ref()
            .ok_or_else(|| ApiError::invalid_proof("proofs is required"))?;
        let (keys, nonce) = self.key_proofs(proofs, auth.grant.client_id.as_deref())?;

        // Claims, before anything is recorded.
        let subject = auth
            .subject
            .ok_or_else(|| ApiError::credential_request_denied("the subject no longer exists"))?;
        let now = crate::util::now();
        let ctx = IssueContext {
            authority: &self.config.name,
            country: &self.config.country,
            now,
            expires_at: now + self.config.credential_validity,
        };
        let claims = issuance::prepare(config, &subject, &ctx).map_err(|e| {
            tracing::info!(configuration = config.id, reason = %e, "credential request denied");
            ApiError::credential_request_denied(e.to_string())
        })?;

        // One transaction: nonce, DPoP jti, status indices, credential records. The nonce's
        // MAC and expiry are checked first; the transaction makes it single use.
        let nonce = self
            .store
            .nonce_key()
            .check(&nonce, now)
            .map_err(|e| ApiError::invalid_nonce(e.to_string()))?;
        let key = self.keys.active();
        let notification_id = random_token();
        let new: Vec<NewCredential> = keys
            .iter()
            .map(|(jkt, _)| NewCredential {
                credential_id: crate::util::ordered_id(),
                configuration_id: config.id.to_string(),
                holder_jkt: jkt.clone(),
                kid: key.kid.clone(),
                expires_at: ctx.expires_at,
            })
            .collect();
        let policy = ListPolicy {
            size: self.config.status_list_size,
            bits: self.config.status_list_bits,
            probes: 16,
        };
        let recorded = self
            .store
            .record_issuance(
                &nonce,
                auth.dpop
                    .as_ref()
                    .map(|d| (d.jti_hash.as_str(), d.jti_expires_at)),
                &subject.subject_id,
                &auth.token_hash,
                &notification_id,
                &new,
                policy,
                now,
            )
            .await?;
        let indices = match recorded {
            Recorded::Ok(i) => i,
            Recorded::InvalidNonce => {
                return Err(ApiError::invalid_nonce("the c_nonce was already used"))
            }
            Recorded::DpopReplay => {
                return Err(ApiError::resource_invalid_dpop_proof(
                    "the DPoP proof was used before",
                ))
            }
        };

        // Sign.
        let mut credentials = Vec::with_capacity(keys.len());
        for ((_, holder), (list_id, idx)) in keys.iter().zip(&indices) {
            let status = StatusReference {
                idx: *idx as u64,
                uri: self.config.endpoint(&format!("/status/{list_id}")),
            };
            let credential = issuance::sign(
                config,
                &claims,
                &key,
                &self.config.issuer_url,
                holder,
                &status,
                &ctx,
            )
            .map_err(ApiError::internal)?;
            credentials.push(IssuedCredential { credential });
        }
        tracing::info!(
            subject = %subject.subject_id,
            configuration = config.id,
            count = credentials.len(),
            kid = %key.kid,
            "credentials issued"
        );
        vouch_ops::metrics::counter!(crate::http::CREDENTIAL_RESPONSES, "format" => config.format.name())
            .increment(1);
        Ok(Issued {
            response: CredentialResponse {
                credentials,
                notification_id: Some(notification_id),
                ..CredentialResponse::default()
            },
            encryption,
        })
    }

    /// Verifies the key proofs of a request (OpenID4VCI 1.0 section 8.2 and Appendix F):
    /// `jwt` proofs, one per key, or one `jwt` proof with a `key_attestation` header, or one
    /// `attestation`; every key is bound to one credential. Returns the keys (with their
    /// thumbprints) and the one `c_nonce` they carry.
    fn key_proofs(
        &self,
        proofs: &Proofs,
        client_id: Option<&str>,
    ) -> Result<(Vec<(String, PublicKey)>, String), ApiError> {
        let policy = &self.config.key_attestations;
        let fresh = freshness(&self.config);
        let issuer_id = &self.config.issuer_url;
        let too_many = || {
            ApiError::invalid_credential_request(format!(
                "at most {} keys per request",
                self.config.batch_size
            ))
        };
        let (keys, nonce) = match proofs {
            Proofs::Attestation(texts) => {
                if !policy.enabled() {
                    return Err(ApiError::invalid_proof(
                        "the attestation proof type is not supported",
                    ));
                }
                if texts.len() != 1 {
                    return Err(ApiError::invalid_proof(
                        "proofs.attestation must hold exactly one key attestation",
                    ));
                }
                let a = verify_key_attestation(&texts[0], policy, fresh)
                    .map_err(|e| ApiError::invalid_proof(e.0))?;
                let nonce = a.nonce.ok_or_else(|| {
                    ApiError::invalid_nonce("the key attestation carries no c_nonce")
                })?;
                (a.keys, nonce)
            }
            Proofs::Jwt(texts) => {
                // Each proof parsed once; one that does not parse is refused in its turn.
                let jwts: Vec<Result<CompactJws, ProofError>> =
                    texts.iter().map(|t| parse_proof(t)).collect();
                let attested = jwts
                    .iter()
                    .flatten()
                    .any(|j| j.header().get("key_attestation").is_some());
                if attested {
                    if texts.len() != 1 {
                        return Err(ApiError::invalid_proof(
                            "a jwt proof with a key attestation must be the only proof",
                        ));
                    }
                    if !policy.enabled() {
                        return Err(ApiError::invalid_proof(
                            "key attestations are not accepted by this issuer",
                        ));
                    }
                    // The one proof: the one that parsed with a key_attestation header.
                    let jws = jwts[0].as_ref().expect("the proof found above");
                    let p = verify_attested_key_proof(jws, issuer_id, client_id, fresh, policy)
                        .map_err(|e| ApiError::invalid_proof(format!("proof 0: {e}")))?;
                    let nonce = p
                        .nonce
                        .ok_or_else(|| ApiError::invalid_proof("proof 0 has no nonce"))?;
                    (p.attestation.keys, nonce)
                } else {
                    if policy.required {
                        return Err(ApiError::invalid_proof(
                            "this issuer requires a key attestation (key_attestations_required)",
                        ));
                    }
                    if texts.len() > self.config.batch_size {
                        return Err(too_many());
                    }
                    let mut keys: Vec<(String, PublicKey)> = Vec::with_capacity(texts.len());
                    let mut nonce: Option<String> = None;
                    for (i, jws) in jwts.iter().enumerate() {
                        let p = jws
                            .as_ref()
                            .map_err(|e| e.clone())
                            .and_then(|j| verify_key_proof(j, issuer_id, client_id, fresh))
                            .map_err(|e| ApiError::invalid_proof(format!("proof {i}: {e}")))?;
                        let n = p.nonce.ok_or_else(|| {
                            ApiError::invalid_proof(format!("proof {i} has no nonce"))
                        })?;
                        match &nonce {
                            None => nonce = Some(n),
                            Some(first) if *first != n => {
                                return Err(ApiError::invalid_nonce(
                                    "the proofs carry different nonces",
                                ))
                            }
                            Some(_) => {}
                        }
                        if keys.iter().any(|(jkt, _)| *jkt == p.jkt) {
                            return Err(ApiError::invalid_proof("two proofs are for the same key"));
                        }
                        keys.push((p.jkt, p.key));
                    }
                    (keys, nonce.expect("at least one proof"))
                }
            }
        };
        if keys.len() > self.config.batch_size {
            return Err(too_many());
        }
        Ok((keys, nonce))
    }
}
