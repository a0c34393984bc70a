#!/usr/bin/env python3
"""Small independent reference verifier for the mdoc negative corpus.

Python 3.11, `cbor2` and `cryptography` only; shares no code with gen.py or the
Rust crate. For every manifest entry it verifies the DeviceResponse and
compares the first failing check's code with the manifest's `code`.

    python3 selfcheck.py [-v] [--all] [manifest.json]

--all also runs every check that can still run after a failure, and fails a
case unless exactly one check (the expected one) fails: it shows that each
case has a single defect, whatever order a verifier checks in (except where
an earlier failure makes a later check impossible, see README.md).

Checks, in this order (the first failure is the result):

 1. decode: well-formed, exactly one item, no indefinite lengths, no duplicate
    map keys; the same for every tag-24 payload        -> malformed_cbor
    structure of DeviceResponse / Document / IssuerSigned / items / COSE
    arrays                                             -> malformed_device_response
    (a required tag 24 missing or a different tag      -> malformed_cbor)
 2. top-level status != 0                              -> response_status_error
    no Document of the requested doctype               -> request_not_satisfied
 3. issuerAuth alg (protected header) ES256/384/512    -> unsupported_algorithm
    x5chain (label 33, either header)                  -> x5chain_missing
 4. DS chain to a trust anchor: issuer found           -> untrusted_root
    certificate signature                              -> certificate_signature_invalid
    anchor and DS valid at `at`                        -> certificate_expired
    DS has EKU mdlDS + keyUsage digitalSignature       -> certificate_wrong_usage
 5. issuer COSE_Sign1 signature (64-byte r||s)         -> issuer_signature_invalid
 6. MSO: payload is #6.24(bstr), strict decode         -> malformed_cbor
    MSO structure                                      -> malformed_mso
    digestAlgorithm SHA-256/384/512                    -> unsupported_digest_algorithm
    MSO docType == Document docType                    -> doctype_mismatch
 7. validFrom <= at                                    -> mso_not_yet_valid
    at <= validUntil                                   -> mso_expired
    signed inside DS certificate validity              -> mso_signed_outside_certificate
 8. per namespace: no repeated digestID / element      -> duplicate_element
    namespace and digestID in valueDigests             -> digest_missing
    H(received IssuerSignedItemBytes) == digest        -> digest_mismatch
 9. issuing_country == DS certificate C                -> issuing_country_mismatch
10. deviceSigned / deviceAuth present, not empty       -> device_auth_missing
    alg (ES256 for signature, HMAC 256/256 for MAC)    -> unsupported_algorithm
    deviceSignature over DeviceAuthenticationBytes     -> device_signature_invalid
    deviceMac with EMacKey (18013-5 9.1.3.5)           -> device_mac_invalid
11. every requested element disclosed                  -> request_not_satisfied
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import sys
from pathlib import Path

import cbor2
from cbor2 import CBORTag
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import ExtensionOID, NameOID

MDL_DS_EKU = x509.ObjectIdentifier("1.0.18013.5.1.2")
ISSUER_ALGS = {-7: (hashes.SHA256, 32), -35: (hashes.SHA384, 48), -36: (hashes.SHA512, 66)}
DIGESTS = {"SHA-256": hashlib.sha256, "SHA-384": hashlib.sha384, "SHA-512": hashlib.sha512}
# Keep tags that cbor2 would interpret (dates, bignums, stringref, ...) as plain CBORTag.
_SEMANTIC = {t: (lambda t: (lambda value, immutable: CBORTag(t, value)))(t)
             for t in (0, 1, 2, 3, 4, 5, 25, 28, 29, 30, 35, 36, 37, 100, 256, 258, 260, 261, 1004, 55799)}


class Reject(Exception):
    def __init__(self, code: str, why: str):
        super().__init__(f"{code}: {why}")
        self.code = code
        self.why = why


def need(cond, code, why):
    if not cond:
        raise Reject(code, why)


# ---------------------------------------------------------------- CBOR ----

class _Malformed(Exception):
    pass


def _walk(buf: bytes, pos: int, raw24: dict) -> int:
    """Check one well-formed, definite-length item at pos; return its end.

    Records the exact received encoding of every #6.24(bstr) in raw24
    (keyed by the bstr content)."""
    if pos >= len(buf):
        raise _Malformed("truncated")
    start = pos
    ib = buf[pos]
    major, ai = ib >> 5, ib & 0x1F
    pos += 1
    if ai < 24:
        arg = ai
    elif ai <= 27:
        n = 1 << (ai - 24)
        if pos + n > len(buf):
            raise _Malformed("truncated head")
        arg = int.from_bytes(buf[pos:pos + n], "big")
        pos += n
    elif ai == 31:
        raise _Malformed("indefinite length or break at offset %d" % start)
    else:
        raise _Malformed("reserved additional information %d at offset %d" % (ai, start))
    if major in (2, 3):
        if pos + arg > len(buf):
            raise _Malformed("truncated string")
        return pos + arg
    if major == 4:
        for _ in range(arg):
            pos = _walk(buf, pos, raw24)
        return pos
    if major == 5:
        for _ in range(2 * arg):
            pos = _walk(buf, pos, raw24)
        return pos
    if major == 6:
        inner = pos
        pos = _walk(buf, pos, raw24)
        if arg == 24 and buf[inner] >> 5 == 2:
            content = cbor2.loads(buf[inner:pos])
            raw24.setdefault(content, buf[start:pos])
        return pos
    return pos  # major 0, 1, 7 (simple values and floats: head only)


RAW24: dict = {}


def strict_loads(buf: bytes, what: str):
    try:
        end = _walk(buf, 0, RAW24)
    except _Malformed as e:
        raise Reject("malformed_cbor", f"{what}: {e}")
    need(end == len(buf), "malformed_cbor", f"{what}: {len(buf) - end} trailing bytes")
    try:
        return cbor2.loads(buf, allow_duplicate_keys=False, allow_indefinite=False, semantic_decoders=_SEMANTIC)
    except (cbor2.CBORDecodeError, ValueError, TypeError) as e:
        raise Reject("malformed_cbor", f"{what}: {e}")


class Raw:
    def __init__(self, data):
        self.data = data


def _default(enc, v):
    if isinstance(v, Raw):
        enc.write(v.data)
        return
    raise TypeError(type(v))


def enc(obj) -> bytes:
    return cbor2.dumps(obj, default=_default)


def tagged24(obj, what: str) -> bytes:
    """Return the payload of a #6.24(bstr); wrong or missing tag is malformed_cbor."""
    need(isinstance(obj, CBORTag) and obj.tag == 24 and isinstance(obj.value, bytes),
         "malformed_cbor", f"{what} is not #6.24(bstr)")
    return obj.value


