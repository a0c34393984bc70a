//! IETF Token Status List (draft-ietf-oauth-status-list-21): the list, its encodings and
//! the signed Status List Token in JWT and CWT form.
//!
//! The list packs `bits` (1, 2, 4 or 8) per entry, least significant bits first: entry 0
//! is the low `bits` of byte 0. It travels ZLIB-compressed (RFC 1950, not GZIP), as
//! base64url text in JSON (`lst`) and as a byte string in CBOR. Status values: 0 VALID,
//! 1 INVALID, 2 SUSPENDED; 3 and 0xB..=0xF are application-specific.

use std::io::{Read, Write};

use ciborium::Value as Cbor;
use coset::{
    iana, CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable,
};
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use serde_json::{json, Map, Value};

use crate::b64;
use crate::jose::{sign_compact, CompactJws, JoseError, JwsPolicy};
use crate::keys::{Algorithm, KeyError, PublicKey, Signer};

/// The token is valid.
pub const VALID: u8 = 0;
/// The token is revoked, for good.
pub const INVALID: u8 = 1;
/// The token is temporarily invalid.
pub const SUSPENDED: u8 = 2;

/// Header `typ` of a Status List Token in JWT form.
pub const JWT_TYP: &str = "statuslist+jwt";
/// Protected header `typ` (label 16) of a Status List Token in CWT form.
pub const CWT_TYP: &str = "application/statuslist+cwt";
/// Media type of the JWT form, for HTTP `Content-Type` and `Accept`.
pub const JWT_MEDIA_TYPE: &str = "application/statuslist+jwt";
/// Media type of the CWT form.
pub const CWT_MEDIA_TYPE: &str = "application/statuslist+cwt";

/// CWT claim keys (RFC 8392 and the draft's registrations).
const CWT_SUB: i64 = 2;
const CWT_EXP: i64 = 4;
const CWT_IAT: i64 = 6;
const CWT_STATUS_LIST: i64 = 65533;
const CWT_TTL: i64 = 65534;
/// COSE header label `typ` (RFC 9596).
const COSE_TYP: i64 = 16;
/// COSE header label `x5chain` (RFC 9360).
const COSE_X5CHAIN: i64 = 33;

/// The largest list this module inflates (64 MiB: 2^29 one-bit entries); a bigger
/// decompressed size is refused so a small token cannot exhaust memory.
pub const MAX_LIST_BYTES: usize = 64 * 1024 * 1024;

/// Why a status list or token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    /// `bits` is not 1, 2, 4 or 8.
    #[error("bits must be 1, 2, 4 or 8, not {0}")]
    InvalidBits(u64),
    /// The index lies beyond the list.
    #[error("index {idx} is outside the list of {len} entries")]
    IndexOutOfRange {
        /// The index asked for.
        idx: u64,
        /// The number of entries.
        len: u64,
    },
    /// The status value does not fit in `bits`.
    #[error("status {value} does not fit in {bits} bit(s)")]
    ValueTooLarge {
        /// The value.
        value: u8,
        /// Bits per entry.
        bits: u8,
    },
    /// The structure is not a status list or token.
    #[error("malformed status list: {0}")]
    Malformed(&'static str),
    /// `lst` is not a valid ZLIB stream.
    #[error("lst is not a valid ZLIB stream")]
    Compression,
    /// The decompressed list is larger than [`MAX_LIST_BYTES`].
    #[error("the decompressed list is larger than {MAX_LIST_BYTES} bytes")]
    TooLarge,
    /// The token's `typ` is not the Status List Token type.
    #[error("typ must be {expected}, found {found:?}")]
    Typ {
        /// What was required.
        expected: &'static str,
        /// What was found.
        found: Option<String>,
    },
    /// The signature or its header does not verify.
    #[error("the status list token does not verify: {0}")]
    Signature(String),
    /// `sub` is not the URI the list was fetched from.
    #[error("sub {found:?} is not the status list URI {expected}")]
    SubjectMismatch {
        /// The URI of the reference.
        expected: String,
        /// `sub` of the token.
        found: String,
    },
    /// `exp` has passed.
    #[error("the status list token expired at {0}")]
    Expired(i64),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(KeyError),
}

