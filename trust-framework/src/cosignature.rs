//! Witness cosignatures (C2SP `tlog-cosignature`, `cosignature/v1` with Ed25519) and the
//! quorum a verifier requires of them before it accepts a checkpoint (C2SP `tlog-policy`
//! style: which witnesses, how many).
//!
//! A cosignature is a note signature line on a checkpoint: `— <name> base64(key ID ||
//! timestamp || signature)`, the key ID `SHA-256(<name> || "\n" || 0x04 || key)[:4]`, the
//! timestamp a big-endian `u64`, and the Ed25519 signature over `cosignature/v1\n`,
//! `time <timestamp>\n` and the checkpoint's whole note body. It says: as of that time,
//! this is the largest consistent tree the witness has seen for that log.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use credentials::keys::{Algorithm, KeyKind, PublicKey, Signer};
use sha2::{Digest, Sha256};

use crate::note::{self, NoteError};

/// The signature type of `cosignature/v1` Ed25519 keys.
pub const COSIGNATURE_V1: u8 = 0x04;

/// A witness's cosigning key: its name and Ed25519 public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosignerKey {
    name: String,
    public: PublicKey,
}

/// Why a cosigner key, a cosignature or a quorum is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CosignatureError {
    /// Not a `name+id+base64(0x04 || key)` verifier key.
    #[error("not a cosignature/v1 verifier key: {0}")]
    BadKey(&'static str),
    /// The note is malformed.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// Signing failed.
    #[error("cosigning failed: {0}")]
    Signing(String),
    /// Fewer trusted witnesses cosigned than the policy asks.
    #[error("{got} of the {need} witness cosignatures the policy requires")]
    Quorum {
        /// Valid cosignatures by distinct trusted witnesses.
        got: usize,
        /// The quorum.
        need: usize,
    },
}

impl CosignerKey {
    /// A cosigner `name` with an Ed25519 public key.
    pub fn new(name: &str, public: &PublicKey) -> Result<Self, CosignatureError> {
        if name.is_empty() || name.contains(char::is_whitespace) || name.contains('+') {
            return Err(CosignatureError::BadKey("bad name"));
        }
        if public.kind() != KeyKind::Ed25519 {
            return Err(CosignatureError::BadKey("not Ed25519"));
        }
        Ok(CosignerKey {
            name: name.into(),
            public: public.clone(),
        })
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> [u8; 4] {
        let mut h = Sha256::new();
        h.update(self.name.as_bytes());
        h.update([b'\n', COSIGNATURE_V1]);
        h.update(self.public.as_bytes());
        let d = h.finalize();
        [d[0], d[1], d[2], d[3]]
    }

    /// The verifier key string `<name>+<hex key ID>+<base64(0x04 || key)>`.
    pub fn to_vkey(&self) -> String {
        let id: String = self.key_id().iter().map(|b| format!("{b:02x}")).collect();
        let mut key = vec![COSIGNATURE_V1];
        key.extend_from_slice(self.public.as_bytes());
        format!("{}+{}+{}", self.name, id, STANDARD.encode(key))
    }

    /// Parses a verifier key string, checking its key ID.
    pub fn from_vkey(vkey: &str) -> Result<Self, CosignatureError> {
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(CosignatureError::BadKey("expected name+id+key"));
        };
        let key = STANDARD
            .decode(key)
            .map_err(|_| CosignatureError::BadKey("key is not base64"))?;
        if key.len() != 33 || key[0] != COSIGNATURE_V1 {
            return Err(CosignatureError::BadKey("not a cosignature/v1 Ed25519 key"));
        }
        let public = PublicKey::from_bytes(KeyKind::Ed25519, &key[1..])
            .map_err(|_| CosignatureError::BadKey("bad Ed25519 key"))?;
        let k = CosignerKey::new(name, &public)?;
        let want: String = k.key_id().iter().map(|b| format!("{b:02x}")).collect();
        if id != want {
            return Err(CosignatureError::BadKey("key ID does not match the key"));
        }
        Ok(k)
    }
}

/// The message a `cosignature/v1` signs: the two header lines and the note body.
pub fn signed_message(timestamp: u64, body: &str) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{body}")
}

