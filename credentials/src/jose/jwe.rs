//! JWE (RFC 7516) with ECDH-ES direct key agreement (RFC 7518 section 4.6) and AES-GCM:
//! what OpenID4VP `direct_post.jwt` and OpenID4VCI credential response encryption use.
//! Compact serialization only.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm, Nonce};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{JoseError, JwsHeader};
use crate::b64;
use crate::keys::{provider, Jwk, KeyKind, PublicKey, SecretKey};

/// Content encryption algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enc {
    /// AES-128-GCM.
    A128Gcm,
    /// AES-256-GCM.
    A256Gcm,
}

impl Enc {
    /// The JOSE `enc` value.
    pub fn name(self) -> &'static str {
        match self {
            Enc::A128Gcm => "A128GCM",
            Enc::A256Gcm => "A256GCM",
        }
    }

    /// Parses an `enc` value.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "A128GCM" => Some(Enc::A128Gcm),
            "A256GCM" => Some(Enc::A256Gcm),
            _ => None,
        }
    }

    fn key_len(self) -> usize {
        match self {
            Enc::A128Gcm => 16,
            Enc::A256Gcm => 32,
        }
    }
}

/// The Concat KDF of NIST SP 800-56A as JWA section 4.6.2 uses it (one SHA-256 round,
/// enough for 128- and 256-bit keys).
pub fn concat_kdf(z: &[u8], enc: Enc, apu: &[u8], apv: &[u8]) -> Zeroizing<Vec<u8>> {
    let bits = (enc.key_len() * 8) as u32;
    let mut h = Sha256::new();
    h.update(1u32.to_be_bytes());
    h.update(z);
    for field in [enc.name().as_bytes(), apu, apv] {
        h.update((field.len() as u32).to_be_bytes());
        h.update(field);
    }
    h.update(bits.to_be_bytes());
    Zeroizing::new(h.finalize()[..enc.key_len()].to_vec())
}

