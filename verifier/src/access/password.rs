//! Members' passwords: Argon2id with the OWASP-recommended cost (19 MiB, 2 passes, one
//! lane: the `argon2` crate's default), stored in PHC string form with a random salt.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// The shortest password accepted (NCSC: length over complexity rules).
pub const MIN_LENGTH: usize = 12;

/// The longest password accepted (bounds the hashing work one request can cause).
pub const MAX_LENGTH: usize = 256;

/// Why a new password is refused, in words for the form.
pub fn refusal(password: &str, confirmation: &str) -> Option<&'static str> {
    let n = password.chars().count();
    if n < MIN_LENGTH {
        Some("Enter a password of at least 12 characters")
    } else if n > MAX_LENGTH {
        Some("Enter a password of at most 256 characters")
    } else if password != confirmation {
        Some("Enter the same password twice")
    } else {
        None
    }
}

/// The PHC string of `password` under a fresh salt.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::encode_b64(&credentials::keys::provider::random_bytes::<16>())?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches the stored PHC string (false for a malformed one).
pub fn verify(password: &str, phc: &str) -> bool {
    password.len() <= MAX_LENGTH * 4
        && PasswordHash::new(phc).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
}

/// How many password hashes run at once (each takes 19 MiB and tens of milliseconds of one
/// core): more wait, up to [`WAIT`], then are refused, so sign-ins can neither starve the
/// server's async workers nor queue without end.
pub const CONCURRENT: usize = 2;

/// How long a sign-in waits for a turn to hash.
pub const WAIT: std::time::Duration = std::time::Duration::from_secs(3);

static TURNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT);

/// Too many sign-ins at once: try again shortly (503).
#[derive(Debug, thiserror::Error)]
#[error("too many sign-ins at once; try again in a moment")]
pub struct Busy;

/// Runs `work` (a hash or a verification) on the blocking pool, one of at most
/// [`CONCURRENT`]; [`Busy`] when no turn came within [`WAIT`].
async fn in_turn<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, Busy> {
    let permit = tokio::time::timeout(WAIT, TURNS.acquire())
        .await
        .map_err(|_| Busy)?
        .map_err(|_| Busy)?;
    let out = tokio::task::spawn_blocking(work).await.map_err(|_| Busy)?;
    drop(permit);
    Ok(out)
}

/// [`verify`] off the async workers, in turn.
pub async fn verify_in_turn(password: String, phc: String) -> Result<bool, Busy> {
    in_turn(move || verify(&password, &phc)).await
}

/// [`hash`] off the async workers, in turn.
pub async fn hash_in_turn(
    password: String,
) -> Result<Result<String, argon2::password_hash::Error>, Busy> {
    in_turn(move || hash(&password)).await
}

/// A hash to verify against when no member has the email given, so that a wrong email
/// costs the same time as a wrong password.
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash("no member has this password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterz", &h));
        assert!(!verify("correct horse battery", "not a hash"));
        assert_ne!(h, hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn short_long_and_mismatched_passwords_are_refused() {
        assert!(refusal("short", "short").is_some());
        assert!(refusal(&"a".repeat(300), &"a".repeat(300)).is_some());
        assert!(refusal("twelve chars!", "twelve chars?").is_some());
        assert_eq!(refusal("twelve chars!", "twelve chars!"), None);
    }
}
