//! The W3C VC API issuer endpoint and Bitstring Status List credentials.
//!
//! `POST /credentials/issue` (admin bearer token: the identity provider's back office, not
//! the public) takes `{"credential": {…}, "options": {…}}` in the shape the W3C test suites
//! use and answers `201 {"verifiableCredential": …, "credentialId": …}`. The issuer is the
//! `did:key` of the issuer's active signing key (P-256 or P-384, wherever it lives, HSM
//! included), so a verifier resolves it offline and a rotated key keeps its credentials
//! verifiable. Securing: `options.cryptosuite` (`ecdsa-rdfc-2019`, the default, or
//! `ecdsa-jcs-2019`) for Data Integrity, or `options.format` `vc+jwt`, `vc+sd-jwt` or
//! `vc+cose` (returned as an `EnvelopedVerifiableCredential`).
//!
//! Every credential gets an index in the same status lists as OpenID4VCI credentials and
//! two `BitstringStatusListEntry`s for it (revocation, suspension), so the admin API's
//! revoke and suspend (`POST /admin/credentials/{id}/status`) act on W3C credentials too.
//! `GET /status/{list}/bitstring/{purpose}` serves the list as a
//! `BitstringStatusListCredential` (Data Integrity `ecdsa-rdfc-2019`), public and cacheable.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use credentials::did;
use credentials::keys::Signer;
use credentials::status::bitstring_status_list::{BitstringStatusList, StatusPurpose};
use credentials::status::{StatusReference, INVALID, SUSPENDED};
use credentials::w3c::data_integrity::Cryptosuite;
use credentials::w3c::jose::DocKind;
use credentials::w3c::verify::Secured;
use credentials::w3c::{self, IssueOptions, Securing};
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::admin::check_admin;
use super::{read_body, Shared};
use crate::error::ApiError;
use crate::store::{ListPolicy, NewCredential};

/// The configuration id recorded for credentials issued through the VC API.
pub const VC_API_CONFIGURATION: &str = "w3c_vc_api";
/// The smallest Bitstring Status List, in entries (the specification's herd privacy floor).
const MIN_BITSTRING_ENTRIES: i64 = 131_072;

pub(super) fn router() -> Router<Shared> {
    Router::new()
        .route("/credentials/issue", post(issue))
        .route("/status/{list}/bitstring/{purpose}", get(bitstring))
}

/// The issuer's DID: `did:key` of the active signing key.
pub fn issuer_did(s: &super::Issuer) -> String {
    did::did_key(s.keys.active().signer.public_key())
}

/// The issuer's DID for `eddsa-*` Data Integrity credentials: `did:key` of its Ed25519 key.
pub fn eddsa_did(s: &super::Issuer) -> String {
    did::did_key(s.keys.eddsa().public_key())
}

/// The key that signs a credential secured by `securing`, its DID and its `kid` for the
/// issuance record: the Ed25519 key for the `eddsa-*` cryptosuites, the active signing key
/// (P-256, in software or an HSM) otherwise.
fn signing_key(s: &super::Issuer, securing: Securing) -> (Arc<dyn Signer>, String, String) {
    match securing {
        Securing::DataIntegrity(Cryptosuite::EddsaRdfc2022 | Cryptosuite::EddsaJcs2022) => {
            let k = s.keys.eddsa();
            let did = did::did_key(k.public_key());
            (k, did, "eddsa".into())
        }
        _ => {
            let k = s.keys.active();
            (
                k.signer.clone(),
                did::did_key(k.signer.public_key()),
                k.kid.clone(),
            )
        }
    }
}

/// How `options` asks for the credential to be secured.
fn securing(options: &Value) -> Result<Securing, ApiError> {
    let text = |k: &str| options.get(k).and_then(Value::as_str);
    if let Some(format) = text("format") {
        return match Securing::from_name(format) {
            Some(s @ (Securing::Jwt | Securing::SdJwt | Securing::Cose)) => Ok(s),
            _ => Err(ApiError::invalid_request(format!(
                "unsupported format {format}: vc+jwt, vc+sd-jwt or vc+cose"
            ))),
        };
    }
    if let Some(t) = text("type") {
        if t != "DataIntegrityProof" {
            return Err(ApiError::invalid_request(format!(
                "unsupported proof type {t}: DataIntegrityProof"
            )));
        }
    }
    match text("cryptosuite") {
        None | Some("ecdsa-rdfc-2019") => Ok(Securing::DataIntegrity(Cryptosuite::EcdsaRdfc2019)),
        Some("ecdsa-jcs-2019") => Ok(Securing::DataIntegrity(Cryptosuite::EcdsaJcs2019)),
        Some("eddsa-rdfc-2022") => Ok(Securing::DataIntegrity(Cryptosuite::EddsaRdfc2022)),
        Some("eddsa-jcs-2022") => Ok(Securing::DataIntegrity(Cryptosuite::EddsaJcs2022)),
        Some(other) => Err(ApiError::invalid_request(format!(
            "this issuer signs with ecdsa-rdfc-2019, ecdsa-jcs-2019, eddsa-rdfc-2022 or eddsa-jcs-2022, not {other}"
        ))),
    }
}

