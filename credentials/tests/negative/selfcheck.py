#!/usr/bin/env python3
"""Strict reference verifier (Python + `cryptography`) used only to sanity-check the corpus.

It reads manifest.json + keys.json and asserts that every case yields exactly its expected
code. It encodes ONE possible check order (documented in README.md); its purpose is to
prove that the ok cases verify (signatures, digests, sd_hash are right) and that each
negative case trips the intended check and nothing earlier.
"""
import base64
import hashlib
import json
import os
import re
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

HERE = os.path.dirname(os.path.abspath(__file__))
B64U = re.compile(r"^[A-Za-z0-9_-]*$")
ALLOWED_ALGS = {"ES256", "ES384", "ES512", "EdDSA"}
ALG_KEY = {"ES256": ("EC", "P-256"), "ES384": ("EC", "P-384"), "ES512": ("EC", "P-521"),
           "EdDSA": ("OKP", None)}
PROTECTED = {"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status"}
KB_WINDOW = 300


class Reject(Exception):
    def __init__(self, code, why=""):
        super().__init__(f"{code}: {why}")
        self.code = code


def b64d(s, code):
    if not isinstance(s, str) or not B64U.match(s) or len(s) % 4 == 1:
        raise Reject(code, f"not base64url: {s[:30]!r}")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def sha(s):
    return base64.urlsafe_b64encode(hashlib.sha256(s.encode("ascii")).digest()).rstrip(b"=").decode()


def ec_pub(jwk):
    x = int.from_bytes(base64.urlsafe_b64decode(jwk["x"] + "=="), "big")
    y = int.from_bytes(base64.urlsafe_b64decode(jwk["y"] + "=="), "big")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def verify_es256(pub, si, sig):
    if len(sig) != 64:
        return False
    try:
        pub.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
                   si, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError):
        return False


def parse_jws(compact, code):
    parts = compact.split(".")
    if len(parts) != 3:
        raise Reject(code, "segment count")
    h, p, s = (b64d(x, code) for x in parts)
    try:
        hdr = json.loads(h.decode("utf-8"))
    except Exception:
        raise Reject(code, "header not json")
    if not isinstance(hdr, dict):
        raise Reject(code, "header not object")
    return parts, hdr, p, s


