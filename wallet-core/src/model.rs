//! What the wallet stores about a credential and a batch, and how an issued credential is
//! read into that form.

use credentials::keys::PublicKey;
use credentials::mdoc::{self, IssuerSigned, MobileSecurityObject};
use credentials::sd_jwt::{process_disclosures, KeyBindingJwt, SdAlg, SdJwt};
use credentials::{b64, sd_jwt_vc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// SD-JWT VC claims that describe the credential rather than the person.
const ENVELOPE: &[&str] = &[
    "iss",
    "iat",
    "nbf",
    "exp",
    "cnf",
    "vct",
    "vct#integrity",
    "status",
];

/// One issued credential (a member of a batch), sealed in the store.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredCredential {
    /// The record id.
    pub id: String,
    /// The batch it belongs to.
    pub batch_id: String,
    /// `dc+sd-jwt` or `mso_mdoc`.
    pub format: String,
    /// SD-JWT VC `vct`.
    pub vct: Option<String>,
    /// mdoc docType.
    pub doctype: Option<String>,
    /// The credential issuer.
    pub issuer: String,
    /// The credential as issued: SD-JWT compact form, or base64url IssuerSigned CBOR.
    pub raw: String,
    /// Every claim it can disclose (mdoc: `{namespace: {element: value}}`).
    pub claims: Value,
    /// The device key it is bound to.
    pub device_key_id: String,
    /// When it was stored (seconds).
    pub received_at: i64,
    /// `exp` / validUntil, if any.
    pub expires_at: Option<i64>,
}

impl StoredCredential {
    /// The type to show: vct or docType.
    pub fn type_name(&self) -> &str {
        self.vct
            .as_deref()
            .or(self.doctype.as_deref())
            .unwrap_or("unknown")
    }
}

credentials::dcql_candidate!(
    StoredCredential,
    /// The `aki` values of the issuer's certificate chain (the SD-JWT VC's `x5c`, the
    /// mdoc's x5chain), so a DCQL `trusted_authorities` query can match it.
    fn authorities(&self) -> Vec<(String, Vec<String>)> {
        let chain = self.issuer_chain();
        let aki = credentials::dcql::aki_values(&chain);
        if aki.is_empty() {
            Vec::new()
        } else {
            vec![("aki".to_string(), aki)]
        }
    }
);

impl StoredCredential {
    /// The issuer's certificate chain as the credential carries it (empty when it names
    /// its key another way).
    pub fn issuer_chain(&self) -> Vec<credentials::x509::Certificate> {
        let ders: Vec<Vec<u8>> = match self.format.as_str() {
            credentials::mdoc::FORMAT => {
                return b64::decode(&self.raw)
                    .and_then(|b| IssuerSigned::from_cbor(&b).ok())
                    .and_then(|i| i.issuer_chain().ok())
                    .unwrap_or_default()
            }
            _ => {
                let jws = self.raw.split('~').next().unwrap_or_default();
                credentials::jose::CompactJws::parse(jws)
                    .ok()
                    .and_then(|j| j.header().x5c().ok().flatten())
                    .unwrap_or_default()
            }
        };
        ders.iter()
            .filter_map(|d| credentials::x509::Certificate::from_der(d).ok())
            .collect()
    }
}

/// A batch of credentials of one configuration from one issuer, and how to refill it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Batch {
    /// The batch id.
    pub id: String,
    /// The credential issuer identifier.
    pub issuer: String,
    /// `credential_configuration_id`.
    pub configuration_id: String,
    /// The format.
    pub format: String,
    /// vct or docType.
    pub type_name: String,
    /// Whether each credential is shown once (batches of more than one).
    pub single_use: bool,
    /// How many the issuer hands out per request.
    pub batch_size: usize,
    /// A refresh token for re-issuance, if the issuer gave one.
    pub refresh_token: Option<String>,
    /// The DPoP key the tokens are bound to (private JWK), if any.
    pub dpop_key: Option<Value>,
    /// The issuer's standing as checked on receipt (absent in batches stored before the
    /// wallet checked it).
    #[serde(default)]
    pub standing: Option<crate::receipt::Standing>,
    /// The configuration's `credential_metadata` from the issuer's metadata (OpenID4VCI 1.0
    /// section 12.2.4: `display` and `claims[].display`), for the names the app shows;
    /// absent in batches stored before the wallet kept it.
    #[serde(default)]
    pub credential_metadata: Option<Value>,
}

