//! The foreign-language bindings the apps use: the wallet core's cdylib built as an app
//! loads it, and bindings generated from it in uniffi library mode (as
//! `scripts/bindings.sh` makes them).

use std::path::PathBuf;

use camino::Utf8PathBuf;

/// The cdylib beside the test binary (`target/debug/deps/<test>-HASH` ->
/// `target/debug/libwallet_core.so`).
pub fn cdylib() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let name = if cfg!(target_os = "macos") {
        "libwallet_core.dylib"
    } else {
        "libwallet_core.so"
    };
    dir.join(name)
}

/// Builds the cdylib (`cargo test` links the rlib) and generates `generator`'s bindings
/// from it into a fresh folder; returns the folder and the library's path.
pub fn generate<G: uniffi_bindgen::BindingGenerator>(
    generator: &G,
) -> (tempfile::TempDir, PathBuf) {
    let status = std::process::Command::new(env!("CARGO"))
        .args(["build", "-p", "wallet-core", "--lib"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success());
    let lib = cdylib();
    assert!(lib.exists(), "{} not built", lib.display());
    let out = tempfile::tempdir().unwrap();
    uniffi_bindgen::library_mode::generate_bindings(
        &Utf8PathBuf::from_path_buf(lib.clone()).unwrap(),
        None,
        generator,
        &uniffi_bindgen::EmptyCrateConfigSupplier,
        None,
        &Utf8PathBuf::from_path_buf(out.path().to_path_buf()).unwrap(),
        false,
    )
    .unwrap();
    (out, lib)
}
