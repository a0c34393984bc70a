//! Strict CBOR (RFC 8949) decoding that keeps the bytes of every item.
//!
//! ISO 18013-5 digests and signatures are computed over bytes exactly as received
//! (tag-24 items, session transcripts), so the decoder returns a tree whose nodes carry
//! their raw encoding. It is strict where laxness is an attack surface: indefinite lengths,
//! duplicate map keys, reserved additional information, trailing bytes, invalid UTF-8 and
//! nesting deeper than [`MAX_DEPTH`] are all rejected. Non-preferred (longer than needed)
//! length encodings are accepted, because deployed wallets emit them.
//!
//! Encoding goes through `ciborium::Value` ([`encode`]), which always writes preferred
//! serialization.

use std::fmt;

/// Nesting depth beyond which input is refused.
pub const MAX_DEPTH: usize = 32;

/// Why CBOR input was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CborError {
    /// Byte offset where decoding stopped.
    pub offset: usize,
    /// What was wrong.
    pub reason: &'static str,
}

impl fmt::Display for CborError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.reason, self.offset)
    }
}

impl std::error::Error for CborError {}

/// One decoded item and the exact bytes it was decoded from.
#[derive(Clone, Debug, PartialEq)]
pub struct Node<'a> {
    /// The full encoding of this item (header and content).
    pub raw: &'a [u8],
    /// The decoded item.
    pub kind: Kind<'a>,
}

