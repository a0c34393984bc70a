//! SD-JWT VC (draft-ietf-oauth-sd-jwt-vc): the `dc+sd-jwt` profile of SD-JWT.
//!
//! Adds to RFC 9901: header `typ` `dc+sd-jwt`; a `vct`; `iss`, `nbf`, `exp`, `cnf`, `vct`,
//! `vct#integrity` and `status` never selectively disclosed; the issuer key from an `x5c`
//! chain, from JWT VC Issuer Metadata (through a resolver the caller supplies) or given.

mod issuer_key;
pub mod type_metadata;

pub use issuer_key::{IssuerKeySource, IssuerMetadataResolver, JwtVcIssuerMetadata};

use serde_json::{Map, Value};

use crate::keys::{PublicKey, Signer};
use crate::report::{CheckLog, CheckName, ReportError, VerificationReport};
use crate::sd_jwt::{
    self, DisclosureFrame, SdJwt, SdJwtError, SdJwtIssuer, VerifiedSdJwt, VerifyOptions,
};
use crate::x509::Certificate;

/// The media type and header `typ` of an SD-JWT VC.
pub const TYP: &str = "dc+sd-jwt";
/// The format identifier in reports and OpenID4VC.
pub const FORMAT: &str = "dc+sd-jwt";

/// Claims that must be plain in the issuer-signed JWT (never selectively disclosed).
pub const NEVER_DISCLOSED: &[&str] =
    &["iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status"];
/// Claims the issuer sets itself; user claims may not carry them.
const ISSUER_SET: &[&str] = &[
    "iss",
    "nbf",
    "exp",
    "cnf",
    "vct",
    "vct#integrity",
    "status",
    "iat",
];

/// What an SD-JWT VC carries besides the subject's claims.
#[derive(Clone, Debug)]
pub struct VcEnvelope {
    /// `iss`: the issuer identifier (an HTTPS URL).
    pub iss: String,
    /// `vct`: the credential type.
    pub vct: String,
    /// `iat`.
    pub iat: i64,
    /// `nbf`, if the credential becomes valid later than `iat`.
    pub nbf: Option<i64>,
    /// `exp`.
    pub exp: Option<i64>,
    /// `cnf.jwk`: the holder's key.
    pub holder: Option<PublicKey>,
    /// `status`: e.g. `{"status_list": {"idx": 12, "uri": "https://..."}}`.
    pub status: Option<Value>,
}

/// Issues SD-JWT VCs with one key, optionally with its certificate chain in `x5c`.
pub struct SdJwtVcIssuer<'a> {
    signer: &'a dyn Signer,
    x5c: &'a [Certificate],
}

impl<'a> SdJwtVcIssuer<'a> {
    /// An issuer signing with `signer`; the header carries the signer's `kid`.
    pub fn new(signer: &'a dyn Signer) -> Self {
        SdJwtVcIssuer { signer, x5c: &[] }
    }

    /// Puts the certificate chain (leaf first, without the root) in the `x5c` header too.
    pub fn with_x5c(mut self, chain: &'a [Certificate]) -> Self {
        self.x5c = chain;
        self
    }

    /// Issues one credential. `json` selects the JWS JSON serialization.
    pub fn issue(
        &self,
        envelope: &VcEnvelope,
        claims: &Map<String, Value>,
        frame: &DisclosureFrame,
        json: bool,
    ) -> Result<SdJwt, SdJwtError> {
        if let Some(k) = claims.keys().find(|k| ISSUER_SET.contains(&k.as_str())) {
            return Err(SdJwtError::Issue(format!(
                "\"{k}\" is set by the issuer, not a subject claim"
            )));
        }
        let mut plain = Map::new();
        plain.insert("iss".into(), envelope.iss.clone().into());
        plain.insert("iat".into(), envelope.iat.into());
        if let Some(nbf) = envelope.nbf {
            plain.insert("nbf".into(), nbf.into());
        }
        if let Some(exp) = envelope.exp {
            plain.insert("exp".into(), exp.into());
        }
        plain.insert("vct".into(), envelope.vct.clone().into());
        if let Some(holder) = &envelope.holder {
            let mut jwk = holder.to_jwk().to_value();
            if let Value::Object(m) = &mut jwk {
                m.remove("kid");
            }
            plain.insert("cnf".into(), serde_json::json!({ "jwk": jwk }));
        }
        if let Some(status) = &envelope.status {
            plain.insert("status".into(), status.clone());
        }
        let mut issuer = SdJwtIssuer::new(self.signer).typ(TYP);
        // The `kid` also beside an `x5c`: verifiers that take the key from JWT VC Issuer
        // Metadata pick it by `kid`.
        if let Some(kid) = self.signer.key_id() {
            issuer = issuer.header_param("kid", kid.into());
        }
        if !self.x5c.is_empty() {
            issuer = issuer.header_param("x5c", crate::x509::x5c_value(self.x5c));
        }
        if json {
            issuer.issue_json(claims, frame, &plain)
        } else {
            issuer.issue(claims, frame, &plain)
        }
    }
}

/// What the verifier accepts besides the SD-JWT options.
#[derive(Clone, Copy, Debug)]
pub struct VcVerifyOptions<'a> {
    /// The SD-JWT options (clock, audience, nonce, key binding).
    pub sd_jwt: VerifyOptions<'a>,
    /// Accepted header `typ` values (`dc+sd-jwt` only, unless a caller opts in to more).
    pub accepted_typ: &'a [&'a str],
}

