#!/usr/bin/env bash
# Install the independent OpenID4VP verifier for the interop run (idempotent): npm ci of
# tests/interop-oid4vp/package-lock.json (@openid4vc/openid4vp 0.4.6 with @openid4vc/oauth2 and
# @openid4vc/utils 0.4.6, dcql 3.0.0, @sd-jwt/* 0.19.0, jose 6.2.18), only when node_modules is
# missing or package.json / package-lock.json / the node version changed (a stamp records it).
# A cold install tries npm's own cache first (--offline), then the registry (--prefer-offline).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf 'setup: %s\n' "$*" >&2; }
command -v node >/dev/null || { log "node not found"; exit 1; }
command -v npm >/dev/null || { log "npm not found"; exit 1; }

want="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)-$(node --version)"
stamp="$here/node_modules/.vouch-interop-oid4vp-stamp"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  log "OpenID4VP peer up to date ($here/node_modules)"
  exit 0
fi

log "npm ci in $here"
flags=(--no-audit --no-fund --loglevel=error)
if ! (cd "$here" && npm ci --offline "${flags[@]}" >/dev/null 2>&1); then
  (cd "$here" && npm ci --prefer-offline "${flags[@]}" >/dev/null)
fi
(cd "$here" && node --input-type=module -e 'await import("@openid4vc/openid4vp"); await import("dcql"); await import("@sd-jwt/sd-jwt-vc"); await import("jose")')
printf '%s\n' "$want" > "$stamp"
log "ok"
