//! C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519 keys.
//!
//! A note is text ending in a newline, a blank line, then signature lines
//! `— <key name> <base64(key ID || signature)>`. The key ID is the first four bytes of
//! `SHA-256(key name || 0x0A || 0x01 || Ed25519 public key)`. The Ed25519 signature comes
//! from any [`Signer`], so the log key can live in an HSM.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use credentials::keys::{Algorithm, KeyKind, PublicKey, Signer};
use sha2::{Digest, Sha256};

/// The signature type byte of Ed25519 in signed notes.
const ED25519_TYPE: u8 = 0x01;
/// `—` followed by a space: the start of every signature line.
const SIG_PREFIX: &str = "\u{2014} ";

/// Why a note could not be signed, parsed or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The note is not in signed-note form.
    #[error("malformed signed note: {0}")]
    Malformed(&'static str),
    /// A key name is empty or contains a space or a plus sign.
    #[error("invalid note key name \"{0}\"")]
    BadKeyName(String),
    /// A verifier key string (`name+hash+key`) is malformed or its key hash is wrong.
    #[error("malformed note verifier key: {0}")]
    BadVerifierKey(&'static str),
    /// Only Ed25519 keys sign notes.
    #[error("note keys must be Ed25519")]
    NotEd25519,
    /// No signature from a trusted key is on the note.
    #[error("the note carries no signature from a trusted key")]
    NoTrustedSignature,
    /// A signature from a trusted key does not verify.
    #[error("the signature by note key \"{0}\" does not verify")]
    BadSignature(String),
    /// The signer failed.
    #[error("signing the note failed: {0}")]
    Signing(String),
}

/// An Ed25519 note verifier key: a name and a public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteKey {
    name: String,
    public: PublicKey,
}

impl NoteKey {
    /// A verifier key for `name` and an Ed25519 public key.
    pub fn new(name: &str, public: &PublicKey) -> Result<Self, NoteError> {
        check_name(name)?;
        if public.kind() != KeyKind::Ed25519 {
            return Err(NoteError::NotEd25519);
        }
        Ok(NoteKey {
            name: name.to_string(),
            public: public.clone(),
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The 4-byte key ID.
    pub fn key_id(&self) -> [u8; 4] {
        let mut h = Sha256::new();
        h.update(self.name.as_bytes());
        h.update([b'\n', ED25519_TYPE]);
        h.update(self.public.as_bytes());
        let d = h.finalize();
        [d[0], d[1], d[2], d[3]]
    }

    /// The verifier key string `<name>+<hex key ID>+<base64(0x01 || key)>` other tools read.
    pub fn to_vkey(&self) -> String {
        let id: String = self.key_id().iter().map(|b| format!("{b:02x}")).collect();
        let mut key = vec![ED25519_TYPE];
        key.extend_from_slice(self.public.as_bytes());
        format!("{}+{}+{}", self.name, id, STANDARD.encode(key))
    }

    /// Parses a verifier key string, checking its key ID.
    pub fn from_vkey(vkey: &str) -> Result<Self, NoteError> {
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::BadVerifierKey("expected name+id+key"));
        };
        let key = STANDARD
            .decode(key)
            .map_err(|_| NoteError::BadVerifierKey("key is not base64"))?;
        if key.len() != 33 || key[0] != ED25519_TYPE {
            return Err(NoteError::BadVerifierKey("not an Ed25519 key"));
        }
        let public = PublicKey::from_bytes(KeyKind::Ed25519, &key[1..])
            .map_err(|_| NoteError::BadVerifierKey("bad Ed25519 key"))?;
        let parsed = NoteKey::new(name, &public)?;
        let expected: String = parsed.key_id().iter().map(|b| format!("{b:02x}")).collect();
        if id != expected {
            return Err(NoteError::BadVerifierKey("key ID does not match the key"));
        }
        Ok(parsed)
    }
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty() || name.contains(char::is_whitespace) || name.contains('+') {
        return Err(NoteError::BadKeyName(name.to_string()));
    }
    Ok(())
}

/// Signs `text` (which must end in a newline) as a note with one signature by `signer`.
pub fn sign(text: &str, name: &str, signer: &dyn Signer) -> Result<String, NoteError> {
    if signer.algorithm() != Algorithm::EdDsa {
        return Err(NoteError::NotEd25519);
    }
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("the text must end in a newline"));
    }
    check_text(text)?;
    let key = NoteKey::new(name, signer.public_key())?;
    let sig = signer
        .sign(text.as_bytes())
        .map_err(|e| NoteError::Signing(e.to_string()))?;
    let mut blob = key.key_id().to_vec();
    blob.extend_from_slice(&sig);
    Ok(format!(
        "{text}\n{SIG_PREFIX}{name} {}\n",
        STANDARD.encode(blob)
    ))
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::Malformed("control character in the note"));
    }
    Ok(())
}

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key ID.
    pub key_id: [u8; 4],
    /// The signature bytes after the key ID.
    pub signature: Vec<u8>,
}

