#!/usr/bin/env python3
"""Helpers for run.sh (standard library only).

  plan PROFILE CLAIMS            JSON Pointers to disclose, one a line (PROFILE: partial | all | none)
  check CLAIMS PROFILE ISS VCT HOLDER_PUB FORMAT < verifier-stdout
                                 exit 0 if the verifier's claims are exactly what was disclosed;
                                 else print the reason (one line) and exit 1. FORMAT: vouch | peer
  rejected < vouch-stdout        exit 0 if the vouch report says valid=false with an error code
  tamper-sig < presentation      flip one base64url character in the middle of the issuer signature
  strip-kb < presentation        drop the KB-JWT (keeps the trailing '~')
"""

import json
import sys

REGISTERED = {"iss", "iat", "exp", "nbf", "vct", "cnf", "status", "sub", "vct#integrity"}


def user_claims(claims):
    return [(k, v) for k, v in claims.items() if k not in REGISTERED]


def esc(token):
    return str(token).replace("~", "~0").replace("/", "~1")


def leaves(value, prefix):
    if isinstance(value, dict) and value:
        out = []
        for k, v in value.items():
            out += leaves(v, f"{prefix}/{esc(k)}")
        return out
    if isinstance(value, list) and value:
        out = []
        for i, v in enumerate(value):
            out += leaves(v, f"{prefix}/{i}")
        return out
    return [prefix]


def plan(profile, claims):
    """Which claims to disclose. partial: top-level scalars alternate shown/hidden; an array shows
    its first element only; an object shows every other leaf (so nested and array disclosures are
    exercised along with undisclosed siblings). all: every leaf. none: nothing."""
    if profile == "none":
        return []
    if profile == "all":
        out = []
        for k, v in user_claims(claims):
            out += leaves(v, f"/{esc(k)}")
        return out
    if profile != "partial":
        raise SystemExit(f"unknown profile {profile}")
    out = []
    scalar_i = 0
    for k, v in user_claims(claims):
        p = f"/{esc(k)}"
        if isinstance(v, list) and v:
            out.append(f"{p}/0")
        elif isinstance(v, dict) and v:
            out += leaves(v, p)[::2]
        else:
            if scalar_i % 2 == 0:
                out.append(p)
            scalar_i += 1
    return out


def unesc(token):
    return token.replace("~1", "/").replace("~0", "~")


def expected(claims, pointers):
    """The user claims a verifier must output when exactly `pointers` were disclosed: the value at
    each pointer and everything below it, with array elements kept in order and undisclosed ones
    left out."""
    marks = {}
    for p in pointers:
        node = marks
        toks = [unesc(t) for t in p[1:].split("/")]
        for i, t in enumerate(toks):
            if node is True:
                break
            if i == len(toks) - 1:
                node[t] = True
            else:
                node = node.setdefault(t, {})
                if node is True:
                    break

    def build(value, m):
        if m is True:
            return value
        if isinstance(value, dict):
            return {k: build(value[k], m[k]) for k in value if k in m}
        if isinstance(value, list):
            return [build(value[i], m[str(i)]) for i in range(len(value)) if str(i) in m]
        return value

    return build(dict(user_claims(claims)), marks)


def find_internal(v, path="$"):
    if isinstance(v, dict):
        for k, x in v.items():
            if k in ("_sd", "_sd_alg", "..."):
                return f"{path}.{k}"
            r = find_internal(x, f"{path}.{k}")
            if r:
                return r
    elif isinstance(v, list):
        for i, x in enumerate(v):
            r = find_internal(x, f"{path}[{i}]")
            if r:
                return r
    return None


