//! Verifying a DeviceResponse, fail-closed, as an ordered list of named checks:
//! `parse`, `response_status`, then per document `issuer_signature`, `issuer_chain`,
//! `mso`, `doc_type`, `validity`, `digests`, `device_auth`, `issuing_country`, `request`.
//! Claims are returned only when every check passed.

use std::collections::{BTreeMap, BTreeSet};

use ciborium::Value;
use coset::{iana, CoseSign1, Label, RegisteredLabelWithPrivate};
use serde_json::{Map, Value as Json};
use subtle::ConstantTimeEq;

use super::device_auth::{device_authentication_bytes, emac_key, hmac_sha256, mac0_tbs, sign1_tbs};
use super::present::age_over;
use super::{
    json, DeviceAuth, DeviceResponse, Document, IssuerSigned, ItemsRequest, MdocError,
    MobileSecurityObject, SessionTranscript, EKU_MDL_DS, FORMAT, MDL_NAMESPACE, X5CHAIN,
};
use crate::keys::provider::CryptoProvider;
use crate::keys::{Algorithm, SecretKey};
use crate::report::{CheckLog, CheckName, ReportError, VerificationReport};
use crate::x509::{self, Certificate, LeafProfile};

/// What the verifier knows and expects.
#[derive(Clone, Copy)]
pub struct MdocVerifyOptions<'a> {
    /// The verifier's clock (seconds since the epoch).
    pub now: i64,
    /// IACA roots the verifier trusts.
    pub trust_anchors: &'a [Certificate],
    /// The session transcript the device must have authenticated.
    pub transcript: &'a SessionTranscript,
    /// The reader's ephemeral private key (needed for DeviceMac).
    pub reader_key: Option<&'a SecretKey>,
    /// What the reader asked for; every element must be present.
    pub request: Option<&'a ItemsRequest>,
    /// Signature algorithms accepted.
    pub algorithms: &'a [Algorithm],
    /// The crypto provider.
    pub provider: &'a dyn CryptoProvider,
    /// Validated chains to reuse (a verifier keeps one for its lifetime).
    pub chain_cache: Option<&'a x509::ChainCache>,
    /// Require the mdlDS extended key usage on the Document Signer (18013-5 Annex B).
    /// Only test vectors from implementations that omit it turn this off.
    pub require_ds_eku: bool,
}

impl<'a> MdocVerifyOptions<'a> {
    /// Defaults: every algorithm, default provider, no request, no reader key.
    pub fn new(
        now: i64,
        trust_anchors: &'a [Certificate],
        transcript: &'a SessionTranscript,
    ) -> Self {
        MdocVerifyOptions {
            now,
            trust_anchors,
            transcript,
            reader_key: None,
            request: None,
            algorithms: &Algorithm::ALL,
            provider: crate::keys::provider::default(),
            require_ds_eku: true,
            chain_cache: None,
        }
    }
}

/// A verified Document.
#[derive(Clone, Debug)]
pub struct VerifiedDocument {
    /// docType.
    pub doc_type: String,
    /// The verified MSO.
    pub mso: MobileSecurityObject,
    /// The validated Document Signer chain, DS first.
    pub chain: Vec<Certificate>,
    /// The trust anchor (IACA) whose key verified the chain: the one a trust decision is
    /// about, never another root found by name.
    pub anchor: Certificate,
    /// Issuer-signed elements by namespace, every digest checked.
    pub claims: BTreeMap<String, Vec<(String, Value)>>,
    /// Device-signed elements by namespace (authorised by keyAuthorizations).
    pub device_claims: BTreeMap<String, Vec<(String, Value)>>,
}

impl VerifiedDocument {
    /// The claims as JSON: `{namespace: {element: value}}`.
    pub fn claims_json(&self) -> Json {
        let mut out = Map::new();
        for (ns, els) in self.claims.iter().chain(&self.device_claims) {
            let entry = out
                .entry(ns.clone())
                .or_insert_with(|| Json::Object(Map::new()));
            if let Json::Object(m) = entry {
                for (k, v) in els {
                    m.insert(k.clone(), json::to_json(v));
                }
            }
        }
        Json::Object(out)
    }
}