impl StatusListError {
    /// A stable, machine-readable code for reports.
    pub fn code(&self) -> &'static str {
        match self {
            StatusListError::InvalidBits(_) => "status_list_bits_invalid",
            StatusListError::IndexOutOfRange { .. } => "status_index_out_of_range",
            StatusListError::ValueTooLarge { .. } => "status_value_too_large",
            StatusListError::Malformed(_) => "status_list_malformed",
            StatusListError::Compression => "status_list_compression",
            StatusListError::TooLarge => "status_list_too_large",
            StatusListError::Typ { .. } => "status_list_typ_invalid",
            StatusListError::Signature(_) => "status_list_signature_invalid",
            StatusListError::SubjectMismatch { .. } => "status_list_sub_mismatch",
            StatusListError::Expired(_) => "status_list_expired",
            StatusListError::Signing(_) => "signing_failed",
        }
    }
}

fn check_bits(bits: u64) -> Result<u8, StatusListError> {
    match bits {
        1 | 2 | 4 | 8 => Ok(bits as u8),
        other => Err(StatusListError::InvalidBits(other)),
    }
}

/// A bit-packed list of statuses, `bits` per entry, least significant bits first.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: u8,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for StatusList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StatusList(bits={}, len={})", self.bits, self.len())
    }
}

impl StatusList {
    /// A list of at least `len` entries, every one VALID (the byte array is rounded up).
    pub fn new(bits: u8, len: u64) -> Result<Self, StatusListError> {
        let bits = check_bits(u64::from(bits))?;
        let n = (len * u64::from(bits)).div_ceil(8);
        if n > MAX_LIST_BYTES as u64 {
            return Err(StatusListError::TooLarge);
        }
        Ok(StatusList {
            bits,
            bytes: vec![0; n as usize],
        })
    }

    /// A list over an uncompressed byte array.
    pub fn from_bytes(bits: u8, bytes: Vec<u8>) -> Result<Self, StatusListError> {
        let bits = check_bits(u64::from(bits))?;
        if bytes.len() > MAX_LIST_BYTES {
            return Err(StatusListError::TooLarge);
        }
        Ok(StatusList { bits, bytes })
    }

    /// Bits per entry.
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// The number of entries the byte array holds.
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64 * 8 / u64::from(self.bits)
    }

    /// Whether the list holds no entry at all.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The uncompressed byte array.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn position(&self, idx: u64) -> Result<(usize, u32), StatusListError> {
        if idx >= self.len() {
            return Err(StatusListError::IndexOutOfRange {
                idx,
                len: self.len(),
            });
        }
        let per_byte = u64::from(8 / self.bits);
        let byte = (idx / per_byte) as usize;
        let shift = ((idx % per_byte) * u64::from(self.bits)) as u32;
        Ok((byte, shift))
    }

    fn mask(&self) -> u8 {
        if self.bits == 8 {
            0xff
        } else {
            (1u8 << self.bits) - 1
        }
    }

    /// The status at `idx`.
    pub fn get(&self, idx: u64) -> Result<u8, StatusListError> {
        let (byte, shift) = self.position(idx)?;
        Ok((self.bytes[byte] >> shift) & self.mask())
    }

    /// Sets the status at `idx`.
    pub fn set(&mut self, idx: u64, value: u8) -> Result<(), StatusListError> {
        if value & !self.mask() != 0 {
            return Err(StatusListError::ValueTooLarge {
                value,
                bits: self.bits,
            });
        }
        let (byte, shift) = self.position(idx)?;
        let mask = self.mask() << shift;
        self.bytes[byte] = (self.bytes[byte] & !mask) | (value << shift);
        Ok(())
    }

    /// The byte array compressed with ZLIB (DEFLATE in a zlib wrapper), best compression.
    pub fn compress(&self) -> Vec<u8> {
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::best());
        enc.write_all(&self.bytes)
            .expect("writing to a Vec cannot fail");
        enc.finish().expect("writing to a Vec cannot fail")
    }

    /// A list from its ZLIB-compressed byte array, refusing more than [`MAX_LIST_BYTES`].
    pub fn from_compressed(bits: u8, data: &[u8]) -> Result<Self, StatusListError> {
        let bits = check_bits(u64::from(bits))?;
        let mut out = Vec::new();
        ZlibDecoder::new(data)
            .take(MAX_LIST_BYTES as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|_| StatusListError::Compression)?;
        if out.len() > MAX_LIST_BYTES {
            return Err(StatusListError::TooLarge);
        }
        Ok(StatusList { bits, bytes: out })
    }

    /// The JSON form: `{"bits": n, "lst": base64url(zlib(bytes))}`.
    pub fn to_json(&self) -> Value {
        json!({ "bits": self.bits, "lst": b64::encode(self.compress()) })
    }

    /// Parses the JSON form.
    pub fn from_json(value: &Value) -> Result<Self, StatusListError> {
        let bits = value
            .get("bits")
            .and_then(Value::as_u64)
            .ok_or(StatusListError::Malformed("status_list.bits is missing"))?;
        let bits = check_bits(bits)?;
        let lst = value
            .get("lst")
            .and_then(Value::as_str)
            .ok_or(StatusListError::Malformed("status_list.lst is missing"))?;
        let data = b64::decode(lst).ok_or(StatusListError::Malformed("lst is not base64url"))?;
        Self::from_compressed(bits, &data)
    }

    /// The CBOR form: `{"bits": n, "lst": bstr}`.
    pub fn to_cbor(&self) -> Cbor {
        Cbor::Map(vec![
            (Cbor::Text("bits".into()), Cbor::Integer(self.bits.into())),
            (Cbor::Text("lst".into()), Cbor::Bytes(self.compress())),
        ])
    }

    /// Parses the CBOR form.
    pub fn from_cbor(value: &Cbor) -> Result<Self, StatusListError> {
        let map = value
            .as_map()
            .ok_or(StatusListError::Malformed("StatusList is not a map"))?;
        let field = |name: &str| {
            map.iter()
                .find(|(k, _)| k.as_text() == Some(name))
                .map(|(_, v)| v)
        };
        let bits = field("bits")
            .and_then(|b| b.as_integer())
            .and_then(|i| u64::try_from(i).ok())
            .ok_or(StatusListError::Malformed("StatusList.bits is missing"))?;
        let bits = check_bits(bits)?;
        let lst = field("lst")
            .and_then(Cbor::as_bytes)
            .ok_or(StatusListError::Malformed("StatusList.lst is missing"))?;
        Self::from_compressed(bits, lst)
    }
}

