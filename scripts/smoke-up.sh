#!/usr/bin/env bash
# The README's run command, exactly as written, on free ports in a fresh directory: it must
# come up, seed the scheme (ready.json), answer on every service, and stop on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vouch-target}"
work="$(mktemp -d)"
base="${VOUCH_SMOKE_PORT:-7370}"
cargo build --release -p vouch --locked
repo="$(pwd)"
(cd "$work" && exec cargo run --manifest-path "$repo/Cargo.toml" --release -q -p vouch -- up --base-port "$base" > up.log 2>&1) &
pid=$!
cleanup() { kill -INT "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 240); do
  [ -f "$work/vouch-data/ready.json" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/up.log"; echo "smoke-up: vouch up exited early" >&2; exit 1; }
  sleep 0.5
done
[ -f "$work/vouch-data/ready.json" ] || { cat "$work/up.log"; echo "smoke-up: not ready in 120 s" >&2; exit 1; }
for port in "$base" "$((base + 1))" "$((base + 2))" "$((base + 3))"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" || true)
  case "$code" in
    2*|3*|404) ;;
    *) cat "$work/up.log"; echo "smoke-up: nothing answers on port $port (HTTP $code)" >&2; exit 1 ;;
  esac
done
kill -INT "$pid"
wait "$pid" && echo "smoke-up: vouch up came up on $base..$((base + 3)), seeded, and stopped cleanly"
trap 'rm -rf "$work"' EXIT
