#!/usr/bin/env bash
# Kotlin and Swift bindings for the wallet apps: builds the wallet-core cdylib and the
# uniffi-bindgen binary (wallet-core/src/bin/uniffi-bindgen.rs), generates both languages in
# library mode and checks that the public API the apps use is there.
#
#   bash scripts/bindings.sh [OUT_DIR]     (default: $CARGO_TARGET_DIR/out/bindings)
#
# Writes OUT_DIR/kotlin/uniffi/wallet_core/wallet_core.kt and OUT_DIR/swift/wallet_core.swift
# (+ wallet_coreFFI.h, wallet_coreFFI.modulemap) beside a copy of the library. Fails when a
# name below is missing from either file, so a renamed FFI item breaks the build here
# before it breaks an app.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vouch-target}"
out="${1:-$CARGO_TARGET_DIR/out/bindings}"
log() { printf 'bindings: %s\n' "$*" >&2; }

# One build for both: the feature only adds uniffi's CLI to the binary.
cargo build -p wallet-core --features bindgen --lib --bin uniffi-bindgen --locked
case "$(uname -s)" in
  Darwin) lib="$CARGO_TARGET_DIR/debug/libwallet_core.dylib" ;;
  *) lib="$CARGO_TARGET_DIR/debug/libwallet_core.so" ;;
esac
[[ -f "$lib" ]] || { log "$lib was not built"; exit 1; }

rm -rf "$out"
mkdir -p "$out"
cp "$lib" "$out/"
for lang in kotlin swift; do
  "$CARGO_TARGET_DIR/debug/uniffi-bindgen" generate --library "$lib" --language "$lang" \
    --out-dir "$out/$lang" --no-format >/dev/null
done

kt="$(find "$out/kotlin" -name 'wallet_core.kt' | head -n1)"
swift="$out/swift/wallet_core.swift"
[[ -n "$kt" && -f "$swift" ]] || { log "no generated Kotlin or Swift file in $out"; exit 1; }

missing=0
expect() { # file, fixed string
  if ! grep -qF -- "$2" "$1"; then
    log "missing in $(basename "$1"): $2"
    missing=1
  fi
}
# Kotlin: classes, the foreign interfaces the app implements, methods in camelCase, errors
# as exceptions.
for s in 'open class WalletHandle' 'fun `open`(' 'fun `openWithPlatform`(' \
  'interface PlatformKeyStore' 'interface PlatformDeviceKeys' 'data class PlatformKey (' \
  'fun `wrap`(' 'fun `unwrap`(' 'fun `createKey`(' 'fun `publicJwk`(' 'fun `sign`(' 'fun `keyAttestation`(' \
  'fun `acceptOffer`(' 'fun `preparePresentation`(' 'fun `respond`(' 'fun `activity`(' \
  'fun `addReaderRoot`(' 'fun `startProximity`(' 'open class ProximityHandle' \
  'fun `qr`(' 'fun `receive`(' 'fun `terminate`(' 'data class FfiProximityRequest (' \
  'data class FfiConsentRequest (' 'sealed class FfiException' 'class ProximityFailed('; do
  expect "$kt" "$s"
done
# Swift: protocols the app conforms to, classes, static constructors, structs, the error.
for s in 'open class WalletHandle' 'public static func `open`(' 'public static func openWithPlatform(' \
  'public protocol PlatformKeyStore' 'public protocol PlatformDeviceKeys' 'public struct PlatformKey' \
  'func wrap(' 'func unwrap(' 'func createKey(' 'func publicJwk(' 'func sign(' 'func keyAttestation(' \
  'open func acceptOffer(' 'open func preparePresentation(' 'open func respond(' \
  'open func addReaderRoot(' 'open func startProximity(' 'open class ProximityHandle' \
  'open func receive(' 'open func terminate(' 'public struct FfiProximityRequest' \
  'public struct FfiConsentRequest' 'public enum FfiError' 'case ProximityFailed('; do
  expect "$swift" "$s"
done
[[ "$missing" == 0 ]] || { log "the generated bindings lack the API above"; exit 1; }
log "Kotlin: $kt"
log "Swift:  $swift"
log "ok"
