//! VC-JOSE-COSE with COSE: `vc+cose` / `vp+cose`.