/// The kinds of CBOR item.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind<'a> {
    /// Major type 0.
    Uint(u64),
    /// Major type 1: the value is `-1 - n`.
    Nint(u64),
    /// Major type 2.
    Bytes(&'a [u8]),
    /// Major type 3.
    Text(&'a str),
    /// Major type 4.
    Array(Vec<Node<'a>>),
    /// Major type 5, in the order received.
    Map(Vec<(Node<'a>, Node<'a>)>),
    /// Major type 6.
    Tag(u64, Box<Node<'a>>),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// `undefined`.
    Undefined,
    /// Another simple value.
    Simple(u8),
    /// A half, single or double float.
    Float(f64),
}

/// Decodes exactly one item from `input`; trailing bytes are an error.
pub fn decode(input: &[u8]) -> Result<Node<'_>, CborError> {
    let mut d = Decoder { input, pos: 0 };
    let node = d.item(0)?;
    if d.pos != input.len() {
        return Err(CborError {
            offset: d.pos,
            reason: "trailing bytes after the CBOR item",
        });
    }
    Ok(node)
}

struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    fn err<T>(&self, reason: &'static str) -> Result<T, CborError> {
        Err(CborError {
            offset: self.pos,
            reason,
        })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CborError> {
        if self.input.len() - self.pos < n {
            return self.err("truncated CBOR");
        }
        let s = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn argument(&mut self, info: u8) -> Result<u64, CborError> {
        Ok(match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.take(1)?[0]),
            25 => u64::from(u16::from_be_bytes(
                self.take(2)?.try_into().expect("2 bytes"),
            )),
            26 => u64::from(u32::from_be_bytes(
                self.take(4)?.try_into().expect("4 bytes"),
            )),
            27 => u64::from_be_bytes(self.take(8)?.try_into().expect("8 bytes")),
            31 => return self.err("indefinite-length items are not accepted"),
            _ => return self.err("reserved additional information"),
        })
    }

    fn length(&mut self, info: u8) -> Result<usize, CborError> {
        let n = self.argument(info)?;
        let n = usize::try_from(n).or_else(|_| self.err("length too large"))?;
        if n > self.input.len() - self.pos {
            return self.err("length exceeds the input");
        }
        Ok(n)
    }

    fn item(&mut self, depth: usize) -> Result<Node<'a>, CborError> {
        if depth > MAX_DEPTH {
            return self.err("nesting too deep");
        }
        let start = self.pos;
        let initial = self.take(1)?[0];
        let (major, info) = (initial >> 5, initial & 0x1f);
        let kind = match major {
            0 => Kind::Uint(self.argument(info)?),
            1 => Kind::Nint(self.argument(info)?),
            2 => {
                let n = self.length(info)?;
                Kind::Bytes(self.take(n)?)
            }
            3 => {
                let n = self.length(info)?;
                let bytes = self.take(n)?;
                Kind::Text(std::str::from_utf8(bytes).or_else(|_| self.err("text is not UTF-8"))?)
            }
            4 => {
                let n = self.length(info)?;
                let mut items = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    items.push(self.item(depth + 1)?);
                }
                Kind::Array(items)
            }
            5 => {
                let n = self.length(info)?;
                let mut entries: Vec<(Node<'a>, Node<'a>)> = Vec::with_capacity(n.min(1024));
                // Small maps (the usual ones) are scanned; larger ones keep their keys in an
                // ordered set, so duplicate detection stays O(n log n) on hostile input.
                let mut seen: Option<std::collections::BTreeSet<KeyId<'a>>> = None;
                for _ in 0..n {
                    let key_pos = self.pos;
                    let k = self.item(depth + 1)?;
                    let duplicate = if entries.len() < SCAN_LIMIT {
                        entries.iter().any(|(e, _)| same_key(e, &k))
                    } else {
                        let set = seen.get_or_insert_with(|| {
                            entries.iter().map(|(e, _)| KeyId::of(e)).collect()
                        });
                        !set.insert(KeyId::of(&k))
                    };
                    if duplicate {
                        return Err(CborError {
                            offset: key_pos,
                            reason: "duplicate map key",
                        });
                    }
                    let v = self.item(depth + 1)?;
                    entries.push((k, v));
                }
                Kind::Map(entries)
            }
            6 => {
                let tag = self.argument(info)?;
                Kind::Tag(tag, Box::new(self.item(depth + 1)?))
            }
            _ => match info {
                20 => Kind::Bool(false),
                21 => Kind::Bool(true),
                22 => Kind::Null,
                23 => Kind::Undefined,
                0..=19 => Kind::Simple(info),
                24 => {
                    let v = self.take(1)?[0];
                    if v < 32 {
                        return self.err("simple value encoded in two bytes");
                    }
                    Kind::Simple(v)
                }
                25 => Kind::Float(half_to_f64(u16::from_be_bytes(
                    self.take(2)?.try_into().expect("2 bytes"),
                ))),
                26 => Kind::Float(f64::from(f32::from_be_bytes(
                    self.take(4)?.try_into().expect("4 bytes"),
                ))),
                27 => Kind::Float(f64::from_be_bytes(
                    self.take(8)?.try_into().expect("8 bytes"),
                )),
                31 => return self.err("unexpected break"),
                _ => return self.err("reserved additional information"),
            },
        };
        Ok(Node {
            raw: &self.input[start..self.pos],
            kind,
        })
    }
}

/// Map keys are the same if they decode to the same value (whatever their encoding).
/// Map sizes up to which duplicate keys are found by scanning.
const SCAN_LIMIT: usize = 16;