/// Where a credential's status lives: `{"status_list": {"idx": n, "uri": "..."}}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusReference {
    /// The index in the list.
    pub idx: u64,
    /// The URI of the Status List Token (its `sub`).
    pub uri: String,
}

impl StatusReference {
    /// The `status` claim of a JWT or SD-JWT VC.
    pub fn to_json(&self) -> Value {
        json!({ "status_list": { "idx": self.idx, "uri": self.uri } })
    }

    /// Reads the `status` claim of a JWT or SD-JWT VC.
    pub fn from_json(status: &Value) -> Result<Self, StatusListError> {
        let list = status
            .get("status_list")
            .ok_or(StatusListError::Malformed("status has no status_list"))?;
        let idx = list
            .get("idx")
            .and_then(Value::as_u64)
            .ok_or(StatusListError::Malformed("status_list.idx is missing"))?;
        let uri = list
            .get("uri")
            .and_then(Value::as_str)
            .ok_or(StatusListError::Malformed("status_list.uri is missing"))?;
        Ok(StatusReference {
            idx,
            uri: uri.to_string(),
        })
    }

    /// The `status` of a CWT or of an mdoc MSO (18013-5 second edition).
    pub fn to_cbor(&self) -> Cbor {
        Cbor::Map(vec![(
            Cbor::Text("status_list".into()),
            Cbor::Map(vec![
                (Cbor::Text("idx".into()), Cbor::Integer(self.idx.into())),
                (Cbor::Text("uri".into()), Cbor::Text(self.uri.clone())),
            ]),
        )])
    }

    /// Reads the CBOR `status` of a CWT or MSO.
    pub fn from_cbor(status: &Cbor) -> Result<Self, StatusListError> {
        let get = |v: &'_ Cbor, name: &str| -> Option<Cbor> {
            v.as_map()?
                .iter()
                .find(|(k, _)| k.as_text() == Some(name))
                .map(|(_, v)| v.clone())
        };
        let list = get(status, "status_list")
            .ok_or(StatusListError::Malformed("status has no status_list"))?;
        let idx = get(&list, "idx")
            .and_then(|i| i.as_integer())
            .and_then(|i| u64::try_from(i).ok())
            .ok_or(StatusListError::Malformed("status_list.idx is missing"))?;
        let uri = get(&list, "uri")
            .and_then(|u| u.as_text().map(str::to_string))
            .ok_or(StatusListError::Malformed("status_list.uri is missing"))?;
        Ok(StatusReference { idx, uri })
    }
}

