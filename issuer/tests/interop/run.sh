#!/usr/bin/env bash
# Interop: an independent OpenID4VCI 1.0 wallet (@openid4vc/openid4vci) completes the
# pre-authorized code flow (tx_code, DPoP, nonce, JWT proofs, notification) against a running
# `vouch issuer serve`; the SD-JWT VC it receives passes `vouch sd-jwt verify`, and the
# metadata validates against specs/openid4vci/credential-issuer-metadata.schema.json.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vouch-target}"
VOUCH="${VOUCH:-$CARGO_TARGET_DIR/debug/vouch}"
[ -x "$VOUCH" ] || (cd "$root" && cargo build -q -p vouch)
bash "$here/setup.sh"

tmp="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

"$VOUCH" issuer serve --listen 127.0.0.1:0 --data-dir "$tmp/data" \
  --database-url "sqlite://$tmp/issuer.db" --status-list-size 4096 > "$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$tmp/serve.log" 2>/dev/null && break
  sleep 0.1
done
url="$(sed -n 's/^vouch issuer listening on \(http:[^ ]*\).*/\1/p' "$tmp/serve.log")"
[ -n "$url" ] || { cat "$tmp/serve.log"; exit 1; }

"$VOUCH" issuer offer --url "$url" --token-file "$tmp/data/admin.token" --subject interop-1 \
  --gpg45-profile M1B --attributes "$here/attributes.json" \
  --config pid_sd_jwt --config right_to_work_sd_jwt --config mdl_mdoc > "$tmp/offer.json"
field() { node -e "const v=JSON.parse(require('fs').readFileSync(process.argv[1],'utf8'));console.log(eval('v'+process.argv[2])??'')" "$1" "$2"; }
offer_url="$(field "$tmp/offer.json" '.offer_url')"
tx_code="$(field "$tmp/offer.json" '.tx_code')"

(cd "$here" && node client.mjs "$offer_url" "$tx_code") > "$tmp/result.json"
echo "ok: @openid4vc/openid4vci completed the pre-authorized flow (tx_code, DPoP, nonce, proofs)"

curl -sf "$url/.well-known/jwt-vc-issuer" > "$tmp/jwt-vc-issuer.json" 2>/dev/null \
  || node -e "fetch(process.argv[1]).then(r=>r.text()).then(t=>process.stdout.write(t))" "$url/.well-known/jwt-vc-issuer" > "$tmp/jwt-vc-issuer.json"
node -e "const m=JSON.parse(require('fs').readFileSync(process.argv[1],'utf8'));console.log(JSON.stringify(m.jwks.keys[0]))" "$tmp/jwt-vc-issuer.json" > "$tmp/issuer.pub.jwk"
for id in pid_sd_jwt right_to_work_sd_jwt; do
  field "$tmp/result.json" ".credentials.$id" > "$tmp/$id.txt"
  "$VOUCH" sd-jwt verify --issuer-key "$tmp/issuer.pub.jwk" < "$tmp/$id.txt" > "$tmp/$id.report.json"
  echo "ok: $id received by the independent wallet passes vouch sd-jwt verify"
done
[ -n "$(field "$tmp/result.json" '.credentials.mdl_mdoc')" ]
echo "ok: mdl_mdoc received by the independent wallet"

node -e "fetch(process.argv[1]).then(r=>r.text()).then(t=>process.stdout.write(t))" \
  "$url/.well-known/openid-credential-issuer" > "$tmp/metadata.json"
python3 "$root/specs/openid4vci/validate.py" "$tmp/metadata.json"
