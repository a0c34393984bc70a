#!/usr/bin/env bash
# ISO 18013-5 mdoc interop matrix: vouch <-> @auth0/mdl 3.0.1 <-> @owf/mdoc 0.6.0 (see README.md).
#
#   tests/interop-mdoc/run.sh [--peers-only] [--keep] [--no-probes]
#
# VOUCH: the vouch binary (default $HOME/.cache/vouch-target/debug/vouch).
# 1. Peers prove themselves: the Annex D DeviceResponse (DeviceMac; owf cannot, see README), the
#    Annex D issuer data re-presented with a deviceSignature, and auth0 <-> owf cross-verification
#    (issuer x presenter x verifier), each with negatives.
# 2. Peer issues + presents -> vouch verifies; vouch issues + presents -> peers verify; vouch
#    issues -> peer presents -> peers and vouch verify; a flipped element byte must be rejected in
#    every direction (vouch: error.code digest_mismatch).
# One PASS/FAIL line per cell; INFO lines are probes of lenient behaviour (not counted).
# Exit 1 on any FAIL, 2 on a setup or usage error. --peers-only skips part 2 (no vouch needed);
# --keep keeps the work folder; --no-probes skips the INFO probes.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VOUCH="${VOUCH:-$HOME/.cache/vouch-target/debug/vouch}"
VEC="$(cd "$here/.." && pwd)/vectors/iso18013-5"
CLAIMS="$here/fixtures/mdl.claims.json"
DOCTYPE=org.iso.18013.5.1.mDL
NS=org.iso.18013.5.1
XNS=org.example.interop.1

peers_only=0 keep=0 probes=1
while (($#)); do
  case "$1" in
    --peers-only) peers_only=1 ;;
    --keep) keep=1 ;;
    --no-probes) probes=0 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if [[ "${INTEROP_SKIP_SETUP:-0}" != 1 ]]; then
  bash "$here/../../scripts/setup-peers.sh" || { echo "run.sh: scripts/setup-peers.sh failed" >&2; exit 2; }
fi
[[ -f "$VEC/annex-d/device_response.cbor" ]] || { echo "run.sh: ISO 18013-5 vectors not found at $VEC" >&2; exit 2; }
if ((peers_only == 0)); then
  if [[ ! -x "$VOUCH" ]]; then echo "run.sh: no vouch binary at $VOUCH (set VOUCH, or use --peers-only)" >&2; exit 2; fi
  if ! "$VOUCH" mdoc --help >/dev/null 2>&1; then echo "run.sh: $VOUCH has no 'mdoc' command (use --peers-only)" >&2; exit 2; fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/vouch-interop-mdoc.XXXXXX")"
pass=0 failn=0 infon=0
cleanup() { if ((keep == 0 && failn == 0)); then rm -rf "$work"; else echo "work folder kept: $work"; fi; }
trap cleanup EXIT

result() { # result PASS|FAIL|INFO "cell" ["detail"]
  case "$1" in
    PASS) pass=$((pass + 1)); printf 'PASS  %s%s\n' "$2" "${3:+  ($3)}" ;;
    FAIL) failn=$((failn + 1)); printf 'FAIL  %s: %s\n' "$2" "${3:-}" ;;
    INFO) infon=$((infon + 1)); printf 'INFO  %s: %s\n' "$2" "${3:-}" ;;
  esac
}
oneline() { tr '\n' ' ' < "$1" | sed 's/  */ /g' | cut -c1-400; }
peer() { node "$here/peer.mjs" "$@"; }
tool() { node "$here/tool.mjs" "$@"; }
jget() { node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));let v=r;for(const k of process.argv[2].split("."))v=v==null?v:v[k];process.stdout.write(v===undefined?"":typeof v==="string"?v:JSON.stringify(v))' "$1" "$2" 2>/dev/null; }

# ---------------------------------------------------------------- verification cells
# verify_ok CELL VERIFIER RESPONSE TRANSCRIPT EXPECTED_CLAIMS IACA... [-- extra args]
#   VERIFIER: auth0 | owf | vouch. Valid + exactly the expected claims -> PASS.
verify_ok() {
  local cell="$1" who="$2" resp="$3" st="$4" exp="$5"; shift 5
  local iacas=() extra=() seen=0
  for x in "$@"; do if [[ "$x" == -- ]]; then seen=1; elif ((seen)); then extra+=("$x"); else iacas+=("$x"); fi; done
  local out="$work/out.$RANDOM.json" err="$work/err.$RANDOM.txt" rc
  run_verifier "$who" "$resp" "$st" "$out" "$err" "${iacas[@]}" -- "${extra[@]}"; rc=$?
  if [[ $rc -ne 0 || "$(jget "$out" valid)" != true ]]; then
    result FAIL "$cell" "rc=$rc $(jget "$out" error) $(oneline "$err")"
    return
  fi
  local diff; diff="$(node "$here/lib/claims.mjs" compare "$exp" "$out" 2>"$err.cmp")"
  if [[ $? -ne 0 ]]; then result FAIL "$cell" "claims: $diff"; return; fi
  result PASS "$cell" "$(cat "$err.cmp" | sed 's/^claims.mjs: //' | tr '\n' ' ')"
}

