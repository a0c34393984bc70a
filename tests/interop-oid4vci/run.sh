#!/usr/bin/env bash
# Interop: an independent OpenID4VCI 1.0 wallet (@openid4vc/openid4vci) completes the
# pre-authorized code flow (tx_code, DPoP, nonce, JWT proofs, notification) against a running
# `vouch issuer serve`; the SD-JWT VC it receives passes `vouch sd-jwt verify`, and the
# metadata validates against specs/openid4vci/credential-issuer-metadata.schema.json; the
# SD-JWT VCs and their status lists verify through their x5c with an independent verifier.
# The wallet (client.mjs) is one of the npm test peers of tests/package.json.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vouch-target}"
VOUCH="${VOUCH:-$CARGO_TARGET_DIR/debug/vouch}"
[ -x "$VOUCH" ] || (cd "$root" && cargo build -q -p vouch)
bash "$root/scripts/setup-peers.sh"

tmp="$(mktemp -d)"
pid=""
pid2=""
cleanup() {
  for p in "$pid" "$pid2"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# A wallet provider made with openssl (not with our code): a root the issuer trusts for key
# attestations, and the leaf certificate and PKCS#8 key the independent wallet signs them with.
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/wp-root.key" 2>/dev/null
openssl req -x509 -new -key "$tmp/wp-root.key" -sha256 -days 30 -subj "/CN=Interop Wallet Provider Root" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$tmp/wp-root.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/wp.key" 2>/dev/null
openssl req -new -key "$tmp/wp.key" -subj "/CN=Interop Wallet Provider" -out "$tmp/wp.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' > "$tmp/wp.ext"
openssl x509 -req -in "$tmp/wp.csr" -CA "$tmp/wp-root.pem" -CAkey "$tmp/wp-root.key" -set_serial 7 \
  -days 30 -sha256 -extfile "$tmp/wp.ext" -out "$tmp/wp.pem" 2>/dev/null

"$VOUCH" issuer serve --listen 127.0.0.1:0 --data-dir "$tmp/data" \
  --database-url "sqlite://$tmp/issuer.db" --status-list-size 4096 \
  --key-attestation-roots "$tmp/wp-root.pem" --key-storage iso_18045_moderate > "$tmp/serve.log" 2>&1 &
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

(cd "$here" && WALLET_PROVIDER_KEY="$tmp/wp.key" WALLET_PROVIDER_CERT="$tmp/wp.pem" \
  node client.mjs "$offer_url" "$tx_code") > "$tmp/result.json"
echo "ok: @openid4vc/openid4vci completed the pre-authorized flow (tx_code, DPoP, nonce, proofs)"

curl -sf "$url/.well-known/jwt-vc-issuer" > "$tmp/jwt-vc-issuer.json" 2>/dev/null \
  || node -e "fetch(process.argv[1]).then(r=>r.text()).then(t=>process.stdout.write(t))" "$url/.well-known/jwt-vc-issuer" > "$tmp/jwt-vc-issuer.json"
node -e "const m=JSON.parse(require('fs').readFileSync(process.argv[1],'utf8'));console.log(JSON.stringify(m.jwks.keys[0]))" "$tmp/jwt-vc-issuer.json" > "$tmp/issuer.pub.jwk"
for id in pid_sd_jwt right_to_work_sd_jwt; do
  field "$tmp/result.json" ".credentials.$id" > "$tmp/$id.txt"
  "$VOUCH" sd-jwt verify --issuer-key "$tmp/issuer.pub.jwk" < "$tmp/$id.txt" > "$tmp/$id.report.json"
  echo "ok: $id received by the independent wallet passes vouch sd-jwt verify"
done
# HAIP x5c: an independent verifier (@sd-jwt/sd-jwt-vc with @peculiar/x509) verifies each
# SD-JWT VC and its status list token through their x5c to the issuer's published root,
# and refuses them under another root.
node -e "fetch(process.argv[1]).then(r=>r.text()).then(t=>process.stdout.write(t))" "$url/iaca.pem" > "$tmp/root.pem"
for id in pid_sd_jwt right_to_work_sd_jwt; do
  (cd "$here" && node x5c.mjs "$tmp/$id.txt" "$tmp/root.pem") > "$tmp/$id.x5c.json"
  if (cd "$here" && node x5c.mjs "$tmp/$id.txt" "$tmp/wp-root.pem") 2>/dev/null; then
    echo "FAIL: $id verified under a root that did not issue its signer"; exit 1
  fi
  echo "ok: $id and its status list token verify through their x5c with @sd-jwt/sd-jwt-vc and @peculiar/x509, and not under another root"
done
[ -n "$(field "$tmp/result.json" '.credentials.mdl_mdoc')" ]
echo "ok: mdl_mdoc received by the independent wallet"

node -e "fetch(process.argv[1]).then(r=>r.text()).then(t=>process.stdout.write(t))" \
  "$url/.well-known/openid-credential-issuer" > "$tmp/metadata.json"
python3 "$root/specs/openid4vci/validate.py" "$tmp/metadata.json"

# The attestation proof type: three credentials for the independent wallet's one key
# attestation, each verifying and bound to a different attested key (cnf.jwk).
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).attested
const want = r.keys.map((k) => k.x).sort().join()
const got = r.credentials.map((c) => JSON.parse(Buffer.from(c.split("~")[0].split(".")[1], "base64url")).cnf.jwk.x).sort().join()
if (r.credentials.length !== 3 || got !== want) { console.error(JSON.stringify(r)); process.exit(1) }
r.credentials.forEach((c, i) => require("fs").writeFileSync(process.argv[2] + "/attested-" + i + ".txt", c))
' "$tmp/result.json" "$tmp"
for i in 0 1 2; do
  "$VOUCH" sd-jwt verify --issuer-key "$tmp/issuer.pub.jwk" < "$tmp/attested-$i.txt" > /dev/null