def is_uint(x):
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def is_tstr(x):
    return isinstance(x, str)


def rfc3339(s: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError("no time zone")
    return t


# ---------------------------------------------------------------- X.509 ---

def _sig_ok(issuer: x509.Certificate, cert: x509.Certificate) -> bool:
    try:
        pub = issuer.public_key()
        if not isinstance(pub, ec.EllipticCurvePublicKey):
            return False
        pub.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def _ext(cert, oid):
    try:
        return cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None


def find_anchor(ds, anchors):
    candidates = []
    for a in anchors:
        if a.subject != ds.issuer:
            continue
        aki = _ext(ds, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
        ski = _ext(a, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
        if aki is not None and aki.key_identifier and ski is not None and aki.key_identifier != ski.digest:
            continue
        candidates.append(a)
    need(candidates, "untrusted_root", f"no trust anchor named {ds.issuer.rfc4514_string()}")
    return candidates


def check_usage(anchor, ds):
    bc = _ext(anchor, ExtensionOID.BASIC_CONSTRAINTS)
    need(bc is not None and bc.ca, "certificate_wrong_usage", "trust anchor is not a CA")
    eku = _ext(ds, ExtensionOID.EXTENDED_KEY_USAGE)
    need(eku is not None and MDL_DS_EKU in list(eku), "certificate_wrong_usage", "DS lacks EKU mdlDS")
    ku = _ext(ds, ExtensionOID.KEY_USAGE)
    need(ku is not None and ku.digital_signature, "certificate_wrong_usage", "DS lacks keyUsage digitalSignature")


def verify_es(pub, sig: bytes, msg: bytes, hash_cls, n: int, code: str, what: str):
    need(isinstance(sig, bytes) and len(sig) == 2 * n, code, f"{what}: signature is not {2 * n}-byte r||s")
    der = encode_dss_signature(int.from_bytes(sig[:n], "big"), int.from_bytes(sig[n:], "big"))
    try:
        pub.verify(der, msg, ec.ECDSA(hash_cls()))
    except InvalidSignature:
        raise Reject(code, f"{what}: signature does not verify")


# ---------------------------------------------------------------- verifier

MDR = "malformed_device_response"


def cose_array(obj, what):
    if isinstance(obj, CBORTag) and obj.tag in (17, 18):
        obj = obj.value
    need(isinstance(obj, list) and len(obj) == 4, MDR, f"{what} is not a 4-element COSE array")
    prot, unprot, payload, last = obj
    need(isinstance(prot, bytes) and isinstance(unprot, dict), MDR, f"{what} headers have wrong types")
    need(payload is None or isinstance(payload, bytes), MDR, f"{what} payload has wrong type")
    need(isinstance(last, bytes), MDR, f"{what} signature/tag is not a bstr")
    return obj


def header_map(prot: bytes, what: str) -> dict:
    if prot == b"":
        return {}
    h = strict_loads(prot, f"{what} protected header")
    need(isinstance(h, dict), MDR, f"{what} protected header is not a map")
    return h


def parse_document(doc):
    need(isinstance(doc, dict), MDR, "Document is not a map")
    need(is_tstr(doc.get("docType")), MDR, "docType missing or not tstr")
    isg = doc.get("issuerSigned")
    need(isinstance(isg, dict), MDR, "issuerSigned missing or not a map")
    ns_map = isg.get("nameSpaces", {})
    need(isinstance(ns_map, dict), MDR, "issuerSigned.nameSpaces is not a map")
    items = {}
    for ns, arr in ns_map.items():
        need(is_tstr(ns), MDR, "namespace key is not tstr")
        need(isinstance(arr, list) and arr, MDR, f"nameSpaces[{ns!r}] is not a non-empty array")
        out = []
        for i, entry in enumerate(arr):
            need(isinstance(entry, (bytes, CBORTag)), MDR, f"{ns}[{i}] is neither bstr nor tag")
            inner = tagged24(entry, f"IssuerSignedItemBytes {ns}[{i}]")
            item = strict_loads(inner, f"IssuerSignedItem {ns}[{i}]")
            need(isinstance(item, dict), MDR, f"{ns}[{i}] is not a map")
            need(is_uint(item.get("digestID")), MDR, f"{ns}[{i}] digestID is not uint")
            need(isinstance(item.get("random"), bytes), MDR, f"{ns}[{i}] random missing or not bstr")
            need(is_tstr(item.get("elementIdentifier")), MDR, f"{ns}[{i}] elementIdentifier not tstr")
            need("elementValue" in item, MDR, f"{ns}[{i}] elementValue missing")
            out.append((item, RAW24[inner]))
        items[ns] = out
    need("issuerAuth" in isg, MDR, "issuerAuth missing")
    issuer_auth = cose_array(isg["issuerAuth"], "issuerAuth")
    need(issuer_auth[2] is not None, MDR, "issuerAuth payload is detached")
    dsg = doc.get("deviceSigned")
    device = None
    if dsg is not None:
        need(isinstance(dsg, dict), MDR, "deviceSigned is not a map")
        need("nameSpaces" in dsg, MDR, "deviceSigned.nameSpaces missing")
        dns_inner = tagged24(dsg["nameSpaces"], "DeviceNameSpacesBytes")
        dns = strict_loads(dns_inner, "DeviceNameSpaces")
        need(isinstance(dns, dict), MDR, "DeviceNameSpaces is not a map")
        auth = dsg.get("deviceAuth", {})
        need(isinstance(auth, dict), MDR, "deviceAuth is not a map")
        for k in auth:
            need(k in ("deviceSignature", "deviceMac"), MDR, f"unknown deviceAuth key {k!r}")
        need(len(auth) <= 1, MDR, "deviceAuth has both deviceSignature and deviceMac")
        for k, v in auth.items():
            cose_array(v, k)
        device = {"ns_raw": RAW24[dns_inner], "ns": dns, "auth": auth}
    return {"docType": doc["docType"], "items": items, "issuerAuth": issuer_auth, "device": device}


def parse_mso(payload: bytes):
    inner = tagged24(strict_loads(payload, "issuerAuth payload"), "MobileSecurityObjectBytes")
    mso = strict_loads(inner, "MobileSecurityObject")
    M = "malformed_mso"
    need(isinstance(mso, dict), M, "MSO is not a map")
    need(is_tstr(mso.get("version")), M, "version")
    need(is_tstr(mso.get("digestAlgorithm")), M, "digestAlgorithm")
    vd = mso.get("valueDigests")
    need(isinstance(vd, dict), M, "valueDigests is not a map")
    for ns, d in vd.items():
        need(is_tstr(ns) and isinstance(d, dict), M, "valueDigests entry")
        for i, h in d.items():
            need(is_uint(i) and isinstance(h, bytes), M, "DigestIDs entry")
    dki = mso.get("deviceKeyInfo")
    need(isinstance(dki, dict) and isinstance(dki.get("deviceKey"), dict), M, "deviceKeyInfo.deviceKey")
    need(is_tstr(mso.get("docType")), M, "docType")
    vi = mso.get("validityInfo")
    need(isinstance(vi, dict), M, "validityInfo")
    times = {}
    for k in ("signed", "validFrom", "validUntil"):
        v = vi.get(k)
        need(isinstance(v, CBORTag) and v.tag == 0 and is_tstr(v.value), M, f"validityInfo.{k} is not tdate")
        try:
            times[k] = rfc3339(v.value)
        except ValueError:
            raise Reject(M, f"validityInfo.{k} unparseable")
    ck = dki["deviceKey"]
    need(ck.get(1) == 2 and ck.get(-1) in (1, 2) and isinstance(ck.get(-2), bytes)
         and isinstance(ck.get(-3), bytes), M, "deviceKey is not an EC2 P-256/P-384 COSE_Key")
    curve = ec.SECP256R1() if ck[-1] == 1 else ec.SECP384R1()
    try:
        dev_pub = ec.EllipticCurvePublicNumbers(int.from_bytes(ck[-2], "big"), int.from_bytes(ck[-3], "big"),
                                                curve).public_key()
    except ValueError:
        raise Reject(M, "deviceKey is not a point on the curve")
    return mso, times, dev_pub


class Blocked(Exception):
    """--all mode: a check could not run because an earlier one failed."""


def verify(base: Path, e: dict, collect: list | None = None) -> str:
    """Run the checks in order. Normally the first failure raises Reject.
    With `collect` (a list), every check that can still run does, and each
    failure's code is appended: this is how the corpus is shown to have
    exactly one defect per case."""
    RAW24.clear()
    data = (base / e["file"]).read_bytes()
    transcript = (base / e["transcript"]).read_bytes()
    anchors = [x509.load_der_x509_certificate((base / t).read_bytes()) for t in e["trust"]]
    at = rfc3339(e["at"])
    reader = None
    if e.get("reader_key"):
        d = int((base / e["reader_key"]).read_text().strip(), 16)
        reader = ec.derive_private_key(d, ec.SECP256R1())
    s = {}

    def get(k):
        if k not in s:
            raise Blocked(k)
        return s[k]

    def stage(fn, fatal=False):
        try:
            fn()
        except Reject as r:
            if collect is None:
                raise
            collect.append(r.code)
            if fatal:
                raise Blocked(r.code)
        except Blocked:
            if collect is not None:
                collect.append("~" + fn.__name__)
            if fatal:
                raise

    # 1. decode + structure
    def decode():
        resp = strict_loads(data, "DeviceResponse")
        need(isinstance(resp, dict), MDR, "DeviceResponse is not a map")
        need(is_tstr(resp.get("version")) and resp["version"].split(".")[0] == "1", MDR, "version")
        need(is_uint(resp.get("status")), MDR, "status")
        docs = resp.get("documents", [])
        need(isinstance(docs, list), MDR, "documents is not an array")
        s["parsed"] = [parse_document(d) for d in docs]
        if "documentErrors" in resp:
            need(isinstance(resp["documentErrors"], list), MDR, "documentErrors is not an array")
        s["resp"] = resp

    # 2. status, document selection
    def status():
        resp = get("resp")
        need(resp["status"] == 0, "response_status_error", f"status {resp['status']}")

    def select():
        doc = next((p for p in get("parsed") if p["docType"] == e["doctype"]), None)
        need(doc is not None, "request_not_satisfied", f"no Document of docType {e['doctype']}")
        s["doc"] = doc

    # 3. issuerAuth headers
    def headers():
        prot_b, unprot, payload, sig = get("doc")["issuerAuth"]
        prot = header_map(prot_b, "issuerAuth")
        alg = prot.get(1)
        need(alg in ISSUER_ALGS, "unsupported_algorithm", f"issuerAuth protected alg {alg!r}")
        s["alg"] = alg

    def x5chain():
        prot_b, unprot, payload, sig = get("doc")["issuerAuth"]
        prot = header_map(prot_b, "issuerAuth")
        x5 = prot.get(33, unprot.get(33))
        need(x5 is not None and x5 != [], "x5chain_missing", "no x5chain")
        x5 = [x5] if isinstance(x5, bytes) else x5
        need(isinstance(x5, list) and all(isinstance(c, bytes) for c in x5), MDR, "x5chain type")
        try:
            s["ds"] = [x509.load_der_x509_certificate(c) for c in x5][0]
        except ValueError:
            raise Reject(MDR, "x5chain certificate does not parse")

    # 4. chain
    def anchor():
        s["candidates"] = find_anchor(get("ds"), anchors)
        s["anchor"] = s["candidates"][0]

    def cert_signature():
        a = next((a for a in get("candidates") if _sig_ok(a, s["ds"])), None)
        need(a is not None, "certificate_signature_invalid", "DS certificate signature does not verify")
        s["anchor"] = a

    def cert_validity():
        for c, label in ((get("anchor"), "IACA"), (get("ds"), "DS")):
            need(c.not_valid_before_utc <= at <= c.not_valid_after_utc, "certificate_expired",
                 f"{label} certificate not valid at {at.isoformat()}")

    def cert_usage():
        check_usage(get("anchor"), get("ds"))

    # 5. issuer signature
    def issuer_signature():
        prot_b, unprot, payload, sig = get("doc")["issuerAuth"]
        hash_cls, n = ISSUER_ALGS[get("alg")]
        ds_pub = get("ds").public_key()
        need(isinstance(ds_pub, ec.EllipticCurvePublicKey) and (ds_pub.key_size + 7) // 8 == n,
             "unsupported_algorithm", "DS key does not match alg")
        verify_es(ds_pub, sig, enc(["Signature1", prot_b, b"", payload]), hash_cls, n,
                  "issuer_signature_invalid", "issuerAuth")

    # 6. MSO
    def mso():
        s["mso"], s["times"], s["dev_pub"] = parse_mso(get("doc")["issuerAuth"][2])

    def digest_alg():
        halg = DIGESTS.get(get("mso")["digestAlgorithm"])
        need(halg is not None, "unsupported_digest_algorithm", s["mso"]["digestAlgorithm"])
        s["halg"] = halg

    def doctype():
        m, doc = get("mso"), get("doc")
        need(m["docType"] == doc["docType"], "doctype_mismatch", f"MSO {m['docType']} vs Document {doc['docType']}")

    # 7. validity
    def not_yet_valid():
        need(get("times")["validFrom"] <= at, "mso_not_yet_valid", f"validFrom {s['times']['validFrom']}")

    def expired():
        need(at <= get("times")["validUntil"], "mso_expired", f"validUntil {s['times']['validUntil']}")

    def signed_in_cert():
        ds, t = get("ds"), get("times")["signed"]
        need(ds.not_valid_before_utc <= t <= ds.not_valid_after_utc, "mso_signed_outside_certificate", f"signed {t}")

    # 8. digests
    def duplicates():
        for ns, items in get("doc")["items"].items():
            ids = [it["digestID"] for it, _ in items]
            names = [it["elementIdentifier"] for it, _ in items]
            need(len(set(ids)) == len(ids), "duplicate_element", f"{ns}: repeated digestID")
            need(len(set(names)) == len(names), "duplicate_element", f"{ns}: repeated elementIdentifier")

    def digests_present():
        vd = get("mso")["valueDigests"]
        for ns, items in get("doc")["items"].items():
            need(ns in vd, "digest_missing", f"namespace {ns} not in valueDigests")
            for it, _ in items:
                need(it["digestID"] in vd[ns], "digest_missing", f"{ns} digestID {it['digestID']}")

    def digests_match():
        vd, halg = get("mso")["valueDigests"], get("halg")
        for ns, items in get("doc")["items"].items():
            for it, raw in items:
                want = vd.get(ns, {}).get(it["digestID"])
                if want is not None:
                    need(hmac.compare_digest(halg(raw).digest(), want), "digest_mismatch",
                         f"{ns}/{it['elementIdentifier']}")

    # 9. issuing_country
    def country():
        c = [a.value for a in get("ds").subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)]
        for it, _ in get("doc")["items"].get("org.iso.18013.5.1", []):
            if it["elementIdentifier"] == "issuing_country":
                need(c and it["elementValue"] == c[0], "issuing_country_mismatch",
                     f"{it['elementValue']!r} vs C={c}")

    # 10. device authentication
    def device():
        doc, dev_pub = get("doc"), get("dev_pub")
        dev = doc["device"]
        need(dev is not None and dev["auth"], "device_auth_missing", "no deviceSigned/deviceAuth")
        da = ["DeviceAuthentication", Raw(transcript), doc["docType"], Raw(dev["ns_raw"])]
        dab = enc(CBORTag(24, enc(da)))
        if "deviceSignature" in dev["auth"]:
            p_b, _, pl, sig = dev["auth"]["deviceSignature"]
            palg = header_map(p_b, "deviceSignature").get(1)
            want_alg = -7 if dev_pub.curve.name == "secp256r1" else -35
            need(palg == want_alg, "unsupported_algorithm", f"deviceSignature alg {palg!r}")
            need(pl is None or pl == dab, "device_signature_invalid",
                 "attached payload is not our DeviceAuthenticationBytes")
            hc, n = ISSUER_ALGS[palg]
            verify_es(dev_pub, sig, enc(["Signature1", p_b, b"", dab]), hc, n,
                      "device_signature_invalid", "deviceSignature")
        else:
            p_b, _, pl, tag = dev["auth"]["deviceMac"]
            palg = header_map(p_b, "deviceMac").get(1)
            need(palg == 5, "unsupported_algorithm", f"deviceMac alg {palg!r}")
            need(reader is not None, "device_mac_invalid", "no reader ephemeral key to check the MAC")
            need(pl is None or pl == dab, "device_mac_invalid", "attached payload differs")
            zab = reader.exchange(ec.ECDH(), dev_pub)
            salt = hashlib.sha256(enc(CBORTag(24, transcript))).digest()
            key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"EMacKey").derive(zab)
            want = hmac.new(key, enc(["MAC0", p_b, b"", dab]), hashlib.sha256).digest()
            need(hmac.compare_digest(want, tag), "device_mac_invalid", "tag does not verify")

    # 11. request
    def request():
        doc = get("doc")
        dev_ns = doc["device"]["ns"] if doc["device"] else {}
        for ns, elements in (e.get("requested") or {}).items():
            got = {it["elementIdentifier"] for it, _ in doc["items"].get(ns, [])}
            if isinstance(dev_ns.get(ns), dict):
                got |= set(dev_ns[ns].keys())
            for el in elements:
                need(el in got, "request_not_satisfied", f"{ns}/{el} not disclosed")

    try:
        stage(decode, fatal=True)
        for fn in (status, select, headers, x5chain, anchor, cert_signature, cert_validity, cert_usage,
                   issuer_signature, mso, digest_alg, doctype, not_yet_valid, expired, signed_in_cert,
                   duplicates, digests_present, digests_match, country, device, request):
            stage(fn)
    except Blocked:
        pass
    return "ok"


def main(argv):
    verbose = "-v" in argv
    collect_all = "--all" in argv
    args = [a for a in argv if a not in ("-v", "--all")]
    manifest = Path(args[0]) if args else Path(__file__).resolve().parent / "manifest.json"
    base = manifest.parent
    passed = failed = 0
    for e in json.loads(manifest.read_text()):
        try:
            got, why = verify(base, e), "all checks passed"
        except Reject as r:
            got, why = r.code, r.why
        ok = got == e["code"]
        if collect_all:
            codes: list = []
            verify(base, e, codes)
            blocked = [c[1:] for c in codes if c.startswith("~")]
            codes = [c for c in codes if not c.startswith("~")]
            if blocked:
                why += f"; could not run: {', '.join(blocked)}"
            if codes != ([] if e["code"] == "ok" else [e["code"]]):
                ok = False
                why += f"; every failing check: {codes}"
        passed += ok
        failed += not ok
        if verbose or not ok:
            print(f"{'ok  ' if ok else 'FAIL'} {e['file']}: expected {e['code']}, got {got} ({why})")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
