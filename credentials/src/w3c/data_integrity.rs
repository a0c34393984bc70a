//! Data Integrity proofs with the JCS cryptosuites.