done
echo "ok: one key attestation by @openid4vc/openid4vci (keyattestation+jwt, x5c to an openssl root) got 3 credentials, one per attested key, each passing vouch sd-jwt verify"

# Wallet attestation (HAIP 1.0 section 4.4.1, OAuth 2.0 Attestation-Based Client
# Authentication): a second issuer requires one at PAR and the token endpoint, trusting the
# openssl wallet provider root. @openid4vc/oauth2 (wallet-attestation.mjs) is refused
# without an attestation (401 invalid_client), gets a token with its own Client Attestation
# JWT (x5c: the openssl leaf) and PoP, and is refused when it replays that PoP.
"$VOUCH" issuer serve --listen 127.0.0.1:0 --data-dir "$tmp/data-wa" \
  --database-url "sqlite://$tmp/issuer-wa.db" --status-list-size 4096 \
  --wallet-attestation required --wallet-provider-roots "$tmp/wp-root.pem" > "$tmp/serve-wa.log" 2>&1 &
pid2=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$tmp/serve-wa.log" 2>/dev/null && break
  sleep 0.1
done
url2="$(sed -n 's/^vouch issuer listening on \(http:[^ ]*\).*/\1/p' "$tmp/serve-wa.log")"
[ -n "$url2" ] || { cat "$tmp/serve-wa.log"; exit 1; }
pre_auth='.credential_offer.grants["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]'
for n in 1 2; do
  "$VOUCH" issuer offer --url "$url2" --token-file "$tmp/data-wa/admin.token" --subject "interop-wa-$n" \
    --gpg45-profile M1B --attributes "$here/attributes.json" --config pid_sd_jwt --no-tx-code > "$tmp/offer-wa-$n.json"
done
code1="$(field "$tmp/offer-wa-1.json" "$pre_auth")"
code2="$(field "$tmp/offer-wa-2.json" "$pre_auth")"
[ -n "$code1" ] && [ -n "$code2" ] || { cat "$tmp/offer-wa-1.json"; exit 1; }
(cd "$here" && WALLET_PROVIDER_KEY="$tmp/wp.key" WALLET_PROVIDER_CERT="$tmp/wp.pem" \
  node wallet-attestation.mjs "$url2" "$code1" "$code2")