/// A Status List Token: the list, the URI it is published at, and its lifetime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusListToken {
    /// `sub`: the URI of this token (what credentials carry as `uri`).
    pub sub: String,
    /// `iat`.
    pub iat: i64,
    /// `exp`, after which the token must not be used.
    pub exp: Option<i64>,
    /// `ttl`: seconds a relying party may cache the token before fetching it again.
    pub ttl: Option<u64>,
    /// The list.
    pub list: StatusList,
}

impl StatusListToken {
    /// The status at `idx`.
    pub fn status(&self, idx: u64) -> Result<u8, StatusListError> {
        self.list.get(idx)
    }

    /// The JWT claims set.
    pub fn jwt_claims(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("sub".into(), self.sub.clone().into());
        m.insert("iat".into(), self.iat.into());
        if let Some(exp) = self.exp {
            m.insert("exp".into(), exp.into());
        }
        if let Some(ttl) = self.ttl {
            m.insert("ttl".into(), ttl.into());
        }
        m.insert("status_list".into(), self.list.to_json());
        m
    }

    /// Signs the JWT form: header `typ: statuslist+jwt` and the signer's `kid`.
    pub fn sign_jwt(&self, signer: &dyn Signer) -> Result<String, StatusListError> {
        self.sign_jwt_with_x5c(signer, &[])
    }

    /// As [`Self::sign_jwt`], with the signer's certificate chain (leaf first, without the
    /// trust anchor) in the `x5c` header when `chain` is not empty (HAIP 1.0).
    pub fn sign_jwt_with_x5c(
        &self,
        signer: &dyn Signer,
        chain: &[crate::x509::Certificate],
    ) -> Result<String, StatusListError> {
        let mut header = Map::new();
        header.insert("typ".into(), JWT_TYP.into());
        if let Some(kid) = signer.key_id() {
            header.insert("kid".into(), kid.into());
        }
        if !chain.is_empty() {
            header.insert("x5c".into(), crate::x509::x5c_value(chain));
        }
        let payload =
            serde_json::to_vec(&Value::Object(self.jwt_claims())).expect("a JSON map serializes");
        sign_compact(&header, &payload, signer).map_err(|e| match e {
            JoseError::Signing(k) => StatusListError::Signing(k),
            other => StatusListError::Signature(other.to_string()),
        })
    }

    /// Verifies the JWT form with `key`: `typ`, signature, `sub` equal to `uri`, `exp` not
    /// passed at `now`, and a well-formed list.
    pub fn verify_jwt(
        text: &str,
        key: &PublicKey,
        uri: &str,
        now: i64,
    ) -> Result<Self, StatusListError> {
        let jws = CompactJws::parse(text.trim())
            .map_err(|e| StatusListError::Signature(e.to_string()))?;
        let typ = jws.header().typ();
        if typ != Some(JWT_TYP) {
            return Err(StatusListError::Typ {
                expected: JWT_TYP,
                found: typ.map(str::to_string),
            });
        }
        jws.verify(key, &JwsPolicy::default())
            .map_err(|e| StatusListError::Signature(e.to_string()))?;
        let claims = jws
            .claims()
            .map_err(|_| StatusListError::Malformed("the payload is not a JSON object"))?;
        let sub = claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or(StatusListError::Malformed("sub is missing"))?;
        let iat = claims
            .get("iat")
            .and_then(Value::as_i64)
            .ok_or(StatusListError::Malformed("iat is missing"))?;
        let exp = match claims.get("exp") {
            None => None,
            Some(v) => Some(
                v.as_i64()
                    .ok_or(StatusListError::Malformed("exp is not a number"))?,
            ),
        };
        let ttl = match claims.get("ttl") {
            None => None,
            Some(v) => Some(
                v.as_u64()
                    .ok_or(StatusListError::Malformed("ttl is not a positive number"))?,
            ),
        };
        let list = StatusList::from_json(
            claims
                .get("status_list")
                .ok_or(StatusListError::Malformed("status_list is missing"))?,
        )?;
        let token = StatusListToken {
            sub: sub.to_string(),
            iat,
            exp,
            ttl,
            list,
        };
        token.check(uri, now)?;
        Ok(token)
    }

    fn check(&self, uri: &str, now: i64) -> Result<(), StatusListError> {
        if self.sub != uri {
            return Err(StatusListError::SubjectMismatch {
                expected: uri.to_string(),
                found: self.sub.clone(),
            });
        }
        if let Some(exp) = self.exp {
            if exp <= now {
                return Err(StatusListError::Expired(exp));
            }
        }
        Ok(())
    }

