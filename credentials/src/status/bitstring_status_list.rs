//! The W3C Bitstring Status List (Recommendation): a GZIP-compressed bitstring, multibase
//! base64url (`u`, no padding), where index 0 is the most significant (left-most) bit of the
//! first byte. A list is at least 16 KB uncompressed (131,072 bits). Entries of `statusSize`
//! bits hold a status for `revocation`, `suspension` (1 = set) or `message` purposes.
//!
//! Note the contrast with [`super::token_status_list`]: ZLIB there, GZIP here, and the
//! opposite bit order within a byte.

use std::io::{Read, Write};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Map, Value};

/// The minimum uncompressed size of a list, in bits (16 KB).
pub const MIN_BITS: usize = 131_072;
/// The largest uncompressed list accepted when decoding (bits), against decompression bombs.
pub const MAX_BITS: usize = 1 << 27;

/// Why a status list or entry was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BitstringError {
    /// `encodedList` is not multibase `u` base64url of GZIP data.
    #[error("malformed encodedList: {0}")]
    MalformedList(&'static str),
    /// The list is shorter than 16 KB or larger than the accepted maximum.
    #[error("the list has {0} bits; at least 131072 are required")]
    TooShort(usize),
    /// The index is outside the list.
    #[error("index {0} is outside the list")]
    IndexOutOfRange(u64),
    /// `statusSize` is not a positive integer of at most 8 bits here.
    #[error("unsupported statusSize {0}")]
    BadStatusSize(u64),
    /// The `BitstringStatusListEntry` is malformed.
    #[error("invalid BitstringStatusListEntry: {0}")]
    InvalidEntry(String),
    /// The `BitstringStatusListCredential` is malformed or does not match the entry.
    #[error("invalid BitstringStatusListCredential: {0}")]
    InvalidListCredential(String),
}

impl BitstringError {
    /// A stable code for reports.
    pub fn code(&self) -> &'static str {
        match self {
            BitstringError::MalformedList(_) => "status_list_malformed",
            BitstringError::TooShort(_) => "status_list_too_short",
            BitstringError::IndexOutOfRange(_) => "status_index_out_of_range",
            BitstringError::BadStatusSize(_) => "status_size_unsupported",
            BitstringError::InvalidEntry(_) => "status_entry_invalid",
            BitstringError::InvalidListCredential(_) => "status_list_credential_invalid",
        }
    }
}

/// The purpose of a status list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusPurpose {
    /// Set = revoked (permanent).
    Revocation,
    /// Set = suspended (reversible).
    Suspension,
    /// A message code, described by `statusMessage`.
    Message,
}

impl StatusPurpose {
    /// The `statusPurpose` value.
    pub fn name(self) -> &'static str {
        match self {
            StatusPurpose::Revocation => "revocation",
            StatusPurpose::Suspension => "suspension",
            StatusPurpose::Message => "message",
        }
    }

    /// Parses a `statusPurpose` value.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "revocation" => Some(StatusPurpose::Revocation),
            "suspension" => Some(StatusPurpose::Suspension),
            "message" => Some(StatusPurpose::Message),
            _ => None,
        }
    }
}

/// An uncompressed bitstring of statuses of `status_size` bits each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitstringStatusList {
    bytes: Vec<u8>,
    status_size: u8,
}

impl BitstringStatusList {
    /// A list of `entries` statuses of `status_size` bits, all zero, padded up to 16 KB.
    pub fn new(entries: usize, status_size: u8) -> Result<Self, BitstringError> {
        if status_size == 0 || status_size > 8 {
            return Err(BitstringError::BadStatusSize(status_size.into()));
        }
        let bits = (entries * status_size as usize).max(MIN_BITS);
        Ok(BitstringStatusList {
            bytes: vec![0; bits.div_ceil(8)],
            status_size,
        })
    }

    /// The number of statuses the list holds.
    pub fn len(&self) -> usize {
        self.bytes.len() * 8 / self.status_size as usize
    }

    /// Whether the list holds no statuses (never, for a valid list).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bits per status.
    pub fn status_size(&self) -> u8 {
        self.status_size
    }

    /// The status at `index` (its `status_size` bits, most significant first).
    pub fn get(&self, index: u64) -> Result<u8, BitstringError> {
        let i = usize::try_from(index).map_err(|_| BitstringError::IndexOutOfRange(index))?;
        if i >= self.len() {
            return Err(BitstringError::IndexOutOfRange(index));
        }
        let start = i * self.status_size as usize;
        let mut v = 0u8;
        for bit in start..start + self.status_size as usize {
            let set = self.bytes[bit / 8] >> (7 - bit % 8) & 1;
            v = (v << 1) | set;
        }
        Ok(v)
    }

