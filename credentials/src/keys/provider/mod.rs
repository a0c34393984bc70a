//! The crypto seam: what a backend must provide to sign and verify.
//!
//! Modelled on rustls's `CryptoProvider`: `aws-lc-rs` is the default (about four times
//! faster ES256 verification here), and the pure-Rust `p256` / `p384` / `ed25519-dalek`
//! provider sits behind the same trait. Both are tested on the same vectors.

#[cfg(feature = "aws-lc")]
mod aws_lc;
#[cfg(feature = "rustcrypto")]
mod rust_crypto;

#[cfg(not(any(feature = "aws-lc", feature = "rustcrypto")))]
compile_error!("enable at least one crypto provider: feature \"aws-lc\" or \"rustcrypto\"");

use super::{HashAlg, KeyError, KeyKind, PublicKey, SecretKey};

/// A private key made ready for repeated signing (parsed once).
pub trait PreparedSigningKey: Send + Sync {
    /// Signs `message`, returning raw `r || s` (ECDSA) or the 64-byte Ed25519 signature.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
}

/// A crypto backend.
pub trait CryptoProvider: Send + Sync + std::fmt::Debug {
    /// A short name for reports and benchmarks.
    fn name(&self) -> &'static str;
    /// Generates a fresh private key.
    fn generate(&self, kind: KeyKind) -> Result<SecretKey, KeyError>;
    /// Parses a private key for signing; fails if the public half does not match.
    fn prepare_signing_key(&self, key: &SecretKey)
        -> Result<Box<dyn PreparedSigningKey>, KeyError>;
    /// Verifies a raw `r || s` ECDSA signature (message hashed with `hash`) or an Ed25519 one.
    fn verify(
        &self,
        key: &PublicKey,
        hash: HashAlg,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), KeyError>;
    /// Hashes `data` with `alg`: digests over received bytes (mdoc element digests, SD-JWT
    /// Disclosures, certificate fingerprints) go through the same backend as signatures.
    fn hash(&self, alg: HashAlg, data: &[u8]) -> Vec<u8>;
    /// Fills `out` with cryptographically secure random bytes.
    fn fill_random(&self, out: &mut [u8]) -> Result<(), KeyError>;
    /// The public key of an EC private scalar (P-256, P-384).
    fn ec_public_key(&self, kind: KeyKind, scalar: &[u8]) -> Result<PublicKey, KeyError>;
    /// ECDH (P-256, P-384): the shared secret, the x-coordinate of `secret * peer`.
    fn ecdh(
        &self,
        secret: &SecretKey,
        peer: &PublicKey,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, KeyError>;
}

static INSTALLED: std::sync::OnceLock<&'static dyn CryptoProvider> = std::sync::OnceLock::new();

/// The process's provider: the one [`install_default`] installed, else [`builtin`].
///
/// Like rustls's `CryptoProvider::get_default`: a process picks its backend once, at start,
/// and every operation that is not handed a provider explicitly (key parsing, digests, ECDH,
/// signing with a [`crate::keys::SoftwareSigner`]) uses it.
pub fn default() -> &'static dyn CryptoProvider {
    *INSTALLED.get_or_init(builtin)
}

/// Installs the process's provider. Fails, returning the provider already in use, once
/// [`default`] has been called or a provider installed (a process never switches backend
/// halfway).
pub fn install_default(
    provider: &'static dyn CryptoProvider,
) -> Result<(), &'static dyn CryptoProvider> {
    INSTALLED.set(provider).map_err(|_| default())?;
    Ok(())
}

/// The provider compiled in as the default: aws-lc-rs when built in, the pure-Rust one
/// otherwise.
pub fn builtin() -> &'static dyn CryptoProvider {
    #[cfg(feature = "aws-lc")]
    {
        &aws_lc::AwsLc
    }
    #[cfg(not(feature = "aws-lc"))]
    {
        &rust_crypto::RustCrypto
    }
}

/// A provider compiled in, by its [`CryptoProvider::name`] (`aws-lc-rs`, `rustcrypto`).
pub fn by_name(name: &str) -> Option<&'static dyn CryptoProvider> {
    all().into_iter().find(|p| p.name() == name)
}

/// Every provider compiled in (tests run the same vectors through each).
pub fn all() -> Vec<&'static dyn CryptoProvider> {
    let providers: [Option<&'static dyn CryptoProvider>; 2] = [
        #[cfg(feature = "aws-lc")]
        Some(&aws_lc::AwsLc),
        #[cfg(not(feature = "aws-lc"))]
        None,
        #[cfg(feature = "rustcrypto")]
        Some(&rust_crypto::RustCrypto),
        #[cfg(not(feature = "rustcrypto"))]
        None,
    ];
    providers.into_iter().flatten().collect()
}

/// Random bytes from the default provider; panics only if the OS has no entropy source.
///
/// Small requests are served from a per-thread block drawn from the provider in one call:
/// issuing one credential takes dozens of salts and identifiers, and each provider call
/// has a fixed cost (aws-lc mixes RDRAND output into every call) far above that of the
/// bytes themselves. Bytes handed out are wiped from the block; the block is drawn afresh
/// in a process whose id changed (a fork never reuses its parent's bytes).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    if N > RANDOM_BLOCK / 4 {
        default()
            .fill_random(&mut out)
            .expect("the operating system's random number generator is unavailable");
    } else {
        RANDOM.with(|block| block.borrow_mut().take(&mut out));
    }
    out
}

/// Size of the per-thread block of [`random_bytes`].
const RANDOM_BLOCK: usize = 1024;

/// Random bytes drawn ahead, handed out once each.
struct RandomBlock {
    bytes: zeroize::Zeroizing<[u8; RANDOM_BLOCK]>,
    /// Bytes before this position were handed out (and wiped).
    used: usize,
    /// The process the block was drawn in.
    pid: u32,
}

impl RandomBlock {
    fn take(&mut self, out: &mut [u8]) {
        let pid = std::process::id();
        if self.used + out.len() > RANDOM_BLOCK || self.pid != pid {
            default()
                .fill_random(&mut self.bytes[..])
                .expect("the operating system's random number generator is unavailable");
            self.used = 0;
            self.pid = pid;
        }
        let end = self.used + out.len();
        out.copy_from_slice(&self.bytes[self.used..end]);
        self.bytes[self.used..end].fill(0);
        self.used = end;
    }
}

thread_local! {
    static RANDOM: std::cell::RefCell<RandomBlock> = std::cell::RefCell::new(RandomBlock {
        bytes: zeroize::Zeroizing::new([0u8; RANDOM_BLOCK]),
        used: RANDOM_BLOCK,
        pid: 0,
    });
}

#[cfg(test)]
mod random_tests {
    use super::*;

    #[test]
    fn pooled_random_bytes_never_repeat_across_refills_and_are_wiped_once_handed_out() {
        // 16-byte draws across many blocks: no two equal, none all zero.
        let mut seen = std::collections::HashSet::new();
        for _ in 0..(RANDOM_BLOCK / 16) * 5 {
            let b = random_bytes::<16>();
            assert_ne!(b, [0u8; 16]);
            assert!(seen.insert(b), "a 128-bit draw repeated");
        }
        RANDOM.with(|block| {
            let block = block.borrow();
            assert!(block.bytes[..block.used].iter().all(|&b| b == 0));
            assert_eq!(block.pid, std::process::id());
        });
        // Large requests bypass the block.
        let big = random_bytes::<512>();
        assert!(big.iter().any(|&b| b != 0));
    }
}