impl<'a> VcVerifyOptions<'a> {
    /// Defaults around `sd_jwt`, accepting only `dc+sd-jwt`.
    pub fn new(sd_jwt: VerifyOptions<'a>) -> Self {
        VcVerifyOptions {
            sd_jwt,
            accepted_typ: &[TYP],
        }
    }
}

/// A verified SD-JWT VC.
#[derive(Clone, Debug)]
pub struct VerifiedSdJwtVc {
    /// The SD-JWT result (claims, key binding, ...).
    pub sd_jwt: VerifiedSdJwt,
    /// `vct`.
    pub vct: String,
    /// `iss`, if present.
    pub iss: Option<String>,
    /// How the issuer key was established (`x5c chain to ...`, `issuer metadata`, `given key`).
    pub key_origin: String,
    /// The validated certificate chain, leaf first, when the key came from `x5c`.
    pub chain: Vec<Certificate>,
}

/// Verifies an SD-JWT VC presentation, recording every check; the error names the first failure.
pub fn verify(
    text: &str,
    source: &IssuerKeySource<'_>,
    opts: &VcVerifyOptions<'_>,
    log: &mut CheckLog,
) -> Result<VerifiedSdJwtVc, SdJwtError> {
    let sd = log.run(CheckName::Parse, || {
        SdJwt::parse(text).map(|s| {
            let n = s.disclosures().len();
            (
                s,
                format!(
                    "SD-JWT with {n} Disclosure(s){}",
                    if s_has_kb(text) { " and a KB-JWT" } else { "" }
                ),
            )
        })
    })?;
    log.run(CheckName::Typ, || {
        let typ = sd.jws().header().typ();
        match typ {
            Some(t) if opts.accepted_typ.contains(&t) => Ok(((), format!("typ {t}"))),
            other => Err(SdJwtError::TypInvalid(other.map(str::to_string))),
        }
    })?;
    // Only the x5c and metadata sources need `iss` before the signature is checked; read
    // just that member rather than the whole claims set.
    let iss = match source {
        IssuerKeySource::Key(_) => None,
        _ => serde_json::from_slice::<IssOnly>(sd.jws().payload())
            .ok()
            .and_then(|p| p.iss),
    };
    let (key, key_origin, chain) = log.run(CheckName::IssuerKey, || {
        let resolved = source.resolve(&sd, iss.as_deref(), opts.sd_jwt.now)?;
        let detail = resolved.1.clone();
        Ok((resolved, detail))
    })?;
    let verified = sd_jwt::verify(&sd, &key, &opts.sd_jwt, log)?;
    let vct = log.run(CheckName::VcClaims, || {
        if let Some(name) = verified
            .disclosed_names
            .iter()
            .find(|n| NEVER_DISCLOSED.contains(&n.as_str()))
        {
            return Err(SdJwtError::ProtectedClaimDisclosed(name.clone()));
        }
        let vct = match verified.claims.get("vct") {
            Some(Value::String(v)) if !v.is_empty() => v.clone(),
            _ => return Err(SdJwtError::VctMissing),
        };
        if verified.claims.get("iss").is_some_and(|i| !i.is_string()) {
            return Err(SdJwtError::MalformedPayload("iss is not a string"));
        }
        if let Some(status) = verified.claims.get("status") {
            check_status_claim(status)?;
        }
        let detail = format!("vct {vct}; registered claims are not selectively disclosed");
        Ok((vct, detail))
    })?;
    let iss = verified
        .claims
        .get("iss")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(VerifiedSdJwtVc {
        sd_jwt: verified,
        vct,
        iss,
        key_origin,
        chain,
    })
}

#[derive(serde::Deserialize)]
struct IssOnly {
    iss: Option<String>,
}

fn s_has_kb(text: &str) -> bool {
    !text.starts_with('{') && !text.ends_with('~')
}

/// `status.status_list` (Token Status List): `idx` a non-negative integer, `uri` a string.
fn check_status_claim(status: &Value) -> Result<(), SdJwtError> {
    let Some(obj) = status.as_object() else {
        return Err(SdJwtError::MalformedPayload("status is not an object"));
    };
    if let Some(list) = obj.get("status_list") {
        let ok = list.get("idx").and_then(Value::as_u64).is_some()
            && list.get("uri").and_then(Value::as_str).is_some();
        if !ok {
            return Err(SdJwtError::MalformedPayload(
                "status.status_list needs idx and uri",
            ));
        }
    }
    Ok(())
}

/// Verifies and builds the report of `vouch sd-jwt verify`: claims only if every check passed.
pub fn verify_report(
    text: &str,
    source: &IssuerKeySource<'_>,
    opts: &VcVerifyOptions<'_>,
) -> VerificationReport {
    let mut log = CheckLog::default();
    let result = verify(text, source, opts, &mut log);
    let issuer = SdJwt::parse(text)
        .ok()
        .and_then(|s| s.jws().claims().ok())
        .and_then(|c| c.get("iss").and_then(Value::as_str).map(str::to_string));
    match result {
        Ok(v) => {
            let mut report = VerificationReport::new(
                FORMAT,
                log,
                None,
                v.iss.clone().or(issuer),
                Some(Value::Object(v.sd_jwt.claims.clone())),
            );
            report.extra.insert("vct".into(), v.vct.into());
            report
        }
        Err(e) => VerificationReport::new(
            FORMAT,
            log,
            Some(ReportError {
                code: e.code().into(),
                message: e.to_string(),
            }),
            issuer,
            None,
        ),
    }
}
