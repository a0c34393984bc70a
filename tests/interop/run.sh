#!/usr/bin/env bash
# SD-JWT VC interop matrix: vouch <-> sd-jwt-python 0.10.4 <-> sd-jwt-js 0.19.0 (see README.md).
#
#   tests/interop/run.sh [--peers-only] [--claims FILE]... [--keep]
#
# VOUCH: the vouch binary (default $HOME/.cache/vouch-target/debug/vouch).
# For every claims file, every issuer x holder x verifier among {vouch, python, node} and every
# disclosure profile (partial, all, none), the holder presents with a KB-JWT and the verifier's
# claims must be exactly the disclosed ones. Then negative cells: a presentation with a flipped
# issuer-signature character, a wrong nonce, a wrong aud or no KB-JWT must be rejected by every
# verifier. One line per cell; exit 1 on any FAIL, 2 on a setup or usage error.
# --peers-only runs the python/node cells only (no vouch needed); --keep keeps the work folder.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
VOUCH="${VOUCH:-$HOME/.cache/vouch-target/debug/vouch}"

parties=(vouch python node)
claims_files=()
keep=0
while (($#)); do
  case "$1" in
    --peers-only) parties=(python node) ;;
    --claims) claims_files+=("$2"); shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if ((${#claims_files[@]} == 0)); then
  # The project's example PID claims, and our own fixture (a 2-element array, non-ASCII strings).
  [[ -f "$repo/specs/examples/pid.claims.json" ]] && claims_files+=("$repo/specs/examples/pid.claims.json")
  claims_files+=("$here/fixtures/claims.json")
fi

if [[ "${INTEROP_SKIP_SETUP:-0}" != 1 ]]; then
  "$here/setup.sh" || { echo "run.sh: setup.sh failed" >&2; exit 2; }
fi
venv="${VOUCH_PY_VENV:-$here/.venv}"
PY="$venv/bin/python"
H=("$PY" "$here/harness.py")
PYPEER=("$PY" "$here/python/peer.py")
NODEPEER=(node "$here/node/peer.mjs")

if [[ " ${parties[*]} " == *" vouch "* ]]; then
  if [[ ! -x "$VOUCH" ]]; then
    echo "run.sh: no vouch binary at $VOUCH (set VOUCH, or use --peers-only)" >&2
    exit 2
  fi
  if ! "$VOUCH" sd-jwt verify --help >/dev/null 2>&1; then
    echo "run.sh: $VOUCH has no 'sd-jwt verify' command" >&2
    exit 2
  fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/vouch-interop.XXXXXX")"
ISS_BASE="https://issuer.example.org"
VCT="urn:eudi:pid:1"
AUD="https://verifier.example.org"
pass=0
failn=0

cleanup() {
  if ((keep == 0 && failn == 0)); then rm -rf "$work"; else echo "work folder kept: $work"; fi
}
trap cleanup EXIT

result() { # result PASS|FAIL "cell description" ["reason"]
  if [[ "$1" == PASS ]]; then
    pass=$((pass + 1)); printf 'PASS  %s%s\n' "$2" "${3:+  ($3)}"
  else
    failn=$((failn + 1)); printf 'FAIL  %s: %s\n' "$2" "${3:-}"
  fi
}

firstline() { # a short, one-line excerpt of a file
  tr '\n' ' ' < "$1" | sed 's/  */ /g' | cut -c1-300
}

# ------------------------------------------------------------------ the parties' commands
keygen() { # keygen PARTY OUT
  case "$1" in
    vouch) "$VOUCH" key new --alg ES256 ;;
    python) "${PYPEER[@]}" keygen ;;
    node) "${NODEPEER[@]}" keygen ;;
  esac > "$2"
}
pubkey() { # pubkey PARTY IN OUT
  case "$1" in
    vouch) "$VOUCH" key public ;;
    python) "${PYPEER[@]}" public ;;
    node) "${NODEPEER[@]}" public ;;
  esac < "$2" > "$3"
}
issue() { # issue PARTY ISSUER_KEY ISS CLAIMS HOLDER_PUB OUT [vouch extra args...]
  local party="$1" key="$2" iss="$3" claims="$4" holder="$5" out="$6"; shift 6
  case "$party" in
    vouch) "$VOUCH" sd-jwt issue --key "$key" --iss "$iss" --vct "$VCT" --claims "$claims" \
             --holder "$holder" --sd-all --exp 86400 "$@" ;;
    python) "${PYPEER[@]}" issue --key "$key" --iss "$iss" --vct "$VCT" --claims "$claims" --holder "$holder" --sd-all ;;
    node) "${NODEPEER[@]}" issue --key "$key" --iss "$iss" --vct "$VCT" --claims "$claims" --holder "$holder" --sd-all ;;
  esac > "$out" 2> "$out.err"
}
present() { # present PARTY CREDENTIAL HOLDER_KEY NONCE OUT POINTER...
  local party="$1" cred="$2" hkey="$3" nonce="$4" out="$5"; shift 5
  local args=() p
  case "$party" in
    vouch)
      for p in "$@"; do args+=(--disclose "$p"); done
      "$VOUCH" sd-jwt present --credential "$cred" "${args[@]}" --holder-key "$hkey" --aud "$AUD" --nonce "$nonce" ;;
    python)
      (($#)) && args=(--disclose "$@")
      "${PYPEER[@]}" present --credential "$cred" "${args[@]}" --holder-key "$hkey" --aud "$AUD" --nonce "$nonce" ;;
    node)
      (($#)) && args=(--disclose "$@")
      "${NODEPEER[@]}" present --credential "$cred" "${args[@]}" --holder-key "$hkey" --aud "$AUD" --nonce "$nonce" ;;
  esac > "$out" 2> "$out.err"
}
verify() { # verify PARTY ISSUER_PUB AUD NONCE IN OUT
  local party="$1" pub="$2" aud="$3" nonce="$4" in="$5" out="$6"
  case "$party" in
    vouch) "$VOUCH" sd-jwt verify --issuer-key "$pub" --aud "$aud" --nonce "$nonce" --require-kb ;;
    python) "${PYPEER[@]}" verify --issuer-key "$pub" --aud "$aud" --nonce "$nonce" ;;
    node) "${NODEPEER[@]}" verify --issuer-key "$pub" --aud "$aud" --nonce "$nonce" ;;
  esac < "$in" > "$out" 2> "$out.err"
}