def verify(text, issuer_jwk, aud, nonce, require_kb, at):
    # 1. container
    if text.lstrip().startswith("{"):
        try:
            obj = json.loads(text)
            hdr = obj.get("header", {})
            jwt = ".".join([obj["protected"], obj["payload"], obj["signature"]])
            discs = hdr.get("disclosures", [])
            kb = hdr.get("kb_jwt", "")
            if not isinstance(discs, list) or not all(isinstance(d, str) and d for d in discs):
                raise ValueError
            if not all(isinstance(x, str) for x in (obj["protected"], obj["payload"],
                                                     obj["signature"], kb)):
                raise ValueError
        except (ValueError, KeyError, AttributeError):
            raise Reject("malformed_sd_jwt", "json serialization")
    else:
        if "~" not in text:
            raise Reject("malformed_sd_jwt", "no tilde")
        parts = text.split("~")
        jwt, discs, kb = parts[0], parts[1:-1], parts[-1]
        if not jwt or any(d == "" for d in discs):
            raise Reject("malformed_sd_jwt", "empty component")
    # 2. issuer JWS
    segs, hdr, pbytes, sig = parse_jws(jwt, "malformed_jws")
    alg = hdr.get("alg")
    if alg == "none":
        raise Reject("alg_none")
    if alg not in ALLOWED_ALGS:
        raise Reject("alg_not_allowed", str(alg))
    if "crit" in hdr:
        raise Reject("crit_not_understood")
    kty, crv = ALG_KEY[alg]
    if issuer_jwk["kty"] != kty or (crv and issuer_jwk.get("crv") != crv):
        raise Reject("key_alg_mismatch")
    if hdr.get("typ") != "dc+sd-jwt":
        raise Reject("typ_invalid", str(hdr.get("typ")))
    if not verify_es256(ec_pub(issuer_jwk), f"{segs[0]}.{segs[1]}".encode(), sig):
        raise Reject("issuer_signature_invalid")
    # 3. payload
    try:
        payload = json.loads(pbytes.decode("utf-8"))
    except Exception:
        raise Reject("malformed_payload", "not json")
    if not isinstance(payload, dict):
        raise Reject("malformed_payload", "not object")
    for k in ("iat", "nbf", "exp"):
        if k in payload and (not isinstance(payload[k], (int, float)) or isinstance(payload[k], bool)):
            raise Reject("malformed_payload", k)
    sd_alg = payload.get("_sd_alg", "sha-256")
    if not isinstance(sd_alg, str):
        raise Reject("malformed_payload", "_sd_alg")
    if sd_alg != "sha-256":
        raise Reject("unsupported_sd_alg", sd_alg)
    # 4. disclosures
    if len(set(discs)) != len(discs):
        raise Reject("duplicate_disclosure")
    by_digest = {}
    for d in discs:
        raw = b64d(d, "malformed_disclosure")
        try:
            arr = json.loads(raw.decode("utf-8"))
        except Exception:
            raise Reject("malformed_disclosure", "json")
        if not isinstance(arr, list) or len(arr) not in (2, 3) or not isinstance(arr[0], str):
            raise Reject("malformed_disclosure", "shape")
        if len(arr) == 3 and not isinstance(arr[1], str):
            raise Reject("malformed_disclosure", "name")
        by_digest[sha(d)] = arr
    seen, used = set(), set()

    def note(dg):
        if dg in seen:
            raise Reject("duplicate_digest", dg)
        seen.add(dg)

    def walk(v, top=False):
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                if k == "_sd" or (top and k == "_sd_alg"):
                    continue
                out[k] = walk(x)
            if "_sd" in v:
                sd = v["_sd"]
                if not isinstance(sd, list) or not all(isinstance(x, str) for x in sd):
                    raise Reject("malformed_sd_claim", "_sd")
                for dg in sd:
                    note(dg)
                    if dg not in by_digest:
                        continue
                    arr = by_digest[dg]
                    if len(arr) != 3:
                        raise Reject("disclosure_kind_mismatch")
                    used.add(dg)
                    name = arr[1]
                    if name in ("_sd", "..."):
                        raise Reject("reserved_claim_name")
                    if top and name in PROTECTED:
                        raise Reject("protected_claim_disclosed", name)
                    if name in out:
                        raise Reject("claim_overwrite", name)
                    out[name] = walk(arr[2])
            return out
        if isinstance(v, list):
            out = []
            for e in v:
                if isinstance(e, dict) and "..." in e:
                    if len(e) != 1 or not isinstance(e["..."], str):
                        raise Reject("malformed_sd_claim", "array element")
                    dg = e["..."]
                    note(dg)
                    if dg not in by_digest:
                        continue
                    arr = by_digest[dg]
                    if len(arr) != 2:
                        raise Reject("disclosure_kind_mismatch")
                    used.add(dg)
                    out.append(walk(arr[1]))
                else:
                    out.append(walk(e))
            return out
        return v

    claims = walk(payload, top=True)
    if set(by_digest) - used:
        raise Reject("disclosure_not_referenced")
    # 5. time, vct
    if "exp" in claims and claims["exp"] <= at:
        raise Reject("expired")
    if "nbf" in claims and claims["nbf"] > at:
        raise Reject("not_yet_valid")
    if not isinstance(claims.get("vct"), str):
        raise Reject("vct_missing")
    # 6. key binding
    if kb == "":
        if require_kb:
            raise Reject("kb_missing")
        return claims
    cnf = payload.get("cnf")
    if not isinstance(cnf, dict) or "jwk" not in cnf:
        raise Reject("cnf_missing")
    ksegs, khdr, kp, ksig = parse_jws(kb, "kb_malformed")
    try:
        kpl = json.loads(kp.decode("utf-8"))
    except Exception:
        raise Reject("kb_malformed", "payload json")
    if not isinstance(kpl, dict):
        raise Reject("kb_malformed")
    if khdr.get("typ") != "kb+jwt":
        raise Reject("kb_typ_invalid")
    for k, t in (("iat", (int, float)), ("aud", str), ("nonce", str), ("sd_hash", str)):
        if not isinstance(kpl.get(k), t):
            raise Reject("kb_malformed", k)
    if khdr.get("alg") != "ES256" or not verify_es256(ec_pub(cnf["jwk"]),
                                                       f"{ksegs[0]}.{ksegs[1]}".encode(), ksig):
        raise Reject("kb_signature_invalid")
    if kpl["aud"] != aud:
        raise Reject("kb_aud_mismatch")
    if kpl["nonce"] != nonce:
        raise Reject("kb_nonce_mismatch")
    if abs(kpl["iat"] - at) > KB_WINDOW:
        raise Reject("kb_iat_out_of_window")
    if kpl["sd_hash"] != sha(jwt + "~" + "".join(d + "~" for d in discs)):
        raise Reject("kb_sd_hash_mismatch")
    return claims


def main():
    manifest = json.load(open(os.path.join(HERE, "manifest.json")))
    keys = json.load(open(os.path.join(HERE, "keys.json")))
    bad = 0
    for c in manifest:
        text = open(os.path.join(HERE, c["file"]), encoding="ascii").read()
        try:
            claims = verify(text, keys["issuer"], c["aud"], c["nonce"], c["require_kb"], c["at"])
            got, why = "ok", json.dumps(claims, ensure_ascii=False)[:120]
        except Reject as e:
            got, why = e.code, str(e)
        flag = "PASS" if got == c["code"] else "FAIL"
        bad += flag == "FAIL"
        if flag == "FAIL" or "-v" in sys.argv:
            print(f"{flag} {c['file']}: expected {c['code']}, got {why}")
    print(f"{len(manifest) - bad}/{len(manifest)} cases match")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
