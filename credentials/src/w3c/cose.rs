//! VC-JOSE-COSE with COSE (`vc+cose` / `vp+cose`): not implemented yet.
//!
//! Planned: a COSE_Sign1 (via `coset`) whose payload is the credential JSON bytes, protected
//! header `alg`, `typ` (16) `application/vc+cose` and content type (3) `application/vc`.