    /// The CWT claims set (a CBOR map with integer keys).
    pub fn cwt_claims(&self) -> Cbor {
        let mut m = vec![
            (Cbor::Integer(CWT_SUB.into()), Cbor::Text(self.sub.clone())),
            (
                Cbor::Integer(CWT_IAT.into()),
                Cbor::Integer(self.iat.into()),
            ),
        ];
        if let Some(exp) = self.exp {
            m.push((Cbor::Integer(CWT_EXP.into()), Cbor::Integer(exp.into())));
        }
        if let Some(ttl) = self.ttl {
            m.push((Cbor::Integer(CWT_TTL.into()), Cbor::Integer(ttl.into())));
        }
        m.push((Cbor::Integer(CWT_STATUS_LIST.into()), self.list.to_cbor()));
        Cbor::Map(m)
    }

    /// Signs the CWT form: a tagged COSE_Sign1 with `alg` and `typ` protected, `kid`
    /// unprotected.
    pub fn sign_cwt(&self, signer: &dyn Signer) -> Result<Vec<u8>, StatusListError> {
        self.sign_cwt_with_x5chain(signer, &[])
    }

    /// As [`Self::sign_cwt`], with the signer's certificate chain (leaf first, without the
    /// trust anchor) in a protected `x5chain` (RFC 9360, label 33) when `chain` is not
    /// empty: one certificate as a byte string, several as an array.
    pub fn sign_cwt_with_x5chain(
        &self,
        signer: &dyn Signer,
        chain: &[crate::x509::Certificate],
    ) -> Result<Vec<u8>, StatusListError> {
        let mut payload = Vec::new();
        ciborium::into_writer(&self.cwt_claims(), &mut payload)
            .expect("writing CBOR to a Vec cannot fail");
        let mut unprotected = HeaderBuilder::new();
        if let Some(kid) = signer.key_id() {
            unprotected = unprotected.key_id(kid.as_bytes().to_vec());
        }
        let mut protected = HeaderBuilder::new()
            .algorithm(cose_alg(signer.algorithm()))
            .value(COSE_TYP, Cbor::Text(CWT_TYP.into()));
        match chain {
            [] => {}
            [one] => protected = protected.value(COSE_X5CHAIN, Cbor::Bytes(one.der().to_vec())),
            many => {
                let ders = many.iter().map(|c| Cbor::Bytes(c.der().to_vec())).collect();
                protected = protected.value(COSE_X5CHAIN, Cbor::Array(ders));
            }
        }
        let mut sign1 = CoseSign1Builder::new()
            .protected(protected.build())
            .unprotected(unprotected.build())
            .payload(payload)
            .build();
        let tbs = sign1.tbs_data(&[]);
        sign1.signature = signer.sign(&tbs).map_err(StatusListError::Signing)?;
        sign1
            .to_tagged_vec()
            .map_err(|_| StatusListError::Malformed("COSE_Sign1 encoding failed"))
    }