# ------------------------------------------------------------------ keys: each party makes its own
for p in "${parties[@]}"; do
  for role in issuer holder; do
    if ! keygen "$p" "$work/$p.$role.jwk" 2> "$work/$p.$role.err" || ! pubkey "$p" "$work/$p.$role.jwk" "$work/$p.$role.pub.jwk" 2>> "$work/$p.$role.err"; then
      result FAIL "keys party=$p role=$role" "$(firstline "$work/$p.$role.err")"
    fi
  done
done

nonce() { printf 'n-%s-%s' "$(date +%s%N)" "$RANDOM"; }

# issuer variants: "vouch+decoys" is vouch issuing with decoy digests in every _sd array.
issuers=("${parties[@]}")
[[ " ${parties[*]} " == *" vouch "* ]] && issuers+=("vouch+decoys")

for claims in "${claims_files[@]}"; do
  cname="$(basename "$claims" .json)"; cname="${cname%.claims}"; [[ "$cname" == claims ]] && cname=fixture
  d="$work/$cname"; mkdir -p "$d"
  for ip in "${issuers[@]}"; do
    iparty="${ip%%+*}"
    iss="$ISS_BASE/$ip"
    for hp in "${parties[@]}"; do
      cred="$d/cred.$ip.$hp"
      extra=(); [[ "$ip" == *+decoys ]] && extra=(--decoys 2)
      if ! issue "$iparty" "$work/$iparty.issuer.jwk" "$iss" "$claims" "$work/$hp.holder.pub.jwk" "$cred" "${extra[@]}" || [[ ! -s "$cred" ]]; then
        result FAIL "claims=$cname issuer=$ip holder=$hp" "issue failed: $(firstline "$cred.err")"
        continue
      fi
      profiles=(partial all none)
      [[ "$ip" == *+decoys ]] && profiles=(partial)
      for prof in "${profiles[@]}"; do
        mapfile -t ptrs < <("${H[@]}" plan "$prof" "$claims")
        n="$(nonce)"
        pres="$d/pres.$ip.$hp.$prof"
        if ! present "$hp" "$cred" "$work/$hp.holder.jwk" "$n" "$pres" "${ptrs[@]}" || [[ ! -s "$pres" ]]; then
          result FAIL "claims=$cname profile=$prof issuer=$ip holder=$hp" "present failed: $(firstline "$pres.err")"
          continue
        fi
        for vp in "${parties[@]}"; do
          cell="claims=$cname profile=$prof issuer=$ip holder=$hp verifier=$vp"
          out="$pres.verify.$vp"
          verify "$vp" "$work/$iparty.issuer.pub.jwk" "$AUD" "$n" "$pres" "$out"
          rc=$?
          fmt=peer; [[ "$vp" == vouch ]] && fmt=vouch
          if ((rc != 0)); then
            if [[ "$vp" == vouch ]]; then
              result FAIL "$cell" "exit $rc: $(firstline "$out") $(firstline "$out.err")"
            else
              result FAIL "$cell" "exit $rc: $(firstline "$out.err")"
            fi
          elif why="$("${H[@]}" check "$claims" "$prof" "$iss" "$VCT" "$work/$hp.holder.pub.jwk" "$fmt" < "$out")"; then
            result PASS "$cell"
          else
            result FAIL "$cell" "$why"
          fi
        done
      done
    done
  done