    /// Sets the status at `index` (only the low `status_size` bits of `value` are used).
    pub fn set(&mut self, index: u64, value: u8) -> Result<(), BitstringError> {
        let i = usize::try_from(index).map_err(|_| BitstringError::IndexOutOfRange(index))?;
        if i >= self.len() {
            return Err(BitstringError::IndexOutOfRange(index));
        }
        let size = self.status_size as usize;
        let start = i * size;
        for (k, bit) in (start..start + size).enumerate() {
            let set = (value >> (size - 1 - k)) & 1 == 1;
            let mask = 1u8 << (7 - bit % 8);
            if set {
                self.bytes[bit / 8] |= mask;
            } else {
                self.bytes[bit / 8] &= !mask;
            }
        }
        Ok(())
    }

    /// `encodedList`: `u` + base64url (no padding) of the GZIP-compressed bitstring.
    pub fn encode(&self) -> String {
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&self.bytes).expect("writing to a Vec");
        let compressed = gz.finish().expect("writing to a Vec");
        format!("u{}", crate::b64::encode(compressed))
    }

    /// Decodes an `encodedList` with statuses of `status_size` bits.
    pub fn decode(encoded: &str, status_size: u8) -> Result<Self, BitstringError> {
        if status_size == 0 || status_size > 8 {
            return Err(BitstringError::BadStatusSize(status_size.into()));
        }
        let b64 = encoded
            .strip_prefix('u')
            .ok_or(BitstringError::MalformedList(
                "not multibase base64url ('u')",
            ))?;
        let compressed =
            crate::b64::decode(b64).ok_or(BitstringError::MalformedList("not base64url"))?;
        let mut bytes = Vec::new();
        GzDecoder::new(compressed.as_slice())
            .take((MAX_BITS / 8 + 1) as u64)
            .read_to_end(&mut bytes)
            .map_err(|_| BitstringError::MalformedList("not GZIP data"))?;
        if bytes.len() * 8 > MAX_BITS || bytes.len() * 8 < MIN_BITS {
            return Err(BitstringError::TooShort(bytes.len() * 8));
        }
        Ok(BitstringStatusList { bytes, status_size })
    }

    /// The `credentialSubject` of a `BitstringStatusListCredential` for this list.
    pub fn credential_subject(&self, id: &str, purpose: StatusPurpose) -> Value {
        json!({
            "id": id,
            "type": "BitstringStatusList",
            "statusPurpose": purpose.name(),
            "encodedList": self.encode(),
        })
    }

    /// An unsecured `BitstringStatusListCredential` (secure it with any VC mechanism).
    pub fn credential(
        &self,
        id: &str,
        issuer: &str,
        valid_from: &str,
        purpose: StatusPurpose,
    ) -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": id,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer,
            "validFrom": valid_from,
            "credentialSubject": self.credential_subject(&format!("{id}#list"), purpose),
        })
    }
}

/// A validated `BitstringStatusListEntry`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitstringStatusListEntry {
    /// The purpose.
    pub purpose: StatusPurpose,
    /// The index into the list.
    pub index: u64,
    /// The URL of the `BitstringStatusListCredential`.
    pub list_credential: String,
    /// Bits per status (default 1).
    pub status_size: u8,
}

