#!/usr/bin/env python3
"""Independent negative corpus for an SD-JWT (RFC 9901) / SD-JWT VC (dc+sd-jwt) verifier.

Python 3.11 + `cryptography` only; shares no code with the Rust implementation.

Writes, next to this file:
  cases/NN-name.txt|json   presentation exactly as sent (compact, or JSON serialization)
  manifest.json            [{file, code, description, aud, nonce, require_kb, at}]
  keys.json                issuer public JWK, holder JWK (public + private d), attacker JWK

Every rejected case carries ONE defect. Whenever a defect changes the issuer-signed
payload/header, the JWT is re-signed with the issuer key (except for the signature
cases), and the KB-JWT is always recomputed over the presentation actually written
(except for the KB cases), so only the intended check can fail.

Salts are fixed (derived from labels); ES256 uses RFC 6979 deterministic signing when
the installed `cryptography` supports it, so regeneration is byte-identical.
"""
import base64
import copy
import hashlib
import hmac
import json
import os
import shutil
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.join(HERE, "cases")

AT = 1800000000  # verifier clock
AUD = "https://verifier.example.org"
NONCE = "1234567890"
ISS = "https://issuer.example.com"
VCT = "urn:vouch:uk:pid:1"

ISSUER_JWK = {"kty": "EC", "d": "Ur2bNKuBPOrAaxsRnbSH6hIhmNTxSGXshDSUD1a1y7g", "crv": "P-256",
              "x": "b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ",
              "y": "Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8"}
HOLDER_JWK = {"kty": "EC", "d": "5K5SCos8zf9zRemGGUl6yfok-_NiiryNZsvANWMhF-I", "crv": "P-256",
              "x": "TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc",
              "y": "ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ"}


# ---------------------------------------------------------------- primitives

