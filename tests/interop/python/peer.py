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
  openid4vp --url openid4vp://... --credential FILE --holder-key holder.jwk [--trust-root root.pem]
                                           a wallet answering an OpenID4VP 1.0 request by reference: fetches
                                           the signed request object (request_uri_method=post, wallet_nonce),
                                           checks its x5c signature (and chain to --trust-root), client_id,
                                           wallet_nonce; discloses the DCQL query's claims with a KB-JWT whose
                                           aud is the client_id and nonce the request's; posts vp_token
                                           (direct_post) or an ECDH-ES JWE (direct_post.jwt) to response_uri.
                                           JSON {request, disclosed, status, body} on stdout

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


# ---------------------------------------------------------------- openid4vp (a wallet)

def _http(url, form=None):
    import urllib.error
    import urllib.parse
    import urllib.request
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if form is not None else "GET")
    if form is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def cmd_openid4vp(a):
    import base64
    import urllib.parse
    from cryptography import x509
    from jwcrypto.jwe import JWE
    from jwcrypto.jws import JWS

    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(a.url).query))
    client_id, request_uri = q.get("client_id"), q.get("request_uri")
    if not client_id or not request_uri:
        raise SystemExit("peer.py: the URL has no client_id or request_uri")
    wallet_nonce = base64.urlsafe_b64encode(os.urandom(12)).decode().rstrip("=")
    if q.get("request_uri_method") == "post":
        meta = {"vp_formats_supported": {"dc+sd-jwt": {"sd-jwt_alg_values": [ALG], "kb-jwt_alg_values": [ALG]}}}
        status, ctype, jwt = _http(request_uri, {"wallet_nonce": wallet_nonce, "wallet_metadata": json.dumps(meta)})
    else:
        wallet_nonce = None
        status, ctype, jwt = _http(request_uri)
    if status != 200 or not ctype.startswith("application/oauth-authz-req+jwt"):
        raise SystemExit(f"peer.py: request_uri answered {status} {ctype}: {jwt[:200]}")
    jwt = jwt.strip()
    header = json.loads(b64d(jwt.split(".")[0]))
    if header.get("typ") != "oauth-authz-req+jwt":
        raise SystemExit(f"peer.py: request object typ {header.get('typ')!r}")
    chain = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in header.get("x5c", [])]
    if not chain:
        raise SystemExit("peer.py: the request object has no x5c")
    leaf_pub = JWK.from_pyca(chain[0].public_key())
    jws = JWS()
    jws.deserialize(jwt)
    jws.verify(leaf_pub)  # raises on a bad signature
    for child, parent in zip(chain, chain[1:]):
        child.verify_directly_issued_by(parent)
    if a.trust_root:
        with open(a.trust_root, "rb") as f:
            root = x509.load_pem_x509_certificate(f.read())
        top = chain[-1]
        if top.fingerprint(top.signature_hash_algorithm) != root.fingerprint(top.signature_hash_algorithm):
            top.verify_directly_issued_by(root)
    req = json.loads(jws.payload)
    if req.get("client_id") != client_id:
        raise SystemExit(f"peer.py: client_id {req.get('client_id')!r} is not the URL's {client_id!r}")
    findings = []
    if client_id.startswith("x509_san_dns:"):
        try:
            dns = chain[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
        except ValueError as e:
            # pyca/cryptography refuses DER that encodes a DEFAULT (e.g. BasicConstraints cA FALSE):
            # reported in the output instead of failing, so the caller can see it.
            findings.append(f"leaf certificate extensions do not parse as DER: {e}")
            dns = None
        if dns is not None and client_id.split(":", 1)[1] not in dns:
            raise SystemExit(f"peer.py: {client_id} is not a dNSName of the leaf ({dns})")
    if wallet_nonce is not None and req.get("wallet_nonce") != wallet_nonce:
        raise SystemExit("peer.py: wallet_nonce not echoed")
    if not isinstance(req.get("exp"), int) or req["exp"] <= time.time():
        raise SystemExit("peer.py: the request object has expired or has no exp")
    nonce, response_uri, mode = req["nonce"], req["response_uri"], req["response_mode"]

    # DCQL: the one dc+sd-jwt credential query our credential matches.
    with open(a.credential, encoding="ascii") as f:
        issuance = f.read().strip()
    holder = SDJWTHolder(issuance)
    vct = holder.sd_jwt_payload.get("vct")
    vp_token, disclosed = {}, []
    for cq in req["dcql_query"]["credentials"]:
        if cq.get("format") != TYP or vct not in cq.get("meta", {}).get("vct_values", [vct]):
            continue
        pointers = ["/" + "/".join(str(e).replace("~", "~0").replace("/", "~1") for e in c["path"])
                    for c in cq.get("claims", [])]
        holder = SDJWTHolder(issuance)
        full = full_mask(holder, holder.sd_jwt_payload)
        if full is True:
            full = {}
        selection = {}
        for p in pointers:
            selection = merge(selection, mask_at(full, parse_pointer(p)))
        holder.create_presentation(selection, nonce=nonce, aud=client_id,
                                   holder_key=load_jwk(a.holder_key), sign_alg=ALG)
        vp_token[cq["id"]] = [holder.sd_jwt_presentation]
        disclosed = pointers
        break
    if not vp_token:
        raise SystemExit("peer.py: no credential matches the DCQL query")

    params = {"vp_token": vp_token}
    if "state" in req:
        params["state"] = req["state"]
    if mode == "direct_post":
        form = {"vp_token": json.dumps(vp_token)}
        if "state" in req:
            form["state"] = req["state"]
    elif mode == "direct_post.jwt":
        keys = req.get("client_metadata", {}).get("jwks", {}).get("keys", [])
        enc_values = req.get("client_metadata", {}).get("encrypted_response_enc_values_supported", ["A128GCM"])
        if not keys:
            raise SystemExit("peer.py: direct_post.jwt without client_metadata.jwks")
        key = JWK(**keys[0])
        protected = {"alg": "ECDH-ES", "enc": "A128GCM" if "A128GCM" in enc_values else enc_values[0]}
        if keys[0].get("kid"):
            protected["kid"] = keys[0]["kid"]
        jwe = JWE(json.dumps(params).encode(), protected=json.dumps(protected))
        jwe.add_recipient(key)
        form = {"response": jwe.serialize(compact=True)}
    else:
        raise SystemExit(f"peer.py: response_mode {mode!r} is not supported")
    status, _, body = _http(response_uri, form)
    out = {
        "request": {"client_id": client_id, "nonce": nonce, "response_uri": response_uri,
                    "response_mode": mode, "state": req.get("state")},
        "disclosed": disclosed,
        "findings": findings,
        "status": status,
        "body": json.loads(body) if body.startswith("{") else body,
    }
    sys.stdout.write(json.dumps(out) + "\n")


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

    s = sub.add_parser("openid4vp")
    s.add_argument("--url", required=True)
    s.add_argument("--credential", required=True)
    s.add_argument("--holder-key", required=True)
    s.add_argument("--trust-root", help="PEM certificate the request's x5c chain must end at")
    s.set_defaults(fn=cmd_openid4vp)

    sub.add_parser("keygen").set_defaults(fn=cmd_keygen)
    sub.add_parser("public").set_defaults(fn=cmd_public)

    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
