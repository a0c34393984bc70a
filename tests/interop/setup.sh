#!/usr/bin/env bash
# Install the two SD-JWT VC peers for the interop harness (idempotent).
#   Python: sd-jwt==0.10.4 (+ pinned deps) into tests/interop/.venv, or into $VOUCH_PY_VENV.
#   Node:   the npm test peers (@sd-jwt/*@0.19.0 among them), by scripts/setup-peers.sh.
# A stamp (hash of the pin file) beside the venv makes a warm run a no-op. Cold runs try the
# local wheelhouse first (under ~/.cache/vouch-interop) so a repeat install works without the
# network; they fall back to the registry.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${VOUCH_PY_VENV:-$here/.venv}"
req="$here/python/requirements.txt"
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
# node/peer.mjs is one of the npm test peers of tests/package.json (one install for all).
bash "$here/../../scripts/setup-peers.sh"
log "ok"
