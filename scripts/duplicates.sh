#!/usr/bin/env bash
# No block of more than 12 lines duplicated in the source outside tests: jscpd, pinned, over
# every crate's src/ (tests, benches, examples, fuzz targets and generated code left out).
# Fails (exit 1) on any clone and lists it. jscpd is installed once into a cache folder.
#
#   bash scripts/duplicates.sh
set -euo pipefail
cd "$(dirname "$0")/.."
version=4.0.5
tools="${VOUCH_TOOLS_DIR:-$HOME/.cache/vouch-tools}/jscpd-$version"
if [ ! -x "$tools/node_modules/.bin/jscpd" ]; then
  mkdir -p "$tools"
  (cd "$tools" && npm install --no-audit --no-fund --silent "jscpd@$version" >/dev/null)
fi
dirs=()
for d in */src; do
  case "$d" in fuzz/*) continue ;; esac
  dirs+=("$d")
done
exec "$tools/node_modules/.bin/jscpd" --min-lines 13 --min-tokens 60 --format rust \
  --reporters console --threshold 0 --exitCode 1 --noSymlinks \
  --ignore "**/tests/**,**/benches/**,**/examples/**,**/node_modules/**" "${dirs[@]}"
