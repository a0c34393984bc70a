#!/usr/bin/env bash
# OpenID4VP 1.0 interop: `vouch wallet` answers an independent verifier built from oid4vc-ts
# (@openid4vc/openid4vp 0.4.6), dcql 3.0.0 and sd-jwt-js 0.19.0 (verifier.mjs; see README.md).
#
#   tests/interop-oid4vp/run.sh [--keep]
#
# VOUCH: the vouch binary (default $CARGO_TARGET_DIR/debug/vouch, built when missing).
# The wallet receives a PID (dc+sd-jwt) from a running `vouch issuer serve`, then answers:
#   1. a request object signed under an X.509 chain (client_id x509_san_dns:localhost, by
#      request_uri) with an encrypted direct_post.jwt response;
#      the same with request_uri_method=post (wallet_metadata checked by the peer's schema,
#      wallet_nonce in the request object);
#   2. an unsigned request by value (client_id redirect_uri:...) with DCQL claim_sets and a
#      plain direct_post response;
#   3. a request the person declines: the peer receives error=access_denied with an
#      error_description;
#   4. a request for a credential the wallet does not hold: access_denied, nothing disclosed;
#   5. a negative control: the peer, told to expect another nonce, rejects the KB-JWT;
#   6. an mso_mdoc (mDL) request: oid4vc-ts parses the response, @auth0/mdl and @owf/mdoc
#      (tests/interop-mdoc/peer.mjs) verify the DeviceResponse against the issuer's IACA and
#      the OpenID4VPHandover transcript, and reject it bound to another nonce.
# The peer parses each request it made with its own code, the wallet parses it with ours; the
# peer checks the response shape, state, the SD-JWT VC (issuer signature, disclosures, KB-JWT
# nonce, aud = client_id) and DCQL satisfaction with its own matcher, and that nothing beyond
# the query was disclosed. One PASS/FAIL line per case; exit 1 on any FAIL, 2 on setup errors.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vouch-target}"
VOUCH="${VOUCH:-$CARGO_TARGET_DIR/debug/vouch}"
keep=0
[[ "${1:-}" == --keep ]] && keep=1

[[ -x "$VOUCH" ]] || (cd "$root" && cargo build -q -p vouch) || { echo "run.sh: cannot build vouch" >&2; exit 2; }
bash "$root/scripts/setup-peers.sh" || { echo "run.sh: scripts/setup-peers.sh failed" >&2; exit 2; }
command -v openssl >/dev/null || { echo "run.sh: openssl not found" >&2; exit 2; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/vouch-interop-oid4vp.XXXXXX")"
pid=""
pass=0 failn=0
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null
  wait 2>/dev/null
  if ((keep == 0 && failn == 0)); then rm -rf "$tmp"; else echo "work folder kept: $tmp"; fi
}
trap cleanup EXIT
result() { # PASS|FAIL cell [detail]
  if [[ "$1" == PASS ]]; then pass=$((pass + 1)); printf 'PASS  %s%s\n' "$2" "${3:+  ($3)}"
  else failn=$((failn + 1)); printf 'FAIL  %s: %s\n' "$2" "${3:-}"; fi
}
jget() { node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));let v=r;for(const k of process.argv[2].split("."))v=v==null?v:v[k];process.stdout.write(v===undefined||v===null?"":typeof v==="string"?v:JSON.stringify(v))' "$1" "$2" 2>/dev/null; }
setup_fail() { echo "run.sh: $*" >&2; keep=1; exit 2; }

# ---------------------------------------------------------------- issuer and wallet
"$VOUCH" issuer serve --listen 127.0.0.1:0 --data-dir "$tmp/issuer" \
  --database-url "sqlite://$tmp/issuer.db" --status-list-size 4096 > "$tmp/issuer.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do grep -q "listening on" "$tmp/issuer.log" 2>/dev/null && break; sleep 0.1; done
