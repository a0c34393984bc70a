//! The protected resource: the nonce endpoint, the credential endpoint (key proofs, batch
//! issuance, encrypted requests and responses) and the notification endpoint.
//!
//! A credential request is checked in full (token, DPoP, body, encryption parameters, every
//! key proof, the subject's claims) before anything is written; then one transaction
//! consumes the nonce, records the DPoP `jti`, takes the status indices and records the
//! credentials; only then are they signed and returned.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use credentials::jose::jwe::{self, Enc};
use credentials::jose::CompactJws;
use credentials::keys::Jwk;
use credentials::status::StatusReference;
use serde_json::{json, Map, Value};

use super::{freshness, no_store, read_body, single_header, Shared};
use crate::configurations::{self, IssueContext};
use crate::error::ApiError;
use crate::issuance;
use crate::proofs::attestation::verify_key_attestation;
use crate::proofs::{
    parse as parse_proof, verify_attested_key_proof, verify_dpop, verify_key_proof, ProofError,
};
use crate::store::{ListPolicy, NewCredential, Recorded, Subject, TokenGrant};
use crate::util::{random_token, sha256_hex};

pub(super) fn router() -> Router<Shared> {
    Router::new()
        .route("/nonce", post(nonce))
        .route("/credential", post(credential))
        .route("/notification", post(notification))
}

/// Mints a `c_nonce` without a write: it is authenticated, and made single use where it is
/// redeemed (see [`crate::proofs::nonce`]).
async fn nonce(State(s): State<Shared>) -> Result<Response, ApiError> {
    let n = s
        .store
        .nonce_key()
        .mint(crate::util::now() + s.config.nonce_validity);
    Ok(no_store(StatusCode::OK, Json(json!({ "c_nonce": n }))))
}

/// An authorized request: the token's grant and the token's digest.
struct Authorized {
    grant: TokenGrant,
    token_hash: String,
    dpop: Option<crate::proofs::Dpop>,
    /// The token's subject, when asked for (`None` also when it was deleted).
    subject: Option<Subject>,
}

/// Checks the access token and, for a DPoP-bound token, the DPoP proof for `path`; with
/// `with_subject`, reads the subject in the same query as the token.
async fn authorize(
    s: &Shared,
    headers: &HeaderMap,
    path: &str,
    with_subject: bool,
) -> Result<Authorized, ApiError> {
    let auth = single_header(headers, header::AUTHORIZATION.as_str())?
        .ok_or_else(|| ApiError::invalid_token("Bearer", "an access token is required"))?;
    let (scheme, token) = auth
        .split_once(' ')
        .ok_or_else(|| ApiError::invalid_token("Bearer", "malformed Authorization header"))?;
    let scheme = if scheme.eq_ignore_ascii_case("dpop") {
        "DPoP"
    } else if scheme.eq_ignore_ascii_case("bearer") {
        "Bearer"
    } else {
        return Err(ApiError::invalid_token(
            "Bearer",
            "unsupported authorization scheme",
        ));
    };
    let token = token.trim();
    let token_hash = sha256_hex(token.as_bytes());
    let now = crate::util::now();
    let found = if with_subject {
        s.store.token_with_subject(&token_hash, now).await?
    } else {
        s.store.token(&token_hash, now).await?.map(|g| (g, None))
    };
    let (grant, subject) = found
        .ok_or_else(|| ApiError::invalid_token(scheme, "the access token is unknown or expired"))?;
    let dpop = match (&grant.dpop_jkt, scheme) {
        (Some(jkt), "DPoP") => {
            let proof = single_header(headers, "dpop")?
                .ok_or_else(|| ApiError::resource_invalid_dpop_proof("a DPoP proof is required"))?;
            let p = verify_dpop(
                proof,
                "POST",
                &s.config.endpoint(path),
                Some(token),
                freshness(&s.config),
            )
            .map_err(|e| ApiError::resource_invalid_dpop_proof(e.0))?;
            if !crate::util::ct_eq(p.jkt.as_bytes(), jkt.as_bytes()) {
                return Err(ApiError::resource_invalid_dpop_proof(
                    "the DPoP proof is signed by another key than the token is bound to",
                ));
            }
            Some(p)
        }
        (Some(_), _) => {
            return Err(ApiError::invalid_token(
                "DPoP",
                "a DPoP-bound token must be presented with the DPoP scheme",
            ))
        }
        (None, "DPoP") => {
            return Err(ApiError::invalid_token(
                "DPoP",
                "the access token is not DPoP-bound",
            ))
        }
        (None, _) => None,
    };
    Ok(Authorized {
        grant,
        token_hash,
        dpop,
        subject,
    })
}