fn seal(
    enc: Enc,
    key: &[u8],
    iv: &[u8; 12],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, JoseError> {
    let nonce = Nonce::from(*iv);
    let payload = Payload {
        msg: plaintext,
        aad,
    };
    match enc {
        Enc::A128Gcm => Aes128Gcm::new_from_slice(key)
            .expect("16-byte key")
            .encrypt(&nonce, payload),
        Enc::A256Gcm => Aes256Gcm::new_from_slice(key)
            .expect("32-byte key")
            .encrypt(&nonce, payload),
    }
    .map_err(|_| JoseError::Malformed("encryption failed"))
}

fn open(
    enc: Enc,
    key: &[u8],
    iv: &[u8; 12],
    aad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Vec<u8>, JoseError> {
    let nonce = Nonce::from(*iv);
    let payload = Payload {
        msg: ciphertext_and_tag,
        aad,
    };
    match enc {
        Enc::A128Gcm => Aes128Gcm::new_from_slice(key)
            .expect("16-byte key")
            .decrypt(&nonce, payload),
        Enc::A256Gcm => Aes256Gcm::new_from_slice(key)
            .expect("32-byte key")
            .decrypt(&nonce, payload),
    }
    .map_err(|_| JoseError::DecryptionFailed)
}

/// Encrypts `plaintext` to `recipient` (P-256 or P-384) with a fresh ephemeral key.
/// `extra` header parameters (`kid`, `apu`, `apv`, `typ`, ...) are protected too.
pub fn encrypt(
    plaintext: &[u8],
    recipient: &PublicKey,
    enc: Enc,
    extra: &Map<String, Value>,
) -> Result<String, JoseError> {
    if recipient.kind() == KeyKind::Ed25519 {
        return Err(JoseError::KeyAlgMismatch(crate::keys::Algorithm::EdDsa));
    }
    let eph = provider::default()
        .generate(recipient.kind())
        .map_err(JoseError::Signing)?;
    let z = provider::default()
        .ecdh(&eph, recipient)
        .map_err(JoseError::Signing)?;
    let text = |k: &str| {
        extra
            .get(k)
            .and_then(Value::as_str)
            .and_then(b64::decode)
            .unwrap_or_default()
    };
    let key = concat_kdf(&z, enc, &text("apu"), &text("apv"));
    let mut header = extra.clone();
    let mut epk = eph.public_key().to_jwk().to_value();
    if let Value::Object(m) = &mut epk {
        m.remove("kid");
    }
    header.insert("alg".into(), "ECDH-ES".into());
    header.insert("enc".into(), enc.name().into());
    header.insert("epk".into(), epk);
    let protected = b64::encode(serde_json::to_vec(&Value::Object(header)).expect("JSON"));
    let iv = provider::random_bytes::<12>();
    let sealed = seal(enc, &key, &iv, protected.as_bytes(), plaintext)?;
    let (ct, tag) = sealed.split_at(sealed.len() - 16);
    Ok(format!(
        "{protected}..{}.{}.{}",
        b64::encode(iv),
        b64::encode(ct),
        b64::encode(tag)
    ))
}

/// Decrypts a compact JWE with the recipient's private key; only `ECDH-ES` with an
/// accepted `enc` is allowed, and the ephemeral key must be on the recipient's curve.
pub fn decrypt(
    jwe: &str,
    recipient: &SecretKey,
    accepted: &[Enc],
) -> Result<(JwsHeader, Vec<u8>), JoseError> {
    let parts: Vec<&str> = jwe.split('.').collect();
    let [h, ek, iv, ct, tag] = parts.as_slice() else {
        return Err(JoseError::Malformed("a compact JWE has exactly five parts"));
    };
    let header = JwsHeader::from_json(
        &b64::decode(h).ok_or(JoseError::Malformed("the header is not base64url"))?,
    )?;
    match header.alg() {
        Some("ECDH-ES") => {}
        Some(other) => return Err(JoseError::AlgNotAllowed(other.to_string())),
        None => return Err(JoseError::Malformed("the header has no alg")),
    }
    if !ek.is_empty() {
        return Err(JoseError::Malformed(
            "ECDH-ES direct has an empty encrypted key",
        ));
    }
    if header.get("zip").is_some() || header.get("crit").is_some() {
        return Err(JoseError::CritNotUnderstood("zip/crit".into()));
    }
    let enc = header
        .get("enc")
        .and_then(Value::as_str)
        .and_then(Enc::from_name)
        .filter(|e| accepted.contains(e))
        .ok_or_else(|| JoseError::AlgNotAllowed(format!("enc {:?}", header.get("enc"))))?;
    let epk = header
        .get("epk")
        .ok_or(JoseError::Malformed("the header has no epk"))?;
    let epk =
        Jwk::from_value(epk).map_err(|_| JoseError::Malformed("epk is not a usable public key"))?;
    if epk.public_key().kind() != recipient.public_key().kind() {
        return Err(JoseError::KeyAlgMismatch(crate::keys::Algorithm::Es256));
    }
    let z = provider::default()
        .ecdh(recipient, epk.public_key())
        .map_err(|_| JoseError::Malformed("epk is not a point on the curve"))?;
    let text = |k: &str| {
        header
            .get(k)
            .and_then(Value::as_str)
            .and_then(b64::decode)
            .unwrap_or_default()
    };
    let key = concat_kdf(&z, enc, &text("apu"), &text("apv"));
    let iv: [u8; 12] = b64::decode(iv)
        .and_then(|v| v.try_into().ok())
        .ok_or(JoseError::Malformed("the IV is not 12 bytes"))?;
    let mut sealed =
        b64::decode(ct).ok_or(JoseError::Malformed("the ciphertext is not base64url"))?;
    let tag = b64::decode(tag)
        .filter(|t| t.len() == 16)
        .ok_or(JoseError::Malformed("the tag is not 16 bytes"))?;
    sealed.extend(tag);
    let plaintext = open(enc, &key, &iv, h.as_bytes(), &sealed)?;
    Ok((header, plaintext))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn concat_kdf_matches_rfc_7518_appendix_c() {
        let alice = Jwk::from_value(&json!({"kty":"EC","crv":"P-256",
            "x":"gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0","y":"SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps",
            "d":"0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo"})).unwrap();
        let bob = Jwk::from_value(&json!({"kty":"EC","crv":"P-256",
            "x":"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ","y":"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck"})).unwrap();
        for p in provider::all() {
            let z = p
                .ecdh(&alice.secret_key().unwrap().unwrap(), bob.public_key())
                .unwrap();
            let key = concat_kdf(&z, Enc::A128Gcm, b"Alice", b"Bob");
            assert_eq!(b64::encode(&*key), "VqqN6vgjbSBcIijNcacQGg", "{}", p.name());
        }
    }

    #[test]
    fn round_trips_and_rejects_tampering_wrong_key_and_unaccepted_enc() {
        let recipient = provider::default().generate(KeyKind::P256).unwrap();
        let mut extra = Map::new();
        extra.insert("kid".into(), "k1".into());
        let jwe = encrypt(
            b"{\"vp_token\":{}}",
            recipient.public_key(),
            Enc::A256Gcm,
            &extra,
        )
        .unwrap();
        let (h, pt) = decrypt(&jwe, &recipient, &[Enc::A128Gcm, Enc::A256Gcm]).unwrap();
        assert_eq!(pt, b"{\"vp_token\":{}}");
        assert_eq!(h.kid(), Some("k1"));
        assert!(decrypt(&jwe, &recipient, &[Enc::A128Gcm]).is_err());
        let other = provider::default().generate(KeyKind::P256).unwrap();
        assert_eq!(
            decrypt(&jwe, &other, &[Enc::A256Gcm]).unwrap_err(),
            JoseError::DecryptionFailed
        );
        let mut parts: Vec<String> = jwe.split('.').map(str::to_string).collect();
        parts[3] = b64::encode(b"x".repeat(b64::decode(&parts[3]).unwrap().len()));
        assert_eq!(
            decrypt(&parts.join("."), &recipient, &[Enc::A256Gcm]).unwrap_err(),
            JoseError::DecryptionFailed
        );
        // A header swapped after encryption breaks the AAD.
        let mut parts: Vec<String> = jwe.split('.').map(str::to_string).collect();
        let mut hv: Value = serde_json::from_slice(&b64::decode(&parts[0]).unwrap()).unwrap();
        hv["kid"] = json!("k2");
        parts[0] = b64::encode(serde_json::to_vec(&hv).unwrap());
        assert_eq!(
            decrypt(&parts.join("."), &recipient, &[Enc::A256Gcm]).unwrap_err(),
            JoseError::DecryptionFailed
        );
    }
}
