#!/usr/bin/env bash
# Installs the npm test peers (idempotent): one `npm ci` of tests/package-lock.json into
# tests/node_modules, which every node script under tests/ resolves its imports from:
#   sd-jwt-js (@sd-jwt/* 0.19.0)                 tests/interop/node/peer.mjs
#   dcql 3.0.0                                   tests/interop-dcql/oracle.mjs
#   @auth0/mdl 3.0.1, @owf/mdoc 0.6.0,
#   @peculiar/x509 1.14.3                        tests/interop-mdoc/{peer,tool}.mjs
#   @digitalbazaar/vc 7.3.0 + rdfc/jcs suites    tests/interop-w3c/peer.mjs
#   @openid4vc/openid4vp 0.4.6, dcql, jose 6     tests/interop-oid4vp/verifier.mjs
#   @openid4vc/openid4vci 0.4.6                  tests/interop-oid4vci/client.mjs
#   playwright-core 1.65.1 (downloads no browser: Debian's /usr/bin/chromium is driven),
#   axe-core 4.14.1 (WCAG 2.2 AA checks of every page the browser tests visit)
#                                                tests/e2e/{journey,employer}.mjs
#
# A stamp (hash of tests/package.json, tests/package-lock.json and the node version) makes a
# warm run a no-op. A cold run tries npm's own cache first (--offline), then the registry
# (--prefer-offline). Runs are serialised with flock, so tests may call this concurrently.
# cbor-x's optional native accelerator (cbor-extract) needs an install script that npm 11 does
# not run unless approved; cbor-x then uses its pure-JS path, which is all the peers need.
#
#   bash scripts/setup-peers.sh      # prints where the peers are on stderr; exit 1 on failure
set -euo pipefail

pkg="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests" && pwd)"
log() { printf 'setup-peers: %s\n' "$*" >&2; }
command -v node >/dev/null || { log "node not found"; exit 1; }
command -v npm >/dev/null || { log "npm not found"; exit 1; }

# One install at a time (a second caller waits, then finds the stamp current).
if command -v flock >/dev/null; then
  exec 9<"${BASH_SOURCE[0]}"
  flock 9
fi

want="$(cat "$pkg/package.json" "$pkg/package-lock.json" | sha256sum | cut -c1-16)-$(node --version)"
stamp="$pkg/node_modules/.vouch-peers-stamp"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  log "npm test peers up to date ($pkg/node_modules)"
  exit 0
fi

log "npm ci in $pkg"
flags=(--no-audit --no-fund --loglevel=error)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if ! (cd "$pkg" && npm ci --offline "${flags[@]}" >/dev/null 2>&1); then
  (cd "$pkg" && npm ci --prefer-offline "${flags[@]}" >/dev/null)
fi

# Smoke test: every peer library loads and exposes what the scripts use. @auth0/mdl and
# @owf/mdoc load in separate processes: they share cbor-x's global tag table.
(
  cd "$pkg"
  node -e 'require("@auth0/mdl"); require("@peculiar/x509")'
  node --input-type=module -e '
    await import("@owf/mdoc")
    await import("@sd-jwt/sd-jwt-vc"); await import("@sd-jwt/crypto-nodejs")
    const dcql = await import("dcql")
    for (const f of ["parse", "validate", "query"])
      if (typeof dcql.DcqlQuery[f] !== "function") throw new Error("dcql: DcqlQuery." + f + " missing")
    if (typeof dcql.DcqlPresentationResult.fromDcqlPresentation !== "function")
      throw new Error("dcql: fromDcqlPresentation missing")
    await import("@digitalbazaar/vc")
    await import("@digitalbazaar/eddsa-rdfc-2022-cryptosuite")
    await import("@digitalbazaar/ecdsa-rdfc-2019-cryptosuite")
    await import("@openid4vc/openid4vp"); await import("@openid4vc/openid4vci"); await import("jose")
    const pw = await import("playwright-core")
    if (!pw.chromium) throw new Error("playwright-core: no chromium")
  '
)
printf '%s\n' "$want" > "$stamp"
log "ok ($pkg/node_modules)"