def diff(exp, got, path="$"):
    if type(exp) is not type(got):
        return f"{path}: expected {json.dumps(exp, ensure_ascii=False)}, got {json.dumps(got, ensure_ascii=False)}"
    if isinstance(exp, dict):
        for k in exp:
            if k not in got:
                return f"{path}.{k}: disclosed but missing"
        for k in got:
            if k not in exp:
                return f"{path}.{k}: not disclosed but present ({json.dumps(got[k], ensure_ascii=False)})"
        for k in exp:
            r = diff(exp[k], got[k], f"{path}.{k}")
            if r:
                return r
        return None
    if isinstance(exp, list):
        if len(exp) != len(got):
            return f"{path}: expected {len(exp)} element(s) {json.dumps(exp, ensure_ascii=False)}, got {json.dumps(got, ensure_ascii=False)}"
        for i, (a, b) in enumerate(zip(exp, got)):
            r = diff(a, b, f"{path}[{i}]")
            if r:
                return r
        return None
    if exp != got:
        return f"{path}: expected {json.dumps(exp, ensure_ascii=False)}, got {json.dumps(got, ensure_ascii=False)}"
    return None


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def cmd_check(claims_file, profile, iss, vct, holder_pub_file, fmt):
    claims = load_json(claims_file)
    holder = load_json(holder_pub_file)
    raw = sys.stdin.read()
    try:
        out = json.loads(raw)
    except ValueError:
        return fail(f"verifier output is not JSON: {raw[:200]!r}")
    if fmt == "vouch":
        if out.get("valid") is not True:
            return fail(f"vouch says invalid: {json.dumps(out.get('error'))}")
        if out.get("format") != "dc+sd-jwt":
            return fail(f"vouch report format {out.get('format')!r}")
        if out.get("error") is not None:
            return fail(f"vouch valid but error {out.get('error')!r}")
        if out.get("issuer") != iss:
            return fail(f"vouch report issuer {out.get('issuer')!r} != {iss!r}")
        got = out.get("claims")
        if not isinstance(got, dict):
            return fail("vouch report has no claims object")
    else:
        got = out
    r = find_internal(got)
    if r:
        return fail(f"internal SD-JWT member left in the claims at {r}")
    if got.get("iss") != iss:
        return fail(f"iss {got.get('iss')!r} != {iss!r}")
    if got.get("vct") != vct:
        return fail(f"vct {got.get('vct')!r} != {vct!r}")
    cnf = (got.get("cnf") or {}).get("jwk") or {}
    for m in ("kty", "crv", "x", "y"):
        if cnf.get(m) != holder.get(m):
            return fail(f"cnf.jwk.{m} {cnf.get(m)!r} is not the holder's {holder.get(m)!r}")
    if "d" in cnf:
        return fail("cnf.jwk carries a private key")
    if not isinstance(got.get("iat"), int):
        return fail(f"iat {got.get('iat')!r} is not an integer")
    want = expected(claims, plan(profile, claims))
    r = diff(want, dict(user_claims(got)))
    if r:
        return fail(r)
    return 0


def fail(msg):
    print(msg)
    return 1


def cmd_rejected():
    raw = sys.stdin.read()
    try:
        out = json.loads(raw)
    except ValueError:
        return fail(f"vouch output is not JSON: {raw[:200]!r}")
    if out.get("valid") is not False:
        return fail(f"vouch report valid={out.get('valid')!r}")
    err = out.get("error") or {}
    if not err.get("code"):
        return fail("rejected without an error code")
    if out.get("claims") not in (None, {}):
        return fail("rejected but still reports claims")
    print(err.get("code"))
    return 0


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def cmd_tamper_sig():
    pres = sys.stdin.read().strip()
    jws, rest = pres.split("~", 1)
    h, p, s = jws.split(".")
    # The middle character: never the last one, whose low bits may be padding that decoders ignore.
    i = len(s) // 2
    c = B64[(B64.index(s[i]) + 1) % 64]
    s = s[:i] + c + s[i + 1:]
    sys.stdout.write(f"{h}.{p}.{s}~{rest}\n")
    return 0


def cmd_strip_kb():
    pres = sys.stdin.read().strip()
    sys.stdout.write(pres.rsplit("~", 1)[0] + "~\n")
    return 0


def main(argv):
    if not argv:
        raise SystemExit(__doc__)
    cmd, args = argv[0], argv[1:]
    if cmd == "plan":
        for p in plan(args[0], load_json(args[1])):
            print(p)
        return 0
    if cmd == "check":
        return cmd_check(*args)
    if cmd == "rejected":
        return cmd_rejected()
    if cmd == "tamper-sig":
        return cmd_tamper_sig()
    if cmd == "strip-kb":
        return cmd_strip_kb()
    raise SystemExit(f"unknown command {cmd}\n{__doc__}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