/// A map key as [`same_key`] compares it, ordered: integers by major type and value, text
/// and byte strings by major type and content, anything else by its encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum KeyId<'a> {
    Int(u8, u64),
    Str(u8, &'a [u8]),
    Raw(&'a [u8]),
}

impl<'a> KeyId<'a> {
    fn of(n: &Node<'a>) -> Self {
        match n.kind {
            Kind::Uint(x) => KeyId::Int(0, x),
            Kind::Nint(x) => KeyId::Int(1, x),
            Kind::Bytes(b) => KeyId::Str(2, b),
            Kind::Text(t) => KeyId::Str(3, t.as_bytes()),
            _ => KeyId::Raw(n.raw),
        }
    }
}

fn same_key(a: &Node<'_>, b: &Node<'_>) -> bool {
    match (&a.kind, &b.kind) {
        (Kind::Uint(x), Kind::Uint(y)) | (Kind::Nint(x), Kind::Nint(y)) => x == y,
        (Kind::Text(x), Kind::Text(y)) => x == y,
        (Kind::Bytes(x), Kind::Bytes(y)) => x == y,
        _ => a.raw == b.raw,
    }
}

fn half_to_f64(h: u16) -> f64 {
    let exp = (h >> 10) & 0x1f;
    let mant = f64::from(h & 0x3ff);
    let v = match exp {
        0 => mant * 2f64.powi(-24),
        31 => {
            if mant == 0.0 {
                f64::INFINITY
            } else {
                f64::NAN
            }
        }
        e => (mant + 1024.0) * 2f64.powi(i32::from(e) - 25),
    };
    if h & 0x8000 != 0 {
        -v
    } else {
        v
    }
}

impl<'a> Node<'a> {
    /// The text, if this is a text string.
    pub fn as_text(&self) -> Option<&'a str> {
        match self.kind {
            Kind::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The bytes, if this is a byte string.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self.kind {
            Kind::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The unsigned integer, if this is one.
    pub fn as_uint(&self) -> Option<u64> {
        match self.kind {
            Kind::Uint(n) => Some(n),
            _ => None,
        }
    }

    /// The integer (positive or negative), if it fits an `i64`.
    pub fn as_int(&self) -> Option<i64> {
        match self.kind {
            Kind::Uint(n) => i64::try_from(n).ok(),
            Kind::Nint(n) => i64::try_from(n).ok().map(|n| -1 - n),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&[Node<'a>]> {
        match &self.kind {
            Kind::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The entries, if this is a map.
    pub fn as_map(&self) -> Option<&[(Node<'a>, Node<'a>)]> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The value under a text key of a map.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_text() == Some(key))
            .map(|(_, v)| v)
    }

    /// The value under an integer key of a map.
    pub fn get_int(&self, key: i64) -> Option<&Node<'a>> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_int() == Some(key))
            .map(|(_, v)| v)
    }

    /// For `#6.24(bstr .cbor T)`: the embedded item (decoded strictly) and the tag's full bytes.
    pub fn tag24(&self) -> Result<Node<'a>, CborError> {
        match &self.kind {
            Kind::Tag(24, inner) => match inner.kind {
                Kind::Bytes(b) => decode(b),
                _ => Err(CborError {
                    offset: 0,
                    reason: "tag 24 does not wrap a byte string",
                }),
            },
            _ => Err(CborError {
                offset: 0,
                reason: "expected an embedded CBOR item (tag 24)",
            }),
        }
    }

    /// Converts to a `ciborium::Value` (for re-use with coset and for output).
    pub fn to_value(&self) -> ciborium::Value {
        use ciborium::Value as V;
        match &self.kind {
            Kind::Uint(n) => V::Integer((*n).into()),
            Kind::Nint(n) => V::Integer(
                ciborium::value::Integer::try_from(-1i128 - i128::from(*n)).unwrap_or(0.into()),
            ),
            Kind::Bytes(b) => V::Bytes(b.to_vec()),
            Kind::Text(t) => V::Text((*t).to_string()),
            Kind::Array(a) => V::Array(a.iter().map(Node::to_value).collect()),
            Kind::Map(m) => V::Map(
                m.iter()
                    .map(|(k, v)| (k.to_value(), v.to_value()))
                    .collect(),
            ),
            Kind::Tag(t, inner) => V::Tag(*t, Box::new(inner.to_value())),
            Kind::Bool(b) => V::Bool(*b),
            Kind::Null => V::Null,
            Kind::Undefined | Kind::Simple(_) => V::Null,
            Kind::Float(f) => V::Float(*f),
        }
    }
}

/// Encodes a value in preferred serialization.
pub fn encode(value: &ciborium::Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("writing CBOR to a Vec cannot fail");
    out
}

/// `#6.24(bstr .cbor value)`: the embedded encoding of already-encoded bytes.
pub fn tag24_bytes(encoded: &[u8]) -> Vec<u8> {
    encode(&ciborium::Value::Tag(
        24,
        Box::new(ciborium::Value::Bytes(encoded.to_vec())),
    ))
}

/// The CBOR header of an array of `n` items (to splice raw items in without re-encoding).
pub fn array_header(n: usize) -> Vec<u8> {
    header(4, n as u64)
}

/// The CBOR header of a text string of `n` bytes.
pub fn text(s: &str) -> Vec<u8> {
    let mut v = header(3, s.len() as u64);
    v.extend_from_slice(s.as_bytes());
    v
}

fn header(major: u8, n: u64) -> Vec<u8> {
    let m = major << 5;
    match n {
        0..=23 => vec![m | n as u8],
        24..=0xff => vec![m | 24, n as u8],
        0x100..=0xffff => {
            let mut v = vec![m | 25];
            v.extend_from_slice(&(n as u16).to_be_bytes());
            v
        }
        0x1_0000..=0xffff_ffff => {
            let mut v = vec![m | 26];
            v.extend_from_slice(&(n as u32).to_be_bytes());
            v
        }
        _ => {
            let mut v = vec![m | 27];
            v.extend_from_slice(&n.to_be_bytes());
            v
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_raw_bytes_of_nested_items_including_non_preferred_lengths() {
        // {"a": h'0102'} with a non-preferred map header (b9 00 01).
        let input = [0xb9, 0x00, 0x01, 0x61, b'a', 0x42, 1, 2];
        let node = decode(&input).unwrap();
        assert_eq!(node.raw, &input);
        assert_eq!(node.get("a").unwrap().raw, &[0x42, 1, 2]);
    }

    #[test]
    fn duplicate_keys_of_large_maps_are_found_in_n_log_n() {
        // A map of 60,000 distinct text keys decodes; the same map with its last key equal
        // to an early one is refused. (Quadratic detection took seconds at this size.)
        let n: u32 = 60_000;
        let map = |dup: bool| {
            let mut out = vec![0xba];
            out.extend_from_slice(&n.to_be_bytes());
            for i in 0..n {
                let key = if dup && i == n - 1 { 17 } else { i };
                let k = format!("k{key:07}");
                out.push(0x60 + k.len() as u8);
                out.extend_from_slice(k.as_bytes());
                out.push(0x00);
            }
            out
        };
        assert!(decode(&map(false)).is_ok());
        let e = decode(&map(true)).unwrap_err();
        assert_eq!(e.reason, "duplicate map key");
        // Integer keys: 1 and -2 differ, two 1s do not (past the scan limit too).
        let mut ints = vec![0xb8, 40];
        for i in 0..39u8 {
            ints.extend_from_slice(&[0x18, i + 24, 0x00]);
        }
        ints.extend_from_slice(&[0x18, 30, 0x00]);
        assert_eq!(decode(&ints).unwrap_err().reason, "duplicate map key");
    }

    #[test]
    fn rejects_indefinite_lengths_duplicates_trailing_bytes_and_truncation() {
        for (input, reason) in [
            (
                &[0x9f, 0x01, 0xff][..],
                "indefinite-length items are not accepted",
            ),
            (&[0xa2, 0x01, 0x02, 0x01, 0x03][..], "duplicate map key"),
            (
                &[0xa2, 0x01, 0x02, 0x18, 0x01, 0x03][..],
                "duplicate map key",
            ),
            (&[0x01, 0x02][..], "trailing bytes after the CBOR item"),
            (&[0x43, 0x01][..], "length exceeds the input"),
            (&[0x1c][..], "reserved additional information"),
            (&[0x62, 0xff, 0xfe][..], "text is not UTF-8"),
        ] {
            assert_eq!(decode(input).unwrap_err().reason, reason, "{input:02x?}");
        }
    }

    #[test]
    fn rejects_excessive_nesting() {
        let input = vec![0x81; MAX_DEPTH + 2];
        assert!(decode(&input).is_err());
    }

    #[test]
    fn decodes_half_floats_and_negative_integers() {
        assert_eq!(decode(&[0xf9, 0x3c, 0x00]).unwrap().kind, Kind::Float(1.0));
        assert_eq!(decode(&[0x38, 0x63]).unwrap().as_int(), Some(-100));
    }

    #[test]
    fn encoded_headers_round_trip() {
        for n in [0usize, 23, 24, 255, 256, 65535, 65536] {
            let mut v = array_header(n);
            v.extend(std::iter::repeat_n(0u8, n));
            assert_eq!(decode(&v).unwrap().as_array().unwrap().len(), n);
        }
    }
}