url="$(sed -n 's/^vouch issuer listening on \(http:[^ ]*\).*/\1/p' "$tmp/issuer.log")"
[[ -n "$url" ]] || { cat "$tmp/issuer.log" >&2; setup_fail "the issuer did not start"; }
# The issuer's admin API (as `vouch issuer offer` calls it): a subject, then an offer.
node --input-type=module -e '
  import { readFileSync } from "node:fs"
  const [url, tokenFile, attributes] = process.argv.slice(1)
  const token = readFileSync(tokenFile, "utf8").trim()
  const call = async (method, path, body) => {
    const r = await fetch(url + path, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) })
    if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${await r.text()}`)
    return r.json()
  }
  await call("PUT", "/admin/subjects/oid4vp-1", { attributes: JSON.parse(readFileSync(attributes, "utf8")), gpg45_profile: "M1B" })
  const offer = await call("POST", "/admin/offers", { subject_id: "oid4vp-1", credential_configuration_ids: ["pid_sd_jwt", "mdl_mdoc"], pre_authorized: true, tx_code: true })
  console.log(JSON.stringify(offer))
' "$url" "$tmp/issuer/admin.token" "$root/tests/interop-oid4vci/attributes.json" \
  > "$tmp/offer.json" 2> "$tmp/offer.err" || setup_fail "offer: $(cat "$tmp/offer.err")"
node -e "fetch(process.argv[1]).then(r=>r.json()).then(m=>console.log(JSON.stringify(m.jwks.keys[0])))" \
  "$url/.well-known/jwt-vc-issuer" > "$tmp/issuer.pub.jwk" || setup_fail "no issuer key"

export VOUCH_WALLET_DIR="$tmp/wallet" VOUCH_WALLET_PASSPHRASE="interop pass phrase"
# The wallet sends to public HTTPS addresses only, unless an origin is allowed: the issuer's
# loopback origin here (and, per transaction below, the peer verifier's).
export VOUCH_FETCH_ALLOW_ORIGINS="$url"
"$VOUCH" wallet init > /dev/null || setup_fail "wallet init"
"$VOUCH" wallet accept "$(jget "$tmp/offer.json" offer_url)" --tx-code "$(jget "$tmp/offer.json" tx_code)" \
  > "$tmp/accepted.json" 2> "$tmp/accept.err" || setup_fail "wallet accept: $(cat "$tmp/accept.err")"
vct="$("$VOUCH" wallet list | node -e 'const l=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(l.find(c=>c.format==="dc+sd-jwt").type)')"
[[ -n "$vct" ]] || setup_fail "the wallet holds no dc+sd-jwt"

# The verifier's X.509 chain: a root the wallet trusts, a leaf for localhost.
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/root.key" 2>/dev/null
openssl req -x509 -new -key "$tmp/root.key" -subj "/CN=Interop Verifier Root" -days 30 -out "$tmp/root.pem" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/leaf.key" 2>/dev/null
openssl req -new -key "$tmp/leaf.key" -subj "/CN=localhost" -out "$tmp/leaf.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\nkeyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n' > "$tmp/leaf.ext"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/root.pem" -CAkey "$tmp/root.key" -CAcreateserial \
  -days 30 -out "$tmp/leaf.pem" -extfile "$tmp/leaf.ext" 2>/dev/null || setup_fail "openssl"
"$VOUCH" wallet trust --verifier-root "$tmp/root.pem" || setup_fail "wallet trust"

# ---------------------------------------------------------------- one transaction
# transaction NAME QUERY_JSON ANSWER(yes|no) [verifier.mjs args...]
transaction() {
  local name="$1" query="$2" answer="$3"; shift 3
  printf '%s\n' "$query" > "$tmp/$name.query.json"
  node "$here/verifier.mjs" --query "$tmp/$name.query.json" --issuer-key "$tmp/issuer.pub.jwk" \
    --out "$tmp/$name.result.json" "$@" > "$tmp/$name.peer.out" 2> "$tmp/$name.peer.err" &
  local vpid=$!
  for _ in $(seq 1 100); do [[ -s "$tmp/$name.peer.out" ]] && break; sleep 0.1; done
  local req; req="$(jget "$tmp/$name.peer.out" url)"
  if [[ -z "$req" ]]; then
    kill "$vpid" 2>/dev/null; wait "$vpid" 2>/dev/null
    result FAIL "$name" "the peer made no request: $(head -c 400 "$tmp/$name.peer.err")"
    return 1
  fi
  # The peer's loopback origin(s): every URL in the request, the request object's included.
  local origins; origins="$(node -e '
    const u = new URL(process.argv[1]); const out = new Set()
    const add = (v) => { try { const x = new URL(v); if (x.protocol.startsWith("http")) out.add(x.origin) } catch {} }
    for (const [, v] of u.searchParams) {
      add(v)
      const p = v.split(".")
      if (p.length === 3) { try { const c = JSON.parse(Buffer.from(p[1], "base64url")); for (const k in c) if (typeof c[k] === "string") add(c[k]) } catch {} }
    }
    console.log([...out].join(","))' "$req")"
  export VOUCH_FETCH_ALLOW_ORIGINS="$url,$origins"
  if [[ "$answer" == yes ]]; then
    "$VOUCH" wallet present "$req" --yes > "$tmp/$name.wallet.json" 2> "$tmp/$name.wallet.err"
  else
    echo n | "$VOUCH" wallet present "$req" > "$tmp/$name.wallet.json" 2> "$tmp/$name.wallet.err"
  fi
  echo $? > "$tmp/$name.wallet.rc"
  wait "$vpid"
  local rc=$?
  if [[ ! -s "$tmp/$name.result.json" ]]; then
    result FAIL "$name" "peer rc=$rc: $(head -c 400 "$tmp/$name.peer.err") wallet: $(head -c 400 "$tmp/$name.wallet.err")"
    return 1
  fi
  return 0
}

pid_query() {
  node -e 'console.log(JSON.stringify({credentials:[{id:"pid",format:"dc+sd-jwt",meta:{vct_values:[process.argv[1]]},
    claims:[{path:["given_name"]},{path:["family_name"]},{path:["birthdate"]}]}]}))' "$vct"
}

# 1. Signed request object (x509_san_dns), direct_post.jwt.
if transaction signed-jwt "$(pid_query)" yes --signed --cert "$tmp/leaf.pem" --chain-key "$tmp/leaf.key" \
  --response-mode direct_post.jwt --purpose right_to_work; then
  r="$tmp/signed-jwt.result.json"
  claims="$(jget "$r" claims.pid.0)"
  if [[ "$(jget "$r" ok)" == true && "$(jget "$r" encrypted)" == true \
     && "$claims" == '{"birthdate":"1990-12-10","family_name":"Lovelace","given_name":"Ada"}' ]]; then
    result PASS "signed request (x509_san_dns, request_uri) + direct_post.jwt" "peer: state, SD-JWT VC + KB-JWT, DCQL satisfied, exactly 3 claims"
  else
    result FAIL "signed request (x509_san_dns, request_uri) + direct_post.jwt" "$(tr '\n' ' ' < "$r" | cut -c1-500)"
  fi
fi

# 1b. The same by request_uri_method=post: the wallet posts wallet_metadata and wallet_nonce.
if transaction signed-post "$(pid_query)" yes --signed --cert "$tmp/leaf.pem" --chain-key "$tmp/leaf.key" \
  --response-mode direct_post.jwt --request-uri-method post; then
  r="$tmp/signed-post.result.json"
  if [[ "$(jget "$r" ok)" == true && "$(jget "$r" wallet_metadata.valid)" == true && -n "$(jget "$r" wallet_nonce)" ]]; then
    result PASS "signed request, request_uri_method=post" "wallet_metadata passes the peer schema, wallet_nonce echoed in the request object"
  else
    result FAIL "signed request, request_uri_method=post" "$(tr '\n' ' ' < "$r" | cut -c1-500)"
  fi
fi

# 2. Unsigned request by value (redirect_uri), claim_sets, direct_post.
q2="$(node -e 'console.log(JSON.stringify({credentials:[{id:"pid",format:"dc+sd-jwt",meta:{vct_values:[process.argv[1]]},
  claims:[{id:"n",path:["family_name"]},{id:"d",path:["birthdate"]},{id:"g",path:["given_name"]}],
  claim_sets:[["n","d"],["g"]]}]}))' "$vct")"
if transaction unsigned-post "$q2" yes --response-mode direct_post; then
  r="$tmp/unsigned-post.result.json"
  claims="$(jget "$r" claims.pid.0)"
  if [[ "$(jget "$r" ok)" == true && "$claims" == '{"birthdate":"1990-12-10","family_name":"Lovelace"}' ]]; then
    result PASS "unsigned request by value (redirect_uri) + claim_sets + direct_post" "first claim set only"
  else
    result FAIL "unsigned request by value (redirect_uri) + claim_sets + direct_post" "$(tr '\n' ' ' < "$r" | cut -c1-500)"
  fi
fi

# 3. The person declines: access_denied with an error_description, encrypted as asked.
if transaction declined "$(pid_query)" no --signed --cert "$tmp/leaf.pem" --chain-key "$tmp/leaf.key" \
  --response-mode direct_post.jwt; then
  r="$tmp/declined.result.json"
  if [[ "$(jget "$r" error)" == access_denied && -n "$(jget "$r" error_description)" \
     && "$(jget "$r" state_ok)" == true && "$(jget "$r" claims)" == '{}' ]]; then
    result PASS "declined consent -> access_denied" "error_description: $(jget "$r" error_description)"
  else
    result FAIL "declined consent -> access_denied" "$(tr '\n' ' ' < "$r" | cut -c1-500)"
  fi
fi

# 4. A credential the wallet does not hold: access_denied, the wallet exits non-zero.
q4='{"credentials":[{"id":"mdl","format":"dc+sd-jwt","meta":{"vct_values":["urn:example:not-held"]},"claims":[{"path":["x"]}]}]}'
if transaction not-held "$q4" yes --response-mode direct_post; then
  r="$tmp/not-held.result.json"
  if [[ "$(jget "$r" error)" == access_denied && "$(cat "$tmp/not-held.wallet.rc")" != 0 ]]; then
    result PASS "nothing matches -> access_denied" "$(jget "$r" error_description)"
  else
    result FAIL "nothing matches -> access_denied" "$(tr '\n' ' ' < "$r" | cut -c1-500)"
  fi
fi

# 6. mso_mdoc: a DeviceResponse bound to the OpenID4VPHandover transcript (direct_post.jwt:
#    with the encryption key's thumbprint), verified by @auth0/mdl and @owf/mdoc (the peers of
#    tests/interop-mdoc) against the issuer's IACA; bound to another nonce, both reject it.
doctype=org.iso.18013.5.1.mDL ns=org.iso.18013.5.1
q6="$(node -e 'const [d,n]=process.argv.slice(1);console.log(JSON.stringify({credentials:[{id:"mdl",format:"mso_mdoc",meta:{doctype_value:d},
  claims:[{path:[n,"family_name"]},{path:[n,"given_name"]}]}]}))' "$doctype" "$ns")"
if transaction mdoc-jwt "$q6" yes --signed --cert "$tmp/leaf.pem" --chain-key "$tmp/leaf.key" \
  --response-mode direct_post.jwt --mdoc-dir "$tmp/mdoc"; then
  r="$tmp/mdoc-jwt.result.json"
  if [[ "$(jget "$r" ok)" != true || ! -f "$tmp/mdoc/mdl-0.cbor" ]]; then
    result FAIL "mso_mdoc via OpenID4VP (oid4vc-ts parse)" "$(tr '\n' ' ' < "$r" | cut -c1-500)"
  else
    for impl in auth0 owf; do
      node "$root/tests/interop-mdoc/peer.mjs" verify --impl "$impl" --iaca "$tmp/issuer/keys/iaca.pem" \
        --transcript "$tmp/mdoc/transcript.cbor" --response "$tmp/mdoc/mdl-0.cbor" > "$tmp/mdoc/$impl.json" 2> "$tmp/mdoc/$impl.err"
      got="$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const c=(r.claims||{})[process.argv[2]]||{};console.log(r.valid+" "+Object.keys(c).sort().join(","))' "$tmp/mdoc/$impl.json" "$ns" 2>/dev/null)"
      if [[ "$got" == "true family_name,given_name" ]]; then
        result PASS "mso_mdoc via OpenID4VP + direct_post.jwt, verified by $impl" "OpenID4VPHandover transcript, 2 elements"
      else
        result FAIL "mso_mdoc via OpenID4VP + direct_post.jwt, verified by $impl" "$got $(head -c 300 "$tmp/mdoc/$impl.json") $(head -c 300 "$tmp/mdoc/$impl.err")"
      fi
      node "$root/tests/interop-mdoc/peer.mjs" verify --impl "$impl" --iaca "$tmp/issuer/keys/iaca.pem" \
        --transcript "$tmp/mdoc/transcript-other-nonce.cbor" --response "$tmp/mdoc/mdl-0.cbor" > "$tmp/mdoc/$impl.neg.json" 2>&1
      if [[ $? -eq 1 && "$(jget "$tmp/mdoc/$impl.neg.json" valid)" == false ]]; then
        result PASS "mso_mdoc bound to another nonce, rejected by $impl"
      else
        result FAIL "mso_mdoc bound to another nonce, rejected by $impl" "$(head -c 300 "$tmp/mdoc/$impl.neg.json")"
      fi
    done
  fi
fi

# 5. Negative control: the peer rejects a KB-JWT checked against another nonce.
if transaction control "$(pid_query)" yes --response-mode direct_post --expect-nonce not-the-nonce-sent; then
  r="$tmp/control.result.json"
  if [[ "$(jget "$r" ok)" == false && "$(jget "$r" problems | tr A-Z a-z)" == *nonce* ]]; then
    result PASS "negative control: wrong nonce rejected by the peer" "$(jget "$r" problems.0 | cut -c1-120)"
  else
    result FAIL "negative control: wrong nonce rejected by the peer" "$(tr '\n' ' ' < "$r" | cut -c1-500)"
  fi
fi

echo "$pass passed, $failn failed"
((failn == 0))