/// Where to encrypt the response to.
struct ResponseEncryption {
    key: credentials::keys::PublicKey,
    kid: Option<String>,
    enc: Enc,
}

fn response_encryption(v: &Value) -> Result<ResponseEncryption, ApiError> {
    let jwk_v = v.get("jwk").ok_or_else(|| {
        ApiError::invalid_encryption_parameters("credential_response_encryption.jwk is required")
    })?;
    // The JWK carries `alg: ECDH-ES` (and perhaps `use`, `kid`): the key parser knows
    // signature algorithms only, so it reads the key members alone.
    let mut bare = jwk_v.clone();
    if let Value::Object(m) = &mut bare {
        for k in ["alg", "use", "kid", "key_ops"] {
            m.remove(k);
        }
    }
    let jwk = Jwk::from_value(&bare)
        .map_err(|_| ApiError::invalid_encryption_parameters("the jwk is not a usable EC key"))?;
    if jwk_v.get("alg").and_then(Value::as_str) != Some("ECDH-ES") {
        return Err(ApiError::invalid_encryption_parameters(
            "the jwk must carry alg ECDH-ES",
        ));
    }
    if jwk.public_key().kind() == credentials::keys::KeyKind::Ed25519 {
        return Err(ApiError::invalid_encryption_parameters(
            "the jwk must be a P-256 or P-384 key",
        ));
    }
    if v.get("zip").is_some() {
        return Err(ApiError::invalid_encryption_parameters(
            "compression (zip) is not supported",
        ));
    }
    let enc = v
        .get("enc")
        .and_then(Value::as_str)
        .and_then(Enc::from_name)
        .ok_or_else(|| ApiError::invalid_encryption_parameters("enc must be A128GCM or A256GCM"))?;
    Ok(ResponseEncryption {
        key: jwk.public_key().clone(),
        kid: jwk_v.get("kid").and_then(Value::as_str).map(str::to_string),
        enc,
    })
}

/// The request body as a JSON object, decrypting an `application/jwt` (JWE) request.
fn request_object(
    s: &Shared,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Map<String, Value>, bool), ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (bytes, encrypted) = match ct.as_str() {
        "application/jwt" => {
            let text = std::str::from_utf8(body).map_err(|_| {
                ApiError::invalid_encryption_parameters("the request JWE is not text")
            })?;
            let (header, plain) = jwe::decrypt(
                text.trim(),
                s.keys.encryption_key(),
                &[Enc::A128Gcm, Enc::A256Gcm],
            )
            .map_err(|e| {
                ApiError::invalid_encryption_parameters(format!(
                    "the request does not decrypt: {e}"
                ))
            })?;
            if header.kid().is_some_and(|k| k != s.keys.encryption_kid()) {
                return Err(ApiError::invalid_encryption_parameters(
                    "the request is encrypted to an unknown key",
                ));
            }
            (plain, true)
        }
        "application/json" | "" => (body.to_vec(), false),
        _ => {
            return Err(ApiError::invalid_credential_request(
                "Content-Type must be application/json or application/jwt",
            ))
        }
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok((m, encrypted)),
        _ => Err(ApiError::invalid_credential_request(
            "the body is not a JSON object",
        )),
    }
}