/// x5chain (label 33) from the unprotected or protected header: one bstr or an array.
pub(crate) fn x5chain(sign1: &CoseSign1) -> Result<Vec<Certificate>, MdocError> {
    x5chain_cached(sign1, None)
}

/// [`x5chain`], taking certificates already parsed from `cache` when it has them.
pub(crate) fn x5chain_cached(
    sign1: &CoseSign1,
    cache: Option<&x509::ChainCache>,
) -> Result<Vec<Certificate>, MdocError> {
    fn find(h: &coset::Header) -> Option<&Value> {
        h.rest
            .iter()
            .find(|(l, _)| *l == Label::Int(X5CHAIN))
            .map(|(_, v)| v)
    }
    let value = find(&sign1.unprotected)
        .or_else(|| find(&sign1.protected.header))
        .ok_or(MdocError::X5chainMissing)?;
    let ders: Vec<&[u8]> = match value {
        Value::Bytes(b) => vec![b.as_slice()],
        Value::Array(a) if a.is_empty() => return Err(MdocError::X5chainMissing),
        Value::Array(a) => a
            .iter()
            .map(|v| match v {
                Value::Bytes(b) => Ok(b.as_slice()),
                _ => Err(MdocError::Structure("x5chain holds a non-bstr".into())),
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(MdocError::Structure(
                "x5chain is not a bstr or an array of bstr".into(),
            ))
        }
    };
    ders.iter()
        .enumerate()
        .map(|(i, d)| {
            match cache {
                Some(cache) => cache.certificate(d),
                None => Certificate::from_der(d),
            }
            .map_err(|_| MdocError::Chain(x509::ChainError::Malformed(i)))
        })
        .collect()
}

/// The signature algorithm of a COSE_Sign1 (protected header only).
pub(crate) fn sign1_algorithm(sign1: &CoseSign1) -> Result<Algorithm, MdocError> {
    match &sign1.protected.header.alg {
        Some(RegisteredLabelWithPrivate::Assigned(a)) => match a {
            iana::Algorithm::ES256 => Ok(Algorithm::Es256),
            iana::Algorithm::ES384 => Ok(Algorithm::Es384),
            iana::Algorithm::EdDSA => Ok(Algorithm::EdDsa),
            other => Err(MdocError::UnsupportedAlgorithm(format!("{other:?}"))),
        },
        Some(other) => Err(MdocError::UnsupportedAlgorithm(format!("{other:?}"))),
        None => Err(MdocError::UnsupportedAlgorithm(
            "no alg in the protected header".into(),
        )),
    }
}

/// The issuer side of an mdoc, verified: its MSO, its Document Signer chain and the
/// elements whose digests matched.
#[derive(Clone, Debug)]
pub struct VerifiedIssuerSigned {
    /// The verified MSO.
    pub mso: MobileSecurityObject,
    /// The validated Document Signer chain, DS first.
    pub chain: Vec<Certificate>,
    /// The trust anchor (IACA) whose key verified the chain: the one a trust decision is
    /// about, never another root found by name.
    pub anchor: Certificate,
    /// Issuer-signed elements by namespace.
    pub claims: BTreeMap<String, Vec<(String, Value)>>,
}

/// Verifies issuerAuth and the MSO of `issuer_signed` for `doc_type`, and every digest:
/// the issuer-side checks, usable on their own for an mdoc as issued.
pub fn verify_issuer_signed(
    issuer_signed: &IssuerSigned,
    doc_type: &str,
    opts: &MdocVerifyOptions<'_>,
    log: &mut CheckLog,
) -> Result<VerifiedIssuerSigned, MdocError> {
    let sign1 = &issuer_signed.issuer_auth.sign1;
    let chain = log.run(CheckName::IssuerSignature, || {
        let alg = sign1_algorithm(sign1)?;
        if !opts.algorithms.contains(&alg) {
            return Err(MdocError::UnsupportedAlgorithm(alg.to_string()));
        }
        let chain = x5chain_cached(sign1, opts.chain_cache)?;
        let key = chain[0].public_key().map_err(MdocError::Chain)?;
        let payload = sign1
            .payload
            .as_deref()
            .ok_or_else(|| MdocError::Structure("issuerAuth has no payload".into()))?;
        let _ = payload;
        key.verify_with(opts.provider, alg, &sign1.tbs_data(&[]), &sign1.signature)
            .map_err(|_| MdocError::IssuerSignature)?;
        // Names by common name only: formatting a whole distinguished name costs more than
        // the rest of the check.
        let cn = x509::profile::subject_attr(&chain[0], "2.5.4.3").unwrap_or_default();
        let detail = format!("{alg} signature by the Document Signer \"{cn}\" verifies");
        Ok((chain, detail))
    })?;
    let anchor = log.run(CheckName::IssuerKey, || {
        let anchor = match opts.chain_cache {
            Some(cache) => cache.validate(
                &chain,
                opts.trust_anchors,
                opts.now,
                &LeafProfile {
                    required_eku: opts.require_ds_eku.then_some(EKU_MDL_DS),
                },
            ),
            None => x509::validate_chain(
                &chain,
                opts.trust_anchors,
                opts.now,
                &LeafProfile {
                    required_eku: opts.require_ds_eku.then_some(EKU_MDL_DS),
                },
            ),
        }
        .map_err(MdocError::Chain)?;
        if chain.len() == 1 && chain[0] != opts.trust_anchors[anchor] {
            x509::profile::check_ds_against_iaca(&chain[0], &opts.trust_anchors[anchor])
                .map_err(MdocError::Chain)?;
        }
        Ok::<_, MdocError>((
            opts.trust_anchors[anchor].clone(),
            format!(
                "Document Signer chains to the trusted IACA \"{}\"",
                x509::profile::subject_attr(&opts.trust_anchors[anchor], "2.5.4.3")
                    .unwrap_or_default()
            ),
        ))
    })?;
    let mso = log.run(CheckName::Mso, || {
        let mso = MobileSecurityObject::from_payload(sign1.payload.as_deref().unwrap_or_default())?;
        let detail = format!(
            "MSO version {}, {} digests",
            mso.version,
            mso.digest_algorithm.name()
        );
        Ok::<_, MdocError>((mso, detail))
    })?;
    log.run(CheckName::DocType, || {
        if mso.doc_type != doc_type {
            return Err(MdocError::DocTypeMismatch {
                mso: mso.doc_type.clone(),
                document: doc_type.to_string(),
            });
        }
        Ok(((), format!("docType {doc_type}")))
    })?;
    log.run(CheckName::Validity, || {
        let v = &mso.validity;
        let fmt = super::format_rfc3339;
        if opts.now > v.valid_until {
            return Err(MdocError::MsoExpired {
                valid_until: fmt(v.valid_until),
                now: fmt(opts.now),
            });
        }
        if opts.now < v.valid_from {
            return Err(MdocError::MsoNotYetValid {
                valid_from: fmt(v.valid_from),
                now: fmt(opts.now),
            });
        }
        let (nb, na) = chain[0].validity();
        if v.signed < nb || v.signed > na {
            return Err(MdocError::SignedOutsideCertificate(fmt(v.signed)));
        }
        Ok((
            (),
            format!(
                "valid {} to {}; signed {} within the DS certificate",
                fmt(v.valid_from),
                fmt(v.valid_until),
                fmt(v.signed)
            ),
        ))
    })?;
    let claims = log.run(CheckName::Digests, || {
        let mut claims = BTreeMap::new();
        let mut count = 0;
        for (ns, items) in &issuer_signed.name_spaces {
            let mut ids = BTreeSet::new();
            let mut names = BTreeSet::new();
            let mut els = Vec::new();
            for i in items {
                let name = &i.item.element_identifier;
                if !ids.insert(i.item.digest_id) || !names.insert(name.clone()) {
                    return Err(MdocError::DuplicateElement(format!("{ns}/{name}")));
                }
                let expected = mso
                    .value_digests
                    .get(ns)
                    .and_then(|d| d.get(&i.item.digest_id))
                    .ok_or_else(|| MdocError::DigestMissing {
                        namespace: ns.clone(),
                        element: name.clone(),
                    })?;
                if mso.digest_algorithm.digest_with(opts.provider, &i.raw) != *expected {
                    return Err(MdocError::DigestMismatch {
                        namespace: ns.clone(),
                        element: name.clone(),
                    });
                }
                els.push((name.clone(), i.item.element_value.clone()));
                count += 1;
            }
            claims.insert(ns.clone(), els);
        }
        Ok((claims, format!("{count} element digest(s) match the MSO")))
    })?;
    Ok(VerifiedIssuerSigned {
        mso,
        chain,
        anchor,
        claims,
    })
}

/// Verifies one Document of a DeviceResponse.
fn verify_document(
    doc: &Document,
    opts: &MdocVerifyOptions<'_>,
    log: &mut CheckLog,
) -> Result<VerifiedDocument, MdocError> {
    let VerifiedIssuerSigned {
        mso,
        chain,
        anchor,
        claims,
    } = verify_issuer_signed(&doc.issuer_signed, &doc.doc_type, opts, log)?;
    let device_claims = log.run(CheckName::HolderBinding, || {
        let ds = doc.device_signed.as_ref().ok_or(MdocError::DeviceAuthMissing)?;
        let auth = ds.device_auth.as_ref().ok_or(MdocError::DeviceAuthMissing)?;
        let mut device_claims = BTreeMap::new();
        for (ns, els) in &ds.name_spaces {
            for (e, _) in els {
                if !mso.key_authorizations.allows(ns, e) {
                    return Err(MdocError::DeviceKeyUnauthorized(format!("{ns}/{e}")));
                }
            }
            device_claims.insert(ns.clone(), els.clone());
        }
        let payload = device_authentication_bytes(opts.transcript, &doc.doc_type, &ds.name_spaces_raw);
        let detail = match auth {
            DeviceAuth::Signature(sign1) => {
                let alg = sign1_algorithm(sign1)?;
                if !opts.algorithms.contains(&alg) {
                    return Err(MdocError::UnsupportedAlgorithm(alg.to_string()));
                }
                // A detached payload is the norm; an attached one must be exactly these bytes.
                if sign1.payload.as_ref().is_some_and(|p| p != &payload) {
                    return Err(MdocError::DeviceSignature);
                }
                let tbs = sign1_tbs(sign1, &payload);
                mso.device_key.verify_with(opts.provider, alg, &tbs, &sign1.signature).map_err(|_| MdocError::DeviceSignature)?;
                format!("DeviceSignature ({alg}) by the MSO device key over this session transcript")
            }
            DeviceAuth::Mac(mac0) => {
                match &mac0.protected.header.alg {
                    Some(RegisteredLabelWithPrivate::Assigned(iana::Algorithm::HMAC_256_256)) => {}
                    other => return Err(MdocError::UnsupportedAlgorithm(format!("DeviceMac {other:?}"))),
                }
                let reader = opts.reader_key.ok_or(MdocError::ReaderKeyMissing)?;
                let key = emac_key(reader, &mso.device_key, opts.transcript).map_err(|_| MdocError::DeviceMac)?;
                if mac0.payload.as_ref().is_some_and(|p| p != &payload) {
                    return Err(MdocError::DeviceMac);
                }
                let tag = hmac_sha256(&key, &mac0_tbs(mac0, &payload));
                if !bool::from(tag.ct_eq(&mac0.tag)) {
                    return Err(MdocError::DeviceMac);
                }
                "DeviceMac (HMAC-SHA-256, EMacKey from the MSO device key) over this session transcript".to_string()
            }
        };
        Ok((device_claims, detail))
    })?;
    log.run(CheckName::IssuingCountry, || {
        let element = |name: &str| {
            claims
                .get(MDL_NAMESPACE)
                .and_then(|els| els.iter().find(|(k, _)| k == name))
                .and_then(|(_, v)| v.as_text().map(str::to_string))
        };
        let attr = |oid: &str| x509::profile::subject_attr(&chain[0], oid);
        let mut detail = Vec::new();
        if let Some(country) = element("issuing_country") {
            let cert = attr("2.5.4.6").unwrap_or_default();
            if country != cert {
                return Err(MdocError::IssuingCountryMismatch {
                    element: country,
                    certificate: cert,
                });
            }
            detail.push(format!(
                "issuing_country {country} matches the DS certificate"
            ));
        }
        if let Some(j) = element("issuing_jurisdiction") {
            if let Some(st) = attr("2.5.4.8") {
                if j != st {
                    return Err(MdocError::IssuingJurisdictionMismatch {
                        element: j,
                        certificate: st,
                    });
                }
                detail.push(format!("issuing_jurisdiction {j} matches"));
            }
        }
        if detail.is_empty() {
            detail.push("issuing_country not disclosed; nothing to compare".into());
        }
        Ok(((), detail.join("; ")))
    })?;
    if let Some(req) = opts.request {
        log.run(CheckName::Request, || {
            if req.doc_type != doc.doc_type {
                return Err(MdocError::RequestNotSatisfied(format!(
                    "docType {}",
                    req.doc_type
                )));
            }
            for (ns, els) in &req.name_spaces {
                let have = |name: &str| {
                    let present = |m: &BTreeMap<String, Vec<(String, Value)>>| {
                        m.get(ns).is_some_and(|v| v.iter().any(|(k, _)| k == name))
                    };
                    present(&claims) || present(&device_claims)
                };
                for e in els.keys() {
                    let satisfied = have(e)
                        || (age_over(e).is_some()
                            && claims
                                .get(ns)
                                .is_some_and(|v| v.iter().any(|(k, _)| age_over(k).is_some())));
                    if !satisfied {
                        return Err(MdocError::RequestNotSatisfied(format!("{ns}/{e}")));
                    }
                }
            }
            Ok(((), "every requested element is present".to_string()))
        })?;
    }
    Ok(VerifiedDocument {
        doc_type: doc.doc_type.clone(),
        mso,
        chain,
        anchor,
        claims,
        device_claims,
    })
}

/// Verifies every Document of a DeviceResponse, recording checks in `log`.
pub fn verify_response(
    bytes: &[u8],
    opts: &MdocVerifyOptions<'_>,
    log: &mut CheckLog,
) -> Result<Vec<VerifiedDocument>, MdocError> {
    let response = log.run(CheckName::Parse, || {
        let r = DeviceResponse::from_cbor(bytes)?;
        if r.version != "1.0" && !r.version.starts_with("1.") {
            return Err(MdocError::Structure(format!(
                "DeviceResponse version {}",
                r.version
            )));
        }
        let d = format!(
            "DeviceResponse {} with {} document(s)",
            r.version,
            r.documents.len()
        );
        Ok((r, d))
    })?;
    log.run(CheckName::ResponseStatus, || {
        if response.status != 0 {
            return Err(MdocError::ResponseStatus(response.status));
        }
        if response.documents.is_empty() {
            return Err(MdocError::Structure(
                "DeviceResponse has no documents".into(),
            ));
        }
        Ok(((), "status OK".to_string()))
    })?;
    response
        .documents
        .iter()
        .map(|d| verify_document(d, opts, log))
        .collect()
}

/// Verifies and builds the report of `vouch mdoc verify`: claims only if every check passed.
pub fn verify_report(bytes: &[u8], opts: &MdocVerifyOptions<'_>) -> VerificationReport {
    let mut log = CheckLog::default();
    let result = verify_response(bytes, opts, &mut log);
    let doc_type = DeviceResponse::from_cbor(bytes)
        .ok()
        .and_then(|r| r.documents.first().map(|d| d.doc_type.clone()));
    let (error, issuer, claims) = match &result {
        Ok(docs) => {
            let mut claims = Map::new();
            for d in docs {
                if let Json::Object(m) = d.claims_json() {
                    claims.extend(m);
                }
            }
            (
                None,
                docs.first().map(|d| d.chain[0].subject()),
                Some(Json::Object(claims)),
            )
        }
        Err(e) => (
            Some(ReportError {
                code: e.code().into(),
                message: e.to_string(),
            }),
            None,
            None,
        ),
    };
    let mut report = VerificationReport::new(FORMAT, log, error, issuer, claims);
    report
        .extra
        .insert("doctype".into(), doc_type.map_or(Json::Null, Json::String));
    report
}
