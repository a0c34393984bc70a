#!/usr/bin/env bash
# Regenerates the README's walkthrough pictures (docs/screenshots/) from the real journey in
# headless Chromium: `vouch up`, the wallet accepts the offer, consent, the employer's check
# passes, the provider is suspended, the next check fails. The PNGs are quantised with
# pngquant (Debian's pngquant) to stay small.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vouch-target}"
command -v pngquant >/dev/null || apt-get install -y pngquant
shots="$(mktemp -d)"
trap 'rm -rf "$shots"' EXIT
VOUCH_E2E_SCREENSHOTS="$shots" cargo test -p vouch --test up_journey whole_journey_in_headless_chromium
out=docs/screenshots
mkdir -p "$out"
q() { pngquant --force --quality=40-80 --speed 1 --strip 32 --output "$out/$2" "$shots/$1"; }
q wallet.png 1-wallet-credentials.png
q consent-1.png 2-consent.png
q outcome-passed.png 3-check-passed.png
q outcome-failed.png 4-check-failed-suspended.png
q activity.png 5-activity-log.png
ls -l "$out"