/// Splits a note into its text and signature lines, without checking any signature.
pub fn parse(note: &str) -> Result<(&str, Vec<NoteSignature>), NoteError> {
    check_text(note)?;
    let split = note
        .rfind("\n\n")
        .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
    let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
    if !sigs.ends_with('\n') {
        return Err(NoteError::Malformed("the note does not end in a newline"));
    }
    let mut out = Vec::new();
    for line in sigs[..sigs.len() - 1].split('\n') {
        let rest = line
            .strip_prefix(SIG_PREFIX)
            .ok_or(NoteError::Malformed("a signature line lacks the em dash"))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or(NoteError::Malformed("a signature line lacks a space"))?;
        check_name(name)?;
        let blob = STANDARD
            .decode(b64)
            .map_err(|_| NoteError::Malformed("a signature is not base64"))?;
        if blob.len() < 5 {
            return Err(NoteError::Malformed("a signature is too short"));
        }
        out.push(NoteSignature {
            name: name.to_string(),
            key_id: [blob[0], blob[1], blob[2], blob[3]],
            signature: blob[4..].to_vec(),
        });
    }
    if out.is_empty() {
        return Err(NoteError::Malformed("the note has no signatures"));
    }
    Ok((text, out))
}

/// Verifies a note against trusted keys; returns its text and the key that signed it.
///
/// Signatures by unknown keys (witness cosignatures, say) are ignored; a signature by a
/// trusted key that does not verify is an error.
pub fn open<'k>(note: &str, trusted: &'k [NoteKey]) -> Result<(String, &'k NoteKey), NoteError> {
    let (text, sigs) = parse(note)?;
    let mut verified = None;
    for sig in &sigs {
        let Some(key) = trusted
            .iter()
            .find(|k| k.name == sig.name && k.key_id() == sig.key_id)
        else {
            continue;
        };
        key.public
            .verify(Algorithm::EdDsa, text.as_bytes(), &sig.signature)
            .map_err(|_| NoteError::BadSignature(sig.name.clone()))?;
        verified.get_or_insert(key);
    }
    verified
        .map(|k| (text.to_string(), k))
        .ok_or(NoteError::NoTrustedSignature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use credentials::keys::SoftwareSigner;

    fn key() -> SoftwareSigner {
        SoftwareSigner::generate(Algorithm::EdDsa).unwrap().0
    }

    #[test]
    fn signs_and_opens_with_the_trusted_key_only() {
        let (a, b) = (key(), key());
        let note = sign("hello\nworld\n", "example.org/log", &a).unwrap();
        assert!(note.starts_with("hello\nworld\n\n\u{2014} example.org/log "));
        let ka = NoteKey::new("example.org/log", a.public_key()).unwrap();
        let kb = NoteKey::new("example.org/log", b.public_key()).unwrap();
        let (text, by) = open(&note, std::slice::from_ref(&ka)).unwrap();
        assert_eq!((text.as_str(), by), ("hello\nworld\n", &ka));
        assert_eq!(open(&note, &[kb]), Err(NoteError::NoTrustedSignature));
        let tampered = note.replacen("world", "w0rld", 1);
        assert_eq!(
            open(&tampered, &[ka]),
            Err(NoteError::BadSignature("example.org/log".into()))
        );
    }

    #[test]
    fn verifier_key_round_trips_and_rejects_a_wrong_key_id() {
        let k = NoteKey::new("log.example", key().public_key()).unwrap();
        let vkey = k.to_vkey();
        assert_eq!(NoteKey::from_vkey(&vkey).unwrap(), k);
        let mut bad = vkey.clone();
        bad.replace_range(12..13, if &vkey[12..13] == "0" { "1" } else { "0" });
        assert!(NoteKey::from_vkey(&bad).is_err());
    }

    #[test]
    fn rejects_bad_names_and_non_ed25519_signers() {
        let es = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
        assert_eq!(sign("x\n", "n", &es), Err(NoteError::NotEd25519));
        assert!(matches!(
            sign("x\n", "a b", &key()),
            Err(NoteError::BadKeyName(_))
        ));
        assert!(matches!(
            sign("x", "n", &key()),
            Err(NoteError::Malformed(_))
        ));
    }
}
