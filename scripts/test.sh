#!/usr/bin/env bash
# The test command of README.md: every Rust test in the workspace, then the interop matrix
# against independent SD-JWT implementations (Python sd-jwt, npm @sd-jwt/*).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vouch-target}"
export VOUCH_VECTORS="${VOUCH_VECTORS:-$(cd .. && pwd)/shared/vectors}"

cargo build --workspace --locked --bins
cargo test --workspace --locked

# SD-JWT VC: sd-jwt-python and @sd-jwt/* (both directions).
bash tests/interop/setup.sh
VOUCH="$CARGO_TARGET_DIR/debug/vouch" bash tests/interop/run.sh

# DCQL: the expected results in specs/dcql/ still agree with the npm `dcql` oracle.
bash tests/interop-dcql/run.sh

# mdoc: @auth0/mdl and @owf/mdoc (both directions).
bash tests/interop-mdoc/setup.sh
VOUCH="$CARGO_TARGET_DIR/debug/vouch" bash tests/interop-mdoc/run.sh
