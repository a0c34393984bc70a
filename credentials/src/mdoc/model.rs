//! The ISO/IEC 18013-5 data model (clause 8.3.2.1.2), parsed strictly from CBOR.
//!
//! Types mirror the CDDL names. Every tag-24 value keeps the exact bytes received
//! (`raw`): digests and device authentication are computed over those, never over a
//! re-encoding.

use std::collections::BTreeMap;

use ciborium::Value;
use coset::{CoseMac0, CoseSign1};

use super::MdocError;
use crate::cbor::{self, Kind, Node};
use crate::keys::{cose_key, PublicKey};

fn structure(what: impl Into<String>) -> MdocError {
    MdocError::Structure(what.into())
}

fn text<'a>(node: &Node<'a>, what: &str) -> Result<&'a str, MdocError> {
    node.as_text()
        .ok_or_else(|| structure(format!("{what}: expected a text string")))
}

fn field<'n, 'a>(map: &'n Node<'a>, key: &str, what: &str) -> Result<&'n Node<'a>, MdocError> {
    if map.as_map().is_none() {
        return Err(structure(format!("{what}: expected a map")));
    }
    map.get(key)
        .ok_or_else(|| structure(format!("{what}: missing \"{key}\"")))
}

/// Element values by namespace, in order: what an issuer puts into an mdoc.
pub type NameSpaces = Vec<(String, Vec<(String, Value)>)>;

/// A COSE_Sign1 with its exact bytes (tagged 18 or untagged).
#[derive(Clone, Debug)]
pub struct RawSign1 {
    /// The bytes received.
    pub raw: Vec<u8>,
    /// The parsed structure (its protected header keeps its original bytes).
    pub sign1: CoseSign1,
}

impl RawSign1 {
    pub(crate) fn parse(node: &Node<'_>, what: &str) -> Result<Self, MdocError> {
        let sign1 = super::cose::sign1(node, what)?;
        Ok(RawSign1 {
            raw: node.raw.to_vec(),
            sign1,
        })
    }
}

/// One IssuerSignedItem.
#[derive(Clone, Debug, PartialEq)]
pub struct IssuerSignedItem {
    /// `digestID`.
    pub digest_id: u64,
    /// `random` (the salt).
    pub random: Vec<u8>,
    /// `elementIdentifier`.
    pub element_identifier: String,
    /// `elementValue`.
    pub element_value: Value,
}

/// `IssuerSignedItemBytes = #6.24(bstr .cbor IssuerSignedItem)`, with the bytes received.
#[derive(Clone, Debug, PartialEq)]
pub struct IssuerSignedItemBytes {
    /// The full tag-24 encoding, as received: the digest input.
    pub raw: Vec<u8>,
    /// The decoded item.
    pub item: IssuerSignedItem,
}

impl IssuerSignedItemBytes {
    fn parse(node: &Node<'_>) -> Result<Self, MdocError> {
        let inner = node
            .tag24()
            .map_err(|e| MdocError::Cbor(format!("IssuerSignedItemBytes: {e}")))?;
        let what = "IssuerSignedItem";
        let digest_id = field(&inner, "digestID", what)?
            .as_uint()
            .ok_or_else(|| structure("IssuerSignedItem: digestID is not an unsigned integer"))?;
        let random = field(&inner, "random", what)?
            .as_bytes()
            .ok_or_else(|| structure("IssuerSignedItem: random is not a byte string"))?
            .to_vec();
        let element_identifier = text(field(&inner, "elementIdentifier", what)?, what)?.to_string();
        let element_value = field(&inner, "elementValue", what)?.to_value();
        Ok(IssuerSignedItemBytes {
            raw: node.raw.to_vec(),
            item: IssuerSignedItem {
                digest_id,
                random,
                element_identifier,
                element_value,
            },
        })
    }
}

/// IssuerSigned: the issuer-signed elements by namespace and `issuerAuth`.
#[derive(Clone, Debug)]
pub struct IssuerSigned {
    /// `nameSpaces`, in the order received.
    pub name_spaces: Vec<(String, Vec<IssuerSignedItemBytes>)>,
    /// `issuerAuth`.
    pub issuer_auth: RawSign1,
}

