//! Issuing an mdoc (18013-5 clause 9.1.2): IssuerSignedItems with random digest IDs and
//! salts, the MobileSecurityObject, and issuerAuth signed by the Document Signer key.

use std::collections::{BTreeMap, BTreeSet};

use ciborium::Value;
use coset::{AsCborValue, CborSerializable, CoseSign1Builder, HeaderBuilder};

use super::device_auth::cose_alg;
use super::model::{format_rfc3339, map_header};
use super::{
    DigestAlgorithm, IssuerSigned, IssuerSignedItem, IssuerSignedItemBytes, KeyAuthorizations,
    MdocError, RawSign1, ValidityInfo, X5CHAIN,
};
use crate::cbor;
use crate::keys::{cose_key, provider, PublicKey, Signer};
use crate::x509::Certificate;

/// What to put into one mdoc.
pub struct IssueRequest<'a> {
    /// The document type (`org.iso.18013.5.1.mDL`, `eu.europa.ec.eudi.pid.1`, ...).
    pub doc_type: &'a str,
    /// Elements by namespace.
    pub name_spaces: &'a super::NameSpaces,
    /// The holder's device key (deviceKeyInfo.deviceKey).
    pub device_key: &'a PublicKey,
    /// What the device key may sign itself.
    pub key_authorizations: Option<&'a KeyAuthorizations>,
    /// validityInfo.
    pub validity: ValidityInfo,
    /// Decoy digests to add per namespace (hides how many elements there are).
    pub decoys: usize,
    /// The second edition's MSO `status` (e.g. a Token Status List reference).
    pub status: Option<Value>,
}

/// Issues mdocs with one Document Signer key and its certificate chain.
pub struct MdocIssuer<'a> {
    signer: &'a dyn Signer,
    chain: Vec<Certificate>,
    digest_algorithm: DigestAlgorithm,
}

/// The salt length: 18013-5 asks for at least 16 bytes; 32 as most issuers use.
const SALT_LEN: usize = 32;

impl<'a> MdocIssuer<'a> {
    /// An issuer signing with `signer`, whose certificate is `chain[0]` (x5chain, DS first).
    pub fn new(signer: &'a dyn Signer, chain: Vec<Certificate>) -> Result<Self, MdocError> {
        let first = chain
            .first()
            .ok_or_else(|| MdocError::Usage("a Document Signer certificate is needed".into()))?;
        if first.public_key().ok().as_ref() != Some(signer.public_key()) {
            return Err(MdocError::Usage(
                "the Document Signer certificate is not for the signing key".into(),
            ));
        }
        Ok(MdocIssuer {
            signer,
            chain,
            digest_algorithm: DigestAlgorithm::Sha256,
        })
    }

    /// Sets the digest algorithm (SHA-256 by default).
    pub fn digest_algorithm(mut self, alg: DigestAlgorithm) -> Self {
        self.digest_algorithm = alg;
        self
    }