/// A cosignature line (`— name base64(...)\n`) by `signer` named `name` on the checkpoint
/// note body `body` (its text, ending in a newline), at `timestamp`.
pub fn cosign(
    body: &str,
    name: &str,
    signer: &dyn Signer,
    timestamp: u64,
) -> Result<String, CosignatureError> {
    if signer.algorithm() != Algorithm::EdDsa || timestamp > i64::MAX as u64 {
        return Err(CosignatureError::BadKey(
            "an Ed25519 signer and a timestamp below 2^63",
        ));
    }
    let key = CosignerKey::new(name, signer.public_key())?;
    let sig = signer
        .sign(signed_message(timestamp, body).as_bytes())
        .map_err(|e| CosignatureError::Signing(e.to_string()))?;
    let mut blob = key.key_id().to_vec();
    blob.extend_from_slice(&timestamp.to_be_bytes());
    blob.extend_from_slice(&sig);
    Ok(format!("\u{2014} {name} {}\n", STANDARD.encode(blob)))
}

/// The trusted witnesses whose valid cosignatures `note` carries, with their timestamps
/// (each witness once; lines by unknown keys, and invalid ones, are ignored).
pub fn cosigned_by<'k>(
    note: &str,
    witnesses: &'k [CosignerKey],
) -> Result<Vec<(&'k CosignerKey, u64)>, CosignatureError> {
    let (body, sigs) = note::parse(note)?;
    let mut out: Vec<(&CosignerKey, u64)> = Vec::new();
    for s in &sigs {
        let Some(w) = witnesses
            .iter()
            .find(|w| w.name == s.name && w.key_id() == s.key_id)
        else {
            continue;
        };
        if s.signature.len() != 8 + 64 || out.iter().any(|(k, _)| *k == w) {
            continue;
        }
        let ts = u64::from_be_bytes(s.signature[..8].try_into().expect("8 bytes"));
        if w.public
            .verify(
                Algorithm::EdDsa,
                signed_message(ts, body).as_bytes(),
                &s.signature[8..],
            )
            .is_ok()
        {
            out.push((w, ts));
        }
    }
    Ok(out)
}

/// Which witnesses a verifier trusts, and how many of them must have cosigned a
/// checkpoint before it is accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessPolicy {
    /// The trusted witnesses.
    pub witnesses: Vec<CosignerKey>,
    /// How many distinct ones must cosign.
    pub quorum: usize,
}

impl WitnessPolicy {
    /// Whether `note` carries the quorum; the witnesses that cosigned it.
    pub fn check<'a>(&'a self, note: &str) -> Result<Vec<&'a str>, CosignatureError> {
        let by = cosigned_by(note, &self.witnesses)?;
        if by.len() < self.quorum {
            return Err(CosignatureError::Quorum {
                got: by.len(),
                need: self.quorum,
            });
        }
        Ok(by.iter().map(|(k, _)| k.name()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credentials::keys::SoftwareSigner;

    fn key() -> SoftwareSigner {
        SoftwareSigner::generate(Algorithm::EdDsa).unwrap().0
    }

    #[test]
    fn a_cosignature_verifies_for_its_witness_only_and_counts_once() {
        let log = key();
        let body = "example.org/log\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let signed = note::sign(body, "example.org/log", &log).unwrap();
        let (w1, w2, w3) = (key(), key(), key());
        let line1 = cosign(body, "w1.example", &w1, 1_700_000_000).unwrap();
        let line2 = cosign(body, "w2.example", &w2, 1_700_000_001).unwrap();
        let note = format!("{signed}{line1}{line1}{line2}");
        let keys = [
            CosignerKey::new("w1.example", w1.public_key()).unwrap(),
            CosignerKey::new("w2.example", w2.public_key()).unwrap(),
            CosignerKey::new("w3.example", w3.public_key()).unwrap(),
        ];
        let by = cosigned_by(&note, &keys).unwrap();
        assert_eq!(by.len(), 2, "the repeated line counts once");
        assert_eq!(by[0].1, 1_700_000_000);
        let policy = WitnessPolicy {
            witnesses: keys.to_vec(),
            quorum: 2,
        };
        assert_eq!(policy.check(&note).unwrap(), ["w1.example", "w2.example"]);
        let three = WitnessPolicy {
            quorum: 3,
            ..policy
        };
        assert_eq!(
            three.check(&note),
            Err(CosignatureError::Quorum { got: 2, need: 3 })
        );
        // A cosignature on another body does not count.
        let other = "example.org/log\n4\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let wrong = cosign(other, "w3.example", &w3, 1).unwrap();
        assert_eq!(
            cosigned_by(&format!("{signed}{wrong}"), &keys)
                .unwrap()
                .len(),
            0
        );
        // The log's key is still trusted by log clients beside the cosignatures.
        let log_key = note::NoteKey::new("example.org/log", log.public_key()).unwrap();
        assert!(note::open(&note, &[log_key]).is_ok());
        // Verifier keys round trip.
        assert_eq!(CosignerKey::from_vkey(&keys[0].to_vkey()).unwrap(), keys[0]);
    }
}
