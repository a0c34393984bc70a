#!/usr/bin/env bash
# Installs the independent OpenID4VCI client (@openid4vc/openid4vci, pinned in package-lock.json).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/@openid4vc/openid4vci ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