# verify_reject CELL VERIFIER RESPONSE TRANSCRIPT WANT_CODE IACA... [-- extra]
#   Rejected (exit 1, valid false; vouch: error.code == WANT_CODE unless WANT_CODE is "-") -> PASS.
verify_reject() {
  local cell="$1" who="$2" resp="$3" st="$4" want="$5"; shift 5
  local iacas=() extra=() seen=0
  for x in "$@"; do if [[ "$x" == -- ]]; then seen=1; elif ((seen)); then extra+=("$x"); else iacas+=("$x"); fi; done
  local out="$work/out.$RANDOM.json" err="$work/err.$RANDOM.txt" rc
  run_verifier "$who" "$resp" "$st" "$out" "$err" "${iacas[@]}" -- "${extra[@]}"; rc=$?
  local valid code msg
  valid="$(jget "$out" valid)"; code="$(jget "$out" error.code)"; msg="$(jget "$out" error.message)"
  if [[ $rc -ne 1 || "$valid" != false ]]; then
    result FAIL "$cell" "expected rejection, got rc=$rc valid=$valid $(oneline "$err")"
  elif [[ "$want" != - && "$code" != "$want" ]]; then
    result FAIL "$cell" "rejected with code '$code' ($msg), expected $want"
  else
    result PASS "$cell" "${code:+$code: }$(printf '%s' "$msg" | cut -c1-140)"
  fi
}

# probe CELL VERIFIER RESPONSE TRANSCRIPT NOTE IACA... [-- extra]: INFO line with the outcome.
probe() {
  local cell="$1" who="$2" resp="$3" st="$4" note="$5"; shift 5
  local iacas=() extra=() seen=0
  for x in "$@"; do if [[ "$x" == -- ]]; then seen=1; elif ((seen)); then extra+=("$x"); else iacas+=("$x"); fi; done
  local out="$work/out.$RANDOM.json" err="$work/err.$RANDOM.txt" rc
  run_verifier "$who" "$resp" "$st" "$out" "$err" "${iacas[@]}" -- "${extra[@]}"; rc=$?
  if [[ "$(jget "$out" valid)" == true ]]; then
    result INFO "$cell" "ACCEPTED (rc=$rc) - $note"
  else
    result INFO "$cell" "rejected (rc=$rc) $(jget "$out" error.code) $(jget "$out" error.message | cut -c1-140)$( [[ -s $out ]] || oneline "$err") - $note"
  fi
}

