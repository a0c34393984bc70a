#!/usr/bin/env python3
"""Independent check of the forgery corpus (shares no code with gen.py or the Rust verifier).

For every case in manifest.json it proves two things with its own small verifiers
(JCS + Data Integrity, JWS, COSE_Sign1, SD-JWT, X.509 signatures, mdoc MSO / DeviceAuthentication):

1. The case is a real forgery, not a broken file: its signature verifies under the key the
   artifact itself names (the DI verificationMethod, the JOSE/COSE kid, the x5c / x5chain leaf,
   the SD-JWT cnf or the KB-JWT's own jwk, the MSO deviceKey), and every certificate verifies
   under the key that really issued it. Where the defect *is* a wrong signer (`signature_invalid`,
   `key_binding_invalid`, `device_signature_invalid`), the signature verifies under the forger's
   key (keys.json) and not under the bound key. Positive controls verify under provider keys.
2. Exactly one defect: the set of defects this script finds is {expect} (empty for `valid`).

Run from any directory: python3 tests/forgery/selfcheck.py  (exit 1 on any failure)
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from urllib.parse import urlparse

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

HERE = Path(__file__).resolve().parent
MDL_DS = "1.0.18013.5.1.2"


# ---------------------------------------------------------------- primitives

def h256(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def unb64u(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def unb58(s: str) -> bytes:
    n = 0
    for ch in s:
        n = n * 58 + ALPHABET.index(ch)
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * (len(s) - len(s.lstrip("1"))) + body


def canon(v) -> str:
    """RFC 8785 JSON Canonicalization for strings, integers, booleans, null, arrays, objects."""
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(canon(k) + ":" + canon(v[k]) for k in keys) + "}"
    if isinstance(v, list):
        return "[" + ",".join(canon(x) for x in v) + "]"
    if isinstance(v, str):
        out = ['"']
        for ch in v:
            o = ord(ch)
            if ch == '"':
                out.append('\\"')
            elif ch == "\\":
                out.append("\\\\")
            elif o < 0x20:
                out.append({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}.get(o, f"\\u{o:04x}"))
            else:
                out.append(ch)
        return "".join(out) + '"'
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, int):
        return str(v)
    raise ValueError(f"no floats: {v!r}")


def key_from_jwk(j: dict):
    if j.get("kty") == "OKP" and j.get("crv") == "Ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(unb64u(j["x"]))
    if j.get("kty") == "EC" and j.get("crv") == "P-256":
        return ec.EllipticCurvePublicNumbers(int.from_bytes(unb64u(j["x"]), "big"),
                                             int.from_bytes(unb64u(j["y"]), "big"), ec.SECP256R1()).public_key()
    raise ValueError(f"unsupported JWK {j}")


def key_from_multikey(mb: str):
    if not mb.startswith("z"):
        raise ValueError("not base58btc")
    raw = unb58(mb[1:])
    if raw[:2] == b"\xed\x01" and len(raw) == 34:
        return ed25519.Ed25519PublicKey.from_public_bytes(raw[2:])
    if raw[:2] == b"\x80\x24" and len(raw) == 35:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:])
    raise ValueError("unknown multicodec")


def key_from_cose(k: dict):
    assert k[1] == 2 and k[-1] == 1
    return ec.EllipticCurvePublicNumbers(int.from_bytes(k[-2], "big"), int.from_bytes(k[-3], "big"),
                                         ec.SECP256R1()).public_key()


def raw_pub(k) -> bytes:
    if isinstance(k, ed25519.Ed25519PublicKey):
        return k.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return k.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def sig_ok(k, msg: bytes, sig: bytes) -> bool:
    try:
        if isinstance(k, ed25519.Ed25519PublicKey):
            k.verify(sig, msg)
        else:
            if len(sig) != 64:
                return False
            der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
            k.verify(der, msg, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError):
        return False


def cert_signed_by(c: x509.Certificate, k) -> bool:
    try:
        k.verify(c.signature, c.tbs_certificate_bytes, ec.ECDSA(c.signature_hash_algorithm))
        return True
    except InvalidSignature:
        return False


# ---------------------------------------------------------------- context

MANIFEST = json.loads((HERE / "manifest.json").read_text())
KEYS = {}
for actor, ks in json.loads((HERE / "corpus/keys.json").read_text()).items():
    for name, e in ks.items():
        KEYS[e["label"]] = key_from_jwk(e["public_jwk"])
AT = dt.datetime.strptime(MANIFEST["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
TRUST = MANIFEST["trust"]
ROOT = x509.load_der_x509_certificate((HERE / TRUST["provider_root"]).read_bytes())
IACA = x509.load_der_x509_certificate((HERE / TRUST["provider_iaca"]).read_bytes())
PROVIDER_KEYS = {raw_pub(KEYS[l]) for l in KEYS if l.startswith("provider/")}


def same(a, b) -> bool:
    return raw_pub(a) == raw_pub(b)


def label_of(k) -> str:
    for l, v in KEYS.items():
        if same(v, k):
            return l
    return "?"


# ---------------------------------------------------------------- DIDs

def did_of(url: str) -> str:
    return url.split("#")[0]


def did_key_doc_key(did: str):
    return key_from_multikey(did[len("did:key:"):])


def did_jwk_key(did: str):
    return key_from_jwk(json.loads(unb64u(did[len("did:jwk:"):])))


def named_keys(url: str, web: dict) -> list:
    """Every key the method URL itself points at, however a lax verifier might read it."""
    out = []
    d, _, frag = url.partition("#")
    if d.startswith("did:key:"):
        out.append(did_key_doc_key(d))
        if frag:
            try:
                out.append(key_from_multikey(frag))
            except ValueError:
                pass
    elif d.startswith("did:jwk:"):
        out.append(did_jwk_key(d))
    elif d.startswith("did:web:") and d in web:
        for m in web[d].get("verificationMethod", []):
            if m["id"] == url:
                out.append(key_from_multikey(m["publicKeyMultibase"]))
    return out


def resolve_strict(url: str, controller: str | None, relationship: str, web: dict):
    """(key, defect): the method as a strict verifier retrieves it for `controller`."""
    d, _, frag = url.partition("#")
    if controller is not None and d != controller:
        return None, "issuer_key_mismatch"
    if d.startswith("did:key:"):
        mk = d[len("did:key:"):]
        if frag and frag != mk:
            return None, "verification_method_error"
        return did_key_doc_key(d), None
    if d.startswith("did:jwk:"):
        if frag and frag != "0":
            return None, "verification_method_error"
        return did_jwk_key(d), None
    if d.startswith("did:web:"):
        doc = web.get(d)
        if doc is None or doc.get("id") != d:
            return None, "verification_method_error"
        if not frag:
            ids = doc.get(relationship, [])
            if not ids:
                return None, "verification_method_error"
            url = ids[0] if ids[0].startswith("did:") else d + ids[0]
        m = next((m for m in doc.get("verificationMethod", []) if m["id"] == url), None)
        if m is None:
            return None, "verification_method_error"
        if m.get("controller", d) != d:
            return None, "issuer_key_mismatch"
        if url not in doc.get(relationship, []):
            return None, "verification_method_error"
        return key_from_multikey(m["publicKeyMultibase"]), None
    return None, "verification_method_error"


def party(doc: dict, kind: str):
    v = doc.get("issuer" if kind == "credential" else "holder")
    return v.get("id") if isinstance(v, dict) else v


# ---------------------------------------------------------------- W3C

class W3C:
    """One secured W3C document: (message, signature, method URL, document)."""

    def __init__(self, raw: bytes, kind: str):
        self.kind = kind
        if raw[:1] in (b"\xd2", b"\x84"):
            t = cbor2.loads(raw)
            arr = t.value if isinstance(t, cbor2.CBORTag) else t
            assert not isinstance(t, cbor2.CBORTag) or t.tag == 18
            prot_b, _unprot, payload, self.sig = arr
            prot = cbor2.loads(prot_b)
            self.mech = "cose"
            self.msg = cbor2.dumps(["Signature1", prot_b, b"", payload])
            self.doc = json.loads(payload)
            self.typ = prot.get(16)
            kid = prot.get(4)
            self.kid = kid.decode() if kid else None
        elif raw.lstrip()[:1] == b"{":
            self.mech = "di"
            self.doc_with_proof = json.loads(raw)
            proof = dict(self.doc_with_proof["proof"])
            self.doc = {k: v for k, v in self.doc_with_proof.items() if k != "proof"}
            pv = proof.pop("proofValue")
            assert pv.startswith("z")
            self.sig = unb58(pv[1:])
            assert proof.get("@context") == self.doc["@context"], "proof @context must copy the document's"
            self.msg = h256(canon(proof).encode()) + h256(canon(self.doc).encode())
            self.kid = proof["verificationMethod"]
            self.purpose = proof["proofPurpose"]
            self.typ = proof["cryptosuite"]
        else:
            text = raw.decode()
            h, p, s = text.split(".")
            self.mech = "jwt"
            header = json.loads(unb64u(h))
            self.msg = (h + "." + p).encode()
            self.sig = unb64u(s)
            self.doc = json.loads(unb64u(p))
            self.kid = header.get("kid")
            self.typ = header.get("typ")
        self.party = party(self.doc, kind)
        url = self.kid
        if url and url.startswith("#"):
            url = (self.party or "") + url
        if url is None or not url.startswith("did:"):
            url = self.party
        self.url = url

    def embedded(self) -> list[bytes]:
        out = []
        for c in self.doc.get("verifiableCredential", []):
            if c.get("type") == "EnvelopedVerifiableCredential":
                meta, _, data = c["id"][len("data:"):].partition(",")
                out.append(base64.b64decode(data) if meta.endswith(";base64") else data.encode())
            else:
                out.append(json.dumps(c).encode())
        return out


def check_w3c(case, web, forgery_notes, defects, raw=None, kind=None, depth=0, signer_label=None):
    kind = kind or case["kind"]
    w = W3C(raw if raw is not None else (HERE / case["file"]).read_bytes(), kind)
    relationship = "assertionMethod" if kind == "credential" else "authentication"
    if w.mech == "jwt":
        assert w.typ == ("vc+jwt" if kind == "credential" else "vp+jwt"), w.typ
    if w.mech == "cose":
        assert w.typ == ("application/vc+cose" if kind == "credential" else "application/vp+cose"), w.typ
    if w.mech == "di":
        assert w.purpose == relationship
    # 1. real forgery: the signature verifies under a key the document names
    candidates = named_keys(w.url, web)
    good = [k for k in candidates if sig_ok(k, w.msg, w.sig)]
    who = signer_label or case["signed_by"]
    if good:
        forgery_notes.append(f"{'  ' * depth}{w.mech} signature verifies under the named key {label_of(good[0])} "
                             f"({w.url[:60]}{'...' if len(w.url) > 60 else ''})")
        ok_named = label_of(good[0]) == who
    else:
        ok_named = sig_ok(KEYS[who], w.msg, w.sig)
        forgery_notes.append(f"{'  ' * depth}{w.mech} method {w.url} names no key; signature verifies under "
                             f"{who}: {ok_named}")
        ok_named = ok_named and case["expect"] == "verification_method_error"
    # 2. what a strict verifier finds
    key, defect = resolve_strict(w.url, w.party, relationship, web)
    if defect:
        defects.add(defect)
    elif not sig_ok(key, w.msg, w.sig):
        defects.add("signature_invalid")
    if kind == "credential" and not defect and w.party not in TRUST["provider_dids"]:
        defects.add("unknown_anchor")
    vf, vu = w.doc.get("validFrom"), w.doc.get("validUntil")
    if vf and not (vf <= MANIFEST["at"] <= vu):
        defects.add("expired")
    ok_inner = True
    if kind == "presentation":
        inner_signers = case.get("embedded_signed_by") or []
        for i, b in enumerate(w.embedded()):
            inner_label = inner_signers[i] if i < len(inner_signers) else None
            if inner_label is None:
                # a genuine credential: whoever its named key is must be the provider
                inner_label = "provider/p256"
            ok_inner &= check_w3c(case, web, forgery_notes, defects, raw=b, kind="credential", depth=depth + 1,
                                  signer_label=inner_label)
    return ok_named and ok_inner


# ---------------------------------------------------------------- X.509 chains

def chain_defects(certs: list[x509.Certificate], anchor: x509.Certificate, top_issuer, notes,
                  need_eku: str | None = None) -> set:
    d = set()
    # real issuance: every certificate verifies under the key that issued it
    for i, c in enumerate(certs):
        if i + 1 < len(certs):
            k, what = certs[i + 1].public_key(), "next certificate in the chain"
        elif top_issuer == "self-key" or c.issuer == c.subject:
            k, what = c.public_key(), "its own key"
        else:
            k, what = top_issuer.public_key(), f"{top_issuer.subject.rfc4514_string()} (not sent)"
        ok = cert_signed_by(c, k)
        notes.append(f"cert[{i}] {c.subject.rfc4514_string()} signed by {what}: {ok}")
        if not ok:
            raise AssertionError("a certificate does not verify under its real issuer")
    # strict path validation to the anchor
    for i in range(len(certs) - 1):
        if certs[i].issuer != certs[i + 1].subject or not cert_signed_by(certs[i], certs[i + 1].public_key()):
            d.add("chain_invalid")
    top = certs[-1]
    if top.issuer != anchor.subject:
        d.add("untrusted_root")
    elif top.public_bytes(Encoding.DER) != anchor.public_bytes(Encoding.DER) \
            and not cert_signed_by(top, anchor.public_key()):
        d.add("chain_invalid")
    for c in certs + [anchor]:
        if not (c.not_valid_before_utc <= AT <= c.not_valid_after_utc):
            d.add("expired")
    if need_eku:
        try:
            ekus = [o.dotted_string for o in certs[0].extensions.get_extension_for_class(x509.ExtendedKeyUsage).value]
        except x509.ExtensionNotFound:
            ekus = []
        if need_eku not in ekus:
            d.add("wrong_eku")
    return d


def load_issuer(v):
    if v is None or v == "self-key":
        return v
    return x509.load_der_x509_certificate((HERE / v).read_bytes())


# ---------------------------------------------------------------- SD-JWT VC

def check_sd(case, notes, defects) -> bool:
    text = (HERE / case["file"]).read_text()
    assert not text.endswith("\n")
    parts = text.split("~")
    jwt, discs, kb = parts[0], parts[1:-1], parts[-1]
    h, p, s = jwt.split(".")
    header, payload = json.loads(unb64u(h)), json.loads(unb64u(p))
    assert header["typ"] == "dc+sd-jwt" and header["alg"] == "ES256"
    certs = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in header["x5c"]]
    leaf_key = certs[0].public_key()
    issuer_sig = unb64u(s)
    real = True
    if sig_ok(leaf_key, (h + "." + p).encode(), issuer_sig):
        notes.append(f"issuer JWT verifies under the x5c leaf key ({label_of(leaf_key)})")
        real &= label_of(leaf_key) == case["signed_by"]
    else:
        defects.add("signature_invalid")
        forged = sig_ok(KEYS[case["signed_by"]], (h + "." + p).encode(), issuer_sig)
        notes.append(f"issuer JWT does NOT verify under the x5c leaf; verifies under {case['signed_by']}: {forged}")
        real &= forged
    defects |= chain_defects(certs, ROOT, load_issuer(case.get("x5c_issuer")), notes)
    sans = certs[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName)
    if "iss" not in payload:
        # The provider's entry registered an iss; a credential naming none is not under it.
        defects.add("iss_not_registered")
    elif urlparse(payload["iss"]).hostname not in sans:
        defects.add("iss_mismatch")
    elif payload["iss"] != MANIFEST["trust"]["provider_iss"]:
        # The chain leads to the provider's root, whose register entry names one iss.
        defects.add("iss_not_registered")
    for dsc in discs:
        if base64.urlsafe_b64encode(h256(dsc.encode())).rstrip(b"=").decode() not in payload["_sd"]:
            defects.add("digest_mismatch")
    if not (payload["iat"] <= AT.timestamp() <= payload["exp"]):
        defects.add("expired")
    # key binding
    kh, kp, ks = kb.split(".")
    kbh, kbp = json.loads(unb64u(kh)), json.loads(unb64u(kp))
    assert kbh["typ"] == "kb+jwt"
    cnf = key_from_jwk(payload["cnf"]["jwk"])
    kb_msg, kb_sig = (kh + "." + kp).encode(), unb64u(ks)
    kb_signer = case.get("kb_signed_by", "holder/p256")
    if sig_ok(cnf, kb_msg, kb_sig):
        notes.append(f"KB-JWT verifies under cnf ({label_of(cnf)})")
        real &= label_of(cnf) == kb_signer
    else:
        defects.add("key_binding_invalid")
        named = key_from_jwk(kbh["jwk"]) if "jwk" in kbh else KEYS[kb_signer]
        ok = sig_ok(named, kb_msg, kb_sig) and label_of(named) == kb_signer
        notes.append(f"KB-JWT does NOT verify under cnf; verifies under "
                     f"{'its own header jwk ' if 'jwk' in kbh else ''}{kb_signer}: {ok}")
        real &= ok
    presented = text[: len(text) - len(kb)]
    want = base64.urlsafe_b64encode(h256(presented.encode("ascii"))).rstrip(b"=").decode()
    if kbp["sd_hash"] != want or kbp["aud"] != MANIFEST["aud"] or kbp["nonce"] != MANIFEST["nonce"]:
        defects.add("key_binding_invalid")
    return real


# ---------------------------------------------------------------- mdoc

def check_mdoc(case, notes, defects) -> bool:
    resp = cbor2.loads((HERE / case["file"]).read_bytes())
    doc = resp["documents"][0]
    prot_b, unprot, payload, sig = doc["issuerSigned"]["issuerAuth"]
    assert cbor2.loads(prot_b) == {1: -7}
    chain = unprot[33]
    certs = [x509.load_der_x509_certificate(c) for c in (chain if isinstance(chain, list) else [chain])]
    tbs = cbor2.dumps(["Signature1", prot_b, b"", payload])
    real = True
    leaf_key = certs[0].public_key()
    if sig_ok(leaf_key, tbs, sig):
        notes.append(f"issuerAuth verifies under the x5chain leaf key ({label_of(leaf_key)})")
        real &= label_of(leaf_key) == case["signed_by"]
    else:
        defects.add("signature_invalid")
        ok = sig_ok(KEYS[case["signed_by"]], tbs, sig)
        notes.append(f"issuerAuth does NOT verify under the x5chain leaf; verifies under {case['signed_by']}: {ok}")
        real &= ok
    defects |= chain_defects(certs, IACA, load_issuer(case.get("x5chain_issuer")), notes, need_eku=MDL_DS)
    wrapped = cbor2.loads(payload)
    assert isinstance(wrapped, cbor2.CBORTag) and wrapped.tag == 24
    mso = cbor2.loads(wrapped.value)
    if mso["docType"] != doc["docType"]:
        defects.add("doc_type_mismatch")
    vi = mso["validityInfo"]
    if not (vi["validFrom"] <= AT <= vi["validUntil"]):
        defects.add("expired")
    for ns, items in doc["issuerSigned"]["nameSpaces"].items():
        for item in items:
            digest = h256(cbor2.dumps(item))
            iid = cbor2.loads(item.value)["digestID"]
            if mso["valueDigests"][ns].get(iid) != digest:
                defects.add("digest_mismatch")
    transcript = cbor2.loads((HERE / case["transcript"]).read_bytes())
    dev = doc["deviceSigned"]
    da = ["DeviceAuthentication", transcript, doc["docType"], dev["nameSpaces"]]
    dab = cbor2.dumps(cbor2.CBORTag(24, cbor2.dumps(da)))
    dprot, _, detached, dsig = dev["deviceAuth"]["deviceSignature"]
    assert detached is None
    dtbs = cbor2.dumps(["Signature1", dprot, b"", dab])
    dkey = key_from_cose(mso["deviceKeyInfo"]["deviceKey"])
    if sig_ok(dkey, dtbs, dsig):
        notes.append(f"deviceSignature verifies under the MSO deviceKey ({label_of(dkey)})")
        real &= label_of(dkey) == case["device_signed_by"]
    else:
        defects.add("device_signature_invalid")
        ok = sig_ok(KEYS[case["device_signed_by"]], dtbs, dsig)
        notes.append(f"deviceSignature does NOT verify under the MSO deviceKey; verifies under "
                     f"{case['device_signed_by']}: {ok}")
        real &= ok
    return real


# ---------------------------------------------------------------- main

def main() -> int:
    verbose = "-v" in sys.argv
    passed = failed = 0
    for case in MANIFEST["cases"]:
        notes, defects = [], set()
        try:
            if case["format"] in ("di", "vc-jwt", "vc-cose"):
                real = check_w3c(case, case.get("did_web") or {}, notes, defects)
            elif case["format"] == "sd-jwt-vc":
                real = check_sd(case, notes, defects)
            else:
                real = check_mdoc(case, notes, defects)
            want = set() if case["expect"] == "valid" else {case["expect"]}
            if case["expect"] == "valid":
                real &= raw_pub(KEYS[case["signed_by"]]) in PROVIDER_KEYS or case["kind"] == "presentation"
            ok = real and defects == want
            err = "" if ok else f" (real={real}, found {sorted(defects)}, expected {sorted(want)})"
        except Exception as e:  # noqa: BLE001
            ok, err = False, f" ({type(e).__name__}: {e})"
        passed += ok
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {case['id']:46} {case['expect']:26}{err}")
        if verbose or not ok:
            for n in notes:
                print(f"       {n}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
