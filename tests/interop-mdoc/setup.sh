#!/usr/bin/env bash
# Install the two ISO 18013-5 mdoc peers for the interop harness (idempotent):
#   npm ci of tests/interop-mdoc/package-lock.json (@auth0/mdl 3.0.1, @owf/mdoc 0.6.0,
#   @peculiar/x509 1.14.3 for the test PKI), only when node_modules is missing or the
#   package.json / package-lock.json / node version changed (a stamp records the last install).
# A cold install tries npm's own cache first (--offline), then the registry (--prefer-offline).
# cbor-x's optional native accelerator (cbor-extract) needs an install script that npm 11 does not
# run unless approved; cbor-x then uses its pure-JS path, which is all the harness needs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf 'setup: %s\n' "$*" >&2; }
command -v node >/dev/null || { log "node not found"; exit 1; }
command -v npm >/dev/null || { log "npm not found"; exit 1; }

want="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)-$(node --version)"
stamp="$here/node_modules/.vouch-interop-mdoc-stamp"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  log "mdoc peers up to date ($here/node_modules)"
  exit 0
fi

log "npm ci in $here"
flags=(--no-audit --no-fund --loglevel=error)
if ! (cd "$here" && npm ci --offline "${flags[@]}" >/dev/null 2>&1); then
  (cd "$here" && npm ci --prefer-offline "${flags[@]}" >/dev/null)
fi
# Smoke test: both libraries load (in separate processes: they share cbor-x's global tag table).
(cd "$here" && node -e 'require("@auth0/mdl"); require("@peculiar/x509")' && node --input-type=module -e 'await import("@owf/mdoc")')
printf '%s\n' "$want" > "$stamp"
log "ok"
