//! Signing credentials: an SD-JWT VC or an mdoc per holder key, each carrying its Token
//! Status List reference (`status.status_list` in SD-JWT VC, the second-edition MSO
//! `status` in mdoc).

use credentials::keys::PublicKey;
use credentials::mdoc::{json::name_spaces_from_json, IssueRequest, MdocIssuer, ValidityInfo};
use credentials::sd_jwt_vc::{type_metadata::default_frame, SdJwtVcIssuer, VcEnvelope};
use credentials::status::StatusReference;

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
    }
}

/// Signs one credential for `holder` with the active key; returns the `credential` value
/// of the response (the SD-JWT VC text, or base64url of the mdoc's IssuerSigned CBOR).
pub fn sign(
    config: &Configuration,
    claims: &PreparedClaims,
    key: &ActiveKey,
    issuer_id: &str,
    holder: &PublicKey,
    status: &StatusReference,
    ctx: &IssueContext<'_>,
) -> Result<String, IssueError> {
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
                .issue(&envelope, claims, frame, false)
                .map_err(|e| IssueError::Signing(e.to_string()))?;
            Ok(sd.to_compact())
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
            Ok(credentials::b64::encode(signed.to_cbor()))
        }
        _ => Err(IssueError::Signing("claims of another format".into())),
    }
}