/// A caller's `credentialStatus` (kept when [`crate::IssuerConfig::accept_caller_status`]):
/// an entry or a non-empty list of entries, each an object with a `type`, every
/// `BitstringStatusListEntry` well-formed (purpose, index, list URL).
fn caller_status_ok(status: &Value) -> Result<(), ApiError> {
    let entries = match status {
        Value::Object(_) => vec![status],
        Value::Array(a) if !a.is_empty() => a.iter().collect(),
        _ => {
            return Err(ApiError::invalid_request(
                "credentialStatus must be an object or a non-empty array of objects",
            ))
        }
    };
    for e in entries {
        let Some(o) = e.as_object() else {
            return Err(ApiError::invalid_request(
                "a credentialStatus entry is not an object",
            ));
        };
        let is_bsl = match o.get("type") {
            Some(Value::String(t)) => t == "BitstringStatusListEntry",
            Some(Value::Array(a)) if a.iter().all(Value::is_string) && !a.is_empty() => {
                a.iter().any(|t| t == "BitstringStatusListEntry")
            }
            _ => {
                return Err(ApiError::invalid_request(
                    "a credentialStatus entry has no type",
                ))
            }
        };
        if is_bsl {
            credentials::status::bitstring_status_list::BitstringStatusListEntry::from_json(o)
                .map_err(|e| ApiError::invalid_request(format!("credentialStatus: {e}")))?;
        }
    }
    Ok(())
}