impl IssuerSigned {
    /// Parses IssuerSigned from its CBOR bytes (as `vouch mdoc issue` writes it).
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, MdocError> {
        Self::parse(&cbor::decode(bytes)?)
    }

    pub(crate) fn parse(node: &Node<'_>) -> Result<Self, MdocError> {
        let what = "IssuerSigned";
        let mut name_spaces = Vec::new();
        if let Some(ns) = node.get("nameSpaces") {
            let entries = ns
                .as_map()
                .ok_or_else(|| structure("IssuerSigned: nameSpaces is not a map"))?;
            for (k, v) in entries {
                let name = text(k, "a namespace")?.to_string();
                let items = v
                    .as_array()
                    .ok_or_else(|| {
                        structure(format!("IssuerSigned: namespace {name} is not an array"))
                    })?
                    .iter()
                    .map(IssuerSignedItemBytes::parse)
                    .collect::<Result<Vec<_>, _>>()?;
                name_spaces.push((name, items));
            }
        } else if node.as_map().is_none() {
            return Err(structure("IssuerSigned: expected a map"));
        }
        let issuer_auth = RawSign1::parse(field(node, "issuerAuth", what)?, "issuerAuth")?;
        Ok(IssuerSigned {
            name_spaces,
            issuer_auth,
        })
    }

    /// The issuer's certificate chain in issuerAuth's x5chain, leaf first, as received
    /// (not validated: [`crate::mdoc::verify_issuer_signed`] does that).
    pub fn issuer_chain(&self) -> Result<Vec<crate::x509::Certificate>, MdocError> {
        super::verify::x5chain(&self.issuer_auth.sign1)
    }

    /// Encodes IssuerSigned, keeping every item's and issuerAuth's bytes.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = vec![0xa2];
        out.extend(cbor::text("nameSpaces"));
        out.extend(map_header(self.name_spaces.len()));
        for (ns, items) in &self.name_spaces {
            out.extend(cbor::text(ns));
            out.extend(cbor::array_header(items.len()));
            for i in items {
                out.extend_from_slice(&i.raw);
            }
        }
        out.extend(cbor::text("issuerAuth"));
        out.extend_from_slice(&self.issuer_auth.raw);
        out
    }
}

pub(crate) fn map_header(n: usize) -> Vec<u8> {
    let mut h = cbor::array_header(n);
    h[0] |= 0x20; // major type 5 instead of 4
    h
}

/// The digest algorithm of an MSO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestAlgorithm {
    /// "SHA-256".
    Sha256,
    /// "SHA-384".
    Sha384,
    /// "SHA-512".
    Sha512,
}

impl DigestAlgorithm {
    /// The MSO name.
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha384 => "SHA-384",
            DigestAlgorithm::Sha512 => "SHA-512",
        }
    }

    /// Hashes `data` with the default crypto provider.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        self.digest_with(crate::keys::provider::default(), data)
    }

    /// Hashes `data` with `provider`.
    pub fn digest_with(
        self,
        provider: &dyn crate::keys::provider::CryptoProvider,
        data: &[u8],
    ) -> Vec<u8> {
        provider.hash(self.hash_alg(), data)
    }

    /// The hash function.
    pub fn hash_alg(self) -> crate::keys::HashAlg {
        match self {
            DigestAlgorithm::Sha256 => crate::keys::HashAlg::Sha256,
            DigestAlgorithm::Sha384 => crate::keys::HashAlg::Sha384,
            DigestAlgorithm::Sha512 => crate::keys::HashAlg::Sha512,
        }
    }
}

/// validityInfo, as seconds since the epoch and as the tdate strings received.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidityInfo {
    /// `signed`.
    pub signed: i64,
    /// `validFrom`.
    pub valid_from: i64,
    /// `validUntil`.
    pub valid_until: i64,
    /// `expectedUpdate`.
    pub expected_update: Option<i64>,
}

