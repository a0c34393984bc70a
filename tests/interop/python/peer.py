#!/usr/bin/env python3
"""SD-JWT VC interop peer built on the OpenWallet reference library `sd-jwt==0.10.4`.

Subcommands (ES256 only):
  keygen                                   private JWK (kid = RFC 7638 thumbprint) on stdout
  public < private.jwk                     public JWK on stdout
  issue --key issuer.jwk --iss URL --vct VCT --claims claims.json --holder holder.pub.jwk
        [--sd-all] [--exp SECONDS] [--typ T]  dc+sd-jwt issuance (compact, trailing '~') on stdout
  present --credential FILE --disclose NAME_OR_POINTER... --holder-key holder.jwk --aud AUD --nonce NONCE
                                           SD-JWT+KB on stdout
  verify --issuer-key pub.jwk --aud AUD --nonce NONCE < presentation
                                           verified (processed) claims as JSON on stdout, exit 1 on rejection

Only the library's public classes are used: SDJWTIssuer, SDJWTHolder, SDJWTVerifier, SDObj
(read from site-packages/sd_jwt/{issuer,holder,verifier,common}.py). Where the library is lenient
(see ../README.md), the checks this peer adds are marked "harness check"; PEER_LIBRARY_ONLY=1 turns
them off.
"""

import argparse
import json
import os
import sys
import time
from base64 import urlsafe_b64decode

from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj, SD_DIGESTS_KEY, SD_LIST_PREFIX
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

TYP = "dc+sd-jwt"
ALG = "ES256"
# Registered claims that stay in the clear (sd-jwt-js refuses to make these selectively disclosable).
RESERVED = {"iss", "nbf", "exp", "iat", "cnf", "vct", "status", "_sd", "_sd_alg"}
KB_IAT_WINDOW = 300  # seconds; harness check, the library never looks at the KB-JWT iat


class Reject(Exception):
    pass


def b64d(s):
    return urlsafe_b64decode(s + "=" * (-len(s) % 4))


def load_jwk(path):
    with open(path, "rb") as f:
        return JWK.from_json(f.read())


# ---------------------------------------------------------------- issue

def mark_sd(value):
    """Wrap every object key and array element in SDObj, recursively."""
    if isinstance(value, dict):
        return {SDObj(k): mark_sd(v) for k, v in value.items()}
    if isinstance(value, list):
        return [SDObj(mark_sd(v)) for v in value]
    return value


def cmd_issue(a):
    issuer_key = load_jwk(a.key)
    holder_pub = load_jwk(a.holder)
    with open(a.claims, encoding="utf-8") as f:
        claims = json.load(f)
    now = int(time.time())
    user_claims = {"iss": a.iss, "vct": a.vct, "iat": now}
    if a.exp:
        user_claims["exp"] = now + a.exp
    for k, v in claims.items():
        if k in RESERVED:
            user_claims[k] = v  # left in the clear
        else:
            # Every top-level claim is selectively disclosable, array elements too,
            # and objects (address) recursively.  --sd-all is the default and only mode.
            user_claims[SDObj(k)] = mark_sd(v)
    header = {"typ": a.typ}  # the library's default typ is "example+sd-jwt"
    if issuer_key.get("kid"):
        header["kid"] = issuer_key.get("kid")
    issuer = SDJWTIssuer(
        user_claims,
        issuer_key,
        holder_key=holder_pub,  # -> cnf.jwk = holder_key.export_public(as_dict=True)
        sign_alg=ALG,
        extra_header_parameters=header,
    )
    sys.stdout.write(issuer.sd_jwt_issuance + "\n")


# ---------------------------------------------------------------- present

def parse_pointer(p):
    if not p.startswith("/"):
        return [p]  # a plain top-level claim name
    return [t.replace("~1", "/").replace("~0", "~") for t in p[1:].split("/")]


def full_mask(holder, node):
    """The library's claims_to_disclose structure that discloses everything below `node`
    (a node of the issuer-signed payload, with `_sd` / `...` digests)."""
    m = holder._hash_to_decoded_disclosure  # digest -> decoded disclosure
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == SD_DIGESTS_KEY:
                for d in v:
                    if d in m and len(m[d]) == 3:
                        _, key, val = m[d]
                        out[key] = full_mask(holder, val)
            elif k != "_sd_alg":
                out[k] = full_mask(holder, v)
        # the holder treats an empty dict as "do not disclose": use True for an empty object
        return out or True
    if isinstance(node, list):
        out = []
        for e in node:
            if isinstance(e, dict) and len(e) == 1 and SD_LIST_PREFIX in e:
                d = e[SD_LIST_PREFIX]
                if d in m:
                    out.append(full_mask(holder, m[d][1]))
                else:
                    out.append(None)  # decoy: the holder zips masks with the signed array by position
            else:
                out.append(full_mask(holder, e))
        return out or True
    return True


def mask_at(full, path):
    """Restrict the full mask to the subtree at `path` (and the ancestors on the way)."""
    if not path:
        return full
    head, rest = path[0], path[1:]
    if isinstance(full, dict):
        if head not in full:
            raise SystemExit(f"peer.py: nothing to disclose at {head!r}")
        return {head: mask_at(full[head], rest)}
    if isinstance(full, list):
        # Positions in the holder's list mask follow the issuer-signed array, decoys included.
        real = [i for i, e in enumerate(full) if e is not None]
        idx = int(head)
        if idx >= len(real):
            raise SystemExit(f"peer.py: no array element {idx}")
        out = [None] * len(full)
        out[real[idx]] = mask_at(full[real[idx]], rest)
        return out
    raise SystemExit(f"peer.py: cannot descend into a scalar at {head!r}")