    /// Issues one mdoc: IssuerSigned with every element and issuerAuth.
    pub fn issue(&self, req: &IssueRequest<'_>) -> Result<IssuerSigned, MdocError> {
        let mut name_spaces = Vec::new();
        let mut value_digests = Vec::new();
        for (ns, elements) in req.name_spaces {
            let mut used = BTreeSet::new();
            let mut items = Vec::new();
            let mut digests = BTreeMap::new();
            for (name, value) in elements {
                if items
                    .iter()
                    .any(|i: &IssuerSignedItemBytes| &i.item.element_identifier == name)
                {
                    return Err(MdocError::Usage(format!("{ns}/{name} is given twice")));
                }
                let digest_id = fresh_id(&mut used);
                let item = IssuerSignedItem {
                    digest_id,
                    random: provider::random_bytes::<SALT_LEN>().to_vec(),
                    element_identifier: name.clone(),
                    element_value: value.clone(),
                };
                let inner = cbor::encode(&Value::Map(vec![
                    (
                        Value::Text("digestID".into()),
                        Value::Integer(digest_id.into()),
                    ),
                    (
                        Value::Text("random".into()),
                        Value::Bytes(item.random.clone()),
                    ),
                    (
                        Value::Text("elementIdentifier".into()),
                        Value::Text(name.clone()),
                    ),
                    (Value::Text("elementValue".into()), value.clone()),
                ]));
                let raw = cbor::tag24_bytes(&inner);
                digests.insert(digest_id, self.digest_algorithm.digest(&raw));
                items.push(IssuerSignedItemBytes { raw, item });
            }
            for _ in 0..req.decoys {
                let id = fresh_id(&mut used);
                digests.insert(
                    id,
                    self.digest_algorithm
                        .digest(&provider::random_bytes::<64>()),
                );
            }
            // Items are sent in random order too, so their position says nothing.
            items.sort_by_key(|i| i.item.digest_id);
            value_digests.push((
                Value::Text(ns.clone()),
                Value::Map(
                    digests
                        .into_iter()
                        .map(|(k, v)| (Value::Integer(k.into()), Value::Bytes(v)))
                        .collect(),
                ),
            ));
            name_spaces.push((ns.clone(), items));
        }
        let mut device_key_info = vec![(
            Value::Text("deviceKey".into()),
            cose_key::to_cose_key(req.device_key)
                .to_cbor_value()
                .map_err(|_| MdocError::Usage("device key".into()))?,
        )];
        if let Some(ka) = req.key_authorizations {
            let mut m = Vec::new();
            if !ka.name_spaces.is_empty() {
                m.push((
                    Value::Text("nameSpaces".into()),
                    Value::Array(
                        ka.name_spaces
                            .iter()
                            .map(|n| Value::Text(n.clone()))
                            .collect(),
                    ),
                ));
            }
            if !ka.data_elements.is_empty() {
                m.push((
                    Value::Text("dataElements".into()),
                    Value::Map(
                        ka.data_elements
                            .iter()
                            .map(|(ns, e)| {
                                (
                                    Value::Text(ns.clone()),
                                    Value::Array(
                                        e.iter().map(|x| Value::Text(x.clone())).collect(),
                                    ),
                                )
                            })
                            .collect(),
                    ),
                ));
            }
            device_key_info.push((Value::Text("keyAuthorizations".into()), Value::Map(m)));
        }
        let tdate = |t: i64| Value::Tag(0, Box::new(Value::Text(format_rfc3339(t))));
        let mut validity = vec![
            (Value::Text("signed".into()), tdate(req.validity.signed)),
            (
                Value::Text("validFrom".into()),
                tdate(req.validity.valid_from),
            ),
            (
                Value::Text("validUntil".into()),
                tdate(req.validity.valid_until),
            ),
        ];
        if let Some(u) = req.validity.expected_update {
            validity.push((Value::Text("expectedUpdate".into()), tdate(u)));
        }
        let mut mso = vec![
            (Value::Text("version".into()), Value::Text("1.0".into())),
            (
                Value::Text("digestAlgorithm".into()),
                Value::Text(self.digest_algorithm.name().into()),
            ),
            (
                Value::Text("valueDigests".into()),
                Value::Map(value_digests),
            ),
            (
                Value::Text("deviceKeyInfo".into()),
                Value::Map(device_key_info),
            ),
            (
                Value::Text("docType".into()),
                Value::Text(req.doc_type.into()),
            ),
            (Value::Text("validityInfo".into()), Value::Map(validity)),
        ];
        if let Some(status) = &req.status {
            mso.push((Value::Text("status".into()), status.clone()));
        }
        let payload = cbor::tag24_bytes(&cbor::encode(&Value::Map(mso)));
        let x5chain = match self.chain.as_slice() {
            [one] => Value::Bytes(one.der().to_vec()),
            many => Value::Array(
                many.iter()
                    .map(|c| Value::Bytes(c.der().to_vec()))
                    .collect(),
            ),
        };
        let mut sign1 = CoseSign1Builder::new()
            .protected(
                HeaderBuilder::new()
                    .algorithm(cose_alg(self.signer.algorithm()))
                    .build(),
            )
            .unprotected(HeaderBuilder::new().value(X5CHAIN, x5chain).build())
            .payload(payload)
            .build();
        let tbs = sign1.tbs_data(&[]);
        sign1.signature = self
            .signer
            .sign(&tbs)
            .map_err(|e| MdocError::Usage(format!("signing failed: {e}")))?;
        let raw = sign1
            .clone()
            .to_vec()
            .map_err(|_| MdocError::Usage("COSE_Sign1 encoding failed".into()))?;
        Ok(IssuerSigned {
            name_spaces,
            issuer_auth: RawSign1 { raw, sign1 },
        })
    }
}

/// A digest ID not used yet in this namespace, drawn at random (below 2^31, which every
/// implementation we interoperate with accepts).
fn fresh_id(used: &mut BTreeSet<u64>) -> u64 {
    loop {
        let r = u32::from_be_bytes(provider::random_bytes::<4>()) >> 1;
        if used.insert(u64::from(r)) {
            return u64::from(r);
        }
    }
}

/// The encoding of an `IssuerSigned` whose items keep their bytes (used by presentation).
pub(crate) fn encode_issuer_signed(
    name_spaces: &[(String, Vec<&IssuerSignedItemBytes>)],
    issuer_auth: &[u8],
) -> Vec<u8> {
    let mut out = map_header(if name_spaces.is_empty() { 1 } else { 2 });
    if !name_spaces.is_empty() {
        out.extend(cbor::text("nameSpaces"));
        out.extend(map_header(name_spaces.len()));
        for (ns, items) in name_spaces {
            out.extend(cbor::text(ns));
            out.extend(cbor::array_header(items.len()));
            for i in items {
                out.extend_from_slice(&i.raw);
            }
        }
    }
    out.extend(cbor::text("issuerAuth"));
    out.extend_from_slice(issuer_auth);
    out
}
