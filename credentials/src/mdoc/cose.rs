//! COSE_Sign1 and COSE_Mac0 read from the strict CBOR tree into `coset` types.
//!
//! The protected header keeps its original bytes (the signature input). Header parameters
//! Vouch does not use are tolerated even when deployed wallets encode them against RFC
//! 9052 (a text or `undefined` `kid`); the algorithm and x5chain are read strictly.

use coset::iana::EnumI64;
use coset::{CoseMac0, CoseSign1, Header, Label, ProtectedHeader, RegisteredLabelWithPrivate};

use super::MdocError;
use crate::cbor::{Kind, Node};

fn structure(what: &str, m: &str) -> MdocError {
    MdocError::Structure(format!("{what}: {m}"))
}

fn header(node: &Node<'_>, what: &str) -> Result<Header, MdocError> {
    let entries = node
        .as_map()
        .ok_or_else(|| structure(what, "a header is not a map"))?;
    let mut h = Header::default();
    for (k, v) in entries {
        match k.as_int() {
            Some(1) => {
                h.alg = Some(match (&v.kind, v.as_int()) {
                    (_, Some(i)) => coset::iana::Algorithm::from_i64(i)
                        .map(RegisteredLabelWithPrivate::Assigned)
                        .unwrap_or(RegisteredLabelWithPrivate::PrivateUse(i)),
                    (Kind::Text(t), _) => RegisteredLabelWithPrivate::Text((*t).to_string()),
                    _ => return Err(structure(what, "alg is neither an integer nor text")),
                });
            }
            // kid: kept when it is a byte string, ignored otherwise (it is never used here).
            Some(4) => {
                if let Some(b) = v.as_bytes() {
                    h.key_id = b.to_vec();
                }
            }
            Some(label) => h.rest.push((Label::Int(label), v.to_value())),
            None => match k.as_text() {
                Some(t) => h.rest.push((Label::Text(t.to_string()), v.to_value())),
                None => {
                    return Err(structure(
                        what,
                        "a header label is neither an integer nor text",
                    ))
                }
            },
        }
    }
    Ok(h)
}

fn parts<'n, 'a>(node: &'n Node<'a>, tag: u64, what: &str) -> Result<&'n [Node<'a>], MdocError> {
    let inner = match &node.kind {
        Kind::Tag(t, inner) if *t == tag => inner.as_ref(),
        Kind::Tag(_, _) => return Err(MdocError::Cbor(format!("{what}: wrong CBOR tag"))),
        _ => node,
    };
    inner
        .as_array()
        .filter(|a| a.len() == 4)
        .ok_or_else(|| structure(what, "not an array of four"))
}

fn protected(node: &Node<'_>, what: &str) -> Result<ProtectedHeader, MdocError> {
    let bytes = node
        .as_bytes()
        .ok_or_else(|| structure(what, "the protected header is not a byte string"))?;
    let header = if bytes.is_empty() {
        Header::default()
    } else {
        let decoded = crate::cbor::decode(bytes)
            .map_err(|e| MdocError::Cbor(format!("{what} protected header: {e}")))?;
        self::header(&decoded, what)?
    };
    Ok(ProtectedHeader {
        original_data: Some(bytes.to_vec()),
        header,
    })
}

fn payload(node: &Node<'_>, what: &str) -> Result<Option<Vec<u8>>, MdocError> {
    match &node.kind {
        Kind::Null => Ok(None),
        Kind::Bytes(b) => Ok(Some(b.to_vec())),
        _ => Err(structure(
            what,
            "the payload is neither a byte string nor null",
        )),
    }
}

/// Reads a COSE_Sign1 (tag 18 or untagged).
pub(crate) fn sign1(node: &Node<'_>, what: &str) -> Result<CoseSign1, MdocError> {
    let p = parts(node, 18, what)?;
    Ok(CoseSign1 {
        protected: protected(&p[0], what)?,
        unprotected: header(&p[1], what)?,
        payload: payload(&p[2], what)?,
        signature: p[3]
            .as_bytes()
            .ok_or_else(|| structure(what, "the signature is not a byte string"))?
            .to_vec(),
    })
}

/// Reads a COSE_Mac0 (tag 17 or untagged).
pub(crate) fn mac0(node: &Node<'_>, what: &str) -> Result<CoseMac0, MdocError> {
    let p = parts(node, 17, what)?;
    Ok(CoseMac0 {
        protected: protected(&p[0], what)?,
        unprotected: header(&p[1], what)?,
        payload: payload(&p[2], what)?,
        tag: p[3]
            .as_bytes()
            .ok_or_else(|| structure(what, "the tag is not a byte string"))?
            .to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerates_a_text_or_undefined_kid_but_not_a_bad_alg() {
        // [h'a10126', {4: "kid-text", 33: h'01'}, null, h'00']
        let text_kid = [
            0x84, 0x43, 0xa1, 0x01, 0x26, 0xa2, 0x04, 0x63, b'k', b'i', b'd', 0x18, 0x21, 0x41,
            0x01, 0xf6, 0x41, 0x00,
        ];
        let s = sign1(&crate::cbor::decode(&text_kid).unwrap(), "t").unwrap();
        assert_eq!(
            s.protected.header.alg,
            Some(RegisteredLabelWithPrivate::Assigned(
                coset::iana::Algorithm::ES256
            ))
        );
        assert!(s.unprotected.key_id.is_empty());
        assert_eq!(
            s.protected.original_data.as_deref(),
            Some(&[0xa1, 0x01, 0x26][..])
        );
        // {4: undefined}
        let undefined_kid = [
            0x84, 0x43, 0xa1, 0x01, 0x26, 0xa1, 0x04, 0xf7, 0xf6, 0x41, 0x00,
        ];
        assert!(sign1(&crate::cbor::decode(&undefined_kid).unwrap(), "t").is_ok());
        // alg as a byte string is refused.
        let bad_alg = [0x84, 0x44, 0xa1, 0x01, 0x41, 0x00, 0xa0, 0xf6, 0x41, 0x00];
        assert!(sign1(&crate::cbor::decode(&bad_alg).unwrap(), "t").is_err());
    }
}