    /// Verifies the CWT form (tagged or untagged COSE_Sign1) with `key`: `typ`, algorithm,
    /// signature, `sub` equal to `uri`, `exp` not passed at `now`.
    pub fn verify_cwt(
        bytes: &[u8],
        key: &PublicKey,
        uri: &str,
        now: i64,
    ) -> Result<Self, StatusListError> {
        let sign1 = CoseSign1::from_tagged_slice(bytes)
            .or_else(|_| CoseSign1::from_slice(bytes))
            .map_err(|_| StatusListError::Malformed("not a COSE_Sign1"))?;
        let typ = sign1
            .protected
            .header
            .rest
            .iter()
            .find(|(l, _)| *l == coset::Label::Int(COSE_TYP))
            .and_then(|(_, v)| v.as_text().map(str::to_string));
        if typ.as_deref() != Some(CWT_TYP) {
            return Err(StatusListError::Typ {
                expected: CWT_TYP,
                found: typ,
            });
        }
        let alg = match &sign1.protected.header.alg {
            Some(coset::RegisteredLabelWithPrivate::Assigned(a)) => {
                // The core set only: ES512 is verified for W3C credentials alone.
                Algorithm::from_cose_id(*a as i64).filter(|a| Algorithm::ALL.contains(a))
            }
            _ => None,
        }
        .ok_or_else(|| StatusListError::Signature("unsupported or missing alg".into()))?;
        key.verify(alg, &sign1.tbs_data(&[]), &sign1.signature)
            .map_err(|e| StatusListError::Signature(e.to_string()))?;
        let payload = sign1
            .payload
            .as_deref()
            .ok_or(StatusListError::Malformed("the CWT has no payload"))?;
        let claims: Cbor = ciborium::from_reader(payload)
            .map_err(|_| StatusListError::Malformed("the CWT payload is not CBOR"))?;
        let map = claims
            .as_map()
            .ok_or(StatusListError::Malformed("the CWT claims are not a map"))?;
        let field = |label: i64| {
            map.iter()
                .find(|(k, _)| k.as_integer() == Some(label.into()))
                .map(|(_, v)| v)
        };
        let int = |label: i64| -> Result<Option<i64>, StatusListError> {
            match field(label) {
                None => Ok(None),
                Some(v) => v
                    .as_integer()
                    .and_then(|i| i64::try_from(i).ok())
                    .map(Some)
                    .ok_or(StatusListError::Malformed(
                        "a CWT time claim is not an integer",
                    )),
            }
        };
        let sub = field(CWT_SUB)
            .and_then(Cbor::as_text)
            .ok_or(StatusListError::Malformed("sub is missing"))?;
        let iat = int(CWT_IAT)?.ok_or(StatusListError::Malformed("iat is missing"))?;
        let ttl = match int(CWT_TTL)? {
            Some(t) if t > 0 => Some(t as u64),
            Some(_) => return Err(StatusListError::Malformed("ttl is not positive")),
            None => None,
        };
        let list = StatusList::from_cbor(
            field(CWT_STATUS_LIST).ok_or(StatusListError::Malformed("status_list is missing"))?,
        )?;
        let token = StatusListToken {
            sub: sub.to_string(),
            iat,
            exp: int(CWT_EXP)?,
            ttl,
            list,
        };
        token.check(uri, now)?;
        Ok(token)
    }
}

