//! Bearer tokens for the write API: the scheme operator's and one per certifying body,
//! compared in constant time.

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use trust_framework::events::{Actor, ActorRole};

/// The tokens this registry accepts.
#[derive(Clone, Default)]
pub struct Tokens {
    /// (actor, SHA-256 of the token)
    entries: Vec<(Actor, [u8; 32])>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({} actors)", self.entries.len())
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.trim().as_bytes()).into()
}

impl Tokens {
    /// Tokens with the scheme operator's token.
    pub fn new(operator_id: &str, operator_token: &str) -> Self {
        let mut t = Tokens::default();
        t.entries.push((
            Actor {
                role: ActorRole::SchemeOperator,
                id: operator_id.into(),
            },
            digest(operator_token),
        ));
        t
    }

    /// Adds a certifying body's token.
    pub fn with_cab(mut self, cab_id: &str, token: &str) -> Self {
        self.entries.push((
            Actor {
                role: ActorRole::CertifyingBody,
                id: cab_id.into(),
            },
            digest(token),
        ));
        self
    }

    /// Parses a CAB token file: one `<cab-id> <token>` per line, `#` comments.
    pub fn with_cab_file(mut self, text: &str) -> Self {
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            if let Some((id, token)) = line.split_once(char::is_whitespace) {
                self = self.with_cab(id, token.trim());
            }
        }
        self
    }

    /// The actor whose token the request bears; every token is compared, in constant time.
    pub fn authenticate(&self, headers: &HeaderMap) -> Option<Actor> {
        let presented = headers
            .get("authorization")?
            .to_str()
            .ok()?
            .strip_prefix("Bearer ")?;
        let d = digest(presented);
        let mut found = None;
        for (actor, expected) in &self.entries {
            if bool::from(expected.ct_eq(&d)) {
                found = Some(actor.clone());
            }
        }
        found
    }
}
