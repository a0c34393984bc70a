#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time (seconds per target, default 30),
# seeded from the vectors and the negative corpus. Needs the nightly toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vouch-target}"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --version 0.12.0
fi
if ! rustup toolchain list | grep nightly >/dev/null; then rustup toolchain install nightly --profile minimal; fi

seed_dir() {
  local target="$1" dir="fuzz/corpus/$1"
  mkdir -p "$dir"
  case "$target" in
    sd_jwt|jws)
      find credentials/tests/negative/cases -type f -exec cp -n {} "$dir/" \; 2>/dev/null || true
      if [ -d "${VOUCH_VECTORS:-../shared/vectors}/sd-jwt" ]; then
        while read -r f; do
          cp -n "$f" "$dir/$(echo "$f" | md5sum | cut -c1-12).txt"
        done < <(find "${VOUCH_VECTORS:-../shared/vectors}/sd-jwt" -name 'sd_jwt_presentation.txt')
      fi
      ;;
    mdoc)
      find credentials/tests/mdoc_negative/cases -type f -exec cp -n {} "$dir/" \; 2>/dev/null || true
      if [ -d "${VOUCH_VECTORS:-../shared/vectors}/iso18013-5" ]; then
        while read -r f; do
          cp -n "$f" "$dir/$(echo "$f" | md5sum | cut -c1-12).cbor"
        done < <(find "${VOUCH_VECTORS:-../shared/vectors}/iso18013-5" -name '*.cbor')
      fi
      ;;
    w3c)
      find credentials/tests/fixtures/w3c-di tests/interop-w3c/fixtures -type f -name '*.json' \
        -exec cp -n {} "$dir/" \; 2>/dev/null || true
      if [ -d "${VOUCH_VECTORS:-../shared/vectors}/sd-jwt/w3c-vc-jose-cose-sdjwt" ]; then
        cp -n "${VOUCH_VECTORS:-../shared/vectors}"/sd-jwt/w3c-vc-jose-cose-sdjwt/*.txt "$dir/" 2>/dev/null || true
      fi
      ;;
    oid4vp)
      find specs/dcql -type f -name '*.json' -exec sh -c 'cp -n "$1" "$2/$(echo "$1" | md5sum | cut -c1-12).json"' _ {} "$dir" \; 2>/dev/null || true
      ;;
  esac
}

for target in $(cd fuzz && cargo +nightly fuzz list); do
  seed_dir "$target"
  echo "fuzzing $target for ${seconds}s"
  (cd fuzz && cargo +nightly fuzz run "$target" "corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 2>&1 | tail -n 12)
done