run_verifier() { # run_verifier WHO RESPONSE TRANSCRIPT OUT ERR IACA... -- EXTRA...
  local who="$1" resp="$2" st="$3" out="$4" err="$5"; shift 5
  local iacas=() extra=() seen=0
  for x in "$@"; do if [[ "$x" == -- ]]; then seen=1; elif ((seen)); then extra+=("$x"); else iacas+=(--iaca "$x"); fi; done
  if [[ "$who" == vouch ]]; then
    # vouch pins its clock with --at; peers with --now (mapped here)
    local vx=() i
    for ((i = 0; i < ${#extra[@]}; i++)); do
      case "${extra[$i]}" in --now) vx+=(--at "${extra[$((i + 1))]}"); i=$((i + 1)) ;; *) vx+=("${extra[$i]}") ;; esac
    done
    printf '%q ' "$VOUCH" mdoc verify "${iacas[@]}" --transcript "$st" "${vx[@]}" > "$err.cmd"; printf '< %q\n' "$resp" >> "$err.cmd"
    "$VOUCH" mdoc verify "${iacas[@]}" --transcript "$st" "${vx[@]}" < "$resp" > "$out" 2> "$err"
  else
    peer verify --impl "$who" "${iacas[@]}" --transcript "$st" "${extra[@]}" --response "$resp" > "$out" 2> "$err"
  fi
}

tamper() { tool tamper --element "$2" < "$1" 2>/dev/null; }

# ---------------------------------------------------------------- fixtures
W="$work"
mkdir -p "$W/vec"
A="$VEC/annex-d"
tool reader-jwk --d "$A/keys/e_reader_key_d.hex" --x "$A/keys/e_reader_key_x.hex" --y "$A/keys/e_reader_key_y.hex" > "$W/vec/reader.jwk"
node -e 'const d=require("fs").readFileSync(process.argv[1]).toString("base64").replace(/(.{64})/g,"$1\n");process.stdout.write(`-----BEGIN CERTIFICATE-----\n${d.trim()}\n-----END CERTIFICATE-----\n`)' "$A/certs/iaca_cert.der" > "$W/vec/annexd_iaca.pem"
ANNEXD_IACA="$W/vec/annexd_iaca.pem"
# Expected Annex D disclosure (README of the vectors, "What a correct verifier must conclude").
node -e '
const fs=require("fs");const p=fs.readFileSync(process.argv[1]).toString("base64");
const dp=(a,b,c)=>({vehicle_category_code:a,issue_date:b,expiry_date:c});
process.stdout.write(JSON.stringify({"org.iso.18013.5.1":{family_name:"Doe",issue_date:"2019-10-20",expiry_date:"2024-10-20",document_number:"123456789",portrait:{bytes_b64:p},driving_privileges:[dp("A","2018-08-09","2024-10-20"),dp("B","2017-02-23","2024-10-20")]}}))' "$A/portrait.jpg" > "$W/vec/annexd.expected.json"
# Byte 200 of the Annex D response: 'D' of "Doe" (Multipaz DeviceResponseParserTest negative).
node -e 'const fs=require("fs");const b=fs.readFileSync(process.argv[1]);if(b[200]!==0x44)process.exit(3);b[200]=0x46;fs.writeFileSync(process.argv[2],b)' "$A/device_response.cbor" "$W/vec/annexd_tampered.cbor"

# Session transcripts (OpenID4VP 1.0 handover; owf only decodes handovers it knows, auth0 any array).
tool transcript --client-id x509_san_dns:verifier.example.org --nonce n-0S6_WzA2Mj --response-uri https://verifier.example.org/post > "$W/st.cbor"
tool wrap-tag24 < "$W/st.cbor" > "$W/st24.cbor"
tool transcript --client-id x509_san_dns:other.example.org --nonce other-nonce --response-uri https://other.example.org/post > "$W/st-other.cbor"

DISCLOSE=("$NS/family_name" "$NS/birth_date" "$NS/portrait" "$NS/driving_privileges" "$NS/age_over_18" "$NS/issuing_country" "$XNS/enrolled_at" "$XNS/balance")
node "$here/lib/claims.mjs" expect --claims "$CLAIMS" --disclose "${DISCLOSE[@]}" > "$W/expected.json"
SMALL=("$NS/family_name" "$NS/given_name" "$NS/birth_date")
node "$here/lib/claims.mjs" expect --claims "$CLAIMS" --disclose "${SMALL[@]}" > "$W/expected-small.json"

echo "# 1. peers: Annex D and published vectors"
ANOW=2021-01-01T00:00:00Z
verify_ok "auth0 verifies Annex D (DeviceMac, reader key, clock pinned $ANOW)" auth0 "$A/device_response.cbor" "$A/session_transcript_bytes.cbor" "$W/vec/annexd.expected.json" "$ANNEXD_IACA" -- --reader-key "$W/vec/reader.jwk" --now "$ANOW"
# owf 0.6.0 cannot verify a DeviceMac (README): everything else must pass, and the MAC check must
# fail in exactly the known way.
peer verify --impl owf --iaca "$ANNEXD_IACA" --transcript "$A/session_transcript_bytes.cbor" --reader-key "$W/vec/reader.jwk" --now "$ANOW" --response "$A/device_response.cbor" > "$W/vec/owf-annexd.json" 2>/dev/null
owf_failed="$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(r.checks.filter(c=>c.status==="FAILED").map(c=>c.check).join("|"))' "$W/vec/owf-annexd.json")"
if [[ "$owf_failed" == "Device MAC must use alg 5 (HMAC 256/256)" ]] && node "$here/lib/claims.mjs" compare "$W/vec/annexd.expected.json" "$W/vec/owf-annexd.json" >/dev/null; then
  result PASS "owf verifies Annex D issuer side (chain, signature, validity, 6 digests); DeviceMac unsupported (known 0.6.0 bug)" "only failure: $owf_failed"
else
  result FAIL "owf Annex D" "unexpected checks: $owf_failed"
fi
for v in auth0 owf; do
  verify_reject "$v rejects Annex D at the real clock (expired MSO and DS cert)" $v "$A/device_response.cbor" "$A/session_transcript_bytes.cbor" - "$ANNEXD_IACA" -- --reader-key "$W/vec/reader.jwk"
  verify_reject "$v rejects Annex D with byte 200 'D'->'F' (family_name digest)" $v "$W/vec/annexd_tampered.cbor" "$A/session_transcript_bytes.cbor" - "$ANNEXD_IACA" -- --reader-key "$W/vec/reader.jwk" --now "$ANOW"
done
FR="$VEC/online/france-playground-oid4vp-draft18"
for v in auth0 owf; do
  verify_ok "$v verifies Annex D issuer data re-presented with a deviceSignature (france vector, pinned 2021-09-25)" $v "$FR/device_response.cbor" "$FR/session_transcript.cbor" "$W/vec/annexd.expected.json" "$ANNEXD_IACA" -- --now 2021-09-25T00:00:00Z
done

echo "# 1b. peers: auth0 <-> owf cross-verification (issuer -> presenter -> verifier)"
peer keygen --alg ES256 > "$W/device.jwk"
peer public < "$W/device.jwk" > "$W/device.pub.jwk"
for iss in auth0 owf; do
  peer issue --impl $iss --claims "$CLAIMS" --device-key "$W/device.pub.jwk" --out-dir "$W/iss-$iss" 2>"$W/iss-$iss.err" \
    || result FAIL "$iss issues" "$(oneline "$W/iss-$iss.err")"
done
NOW="$(date -u +%FT%TZ)"
for iss in auth0 owf; do
  for pre in auth0 owf; do
    if ! peer present --impl $pre --mdoc "$W/iss-$iss/issuer_signed.cbor" --device-key "$W/device.jwk" --transcript "$W/st.cbor" --disclose "${DISCLOSE[@]}" --out "$W/dr-$iss-$pre.cbor" 2>"$W/pre.err"; then
      result FAIL "$pre presents $iss's mdoc" "$(oneline "$W/pre.err")"; continue
    fi
    for ver in auth0 owf; do
      verify_ok "$iss issues -> $pre presents -> $ver verifies" $ver "$W/dr-$iss-$pre.cbor" "$W/st24.cbor" "$W/expected.json" "$W/iss-$iss/iaca.pem" -- --now "$NOW"
    done
  done
done
for iss in auth0 owf; do
  pre=$([[ $iss == auth0 ]] && echo owf || echo auth0)
  tamper "$W/dr-$iss-$pre.cbor" "$NS/family_name" > "$W/dr-$iss-$pre.tampered.cbor"
  for ver in auth0 owf; do
    verify_reject "$ver rejects $iss->$pre response with a flipped family_name byte" $ver "$W/dr-$iss-$pre.tampered.cbor" "$W/st.cbor" - "$W/iss-$iss/iaca.pem" -- --now "$NOW"
    verify_reject "$ver rejects $iss->$pre response against another SessionTranscript" $ver "$W/dr-$iss-$pre.cbor" "$W/st-other.cbor" - "$W/iss-$iss/iaca.pem" -- --now "$NOW"
    verify_reject "$ver rejects $iss->$pre response under a foreign trust anchor (Annex D IACA)" $ver "$W/dr-$iss-$pre.cbor" "$W/st.cbor" - "$ANNEXD_IACA" -- --now "$NOW"
  done
done
for alg in ES384 EdDSA; do
  peer keygen --alg $alg > "$W/device-$alg.jwk"; peer public < "$W/device-$alg.jwk" > "$W/device-$alg.pub.jwk"
  for iss in auth0 owf; do
    pre=$([[ $iss == auth0 ]] && echo owf || echo auth0)
    peer issue --impl $iss --claims "$CLAIMS" --device-key "$W/device-$alg.pub.jwk" --pki-dir "$W/iss-$iss" --out-dir "$W/iss-$iss-$alg" 2>/dev/null
    if peer present --impl $pre --mdoc "$W/iss-$iss-$alg/issuer_signed.cbor" --device-key "$W/device-$alg.jwk" --transcript "$W/st.cbor" --disclose "${SMALL[@]}" --out "$W/dr-$iss-$pre-$alg.cbor" 2>"$W/pre.err"; then
      for ver in auth0 owf; do
        verify_ok "$alg device key: $iss issues -> $pre presents -> $ver verifies" $ver "$W/dr-$iss-$pre-$alg.cbor" "$W/st.cbor" "$W/expected-small.json" "$W/iss-$iss/iaca.pem" -- --now "$NOW"
      done
    else
      result FAIL "$alg device key: $pre presents $iss's mdoc" "$(oneline "$W/pre.err")"
    fi
  done
done

# DeviceMac (18013-5 9.1.3.5): EMacKey = HKDF(ECDH(reader ephemeral, device key), SessionTranscriptBytes)
peer keygen --alg ES256 > "$W/reader.jwk"; peer public < "$W/reader.jwk" > "$W/reader.pub.jwk"
if peer present --impl auth0 --mac-for-reader "$W/reader.pub.jwk" --mdoc "$W/iss-owf/issuer_signed.cbor" --device-key "$W/device.jwk" --transcript "$W/st.cbor" --disclose "${SMALL[@]}" --out "$W/dr-mac-auth0.cbor" 2>"$W/pre.err"; then
  verify_ok "DeviceMac: owf issues -> auth0 presents (MAC) -> auth0 verifies with the reader key" auth0 "$W/dr-mac-auth0.cbor" "$W/st.cbor" "$W/expected-small.json" "$W/iss-owf/iaca.pem" -- --reader-key "$W/reader.jwk" --now "$NOW"
  verify_reject "DeviceMac: auth0 rejects the MAC response with a wrong reader key" auth0 "$W/dr-mac-auth0.cbor" "$W/st.cbor" - "$W/iss-owf/iaca.pem" -- --reader-key "$W/device.jwk" --now "$NOW"
else
  result FAIL "auth0 presents with DeviceMac" "$(oneline "$W/pre.err")"
fi
peer present --impl owf --mac-for-reader "$W/reader.pub.jwk" --mdoc "$W/iss-owf/issuer_signed.cbor" --device-key "$W/device.jwk" --transcript "$W/st.cbor" --disclose "${SMALL[@]}" --out "$W/dr-mac-owf.cbor" 2>/dev/null || true

if ((probes)); then
  echo "# 1c. probes of peer leniency (INFO)"
  probe "owf: auth0's DeviceMac response" owf "$W/dr-mac-auth0.cbor" "$W/st.cbor" "owf 0.6.0 compares the MAC alg name 'HS256' with 5" "$W/iss-owf/iaca.pem" -- --reader-key "$W/reader.jwk" --now "$NOW"
  [[ -f "$W/dr-mac-owf.cbor" ]] && {
    result INFO "owf presents with DeviceMac" "deviceMac header $(tool info "$W/dr-mac-owf.cbor" | node -e 'const r=JSON.parse(require("fs").readFileSync(0));console.log(JSON.stringify(r.documents[0].deviceAuth.deviceMac))') (alg is the device key's signature alg, not 5)"
    probe "auth0: owf's DeviceMac response" auth0 "$W/dr-mac-owf.cbor" "$W/st.cbor" "owf writes alg -7 and a MAC_structure without external_aad" "$W/iss-owf/iaca.pem" -- --reader-key "$W/reader.jwk" --now "$NOW"
  }
  # status != 0 at the top level
  tool set-status 1 < "$W/dr-owf-auth0.cbor" > "$W/probe-status1.cbor"
  # deviceSignature with an attached payload made for ANOTHER SessionTranscript
  peer present --impl auth0 --mdoc "$W/iss-owf/issuer_signed.cbor" --device-key "$W/device.jwk" --transcript "$W/st-other.cbor" --disclose "${SMALL[@]}" --out "$W/probe-other.cbor" 2>/dev/null
  tool attach-payload --transcript "$W/st-other.cbor" < "$W/probe-other.cbor" > "$W/probe-attached.cbor"
  # a disclosed item re-encoded non-canonically (same value, different bytes)
  peer present --impl auth0 --mdoc "$W/iss-owf/issuer_signed.cbor" --device-key "$W/device.jwk" --transcript "$W/st.cbor" --disclose "${SMALL[@]}" --out "$W/probe-base.cbor" 2>/dev/null
  tool noncanonical --element "$NS/given_name" < "$W/probe-base.cbor" > "$W/probe-noncanonical.cbor" 2>/dev/null
  for v in auth0 owf; do
    probe "$v: top-level status 1" $v "$W/probe-status1.cbor" "$W/st.cbor" "status is not checked" "$W/iss-owf/iaca.pem" -- --now "$NOW"
    probe "$v: deviceSignature with attached payload for another SessionTranscript" $v "$W/probe-attached.cbor" "$W/st.cbor" "device signature not bound to the verifier's transcript" "$W/iss-owf/iaca.pem" -- --now "$NOW"
    probe "$v: given_name item re-encoded with a non-preferred text header" $v "$W/probe-noncanonical.cbor" "$W/st.cbor" "digest computed over re-encoded, not received, bytes" "$W/iss-owf/iaca.pem" -- --now "$NOW"
  done
  # owf presenting issuer data whose items are not encoded the way cbor-x would (auth0-example1:
  # non-preferred map headers): owf re-encodes the items and their digests break
  EX1="$VEC/online/auth0-example1"
  node -e 'const d=require("fs").readFileSync(process.argv[1]).toString("base64").replace(/(.{64})/g,"$1\n");process.stdout.write(`-----BEGIN CERTIFICATE-----\n${d.trim()}\n-----END CERTIFICATE-----\n`)' "$VEC/online/auth0-issuer_cert.der" > "$W/vec/auth0_example_issuer.pem"
  for kib in "" --keep-item-bytes; do
    if peer present --impl owf $kib --mdoc "$EX1/device_response.cbor" --device-key "$W/device.jwk" --transcript "$W/st.cbor" --disclose "$NS/family_name" "$NS/driving_privileges" --out "$W/probe-ex1$kib.cbor" 2>"$W/probe-ex1.err"; then
      peer verify --impl auth0 --iaca "$W/vec/auth0_example_issuer.pem" --transcript "$W/st.cbor" --now 2024-01-01T00:00:00Z --response "$W/probe-ex1$kib.cbor" > "$W/probe-ex1.json" 2>/dev/null
      result INFO "owf presents auth0-example1 issuer data ${kib:-(library output)}" "$(grep -o 're-encoded.*' "$W/probe-ex1.err" | head -1); auth0 digest failures: $(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(r.checks.filter(c=>c.status==="FAILED"&&c.id==="ATTRIBUTE_DIGEST_MATCH").length)' "$W/probe-ex1.json") (the device signature cannot verify: not the MSO device key)"
    fi
  done
  # header quirks when the workarounds are off (--raw-keys)
  peer keygen --alg ES256 --no-kid --no-alg > "$W/device-raw.jwk"; peer public < "$W/device-raw.jwk" > "$W/device-raw.pub.jwk"
  node -e 'const f=require("fs");const j=JSON.parse(f.readFileSync(process.argv[1]));delete j.kid;delete j.alg;f.writeFileSync(process.argv[2],JSON.stringify(j))' "$W/device.jwk" "$W/device-nokid.jwk"
  mkdir -p "$W/pki-nokid" && cp "$W/iss-auth0/"{iaca.pem,iaca.jwk,ds.pem} "$W/pki-nokid/" && node -e 'const f=require("fs");const j=JSON.parse(f.readFileSync(process.argv[1]));delete j.kid;delete j.alg;f.writeFileSync(process.argv[2],JSON.stringify(j))' "$W/iss-auth0/ds.jwk" "$W/pki-nokid/ds.jwk"
  peer issue --impl auth0 --raw-keys --pki-dir "$W/pki-nokid" --claims "$CLAIMS" --device-key "$W/device.pub.jwk" --out-dir "$W/raw-auth0" 2>/dev/null || true
  if [[ -f "$W/raw-auth0/issuer_signed.cbor" ]]; then
    result INFO "auth0 issuance, DS JWK without kid, device JWK with kid (--raw-keys)" "$(tool info "$W/raw-auth0/issuer_signed.cbor" | node -e 'const r=JSON.parse(require("fs").readFileSync(0));console.log("issuerAuth",JSON.stringify(r.issuerAuth),"MSO deviceKey kid:",r.mso.deviceKeyKid)')"
  else
    result INFO "auth0 issuance, DS JWK without kid (--raw-keys)" "failed (jose importJWK needs alg)"
  fi
  peer present --impl owf --raw-keys --mdoc "$W/iss-auth0/issuer_signed.cbor" --device-key "$W/device-raw.jwk" --transcript "$W/st.cbor" --disclose "$NS/family_name" --out "$W/raw-owf-noalg.cbor" 2>/dev/null || true
  [[ -f "$W/raw-owf-noalg.cbor" ]] && result INFO "owf presentation, device JWK without alg (--raw-keys)" "deviceSignature $(tool info "$W/raw-owf-noalg.cbor" | node -e 'const r=JSON.parse(require("fs").readFileSync(0));console.log(JSON.stringify(r.documents[0].deviceAuth.deviceSignature))')"
  peer present --impl owf --raw-keys --mdoc "$W/iss-auth0/issuer_signed.cbor" --device-key "$W/device.jwk" --transcript "$W/st.cbor" --disclose "$NS/family_name" --out "$W/raw-owf-kid.cbor" 2>/dev/null || true
  [[ -f "$W/raw-owf-kid.cbor" ]] && result INFO "owf presentation, device JWK with kid (--raw-keys)" "deviceSignature $(tool info "$W/raw-owf-kid.cbor" | node -e 'const r=JSON.parse(require("fs").readFileSync(0));console.log(JSON.stringify(r.documents[0].deviceAuth.deviceSignature))')"
fi

if ((peers_only)); then
  echo "# summary: $pass passed, $failn failed, $infon info (peers only)"
  echo "$pass passed, $failn failed"
  ((failn == 0)) || exit 1
  exit 0
fi

echo "# 2a. peer issues + presents -> vouch verifies"
for iss in auth0 owf; do
  for pre in auth0 owf; do
    st="$W/st.cbor"; [[ $pre == owf ]] && st="$W/st24.cbor"   # both transcript forms for vouch
    verify_ok "$iss issues -> $pre presents -> vouch verifies (transcript $(basename "$st"))" vouch "$W/dr-$iss-$pre.cbor" "$st" "$W/expected.json" "$W/iss-$iss/iaca.pem"
    tamper "$W/dr-$iss-$pre.cbor" "$NS/family_name" > "$W/dr-$iss-$pre.flip.cbor"
    verify_reject "vouch rejects $iss->$pre response with a flipped family_name byte" vouch "$W/dr-$iss-$pre.flip.cbor" "$W/st.cbor" digest_mismatch "$W/iss-$iss/iaca.pem"
  done
done
for alg in ES384 EdDSA; do
  for iss in auth0 owf; do
    pre=$([[ $iss == auth0 ]] && echo owf || echo auth0)
    [[ -f "$W/dr-$iss-$pre-$alg.cbor" ]] && verify_ok "$alg device key: $iss issues -> $pre presents -> vouch verifies" vouch "$W/dr-$iss-$pre-$alg.cbor" "$W/st.cbor" "$W/expected-small.json" "$W/iss-$iss/iaca.pem"
  done
done
[[ -f "$W/dr-mac-auth0.cbor" ]] && {
  verify_ok "DeviceMac: owf issues -> auth0 presents (MAC) -> vouch verifies with --reader-key" vouch "$W/dr-mac-auth0.cbor" "$W/st.cbor" "$W/expected-small.json" "$W/iss-owf/iaca.pem" -- --reader-key "$W/reader.jwk"
  verify_reject "DeviceMac: vouch rejects auth0's MAC response with a wrong reader key" vouch "$W/dr-mac-auth0.cbor" "$W/st.cbor" - "$W/iss-owf/iaca.pem" -- --reader-key "$W/device.jwk"
}
tool device-request --doctype "$DOCTYPE" --element "$NS/family_name" "$NS/birth_date" > "$W/request-disclosed.cbor"
tool device-request --doctype "$DOCTYPE" --element "$NS/family_name" "$NS/given_name" > "$W/request-missing.cbor"
verify_ok "vouch verify --request (requested elements all disclosed) accepts auth0->owf response" vouch "$W/dr-auth0-owf.cbor" "$W/st.cbor" "$W/expected.json" "$W/iss-auth0/iaca.pem" -- --request "$W/request-disclosed.cbor"
verify_reject "vouch verify --request rejects auth0->owf response lacking a requested element (given_name)" vouch "$W/dr-auth0-owf.cbor" "$W/st.cbor" - "$W/iss-auth0/iaca.pem" -- --request "$W/request-missing.cbor"
verify_reject "vouch rejects auth0->owf response against another SessionTranscript" vouch "$W/dr-auth0-owf.cbor" "$W/st-other.cbor" - "$W/iss-auth0/iaca.pem"
verify_reject "vouch rejects owf->auth0 response under a foreign trust anchor (Annex D IACA)" vouch "$W/dr-owf-auth0.cbor" "$W/st.cbor" - "$ANNEXD_IACA"
verify_reject "vouch rejects owf->auth0 response at a time after validUntil" vouch "$W/dr-owf-auth0.cbor" "$W/st.cbor" - "$W/iss-owf/iaca.pem" -- --now 2031-01-01T00:00:00Z
verify_ok "vouch accepts owf->auth0 response with two trust anchors (foreign first)" vouch "$W/dr-owf-auth0.cbor" "$W/st.cbor" "$W/expected.json" "$ANNEXD_IACA" "$W/iss-owf/iaca.pem"
if [[ -f "$W/probe-attached.cbor" ]]; then
  verify_reject "vouch rejects a deviceSignature whose attached payload is for another SessionTranscript" vouch "$W/probe-attached.cbor" "$W/st.cbor" - "$W/iss-owf/iaca.pem"
  verify_reject "vouch rejects a disclosed item re-encoded non-canonically (digest over received bytes)" vouch "$W/probe-noncanonical.cbor" "$W/st.cbor" digest_mismatch "$W/iss-owf/iaca.pem"
fi

echo "# 2b. published vectors -> vouch verifies"
verify_ok "vouch verifies Annex D (DeviceMac, --reader-key, --at $ANOW)" vouch "$A/device_response.cbor" "$A/session_transcript_bytes.cbor" "$W/vec/annexd.expected.json" "$ANNEXD_IACA" -- --reader-key "$W/vec/reader.jwk" --now "$ANOW"
verify_reject "vouch rejects Annex D with byte 200 'D'->'F'" vouch "$W/vec/annexd_tampered.cbor" "$A/session_transcript_bytes.cbor" digest_mismatch "$ANNEXD_IACA" -- --reader-key "$W/vec/reader.jwk" --now "$ANOW"
verify_ok "vouch verifies the france vector (Annex D data + deviceSignature, --at 2021-09-25)" vouch "$FR/device_response.cbor" "$FR/session_transcript.cbor" "$W/vec/annexd.expected.json" "$ANNEXD_IACA" -- --now 2021-09-25T00:00:00Z

echo "# 2c. vouch issues + presents -> peers verify"
V="$W/vouch"; mkdir -p "$V"
vrun() { # vrun OUTFILE CMD...: run vouch, keep the exact command and stderr for the report
  local outf="$1"; shift
  printf '%q ' "$VOUCH" "$@" > "$outf.cmd"
  "$VOUCH" "$@" > "$outf" 2> "$outf.err"
}
# vouch's --disclose is a repeatable flag (one NAMESPACE/ELEMENT each); element names have no spaces.
vdisc() { local d; for d in "$@"; do printf -- '--disclose %s ' "$d"; done; }
vouch_ok=1
vrun "$V/iaca.jwk" key new --alg ES256 && vrun "$V/ds.jwk" key new --alg ES256 \
  && "$VOUCH" key public < "$V/ds.jwk" > "$V/ds.pub.jwk" \
  && vrun "$V/iaca.pem" pki iaca --key "$V/iaca.jwk" --country GB --name "Vouch Interop IACA" \
  && vrun "$V/ds.pem" pki ds --iaca "$V/iaca.pem" --iaca-key "$V/iaca.jwk" --key "$V/ds.pub.jwk" \
  || { vouch_ok=0; result FAIL "vouch test PKI" "$(cat "$V"/*.cmd 2>/dev/null | tail -1) -> $(cat "$V"/*.err 2>/dev/null | tail -3 | tr '\n' ' ')"; }
if ((vouch_ok)); then
  for alg in ES256 ES384 EdDSA; do
    vrun "$V/device-$alg.jwk" key new --alg $alg && "$VOUCH" key public < "$V/device-$alg.jwk" > "$V/device-$alg.pub.jwk" || { result FAIL "vouch key new --alg $alg" "$(oneline "$V/device-$alg.jwk.err")"; continue; }
    validity=()
    if [[ $alg == ES256 ]]; then
      validity=(--valid-from "$(date -u +%FT%TZ)" --valid-until "$(date -u -d '+30 days' +%FT%TZ)")
    fi
    if ! vrun "$V/issued-$alg.cbor" mdoc issue --doctype "$DOCTYPE" --claims "$CLAIMS" --ds-key "$V/ds.jwk" --ds-cert "$V/ds.pem" --device-key "$V/device-$alg.pub.jwk" "${validity[@]}"; then
      result FAIL "vouch mdoc issue ($alg device key)" "$(cat "$V/issued-$alg.cbor.cmd") -> $(oneline "$V/issued-$alg.cbor.err")"; continue
    fi
    disc=("${DISCLOSE[@]}"); exp="$W/expected.json"
    [[ $alg != ES256 ]] && { disc=("${SMALL[@]}"); exp="$W/expected-small.json"; }
    st="$W/st.cbor"; [[ $alg == ES384 ]] && st="$W/st24.cbor"
    if ! vrun "$V/dr-$alg.cbor" mdoc present --mdoc "$V/issued-$alg.cbor" --device-key "$V/device-$alg.jwk" $(vdisc "${disc[@]}") --transcript "$st"; then
      result FAIL "vouch mdoc present ($alg device key)" "$(cat "$V/dr-$alg.cbor.cmd") -> $(oneline "$V/dr-$alg.cbor.err")"; continue
    fi
    for ver in auth0 owf vouch; do
      verify_ok "vouch issues -> vouch presents ($alg device key) -> $ver verifies" $ver "$V/dr-$alg.cbor" "$st" "$exp" "$V/iaca.pem" -- --now "$(date -u +%FT%TZ)"
    done
  done
  if [[ -f "$V/dr-ES256.cbor" ]]; then
    tamper "$V/dr-ES256.cbor" "$NS/family_name" > "$V/dr-ES256.flip.cbor"
    for ver in auth0 owf vouch; do
      want=-; [[ $ver == vouch ]] && want=digest_mismatch
      verify_reject "$ver rejects vouch's response with a flipped family_name byte" $ver "$V/dr-ES256.flip.cbor" "$W/st.cbor" $want "$V/iaca.pem" -- --now "$(date -u +%FT%TZ)"
    done
    for ver in auth0 owf; do
      verify_reject "$ver rejects vouch's response against another SessionTranscript" $ver "$V/dr-ES256.cbor" "$W/st-other.cbor" - "$V/iaca.pem" -- --now "$(date -u +%FT%TZ)"
    done
  fi
  # DeviceMac presentation (vouch present --mac-for-reader)
  if [[ -f "$V/issued-ES256.cbor" ]]; then
    if vrun "$V/dr-mac.cbor" mdoc present --mdoc "$V/issued-ES256.cbor" --device-key "$V/device-ES256.jwk" $(vdisc "${SMALL[@]}") --transcript "$W/st24.cbor" --mac-for-reader "$W/reader.pub.jwk"; then
      verify_ok "vouch issues -> vouch presents with DeviceMac -> auth0 verifies with the reader key" auth0 "$V/dr-mac.cbor" "$W/st24.cbor" "$W/expected-small.json" "$V/iaca.pem" -- --reader-key "$W/reader.jwk" --now "$(date -u +%FT%TZ)"
      verify_ok "vouch issues -> vouch presents with DeviceMac -> vouch verifies with the reader key" vouch "$V/dr-mac.cbor" "$W/st24.cbor" "$W/expected-small.json" "$V/iaca.pem" -- --reader-key "$W/reader.jwk"
      ((probes)) && probe "owf: vouch's DeviceMac response" owf "$V/dr-mac.cbor" "$W/st24.cbor" "owf 0.6.0 cannot verify any DeviceMac" "$V/iaca.pem" -- --reader-key "$W/reader.jwk" --now "$(date -u +%FT%TZ)"
    else
      result FAIL "vouch mdoc present --mac-for-reader" "$(cat "$V/dr-mac.cbor.cmd") -> $(oneline "$V/dr-mac.cbor.err")"
    fi
  fi
  # DeviceRequest-driven presentation (vouch present --request)
  tool device-request --doctype "$DOCTYPE" --element "${SMALL[@]}" > "$V/device_request.cbor"
  if [[ -f "$V/issued-ES256.cbor" ]]; then
    if vrun "$V/dr-request.cbor" mdoc present --mdoc "$V/issued-ES256.cbor" --device-key "$V/device-ES256.jwk" --request "$V/device_request.cbor" --transcript "$W/st.cbor"; then
      for ver in auth0 owf; do
        verify_ok "vouch presents for a DeviceRequest (3 elements) -> $ver verifies" $ver "$V/dr-request.cbor" "$W/st.cbor" "$W/expected-small.json" "$V/iaca.pem" -- --now "$(date -u +%FT%TZ)"
      done
    else
      result FAIL "vouch mdoc present --request" "$(cat "$V/dr-request.cbor.cmd") -> $(oneline "$V/dr-request.cbor.err")"
    fi
  fi

  echo "# 2d. vouch issues -> peer presents -> peers and vouch verify"
  # Conversion: vouch's IssuerSigned goes to owf as-is (IssuerSigned.decode) and to auth0 spliced
  # byte-exactly into its MDoc container (see peer.mjs header / README).
  if [[ -f "$V/issued-ES256.cbor" ]]; then
    for pre in auth0 owf; do
      if ! peer present --impl $pre --mdoc "$V/issued-ES256.cbor" --device-key "$V/device-ES256.jwk" --transcript "$W/st.cbor" --disclose "${DISCLOSE[@]}" --out "$V/dr-peer-$pre.cbor" 2>"$V/dr-peer-$pre.err"; then
        result FAIL "$pre presents vouch's mdoc" "$(oneline "$V/dr-peer-$pre.err")"; continue
      fi
      grep -q 're-encoded' "$V/dr-peer-$pre.err" && result INFO "$pre presents vouch's mdoc" "$(oneline "$V/dr-peer-$pre.err")"
      for ver in auth0 owf vouch; do
        verify_ok "vouch issues -> $pre presents -> $ver verifies" $ver "$V/dr-peer-$pre.cbor" "$W/st24.cbor" "$W/expected.json" "$V/iaca.pem" -- --now "$(date -u +%FT%TZ)"
      done
      tamper "$V/dr-peer-$pre.cbor" "$NS/family_name" > "$V/dr-peer-$pre.flip.cbor"
      verify_reject "vouch rejects vouch->$pre response with a flipped family_name byte" vouch "$V/dr-peer-$pre.flip.cbor" "$W/st.cbor" digest_mismatch "$V/iaca.pem"
    done
  fi

  if ((probes)); then
    echo "# 2e. probes: how vouch treats peer quirks (INFO)"
    probe "vouch: top-level status 1" vouch "$W/probe-status1.cbor" "$W/st.cbor" "auth0 and owf accept it" "$W/iss-owf/iaca.pem"
    [[ -f "$W/dr-mac-owf.cbor" ]] && probe "vouch: owf's DeviceMac response (alg -7)" vouch "$W/dr-mac-owf.cbor" "$W/st.cbor" "should be rejected" "$W/iss-owf/iaca.pem" -- --reader-key "$W/reader.jwk"
    [[ -f "$W/raw-auth0/issuer_signed.cbor" ]] && {
      peer present --impl auth0 --raw-keys --mdoc "$W/raw-auth0/mdoc.cbor" --device-key "$W/device-nokid.jwk" --transcript "$W/st.cbor" --disclose "${SMALL[@]}" --out "$W/probe-raw-auth0.cbor" 2>/dev/null \
        && probe "vouch: auth0 output with kid: undefined (issuerAuth, deviceSignature) and a tstr kid in the MSO deviceKey" vouch "$W/probe-raw-auth0.cbor" "$W/st.cbor" "CBOR undefined as COSE kid" "$W/iss-auth0/iaca.pem"
    }
    [[ -f "$W/raw-owf-noalg.cbor" ]] && probe "vouch: owf deviceSignature with protected header {1: undefined}" vouch "$W/raw-owf-noalg.cbor" "$W/st.cbor" "no usable alg: should be rejected" "$W/iss-auth0/iaca.pem"
    [[ -f "$W/raw-owf-kid.cbor" ]] && probe "vouch: owf deviceSignature with a text-string kid" vouch "$W/raw-owf-kid.cbor" "$W/st.cbor" "kid tstr instead of bstr" "$W/iss-auth0/iaca.pem"
    peer issue --impl owf --raw-keys --pki-dir "$W/iss-owf" --claims "$CLAIMS" --device-key "$W/device.pub.jwk" --out-dir "$W/raw-owf-iss" 2>/dev/null \
      && peer present --impl owf --mdoc "$W/raw-owf-iss/issuer_signed.cbor" --device-key "$W/device.jwk" --transcript "$W/st.cbor" --disclose "${SMALL[@]}" --out "$W/probe-owf-tstr-kid.cbor" 2>/dev/null \
      && probe "vouch: owf issuerAuth with a text-string kid" vouch "$W/probe-owf-tstr-kid.cbor" "$W/st.cbor" "kid tstr instead of bstr" "$W/iss-owf/iaca.pem"
    [[ -f "$V/dr-ES256.cbor" ]] && {
      vrun "$V/dr-other.cbor" mdoc present --mdoc "$V/issued-ES256.cbor" --device-key "$V/device-ES256.jwk" $(vdisc "${SMALL[@]}") --transcript "$W/st-other.cbor" \
        && tool attach-payload --transcript "$W/st-other.cbor" < "$V/dr-other.cbor" > "$V/dr-attached.cbor" \
        && for v in auth0 owf; do probe "$v: vouch's deviceSignature with attached payload for another SessionTranscript" $v "$V/dr-attached.cbor" "$W/st.cbor" "replay across sessions" "$V/iaca.pem" -- --now "$(date -u +%FT%TZ)"; done
    }
  fi
fi

echo "# summary: $pass passed, $failn failed, $infon info"
echo "$pass passed, $failn failed"
((failn == 0)) || exit 1
