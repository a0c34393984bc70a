#!/usr/bin/env bash
# Install the DCQL oracle (npm "dcql" 3.0.0 + its only dependency valibot 1.2.0) for the
# Vouch DCQL conformance fixtures (specs/dcql/). Idempotent: `npm ci` of tests/interop-dcql/
# package-lock.json runs only when node_modules is missing or package.json / package-lock.json /
# the node version changed (a stamp records the last install); otherwise it returns at once.
# A cold install tries npm's own cache first (--offline), then the registry (--prefer-offline).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf 'setup: %s\n' "$*" >&2; }
command -v node >/dev/null || { log "node not found"; exit 1; }
command -v npm >/dev/null || { log "npm not found"; exit 1; }

want="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)-$(node --version)"
stamp="$here/node_modules/.vouch-interop-dcql-stamp"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  log "dcql oracle up to date ($here/node_modules)"
  exit 0
fi

log "npm ci in $here"
flags=(--no-audit --no-fund --loglevel=error)
if ! (cd "$here" && npm ci --offline "${flags[@]}" >/dev/null 2>&1); then
  (cd "$here" && npm ci --prefer-offline "${flags[@]}" >/dev/null)
fi
# Smoke test: the library loads and exposes the API oracle.mjs uses.
(cd "$here" && node --input-type=module -e '
  const m = await import("dcql");
  for (const f of ["parse", "validate", "query"]) if (typeof m.DcqlQuery[f] !== "function") throw new Error("dcql: DcqlQuery." + f + " missing");
  if (typeof m.DcqlPresentationResult.fromDcqlPresentation !== "function") throw new Error("dcql: fromDcqlPresentation missing");
')
printf '%s\n' "$want" > "$stamp"
log "ok"
