#!/usr/bin/env bash
# Install the W3C VC Data Integrity peer for the interop harness (idempotent): npm ci of
# tests/interop-w3c/package-lock.json (@digitalbazaar/vc 7.3.0, data-integrity 2.5.0,
# eddsa-rdfc-2022-cryptosuite 1.3.0, ecdsa-rdfc-2019-cryptosuite 1.3.0,
# eddsa-jcs-2022-cryptosuite 1.0.0, ecdsa-jcs-2019-cryptosuite 1.0.0, ed25519-multikey
# 1.3.1, ecdsa-multikey 1.8.0 and the context packages), only when node_modules is missing or
# package.json / package-lock.json / the node version changed (a stamp records the last
# install). A cold install tries npm's own cache first (--offline), then the registry.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf 'setup: %s\n' "$*" >&2; }
command -v node >/dev/null || { log "node not found"; exit 1; }
command -v npm >/dev/null || { log "npm not found"; exit 1; }

want="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)-$(node --version)"
stamp="$here/node_modules/.vouch-interop-w3c-stamp"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  log "W3C peer up to date ($here/node_modules)"
  exit 0
fi

log "npm ci in $here"
flags=(--no-audit --no-fund --loglevel=error)
if ! (cd "$here" && npm ci --offline "${flags[@]}" >/dev/null 2>&1); then
  (cd "$here" && npm ci --prefer-offline "${flags[@]}" >/dev/null)
fi
# Smoke test: the libraries load.
(cd "$here" && node --input-type=module -e 'await import("@digitalbazaar/vc"); await import("@digitalbazaar/eddsa-rdfc-2022-cryptosuite"); await import("@digitalbazaar/ecdsa-rdfc-2019-cryptosuite")')
printf '%s\n' "$want" > "$stamp"
log "ok"