async fn credential(
    State(s): State<Shared>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    let auth = authorize(&s, &headers, "/credential", true).await?;
    let body = read_body(req, s.config.max_body).await?;
    let (request, encrypted) = request_object(&s, &headers, &body)?;

    // Which configuration.
    let config_id = match (
        request.get("credential_identifier"),
        request.get("credential_configuration_id"),
    ) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_credential_request(
                "credential_identifier and credential_configuration_id are mutually exclusive",
            ))
        }
        (Some(id), None) => {
            let id = id.as_str().ok_or_else(|| {
                ApiError::invalid_credential_request("credential_identifier is not a string")
            })?;
            if !auth.grant.authorization_details {
                return Err(ApiError::invalid_credential_request(
                    "credential_identifier is only for tokens issued with authorization_details",
                ));
            }
            if !auth.grant.configuration_ids.iter().any(|c| c == id) {
                return Err(ApiError::unknown_credential_identifier(
                    "unknown credential identifier",
                ));
            }
            id.to_string()
        }
        (None, Some(id)) => {
            let id = id.as_str().ok_or_else(|| {
                ApiError::invalid_credential_request("credential_configuration_id is not a string")
            })?;
            if auth.grant.authorization_details {
                return Err(ApiError::invalid_credential_request(
                    "this token was issued with authorization_details: use credential_identifier",
                ));
            }
            if configurations::find(id).is_none() {
                return Err(ApiError::unknown_credential_configuration(
                    "unknown credential configuration",
                ));
            }
            if !auth.grant.configuration_ids.iter().any(|c| c == id) {
                return Err(ApiError::credential_request_denied(
                    "the access token does not cover this credential configuration",
                ));
            }
            id.to_string()
        }
        (None, None) => {
            return Err(ApiError::invalid_credential_request(
                "credential_configuration_id or credential_identifier is required",
            ))
        }
    };
    let config = configurations::find(&config_id).ok_or_else(|| {
        ApiError::unknown_credential_configuration("unknown credential configuration")
    })?;

    // Response encryption (which, to resist substitution, needs an encrypted request).
    let encryption = match request.get("credential_response_encryption") {
        None => None,
        Some(v) => {
            let e = response_encryption(v)?;
            if !encrypted {
                return Err(ApiError::invalid_encryption_parameters(
                    "credential_response_encryption requires an encrypted credential request",
                ));
            }
            Some(e)
        }
    };

    // Key proofs: the keys to bind, and the c_nonce they were made for.
    let (keys, nonce) = key_proofs(&s, &request, auth.grant.client_id.as_deref())?;

    // Claims, before anything is recorded.
    let subject = auth
        .subject
        .ok_or_else(|| ApiError::credential_request_denied("the subject no longer exists"))?;
    let now = crate::util::now();
    let ctx = IssueContext {
        authority: &s.config.name,
        country: &s.config.country,
        now,
        expires_at: now + s.config.credential_validity,
    };
    let claims = issuance::prepare(config, &subject, &ctx).map_err(|e| {
        tracing::info!(configuration = config.id, reason = %e, "credential request denied");
        ApiError::credential_request_denied(e.to_string())
    })?;

    // One transaction: nonce, DPoP jti, status indices, credential records. The nonce's MAC
    // and expiry are checked first; the transaction makes it single use.
    let nonce = s
        .store
        .nonce_key()
        .check(&nonce, now)
        .map_err(|e| ApiError::invalid_nonce(e.to_string()))?;
    let key = s.keys.active();
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
        size: s.config.status_list_size,
        bits: s.config.status_list_bits,
        probes: 16,
    };
    let recorded = s
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
    let mut out = Vec::with_capacity(keys.len());
    for ((_, holder), (list_id, idx)) in keys.iter().zip(&indices) {
        let status = StatusReference {
            idx: *idx as u64,
            uri: s.config.endpoint(&format!("/status/{list_id}")),
        };
        let credential = issuance::sign(
            config,
            &claims,
            &key,
            &s.config.issuer_url,
            holder,
            &status,
            &ctx,
        )
        .map_err(ApiError::internal)?;
        out.push(json!({ "credential": credential }));
    }
    tracing::info!(
        subject = %subject.subject_id,
        configuration = config.id,
        count = out.len(),
        kid = %key.kid,
        "credentials issued"
    );
    vouch_ops::metrics::counter!(super::CREDENTIAL_RESPONSES, "format" => config.format.name())
        .increment(1);
    let body = json!({ "credentials": out, "notification_id": notification_id });
    match encryption {
        None => Ok(no_store(StatusCode::OK, Json(body))),
        Some(e) => {
            let mut extra = Map::new();
            if let Some(kid) = e.kid {
                extra.insert("kid".into(), kid.into());
            }
            let jwe = jwe::encrypt(body.to_string().as_bytes(), &e.key, e.enc, &extra)
                .map_err(ApiError::internal)?;
            let mut r = (StatusCode::OK, jwe).into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jwt"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(r)
        }
    }
}