fn cose_alg(alg: Algorithm) -> iana::Algorithm {
    match alg {
        Algorithm::Es256 => iana::Algorithm::ES256,
        Algorithm::Es384 => iana::Algorithm::ES384,
        Algorithm::EdDsa => iana::Algorithm::EdDSA,
        Algorithm::Es512 => iana::Algorithm::ES512,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Jwk, SoftwareSigner};

    /// The draft's example key (`kid` 12), from its example generator.
    fn draft_key() -> Jwk {
        Jwk::from_value(&json!({
            "kty": "EC", "crv": "P-256",
            "d": "xzUEdsyLosZF0acZGRAjTKImb0lQvAvssDK5XIZELd0",
            "x": "I3HWm_0Ds1dPMI-IWmf4mBmH-YaeAVbPVu7vB27CxXo",
            "y": "6N_d5Elj9bs1htgV3okJKIdbHEpkgTmAluYKJemzn1M",
            "kid": "12"
        }))
        .unwrap()
    }

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Section 4.1: 16 one-bit statuses pack LSB-first into `[0xb9, 0xa3]`.
    fn draft_one_bit() -> StatusList {
        let mut l = StatusList::new(1, 16).unwrap();
        for (i, v) in [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
            .into_iter()
            .enumerate()
        {
            l.set(i as u64, v).unwrap();
        }
        l
    }

    #[test]
    fn packs_one_bit_entries_lsb_first_as_the_draft_example() {
        let l = draft_one_bit();
        assert_eq!(l.as_bytes(), &[0xb9, 0xa3]);
        let decoded = StatusList::from_json(&json!({"bits": 1, "lst": "eNrbuRgAAhcBXQ"})).unwrap();
        assert_eq!(decoded, l);
    }

    #[test]
    fn packs_two_bit_entries_as_the_draft_example() {
        let mut l = StatusList::new(2, 12).unwrap();
        for (i, v) in [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3].into_iter().enumerate() {
            l.set(i as u64, v).unwrap();
        }
        assert_eq!(l.as_bytes(), &[0xc9, 0x44, 0xf9]);
        let decoded = StatusList::from_json(&json!({"bits": 2, "lst": "eNo76fITAAPfAgc"})).unwrap();
        assert_eq!(decoded, l);
        assert_eq!(decoded.get(1).unwrap(), SUSPENDED);
        assert_eq!(decoded.get(3).unwrap(), 3);
    }

    #[test]
    fn decodes_the_draft_cbor_encoding_example() {
        let v: Cbor =
            ciborium::from_reader(&hex("a2646269747301636c73744a78dadbb918000217015d")[..])
                .unwrap();
        assert_eq!(StatusList::from_cbor(&v).unwrap(), draft_one_bit());
    }

    #[test]
    fn reads_every_status_of_the_draft_long_test_vectors() {
        let one = "eNrt3AENwCAMAEGogklACtKQPg9LugC9k_ACvreiogEAAKkeCQAAAAAAAAAAAAAAAAAAAIBylgQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAXG9IAAAAAAAAAPwsJAAAAAAAAAAAAAAAvhsSAAAAAAAAAAAA7KpLAAAAAAAAAAAAAAAAAAAAAJsLCQAAAAAAAAAAADjelAAAAAAAAAAAKjDMAQAAAACAZC8L2AEb";
        let l = StatusList::from_json(&json!({"bits": 1, "lst": one})).unwrap();
        let set = [
            0u64, 1993, 25460, 159495, 495669, 554353, 645645, 723232, 854545, 934534, 1000345,
        ];
        assert_eq!(l.len(), 1 << 20);
        for i in 0..l.len() {
            let want = u8::from(set.contains(&i));
            assert_eq!(l.get(i).unwrap(), want, "index {i}");
        }
    }

    #[test]
    fn round_trips_every_bit_width_through_json_and_cbor() {
        for bits in [1u8, 2, 4, 8] {
            let mut l = StatusList::new(bits, 1000).unwrap();
            let max = if bits == 8 {
                255
            } else {
                (1u16 << bits) as u8 - 1
            };
            for i in (0..1000).step_by(7) {
                l.set(i, (i % (u64::from(max) + 1)) as u8).unwrap();
            }
            assert_eq!(StatusList::from_json(&l.to_json()).unwrap(), l);
            assert_eq!(StatusList::from_cbor(&l.to_cbor()).unwrap(), l);
            // the compressed form is ZLIB: CMF 0x78, and the header checksum holds
            let z = l.compress();
            assert_eq!(z[0], 0x78);
            assert_eq!((u16::from(z[0]) * 256 + u16::from(z[1])) % 31, 0);
        }
    }

    #[test]
    fn rejects_bad_bits_values_indices_and_gzip() {
        assert_eq!(StatusList::new(3, 8), Err(StatusListError::InvalidBits(3)));
        assert!(matches!(
            StatusList::from_json(&json!({"bits": 0, "lst": "eNrbuRgAAhcBXQ"})),
            Err(StatusListError::InvalidBits(0))
        ));
        let mut l = StatusList::new(2, 4).unwrap();
        assert!(matches!(
            l.set(4, 1),
            Err(StatusListError::IndexOutOfRange { idx: 4, len: 4 })
        ));
        assert!(matches!(
            l.set(0, 4),
            Err(StatusListError::ValueTooLarge { value: 4, bits: 2 })
        ));
        // a GZIP stream of the same bytes is not a ZLIB stream
        let gzip = [
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xdb, 0xb9, 0x18, 0x00,
        ];
        assert_eq!(
            StatusList::from_compressed(1, &gzip),
            Err(StatusListError::Compression)
        );
    }

    #[test]
    fn an_empty_list_is_still_a_valid_zlib_stream() {
        let l = StatusList::new(1, 0).unwrap();
        assert!(l.is_empty());
        assert_eq!(StatusList::from_json(&l.to_json()).unwrap(), l);
    }

    #[test]
    fn refuses_a_decompression_bomb() {
        let big = StatusList::from_bytes(8, vec![0; MAX_LIST_BYTES]).unwrap();
        let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
        z.write_all(big.as_bytes()).unwrap();
        z.write_all(&[0]).unwrap();
        let z = z.finish().unwrap();
        assert!(z.len() < 100_000);
        assert_eq!(
            StatusList::from_compressed(8, &z),
            Err(StatusListError::TooLarge)
        );
    }

    #[test]
    fn verifies_the_draft_cwt_example_signed_by_the_draft_key() {
        let cwt = hex(
            "d2845820a2012610781a6170706c69636174696f6e2f7374617475736c6973742b63
            7774a1044231325850a502782168747470733a2f2f6578616d706c652e636f6d2f73
            74617475736c697374732f31061a648c5bea041a8898dfea19fffe19a8c019fffda2
            646269747301636c73744a78dadbb918000217015d584093fa4d01032b18c35e2fe1
            101b77fd6cc9440022caa4694450c4e4e9feab4e99d1fa6d9772ce2bf3a12e0323de
            d7c982c5e101a5e67f0cbc1e2b6f57ce99c279",
        );
        let key = draft_key();
        let uri = "https://example.com/statuslists/1";
        let t = StatusListToken::verify_cwt(&cwt, key.public_key(), uri, 1_700_000_000).unwrap();
        assert_eq!(t.iat, 1686920170);
        assert_eq!(t.exp, Some(2291720170));
        assert_eq!(t.ttl, Some(43200));
        assert_eq!(t.list, draft_one_bit());
        assert_eq!(t.status(0).unwrap(), INVALID);
        assert_eq!(t.status(1).unwrap(), VALID);
        // after exp, and for another URI, it is refused
        assert_eq!(
            StatusListToken::verify_cwt(&cwt, key.public_key(), uri, 2291720170),
            Err(StatusListError::Expired(2291720170))
        );
        assert!(matches!(
            StatusListToken::verify_cwt(&cwt, key.public_key(), "https://example.com/x", 0),
            Err(StatusListError::SubjectMismatch { .. })
        ));
        // one flipped signature bit
        let mut bad = cwt.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(matches!(
            StatusListToken::verify_cwt(&bad, key.public_key(), uri, 0),
            Err(StatusListError::Signature(_))
        ));
    }

    #[test]
    fn jwt_form_carries_the_draft_claims_and_round_trips() {
        let signer = SoftwareSigner::from_jwk(&draft_key()).unwrap();
        let token = StatusListToken {
            sub: "https://example.com/statuslists/1".into(),
            iat: 1686920170,
            exp: Some(2291720170),
            ttl: Some(43200),
            list: draft_one_bit(),
        };
        let jwt = token.sign_jwt(&signer).unwrap();
        let parsed = CompactJws::parse(&jwt).unwrap();
        assert_eq!(parsed.header().typ(), Some("statuslist+jwt"));
        assert_eq!(parsed.header().kid(), Some("12"));
        let claims = parsed.claims().unwrap();
        assert_eq!(
            claims["status_list"],
            json!({"bits": 1, "lst": claims["status_list"]["lst"]})
        );
        let back = StatusListToken::verify_jwt(
            &jwt,
            signer.public_key(),
            "https://example.com/statuslists/1",
            1_700_000_000,
        )
        .unwrap();
        assert_eq!(back, token);
    }

    #[test]
    fn jwt_with_another_typ_or_key_is_refused() {
        let (signer, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
        let (other, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
        let token = StatusListToken {
            sub: "https://i.example/status/1".into(),
            iat: 0,
            exp: None,
            ttl: None,
            list: StatusList::new(1, 8).unwrap(),
        };
        let jwt = token.sign_jwt(&signer).unwrap();
        assert!(matches!(
            StatusListToken::verify_jwt(&jwt, other.public_key(), &token.sub, 0),
            Err(StatusListError::Signature(_))
        ));
        let mut h = Map::new();
        h.insert("typ".into(), "JWT".into());
        let plain = sign_compact(
            &h,
            &serde_json::to_vec(&Value::Object(token.jwt_claims())).unwrap(),
            &signer,
        )
        .unwrap();
        assert!(matches!(
            StatusListToken::verify_jwt(&plain, signer.public_key(), &token.sub, 0),
            Err(StatusListError::Typ { .. })
        ));
    }

    #[test]
    fn cwt_form_round_trips_on_every_algorithm() {
        for alg in Algorithm::ALL {
            let (signer, _) = SoftwareSigner::generate(alg).unwrap();
            let mut list = StatusList::new(2, 64).unwrap();
            list.set(5, SUSPENDED).unwrap();
            let token = StatusListToken {
                sub: "https://i.example/status/2".into(),
                iat: 100,
                exp: Some(200),
                ttl: Some(60),
                list,
            };
            let cwt = token.sign_cwt(&signer).unwrap();
            assert_eq!(cwt[0], 0xd2, "tagged COSE_Sign1");
            let back =
                StatusListToken::verify_cwt(&cwt, signer.public_key(), &token.sub, 150).unwrap();
            assert_eq!(back, token);
            assert_eq!(back.status(5).unwrap(), SUSPENDED);
        }
    }

    #[test]
    fn references_round_trip_in_json_and_cbor() {
        let r = StatusReference {
            idx: 4242,
            uri: "https://i.example/status/3".into(),
        };
        assert_eq!(
            r.to_json(),
            json!({"status_list": {"idx": 4242, "uri": "https://i.example/status/3"}})
        );
        assert_eq!(StatusReference::from_json(&r.to_json()).unwrap(), r);
        assert_eq!(StatusReference::from_cbor(&r.to_cbor()).unwrap(), r);
    }
}