/// keyAuthorizations: what the device key may sign in DeviceSigned.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyAuthorizations {
    /// Whole namespaces.
    pub name_spaces: Vec<String>,
    /// Single elements by namespace.
    pub data_elements: BTreeMap<String, Vec<String>>,
}

impl KeyAuthorizations {
    /// Whether the device key may sign `namespace/element`.
    pub fn allows(&self, namespace: &str, element: &str) -> bool {
        self.name_spaces.iter().any(|n| n == namespace)
            || self
                .data_elements
                .get(namespace)
                .is_some_and(|e| e.iter().any(|x| x == element))
    }
}

/// The MobileSecurityObject (18013-5 clause 9.1.2.4), with the second edition's `status`.
#[derive(Clone, Debug)]
pub struct MobileSecurityObject {
    /// `version`.
    pub version: String,
    /// `digestAlgorithm`.
    pub digest_algorithm: DigestAlgorithm,
    /// `valueDigests`: namespace -> digestID -> digest.
    pub value_digests: BTreeMap<String, BTreeMap<u64, Vec<u8>>>,
    /// `deviceKeyInfo.deviceKey`.
    pub device_key: PublicKey,
    /// `deviceKeyInfo.keyAuthorizations`.
    pub key_authorizations: KeyAuthorizations,
    /// `docType`.
    pub doc_type: String,
    /// `validityInfo`.
    pub validity: ValidityInfo,
    /// `status` (second edition: status_list / identifier_list), as received.
    pub status: Option<Value>,
}

