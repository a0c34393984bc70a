#!/usr/bin/env bash
# The test command of README.md: what the tests need (scripts/test-env.sh), every Rust test
# in the workspace, then interop with independent implementations: SD-JWT (Python sd-jwt,
# npm @sd-jwt/*), DCQL (npm dcql), mdoc (npm @auth0/mdl, @owf/mdoc), W3C VC Data Integrity
# (npm @digitalbazaar/vc with the rdfc and jcs cryptosuites), OpenID4VCI (npm
# @openid4vc/openid4vci against `vouch issuer serve`).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vouch-target}"
# The PostgreSQL that scripts/test-env.sh starts (tests that need it skip without this URL).
export VOUCH_TEST_DATABASE_URL="${VOUCH_TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/test}"

# Chromium, SoftHSM2, PostgreSQL running, jsonschema, the npm test peers (idempotent).
bash scripts/test-env.sh

cargo build --workspace --locked --bins
cargo test --workspace --locked

# SD-JWT VC: sd-jwt-python and @sd-jwt/* (both directions).
bash tests/interop/setup.sh
VOUCH="$CARGO_TARGET_DIR/debug/vouch" bash tests/interop/run.sh

# DCQL: the expected results in specs/dcql/ still agree with the npm `dcql` oracle.
bash tests/interop-dcql/run.sh

# mdoc: @auth0/mdl and @owf/mdoc (both directions).
VOUCH="$CARGO_TARGET_DIR/debug/vouch" bash tests/interop-mdoc/run.sh

# W3C VC Data Integrity: Digital Bazaar vc + the rdfc and jcs cryptosuites (both directions).
VOUCH="$CARGO_TARGET_DIR/debug/vouch" bash tests/interop-w3c/run.sh

# OpenID4VP: vouch wallet answers an independent verifier (@openid4vc/openid4vp, dcql, @sd-jwt/*).
VOUCH="$CARGO_TARGET_DIR/debug/vouch" bash tests/interop-oid4vp/run.sh

# wallet-core's Kotlin and Swift bindings, checked for the API the apps use.
bash scripts/bindings.sh

# OpenID4VCI: an independent wallet completes the pre-authorized flow against the issuer.
VOUCH="$CARGO_TARGET_DIR/debug/vouch" bash tests/interop-oid4vci/run.sh
