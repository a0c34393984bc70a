//! COSE_Key (RFC 9052 section 7, RFC 9053) for the keys Vouch uses: EC2 P-256 / P-384 and
//! OKP Ed25519. mdoc device keys travel in this form.

use coset::iana::{self, EnumI64};
use coset::{CoseKey, CoseKeyBuilder, KeyType, Label};

use super::{KeyError, KeyKind, PublicKey};

/// The COSE_Key of a public key.
pub fn to_cose_key(key: &PublicKey) -> CoseKey {
    match key.coordinates() {
        Some((x, y)) => {
            let crv = match key.kind() {
                KeyKind::P384 => iana::EllipticCurve::P_384,
                KeyKind::P521 => iana::EllipticCurve::P_521,
                _ => iana::EllipticCurve::P_256,
            };
            CoseKeyBuilder::new_ec2_pub_key(crv, x.to_vec(), y.to_vec()).build()
        }
        None => CoseKeyBuilder::new_okp_key()
            .param(
                iana::OkpKeyParameter::Crv as i64,
                ciborium::Value::from(iana::EllipticCurve::Ed25519 as i64),
            )
            .param(
                iana::OkpKeyParameter::X as i64,
                ciborium::Value::Bytes(key.as_bytes().to_vec()),
            )
            .build(),
    }
}

/// The public key in a COSE_Key; rejects compressed points and curves Vouch does not use.
pub fn from_cose_key(key: &CoseKey) -> Result<PublicKey, KeyError> {
    let param = |label: i64| {
        key.params
            .iter()
            .find(|(l, _)| *l == Label::Int(label))
            .map(|(_, v)| v)
    };
    let bytes = |label: i64| -> Result<&[u8], KeyError> {
        match param(label) {
            Some(ciborium::Value::Bytes(b)) => Ok(b),
            Some(_) => Err(KeyError::Malformed(
                "a COSE_Key coordinate is not a byte string (compressed points are not supported)",
            )),
            None => Err(KeyError::Malformed("a COSE_Key coordinate is missing")),
        }
    };
    let crv = match param(iana::Ec2KeyParameter::Crv as i64) {
        Some(ciborium::Value::Integer(i)) => i64::try_from(*i).ok(),
        _ => None,
    }
    .ok_or(KeyError::Malformed("the COSE_Key has no curve"))?;
    match &key.kty {
        KeyType::Assigned(iana::KeyType::EC2) => {
            let kind = match iana::EllipticCurve::from_i64(crv) {
                Some(iana::EllipticCurve::P_256) => KeyKind::P256,
                Some(iana::EllipticCurve::P_384) => KeyKind::P384,
                Some(iana::EllipticCurve::P_521) => KeyKind::P521,
                _ => return Err(KeyError::Unsupported(format!("EC2 curve {crv}"))),
            };
            PublicKey::from_coordinates(
                kind,
                bytes(iana::Ec2KeyParameter::X as i64)?,
                bytes(iana::Ec2KeyParameter::Y as i64)?,
            )
        }
        KeyType::Assigned(iana::KeyType::OKP) => {
            if iana::EllipticCurve::from_i64(crv) != Some(iana::EllipticCurve::Ed25519) {
                return Err(KeyError::Unsupported(format!("OKP curve {crv}")));
            }
            PublicKey::from_bytes(KeyKind::Ed25519, bytes(iana::OkpKeyParameter::X as i64)?)
        }
        other => Err(KeyError::Unsupported(format!("COSE key type {other:?}"))),
    }
}

/// The public key in a COSE_Key decoded by the strict CBOR decoder. Reads kty (1), crv (-1),
/// x (-2) and y (-3) only, so a `kid` of the wrong type (seen in deployed wallets) does
/// not make an otherwise valid key unreadable.
pub fn from_cbor_node(node: &crate::cbor::Node<'_>) -> Result<PublicKey, KeyError> {
    if node.as_map().is_none() {
        return Err(KeyError::Malformed("a COSE_Key is a map"));
    }
    let int = |l: i64| node.get_int(l).and_then(|v| v.as_int());
    let bytes = |l: i64| -> Result<&[u8], KeyError> {
        node.get_int(l)
            .and_then(|v| v.as_bytes())
            .ok_or(KeyError::Malformed("a COSE_Key coordinate is missing or not a byte string (compressed points are not supported)"))
    };
    match (int(1), int(-1)) {
        (Some(2), Some(1)) => PublicKey::from_coordinates(KeyKind::P256, bytes(-2)?, bytes(-3)?),
        (Some(2), Some(2)) => PublicKey::from_coordinates(KeyKind::P384, bytes(-2)?, bytes(-3)?),
        (Some(2), Some(3)) => PublicKey::from_coordinates(KeyKind::P521, bytes(-2)?, bytes(-3)?),
        (Some(1), Some(6)) => PublicKey::from_bytes(KeyKind::Ed25519, bytes(-2)?),
        (kty, crv) => Err(KeyError::Unsupported(format!(
            "COSE key type {kty:?} with curve {crv:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::provider;

    #[test]
    fn cose_key_round_trips_for_every_kind() {
        for kind in [KeyKind::P256, KeyKind::P384, KeyKind::Ed25519] {
            let key = provider::default()
                .generate(kind)
                .unwrap()
                .public_key()
                .clone();
            assert_eq!(from_cose_key(&to_cose_key(&key)).unwrap(), key);
        }
    }

    #[test]
    fn rejects_compressed_ec2_point() {
        let key = provider::default()
            .generate(KeyKind::P256)
            .unwrap()
            .public_key()
            .clone();
        let mut cose = to_cose_key(&key);
        for (label, value) in cose.params.iter_mut() {
            if *label == Label::Int(iana::Ec2KeyParameter::Y as i64) {
                *value = ciborium::Value::Bool(true);
            }
        }
        assert!(from_cose_key(&cose).is_err());
    }
}