impl BitstringStatusListEntry {
    /// Validates a `credentialStatus` entry of type `BitstringStatusListEntry`.
    pub fn from_json(entry: &Map<String, Value>) -> Result<Self, BitstringError> {
        let bad = |m: &str| BitstringError::InvalidEntry(m.to_string());
        if entry.get("type").and_then(Value::as_str) != Some("BitstringStatusListEntry") {
            return Err(bad("type is not BitstringStatusListEntry"));
        }
        let purpose = entry
            .get("statusPurpose")
            .and_then(Value::as_str)
            .and_then(StatusPurpose::from_name)
            .ok_or_else(|| bad("statusPurpose is not revocation, suspension or message"))?;
        let index = entry
            .get("statusListIndex")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| bad("statusListIndex is not a string of a non-negative integer"))?;
        let list_credential = entry
            .get("statusListCredential")
            .and_then(Value::as_str)
            .filter(|s| url::Url::parse(s).is_ok())
            .ok_or_else(|| bad("statusListCredential is not a URL"))?
            .to_string();
        let status_size = match entry.get("statusSize") {
            None => 1,
            Some(v) => v
                .as_u64()
                .filter(|n| (1..=8).contains(n))
                .ok_or_else(|| BitstringError::BadStatusSize(v.as_u64().unwrap_or(0)))?
                as u8,
        };
        if status_size > 1 && entry.get("statusMessage").is_none() {
            return Err(bad("statusSize > 1 requires statusMessage"));
        }
        Ok(BitstringStatusListEntry {
            purpose,
            index,
            list_credential,
            status_size,
        })
    }

    /// Reads this entry's status from the (already verified) status list credential.
    pub fn status_in(&self, list_credential: &Value) -> Result<u8, BitstringError> {
        let bad = |m: &str| BitstringError::InvalidListCredential(m.to_string());
        let types_ok = match list_credential.get("type") {
            Some(Value::Array(a)) => a.iter().any(|t| t == "BitstringStatusListCredential"),
            _ => false,
        };
        if !types_ok {
            return Err(bad("type does not include BitstringStatusListCredential"));
        }
        if let Some(id) = list_credential.get("id").and_then(Value::as_str) {
            if id != self.list_credential {
                return Err(bad("id is not the entry's statusListCredential"));
            }
        }
        let subject = list_credential
            .get("credentialSubject")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("credentialSubject is not an object"))?;
        if subject.get("type").and_then(Value::as_str) != Some("BitstringStatusList") {
            return Err(bad("credentialSubject.type is not BitstringStatusList"));
        }
        let purposes: Vec<&str> = match subject.get("statusPurpose") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !purposes.contains(&self.purpose.name()) {
            return Err(bad("statusPurpose does not match the entry"));
        }
        let encoded = subject
            .get("encodedList")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("encodedList is missing"))?;
        BitstringStatusList::decode(encoded, self.status_size)?.get(self.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The empty 16 KB list of the Bitstring Status List specification's examples.
    const SPEC_EMPTY: &str =
        "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA";

    #[test]
    fn spec_example_decodes_to_16kb_of_zeros() {
        let list = BitstringStatusList::decode(SPEC_EMPTY, 1).unwrap();
        assert_eq!(list.len(), MIN_BITS);
        assert_eq!(list.get(0).unwrap(), 0);
        assert_eq!(list.get(131_071).unwrap(), 0);
        assert_eq!(
            list.get(131_072).unwrap_err().code(),
            "status_index_out_of_range"
        );
    }

    #[test]
    fn msb_first_and_round_trip() {
        let mut list = BitstringStatusList::new(10, 1).unwrap();
        assert_eq!(list.len(), MIN_BITS, "padded to 16 KB");
        list.set(0, 1).unwrap();
        list.set(9, 1).unwrap();
        assert_eq!(list.bytes[0], 0b1000_0000, "index 0 is the left-most bit");
        assert_eq!(list.bytes[1], 0b0100_0000);
        let again = BitstringStatusList::decode(&list.encode(), 1).unwrap();
        assert_eq!(again, list);
        assert!(
            list.encode().starts_with("uH4sI"),
            "multibase u + GZIP magic"
        );
        assert!(!list.encode().contains('='));
    }

    #[test]
    fn multi_bit_statuses() {
        let mut list = BitstringStatusList::new(70_000, 2).unwrap();
        list.set(1, 0b10).unwrap();
        assert_eq!(list.bytes[0], 0b0010_0000);
        assert_eq!(list.get(1).unwrap(), 2);
        let again = BitstringStatusList::decode(&list.encode(), 2).unwrap();
        assert_eq!(again.get(1).unwrap(), 2);
    }

    #[test]
    fn short_and_malformed_lists_are_rejected() {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&[0u8; 100]).unwrap();
        let short = format!("u{}", crate::b64::encode(gz.finish().unwrap()));
        assert_eq!(
            BitstringStatusList::decode(&short, 1).unwrap_err().code(),
            "status_list_too_short"
        );
        assert_eq!(
            BitstringStatusList::decode("zabc", 1).unwrap_err().code(),
            "status_list_malformed"
        );
        assert_eq!(
            BitstringStatusList::decode("uAAAA", 1).unwrap_err().code(),
            "status_list_malformed"
        );
    }

    #[test]
    fn entry_validation_and_lookup() {
        let mut list = BitstringStatusList::new(MIN_BITS, 1).unwrap();
        list.set(94_567, 1).unwrap();
        let url = "https://example.com/credentials/status/3";
        let vc = list.credential(
            url,
            "did:example:12345",
            "2021-04-05T14:27:40Z",
            StatusPurpose::Revocation,
        );
        let entry = json!({
            "id": "https://example.com/credentials/status/3#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": url
        });
        let e = BitstringStatusListEntry::from_json(entry.as_object().unwrap()).unwrap();
        assert_eq!(e.status_in(&vc).unwrap(), 1);
        let mut other = entry.clone();
        other["statusListIndex"] = json!("94568");
        let e2 = BitstringStatusListEntry::from_json(other.as_object().unwrap()).unwrap();
        assert_eq!(e2.status_in(&vc).unwrap(), 0);
        let mut susp = entry.clone();
        susp["statusPurpose"] = json!("suspension");
        let e3 = BitstringStatusListEntry::from_json(susp.as_object().unwrap()).unwrap();
        assert_eq!(
            e3.status_in(&vc).unwrap_err().code(),
            "status_list_credential_invalid"
        );
        for (k, v) in [
            ("statusListIndex", json!(94567)),
            ("statusListIndex", json!("-1")),
            ("statusPurpose", json!("other")),
            ("type", json!("StatusList2021Entry")),
            ("statusListCredential", json!("not a url")),
        ] {
            let mut bad = entry.clone();
            bad[k] = v;
            assert_eq!(
                BitstringStatusListEntry::from_json(bad.as_object().unwrap())
                    .unwrap_err()
                    .code(),
                "status_entry_invalid",
                "{k}"
            );
        }
    }
}
