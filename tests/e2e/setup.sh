#!/usr/bin/env bash
# Installs the journey test's driver (idempotent): `npm ci` of package-lock.json here, that is
# playwright-core, which downloads no browser. The browser is Debian's chromium
# (/usr/bin/chromium, installed by .ci/run). A stamp (hash of the pin files and the node
# version) makes a warm run a no-op; a cold run tries npm's cache before the registry.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf 'e2e setup: %s\n' "$*" >&2; }
command -v npm >/dev/null || { log "npm not found"; exit 1; }
want="$(sha256sum "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)-$(node --version)"
stamp="$here/node_modules/.vouch-e2e-stamp"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  log "playwright-core up to date"
  exit 0
fi
flags=(--no-audit --no-fund --loglevel=error)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if ! (cd "$here" && npm ci --offline "${flags[@]}" >/dev/null 2>&1); then
  (cd "$here" && npm ci --prefer-offline "${flags[@]}" >/dev/null)
fi
(cd "$here" && node -e 'import("playwright-core").then(m => { if (!m.chromium) process.exit(1) })')
printf '%s\n' "$want" > "$stamp"
log "ok"