impl MobileSecurityObject {
    /// Parses the MSO from the COSE payload, MobileSecurityObjectBytes (`#6.24(bstr .cbor MSO)`).
    pub fn from_payload(payload: &[u8]) -> Result<Self, MdocError> {
        let bad = |m: &str| MdocError::MalformedMso(m.to_string());
        let outer =
            cbor::decode(payload).map_err(|e| MdocError::Cbor(format!("MSO payload: {e}")))?;
        let mso = outer
            .tag24()
            .map_err(|e| MdocError::Cbor(format!("MobileSecurityObjectBytes: {e}")))?;
        if mso.as_map().is_none() {
            return Err(bad("not a map"));
        }
        let get = |k: &str| mso.get(k).ok_or_else(|| bad(&format!("missing {k}")));
        let version = get("version")?
            .as_text()
            .ok_or_else(|| bad("version is not text"))?
            .to_string();
        let alg_name = get("digestAlgorithm")?
            .as_text()
            .ok_or_else(|| bad("digestAlgorithm is not text"))?;
        let digest_algorithm = match alg_name {
            "SHA-256" => DigestAlgorithm::Sha256,
            "SHA-384" => DigestAlgorithm::Sha384,
            "SHA-512" => DigestAlgorithm::Sha512,
            other => return Err(MdocError::UnsupportedDigestAlgorithm(other.to_string())),
        };
        let mut value_digests = BTreeMap::new();
        for (ns, digests) in get("valueDigests")?
            .as_map()
            .ok_or_else(|| bad("valueDigests is not a map"))?
        {
            let ns = ns
                .as_text()
                .ok_or_else(|| bad("a valueDigests namespace is not text"))?;
            let mut by_id = BTreeMap::new();
            for (id, d) in digests
                .as_map()
                .ok_or_else(|| bad("DigestIDs is not a map"))?
            {
                let id = id
                    .as_uint()
                    .ok_or_else(|| bad("a digestID is not an unsigned integer"))?;
                let d = d
                    .as_bytes()
                    .ok_or_else(|| bad("a digest is not a byte string"))?;
                by_id.insert(id, d.to_vec());
            }
            value_digests.insert(ns.to_string(), by_id);
        }
        let dki = get("deviceKeyInfo")?;
        let key_node = dki
            .get("deviceKey")
            .ok_or_else(|| bad("deviceKeyInfo has no deviceKey"))?;
        let device_key =
            cose_key::from_cbor_node(key_node).map_err(|e| bad(&format!("deviceKey: {e}")))?;
        let mut key_authorizations = KeyAuthorizations::default();
        if let Some(ka) = dki.get("keyAuthorizations") {
            if let Some(ns) = ka.get("nameSpaces") {
                for n in ns
                    .as_array()
                    .ok_or_else(|| bad("keyAuthorizations.nameSpaces is not an array"))?
                {
                    key_authorizations
                        .name_spaces
                        .push(n.as_text().ok_or_else(|| bad("bad namespace"))?.to_string());
                }
            }
            if let Some(de) = ka.get("dataElements") {
                for (ns, elems) in de
                    .as_map()
                    .ok_or_else(|| bad("keyAuthorizations.dataElements is not a map"))?
                {
                    let ns = ns
                        .as_text()
                        .ok_or_else(|| bad("bad namespace"))?
                        .to_string();
                    let list = elems
                        .as_array()
                        .ok_or_else(|| bad("bad dataElements"))?
                        .iter()
                        .map(|e| {
                            e.as_text()
                                .map(str::to_string)
                                .ok_or_else(|| bad("bad data element"))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    key_authorizations.data_elements.insert(ns, list);
                }
            }
        }
        let doc_type = get("docType")?
            .as_text()
            .ok_or_else(|| bad("docType is not text"))?
            .to_string();
        let vi = get("validityInfo")?;
        let tdate = |k: &str| -> Result<Option<i64>, MdocError> {
            match vi.get(k) {
                None => Ok(None),
                Some(n) => parse_tdate(n)
                    .map(Some)
                    .ok_or_else(|| bad(&format!("validityInfo.{k} is not a tdate"))),
            }
        };
        let req = |k: &str| tdate(k)?.ok_or_else(|| bad(&format!("validityInfo has no {k}")));
        let validity = ValidityInfo {
            signed: req("signed")?,
            valid_from: req("validFrom")?,
            valid_until: req("validUntil")?,
            expected_update: tdate("expectedUpdate")?,
        };
        if validity.valid_until < validity.valid_from {
            return Err(bad("validUntil is before validFrom"));
        }
        let status = mso.get("status").map(Node::to_value);
        Ok(MobileSecurityObject {
            version,
            digest_algorithm,
            value_digests,
            device_key,
            key_authorizations,
            doc_type,
            validity,
            status,
        })
    }
}

/// A tdate: `#6.0(tstr)` in RFC 3339 (fractional seconds tolerated).
pub fn parse_tdate(node: &Node<'_>) -> Option<i64> {
    match &node.kind {
        Kind::Tag(0, inner) => inner.as_text().and_then(parse_rfc3339),
        _ => None,
    }
}

/// Parses an RFC 3339 date-time to seconds since the epoch.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// Formats seconds since the epoch as RFC 3339 without fractional seconds (the tdate form).
pub fn format_rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}

/// DeviceAuth: a DeviceSignature (COSE_Sign1) or a DeviceMac (COSE_Mac0).
#[derive(Clone, Debug)]
pub enum DeviceAuth {
    /// `deviceSignature`.
    Signature(CoseSign1),
    /// `deviceMac`.
    Mac(CoseMac0),
}

/// DeviceSigned: device-signed elements and the device authentication.
#[derive(Clone, Debug)]
pub struct DeviceSigned {
    /// DeviceNameSpacesBytes, the full tag-24 encoding as received.
    pub name_spaces_raw: Vec<u8>,
    /// The device-signed elements by namespace.
    pub name_spaces: Vec<(String, Vec<(String, Value)>)>,
    /// `deviceAuth`.
    pub device_auth: Option<DeviceAuth>,
}

impl DeviceSigned {
    fn parse(node: &Node<'_>) -> Result<Self, MdocError> {
        let what = "DeviceSigned";
        let ns_node = field(node, "nameSpaces", what)?;
        let ns = ns_node
            .tag24()
            .map_err(|e| MdocError::Cbor(format!("DeviceNameSpacesBytes: {e}")))?;
        let mut name_spaces = Vec::new();
        for (k, v) in ns
            .as_map()
            .ok_or_else(|| structure("DeviceNameSpaces is not a map"))?
        {
            let name = text(k, "a device namespace")?.to_string();
            let mut elements = Vec::new();
            for (e, val) in v
                .as_map()
                .ok_or_else(|| structure("DeviceSignedItems is not a map"))?
            {
                elements.push((text(e, "a device element")?.to_string(), val.to_value()));
            }
            name_spaces.push((name, elements));
        }
        let auth = field(node, "deviceAuth", what)?;
        if auth.as_map().is_none() {
            return Err(structure("deviceAuth is not a map"));
        }
        let device_auth = if let Some(s) = auth.get("deviceSignature") {
            Some(DeviceAuth::Signature(
                RawSign1::parse(s, "deviceSignature")?.sign1,
            ))
        } else if let Some(m) = auth.get("deviceMac") {
            let mac = super::cose::mac0(m, "deviceMac")?;
            Some(DeviceAuth::Mac(mac))
        } else {
            None
        };
        Ok(DeviceSigned {
            name_spaces_raw: ns_node.raw.to_vec(),
            name_spaces,
            device_auth,
        })
    }
}

/// One Document of a DeviceResponse.
#[derive(Clone, Debug)]
pub struct Document {
    /// `docType`.
    pub doc_type: String,
    /// `issuerSigned`.
    pub issuer_signed: IssuerSigned,
    /// `deviceSigned`.
    pub device_signed: Option<DeviceSigned>,
}

/// The DeviceResponse.
#[derive(Clone, Debug)]
pub struct DeviceResponse {
    /// `version`.
    pub version: String,
    /// `documents`.
    pub documents: Vec<Document>,
    /// `documentErrors`: docType -> error code.
    pub document_errors: Vec<(String, i64)>,
    /// `status`.
    pub status: u64,
}

/// Responses larger than this are refused before parsing.
pub const MAX_RESPONSE_LEN: usize = 4 << 20;

impl DeviceResponse {
    /// Parses a DeviceResponse strictly.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, MdocError> {
        if bytes.len() > MAX_RESPONSE_LEN {
            return Err(structure("DeviceResponse larger than the accepted maximum"));
        }
        let node = cbor::decode(bytes)?;
        let what = "DeviceResponse";
        let version = text(field(&node, "version", what)?, "version")?.to_string();
        let status = field(&node, "status", what)?
            .as_uint()
            .ok_or_else(|| structure("DeviceResponse: status is not an unsigned integer"))?;
        let mut documents = Vec::new();
        if let Some(docs) = node.get("documents") {
            for d in docs
                .as_array()
                .ok_or_else(|| structure("DeviceResponse: documents is not an array"))?
            {
                let doc_type = text(field(d, "docType", "Document")?, "docType")?.to_string();
                let issuer_signed = IssuerSigned::parse(field(d, "issuerSigned", "Document")?)?;
                let device_signed = d.get("deviceSigned").map(DeviceSigned::parse).transpose()?;
                documents.push(Document {
                    doc_type,
                    issuer_signed,
                    device_signed,
                });
            }
        }
        let mut document_errors = Vec::new();
        if let Some(errs) = node.get("documentErrors") {
            for e in errs
                .as_array()
                .ok_or_else(|| structure("documentErrors is not an array"))?
            {
                for (k, v) in e
                    .as_map()
                    .ok_or_else(|| structure("a DocumentError is not a map"))?
                {
                    let code = v
                        .as_int()
                        .ok_or_else(|| structure("a DocumentError code is not an integer"))?;
                    document_errors.push((text(k, "docType")?.to_string(), code));
                }
            }
        }
        Ok(DeviceResponse {
            version,
            documents,
            document_errors,
            status,
        })
    }
}

