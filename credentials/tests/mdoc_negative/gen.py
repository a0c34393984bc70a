#!/usr/bin/env python3
"""Generate the independent ISO/IEC 18013-5 DeviceResponse negative corpus.

Python 3.11, `cbor2` and `cryptography` only (see requirements.txt). Shares no
code with the Rust crate. Writes:

  cases/NN-name.cbor   DeviceResponse bytes, exactly as a verifier receives them
  pki/                 certificates (DER), SessionTranscripts (CBOR array, not
                       tag-24 wrapped), reader ephemeral private keys (hex
                       scalar), keys.json (all test private keys)
  manifest.json        one entry per case (see README.md)

Every key, salt and signature is deterministic (fixed labels, RFC 6979 ECDSA),
so running this again rewrites byte-identical files.

The Annex D vectors are read from ../../../tests/vectors/iso18013-5
(override with the MDOC_VECTORS environment variable).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
from pathlib import Path

import cbor2
from cbor2 import CBORTag
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent
VECTORS = Path(os.environ.get("MDOC_VECTORS", HERE.parents[2] / "tests" / "vectors" / "iso18013-5"))
ANNEX_D = VECTORS / "annex-d"
CASES = HERE / "cases"
PKI = HERE / "pki"

NS = "org.iso.18013.5.1"
DOCTYPE = "org.iso.18013.5.1.mDL"
OTHER_DOCTYPE = "org.iso.23220.photoid.1"
AT = "2026-06-01T12:00:00Z"
OID_MDL_DS = x509.ObjectIdentifier("1.0.18013.5.1.2")
OID_MDL_READER = x509.ObjectIdentifier("1.0.18013.5.1.6")
UTC = dt.timezone.utc
N256 = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


# --------------------------------------------------------------------------
# CBOR helpers
# --------------------------------------------------------------------------

class Raw:
    """Pre-encoded CBOR, written verbatim by dumps()."""

    def __init__(self, data: bytes):
        self.data = data


def _default(encoder, value):
    if isinstance(value, Raw):
        encoder.write(value.data)
        return
    raise TypeError(f"cannot encode {type(value)}")


def dumps(obj) -> bytes:
    return cbor2.dumps(obj, default=_default)


def head(major: int, n: int) -> bytes:
    """Preferred (shortest) CBOR head for major type `major` and argument n."""
    if n < 24:
        return bytes([major << 5 | n])
    if n < 0x100:
        return bytes([major << 5 | 24, n])
    if n < 0x10000:
        return bytes([major << 5 | 25]) + n.to_bytes(2, "big")
    if n < 0x100000000:
        return bytes([major << 5 | 26]) + n.to_bytes(4, "big")
    return bytes([major << 5 | 27]) + n.to_bytes(8, "big")


def raw_map(pairs) -> Raw:
    """A definite-length map from (key, value) pairs, duplicates allowed."""
    return Raw(head(5, len(pairs)) + b"".join(dumps(k) + dumps(v) for k, v in pairs))


def indef_map(d: dict) -> Raw:
    return Raw(b"\xbf" + b"".join(dumps(k) + dumps(v) for k, v in d.items()) + b"\xff")


def indef_array(items) -> Raw:
    return Raw(b"\x9f" + b"".join(dumps(x) for x in items) + b"\xff")


def tag24(inner: bytes) -> CBORTag:
    return CBORTag(24, inner)


def tdate(s: str) -> CBORTag:
    return CBORTag(0, s)


def full_date(s: str) -> CBORTag:
    return CBORTag(1004, s)


def sha256(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def flip_bit(b: bytes, index: int, mask: int = 0x01) -> bytes:
    out = bytearray(b)
    out[index] ^= mask
    return bytes(out)


# --------------------------------------------------------------------------
# Keys and certificates
# --------------------------------------------------------------------------

KEY_LABELS = {}


def key(label: str) -> ec.EllipticCurvePrivateKey:
    d = int.from_bytes(sha256(b"vouch mdoc negative corpus key: " + label.encode()), "big") % (N256 - 1) + 1
    KEY_LABELS[label] = d
    return ec.derive_private_key(d, ec.SECP256R1())


def scalar_hex(k: ec.EllipticCurvePrivateKey) -> str:
    return format(k.private_numbers().private_value, "064x")


def serial(label: str) -> int:
    """Positive 128-bit certificate serial number (18013-5 wants >= 63 bits of entropy)."""
    return int.from_bytes(sha256(b"vouch mdoc negative corpus serial: " + label.encode())[:16], "big") >> 1 | 1 << 120


def salt(label: str, n: int = 16) -> bytes:
    return sha256(b"vouch mdoc negative corpus salt: " + label.encode())[:n]


def es256(priv: ec.EllipticCurvePrivateKey, msg: bytes) -> bytes:
    der = priv.sign(msg, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def raw_to_der(sig: bytes) -> bytes:
    return encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))


def when(y, m, d, hh=0, mm=0, ss=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


def name(cn: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "GB"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Vouch Test"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def make_cert(subject: x509.Name, issuer: x509.Name, pub, signer, serial: int,
              not_before: dt.datetime, not_after: dt.datetime, extensions) -> x509.Certificate:
    b = (x509.CertificateBuilder()
         .subject_name(subject)
         .issuer_name(issuer)
         .public_key(pub)
         .serial_number(serial)
         .not_valid_before(not_before)
         .not_valid_after(not_after))
    for ext, critical in extensions:
        b = b.add_extension(ext, critical=critical)
    return b.sign(signer, hashes.SHA256(), ecdsa_deterministic=True)


def iaca_cert(cn, k, serial, nb, na):
    ski = x509.SubjectKeyIdentifier.from_public_key(k.public_key())
    return make_cert(name(cn), name(cn), k.public_key(), k, serial, nb, na, [
        (x509.BasicConstraints(ca=True, path_length=0), True),
        (x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                       crl_sign=True, encipher_only=False, decipher_only=False), True),
        (ski, False),
        (x509.IssuerAlternativeName([x509.UniformResourceIdentifier("https://vouch.example/iaca")]), False),
        (x509.CRLDistributionPoints([x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier("https://vouch.example/crl/iaca.crl")],
            relative_name=None, reasons=None, crl_issuer=None)]), False),
    ])


def ds_cert(cn, k, issuer_cert, issuer_key, serial, nb, na, eku=(OID_MDL_DS,), digital_signature=True,
            key_cert_sign=False, issuer_name=None, aki_key=None):
    exts = [
        (x509.KeyUsage(digital_signature=digital_signature, content_commitment=False, key_encipherment=False,
                       data_encipherment=False, key_agreement=False, key_cert_sign=key_cert_sign,
                       crl_sign=False, encipher_only=False, decipher_only=False), True),
        (x509.SubjectKeyIdentifier.from_public_key(k.public_key()), False),
        (x509.AuthorityKeyIdentifier.from_issuer_public_key(
            (aki_key or issuer_key).public_key()), False),
        (x509.IssuerAlternativeName([x509.UniformResourceIdentifier("https://vouch.example/iaca")]), False),
        (x509.CRLDistributionPoints([x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier("https://vouch.example/crl/iaca.crl")],
            relative_name=None, reasons=None, crl_issuer=None)]), False),
    ]
    if eku is not None:
        exts.insert(1, (x509.ExtendedKeyUsage(list(eku)), True))
    issuer = issuer_name if issuer_name is not None else issuer_cert.subject
    return make_cert(name(cn), issuer, k.public_key(), issuer_key, serial, nb, na, exts)


def der(c: x509.Certificate) -> bytes:
    return c.public_bytes(serialization.Encoding.DER)


# 18013-5 Annex B: DS certificates live at most 457 days.
DS_FROM, DS_UNTIL = when(2025, 10, 1), when(2026, 12, 31)

IACA_KEY = key("iaca")
DS_KEY = key("ds")
DEVICE_KEY = key("device")
READER_EPH = key("reader ephemeral")
DEVICE_EPH = key("device ephemeral (not the MSO device key)")
ATTACKER = key("attacker")
OTHER_IACA_KEY = key("other iaca")
OTHER_DS_KEY = key("other ds")
EXPIRED_IACA_KEY = key("expired iaca")
SELF_DS_KEY = key("self-signed ds")
WRONG_READER = key("wrong reader ephemeral")

IACA = iaca_cert("Vouch Test IACA", IACA_KEY, serial("1a1"), when(2024, 1, 1), when(2034, 1, 1))
DS = ds_cert("Vouch Test DS", DS_KEY, IACA, IACA_KEY, serial("d51"), DS_FROM, DS_UNTIL)
DS_SHORT = ds_cert("Vouch Test DS short-lived", DS_KEY, IACA, IACA_KEY, serial("d52"),
                   DS_FROM, when(2026, 3, 1))
DS_NO_EKU = ds_cert("Vouch Test DS no EKU", DS_KEY, IACA, IACA_KEY, serial("d53"),
                    DS_FROM, DS_UNTIL, eku=None)
DS_READER_EKU = ds_cert("Vouch Test DS reader EKU", DS_KEY, IACA, IACA_KEY, serial("d54"),
                        DS_FROM, DS_UNTIL, eku=(OID_MDL_READER,))
DS_CERTSIGN = ds_cert("Vouch Test DS keyCertSign", DS_KEY, IACA, IACA_KEY, serial("d55"),
                      DS_FROM, DS_UNTIL, digital_signature=False, key_cert_sign=True)
DS_FORGED = ds_cert("Vouch Test DS", DS_KEY, IACA, ATTACKER, serial("d56"), DS_FROM, DS_UNTIL,
                    issuer_name=IACA.subject, aki_key=IACA_KEY)
OTHER_IACA = iaca_cert("Vouch Other IACA", OTHER_IACA_KEY, serial("1a2"), when(2024, 1, 1), when(2034, 1, 1))
OTHER_DS = ds_cert("Vouch Other DS", OTHER_DS_KEY, OTHER_IACA, OTHER_IACA_KEY, serial("d57"),
                   DS_FROM, DS_UNTIL)
EXPIRED_IACA = iaca_cert("Vouch Expired IACA", EXPIRED_IACA_KEY, serial("1a3"), when(2020, 1, 1), when(2026, 3, 1))
DS_UNDER_EXPIRED = ds_cert("Vouch Test DS under expired IACA", DS_KEY, EXPIRED_IACA, EXPIRED_IACA_KEY,
                           serial("d58"), DS_FROM, DS_UNTIL)
# Self-signed DS: issuer = subject, signed by its own key, mdlDS EKU, no CA bit.
_self_name = name("Vouch Self-signed DS")
SELF_DS = make_cert(_self_name, _self_name, SELF_DS_KEY.public_key(), SELF_DS_KEY, serial("d59"),
                    DS_FROM, DS_UNTIL, [
                        (x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                       crl_sign=False, encipher_only=False, decipher_only=False), True),
                        (x509.ExtendedKeyUsage([OID_MDL_DS]), True),
                    ])

DS_DER = der(DS)
# DS certificate with one bit flipped in the last byte of its signatureValue
# (the last byte of the DER is the last byte of the ECDSA `s` INTEGER, so the
# certificate still parses).
DS_SIG_FLIPPED = flip_bit(DS_DER, len(DS_DER) - 1)
# DS certificate with the TBS changed after signing (subject CN "Vouch Test DS" ->
# "Vouch Test DX"); same length, so the DER still parses.
assert DS_DER.count(b"Vouch Test DS") == 1
DS_TBS_TAMPERED = DS_DER.replace(b"Vouch Test DS", b"Vouch Test DX")


# --------------------------------------------------------------------------
# SessionTranscripts
# --------------------------------------------------------------------------

CLIENT_ID = "x509_san_dns:verifier.example.org"
RESPONSE_URI = "https://verifier.example.org/oid4vp/response"
NONCE = "vouch-mdoc-negative-nonce-0001"
OTHER_NONCE = "vouch-mdoc-negative-nonce-0002"


def oid4vp_transcript(nonce: str) -> bytes:
    info = dumps([CLIENT_ID, nonce, None, RESPONSE_URI])
    return dumps([None, None, ["OpenID4VPHandover", sha256(info)]])


TRANSCRIPT = oid4vp_transcript(NONCE)
TRANSCRIPT_OTHER = oid4vp_transcript(OTHER_NONCE)


# --------------------------------------------------------------------------
# The mdoc builder: issuer side, holder side, with hooks for single defects
# --------------------------------------------------------------------------

def base_items():
    spec = [
        (17, "family_name", "Smith"),
        (4, "given_name", "Alice"),
        (42, "birth_date", full_date("1990-05-15")),
        (8, "issuing_country", "GB"),
        (23, "document_number", "GB-TEST-0001"),
        (11, "age_over_18", True),
        # issued (digest in the MSO) but not disclosed
        (3, "issue_date", full_date("2026-01-01")),
        (31, "expiry_date", full_date("2036-01-01")),
    ]
    return {NS: [{"digestID": i, "random": salt(e), "elementIdentifier": e, "elementValue": v}
                 for i, e, v in spec]}


UNDISCLOSED = {(NS, "issue_date"), (NS, "expiry_date")}
DECOYS = {NS: {5: salt("decoy 5", 32), 29: salt("decoy 29", 32)}}


def cose_key(pub: ec.EllipticCurvePublicKey) -> dict:
    n = pub.public_numbers()
    return {1: 2, -1: 1, -2: n.x.to_bytes(32, "big"), -3: n.y.to_bytes(32, "big")}


def _ident(x, b):
    return x


class Mdoc:
    """Builds one DeviceResponse. Every step can be replaced by an attribute."""

    def __init__(self, **kw):
        self.issued = base_items()
        self.undisclosed = set(UNDISCLOSED)
        self.decoys = copy.deepcopy(DECOYS)
        self.doc_type = DOCTYPE
        self.mso_doc_type = DOCTYPE
        self.digest_alg = "SHA-256"
        self.signed = "2026-01-01T00:00:00Z"
        self.valid_from = "2026-01-01T00:00:00Z"
        self.valid_until = "2026-12-01T00:00:00Z"
        self.device_key = DEVICE_KEY
        self.ds_key = DS_KEY
        self.x5chain = DS_DER
        self.protected = dumps({1: -7})
        self.unprotected = None  # None -> {33: x5chain}
        self.transcript = TRANSCRIPT
        self.device_auth = "signature"  # or "mac"
        self.reader_pub = READER_EPH.public_key()
        self.devauth_doc_type = None  # None -> doc_type
        self.dev_protected = dumps({1: -7})
        self.dev_sign_key = None  # None -> device_key
        self.status = 0
        # hooks: f(value, builder) -> value
        self.hash = lambda received, inner: hashlib.sha256(received).digest()
        self.encode_item = lambda item, b: dumps(item)
        self.wrap_item = lambda inner, item, b: tag24(inner)
        self.vd_hook = _ident
        self.mso_hook = _ident
        self.encode_mso = lambda mso, b: dumps(mso)
        self.mso_payload = lambda inner, b: dumps(tag24(inner))
        self.tbs_payload = _ident
        self.sig_hook = _ident
        self.issuer_auth_hook = _ident
        self.present_hook = _ident
        self.issuer_signed_hook = _ident
        self.dab_hook = _ident
        self.dev_payload = lambda dab, b: None
        self.dev_tbs_payload = _ident
        self.dev_sig_hook = _ident
        self.emac_salt = lambda b: sha256(dumps(tag24(b.transcript)))
        self.emac_ikm = lambda b: b.device_key.exchange(ec.ECDH(), b.reader_pub)
        self.device_signed_hook = _ident
        self.doc_hook = _ident
        self.resp_hook = _ident
        self.bytes_hook = _ident
        for k, v in kw.items():
            if not hasattr(self, k):
                raise AttributeError(k)
            setattr(self, k, v)

    # -- helpers usable from hooks --------------------------------------
    def item(self, element, ns=NS):
        for it in self.issued[ns]:
            if it["elementIdentifier"] == element:
                return it
        raise KeyError(element)

    def present(self, item, ns=NS):
        """The array entry for an item, encoded the normal way."""
        return tag24(dumps(item))

    # -- build ----------------------------------------------------------
    def build(self) -> bytes:
        # issuer: items and digests
        vd = {}
        self.presented = {}
        for ns, items in self.issued.items():
            for it in items:
                inner = self.encode_item(it, self)
                wrapped = self.wrap_item(inner, it, self)
                received = dumps(wrapped)
                vd.setdefault(ns, {})[it["digestID"]] = self.hash(received, inner)
                if (ns, it["elementIdentifier"]) not in self.undisclosed:
                    self.presented.setdefault(ns, []).append(wrapped)
        for ns, decoys in self.decoys.items():
            vd.setdefault(ns, {}).update(decoys)
        vd = {ns: dict(sorted(d.items())) for ns, d in vd.items()}
        vd = self.vd_hook(vd, self)

        mso = {
            "version": "1.0",
            "digestAlgorithm": self.digest_alg,
            "valueDigests": vd,
            "deviceKeyInfo": {"deviceKey": cose_key(self.device_key.public_key())},
            "docType": self.mso_doc_type,
            "validityInfo": {
                "signed": tdate(self.signed),
                "validFrom": tdate(self.valid_from),
                "validUntil": tdate(self.valid_until),
            },
        }
        self.mso = self.mso_hook(mso, self)
        self.mso_inner = self.encode_mso(self.mso, self)
        payload = self.mso_payload(self.mso_inner, self)
        unprotected = self.unprotected if self.unprotected is not None else {33: self.x5chain}
        tbs = dumps(["Signature1", self.protected, b"", self.tbs_payload(payload, self)])
        sig = self.sig_hook(es256(self.ds_key, tbs), self)
        issuer_auth = self.issuer_auth_hook([self.protected, unprotected, payload, sig], self)
        name_spaces = self.present_hook(self.presented, self)
        issuer_signed = self.issuer_signed_hook({"nameSpaces": name_spaces, "issuerAuth": issuer_auth}, self)

        # holder: device authentication
        dev_ns = tag24(b"\xa0")
        da = ["DeviceAuthentication", Raw(self.transcript), self.devauth_doc_type or self.doc_type, dev_ns]
        dab = self.dab_hook(dumps(tag24(dumps(da))), self)
        if self.device_auth == "signature":
            attached = self.dev_payload(dab, self)
            signed_payload = attached if attached is not None else dab
            tbs = dumps(["Signature1", self.dev_protected, b"", self.dev_tbs_payload(signed_payload, self)])
            dsig = self.dev_sig_hook(es256(self.dev_sign_key or self.device_key, tbs), self)
            device_auth = {"deviceSignature": [self.dev_protected, {}, attached, dsig]}
        else:
            emac_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=self.emac_salt(self),
                            info=b"EMacKey").derive(self.emac_ikm(self))
            prot = dumps({1: 5})
            tag = hmac.new(emac_key, dumps(["MAC0", prot, b"", dab]), hashlib.sha256).digest()
            device_auth = {"deviceMac": [prot, {}, None, self.dev_sig_hook(tag, self)]}
        device_signed = self.device_signed_hook({"nameSpaces": dev_ns, "deviceAuth": device_auth}, self)

        doc = self.doc_hook({"docType": self.doc_type, "issuerSigned": issuer_signed,
                             "deviceSigned": device_signed}, self)
        resp = self.resp_hook({"version": "1.0", "documents": [doc], "status": self.status}, self)
        return self.bytes_hook(dumps(resp), self)


def present_modified(element, **changes):
    """present_hook: the holder sends `element` with fields changed after issuance."""
    def hook(name_spaces, b):
        arr = name_spaces[NS]
        for i, e in enumerate(arr):
            it = cbor2.loads(e.value)
            if it["elementIdentifier"] == element:
                new = dict(b.item(element))
                new.update(changes)
                arr[i] = tag24(dumps(new))
                return name_spaces
        raise KeyError(element)
    return hook


def wrap_for(element, special):
    return lambda inner, item, b: special(inner) if item["elementIdentifier"] == element else tag24(inner)


def encode_for(element, special):
    return lambda item, b: special(item) if item["elementIdentifier"] == element else dumps(item)


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

MANIFEST = []
FILES = {}

TRUST = ["pki/iaca.der"]
TR = "pki/transcript_oid4vp.cbor"
TR_OTHER = "pki/transcript_oid4vp_other_nonce.cbor"
REQ_BASE = {NS: ["family_name", "given_name", "birth_date", "issuing_country", "document_number", "age_over_18"]}

AD_TRUST = ["pki/annexd_iaca.der"]
AD_TR = "pki/annexd_transcript.cbor"
AD_READER = "pki/annexd_e_reader_key_d.hex"
AD_AT = "2021-01-01T00:00:00Z"
AD_REQ = {NS: ["family_name", "document_number", "driving_privileges", "issue_date", "expiry_date", "portrait"]}


def add(name, code, description, data, *, transcript=TR, trust=None, at=AT, reader_key=None,
        doctype=DOCTYPE, requested=None):
    n = len(MANIFEST)
    fname = f"cases/{n:02d}-{name}.cbor"
    if isinstance(data, Mdoc):
        if data.device_auth == "mac" and reader_key is None:
            reader_key = "pki/reader_ephemeral_d.hex"
        data = data.build()
    FILES[fname] = data
    MANIFEST.append({
        "file": fname,
        "code": code,
        "description": description,
        "transcript": transcript,
        "trust": trust if trust is not None else TRUST,
        "at": at,
        "reader_key": reader_key,
        "doctype": doctype,
        "requested": requested,
    })


def annex_d_cases(annexd: bytes):
    mac_tag = bytes.fromhex((ANNEX_D / "derived" / "device_mac_tag.hex").read_text().strip())
    assert annexd.count(mac_tag) == 1

    add("ok-annexd", "ok",
        "ISO/IEC 18013-5 Annex D DeviceResponse, unchanged. ES256 issuerAuth, single-bstr x5chain, "
        "6 disclosed elements, DeviceMac (HMAC-SHA256) with EMacKey from the reader ephemeral key "
        "and the MSO device key.",
        annexd, transcript=AD_TR, trust=AD_TRUST, at=AD_AT, reader_key=AD_READER, requested=AD_REQ)

    ok_own = Mdoc()
    add("ok-own-devicesignature", "ok",
        "Own baseline: own IACA (P-256, C=GB) -> DS (mdlDS EKU), MSO SHA-256 with non-sequential "
        "digestIDs, 2 undisclosed items and 2 decoy digests, 6 disclosed elements, DeviceSignature "
        "ES256 with detached payload over the OpenID4VP 1.0 SessionTranscript.",
        ok_own, requested=REQ_BASE)
    add("ok-own-devicemac", "ok",
        "Own baseline with DeviceMac instead of DeviceSignature: EMacKey = HKDF-SHA256(ECDH(reader "
        "ephemeral, MSO device key), salt = SHA-256(tag24(SessionTranscript)), info 'EMacKey').",
        Mdoc(device_auth="mac"), requested=REQ_BASE)
    return mac_tag


def own_cases(annexd: bytes, mac_tag: bytes):
    good = Mdoc().build()

    # ---------------- malformed_cbor ----------------
    add("truncated", "malformed_cbor",
        "Own baseline cut to its first half (ends inside a byte string).", good[: len(good) // 2])
    add("empty", "malformed_cbor", "Zero bytes: no CBOR data item at all.", b"")
    add("trailing-garbage", "malformed_cbor",
        "Own baseline followed by one extra byte 0x00 (a second, complete CBOR item) after the "
        "DeviceResponse.", good + b"\x00")
    add("indefinite-documents", "malformed_cbor",
        "The documents array is encoded with indefinite length (0x9f ... 0xff); otherwise the "
        "own baseline.",
        Mdoc(resp_hook=lambda r, b: {**r, "documents": indef_array(r["documents"])}))
    add("indefinite-map-in-mso", "malformed_cbor",
        "validityInfo inside the MSO is an indefinite-length map (0xbf ... 0xff); the MSO is "
        "re-signed, so the signature is valid over those bytes.",
        Mdoc(mso_hook=lambda m, b: {**m, "validityInfo": indef_map(m["validityInfo"])}))

    def dup_version(data, b):
        r = cbor2.loads(data)
        return dumps(raw_map([("version", "1.0"), ("documents", Raw(dumps(r["documents"]))),
                              ("status", 0), ("version", "1.0")]))
    add("duplicate-key-response", "malformed_cbor",
        "Top-level DeviceResponse map has the key \"version\" twice (map header says 4 pairs).",
        Mdoc(bytes_hook=dup_version))
    add("duplicate-key-item", "malformed_cbor",
        "The family_name IssuerSignedItem map has \"elementValue\" twice (\"Smith\" then \"Jones\"); "
        "its digest is computed over these bytes and the MSO re-signed, so only the duplicate key "
        "is wrong.",
        Mdoc(encode_item=encode_for("family_name", lambda it: dumps(raw_map(
            list(it.items()) + [("elementValue", "Jones")])))))
    add("not-cbor", "malformed_cbor",
        "Not CBOR: first byte 0x1c (major type 0 with reserved additional info 28) followed by "
        "ASCII text.", b"\x1cvouch: this is not a CBOR DeviceResponse\n")
    add("item-not-tagged", "malformed_cbor",
        "The family_name IssuerSignedItemBytes is a plain bstr, without tag 24; the MSO digest is "
        "over the received (untagged) bytes and re-signed, so only the missing tag is wrong.",
        Mdoc(wrap_item=wrap_for("family_name", lambda inner: inner)))
    add("mso-payload-not-tag24", "malformed_cbor",
        "The issuerAuth payload bstr holds the MSO map directly instead of "
        "MobileSecurityObjectBytes (#6.24(bstr)); re-signed over that payload.",
        Mdoc(mso_payload=lambda inner, b: inner))
    add("item-tag25", "malformed_cbor",
        "The family_name IssuerSignedItemBytes uses tag 25 instead of tag 24; digest over the "
        "received bytes, MSO re-signed.",
        Mdoc(wrap_item=wrap_for("family_name", lambda inner: CBORTag(25, inner))))
    add("item-content-not-cbor", "malformed_cbor",
        "The family_name tag-24 bstr does not contain CBOR (starts with reserved byte 0x1c); digest "
        "over the received bytes, MSO re-signed.",
        Mdoc(encode_item=encode_for("family_name", lambda it: b"\x1cnot an IssuerSignedItem")))
    add("device-namespaces-not-tagged", "malformed_cbor",
        "deviceSigned.nameSpaces is the bare bstr h'a0' instead of DeviceNameSpacesBytes "
        "#6.24(h'a0'); the device signature is over the correctly tagged DeviceAuthenticationBytes.",
        Mdoc(device_signed_hook=lambda d, b: {**d, "nameSpaces": b"\xa0"}))

    # ---------------- malformed_device_response ----------------
    def drop(key):
        return lambda r, b: {k: v for k, v in r.items() if k != key}
    add("version-missing", "malformed_device_response",
        "DeviceResponse without \"version\".", Mdoc(resp_hook=drop("version")))
    add("version-wrong-type", "malformed_device_response",
        "DeviceResponse \"version\" is the integer 1 instead of the text \"1.0\".",
        Mdoc(resp_hook=lambda r, b: {**r, "version": 1}))
    add("documents-not-array", "malformed_device_response",
        "\"documents\" is the Document map itself instead of an array of Documents.",
        Mdoc(resp_hook=lambda r, b: {**r, "documents": r["documents"][0]}))
    add("issuersigned-missing", "malformed_device_response",
        "The Document has no \"issuerSigned\".", Mdoc(doc_hook=drop("issuerSigned")))
    add("namespace-value-not-array", "malformed_device_response",
        "issuerSigned.nameSpaces[\"org.iso.18013.5.1\"] is a map (elementIdentifier -> "
        "IssuerSignedItemBytes) instead of an array.",
        Mdoc(present_hook=lambda ns, b: {
            k: {cbor2.loads(e.value)["elementIdentifier"]: e for e in v} for k, v in ns.items()}))
    add("issuerauth-three-elements", "malformed_device_response",
        "issuerAuth COSE_Sign1 array has 3 elements (signature dropped).",
        Mdoc(issuer_auth_hook=lambda a, b: a[:3]))
    add("digestid-float", "malformed_device_response",
        "family_name digestID is the float 17.0 (0xfb...) instead of uint 17; the digest is over the "
        "received bytes and the MSO re-signed. The brief offered malformed_cbor for floats; this is "
        "well-formed CBOR with a wrong field type, so the more specific code is "
        "malformed_device_response.",
        Mdoc(encode_item=encode_for("family_name", lambda it: dumps({**it, "digestID": 17.0}))))
    add("item-random-missing", "malformed_device_response",
        "The family_name IssuerSignedItem has no \"random\"; digest over the received bytes, MSO "
        "re-signed.",
        Mdoc(encode_item=encode_for("family_name", lambda it: dumps(
            {k: v for k, v in it.items() if k != "random"}))))

    # ---------------- response_status_error ----------------
    add("status-10", "response_status_error",
        "Top-level status 10 (general error) although a valid Document is present.", Mdoc(status=10))
    add("status-20", "response_status_error",
        "Top-level status 20 (CBOR decoding error) although a valid Document is present.",
        Mdoc(status=20))

    # ---------------- doctype_mismatch ----------------
    add("mso-doctype-differs", "doctype_mismatch",
        f"MSO docType is \"{OTHER_DOCTYPE}\" while Document docType (and the requested doctype and "
        "DeviceAuthentication) is the mDL docType; MSO re-signed.",
        Mdoc(mso_doc_type=OTHER_DOCTYPE))
    add("document-doctype-differs", "doctype_mismatch",
        f"Document docType is \"{OTHER_DOCTYPE}\" (requested doctype and DeviceAuthentication use it "
        "too, so the device signature is valid) while the MSO docType is the mDL docType.",
        Mdoc(doc_type=OTHER_DOCTYPE), doctype=OTHER_DOCTYPE)

    # ---------------- unsupported_algorithm ----------------
    add("issuer-alg-rs256", "unsupported_algorithm",
        "issuerAuth protected header {1: -257} (RS256); the signature bytes are an ES256 signature "
        "by the DS key over the Sig_structure with that header.",
        Mdoc(protected=dumps({1: -257})))
    add("issuer-alg-missing", "unsupported_algorithm",
        "issuerAuth protected header is the empty bstr and the unprotected header has no alg "
        "(only x5chain); signature is ES256 over the Sig_structure with the empty protected header.",
        Mdoc(protected=b""))
    add("issuer-alg-unprotected-only", "unsupported_algorithm",
        "alg -7 only in the unprotected header, protected header empty; 18013-5 requires alg in the "
        "protected header (an unprotected alg is not integrity-protected), so treated as no usable "
        "algorithm. ES256 signature otherwise valid.",
        Mdoc(protected=b"", unprotected={1: -7, 33: DS_DER}))
    add("device-alg-rs256", "unsupported_algorithm",
        "deviceSignature protected header {1: -257} (RS256); the signature is ES256 by the device "
        "key over the Sig_structure with that header. Issuer side valid.",
        Mdoc(dev_protected=dumps({1: -257})))

    # ---------------- x5chain_missing ----------------
    add("x5chain-missing", "x5chain_missing",
        "issuerAuth has no label 33 in either header (unprotected = {}).", Mdoc(unprotected={}))
    add("x5chain-empty-array", "x5chain_missing",
        "issuerAuth unprotected {33: []}: x5chain present but holds no certificate (treated as "
        "missing; a verifier could also call it malformed_device_response).",
        Mdoc(unprotected={33: []}))

    # ---------------- untrusted_root ----------------
    add("ds-from-other-iaca", "untrusted_root",
        "DS certificate (and MSO signature) from \"Vouch Other IACA\", which is not in the trust list.",
        Mdoc(ds_key=OTHER_DS_KEY, x5chain=der(OTHER_DS)))
    add("x5chain-brings-own-root", "untrusted_root",
        "x5chain = [other DS, other IACA]: the chain carries its own (untrusted) root; roots in the "
        "x5chain must not become trust anchors.",
        Mdoc(ds_key=OTHER_DS_KEY, x5chain=[der(OTHER_DS), der(OTHER_IACA)]))
    add("ds-self-signed", "untrusted_root",
        "Self-signed DS certificate (mdlDS EKU, not a CA) that is not a trust anchor.",
        Mdoc(ds_key=SELF_DS_KEY, x5chain=der(SELF_DS)))

    # ---------------- certificate_signature_invalid ----------------
    add("ds-cert-signature-flipped", "certificate_signature_invalid",
        "DS certificate with one bit flipped in the last byte of its signatureValue (still parses; "
        "public key unchanged, so the MSO signature verifies).",
        Mdoc(x5chain=DS_SIG_FLIPPED))
    add("ds-cert-tbs-tampered", "certificate_signature_invalid",
        "DS certificate subject CN changed from \"Vouch Test DS\" to \"Vouch Test DX\" after the IACA "
        "signed it (TBS changed, signature kept).",
        Mdoc(x5chain=DS_TBS_TAMPERED))
    add("ds-cert-forged-issuer", "certificate_signature_invalid",
        "DS certificate with the trusted IACA's issuer name and authorityKeyIdentifier, but signed by "
        "an attacker key.",
        Mdoc(x5chain=der(DS_FORGED)))

    # ---------------- certificate_expired ----------------
    add("ds-cert-expired", "certificate_expired",
        "DS certificate valid 2025-10-01..2026-03-01, verified at 2026-06-01; the MSO (signed and "
        "validFrom 2026-01-01, validUntil 2026-12-01) still covers `at` and was signed inside the "
        "certificate validity. Only the certificate is expired (a verifier that also demands "
        "validUntil <= DS notAfter would fail here too, and on the Annex D baseline).",
        Mdoc(x5chain=der(DS_SHORT)))
    add("iaca-expired", "certificate_expired",
        "The trust anchor IACA (\"Vouch Expired IACA\", valid 2020-01-01..2026-03-01) has expired at "
        "2026-06-01; its DS (valid 2025-10-01..2026-12-31) and the MSO are in their validity windows.",
        Mdoc(x5chain=der(DS_UNDER_EXPIRED)), trust=["pki/iaca_expired.der"])
    add("annexd-ds-cert-expired", "certificate_expired",
        "Annex D response verified at 2021-10-01T06:00:00Z: the DS certificate expired at "
        "2021-10-01T00:00:00Z but the MSO is valid until 2021-10-01T13:30:02Z (and the IACA until "
        "2029). Only the certificate is expired.",
        annexd, transcript=AD_TR, trust=AD_TRUST, at="2021-10-01T06:00:00Z", reader_key=AD_READER)

    # ---------------- certificate_wrong_usage ----------------
    add("ds-no-eku", "certificate_wrong_usage",
        "DS certificate issued by the trusted IACA without any extendedKeyUsage (no mdlDS "
        "1.0.18013.5.1.2).", Mdoc(x5chain=der(DS_NO_EKU)))
    add("ds-reader-eku", "certificate_wrong_usage",
        "DS certificate whose EKU is mdlReaderAuth 1.0.18013.5.1.6 instead of mdlDS.",
        Mdoc(x5chain=der(DS_READER_EKU)))
    add("ds-keycertsign-only", "certificate_wrong_usage",
        "DS certificate with mdlDS EKU but keyUsage keyCertSign only (no digitalSignature).",
        Mdoc(x5chain=der(DS_CERTSIGN)))
    add("mso-signed-by-iaca", "certificate_wrong_usage",
        "MSO signed directly by the IACA key, x5chain = the trusted IACA certificate itself (a CA "
        "certificate without mdlDS EKU or digitalSignature). A verifier must not accept a trust "
        "anchor as the document signer.",
        Mdoc(ds_key=IACA_KEY, x5chain=der(IACA)))

    # ---------------- issuer_signature_invalid ----------------
    add("issuer-signature-bitflip", "issuer_signature_invalid",
        "One bit flipped in byte 10 of the issuerAuth signature.",
        Mdoc(sig_hook=lambda s, b: flip_bit(s, 10)))

    def mso_changed(a, b):
        m = {**b.mso, "validityInfo": {**b.mso["validityInfo"], "validUntil": tdate("2030-01-01T00:00:00Z")}}
        return [a[0], a[1], dumps(tag24(dumps(m))), a[3]]
    add("mso-changed-after-signing", "issuer_signature_invalid",
        "validUntil in the MSO changed from 2026-12-01 to 2030-01-01 after signing (signature kept).",
        Mdoc(issuer_auth_hook=mso_changed))
    add("issuer-signed-by-other-key", "issuer_signature_invalid",
        "MSO signed by an attacker P-256 key, presented with the genuine DS certificate.",
        Mdoc(ds_key=ATTACKER))
    add("issuer-signature-der", "issuer_signature_invalid",
        "Valid ECDSA signature, but DER-encoded (ASN.1 SEQUENCE) instead of COSE's 64-byte r||s.",
        Mdoc(sig_hook=lambda s, b: raw_to_der(s)))
    add("issuer-signed-untagged-mso", "issuer_signature_invalid",
        "Signature computed over a Sig_structure whose payload is the bare MSO bytes instead of the "
        "transmitted MobileSecurityObjectBytes (tag-24 form); the transmitted payload is correct.",
        Mdoc(tbs_payload=lambda p, b: b.mso_inner))

    # ---------------- malformed_mso ----------------
    def mso_drop(key):
        return lambda m, b: {k: v for k, v in m.items() if k != key}
    add("mso-validityinfo-missing", "malformed_mso",
        "MSO without validityInfo; re-signed.", Mdoc(mso_hook=mso_drop("validityInfo")))
    add("mso-devicekeyinfo-missing", "malformed_mso",
        "MSO without deviceKeyInfo; re-signed (the device signature is by the usual device key).",
        Mdoc(mso_hook=mso_drop("deviceKeyInfo")))
    add("mso-valuedigests-not-map", "malformed_mso",
        "MSO valueDigests is an array [namespace, {digestID: digest}] instead of a map; re-signed.",
        Mdoc(mso_hook=lambda m, b: {**m, "valueDigests": [NS, m["valueDigests"][NS]]}))
    add("mso-doctype-missing", "malformed_mso",
        "MSO without docType; re-signed. (Not doctype_mismatch: there is nothing to compare.)",
        Mdoc(mso_hook=mso_drop("docType")))

    # ---------------- unsupported_digest_algorithm ----------------
    add("digest-md5", "unsupported_digest_algorithm",
        "MSO digestAlgorithm \"MD5\", digests computed with MD5 over the received bytes; re-signed.",
        Mdoc(digest_alg="MD5", hash=lambda r, i: hashlib.md5(r).digest()))
    add("digest-sha1", "unsupported_digest_algorithm",
        "MSO digestAlgorithm \"SHA-1\", digests computed with SHA-1; re-signed.",
        Mdoc(digest_alg="SHA-1", hash=lambda r, i: hashlib.sha1(r).digest()))

    # ---------------- mso validity ----------------
    add("mso-expired", "mso_expired",
        "MSO validUntil 2026-05-01T00:00:00Z, before at = 2026-06-01T12:00:00Z (DS certificate still "
        "valid).", Mdoc(valid_until="2026-05-01T00:00:00Z"))
    add("mso-not-yet-valid", "mso_not_yet_valid",
        "MSO validFrom 2026-07-01T00:00:00Z, after at = 2026-06-01T12:00:00Z (signed 2026-01-01).",
        Mdoc(valid_from="2026-07-01T00:00:00Z"))
    add("annexd-mso-not-yet-valid", "mso_not_yet_valid",
        "Annex D response verified at 2020-10-01T06:00:00Z: DS certificate and IACA are valid from "
        "2020-10-01T00:00:00Z, but MSO validFrom is 2020-10-01T13:30:02Z.",
        annexd, transcript=AD_TR, trust=AD_TRUST, at="2020-10-01T06:00:00Z", reader_key=AD_READER)
    add("mso-signed-before-ds", "mso_signed_outside_certificate",
        "MSO signed = validFrom = 2025-09-01T00:00:00Z, before the DS certificate notBefore "
        "2025-10-01; validUntil 2026-12-01 covers `at` and the certificate is valid at `at`.",
        Mdoc(signed="2025-09-01T00:00:00Z", valid_from="2025-09-01T00:00:00Z"))

    # ---------------- digest_mismatch ----------------
    ad = bytearray(annexd)
    assert ad[200] == 0x44
    ad[200] = 0x46
    add("annexd-family-name-changed", "digest_mismatch",
        "Multipaz negative: Annex D response with byte offset 200 changed 0x44 -> 0x46 (family_name "
        "\"Doe\" -> \"Foe\"); the MSO signature and the DeviceMac still verify.",
        bytes(ad), transcript=AD_TR, trust=AD_TRUST, at=AD_AT, reader_key=AD_READER)
    add("value-changed", "digest_mismatch",
        "family_name elementValue \"Smith\" -> \"Jones\" after issuance (digest from the original).",
        Mdoc(present_hook=present_modified("family_name", elementValue="Jones")))
    add("random-changed", "digest_mismatch",
        "family_name random replaced by other 16 bytes after issuance.",
        Mdoc(present_hook=present_modified("family_name", random=salt("other random"))))
    add("element-identifier-changed", "digest_mismatch",
        "age_over_18 item re-labelled age_over_21 (same digestID 11, value true) after issuance.",
        Mdoc(present_hook=present_modified("age_over_18", elementIdentifier="age_over_21")))
    add("digestid-points-elsewhere", "digest_mismatch",
        "family_name item's digestID changed from 17 to 3 (the digest of the undisclosed issue_date); "
        "digestID 3 exists, so it is a mismatch, not a missing digest.",
        Mdoc(present_hook=present_modified("family_name", digestID=3)))
    add("digest-over-inner-bytes", "digest_mismatch",
        "The issuer computed every digest over the inner IssuerSignedItem map bytes instead of the "
        "full tag-24 IssuerSignedItemBytes; MSO correctly signed.",
        Mdoc(hash=lambda received, inner: sha256(inner)))

    # ---------------- digest_missing ----------------
    add("digestid-not-in-mso", "digest_missing",
        "valueDigests has no entry for family_name's digestID 17 (issuer omitted it); re-signed.",
        Mdoc(vd_hook=lambda vd, b: {ns: {i: d for i, d in v.items() if i != 17} for ns, v in vd.items()}))

    def extra_ns():
        issued = base_items()
        issued["org.iso.18013.5.1.GB"] = [{"digestID": 1, "random": salt("gb ns"),
                                          "elementIdentifier": "organ_donor", "elementValue": True}]
        return issued
    add("namespace-not-in-mso", "digest_missing",
        "A disclosed namespace \"org.iso.18013.5.1.GB\" (organ_donor) has no entry in valueDigests; "
        "re-signed.",
        Mdoc(issued=extra_ns(),
             vd_hook=lambda vd, b: {ns: v for ns, v in vd.items() if ns != "org.iso.18013.5.1.GB"}))

    # ---------------- duplicate_element ----------------
    def dup_family(ns, b):
        arr = ns[NS]
        arr.insert(1, arr[0])
        return ns
    add("same-item-twice", "duplicate_element",
        "The family_name IssuerSignedItemBytes is sent twice (same digestID 17, same "
        "elementIdentifier); both copies match the digest.", Mdoc(present_hook=dup_family))
    issued = base_items()
    issued[NS].insert(1, {"digestID": 57, "random": salt("family_name 2"),
                          "elementIdentifier": "family_name", "elementValue": "Jones"})
    add("same-element-two-digestids", "duplicate_element",
        "Two family_name items (\"Smith\" digestID 17, \"Jones\" digestID 57), both signed into the "
        "MSO and both digests match; the same elementIdentifier twice in one namespace.",
        Mdoc(issued=issued))

    # ---------------- issuing_country_mismatch ----------------
    fr = Mdoc()
    fr.item("issuing_country")["elementValue"] = "FR"
    add("issuing-country-fr", "issuing_country_mismatch",
        "issuing_country element \"FR\" (digest correct, MSO re-signed) while the DS certificate "
        "subject C=GB.", fr)

    # ---------------- device_auth_missing ----------------
    add("deviceauth-empty", "device_auth_missing",
        "deviceSigned.deviceAuth is the empty map {} (neither deviceSignature nor deviceMac).",
        Mdoc(device_signed_hook=lambda d, b: {**d, "deviceAuth": {}}))
    add("devicesigned-missing", "device_auth_missing",
        "The Document has no deviceSigned at all (18013-5 requires it; device authentication cannot "
        "happen).", Mdoc(doc_hook=drop("deviceSigned")))

    # ---------------- device_signature_invalid ----------------
    add("wrong-transcript", "device_signature_invalid",
        "Response identical to the own baseline, but the verifier's SessionTranscript uses a different "
        "nonce (pki/transcript_oid4vp_other_nonce.cbor).", Mdoc(), transcript=TR_OTHER)
    add("device-signed-other-doctype", "device_signature_invalid",
        f"DeviceAuthentication signed with docType \"{OTHER_DOCTYPE}\" instead of the Document's.",
        Mdoc(devauth_doc_type=OTHER_DOCTYPE))
    add("device-signed-by-other-key", "device_signature_invalid",
        "deviceSignature made with an attacker key, not the MSO deviceKey.",
        Mdoc(dev_sign_key=ATTACKER))

    def other_dab(dab, b):
        da = ["DeviceAuthentication", Raw(TRANSCRIPT_OTHER), DOCTYPE, tag24(b"\xa0")]
        return dumps(tag24(dumps(da)))
    add("device-payload-attached-different", "device_signature_invalid",
        "deviceSignature payload attached (not null): a DeviceAuthenticationBytes for a different "
        "nonce, and the signature is valid over that attached payload. The verifier must use its own "
        "DeviceAuthenticationBytes.", Mdoc(dev_payload=other_dab))
    add("device-signed-untagged", "device_signature_invalid",
        "deviceSignature over a Sig_structure whose payload is the DeviceAuthentication array bytes "
        "without the tag-24 wrapper.",
        Mdoc(dev_tbs_payload=lambda p, b: cbor2.loads(p).value))

    # ---------------- device_mac_invalid ----------------
    add("annexd-wrong-reader-key", "device_mac_invalid",
        "Annex D response with a different reader ephemeral private key in the manifest "
        "(pki/wrong_reader_key_d.hex).",
        annexd, transcript=AD_TR, trust=AD_TRUST, at=AD_AT, reader_key="pki/wrong_reader_key_d.hex")
    idx = annexd.index(mac_tag)
    add("annexd-mac-tag-flipped", "device_mac_invalid",
        "Annex D response with one bit flipped in the last byte of the DeviceMac tag.",
        flip_bit(annexd, idx + 31), transcript=AD_TR, trust=AD_TRUST, at=AD_AT, reader_key=AD_READER)
    add("mac-salt-untagged-transcript", "device_mac_invalid",
        "Own DeviceMac with EMacKey salt = SHA-256(SessionTranscript) instead of "
        "SHA-256(#6.24(SessionTranscript)).",
        Mdoc(device_auth="mac", emac_salt=lambda b: sha256(b.transcript)))
    add("mac-key-from-ephemeral-device-key", "device_mac_invalid",
        "Own DeviceMac with EMacKey derived from an mdoc ephemeral key instead of the MSO device key "
        "(spruceid/isomdl#125 bug class).",
        Mdoc(device_auth="mac", emac_ikm=lambda b: DEVICE_EPH.exchange(ec.ECDH(), b.reader_pub)))

    # ---------------- request_not_satisfied ----------------
    add("request-portrait", "request_not_satisfied",
        "Valid own baseline; the request also asks for portrait, which is neither disclosed nor "
        "issued.", Mdoc(), requested={NS: REQ_BASE[NS] + ["portrait"]})
    add("request-undisclosed-issue-date", "request_not_satisfied",
        "Valid own baseline; the request asks for issue_date, which is in the MSO (digestID 3) but "
        "not disclosed.", Mdoc(), requested={NS: ["family_name", "issue_date"]})
    add("request-other-namespace", "request_not_satisfied",
        "Valid own baseline; the request asks for org.iso.18013.5.1.aamva DHS_compliance (namespace "
        "absent).", Mdoc(), requested={NS: ["family_name"], "org.iso.18013.5.1.aamva": ["DHS_compliance"]})
    add("request-other-doctype", "request_not_satisfied",
        f"Valid own baseline; the requested doctype is \"{OTHER_DOCTYPE}\", for which no Document is "
        "returned. (Not doctype_mismatch: Document and MSO agree.)",
        Mdoc(), doctype=OTHER_DOCTYPE)


def main():
    shutil.rmtree(CASES, ignore_errors=True)
    CASES.mkdir()
    PKI.mkdir(exist_ok=True)
    for f in PKI.iterdir():
        f.unlink()

    annexd = (ANNEX_D / "device_response.cbor").read_bytes()
    st_bytes = (ANNEX_D / "session_transcript_bytes.cbor").read_bytes()
    st = cbor2.loads(st_bytes)
    assert isinstance(st, CBORTag) and st.tag == 24
    assert dumps(tag24(st.value)) == st_bytes

    pki = {
        "iaca.der": der(IACA),
        "ds.der": DS_DER,
        "iaca_other.der": der(OTHER_IACA),
        "iaca_expired.der": der(EXPIRED_IACA),
        "transcript_oid4vp.cbor": TRANSCRIPT,
        "transcript_oid4vp_other_nonce.cbor": TRANSCRIPT_OTHER,
        "reader_ephemeral_d.hex": scalar_hex(READER_EPH) + "\n",
        "wrong_reader_key_d.hex": scalar_hex(WRONG_READER) + "\n",
        "annexd_iaca.der": (ANNEX_D / "certs" / "iaca_cert.der").read_bytes(),
        "annexd_transcript.cbor": st.value,
        "annexd_e_reader_key_d.hex": (ANNEX_D / "keys" / "e_reader_key_d.hex").read_text().strip() + "\n",
    }

    mac_tag = annex_d_cases(annexd)
    own_cases(annexd, mac_tag)

    for fname, data in pki.items():
        (PKI / fname).write_bytes(data if isinstance(data, bytes) else data.encode())
    keys = {label: format(d, "064x") for label, d in sorted(KEY_LABELS.items())}
    (PKI / "keys.json").write_text(json.dumps({
        "note": "TEST ONLY. P-256 private scalars, d = SHA-256('vouch mdoc negative corpus key: ' + label) "
                "mod (n-1) + 1. 'device' is the MSO deviceKey, 'ds' the DS key, 'iaca' the IACA key.",
        "keys": keys,
        "oid4vp_handover": {"client_id": CLIENT_ID, "nonce": NONCE, "other_nonce": OTHER_NONCE,
                            "jwk_thumbprint": None, "response_uri": RESPONSE_URI},
    }, indent=2) + "\n")
    for fname, data in FILES.items():
        (HERE / fname).write_bytes(data)
    (HERE / "manifest.json").write_text(json.dumps(MANIFEST, indent=2, ensure_ascii=False) + "\n")
    codes = {}
    for m in MANIFEST:
        codes[m["code"]] = codes.get(m["code"], 0) + 1
    print(f"{len(MANIFEST)} cases")
    for c, n in codes.items():
        print(f"  {c}: {n}")


if __name__ == "__main__":
    main()