def merge(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a is True:
        return b if b is not True else True
    if b is True:
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = merge(out.get(k), v)
        return out
    if isinstance(a, list) and isinstance(b, list):
        return [merge(x, y) for x, y in zip(a, b)]
    raise SystemExit("peer.py: conflicting disclosure selections")


def cmd_present(a):
    with open(a.credential, encoding="ascii") as f:
        issuance = f.read().strip()
    holder = SDJWTHolder(issuance)
    full = full_mask(holder, holder.sd_jwt_payload)
    if full is True:
        full = {}
    selection = {}
    for p in a.disclose or []:
        selection = merge(selection, mask_at(full, parse_pointer(p)))
    holder_key = load_jwk(a.holder_key)
    holder.create_presentation(
        selection, nonce=a.nonce, aud=a.aud, holder_key=holder_key, sign_alg=ALG
    )
    sys.stdout.write(holder.sd_jwt_presentation + "\n")


# ---------------------------------------------------------------- verify

def cmd_verify(a):
    presentation = sys.stdin.read().strip()
    issuer_pub = load_jwk(a.issuer_key)
    # PEER_LIBRARY_ONLY=1 turns the harness checks off, to show what the library alone accepts.
    strict = os.environ.get("PEER_LIBRARY_ONLY") != "1"
    try:
        # harness check: the library reads but never checks the SD-JWT typ
        header = json.loads(b64d(presentation.split("~", 1)[0].split(".")[0]))
        if strict and header.get("typ") != TYP:
            raise Reject(f"typ is {header.get('typ')!r}, expected {TYP!r}")
        if strict and header.get("alg") != ALG:
            raise Reject(f"alg is {header.get('alg')!r}, expected {ALG}")

        def cb_get_issuer_key(iss, hdr):
            return issuer_pub

        # expected_aud + expected_nonce make the library require and check the KB-JWT
        # (signature by cnf.jwk, typ kb+jwt, aud, nonce, sd_hash).
        verifier = SDJWTVerifier(
            presentation,
            cb_get_issuer_key,
            expected_aud=a.aud,
            expected_nonce=a.nonce,
        )
        claims = verifier.get_verified_payload()

        if strict:
            # harness checks the library leaves out: exp/nbf of the SD-JWT, iat of the KB-JWT
            now = int(time.time())
            if "exp" in claims and claims["exp"] <= now:
                raise Reject("SD-JWT expired")
            if "nbf" in claims and claims["nbf"] > now + 60:
                raise Reject("SD-JWT not yet valid")
            kb = presentation.rsplit("~", 1)[1]
            kb_payload = json.loads(b64d(kb.split(".")[1]))
            iat = kb_payload.get("iat")
            if not isinstance(iat, int) or abs(now - iat) > KB_IAT_WINDOW:
                raise Reject(f"KB-JWT iat {iat!r} is not within {KB_IAT_WINDOW}s of now")
            if "cnf" not in claims or "jwk" not in claims["cnf"]:
                raise Reject("no cnf.jwk")
    except Exception as e:  # the library raises plain ValueError / jwcrypto errors
        print(f"peer.py: rejected: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    sys.stdout.write(json.dumps(claims, ensure_ascii=False, sort_keys=True) + "\n")


# ---------------------------------------------------------------- keys

def cmd_keygen(a):
    key = JWK.generate(kty="EC", crv="P-256")
    d = key.export_private(as_dict=True)
    d["kid"] = key.thumbprint()
    sys.stdout.write(json.dumps(d) + "\n")


def cmd_public(a):
    key = JWK.from_json(sys.stdin.read())
    d = key.export_public(as_dict=True)
    sys.stdout.write(json.dumps(d) + "\n")


def main():
    ap = argparse.ArgumentParser(prog="peer.py")
    sub = ap.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("issue")
    s.add_argument("--key", required=True)
    s.add_argument("--iss", required=True)
    s.add_argument("--vct", required=True)
    s.add_argument("--claims", required=True)
    s.add_argument("--holder", required=True)
    s.add_argument("--sd-all", action="store_true", help="(default) every claim selectively disclosable")
    s.add_argument("--exp", type=int, default=86400, help="validity in seconds (0: no exp; negative: expired)")
    s.add_argument("--typ", default=TYP, help="header typ (probes only)")
    s.set_defaults(fn=cmd_issue)

    s = sub.add_parser("present")
    s.add_argument("--credential", required=True)
    s.add_argument("--disclose", nargs="*", default=[])
    s.add_argument("--holder-key", required=True)
    s.add_argument("--aud", required=True)
    s.add_argument("--nonce", required=True)
    s.set_defaults(fn=cmd_present)

    s = sub.add_parser("verify")
    s.add_argument("--issuer-key", required=True)
    s.add_argument("--aud", required=True)
    s.add_argument("--nonce", required=True)
    s.set_defaults(fn=cmd_verify)

    sub.add_parser("keygen").set_defaults(fn=cmd_keygen)
    sub.add_parser("public").set_defaults(fn=cmd_public)

    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