def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def b64u_dec(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64u_padded(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).decode("ascii")


def jdump(o) -> str:
    """Compact JSON for JWT headers/payloads."""
    return json.dumps(o, separators=(",", ":"), ensure_ascii=False)


def sha256_b64u(s: str) -> str:
    return b64u(hashlib.sha256(s.encode("ascii")).digest())


def priv_from_jwk(jwk):
    d = int.from_bytes(b64u_dec(jwk["d"]), "big")
    return ec.derive_private_key(d, ec.SECP256R1())


def pub_jwk(jwk):
    return {k: jwk[k] for k in ("kty", "crv", "x", "y")}


def jwk_from_priv(key):
    n = key.private_numbers()
    return {"kty": "EC", "crv": "P-256",
            "x": b64u(n.public_numbers.x.to_bytes(32, "big")),
            "y": b64u(n.public_numbers.y.to_bytes(32, "big")),
            "d": b64u(n.private_value.to_bytes(32, "big"))}


ISSUER = priv_from_jwk(ISSUER_JWK)
HOLDER = priv_from_jwk(HOLDER_JWK)
# "attacker": an unrelated P-256 key with a fixed, derived scalar.
_P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
ATTACKER = ec.derive_private_key(
    int.from_bytes(hashlib.sha256(b"vouch negative corpus attacker key").digest(), "big") % _P256_N,
    ec.SECP256R1())
ATTACKER_JWK = jwk_from_priv(ATTACKER)

# sanity: the JWK x/y we were given match the private scalars
assert jwk_from_priv(ISSUER)["x"] == ISSUER_JWK["x"] and jwk_from_priv(ISSUER)["y"] == ISSUER_JWK["y"]
assert jwk_from_priv(HOLDER)["x"] == HOLDER_JWK["x"] and jwk_from_priv(HOLDER)["y"] == HOLDER_JWK["y"]


def _ecdsa(h):
    try:
        return ec.ECDSA(h, deterministic_signing=True)
    except TypeError:  # older cryptography: randomised ES256 is acceptable
        return ec.ECDSA(h)


def sign_der(key, data: bytes, h=None) -> bytes:
    return key.sign(data, _ecdsa(h or hashes.SHA256()))


def sign_raw(key, data: bytes, h=None) -> bytes:
    r, s = decode_dss_signature(sign_der(key, data, h))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def seg(x) -> str:
    """Encode a JWS header/payload: dict/list -> compact JSON; bytes -> raw; str -> already encoded."""
    if isinstance(x, str):
        return x
    if isinstance(x, bytes):
        return b64u(x)
    return b64u(jdump(x).encode("utf-8"))


def jws(header, payload, key=None, h=None, sig=None):
    """Compact JWS. `sig` may be a callable(signing_input)->str segment to override signing."""
    hs, ps = seg(header), seg(payload)
    si = f"{hs}.{ps}".encode("ascii")
    if sig is not None:
        return f"{hs}.{ps}.{sig(si)}"
    return f"{hs}.{ps}.{b64u(sign_raw(key or ISSUER, si, h))}"


# ---------------------------------------------------------------- disclosures

def salt(label: str) -> str:
    return b64u(hashlib.sha256(b"vouch-negative-salt:" + label.encode()).digest()[:16])


def disc_raw(arr) -> str:
    # Python-style JSON (", " / ": ") like the RFC examples; exact bytes are kept.
    return b64u(json.dumps(arr, ensure_ascii=False).encode("utf-8"))


def disc(label, *elems) -> str:
    return disc_raw([salt(label), *elems])


dig = sha256_b64u  # digest over the disclosure string exactly as sent

DECOY1 = b64u(hashlib.sha256(b"vouch-negative-decoy-1").digest())
DECOY2 = b64u(hashlib.sha256(b"vouch-negative-decoy-2").digest())

D = {}
D["given_name"] = disc("given_name", "given_name", "Siân")
D["family_name"] = disc("family_name", "family_name", "Jones")
D["birthdate"] = disc("birthdate", "birthdate", "1990-01-01")
D["nat_gb"] = disc("nat_gb", "GB")
D["nat_ie"] = disc("nat_ie", "IE")
D["nat_fr"] = disc("nat_fr", "FR")          # issued, never presented (holder withholds it)
D["street"] = disc("street", "street_address", "1 High Street")
D["locality"] = disc("locality", "locality", "Cardiff")
D["pob_locality"] = disc("pob_locality", "locality", "Swansea")
D["pob"] = disc("pob", "place_of_birth", {"_sd": [dig(D["pob_locality"])], "country": "GB"})  # recursive

PRESENTED = ["given_name", "family_name", "birthdate", "nat_gb", "nat_ie",
             "street", "locality", "pob", "pob_locality"]

HEADER = {"alg": "ES256", "typ": "dc+sd-jwt"}


def base_payload():
    return {
        "iss": ISS,
        "iat": 1700000000,
        "nbf": 1700000000,
        "exp": 1900000000,
        "vct": VCT,
        "_sd_alg": "sha-256",
        "cnf": {"jwk": pub_jwk(HOLDER_JWK)},
        "_sd": sorted([dig(D["given_name"]), dig(D["family_name"]), dig(D["birthdate"]),
                       dig(D["pob"]), DECOY1]),
        "nationalities": [{"...": dig(D["nat_gb"])}, {"...": dig(D["nat_ie"])},
                          {"...": dig(D["nat_fr"])}],
        "address": {"_sd": sorted([dig(D["street"]), dig(D["locality"])]), "country": "GB"},
    }


def base_discs():
    return [D[k] for k in PRESENTED]


def payload_with_top(*extra_digests, p=None):
    p = p if p is not None else base_payload()
    p["_sd"] = sorted(p["_sd"] + list(extra_digests))
    return p


# ---------------------------------------------------------------- KB-JWT / presentation

KB_HEADER = {"typ": "kb+jwt", "alg": "ES256"}
AUTO = object()


def sd_prefix(jwt, discs):
    return jwt + "~" + "".join(d + "~" for d in discs)


def kb_jwt(prefix, iat=AT, aud=AUD, nonce=NONCE, sd_hash=AUTO, header=None, key=None,
           drop=(), payload=None, sig=None):
    if payload is None:
        payload = {"iat": iat, "aud": aud, "nonce": nonce,
                   "sd_hash": sha256_b64u(prefix) if sd_hash is AUTO else sd_hash}
        for k in drop:
            payload.pop(k)
    return jws(header if header is not None else KB_HEADER, payload, key or HOLDER, sig=sig)


def present(jwt, discs=None, kb=True, **kbargs):
    discs = base_discs() if discs is None else discs
    prefix = sd_prefix(jwt, discs)
    return prefix + (kb_jwt(prefix, **kbargs) if kb else "")


def issued(payload=None, header=None, **kw):
    return jws(header if header is not None else HEADER,
               payload if payload is not None else base_payload(), **kw)


def json_ser(jwt, discs, kb=None, drop=()):
    """RFC 9901 section 8 flattened JWS JSON serialization."""
    h, p, s = jwt.split(".")
    obj = {"header": {"disclosures": list(discs)}, "payload": p, "protected": h, "signature": s}
    if kb is not None:
        obj["header"]["kb_jwt"] = kb
    for k in drop:
        obj.pop(k)
    return obj


# ---------------------------------------------------------------- helpers for defects

def flip_sig_byte(compact: str, index=10) -> str:
    parts = compact.split(".")
    sig = bytearray(b64u_dec(parts[2]))
    sig[index] ^= 0x01
    parts[2] = b64u(bytes(sig))
    return ".".join(parts)


def first_with(pred, gen):
    for i in range(10000):
        v = gen(i)
        if pred(v):
            return v
    raise RuntimeError("no candidate found")


# ---------------------------------------------------------------- cases

CASES = []


def case(name, code, description, content, require_kb=True, ext="txt"):
    CASES.append(dict(name=name, code=code, description=description, content=content,
                      require_kb=require_kb, ext=ext))


def build_cases():
    base_jwt = issued()
    discs = base_discs()

    # ------------------------------------------------------------ ok controls
    case("ok-baseline", "ok",
         "Valid baseline: dc+sd-jwt, 9 disclosures (object properties, array elements, recursive "
         "place_of_birth), one undisclosed array element, one decoy digest, KB-JWT.",
         present(base_jwt))
    kb_prefix = sd_prefix(base_jwt, discs)
    case("ok-json-flattened", "ok",
         "Valid baseline in RFC 9901 flattened JSON serialization; sd_hash over the compact form.",
         json_ser(base_jwt, discs, kb_jwt(kb_prefix)), ext="json")
    case("ok-no-kb-not-required", "ok",
         "Valid baseline without KB-JWT (ends in '~'); verifier does not require key binding.",
         present(base_jwt, kb=False), require_kb=False)
    reordered = [D[k] for k in ["pob_locality", "locality", "nat_ie", "given_name", "street",
                                "pob", "birthdate", "nat_gb", "family_name"]]
    case("ok-disclosures-reordered", "ok",
         "Valid: same disclosures in a different order (child before its recursive parent).",
         present(base_jwt, reordered))

    # ------------------------------------------------------------ malformed_sd_jwt
    case("no-tilde", "malformed_sd_jwt",
         "Issuer-signed JWT alone, no '~' separator at all.", base_jwt)
    with_empty = discs[:3] + [""] + discs[3:]
    case("empty-disclosure", "malformed_sd_jwt",
         "Empty disclosure between two tildes ('~~') in the middle of the presentation; "
         "KB sd_hash is computed over the string as sent.",
         present(base_jwt, with_empty))
    case("json-missing-payload", "malformed_sd_jwt",
         "JSON serialization whose 'payload' member is missing.",
         json_ser(base_jwt, discs, kb_jwt(kb_prefix), drop=("payload",)), ext="json")
    bad_json = json_ser(base_jwt, discs, kb_jwt(kb_prefix))
    bad_json["header"]["disclosures"] = "~".join(discs)
    case("json-disclosures-not-array", "malformed_sd_jwt",
         "JSON serialization whose header.disclosures is a '~'-joined string instead of an array.",
         bad_json, ext="json")

    # ------------------------------------------------------------ malformed_jws
    h, p, s = base_jwt.split(".")
    two = f"{h}.{p}"
    case("jws-two-segments", "malformed_jws",
         "Issuer JWT has only two segments (signature segment dropped).", present(two))
    case("jws-four-segments", "malformed_jws",
         "Issuer JWT has four segments (extra '.'+segment appended).", present(f"{base_jwt}.{s}"))

    def std_alphabet_sig(i):
        j = issued(payload=dict(base_payload(), iat=1700000000 + i))
        return j
    j_std = first_with(lambda j: any(c in j.split(".")[2] for c in "-_"), std_alphabet_sig)
    hh, pp, ss = j_std.split(".")
    ss_std = ss.replace("-", "+").replace("_", "/")
    case("jws-sig-standard-base64-alphabet", "malformed_jws",
         "Issuer signature segment uses the standard base64 alphabet ('+','/') instead of base64url.",
         present(f"{hh}.{pp}.{ss_std}"))
    bad_h = "eyJhbGciOiJFUzI1NiIsInR5cCI6ImRjK3NkLWp3dCJ9"
    assert bad_h == seg(HEADER)
    case("jws-header-invalid-char", "malformed_jws",
         "Header segment contains a character outside the base64url alphabet ('*'); signature is "
         "computed over the segments as sent.",
         present(jws(bad_h[:10] + "*" + bad_h[11:], base_payload())))
    sig_pad = b64u_padded(b64u_dec(s))
    assert sig_pad.endswith("=")
    case("jws-sig-padded", "malformed_jws",
         "Issuer signature segment carries base64 '=' padding.", present(f"{h}.{p}.{sig_pad}"))
    pbytes = jdump(base_payload()).encode()
    if len(pbytes) % 3 == 0:
        pbytes += b" "
    ppad = b64u_padded(pbytes)
    assert ppad.endswith("=")
    case("jws-payload-padded", "malformed_jws",
         "Issuer payload segment carries base64 '=' padding (signature is valid over the padded "
         "segment as sent).", present(jws(HEADER, ppad)))
    case("jws-header-not-json", "malformed_jws",
         "Protected header decodes to bytes that are not JSON; re-signed.",
         present(jws(b"alg=ES256;typ=dc+sd-jwt", base_payload())))
    case("jws-header-json-array", "malformed_jws",
         "Protected header is JSON but an array, not an object; re-signed.",
         present(jws(["ES256", "dc+sd-jwt"], base_payload())))

    # ------------------------------------------------------------ malformed_payload
    case("payload-not-json", "malformed_payload",
         "Issuer JWT payload is not JSON; validly signed.",
         present(jws(HEADER, b"iss=https://issuer.example.com")))
    case("payload-json-array", "malformed_payload",
         "Issuer JWT payload is a JSON array, not an object; validly signed.",
         present(jws(HEADER, [base_payload()])))
    case("payload-sd-alg-number", "malformed_payload",
         "_sd_alg is a number (256), not a string; validly signed.",
         present(issued(dict(base_payload(), _sd_alg=256))))
    case("payload-iat-string", "malformed_payload",
         "iat is a string (\"1700000000\"), not a NumericDate; validly signed.",
         present(issued(dict(base_payload(), iat="1700000000"))))

    # ------------------------------------------------------------ alg_none
    hn = seg({"alg": "none", "typ": "dc+sd-jwt"})
    case("alg-none-empty-sig", "alg_none",
         "Header alg 'none' with an empty signature segment.",
         present(f"{hn}.{p}."))
    case("alg-none-with-sig", "alg_none",
         "Header alg 'none' but an ES256 signature (valid over the segments) is attached.",
         present(issued(header={"alg": "none", "typ": "dc+sd-jwt"})))

    # ------------------------------------------------------------ alg_not_allowed
    x_bytes = b64u_dec(ISSUER_JWK["x"])
    case("alg-hs256-public-key-hmac", "alg_not_allowed",
         "alg HS256, MAC computed with the issuer public key x coordinate (32 bytes) as the "
         "HMAC secret (key-confusion attack).",
         present(issued(header={"alg": "HS256", "typ": "dc+sd-jwt"},
                        sig=lambda si: b64u(hmac.new(x_bytes, si, hashlib.sha256).digest()))))
    case("alg-rs256", "alg_not_allowed",
         "alg RS256 (not allowed for this verifier); signature bytes are an ES256 signature.",
         present(issued(header={"alg": "RS256", "typ": "dc+sd-jwt"})))
    case("alg-lowercase-es256", "alg_not_allowed",
         "alg 'es256' (alg values are case-sensitive); otherwise a valid ES256 signature.",
         present(issued(header={"alg": "es256", "typ": "dc+sd-jwt"})))

    # ------------------------------------------------------------ crit_not_understood
    case("crit-exp2", "crit_not_understood",
         "Header crit [\"exp2\"] with exp2 present; re-signed.",
         present(issued(header={"alg": "ES256", "typ": "dc+sd-jwt", "crit": ["exp2"],
                                "exp2": 1900000000})))

    # ------------------------------------------------------------ key_alg_mismatch
    case("alg-es384-with-p256-key", "key_alg_mismatch",
         "alg ES384 but the issuer key is P-256 (signed with P-256 + SHA-384).",
         present(issued(header={"alg": "ES384", "typ": "dc+sd-jwt"}, h=hashes.SHA384())))
    case("alg-eddsa-with-p256-key", "key_alg_mismatch",
         "alg EdDSA but the issuer key is an EC P-256 key (signature bytes are ES256).",
         present(issued(header={"alg": "EdDSA", "typ": "dc+sd-jwt"})))

    # ------------------------------------------------------------ issuer_signature_invalid
    case("sig-flipped-byte", "issuer_signature_invalid",
         "One bit flipped in byte 10 of the issuer signature.",
         present(flip_sig_byte(base_jwt)))
    changed = seg(dict(base_payload(), exp=1999999999))
    case("sig-payload-changed", "issuer_signature_invalid",
         "Payload changed after signing (exp 1900000000 -> 1999999999), original signature kept.",
         present(f"{h}.{changed}.{s}"))
    hk = seg({"alg": "ES256", "typ": "dc+sd-jwt", "kid": "issuer-key-1"})
    case("sig-header-changed", "issuer_signature_invalid",
         "Protected header changed after signing (kid added), original signature kept.",
         present(f"{hk}.{p}.{s}"))
    case("sig-attacker-key", "issuer_signature_invalid",
         "Issuer JWT signed by an unrelated P-256 (attacker) key.",
         present(issued(key=ATTACKER)))
    case("sig-der-encoded", "issuer_signature_invalid",
         "Issuer signature DER-encoded (ASN.1) instead of raw r||s.",
         present(issued(sig=lambda si: b64u(sign_der(ISSUER, si)))))
    case("sig-truncated-63", "issuer_signature_invalid",
         "Issuer signature truncated to 63 bytes.",
         present(issued(sig=lambda si: b64u(sign_raw(ISSUER, si)[:63]))))
    case("sig-all-zero", "issuer_signature_invalid",
         "Issuer signature is 64 zero bytes (r = s = 0).",
         present(issued(sig=lambda si: b64u(bytes(64)))))

    # ------------------------------------------------------------ unsupported_sd_alg
    for alg, nm in [("md5", "md5"), ("sha-1", "sha-1"), ("SHA-256", "uppercase-sha-256")]:
        case(f"sd-alg-{nm}", "unsupported_sd_alg",
             f"_sd_alg \"{alg}\" (digests are still SHA-256); re-signed.",
             present(issued(dict(base_payload(), _sd_alg=alg))))

    # ------------------------------------------------------------ malformed_disclosure
    def with_extra_disclosure(d_str, where="top"):
        """Reference d_str from the top-level _sd (re-signed) and present it as the last one."""
        pl = payload_with_top(dig(d_str))
        return present(issued(pl), discs + [d_str])

    std = first_with(lambda t: any(c in t for c in "+/"),
                     lambda i: base64.b64encode(json.dumps(
                         [salt(f"std{i}"), "nickname", "Siân?>~"], ensure_ascii=False
                     ).encode("utf-8")).decode().rstrip("="))
    case("disclosure-standard-base64", "malformed_disclosure",
         "Disclosure encoded with the standard base64 alphabet (contains '+' or '/'); its digest "
         "(over the string as sent) is referenced in _sd.", with_extra_disclosure(std))
    case("disclosure-not-json", "malformed_disclosure",
         "Disclosure base64url-decodes to non-JSON text; referenced in _sd.",
         with_extra_disclosure(b64u(b"[salt, email, sian@example.com]")))
    case("disclosure-json-object", "malformed_disclosure",
         "Disclosure is a JSON object {salt,name,value}, not an array; referenced in _sd.",
         with_extra_disclosure(disc_raw({"salt": salt("obj"), "name": "email",
                                         "value": "sian@example.com"})))
    case("disclosure-one-element", "malformed_disclosure",
         "Disclosure is a 1-element array [salt]; referenced in _sd.",
         with_extra_disclosure(disc("one")))
    case("disclosure-four-elements", "malformed_disclosure",
         "Disclosure is a 4-element array [salt, name, value, extra]; referenced in _sd.",
         with_extra_disclosure(disc("four", "email", "sian@example.com", "extra")))
    case("disclosure-salt-number", "malformed_disclosure",
         "Disclosure salt is a number, not a string; referenced in _sd.",
         with_extra_disclosure(disc_raw([1234567890, "email", "sian@example.com"])))
    case("disclosure-name-number", "malformed_disclosure",
         "Disclosure claim name is a number (42); referenced in _sd.",
         with_extra_disclosure(disc("namenum", 42, "sian@example.com")))
    pad = first_with(lambda t: t.endswith("="),
                     lambda i: b64u_padded(json.dumps([salt(f"pad{i}"), "email",
                                                       "sian@example.com"]).encode()))
    case("disclosure-padded", "malformed_disclosure",
         "Disclosure base64url carries '=' padding; digest over the padded string as sent is "
         "referenced in _sd.", with_extra_disclosure(pad))
    case("disclosure-invalid-utf8", "malformed_disclosure",
         "Disclosure decodes to bytes that are not valid UTF-8 (0xFF inside a JSON string); "
         "referenced in _sd.",
         with_extra_disclosure(b64u(b'["' + salt("utf8").encode() + b'", "email", "\xff"]')))

    # ------------------------------------------------------------ disclosure_not_referenced
    extra = disc("extra", "email", "sian@example.com")
    case("unreferenced-property", "disclosure_not_referenced",
         "Extra valid object-property disclosure whose digest appears nowhere (payload unchanged).",
         present(base_jwt, discs + [extra]))
    case("unreferenced-array-element", "disclosure_not_referenced",
         "Extra valid array-element disclosure [salt, \"DE\"] whose digest appears nowhere.",
         present(base_jwt, discs + [disc("nat_de", "DE")]))
    no_parent = [D[k] for k in PRESENTED if k != "pob"]
    case("unreferenced-child-without-parent", "disclosure_not_referenced",
         "place_of_birth.locality disclosure sent without its parent place_of_birth disclosure "
         "(its digest is only inside the withheld parent).", present(base_jwt, no_parent))

    # ------------------------------------------------------------ duplicate_digest
    case("dup-digest-decoy-twice-in-sd", "duplicate_digest",
         "Top-level _sd lists the same (undisclosed/decoy) digest twice; re-signed.",
         present(issued(payload_with_top(DECOY1))))
    pl = base_payload()
    pl["nationalities"].append({"...": DECOY1})
    case("dup-digest-sd-and-array", "duplicate_digest",
         "The same (undisclosed/decoy) digest appears in top-level _sd and as an array "
         "{\"...\": digest} element; re-signed.", present(issued(pl)))
    pl = base_payload()
    pl["address"]["_sd"] = sorted(pl["address"]["_sd"] + [dig(D["given_name"])])
    case("dup-digest-two-objects", "duplicate_digest",
         "given_name's digest (disclosed) appears in top-level _sd and in address._sd (no claim "
         "name clash); re-signed.", present(issued(pl)))
    pl = base_payload()
    pl["nationalities"].insert(1, {"...": dig(D["nat_gb"])})
    case("dup-digest-array-twice", "duplicate_digest",
         "The disclosed GB array-element digest appears twice in nationalities; re-signed.",
         present(issued(pl)))
    pob2 = disc("pob2", "place_of_birth",
                {"_sd": sorted([dig(D["pob_locality"]), dig(D["given_name"])]), "country": "GB"})
    pl = base_payload()
    pl["_sd"] = sorted([d for d in pl["_sd"] if d != dig(D["pob"])] + [dig(pob2)])
    d_list = [pob2 if d == D["pob"] else d for d in discs]
    case("dup-digest-via-disclosure", "duplicate_digest",
         "A disclosure (place_of_birth) contains given_name's digest, which is also in the "
         "top-level _sd (duplicate reached recursively); re-signed.",
         present(issued(pl), d_list))

    # ------------------------------------------------------------ duplicate_disclosure
    case("dup-disclosure-property", "duplicate_disclosure",
         "The given_name disclosure string is sent twice.",
         present(base_jwt, discs + [D["given_name"]]))
    case("dup-disclosure-array-element", "duplicate_disclosure",
         "The GB array-element disclosure string is sent twice.",
         present(base_jwt, discs[:4] + [D["nat_gb"]] + discs[4:]))

    # ------------------------------------------------------------ reserved_claim_name
    case("reserved-name-sd", "reserved_claim_name",
         "Disclosure with claim name \"_sd\", referenced from top-level _sd; re-signed.",
         with_extra_disclosure(disc("res_sd", "_sd", "x")))
    case("reserved-name-ellipsis", "reserved_claim_name",
         "Disclosure with claim name \"...\", referenced from top-level _sd; re-signed.",
         with_extra_disclosure(disc("res_dots", "...", "x")))

    # ------------------------------------------------------------ claim_overwrite
    d_iss2 = disc("iss2", "iss2", "https://evil.example.com")
    pl = payload_with_top(dig(d_iss2))
    pl["iss2"] = "https://other.example.com"
    case("overwrite-plain-iss2", "claim_overwrite",
         "Payload has plain iss2 and a disclosure for iss2 is referenced at the same level; "
         "re-signed.", present(issued(pl), discs + [d_iss2]))
    d_country = disc("country", "country", "FR")
    pl = base_payload()
    pl["address"]["_sd"] = sorted(pl["address"]["_sd"] + [dig(d_country)])
    case("overwrite-nested-sibling", "claim_overwrite",
         "address has plain country and address._sd references a disclosure named country; "
         "re-signed.", present(issued(pl), discs + [d_country]))
    d_gn2 = disc("given_name_2", "given_name", "Mallory")
    case("overwrite-two-disclosures-same-name", "claim_overwrite",
         "Two different disclosures both named given_name are referenced from the same _sd; "
         "re-signed.", with_extra_disclosure(d_gn2))

    # ------------------------------------------------------------ disclosure_kind_mismatch
    case("kind-array-element-in-sd", "disclosure_kind_mismatch",
         "2-element (array element) disclosure referenced from top-level _sd; re-signed.",
         with_extra_disclosure(disc("kind2", "DE")))
    d3 = disc("kind3", "nationality", "DE")
    pl = base_payload()
    pl["nationalities"].append({"...": dig(d3)})
    case("kind-property-in-array", "disclosure_kind_mismatch",
         "3-element (object property) disclosure referenced from an array {\"...\": digest} "
         "element; re-signed.", present(issued(pl), discs + [d3]))

    # ------------------------------------------------------------ malformed_sd_claim
    pl = base_payload()
    pl["address"]["_sd"] = DECOY2
    no_addr = [D[k] for k in PRESENTED if k not in ("street", "locality")]
    case("sd-claim-string", "malformed_sd_claim",
         "address._sd is a string, not an array (address disclosures not sent); re-signed.",
         present(issued(pl), no_addr))
    pl = base_payload()
    pl["address"]["_sd"] = pl["address"]["_sd"] + [42]
    case("sd-claim-contains-number", "malformed_sd_claim",
         "address._sd contains a number besides its digests; re-signed.", present(issued(pl)))
    pl = base_payload()
    pl["nationalities"].append({"...": DECOY2, "extra": 1})
    case("sd-array-element-extra-key", "malformed_sd_claim",
         "Array element {\"...\": <decoy digest>, \"extra\": 1}; re-signed.", present(issued(pl)))
    pl = base_payload()
    pl["nationalities"].append({"...": 42})
    case("sd-array-element-digest-number", "malformed_sd_claim",
         "Array element {\"...\": 42} (digest is not a string); re-signed.", present(issued(pl)))

    # ------------------------------------------------------------ expired / not_yet_valid
    case("expired", "expired",
         "exp = 1700000500, long before the verifier clock 1800000000; re-signed.",
         present(issued(dict(base_payload(), exp=1700000500))))
    case("not-yet-valid", "not_yet_valid",
         "nbf = 1850000000, after the verifier clock 1800000000; re-signed.",
         present(issued(dict(base_payload(), nbf=1850000000))))

    # ------------------------------------------------------------ kb_missing
    case("kb-missing", "kb_missing",
         "Key binding required; presentation ends in '~' with no KB-JWT.",
         present(base_jwt, kb=False))

    # ------------------------------------------------------------ kb_malformed
    kb_full = kb_jwt(kb_prefix)
    kh, kp, ks = kb_full.split(".")
    case("kb-two-segments", "kb_malformed",
         "KB-JWT has only two segments.", kb_prefix + f"{kh}.{kp}")
    case("kb-missing-sd-hash", "kb_malformed",
         "KB-JWT payload has no sd_hash.", present(base_jwt, drop=("sd_hash",)))
    case("kb-missing-iat", "kb_malformed",
         "KB-JWT payload has no iat.", present(base_jwt, drop=("iat",)))
    case("kb-payload-not-json", "kb_malformed",
         "KB-JWT payload is not JSON; validly signed by the holder.",
         kb_prefix + jws(KB_HEADER, b"nonce=1234567890", HOLDER))

    # ------------------------------------------------------------ kb_typ_invalid
    case("kb-typ-jwt", "kb_typ_invalid",
         "KB-JWT header typ \"JWT\".", present(base_jwt, header={"typ": "JWT", "alg": "ES256"}))
    case("kb-typ-missing", "kb_typ_invalid",
         "KB-JWT header without typ.", present(base_jwt, header={"alg": "ES256"}))

    # ------------------------------------------------------------ kb_signature_invalid
    case("kb-sig-attacker-key", "kb_signature_invalid",
         "KB-JWT signed by the attacker key instead of the cnf holder key.",
         present(base_jwt, key=ATTACKER))
    case("kb-sig-flipped-byte", "kb_signature_invalid",
         "One bit flipped in byte 20 of the KB-JWT signature.",
         kb_prefix + flip_sig_byte(kb_full, 20))

    # ------------------------------------------------------------ aud / nonce
    case("kb-aud-mismatch", "kb_aud_mismatch",
         "KB-JWT aud is https://evil.example.org.", present(base_jwt, aud="https://evil.example.org"))
    case("kb-nonce-mismatch", "kb_nonce_mismatch",
         "KB-JWT nonce is 0987654321.", present(base_jwt, nonce="0987654321"))

    # ------------------------------------------------------------ kb_sd_hash_mismatch
    case("kb-sd-hash-no-final-tilde", "kb_sd_hash_mismatch",
         "sd_hash computed over the SD-JWT without its final '~'.",
         present(base_jwt, sd_hash=sha256_b64u(kb_prefix[:-1])))
    case("kb-sd-hash-other-disclosures", "kb_sd_hash_mismatch",
         "sd_hash computed over a different disclosure set (birthdate omitted) than the one sent.",
         present(base_jwt, sd_hash=sha256_b64u(sd_prefix(base_jwt,
                                                        [d for d in discs if d != D["birthdate"]]))))
    case("kb-sd-hash-jwt-only", "kb_sd_hash_mismatch",
         "sd_hash computed over the issuer-signed JWT only (no disclosures, no '~').",
         present(base_jwt, sd_hash=sha256_b64u(base_jwt)))
    j_obj = json_ser(base_jwt, discs)
    wrong = sha256_b64u(json.dumps(j_obj))
    j_obj["header"]["kb_jwt"] = kb_jwt(kb_prefix, sd_hash=wrong)
    case("kb-sd-hash-json-serialization", "kb_sd_hash_mismatch",
         "JSON serialization; sd_hash computed over the JSON text instead of the compact "
         "<jwt>~<d1>~...~<dn>~ form.", j_obj, ext="json")

    # ------------------------------------------------------------ kb_iat_out_of_window
    case("kb-iat-future", "kb_iat_out_of_window",
         "KB-JWT iat = at + 3600 (window is +-300 s).", present(base_jwt, iat=AT + 3600))
    case("kb-iat-past", "kb_iat_out_of_window",
         "KB-JWT iat = at - 3600 (window is +-300 s).", present(base_jwt, iat=AT - 3600))

    # ------------------------------------------------------------ cnf_missing
    pl = base_payload()
    del pl["cnf"]
    case("cnf-missing", "cnf_missing",
         "Payload has no cnf, but a (holder-signed) KB-JWT is present; re-signed.",
         present(issued(pl)))

    # ------------------------------------------------------------ typ_invalid
    case("typ-jwt", "typ_invalid", "Issuer JWT header typ \"JWT\"; re-signed.",
         present(issued(header={"alg": "ES256", "typ": "JWT"})))
    case("typ-vc-sd-jwt", "typ_invalid",
         "Issuer JWT header typ \"vc+sd-jwt\" (W3C media type, not SD-JWT VC); re-signed.",
         present(issued(header={"alg": "ES256", "typ": "vc+sd-jwt"})))
    case("typ-missing", "typ_invalid", "Issuer JWT header without typ; re-signed.",
         present(issued(header={"alg": "ES256"})))

    # ------------------------------------------------------------ vct_missing
    pl = base_payload()
    del pl["vct"]
    case("vct-missing", "vct_missing", "Payload has no vct; re-signed.", present(issued(pl)))

    # ------------------------------------------------------------ protected_claim_disclosed
    for claim, value in [("vct", VCT), ("cnf", {"jwk": pub_jwk(HOLDER_JWK)}), ("iss", ISS),
                         ("exp", 1900000000)]:
        dp = disc(f"prot_{claim}", claim, value)
        pl = payload_with_top(dig(dp))
        del pl[claim]
        case(f"protected-{claim}-disclosed", "protected_claim_disclosed",
             f"{claim} removed from the payload and delivered only as a disclosure referenced "
             f"from top-level _sd; re-signed.", present(issued(pl), discs + [dp]))
    dp = disc("prot_status", "status",
              {"status_list": {"idx": 0, "uri": "https://issuer.example.com/statuslists/1"}})
    case("protected-status-disclosed", "protected_claim_disclosed",
         "status (absent from the payload) delivered as a disclosure referenced from top-level "
         "_sd; re-signed.", with_extra_disclosure(dp))


# ---------------------------------------------------------------- output

def main():
    build_cases()
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    assert len(CASES) <= 100
    if os.path.isdir(CASES_DIR):
        shutil.rmtree(CASES_DIR)
    os.makedirs(CASES_DIR)
    manifest = []
    for i, c in enumerate(CASES):
        fname = f"{i:02d}-{c['name']}.{c['ext']}"
        content = c["content"]
        if c["ext"] == "json":
            data = json.dumps(content, indent=2) + "\n"
        else:
            assert isinstance(content, str) and "\n" not in content
            data = content  # exactly as on the wire: no trailing newline
        with open(os.path.join(CASES_DIR, fname), "w", encoding="ascii", newline="") as f:
            f.write(data)
        manifest.append({"file": f"cases/{fname}", "code": c["code"],
                         "description": c["description"], "aud": AUD, "nonce": NONCE,
                         "require_kb": c["require_kb"], "at": AT})
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    keys = {
        "issuer": pub_jwk(ISSUER_JWK),
        "holder": pub_jwk(HOLDER_JWK),
        "holder_private": HOLDER_JWK,
        "attacker": pub_jwk(ATTACKER_JWK),
        "attacker_private": ATTACKER_JWK,
        "note": "issuer/holder keys are the RFC 9901 example keys; attacker scalar = "
                "SHA-256('vouch negative corpus attacker key') mod n.",
    }
    with open(os.path.join(HERE, "keys.json"), "w") as f:
        json.dump(keys, f, indent=2)
        f.write("\n")
    rejected = sum(1 for c in CASES if c["code"] != "ok")
    print(f"wrote {len(CASES)} cases ({rejected} rejected) to {CASES_DIR}", file=sys.stderr)


if __name__ == "__main__":
    main()
