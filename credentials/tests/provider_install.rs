//! The process-wide provider is installed once, before first use, and every operation that
//! is not handed a provider then runs on it (one test binary: the choice is per process).

use credentials::keys::provider;
use credentials::keys::{Algorithm, SoftwareSigner};

#[test]
fn the_installed_provider_serves_every_default_operation_and_cannot_be_swapped() {
    let pure = provider::by_name("rustcrypto").expect("the dev build has the pure-Rust provider");
    provider::install_default(pure).expect("nothing used a provider before");
    assert_eq!(provider::default().name(), "rustcrypto");
    // A second installation is refused and names the provider in use.
    let fast = provider::by_name("aws-lc-rs").expect("the default provider is built in");
    let refused = provider::install_default(fast).unwrap_err();
    assert_eq!(refused.name(), "rustcrypto");
    // Keys generated and signed through the defaults verify on the other backend.
    let (signer, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    use credentials::keys::Signer as _;
    let sig = signer.sign(b"m").unwrap();
    signer
        .public_key()
        .verify_with(fast, Algorithm::Es256, b"m", &sig)
        .unwrap();
    assert_eq!(provider::builtin().name(), "aws-lc-rs");
}
