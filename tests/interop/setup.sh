#!/usr/bin/env bash
# Install the two SD-JWT VC peers for the interop harness (idempotent).
#   Python: sd-jwt==0.10.4 (+ pinned deps) into tests/interop/.venv, or into $VOUCH_PY_VENV.
#   Node:   npm ci of tests/interop/node/package-lock.json (@sd-jwt/*@0.19.0).
# A stamp (hash of the pin file) beside each install makes a warm run a no-op. Cold runs try the
# local caches first (a wheelhouse under ~/.cache/vouch-interop and npm's own cache) so a repeat
# install works without the network; they fall back to the registries.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${VOUCH_PY_VENV:-$here/.venv}"
req="$here/python/requirements.txt"
node_dir="$here/node"
wheels="${VOUCH_INTEROP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vouch-interop}/wheels"
python="${PYTHON:-python3}"

log() { printf 'setup: %s\n' "$*" >&2; }
hash_of() { sha256sum "$@" | sha256sum | cut -c1-16; }

# ---------------------------------------------------------------- Python peer
py_stamp_want="$(hash_of "$req")-$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
py_stamp="$venv/.vouch-interop-stamp"
if [[ -f "$py_stamp" && "$(cat "$py_stamp")" == "$py_stamp_want" ]] \
   && "$venv/bin/python" -c 'import sd_jwt, jwcrypto' 2>/dev/null; then
  log "python peer up to date ($venv)"
else
  log "installing python peer into $venv"
  [[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
  pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
  if ! "${pip[@]}" install --no-index --find-links "$wheels" -r "$req" 2>/dev/null; then
    mkdir -p "$wheels"
    "${pip[@]}" download --only-binary=:all: --dest "$wheels" -r "$req"
    "${pip[@]}" install --no-index --find-links "$wheels" -r "$req"
  fi
  "$venv/bin/python" -c 'import sd_jwt, jwcrypto'
  printf '%s\n' "$py_stamp_want" > "$py_stamp"
fi

# ---------------------------------------------------------------- Node peer
command -v npm >/dev/null || { log "npm not found"; exit 1; }
node_stamp_want="$(hash_of "$node_dir/package.json" "$node_dir/package-lock.json")-$(node --version)"
node_stamp="$node_dir/node_modules/.vouch-interop-stamp"
if [[ -f "$node_stamp" && "$(cat "$node_stamp")" == "$node_stamp_want" ]]; then
  log "node peer up to date ($node_dir/node_modules)"
else
  log "npm ci in $node_dir"
  npm_flags=(--no-audit --no-fund --loglevel=error)
  if ! (cd "$node_dir" && npm ci --offline "${npm_flags[@]}" >/dev/null 2>&1); then
    (cd "$node_dir" && npm ci --prefer-offline "${npm_flags[@]}" >/dev/null)
  fi
  (cd "$node_dir" && node -e 'import("@sd-jwt/sd-jwt-vc").then(() => import("@sd-jwt/crypto-nodejs"))')
  printf '%s\n' "$node_stamp_want" > "$node_stamp"
fi
log "ok"