/// ItemsRequest: what a reader asks for in one document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ItemsRequest {
    /// `docType`.
    pub doc_type: String,
    /// `nameSpaces`: namespace -> element -> intentToRetain.
    pub name_spaces: BTreeMap<String, BTreeMap<String, bool>>,
}

impl ItemsRequest {
    pub(crate) fn parse(node: &Node<'_>) -> Result<Self, MdocError> {
        let what = "ItemsRequest";
        let doc_type = text(field(node, "docType", what)?, "docType")?.to_string();
        let mut name_spaces = BTreeMap::new();
        for (ns, elems) in field(node, "nameSpaces", what)?
            .as_map()
            .ok_or_else(|| structure("ItemsRequest nameSpaces is not a map"))?
        {
            let mut m = BTreeMap::new();
            for (e, retain) in elems
                .as_map()
                .ok_or_else(|| structure("DataElements is not a map"))?
            {
                let retain = match retain.kind {
                    Kind::Bool(b) => b,
                    _ => return Err(structure("intentToRetain is not a boolean")),
                };
                m.insert(text(e, "element")?.to_string(), retain);
            }
            name_spaces.insert(text(ns, "namespace")?.to_string(), m);
        }
        Ok(ItemsRequest {
            doc_type,
            name_spaces,
        })
    }