/// `validUntil` as seconds since the epoch, if present and well-formed.
fn valid_until(credential: &Value) -> Option<i64> {
    let v = credential.get("validUntil")?;
    w3c::model::parse_date_time_stamp("validUntil", v)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

fn status_entries(s: &super::Issuer, list_id: i64, idx: i64) -> Value {
    crate::issuance::bitstring_entries(&StatusReference {
        idx: idx as u64,
        uri: s.config.endpoint(&format!("/status/{list_id}")),
    })
}

async fn issue(State(s): State<Shared>, headers: HeaderMap, req: Request) -> Response {
    match issue_inner(&s, &headers, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn issue_inner(s: &Shared, headers: &HeaderMap, req: Request) -> Result<Response, ApiError> {
    check_admin(s, headers)?;
    let body = read_body(req, s.config.max_body).await?;
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return Err(ApiError::invalid_request("the body is not a JSON object")),
    };
    let mut credential = match v.get("credential") {
        Some(c @ Value::Object(_)) => c.clone(),
        _ => {
            return Err(ApiError::invalid_request(
                "credential (an object) is required",
            ))
        }
    };
    let options = match v.get("options") {
        None | Some(Value::Null) => json!({}),
        Some(o @ Value::Object(_)) => o.clone(),
        Some(_) => return Err(ApiError::invalid_request("options must be an object")),
    };
    let securing = securing(&options)?;
    let (signer, issuer, kid) = signing_key(s, securing);
    let named = match credential.get("issuer") {
        None => None,
        Some(Value::String(i)) => Some(i.clone()),
        // An issuer object must name its id; `{"id": null}` is refused, never filled in.
        Some(Value::Object(o)) => match o.get("id").and_then(Value::as_str) {
            Some(id) => Some(id.to_string()),
            None => {
                return Err(ApiError::invalid_request(
                    "issuer is an object without a string id",
                ))
            }
        },
        Some(_) => return Err(ApiError::invalid_request("issuer is malformed")),
    };
    match named {
        None => credential["issuer"] = json!(issuer),
        Some(i) if i == issuer => {}
        Some(i) => {
            return Err(ApiError::invalid_request(format!(
                "this issuer is {issuer}, not {i}"
            )))
        }
    }
    let caller_status = match credential.get("credentialStatus") {
        None => None,
        Some(status) if s.config.accept_caller_status => {
            caller_status_ok(status)?;
            Some(status.clone())
        }
        Some(_) => {
            return Err(ApiError::invalid_request(
                "credentialStatus is assigned by the issuer",
            ))
        }
    };
    let now = OffsetDateTime::now_utc();
    if credential.get("validFrom").is_none() {
        credential["validFrom"] = json!(now
            .replace_nanosecond(0)
            .unwrap_or(now)
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(ApiError::internal)?);
    }
    // The data model is checked before an index is taken: nothing is recorded for a
    // credential that cannot be issued.
    w3c::model::validate_credential_shape(&credential)
        .map_err(|e| ApiError::invalid_request(format!("{}: {e}", e.code())))?;

    let credential_id = crate::util::ordered_id();
    let expires_at =
        valid_until(&credential).unwrap_or(now.unix_timestamp() + s.config.credential_validity);
    let policy = ListPolicy {
        size: s.config.status_list_size,
        bits: s.config.status_list_bits,
        probes: 16,
    };
    let mut with_status = credential.clone();
    // Sign a draft first (placeholder index) so that a signing failure records nothing.
    with_status["credentialStatus"] = caller_status
        .clone()
        .unwrap_or_else(|| status_entries(s, 0, 0));
    let draft = w3c::issue(
        &with_status,
        &IssueOptions::new(securing, DocKind::Credential),
        signer.as_ref(),
        now,
    )
    .map_err(|e| ApiError::invalid_request(format!("{}: {e}", e.code())))?;
    drop(draft);
    let (list_id, idx) = s
        .store
        .record_vc_api_issuance(
            &NewCredential {
                credential_id: credential_id.clone(),
                configuration_id: VC_API_CONFIGURATION.into(),
                holder_jkt: String::new(),
                kid: kid.clone(),
                expires_at,
            },
            policy,
            now.unix_timestamp(),
        )
        .await?;
    if caller_status.is_none() {
        with_status["credentialStatus"] = status_entries(s, list_id, idx);
    }
    let secured = w3c::issue(
        &with_status,
        &IssueOptions::new(securing, DocKind::Credential),
        signer.as_ref(),
        now,
    )
    .map_err(ApiError::internal)?;
    let vc = match secured {
        Secured::Document(v) => v,
        Secured::Compact(c) => w3c::model::envelope_credential(
            &format!("application/{}", securing.name(DocKind::Credential)),
            &c,
        ),
        Secured::Cose(b) => w3c::cose::envelope(DocKind::Credential, &b),
    };
    tracing::info!(
        securing = %securing.name(DocKind::Credential),
        kid = %kid,
        "VC API credential issued"
    );
    let format: &'static str = match securing {
        Securing::Jwt => "vc+jwt",
        Securing::SdJwt => "vc+sd-jwt",
        Securing::Cose => "vc+cose",
        Securing::DataIntegrity(_) => "ldp_vc",
    };
    vouch_ops::metrics::counter!(super::CREDENTIAL_RESPONSES, "format" => format).increment(1);
    Ok((
        StatusCode::CREATED,
        Json(json!({"verifiableCredential": vc, "credentialId": credential_id})),
    )
        .into_response())
}

/// The `BitstringStatusListCredential` for `purpose` of token status list `list`: a bit is
/// set where the entry is revoked (`revocation`) or suspended (`suspension`).
async fn bitstring(
    State(s): State<Shared>,
    Path((list, purpose)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let list_id: i64 = list
        .parse()
        .map_err(|_| ApiError::not_found("no such status list"))?;
    let purpose = StatusPurpose::from_name(&purpose)
        .filter(|p| matches!(p, StatusPurpose::Revocation | StatusPurpose::Suspension))
        .ok_or_else(|| ApiError::not_found("the purposes are revocation and suspension"))?;
    let (size, _, entries) = s
        .store
        .status_list(list_id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such status list"))?;
    let wanted = match purpose {
        StatusPurpose::Suspension => i64::from(SUSPENDED),
        _ => i64::from(INVALID),
    };
    let mut bits = BitstringStatusList::new(size.max(MIN_BITSTRING_ENTRIES) as usize, 1)
        .map_err(ApiError::internal)?;
    for (idx, status) in entries {
        if status == wanted {
            bits.set(idx as u64, 1).map_err(ApiError::internal)?;
        }
    }
    let url = s
        .config
        .endpoint(&format!("/status/{list_id}/bitstring/{}", purpose.name()));
    let now = OffsetDateTime::now_utc();
    let stamp = |t: OffsetDateTime| {
        t.replace_nanosecond(0)
            .unwrap_or(t)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    let mut doc = bits.credential(&url, &issuer_did(&s), &stamp(now), purpose);
    doc["validUntil"] = json!(stamp(
        now + time::Duration::seconds(s.config.status_token_validity)
    ));
    let key = s.keys.active();
    let secured = w3c::issue(
        &doc,
        &IssueOptions::new(
            Securing::DataIntegrity(Cryptosuite::EcdsaRdfc2019),
            DocKind::Credential,
        ),
        key.signer.as_ref(),
        now,
    )
    .map_err(ApiError::internal)?;
    let Secured::Document(body) = secured else {
        return Err(ApiError::internal(
            "a Data Integrity credential is a document",
        ));
    };
    let mut r = (StatusCode::OK, Json(body)).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vc+ld+json"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={}", s.config.status_ttl)) {
        h.insert(header::CACHE_CONTROL, v);
    }
    Ok(r)
}