done

# ------------------------------------------------------------------ negative cells
# On the first claims file, each party issuing to itself and presenting (profile partial).
claims="${claims_files[0]}"
cname="$(basename "$claims" .json)"; cname="${cname%.claims}"; [[ "$cname" == claims ]] && cname=fixture
d="$work/$cname"
mapfile -t ptrs < <("${H[@]}" plan partial "$claims")
for p in "${parties[@]}"; do
  cred="$d/cred.$p.$p"
  [[ -s "$cred" ]] || continue
  for mut in tampered-sig wrong-nonce wrong-aud no-kb; do
    n="$(nonce)"
    good="$d/neg.$p.$mut.good"
    if ! present "$p" "$cred" "$work/$p.holder.jwk" "$n" "$good" "${ptrs[@]}"; then
      result FAIL "reject $mut issuer=$p holder=$p" "present failed: $(firstline "$good.err")"
      continue
    fi
    bad="$d/neg.$p.$mut"
    aud="$AUD"; vnonce="$n"
    case "$mut" in
      tampered-sig) "${H[@]}" tamper-sig < "$good" > "$bad" ;;
      wrong-nonce) cp "$good" "$bad"; vnonce="$n-other" ;;
      wrong-aud) cp "$good" "$bad"; aud="$AUD/other" ;;
      no-kb) "${H[@]}" strip-kb < "$good" > "$bad" ;;
    esac
    for vp in "${parties[@]}"; do
      cell="reject $mut issuer=$p holder=$p verifier=$vp"
      out="$bad.verify.$vp"
      verify "$vp" "$work/$p.issuer.pub.jwk" "$aud" "$vnonce" "$bad" "$out"
      rc=$?
      if [[ "$vp" == vouch ]]; then
        if ((rc != 1)); then
          result FAIL "$cell" "vouch exit $rc (want 1): $(firstline "$out") $(firstline "$out.err")"
        elif code="$("${H[@]}" rejected < "$out")"; then
          result PASS "$cell" "$code"
        else
          result FAIL "$cell" "$code"
        fi
      else
        if ((rc == 0)); then
          result FAIL "$cell" "accepted: $(firstline "$out")"
        elif [[ -s "$out" ]]; then
          result FAIL "$cell" "exit $rc but printed claims"
        else
          result PASS "$cell" "$(firstline "$out.err" | cut -c1-100)"
        fi
      fi
    done
  done