    /// Encodes ItemsRequest (preferred serialization).
    pub fn to_cbor(&self) -> Vec<u8> {
        let ns = self
            .name_spaces
            .iter()
            .map(|(ns, e)| {
                (
                    Value::Text(ns.clone()),
                    Value::Map(
                        e.iter()
                            .map(|(k, v)| (Value::Text(k.clone()), Value::Bool(*v)))
                            .collect(),
                    ),
                )
            })
            .collect();
        cbor::encode(&Value::Map(vec![
            (
                Value::Text("docType".into()),
                Value::Text(self.doc_type.clone()),
            ),
            (Value::Text("nameSpaces".into()), Value::Map(ns)),
        ]))
    }
}

/// One DocRequest: ItemsRequestBytes as received and the optional readerAuth.
#[derive(Clone, Debug)]
pub struct DocRequest {
    /// ItemsRequestBytes, the full tag-24 encoding as received.
    pub items_request_raw: Vec<u8>,
    /// The decoded ItemsRequest.
    pub items_request: ItemsRequest,
    /// `readerAuth`.
    pub reader_auth: Option<RawSign1>,
}

/// The DeviceRequest.
#[derive(Clone, Debug)]
pub struct DeviceRequest {
    /// `version`.
    pub version: String,
    /// `docRequests`.
    pub doc_requests: Vec<DocRequest>,
}

impl DeviceRequest {
    /// Parses a DeviceRequest strictly.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, MdocError> {
        let node = cbor::decode(bytes)?;
        let what = "DeviceRequest";
        let version = text(field(&node, "version", what)?, "version")?.to_string();
        let mut doc_requests = Vec::new();
        for r in field(&node, "docRequests", what)?
            .as_array()
            .ok_or_else(|| structure("docRequests is not an array"))?
        {
            let ir = field(r, "itemsRequest", "DocRequest")?;
            let items_request = ItemsRequest::parse(
                &ir.tag24()
                    .map_err(|e| MdocError::Cbor(format!("ItemsRequestBytes: {e}")))?,
            )?;
            let reader_auth = r
                .get("readerAuth")
                .map(|n| RawSign1::parse(n, "readerAuth"))
                .transpose()?;
            doc_requests.push(DocRequest {
                items_request_raw: ir.raw.to_vec(),
                items_request,
                reader_auth,
            });
        }
        Ok(DeviceRequest {
            version,
            doc_requests,
        })
    }

    /// Encodes a DeviceRequest from its parts (ItemsRequestBytes and readerAuth spliced as given).
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = vec![0xa2];
        out.extend(cbor::text("version"));
        out.extend(cbor::text(&self.version));
        out.extend(cbor::text("docRequests"));
        out.extend(cbor::array_header(self.doc_requests.len()));
        for r in &self.doc_requests {
            out.extend(map_header(if r.reader_auth.is_some() { 2 } else { 1 }));
            out.extend(cbor::text("itemsRequest"));
            out.extend_from_slice(&r.items_request_raw);
            if let Some(ra) = &r.reader_auth {
                out.extend(cbor::text("readerAuth"));
                out.extend_from_slice(&ra.raw);
            }
        }
        out
    }
}