/// Reads and verifies the `proofs` of a credential request (OpenID4VCI 1.0 section 8.2 and
/// Appendix F): `jwt` proofs, one per key, or one `jwt` proof with a `key_attestation` header,
/// or one `attestation`; every key is bound to one credential. Returns the keys (with their
/// thumbprints) and the one `c_nonce` they carry.
fn key_proofs(
    s: &Shared,
    request: &Map<String, Value>,
    client_id: Option<&str>,
) -> Result<(Vec<(String, credentials::keys::PublicKey)>, String), ApiError> {
    let proofs = request
        .get("proofs")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::invalid_proof("proofs is required"))?;
    if proofs.len() != 1 {
        return Err(ApiError::invalid_proof(
            "proofs must hold exactly one proof type",
        ));
    }
    let policy = &s.config.key_attestations;
    let fresh = freshness(&s.config);
    let (proof_type, list) = proofs.iter().next().expect("one entry");
    let list = list.as_array().filter(|a| !a.is_empty()).ok_or_else(|| {
        ApiError::invalid_proof(format!("proofs.{proof_type} must be a non-empty array"))
    })?;
    let texts = list
        .iter()
        .map(|v| v.as_str())
        .collect::<Option<Vec<&str>>>()
        .ok_or_else(|| ApiError::invalid_proof("a proof is not a string"))?;
    let jwts: Vec<Result<CompactJws, ProofError>> = if proof_type == "jwt" {
        texts.iter().map(|t| parse_proof(t)).collect()
    } else {
        Vec::new()
    };
    let too_many = || {
        ApiError::invalid_credential_request(format!(
            "at most {} keys per request",
            s.config.batch_size
        ))
    };
    let (keys, nonce) = match proof_type.as_str() {
        "attestation" if policy.enabled() => {
            if texts.len() != 1 {
                return Err(ApiError::invalid_proof(
                    "proofs.attestation must hold exactly one key attestation",
                ));
            }
            let a = verify_key_attestation(texts[0], policy, fresh)
                .map_err(|e| ApiError::invalid_proof(e.0))?;
            let nonce = a
                .nonce
                .ok_or_else(|| ApiError::invalid_nonce("the key attestation carries no c_nonce"))?;
            (a.keys, nonce)
        }
        // Each proof parsed once; one that does not parse is refused in its turn below.
        "jwt"
            if jwts
                .iter()
                .flatten()
                .any(|j| j.header().get("key_attestation").is_some()) =>
        {
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
            let p = verify_attested_key_proof(jws, &s.config.issuer_url, client_id, fresh, policy)
                .map_err(|e| ApiError::invalid_proof(format!("proof 0: {e}")))?;
            let nonce = p
                .nonce
                .ok_or_else(|| ApiError::invalid_proof("proof 0 has no nonce"))?;
            (p.attestation.keys, nonce)
        }
        "jwt" => {
            if policy.required {
                return Err(ApiError::invalid_proof(
                    "this issuer requires a key attestation (key_attestations_required)",
                ));
            }
            if texts.len() > s.config.batch_size {
                return Err(too_many());
            }
            let mut keys: Vec<(String, credentials::keys::PublicKey)> =
                Vec::with_capacity(texts.len());
            let mut nonce: Option<String> = None;
            for (i, jws) in jwts.iter().enumerate() {
                let p = jws
                    .as_ref()
                    .map_err(|e| e.clone())
                    .and_then(|j| verify_key_proof(j, &s.config.issuer_url, client_id, fresh))
                    .map_err(|e| ApiError::invalid_proof(format!("proof {i}: {e}")))?;
                let n = p
                    .nonce
                    .ok_or_else(|| ApiError::invalid_proof(format!("proof {i} has no nonce")))?;
                match &nonce {
                    None => nonce = Some(n),
                    Some(first) if *first != n => {
                        return Err(ApiError::invalid_nonce("the proofs carry different nonces"))
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
        other => {
            return Err(ApiError::invalid_proof(format!(
                "the {other} proof type is not supported"
            )))
        }
    };
    if keys.len() > s.config.batch_size {
        return Err(too_many());
    }
    Ok((keys, nonce))
}

async fn notification(
    State(s): State<Shared>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    let auth = authorize(&s, &headers, "/notification", false).await?;
    if let Some(d) = &auth.dpop {
        if !s.store.use_dpop_jti(&d.jti_hash, d.jti_expires_at).await? {
            return Err(ApiError::resource_invalid_dpop_proof(
                "the DPoP proof was used before",
            ));
        }
    }
    let body = read_body(req, s.config.max_body).await?;
    let v: Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::invalid_notification_request("the body is not JSON"))?;
    let id = v
        .get("notification_id")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid_notification_request("notification_id is required"))?;
    let event = v
        .get("event")
        .and_then(Value::as_str)
        .filter(|e| {
            [
                "credential_accepted",
                "credential_failure",
                "credential_deleted",
            ]
            .contains(e)
        })
        .ok_or_else(|| ApiError::invalid_notification_request("event is missing or unknown"))?;
    if !s
        .store
        .notify(id, &auth.token_hash, event, crate::util::now())
        .await?
    {
        return Err(ApiError::invalid_notification_id("unknown notification_id"));
    }
    tracing::info!(event, "notification received");
    Ok(StatusCode::NO_CONTENT.into_response())
}