/// The claims of a parsed credential and what describes it.
pub(crate) struct Parsed {
    pub format: String,
    pub vct: Option<String>,
    pub doctype: Option<String>,
    pub issuer: Option<String>,
    pub claims: Value,
    pub expires_at: Option<i64>,
    pub raw: String,
}

/// Reads an issued SD-JWT VC and checks it is bound to `device_key`.
pub(crate) fn parse_sd_jwt(text: &str, device_key: &PublicKey) -> Result<Parsed> {
    let bad = |m: String| Error::Credential(m);
    let sd = SdJwt::parse(text).map_err(|e| bad(e.to_string()))?;
    if sd.jws().header().typ() != Some(sd_jwt_vc::TYP) {
        return Err(bad("typ is not dc+sd-jwt".into()));
    }
    let payload = sd.jws().claims().map_err(|e| bad(e.to_string()))?;
    let holder = KeyBindingJwt::holder_key(&payload).map_err(|e| bad(e.to_string()))?;
    if &holder != device_key {
        return Err(bad(
            "cnf.jwk is not the device key the proof was made with".into()
        ));
    }
    let alg = payload
        .get("_sd_alg")
        .and_then(Value::as_str)
        .map_or(Some(SdAlg::default()), SdAlg::from_name)
        .ok_or_else(|| bad("unsupported _sd_alg".into()))?;
    let (mut claims, _) =
        process_disclosures(payload, sd.disclosures(), alg).map_err(|e| bad(e.to_string()))?;
    let text_of =
        |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    let vct = text_of(&claims, "vct");
    let issuer = text_of(&claims, "iss");
    let expires_at = claims.get("exp").and_then(Value::as_i64);
    for k in ENVELOPE {
        claims.remove(*k);
    }
    Ok(Parsed {
        format: sd_jwt_vc::FORMAT.into(),
        vct,
        doctype: None,
        issuer,
        claims: Value::Object(claims),
        expires_at,
        raw: sd.to_compact(),
    })
}

/// Reads an issued mdoc (base64url IssuerSigned) and checks it is bound to `device_key`.
pub(crate) fn parse_mdoc(text: &str, device_key: &PublicKey) -> Result<Parsed> {
    let bad = |m: String| Error::Credential(m);
    let bytes = b64::decode(text).ok_or_else(|| bad("not base64url".into()))?;
    let signed = IssuerSigned::from_cbor(&bytes).map_err(|e| bad(e.to_string()))?;
    let payload = signed
        .issuer_auth
        .sign1
        .payload
        .as_deref()
        .ok_or_else(|| bad("issuerAuth has no payload".into()))?;
    let mso = MobileSecurityObject::from_payload(payload).map_err(|e| bad(e.to_string()))?;
    if &mso.device_key != device_key {
        return Err(bad(
            "the MSO device key is not the device key the proof was made with".into(),
        ));
    }
    Ok(Parsed {
        format: mdoc::FORMAT.into(),
        vct: None,
        doctype: Some(mso.doc_type.clone()),
        issuer: None,
        claims: mdoc_claims(&signed),
        expires_at: Some(mso.validity.valid_until),
        raw: text.to_string(),
    })
}

/// `{namespace: {element: value}}` of an mdoc, in the report's JSON forms.
pub(crate) fn mdoc_claims(signed: &IssuerSigned) -> Value {
    let mut out = Map::new();
    for (ns, items) in &signed.name_spaces {
        let mut m = Map::new();
        for i in items {
            m.insert(
                i.item.element_identifier.clone(),
                mdoc::json::to_json(&i.item.element_value),
            );
        }
        out.insert(ns.clone(), Value::Object(m));
    }
    Value::Object(out)
}
