#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time (seconds per target, default 30),
# seeded from the in-repository vectors and the negative corpus. Runs on the stable toolchain
# (RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z flags: no nightly can be downloaded here).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vouch-target}"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --version 0.12.0
fi
export RUSTC_BOOTSTRAP=1

seed_dir() {
  local target="$1" dir="fuzz/corpus/$1"
  mkdir -p "$dir"
  case "$target" in
    sd_jwt|jws)
      find credentials/tests/negative/cases -type f -exec cp -n {} "$dir/" \; 2>/dev/null || true
      if [ -d "tests/vectors/sd-jwt" ]; then
        while read -r f; do
          cp -n "$f" "$dir/$(echo "$f" | md5sum | cut -c1-12).txt"
        done < <(find "tests/vectors/sd-jwt" -name 'sd_jwt_presentation.txt')
      fi
      ;;
    mdoc)
      find credentials/tests/mdoc_negative/cases -type f -exec cp -n {} "$dir/" \; 2>/dev/null || true
      if [ -d "tests/vectors/iso18013-5" ]; then
        while read -r f; do
          cp -n "$f" "$dir/$(echo "$f" | md5sum | cut -c1-12).cbor"
        done < <(find "tests/vectors/iso18013-5" -name '*.cbor')
      fi
      ;;
    w3c)
      find credentials/tests/fixtures/w3c-di tests/interop-w3c/fixtures -type f -name '*.json' \
        -exec cp -n {} "$dir/" \; 2>/dev/null || true
      if [ -d "tests/vectors/sd-jwt/w3c-vc-jose-cose-sdjwt" ]; then
        cp -n "tests/vectors"/sd-jwt/w3c-vc-jose-cose-sdjwt/*.txt "$dir/" 2>/dev/null || true
      fi
      ;;
    oid4vp)
      find specs/dcql -type f -name '*.json' -exec sh -c 'cp -n "$1" "$2/$(echo "$1" | md5sum | cut -c1-12).json"' _ {} "$dir" \; 2>/dev/null || true
      ;;
  esac
}

for target in $(cd fuzz && cargo fuzz list); do
  seed_dir "$target"
  echo "fuzzing $target for ${seconds}s"
  (cd fuzz && cargo fuzz run "$target" "corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 2>&1 | tail -n 12)
done
