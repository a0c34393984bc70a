//! Signing credentials: an SD-JWT VC or an mdoc per holder key, each carrying its Token
//! Status List reference (`status.status_list` in SD-JWT VC, the second-edition MSO
//! `status` in mdoc).

use credentials::keys::PublicKey;
use credentials::mdoc::{json::name_spaces_from_json, IssueRequest, MdocIssuer, ValidityInfo};
use credentials::sd_jwt_vc::type_metadata::RIGHT_TO_WORK_VCT;
use credentials::sd_jwt_vc::{type_metadata::default_frame, SdJwtVcIssuer, VcEnvelope};
use credentials::status::StatusReference;
use credentials::w3c::data_integrity::Cryptosuite;
use credentials::w3c::jose::DocKind;
use credentials::w3c::verify::Secured;
use credentials::w3c::{self, IssueOptions, Securing};

use crate::configurations::{self, ClaimsError, Configuration, Format, IssueContext};
use crate::keys::ActiveKey;
use crate::store::Subject;

/// Why a credential could not be made.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The subject's attributes do not make this credential.
    #[error(transparent)]
    Claims(#[from] ClaimsError),
    /// Signing or encoding failed.
    #[error("signing: {0}")]
    Signing(String),
}

/// Claims for one configuration, made once per request and reused for every key.
pub enum PreparedClaims {
    /// SD-JWT VC claims and which of them are selectively disclosable.
    SdJwt(
        serde_json::Map<String, serde_json::Value>,
        credentials::sd_jwt::DisclosureFrame,
    ),
    /// mdoc name spaces.
    Mdoc(credentials::mdoc::NameSpaces),
    /// The `credentialSubject` of a W3C credential (the holder's `id` is added per key).
    W3c(serde_json::Map<String, serde_json::Value>),
}

/// Builds the claims of `config` for `subject` (fails before anything is recorded).
pub fn prepare(
    config: &Configuration,
    subject: &Subject,
    ctx: &IssueContext<'_>,
) -> Result<PreparedClaims, IssueError> {
    match config.format {
        Format::SdJwtVc(vct) => {
            let claims = configurations::sd_jwt_claims_for(vct, subject, ctx)?;
            let frame =
                default_frame(vct, &claims).map_err(|e| IssueError::Signing(e.to_string()))?;
            Ok(PreparedClaims::SdJwt(claims, frame))
        }
        Format::Mdoc(doctype) => {
            let json = configurations::mdoc_claims_for(doctype, subject, ctx)?;
            Ok(PreparedClaims::Mdoc(
                name_spaces_from_json(&json).map_err(ClaimsError)?,
            ))
        }
        Format::JwtVcJson(_) | Format::LdpVc(_) => Ok(PreparedClaims::W3c(
            configurations::sd_jwt_claims_for(RIGHT_TO_WORK_VCT, subject, ctx)?,
        )),
    }
}

/// RFC 3339 of a time in seconds (UTC, whole seconds).
fn rfc3339(t: i64) -> Result<String, IssueError> {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .ok_or_else(|| IssueError::Signing(format!("time {t} out of range")))
}

/// A revocation and a suspension `BitstringStatusListEntry` for the credential's index in
/// the Token Status List at `status.uri` (served as Bitstring lists under `…/bitstring/`).
pub fn bitstring_entries(status: &StatusReference) -> serde_json::Value {
    ["revocation", "suspension"]
        .iter()
        .map(|purpose| {
            let url = format!("{}/bitstring/{purpose}", status.uri);
            serde_json::json!({
                "id": format!("{url}#{}", status.idx),
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": status.idx.to_string(),
                "statusListCredential": url,
            })
        })
        .collect()
}