done

# ------------------------------------------------------------------ probes
# Well-signed presentations with one defect that RFC 9901 / SD-JWT VC require a verifier to reject.
# vouch must reject each (counted); what each peer does is printed as INFO, both for the peer CLI
# and for the library alone (PEER_LIBRARY_ONLY=1 turns the peers' own extra checks off).
PROBE=("$PY" "$here/probe.py")
if [[ " ${parties[*]} " == *" vouch "* ]]; then
  pd="$d/probes"; mkdir -p "$pd"
  "${PYPEER[@]}" issue --key "$work/python.issuer.jwk" --iss "$ISS_BASE/python" --vct "$VCT" --claims "$claims" \
    --holder "$work/python.holder.pub.jwk" --exp -120 > "$pd/cred.expired" 2> "$pd/cred.expired.err"
  "${PYPEER[@]}" issue --key "$work/python.issuer.jwk" --iss "$ISS_BASE/python" --vct "$VCT" --claims "$claims" \
    --holder "$work/python.holder.pub.jwk" --typ example+sd-jwt > "$pd/cred.typ" 2> "$pd/cred.typ.err"
  for pr in unreferenced-disclosure duplicate-disclosure stale-kb future-kb wrong-aud expired typ-example+sd-jwt; do
    n="$(nonce)"; aud="$AUD"
    bad="$pd/$pr"
    case "$pr" in
      expired) present python "$pd/cred.expired" "$work/python.holder.jwk" "$n" "$bad" "${ptrs[@]}" ;;
      typ-*) present python "$pd/cred.typ" "$work/python.holder.jwk" "$n" "$bad" "${ptrs[@]}" ;;
      wrong-aud) present python "$d/cred.python.python" "$work/python.holder.jwk" "$n" "$bad" "${ptrs[@]}"; aud="$AUD/other" ;;
      *) present python "$d/cred.python.python" "$work/python.holder.jwk" "$n" "$bad.good" "${ptrs[@]}" &&
           "${PROBE[@]}" "$pr" --holder-key "$work/python.holder.jwk" --aud "$AUD" --nonce "$n" < "$bad.good" > "$bad" 2> "$bad.err" ;;
    esac
    if [[ ! -s "$bad" ]]; then
      result FAIL "probe $pr" "could not build the probe: $(firstline "$bad.err")"
      continue
    fi
    cell="probe $pr issuer=python holder=python verifier=vouch"
    verify vouch "$work/python.issuer.pub.jwk" "$aud" "$n" "$bad" "$bad.vouch"
    rc=$?
    if ((rc != 1)); then
      result FAIL "$cell" "vouch exit $rc (want 1): $(firstline "$bad.vouch") $(firstline "$bad.vouch.err")"
    elif code="$("${H[@]}" rejected < "$bad.vouch")"; then
      result PASS "$cell" "$code"
    else
      result FAIL "$cell" "$code"
    fi
    for vp in python node; do
      verify "$vp" "$work/python.issuer.pub.jwk" "$aud" "$n" "$bad" "$bad.$vp"; cli=$?
      PEER_LIBRARY_ONLY=1 verify "$vp" "$work/python.issuer.pub.jwk" "$aud" "$n" "$bad" "$bad.$vp.lib"; lib=$?
      word() { (($1 == 0)) && echo accepts || echo "rejects ($(firstline "$2" | cut -c1-90))"; }
      printf 'INFO  probe %s verifier=%s: library %s; peer CLI %s\n' "$pr" "$vp" "$(word $lib "$bad.$vp.lib.err")" "$(word $cli "$bad.$vp.err")"
    done
  done
fi

echo "interop: $pass passed, $failn failed"
((failn == 0))
