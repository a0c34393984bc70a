//! C2SP tlog checkpoints (<https://c2sp.org/tlog-checkpoint>): the signed tree head.
//!
//! The note text is `<origin>\n<tree size>\n<base64 root hash>\n`; the log key's name is the
//! origin.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use credentials::keys::Signer;

use crate::merkle::Hash;
use crate::note::{self, NoteError, NoteKey};

/// A tree head: which log, how many entries, and the RFC 9162 root of those entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line (its unique name).
    pub origin: String,
    /// The number of entries.
    pub size: u64,
    /// The Merkle root of the first `size` entries.
    pub root: Hash,
}

/// Why a checkpoint was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The note is not signed by a trusted log key, or is malformed.
    #[error("checkpoint note: {0}")]
    Note(#[from] NoteError),
    /// The note text is not a checkpoint body.
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    /// The checkpoint names another log.
    #[error("the checkpoint is for log \"{found}\", not \"{expected}\"")]
    WrongOrigin {
        /// The origin expected.
        expected: String,
        /// The origin found.
        found: String,
    },
}

impl Checkpoint {
    /// The note text of this checkpoint.
    pub fn to_text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        )
    }

    /// Parses a checkpoint body (the note text, extension lines ignored).
    pub fn parse_text(text: &str) -> Result<Self, CheckpointError> {
        let mut lines = text.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or(CheckpointError::Malformed("empty origin"))?;
        let size = lines
            .next()
            .ok_or(CheckpointError::Malformed("no tree size"))?;
        if size.is_empty()
            || (size.len() > 1 && size.starts_with('0'))
            || !size.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(CheckpointError::Malformed(
                "tree size is not a decimal number",
            ));
        }
        let size = size
            .parse()
            .map_err(|_| CheckpointError::Malformed("tree size is too large"))?;
        let root = lines
            .next()
            .and_then(|r| STANDARD.decode(r).ok())
            .and_then(|r| <Hash>::try_from(r.as_slice()).ok())
            .ok_or(CheckpointError::Malformed(
                "root hash is not 32 bytes of base64",
            ))?;
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        })
    }

    /// Signs this checkpoint with the log key (Ed25519), named after the origin.
    pub fn sign(&self, signer: &dyn Signer) -> Result<String, CheckpointError> {
        Ok(note::sign(&self.to_text(), &self.origin, signer)?)
    }

    /// Verifies a signed checkpoint against trusted log keys and parses it.
    pub fn open(signed: &str, trusted: &[NoteKey]) -> Result<Self, CheckpointError> {
        let (text, key) = note::open(signed, trusted)?;
        let cp = Self::parse_text(&text)?;
        if cp.origin != key.name() {
            return Err(CheckpointError::WrongOrigin {
                expected: key.name().to_string(),
                found: cp.origin,
            });
        }
        Ok(cp)
    }

    /// Parses a signed checkpoint without checking its signature (for display only).
    pub fn parse_unverified(signed: &str) -> Result<Self, CheckpointError> {
        let (text, _) = note::parse(signed)?;
        Self::parse_text(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credentials::keys::{Algorithm, SoftwareSigner};

    #[test]
    fn signs_parses_and_refuses_another_origin() {
        let s = SoftwareSigner::generate(Algorithm::EdDsa).unwrap().0;
        let cp = Checkpoint {
            origin: "vouch.example/log".into(),
            size: 42,
            root: [7; 32],
        };
        let signed = cp.sign(&s).unwrap();
        assert!(signed.starts_with("vouch.example/log\n42\nBwcH"));
        let key = NoteKey::new("vouch.example/log", s.public_key()).unwrap();
        assert_eq!(Checkpoint::open(&signed, &[key]).unwrap(), cp);
        assert!(matches!(
            Checkpoint::parse_text("o\n042\nAA==\n"),
            Err(CheckpointError::Malformed(_))
        ));
    }
}