/// The unsecured W3C VC 2.0 credential of `vc_type` for `holder`: issued by the `did:key`
/// of the signing key, the subject identified by the holder key's `did:jwk`, and a
/// revocation and a suspension Bitstring Status List entry at the credential's index.
pub fn w3c_credential(
    vc_type: &str,
    subject: &serde_json::Map<String, serde_json::Value>,
    key: &ActiveKey,
    holder: &PublicKey,
    status: &StatusReference,
    ctx: &IssueContext<'_>,
) -> Result<serde_json::Value, IssueError> {
    let mut subject = subject.clone();
    subject.insert("id".into(), credentials::did::did_jwk(holder).into());
    Ok(serde_json::json!({
        "@context": configurations::W3C_CONTEXTS,
        "type": ["VerifiableCredential", vc_type],
        "issuer": credentials::did::did_key(key.signer.public_key()),
        "validFrom": rfc3339(ctx.now)?,
        "validUntil": rfc3339(ctx.expires_at)?,
        "credentialSubject": subject,
        "credentialStatus": bitstring_entries(status),
    }))
}

/// Signs one credential for `holder` with the active key; returns the `credential` value
/// of the response (the SD-JWT VC or `vc+jwt` text, base64url of the mdoc's IssuerSigned
/// CBOR, or the `ldp_vc` JSON object).
pub fn sign(
    config: &Configuration,
    claims: &PreparedClaims,
    key: &ActiveKey,
    issuer_id: &str,
    holder: &PublicKey,
    status: &StatusReference,
    ctx: &IssueContext<'_>,
) -> Result<serde_json::Value, IssueError> {
    match (config.format, claims) {
        (Format::SdJwtVc(vct), PreparedClaims::SdJwt(claims, frame)) => {
            let envelope = VcEnvelope {
                iss: issuer_id.to_string(),
                vct: vct.to_string(),
                iat: ctx.now,
                nbf: None,
                exp: Some(ctx.expires_at),
                holder: Some(holder.clone()),
                status: Some(status.to_json()),
            };
            let sd = SdJwtVcIssuer::new(key.signer.as_ref())
                .with_x5c(&key.x5c)
                .issue(&envelope, claims, frame, false)
                .map_err(|e| IssueError::Signing(e.to_string()))?;
            Ok(sd.to_compact().into())
        }
        (Format::Mdoc(doctype), PreparedClaims::Mdoc(ns)) => {
            let issuer = MdocIssuer::new(key.signer.as_ref(), vec![key.ds_cert.clone()])
                .map_err(|e| IssueError::Signing(e.to_string()))?;
            let signed = issuer
                .issue(&IssueRequest {
                    doc_type: doctype,
                    name_spaces: ns,
                    device_key: holder,
                    key_authorizations: None,
                    validity: ValidityInfo {
                        signed: ctx.now,
                        valid_from: ctx.now,
                        valid_until: ctx.expires_at,
                        expected_update: None,
                    },
                    decoys: 2,
                    status: Some(status.to_cbor()),
                })
                .map_err(|e| IssueError::Signing(e.to_string()))?;
            Ok(credentials::b64::encode(signed.to_cbor()).into())
        }
        (Format::JwtVcJson(vc_type) | Format::LdpVc(vc_type), PreparedClaims::W3c(subject)) => {
            let doc = w3c_credential(vc_type, subject, key, holder, status, ctx)?;
            let securing = match config.format {
                Format::LdpVc(_) => Securing::DataIntegrity(Cryptosuite::EcdsaJcs2019),
                _ => Securing::Jwt,
            };
            let now = time::OffsetDateTime::from_unix_timestamp(ctx.now)
                .map_err(|e| IssueError::Signing(e.to_string()))?;
            match w3c::issue(
                &doc,
                &IssueOptions::new(securing, DocKind::Credential),
                key.signer.as_ref(),
                now,
            )
            .map_err(|e| IssueError::Signing(e.to_string()))?
            {
                Secured::Compact(jwt) => Ok(jwt.into()),
                Secured::Document(v) => Ok(v),
                Secured::Cose(_) => Err(IssueError::Signing("unexpected COSE".into())),
            }
        }
        _ => Err(IssueError::Signing("claims of another format".into())),
    }
}
