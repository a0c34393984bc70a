#!/usr/bin/env python3
"""Generate the independent key-substitution forgery corpus.

Python 3.11 with `cryptography` and `cbor2` only (requirements.txt). Shares no code with the
Rust verifier (nor with selfcheck.py, nor with credentials/tests/mdoc_negative). Run from any
directory:

    python3 tests/forgery/gen.py

It rewrites tests/forgery/corpus/ and tests/forgery/manifest.json. Keys come from fixed labels
(SHA-256 of the label as Ed25519 seed / P-256 scalar), times are fixed and ECDSA is RFC 6979
deterministic (JWS, COSE and certificates alike), so a re-run writes byte-identical files.

Every forgery carries exactly one defect and is cryptographically sound under the key it names
(see selfcheck.py): a verifier that only asks "does the signature verify under the key this
credential points at?" accepts it. README.md lists each case and the rule that refuses it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import cbor2
from cbor2 import CBORTag
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"

AT = "2026-12-07T12:00:00Z"
VALID_FROM = "2026-06-01T00:00:00Z"
VALID_UNTIL = "2028-01-01T00:00:00Z"
AUD = "x509_san_dns:verifier.example"
CLIENT_ID = AUD
NONCE = "n-0S6_WzA2Mj"
RESPONSE_URI = "https://verifier.example/response"
PROVIDER_ISS = "https://issuer.provider.example"
VCT = "urn:vouch:uk:right-to-work:1"
V2 = "https://www.w3.org/ns/credentials/v2"
DOCTYPE = "org.iso.18013.5.1.mDL"
NS = "org.iso.18013.5.1"
OID_MDL_DS = x509.ObjectIdentifier("1.0.18013.5.1.2")
OID_MDL_READER = x509.ObjectIdentifier("1.0.18013.5.1.6")
UTC = dt.timezone.utc
N256 = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def parse_time(s: str) -> dt.datetime:
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def epoch(s: str) -> int:
    return int(parse_time(s).timestamp())


CERT_FROM = dt.datetime(2026, 1, 1, tzinfo=UTC)
CERT_UNTIL = dt.datetime(2028, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------
# encodings
# --------------------------------------------------------------------------

def sha256(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58(b: bytes) -> str:
    n = int.from_bytes(b, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(b) - len(b.lstrip(b"\0"))) + out


def jcs(v) -> str:
    """RFC 8785 for documents without floats (ASCII/BMP keys sort the same in UTF-16)."""
    def walk(x):
        assert not isinstance(x, float), "no floats in JCS input"
        if isinstance(x, dict):
            for k, y in x.items():
                walk(y)
        elif isinstance(x, list):
            for y in x:
                walk(y)
    walk(v)
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compact_json(v) -> bytes:
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode()


# --------------------------------------------------------------------------
# keys
# --------------------------------------------------------------------------

class Key:
    """A fixed key from a label: Ed25519 (seed = SHA-256) or P-256 (scalar from SHA-256)."""

    def __init__(self, label: str, kind: str):
        self.label, self.kind = label, kind
        seed = sha256(b"vouch forgery corpus key: " + label.encode())
        if kind == "ed25519":
            self.priv = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
        else:
            d = int.from_bytes(seed, "big") % (N256 - 1) + 1
            self.priv = ec.derive_private_key(d, ec.SECP256R1())
        self.pub = self.priv.public_key()

    # -- signatures --
    def sign(self, msg: bytes) -> bytes:
        if self.kind == "ed25519":
            return self.priv.sign(msg)
        r, s = decode_dss_signature(self.priv.sign(msg, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    @property
    def jose_alg(self) -> str:
        return "EdDSA" if self.kind == "ed25519" else "ES256"

    @property
    def cose_alg(self) -> int:
        return -8 if self.kind == "ed25519" else -7

    @property
    def suite(self) -> str:
        return "eddsa-jcs-2022" if self.kind == "ed25519" else "ecdsa-jcs-2019"

    # -- public forms --
    def jwk(self) -> dict:
        if self.kind == "ed25519":
            raw = self.pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return {"crv": "Ed25519", "kty": "OKP", "x": b64u(raw)}
        n = self.pub.public_numbers()
        return {"crv": "P-256", "kty": "EC", "x": b64u(n.x.to_bytes(32, "big")), "y": b64u(n.y.to_bytes(32, "big"))}

    def private_jwk(self) -> dict:
        j = self.jwk()
        if self.kind == "ed25519":
            raw = self.priv.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                          serialization.NoEncryption())
            j["d"] = b64u(raw)
        else:
            j["d"] = b64u(self.priv.private_numbers().private_value.to_bytes(32, "big"))
        return j

    def multikey(self) -> str:
        if self.kind == "ed25519":
            raw = self.pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return "z" + b58(b"\xed\x01" + raw)
        comp = self.pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
        return "z" + b58(b"\x80\x24" + comp)  # varint(0x1200)

    def did_key(self) -> str:
        return "did:key:" + self.multikey()

    def did_key_vm(self) -> str:
        return self.did_key() + "#" + self.multikey()

    def did_jwk(self) -> str:
        return "did:jwk:" + b64u(compact_json(self.jwk()))

    def did_jwk_vm(self) -> str:
        return self.did_jwk() + "#0"

    def cose_key(self) -> dict:
        n = self.pub.public_numbers()
        return {1: 2, -1: 1, -2: n.x.to_bytes(32, "big"), -3: n.y.to_bytes(32, "big")}


KEYS: dict[str, Key] = {}


def key(label: str, kind: str = "p256") -> Key:
    k = Key(label, kind)
    KEYS[label] = k
    return k


P_ED = key("provider/ed25519", "ed25519")
P_EC = key("provider/p256")
P_WEB_AUTH = key("provider/did-web-authentication")
P_ROOT = key("provider/root-ca")
P_LEAF = key("provider/sd-jwt-issuer")
P_LEAF_OLD = key("provider/sd-jwt-issuer-2025")
P_OTHER_LEAF = key("provider/other-tenant-issuer")
P_IACA = key("provider/iaca")
P_DS = key("provider/document-signer")
P_READER = key("provider/reader-auth")
A_ED = key("attacker/ed25519", "ed25519")
A_EC = key("attacker/p256")
A_ROOT = key("attacker/root-ca")
A_LOOKALIKE_ROOT = key("attacker/lookalike-root-ca")
A_INTER = key("attacker/intermediate-ca")
A_IACA = key("attacker/iaca")
A_LOOKALIKE_IACA = key("attacker/lookalike-iaca")
HOLDER = key("holder/p256")
VICTIM = key("victim/p256")

PROVIDER_DIDS = [P_ED.did_key(), P_EC.did_key()]


# --------------------------------------------------------------------------
# X.509
# --------------------------------------------------------------------------

def dn(*pairs) -> x509.Name:
    oids = {"C": NameOID.COUNTRY_NAME, "O": NameOID.ORGANIZATION_NAME, "CN": NameOID.COMMON_NAME}
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in pairs])


def serial(label: str) -> int:
    return int.from_bytes(sha256(b"vouch forgery corpus serial: " + label.encode())[:16], "big") >> 1 | 1 << 120


def ku(digital_signature=False, key_cert_sign=False, crl_sign=False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=key_cert_sign, crl_sign=crl_sign, encipher_only=False,
                         decipher_only=False)


def cert(label, subject, issuer_name, subject_key: Key, signer: Key, exts, *,
         nb=CERT_FROM, na=CERT_UNTIL, aki_from: Key | None = None) -> x509.Certificate:
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
         .public_key(subject_key.pub).serial_number(serial(label))
         .not_valid_before(nb).not_valid_after(na))
    b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.pub), False)
    aki = aki_from or signer
    if aki is not subject_key:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(aki.pub), False)
    for e, crit in exts:
        b = b.add_extension(e, crit)
    return b.sign(signer.priv, hashes.SHA256(), ecdsa_deterministic=True)


def root_ca(label, name, k: Key, path_len=None):
    return cert(label, name, name, k, k, [
        (x509.BasicConstraints(ca=True, path_length=path_len), True),
        (ku(key_cert_sign=True, crl_sign=True), True),
    ])


def der(c: x509.Certificate) -> bytes:
    return c.public_bytes(serialization.Encoding.DER)


# --- SD-JWT VC PKI ---
PROVIDER_ROOT_DN = dn(("C", "GB"), ("O", "Provider Ltd"), ("CN", "Vouch Test Provider Root"))
PROVIDER_LEAF_DN = dn(("C", "GB"), ("O", "Provider Ltd"), ("CN", "Provider Issuer"))
SAN_PROVIDER = x509.SubjectAlternativeName([x509.DNSName("issuer.provider.example")])


def sd_leaf(label, subject, issuer_name, k: Key, signer: Key, san=SAN_PROVIDER, **kw):
    return cert(label, subject, issuer_name, k, signer, [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (ku(digital_signature=True), True),
        (san, False),
    ], **kw)


PROVIDER_ROOT = root_ca("provider root", PROVIDER_ROOT_DN, P_ROOT)
PROVIDER_LEAF = sd_leaf("provider leaf", PROVIDER_LEAF_DN, PROVIDER_ROOT_DN, P_LEAF, P_ROOT)
PROVIDER_LEAF_EXPIRED = sd_leaf("provider leaf 2025", PROVIDER_LEAF_DN, PROVIDER_ROOT_DN, P_LEAF_OLD, P_ROOT,
                                nb=dt.datetime(2025, 1, 1, tzinfo=UTC), na=dt.datetime(2026, 9, 1, tzinfo=UTC))
OTHER_TENANT_LEAF = sd_leaf("other tenant leaf", dn(("C", "GB"), ("O", "Other Ltd"), ("CN", "Other Issuer")),
                            PROVIDER_ROOT_DN, P_OTHER_LEAF, P_ROOT,
                            san=x509.SubjectAlternativeName([x509.DNSName("other.example")]))
# The attacker's root: a byte-identical copy of the provider root's subject, the attacker's key.
ATTACKER_ROOT = root_ca("attacker root", PROVIDER_ROOT_DN, A_ROOT)
assert ATTACKER_ROOT.subject.public_bytes() == PROVIDER_ROOT.subject.public_bytes()
LOOKALIKE_ROOT_DN = dn(("C", "GB"), ("O", "Provider Ltd"), ("CN", "Vouch Test Provider Root 2"))
LOOKALIKE_ROOT = root_ca("attacker lookalike root", LOOKALIKE_ROOT_DN, A_LOOKALIKE_ROOT)
A_LEAF_UNDER_COPY = sd_leaf("attacker leaf under copied root", PROVIDER_LEAF_DN, PROVIDER_ROOT_DN, A_EC, A_ROOT)
# No CA certificate at all: the attacker's own key signs a leaf that names the provider root as
# its issuer, with the provider root's key identifier as AKI.
A_LEAF_DIRECT = sd_leaf("attacker leaf direct", PROVIDER_LEAF_DN, PROVIDER_ROOT_DN, A_EC, A_EC, aki_from=P_ROOT)
A_LEAF_SELF = cert("attacker self-signed leaf", PROVIDER_LEAF_DN, PROVIDER_LEAF_DN, A_EC, A_EC, [
    (x509.BasicConstraints(ca=False, path_length=None), True),
    (ku(digital_signature=True), True),
    (SAN_PROVIDER, False),
])
A_INTER_DN = dn(("C", "GB"), ("O", "Provider Ltd"), ("CN", "Provider Issuing CA"))
ATTACKER_INTER = cert("attacker intermediate", A_INTER_DN, PROVIDER_ROOT_DN, A_INTER, A_ROOT, [
    (x509.BasicConstraints(ca=True, path_length=0), True),
    (ku(key_cert_sign=True, crl_sign=True), True),
])
A_LEAF_UNDER_INTER = sd_leaf("attacker leaf under intermediate", PROVIDER_LEAF_DN, A_INTER_DN, A_EC, A_INTER)
A_LEAF_UNDER_LOOKALIKE = sd_leaf("attacker leaf under lookalike", PROVIDER_LEAF_DN, LOOKALIKE_ROOT_DN,
                                 A_EC, A_LOOKALIKE_ROOT)

# --- mdoc PKI (ISO 18013-5 Annex B) ---
PROVIDER_IACA_DN = dn(("C", "GB"), ("CN", "Provider IACA"))
PROVIDER_DS_DN = dn(("C", "GB"), ("CN", "Provider Document Signer"))
IAN = x509.IssuerAlternativeName([x509.UniformResourceIdentifier("https://provider.example/iaca")])
CRLDP = x509.CRLDistributionPoints([x509.DistributionPoint(
    full_name=[x509.UniformResourceIdentifier("https://provider.example/crl/iaca.crl")],
    relative_name=None, reasons=None, crl_issuer=None)])


def iaca(label, name, k: Key):
    return cert(label, name, name, k, k, [
        (x509.BasicConstraints(ca=True, path_length=0), True),
        (ku(key_cert_sign=True, crl_sign=True), True),
        (IAN, False),
        (CRLDP, False),
    ])


def ds(label, subject, issuer_name, k: Key, signer: Key, eku=(OID_MDL_DS,), **kw):
    exts = [(ku(digital_signature=True), True), (IAN, False), (CRLDP, False)]
    if eku is not None:
        exts.insert(0, (x509.ExtendedKeyUsage(list(eku)), True))
    return cert(label, subject, issuer_name, k, signer, exts, **kw)


PROVIDER_IACA = iaca("provider iaca", PROVIDER_IACA_DN, P_IACA)
PROVIDER_DS = ds("provider ds", PROVIDER_DS_DN, PROVIDER_IACA_DN, P_DS, P_IACA)
PROVIDER_NO_EKU = ds("provider cert without eku", dn(("C", "GB"), ("CN", "Provider Signing Service")),
                     PROVIDER_IACA_DN, P_READER, P_IACA, eku=None)
PROVIDER_READER = ds("provider reader cert", dn(("C", "GB"), ("CN", "Provider Reader")),
                     PROVIDER_IACA_DN, P_READER, P_IACA, eku=(OID_MDL_READER,))
ATTACKER_IACA = iaca("attacker iaca", PROVIDER_IACA_DN, A_IACA)
assert ATTACKER_IACA.subject.public_bytes() == PROVIDER_IACA.subject.public_bytes()
LOOKALIKE_IACA_DN = dn(("C", "GB"), ("CN", "Provider IACA 2"))
LOOKALIKE_IACA = iaca("attacker lookalike iaca", LOOKALIKE_IACA_DN, A_LOOKALIKE_IACA)
A_DS_UNDER_COPY = ds("attacker ds under copied iaca", PROVIDER_DS_DN, PROVIDER_IACA_DN, A_EC, A_IACA)
A_DS_SELF = cert("attacker self-signed ds", PROVIDER_DS_DN, PROVIDER_DS_DN, A_EC, A_EC, [
    (x509.ExtendedKeyUsage([OID_MDL_DS]), True), (ku(digital_signature=True), True), (IAN, False)])
A_DS_UNDER_LOOKALIKE = ds("attacker ds under lookalike iaca", PROVIDER_DS_DN, LOOKALIKE_IACA_DN, A_EC,
                          A_LOOKALIKE_IACA)

PKI = {
    "provider-root": PROVIDER_ROOT,
    "provider-sd-jwt-leaf": PROVIDER_LEAF,
    "provider-sd-jwt-leaf-expired": PROVIDER_LEAF_EXPIRED,
    "other-tenant-leaf": OTHER_TENANT_LEAF,
    "attacker-root-copied-name": ATTACKER_ROOT,
    "attacker-lookalike-root": LOOKALIKE_ROOT,
    "attacker-leaf-under-copied-root": A_LEAF_UNDER_COPY,
    "attacker-leaf-direct": A_LEAF_DIRECT,
    "attacker-leaf-self-signed": A_LEAF_SELF,
    "attacker-intermediate": ATTACKER_INTER,
    "attacker-leaf-under-intermediate": A_LEAF_UNDER_INTER,
    "attacker-leaf-under-lookalike": A_LEAF_UNDER_LOOKALIKE,
    "provider-iaca": PROVIDER_IACA,
    "provider-ds": PROVIDER_DS,
    "provider-cert-no-eku": PROVIDER_NO_EKU,
    "provider-reader-cert": PROVIDER_READER,
    "attacker-iaca-copied-name": ATTACKER_IACA,
    "attacker-lookalike-iaca": LOOKALIKE_IACA,
    "attacker-ds-under-copied-iaca": A_DS_UNDER_COPY,
    "attacker-ds-self-signed": A_DS_SELF,
    "attacker-ds-under-lookalike-iaca": A_DS_UNDER_LOOKALIKE,
}
PKI_NAME = {id(c): n for n, c in PKI.items()}


def pki_path(c: x509.Certificate) -> str:
    return f"corpus/pki/{PKI_NAME[id(c)]}.der"


# --------------------------------------------------------------------------
# did:web documents
# --------------------------------------------------------------------------

WEB_DID = "did:web:issuer.provider.example"
WEB_DOC = {
    "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
    "id": WEB_DID,
    "verificationMethod": [
        {"id": WEB_DID + "#key-1", "type": "Multikey", "controller": WEB_DID,
         "publicKeyMultibase": P_ED.multikey()},
        {"id": WEB_DID + "#auth-1", "type": "Multikey", "controller": WEB_DID,
         "publicKeyMultibase": P_WEB_AUTH.multikey()},
    ],
    "assertionMethod": [WEB_DID + "#key-1"],
    "authentication": [WEB_DID + "#key-1", WEB_DID + "#auth-1"],
}
# The same DID's document as the attacker arranged it: one assertion method controlled by another
# DID (e.g. a delegated signing service entry the attacker got listed).
WEB_DOC_FOREIGN = json.loads(json.dumps(WEB_DOC))
WEB_DOC_FOREIGN["verificationMethod"].append(
    {"id": WEB_DID + "#key-2", "type": "Multikey", "controller": A_EC.did_key(),
     "publicKeyMultibase": A_EC.multikey()})
WEB_DOC_FOREIGN["assertionMethod"].append(WEB_DID + "#key-2")


# --------------------------------------------------------------------------
# W3C: documents and securing mechanisms
# --------------------------------------------------------------------------

def credential(case_id: str, issuer, subject: str) -> dict:
    return {
        "@context": [V2],
        "id": "urn:uuid:" + str(uuid_of(case_id)),
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": VALID_FROM,
        "validUntil": VALID_UNTIL,
        "credentialSubject": {"id": subject},
    }


def uuid_of(label: str) -> str:
    h = bytearray(sha256(b"vouch forgery corpus id: " + label.encode())[:16])
    h[6] = h[6] & 0x0F | 0x80  # version 8 (custom)
    h[8] = h[8] & 0x3F | 0x80
    x = h.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def presentation(case_id: str, holder: str, creds: list) -> dict:
    return {
        "@context": [V2],
        "id": "urn:uuid:" + uuid_of(case_id),
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": creds,
    }


def di_sign(doc: dict, k: Key, vm: str, purpose: str, *, challenge=None, domain=None) -> dict:
    """VC Data Integrity 1.0 with eddsa-jcs-2022 / ecdsa-jcs-2019."""
    assert "proof" not in doc
    proof = {"type": "DataIntegrityProof", "cryptosuite": k.suite, "created": VALID_FROM,
             "verificationMethod": vm, "proofPurpose": purpose}
    if challenge is not None:
        proof["challenge"] = challenge
    if domain is not None:
        proof["domain"] = domain
    proof["@context"] = doc["@context"]
    hash_data = sha256(jcs(proof).encode()) + sha256(jcs(doc).encode())
    proof["proofValue"] = "z" + b58(k.sign(hash_data))
    return {**doc, "proof": proof}


def jws(header: dict, payload: bytes, k: Key) -> str:
    signing_input = b64u(compact_json(header)) + "." + b64u(payload)
    return signing_input + "." + b64u(k.sign(signing_input.encode()))


def vc_jwt(doc: dict, k: Key, kid: str | None, typ="vc+jwt") -> str:
    h = {"alg": k.jose_alg, "typ": typ}
    if kid is not None:
        h["kid"] = kid
    return jws(h, compact_json(doc), k)


def vc_cose(doc: dict, k: Key, kid: str | None, kind="vc") -> bytes:
    prot = {1: k.cose_alg, 3: f"application/{kind}"}
    if kid is not None:
        prot[4] = kid.encode()
    prot[16] = f"application/{kind}+cose"
    prot_b = cbor2.dumps(prot)
    payload = compact_json(doc)
    tbs = cbor2.dumps(["Signature1", prot_b, b"", payload])
    return cbor2.dumps(CBORTag(18, [prot_b, {}, payload, k.sign(tbs)]))


def envelope(media: str, data: str) -> dict:
    return {"@context": [V2], "id": f"data:{media},{data}", "type": "EnvelopedVerifiableCredential"}


# --------------------------------------------------------------------------
# SD-JWT VC
# --------------------------------------------------------------------------

CLAIMS = [("given_name", "Alice"), ("family_name", "Smith"), ("nationality", "GB")]


def disclosure(name: str, value) -> str:
    salt = b64u(sha256(b"vouch forgery corpus salt: " + name.encode())[:16])
    return b64u(compact_json([salt, name, value]))


def sd_digest(d: str) -> str:
    return b64u(sha256(d.encode("ascii")))


def sd_jwt_vc(*, signer: Key, x5c: list, iss=PROVIDER_ISS, cnf: Key = HOLDER, disclose=("given_name", "family_name", "nationality"),
              kb_signer: Key | None = HOLDER, kb_header_extra=None, tamper=None, kb_over=None) -> str:
    discs = {n: disclosure(n, v) for n, v in CLAIMS}
    payload = {
        "iss": iss,
        "vct": VCT,
        "iat": epoch(VALID_FROM),
        "exp": epoch(VALID_UNTIL),
        "cnf": {"jwk": cnf.jwk()},
        "_sd_alg": "sha-256",
        "_sd": sorted(sd_digest(d) for d in discs.values()),
    }
    if iss is None:
        del payload["iss"]
    header = {"alg": "ES256", "typ": "dc+sd-jwt", "x5c": [base64.b64encode(der(c)).decode() for c in x5c]}
    issuer_jwt = jws(header, compact_json(payload), signer)
    shown = [discs[n] for n in disclose]
    if tamper:
        shown = [tamper(n, d) for n, d in zip(disclose, shown)]
    presented = issuer_jwt + "~" + "".join(d + "~" for d in shown)
    if kb_signer is None:
        return presented
    hashed = kb_over if kb_over is not None else presented
    kb_header = {"alg": "ES256", "typ": "kb+jwt"}
    if kb_header_extra:
        kb_header.update(kb_header_extra)
    kb_payload = {"iat": epoch(AT), "aud": AUD, "nonce": NONCE, "sd_hash": b64u(sha256(hashed.encode("ascii")))}
    return presented + jws(kb_header, compact_json(kb_payload), kb_signer)


# --------------------------------------------------------------------------
# mdoc
# --------------------------------------------------------------------------

def session_transcript() -> bytes:
    info = cbor2.dumps([CLIENT_ID, NONCE, None, RESPONSE_URI])
    return cbor2.dumps([None, None, ["OpenID4VPHandover", sha256(info)]])


TRANSCRIPT = session_transcript()

ELEMENTS = [
    (0, "family_name", "Smith"),
    (1, "given_name", "Alice"),
    (2, "birth_date", CBORTag(1004, "1990-05-15")),
    (3, "document_number", "GB-RTW-000142"),
    (4, "issuing_country", "GB"),
]


def mdoc(*, ds_key: Key = P_DS, x5chain: list = None, device_key: Key = HOLDER, device_signer: Key | None = None,
         mso_doc_type=DOCTYPE, doc_type=DOCTYPE, change_after_signing=None) -> bytes:
    x5chain = x5chain if x5chain is not None else [PROVIDER_DS]
    items = []
    digests = {}
    for i, name, value in ELEMENTS:
        item = {"digestID": i, "random": sha256(b"vouch forgery corpus mdoc salt: " + name.encode()),
                "elementIdentifier": name, "elementValue": value}
        b = cbor2.dumps(CBORTag(24, cbor2.dumps(item)))
        digests[i] = sha256(b)
        if change_after_signing and change_after_signing[0] == name:
            item = {**item, "elementValue": change_after_signing[1]}
        items.append(CBORTag(24, cbor2.dumps(item)))
    mso = {
        "version": "1.0",
        "digestAlgorithm": "SHA-256",
        "valueDigests": {NS: digests},
        "deviceKeyInfo": {"deviceKey": device_key.cose_key()},
        "docType": mso_doc_type,
        "validityInfo": {"signed": CBORTag(0, VALID_FROM), "validFrom": CBORTag(0, VALID_FROM),
                         "validUntil": CBORTag(0, VALID_UNTIL)},
    }
    payload = cbor2.dumps(CBORTag(24, cbor2.dumps(mso)))
    prot = cbor2.dumps({1: -7})
    chain = der(x5chain[0]) if len(x5chain) == 1 else [der(c) for c in x5chain]
    sig = ds_key.sign(cbor2.dumps(["Signature1", prot, b"", payload]))
    issuer_auth = [prot, {33: chain}, payload, sig]

    dev_ns = CBORTag(24, cbor2.dumps({}))
    da = ["DeviceAuthentication", cbor2.loads(TRANSCRIPT), doc_type, dev_ns]
    da_bytes = cbor2.dumps(CBORTag(24, cbor2.dumps(da)))
    dprot = cbor2.dumps({1: -7})
    dsig = (device_signer or device_key).sign(cbor2.dumps(["Signature1", dprot, b"", da_bytes]))
    doc = {
        "docType": doc_type,
        "issuerSigned": {"nameSpaces": {NS: items}, "issuerAuth": issuer_auth},
        "deviceSigned": {"nameSpaces": dev_ns, "deviceAuth": {"deviceSignature": [dprot, {}, None, dsig]}},
    }
    return cbor2.dumps({"version": "1.0", "documents": [doc], "status": 0})


# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------

CASES: list[dict] = []
FILES: dict[str, bytes] = {}

R_DI_CONTROLLER = ("VC Data Integrity 1.0 §4.2 (retrieve verification method) with Controlled Identifiers 1.0 "
                   "§3.3: the verification method's controller must be the issuer (holder for a presentation); "
                   "a key of another DID does not speak for the issuer")
R_DI_RELATIONSHIP = ("VC Data Integrity 1.0 §4.2 / Controlled Identifiers 1.0 §3.3: the verification method must be "
                     "listed under the verification relationship of the proofPurpose (assertionMethod for a credential)")
R_DI_NOT_IN_DOC = ("Controlled Identifiers 1.0 §3.3 (retrieve verification method): a verification method that "
                   "the controller's document does not contain cannot be retrieved")
R_DIDKEY_FRAGMENT = ("did:key 0.9 §3.1.2 (create): the document's only method is #<multibase of the DID's own key>; "
                     "a fragment naming any other key is not a method of that DID")
R_DOC_CONTROLLER = ("Controlled Identifiers 1.0 §3.3 step 'controller': the method's controller must equal the "
                    "DID whose document lists it (and that DID must be the issuer)")
R_JOSE_KID = ("VC-JOSE-COSE 1.0 §3.3 (kid) with Controlled Identifiers 1.0 §3.3: a kid that is a DID URL must "
              "resolve to a verification method controlled by the issuer (holder), listed under assertionMethod "
              "(authentication)")
R_HOLDER = ("VC DM 2.0 §4.13.1 / VC Data Integrity 1.0 §4.2: a presentation's proof must be made with a "
            "verification method the holder controls, listed under authentication")
R_REGISTER = ("VC DM 2.0 §7.1 / Vouch trust framework: a verifier accepts a credential only from an issuer it "
              "trusts (manifest trust.provider_dids, the trust register); a valid signature by an unregistered DID "
              "proves only that DID signed")
R_EMBEDDED = ("VC DM 2.0 §7.1 (presentations): every credential in a presentation is verified on its own; a "
              "valid holder proof does not vouch for an embedded credential whose issuer did not sign it")


def add(case_id, fmt, kind, data, expect, rule, description, *, ext, signer: Key, did_web=None, **extra):
    fname = f"corpus/{fmt}/{case_id}.{ext}"
    if isinstance(data, (dict, list)):
        data = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()
    elif isinstance(data, str):
        data = data.encode()
    FILES[fname] = data
    case = {"id": case_id, "format": fmt, "kind": kind, "file": fname, "expect": expect, "rule": rule,
            "description": description, "did_web": did_web, "signed_by": signer.label}
    case.update(extra)
    CASES.append(case)


def di_cases():
    H = HOLDER.did_jwk()
    PED, PEC, AED, AEC = P_ED.did_key(), P_EC.did_key(), A_ED.did_key(), A_EC.did_key()
    c = lambda cid, iss, vm, k, **kw: di_sign(credential(cid, iss, kw.pop("subject", H)), k, vm, "assertionMethod")
    a = lambda *x, **kw: add(*x, ext="json", **kw)

    a("di-01-control-ed25519", "di", "credential", c("di-01", PED, P_ED.did_key_vm(), P_ED), "valid",
      "Positive control.", "Genuine eddsa-jcs-2022 credential: issuer = provider Ed25519 did:key, signed by it.",
      signer=P_ED)
    a("di-02-control-p256", "di", "credential", c("di-02", PEC, P_EC.did_key_vm(), P_EC), "valid",
      "Positive control.", "Genuine ecdsa-jcs-2019 credential: issuer = provider P-256 did:key, signed by it.",
      signer=P_EC)
    a("di-03-control-did-web", "di", "credential", c("di-03", WEB_DID, WEB_DID + "#key-1", P_ED), "valid",
      "Positive control.", "Genuine credential from the provider's did:web, method #key-1 (assertionMethod).",
      signer=P_ED, did_web={WEB_DID: WEB_DOC})
    a("di-04-vm-attacker-ed25519", "di", "credential", c("di-04", PED, A_ED.did_key_vm(), A_ED),
      "issuer_key_mismatch", R_DI_CONTROLLER,
      "issuer = provider Ed25519 did:key; verificationMethod = the attacker's own did:key method; signed by the "
      "attacker. The signature verifies under the key the proof names.", signer=A_ED)
    a("di-05-vm-attacker-p256", "di", "credential", c("di-05", PEC, A_EC.did_key_vm(), A_EC),
      "issuer_key_mismatch", R_DI_CONTROLLER,
      "issuer = provider P-256 did:key; verificationMethod = attacker P-256 did:key method (ecdsa-jcs-2019); "
      "signed by the attacker.", signer=A_EC)
    a("di-06-issuer-object", "di", "credential", c("di-06", {"id": PED}, A_ED.did_key_vm(), A_ED),
      "issuer_key_mismatch", R_DI_CONTROLLER,
      "issuer in object form {\"id\": provider did:key}; verificationMethod = attacker did:key; signed by the "
      "attacker.", signer=A_ED)
    a("di-07-vm-attacker-did-provider-fragment", "di", "credential",
      c("di-07", PED, AED + "#" + P_ED.multikey(), A_ED), "issuer_key_mismatch", R_DI_CONTROLLER,
      "verificationMethod = attacker's DID with the provider key's fragment (did:key:<attacker>#<provider "
      "multikey>); signed by the attacker, whose DID names his key. A verifier that compares fragments "
      "with the issuer's key is fooled.", signer=A_ED)
    a("di-08-vm-provider-did-attacker-fragment", "di", "credential",
      c("di-08", PED, PED + "#" + A_ED.multikey(), A_ED), "verification_method_error", R_DIDKEY_FRAGMENT,
      "verificationMethod = the provider's DID with the attacker key's fragment (did:key:<provider>#<attacker "
      "multikey>); signed by the attacker. A verifier that decodes the key from the fragment accepts it.",
      signer=A_ED)
    a("di-09-vm-attacker-did-jwk", "di", "credential", c("di-09", PEC, A_EC.did_jwk_vm(), A_EC),
      "issuer_key_mismatch", R_DI_CONTROLLER,
      "issuer = provider P-256 did:key; verificationMethod = attacker's did:jwk#0; signed by the attacker.",
      signer=A_EC)
    a("di-10-did-web-authentication-only", "di", "credential",
      c("di-10", WEB_DID, WEB_DID + "#auth-1", P_WEB_AUTH), "verification_method_error", R_DI_RELATIONSHIP,
      "issuer = provider did:web; verificationMethod #auth-1 is listed in the DID document only under "
      "authentication (a login key, e.g. stolen from a staff device) but the proof uses assertionMethod.",
      signer=P_WEB_AUTH, did_web={WEB_DID: WEB_DOC})
    a("di-11-did-web-method-not-listed", "di", "credential",
      c("di-11", WEB_DID, WEB_DID + "#key-9", A_ED), "verification_method_error", R_DI_NOT_IN_DOC,
      "issuer = provider did:web; verificationMethod #key-9 does not exist in the DID document; signed by "
      "the attacker (whose public key is only in keys.json).", signer=A_ED, did_web={WEB_DID: WEB_DOC})
    a("di-12-did-web-foreign-controller", "di", "credential",
      c("di-12", WEB_DID, WEB_DID + "#key-2", A_EC), "issuer_key_mismatch", R_DOC_CONTROLLER,
      "issuer = provider did:web; #key-2 is listed under assertionMethod but its controller is the attacker's "
      "did:key; signed by the attacker.", signer=A_EC, did_web={WEB_DID: WEB_DOC_FOREIGN})

    a("di-17-attacker-own-name", "di", "credential", c("di-17", AED, A_ED.did_key_vm(), A_ED), "unknown_anchor",
      R_REGISTER, "A self-consistent credential in the attacker's own name (issuer = verificationMethod's DID = "
      "attacker did:key): sound, but the issuer is not in the trust register.", signer=A_ED)

    # presentations: holder = did:jwk, proof purpose authentication, challenge = nonce, domain = client_id
    def vp(cid, holder, vm, k, creds):
        return di_sign(presentation(cid, holder, creds), k, vm, "authentication", challenge=NONCE, domain=CLIENT_ID)

    genuine = c("di-13-inner", PEC, P_EC.did_key_vm(), P_EC)
    a("di-13-vp-control", "di", "presentation", vp("di-13", H, HOLDER.did_jwk_vm(), HOLDER, [genuine]), "valid",
      "Positive control.", "Genuine presentation: holder did:jwk signs (authentication), embedding a genuine "
      "provider P-256 credential issued to the holder.", signer=HOLDER)
    victims = c("di-14-inner", PEC, P_EC.did_key_vm(), P_EC, subject=VICTIM.did_jwk())
    a("di-14-vp-holder-victim", "di", "presentation",
      vp("di-14", VICTIM.did_jwk(), A_EC.did_key_vm(), A_EC, [victims]), "issuer_key_mismatch", R_HOLDER,
      "holder = the victim's did:jwk; the presentation proof is by the attacker's did:key; embeds the victim's "
      "genuine credential (replayed).", signer=A_EC)
    forged = c("di-15-inner", PED, A_ED.did_key_vm(), A_ED)
    a("di-15-vp-embedded-forgery", "di", "presentation",
      vp("di-15", H, HOLDER.did_jwk_vm(), HOLDER, [forged]), "issuer_key_mismatch", R_EMBEDDED,
      "A genuine holder presentation that embeds an attacker-signed credential in the provider's name "
      "(issuer = provider did:key, verificationMethod = attacker did:key).", signer=HOLDER,
      embedded_signed_by=[A_ED.label])
    a("di-16-vp-holder-victim-ed25519", "di", "presentation",
      vp("di-16", VICTIM.did_jwk(), A_ED.did_key_vm(), A_ED, [victims]), "issuer_key_mismatch", R_HOLDER,
      "Ed25519 variant of di-14: holder = victim, eddsa-jcs-2022 proof by the attacker's Ed25519 did:key.",
      signer=A_ED)


# Proof sets and chains (VC Data Integrity 1.0 §2.1.1, §2.1.2, §4.3): kept apart from CASES
# (selfcheck.py checks single-proof cases), in the manifest's "proof_sets".
PROOF_SETS: list = []
ENDORSER = key("endorser/p256")


def di_proof(doc: dict, k: Key, vm: str, purpose: str, *, pid=None, previous=None, over=None) -> dict:
    """One proof over `doc` (no `proof` member); a chain link hashes `over` (the document with
    `proof` set to the list of the proofs it names) instead."""
    proof = {"type": "DataIntegrityProof", "cryptosuite": k.suite, "created": VALID_FROM,
             "verificationMethod": vm, "proofPurpose": purpose}
    if pid is not None:
        proof["id"] = pid
    if previous is not None:
        proof["previousProof"] = previous
    proof["@context"] = doc["@context"]
    hashed = over if over is not None else doc
    proof["proofValue"] = "z" + b58(k.sign(sha256(jcs(proof).encode()) + sha256(jcs(hashed).encode())))
    return proof


def proof_set_cases():
    H = HOLDER.did_jwk()
    PED = P_ED.did_key()

    def put(case_id, doc, expect, description, signer):
        fname = f"corpus/di-sets/{case_id}.json"
        FILES[fname] = (json.dumps(doc, indent=2) + "\n").encode()
        PROOF_SETS.append({"id": case_id, "format": "di", "kind": "credential", "file": fname,
                           "expect": expect, "description": description, "signed_by": signer.label})

    doc = credential("set-01", PED, H)
    p1 = di_proof(doc, P_ED, P_ED.did_key_vm(), "assertionMethod", pid="urn:uuid:set-01-issuer")
    e1 = di_proof(doc, ENDORSER, ENDORSER.did_key_vm(), "assertionMethod", pid="urn:uuid:set-01-endorser")
    put("set-01-control-issuer-and-endorser", {**doc, "proof": [p1, e1]}, "valid",
        "Proof set: the issuer's proof and an endorser's, each over the document alone.", P_ED)

    doc = credential("set-02", PED, H)
    p1 = di_proof(doc, P_ED, P_ED.did_key_vm(), "assertionMethod", pid="urn:uuid:set-02-issuer")
    e1 = di_proof(doc, ENDORSER, ENDORSER.did_key_vm(), "assertionMethod", pid="urn:uuid:set-02-endorser",
                  previous="urn:uuid:set-02-issuer", over={**doc, "proof": [p1]})
    put("set-02-control-chain", {**doc, "proof": [p1, e1]}, "valid",
        "Proof chain: the endorser's proof names the issuer's as previousProof and secures it.", P_ED)

    doc = credential("set-03", PED, H)
    a1 = di_proof(doc, A_ED, A_ED.did_key_vm(), "assertionMethod")
    e1 = di_proof(doc, ENDORSER, ENDORSER.did_key_vm(), "assertionMethod")
    put("set-03-no-proof-by-the-issuer", {**doc, "proof": [a1, e1]}, "issuer_key_mismatch",
        "issuer = provider did:key; two sound proofs, by the attacker's and an endorser's own keys, "
        "none by a key of the issuer.", A_ED)

    doc = credential("set-04", PED, H)
    p1 = di_proof(doc, P_ED, P_ED.did_key_vm(), "assertionMethod")
    other = credential("set-04-other", PED, VICTIM.did_jwk())
    e1 = di_proof(other, ENDORSER, ENDORSER.did_key_vm(), "assertionMethod")
    put("set-04-endorsement-over-another-document", {**doc, "proof": [p1, e1]}, "signature_invalid",
        "The issuer's proof is genuine; the second proof of the set was made over another document.",
        ENDORSER)

    doc = credential("set-05", PED, H)
    p1 = di_proof(doc, P_ED, P_ED.did_key_vm(), "assertionMethod", pid="urn:uuid:set-05-issuer")
    e1 = di_proof(doc, ENDORSER, ENDORSER.did_key_vm(), "assertionMethod", previous="urn:uuid:set-05-gone",
                  over={**doc, "proof": []})
    put("set-05-chain-names-a-missing-proof", {**doc, "proof": [p1, e1]}, "malformed_proof",
        "A chain link names a previousProof that is not in the set.", ENDORSER)

    doc = credential("set-06", PED, H)
    p1 = di_proof(doc, P_ED, P_ED.did_key_vm(), "assertionMethod", pid="urn:uuid:set-06-issuer")
    e1 = di_proof(doc, ENDORSER, ENDORSER.did_key_vm(), "assertionMethod", previous="urn:uuid:set-06-issuer")
    put("set-06-chain-link-not-over-its-previous", {**doc, "proof": [p1, e1]}, "signature_invalid",
        "A chain link names the issuer's proof as previousProof but was signed over the document alone "
        "(it does not secure the proof it claims to follow).", ENDORSER)


# VC Data Model 1.1 (verified, never issued): the JWT encoding of §6.3.1 and Data Integrity
# on a 1.1 document, in the manifest's "vc_v11" (selfcheck.py checks the VC 2.0 cases).
VC_V11: list = []
V1 = "https://www.w3.org/2018/credentials/v1"
DI_V2 = "https://w3id.org/security/data-integrity/v2"


def v11_cases():
    H = HOLDER.did_jwk()
    PEC = P_EC.did_key()

    def put(case_id, kind, data, expect, description, signer, ext="txt"):
        fname = f"corpus/vc-v11/{case_id}.{ext}"
        FILES[fname] = (json.dumps(data, indent=2) + "\n").encode() if isinstance(data, dict) else data.encode()
        VC_V11.append({"id": case_id, "format": "vc-v11", "kind": kind, "file": fname, "expect": expect,
                       "description": description, "signed_by": signer.label})

    nbf, exp = epoch(VALID_FROM), epoch(VALID_UNTIL)

    def vc_payload(cid, iss, **over):
        p = {"iss": iss, "sub": H, "nbf": nbf, "exp": exp, "jti": "urn:uuid:" + uuid_of(cid),
             "vc": {"@context": [V1], "type": ["VerifiableCredential"],
                    "credentialSubject": {"given_name": "Ada", "family_name": "Lovelace"}}}
        p.update(over)
        return p

    def jwt(payload, k, kid, typ="JWT"):
        h = {"alg": k.jose_alg, "kid": kid}
        if typ is not None:
            h["typ"] = typ
        return jws(h, compact_json(payload), k)

    good = jwt(vc_payload("v11-01", PEC), P_EC, P_EC.did_key_vm())
    put("v11-01-jwt-control", "credential", good, "valid",
        "A VC-JWT 1.1 (vc claim; iss, sub, nbf, exp, jti) by the provider's P-256 did:key.", P_EC)
    put("v11-02-jwt-iss-provider-kid-attacker", "credential",
        jwt(vc_payload("v11-02", PEC), A_EC, A_EC.did_key_vm()), "issuer_key_mismatch",
        "iss = the provider's did:key; kid = the attacker's did:key method; signed by the attacker.", A_EC)
    put("v11-03-jwt-expired", "credential",
        jwt(vc_payload("v11-03", PEC, exp=epoch("2026-01-01T00:00:00Z")), P_EC, P_EC.did_key_vm()),
        "credential_expired", "Genuine, but exp (expirationDate) is before the verification time.", P_EC)
    no_date = vc_payload("v11-04", PEC)
    del no_date["nbf"]
    put("v11-04-jwt-no-issuance-date", "credential", jwt(no_date, P_EC, P_EC.did_key_vm()), "invalid_date",
        "Neither nbf nor vc.issuanceDate: VC 1.1 requires issuanceDate.", P_EC)
    put("v11-05-jwt-typed-vc+jwt", "credential",
        jwt(vc_payload("v11-05", PEC), P_EC, P_EC.did_key_vm(), typ="vc+jwt"), "bad_media_type",
        "A 1.1 vc claim under typ vc+jwt (the VC 2.0 media type): neither encoding's rules hold.", P_EC)
    v2_in_claim = vc_payload("v11-06", PEC)
    v2_in_claim["vc"]["@context"] = [V2]
    put("v11-06-jwt-v2-document-in-vc-claim", "credential", jwt(v2_in_claim, P_EC, P_EC.did_key_vm()),
        "invalid_context", "A VC 2.0 document inside a 1.1 vc claim (2.0 is secured as vc+jwt).", P_EC)

    doc = {"@context": [V1, DI_V2], "id": "urn:uuid:" + uuid_of("v11-07"), "type": ["VerifiableCredential"],
           "issuer": P_ED.did_key(), "issuanceDate": VALID_FROM, "expirationDate": VALID_UNTIL,
           "credentialSubject": {"id": H, "given_name": "Ada"}}
    put("v11-07-di-control", "credential", di_sign(doc, P_ED, P_ED.did_key_vm(), "assertionMethod"), "valid",
        "A VC 1.1 document with an eddsa-jcs-2022 Data Integrity proof by the provider.", P_ED, ext="json")
    doc = {**doc, "id": "urn:uuid:" + uuid_of("v11-08"), "issuer": P_ED.did_key()}
    put("v11-08-di-attacker-method", "credential", di_sign(doc, A_ED, A_ED.did_key_vm(), "assertionMethod"),
        "issuer_key_mismatch", "A VC 1.1 document naming the provider, proof by the attacker's did:key.",
        A_ED, ext="json")

    vp = {"iss": H, "aud": AUD, "nonce": NONCE, "jti": "urn:uuid:" + uuid_of("v11-09"),
          "vp": {"@context": [V1], "type": ["VerifiablePresentation"], "verifiableCredential": [good]}}
    put("v11-09-vp-jwt-control", "presentation", jwt(vp, HOLDER, HOLDER.did_jwk_vm()), "valid",
        "A VP-JWT 1.1 (vp claim, iss = holder did:jwk, aud, nonce) holding v11-01.", HOLDER)
    put("v11-10-vp-jwt-holder-victim", "presentation",
        jwt({**vp, "iss": VICTIM.did_jwk()}, A_EC, A_EC.did_key_vm()), "issuer_key_mismatch",
        "iss = the victim's did:jwk; signed by the attacker's did:key (kid names it).", A_EC)


def jose_cose_cases(fmt: str):
    """vc-jwt and vc-cose share their case list."""
    jwt = fmt == "vc-jwt"
    p = "jwt" if jwt else "cose"
    H = HOLDER.did_jwk()
    PED, PEC = P_ED.did_key(), P_EC.did_key()

    def sec(doc, k, kid, kind="vc"):
        return vc_jwt(doc, k, kid, typ=f"{kind}+jwt") if jwt else vc_cose(doc, k, kid, kind)

    def a(cid, kind, data, expect, rule, desc, **kw):
        add(f"{p}-{cid}", fmt, kind, data, expect, rule, desc, ext="txt" if jwt else "cbor", **kw)

    def cred(cid, iss, subject=H):
        return credential(f"{p}-{cid}", iss, subject)

    a("01-control-ed25519", "credential", sec(cred("01", PED), P_ED, P_ED.did_key_vm()), "valid",
      "Positive control.", "Genuine: issuer = provider Ed25519 did:key, kid = its absolute method URL.", signer=P_ED)
    a("02-control-p256-relative-kid", "credential", sec(cred("02", PEC), P_EC, "#" + P_EC.multikey()), "valid",
      "Positive control.", "Genuine: issuer = provider P-256 did:key, kid = '#<multikey>' relative to the issuer.",
      signer=P_EC)
    a("03-kid-attacker-vm", "credential", sec(cred("03", PED), A_ED, A_ED.did_key_vm()), "issuer_key_mismatch",
      R_JOSE_KID, "issuer = provider did:key; kid = the attacker's absolute did:key DID URL; signed by the attacker.",
      signer=A_ED)
    a("04-kid-attacker-did", "credential", sec(cred("04", PEC), A_EC, A_EC.did_key()), "issuer_key_mismatch",
      R_JOSE_KID, "issuer = provider P-256 did:key; kid = the attacker's DID without a fragment; signed by the "
      "attacker.", signer=A_EC)
    a("05-kid-attacker-did-jwk", "credential", sec(cred("05", PEC), A_EC, A_EC.did_jwk_vm()), "issuer_key_mismatch",
      R_JOSE_KID, "issuer = provider P-256 did:key; kid = the attacker's did:jwk#0; signed by the attacker.",
      signer=A_EC)
    a("06-issuer-object", "credential", sec(cred("06", {"id": PED}), A_ED, A_ED.did_key_vm()),
      "issuer_key_mismatch", R_JOSE_KID,
      "issuer = {\"id\": provider did:key}; kid = attacker did:key method; signed by the attacker.", signer=A_ED)
    a("07-kid-relative-attacker-fragment", "credential", sec(cred("07", PED), A_ED, "#" + A_ED.multikey()),
      "verification_method_error", R_DIDKEY_FRAGMENT,
      "issuer = provider did:key; kid = '#<attacker multikey>' (so the method URL is did:key:<provider>#<attacker "
      "multikey>); signed by the attacker. A verifier that decodes the key from the fragment accepts it.",
      signer=A_ED)
    a("08-did-web-authentication-only", "credential",
      sec(cred("08", WEB_DID), P_WEB_AUTH, WEB_DID + "#auth-1"), "verification_method_error", R_DI_RELATIONSHIP,
      "issuer = provider did:web; kid #auth-1 is listed only under authentication, used to sign a credential.",
      signer=P_WEB_AUTH, did_web={WEB_DID: WEB_DOC})
    a("09-did-web-foreign-controller", "credential",
      sec(cred("09", WEB_DID), A_EC, WEB_DID + "#key-2"), "issuer_key_mismatch", R_DOC_CONTROLLER,
      "issuer = provider did:web; kid #key-2 is under assertionMethod but controlled by the attacker's did:key.",
      signer=A_EC, did_web={WEB_DID: WEB_DOC_FOREIGN})

    a("13-attacker-own-name", "credential", sec(cred("13", A_EC.did_key()), A_EC, A_EC.did_key_vm()),
      "unknown_anchor", R_REGISTER, "A self-consistent credential in the attacker's own name (issuer and kid = "
      "attacker did:key): sound, but the issuer is not in the trust register.", signer=A_EC)

    media = "application/vc+jwt" if jwt else "application/vc+cose;base64"

    def env(secured):
        return envelope(media, secured if jwt else base64.b64encode(secured).decode())

    def vp(cid, holder, k, kid, creds):
        return sec(presentation(f"{p}-{cid}", holder, creds), k, kid, kind="vp")

    genuine = sec(cred("10-inner", PEC), P_EC, P_EC.did_key_vm())
    a("10-vp-control", "presentation", vp("10", H, HOLDER, HOLDER.did_jwk_vm(), [env(genuine)]), "valid",
      "Positive control.", f"Genuine vp+{p}: holder did:jwk signs, embedding a genuine provider credential.",
      signer=HOLDER)
    victims = sec(cred("11-inner", PEC, subject=VICTIM.did_jwk()), P_EC, P_EC.did_key_vm())
    a("11-vp-holder-victim", "presentation",
      vp("11", VICTIM.did_jwk(), A_EC, A_EC.did_key_vm(), [env(victims)]), "issuer_key_mismatch", R_HOLDER,
      f"vp+{p} with holder = victim's did:jwk, kid = the attacker's did:key method, embedding the victim's "
      "genuine credential.", signer=A_EC)
    forged = sec(cred("12-inner", PED), A_ED, A_ED.did_key_vm())
    a("12-vp-embedded-forgery", "presentation", vp("12", H, HOLDER, HOLDER.did_jwk_vm(), [env(forged)]),
      "issuer_key_mismatch", R_EMBEDDED,
      f"Genuine holder vp+{p} embedding an attacker-signed credential in the provider's name (kid = attacker "
      "did:key).", signer=HOLDER, embedded_signed_by=[A_ED.label])


def sd_cases():
    R_CHAIN = ("RFC 9901 / SD-JWT VC §3.5 (x5c) with RFC 5280 §6.1: the x5c chain must validate to a trust anchor; "
               "a certificate whose issuer name equals an anchor's subject but whose signature does not verify "
               "under the anchor's key is not chained to it (names are not keys)")
    R_ROOT = ("RFC 5280 §6.1 / SD-JWT VC §3.5: a self-signed certificate in x5c that is not a configured trust "
              "anchor is untrusted, whatever its subject")
    R_ANCHOR = ("RFC 5280 §6.1 / SD-JWT VC §3.5: the chain must end at a configured trust anchor; a root with a "
                "similar name is another root")
    R_COPY = ("RFC 5280 §6.1 / SD-JWT VC §3.5: a trust anchor is a configured key, not a name; a certificate in "
              "x5c that carries the anchor's subject but is not signed by the anchor's key (here a self-signed copy) "
              "does not chain to it")
    R_ISS = ("draft-ietf-oauth-sd-jwt-vc §3.5: with x5c, an https iss must match a dNSName SAN of the leaf "
             "certificate")
    R_SIG = "RFC 9901 §7.1 step 3 / RFC 7515 §5.2: the issuer-signed JWT must verify under the x5c leaf's public key"
    R_KB = ("RFC 9901 §7.3 (key binding): the KB-JWT must verify under the key in the issuer-signed cnf, not a key "
            "the presentation supplies")
    R_SDHASH = ("RFC 9901 §7.3 step 5: sd_hash must be the hash of the presentation the KB-JWT travels with "
                "(issuer JWT and the disclosures actually sent)")
    R_EXP = "RFC 5280 §6.1.3 (a)(2): every certificate in the path must be valid at the verification time"
    R_DIGEST = "RFC 9901 §7.1 step 4: every disclosure's digest must appear in the issuer-signed payload"

    def a(cid, data, expect, rule, desc, **kw):
        add(f"sd-{cid}", "sd-jwt-vc", "credential", data, expect, rule, desc, ext="txt", **kw)

    a("01-control", sd_jwt_vc(signer=P_LEAF, x5c=[PROVIDER_LEAF]), "valid", "Positive control.",
      "Genuine: x5c [provider leaf] under the provider root, all three claims disclosed, KB-JWT by the holder.",
      signer=P_LEAF, x5c_issuer=pki_path(PROVIDER_ROOT))
    a("02-control-partial", sd_jwt_vc(signer=P_LEAF, x5c=[PROVIDER_LEAF], disclose=("nationality",)), "valid",
      "Positive control.", "Genuine, only nationality disclosed.", signer=P_LEAF,
      x5c_issuer=pki_path(PROVIDER_ROOT))
    a("03-leaf-under-copied-root", sd_jwt_vc(signer=A_EC, x5c=[A_LEAF_UNDER_COPY]), "chain_invalid", R_CHAIN,
      "x5c [leaf] where the leaf (provider's names and SAN, attacker key) was issued by the attacker's root whose "
      "subject is a byte-identical copy of the provider root's; the root is not included.",
      signer=A_EC, x5c_issuer=pki_path(ATTACKER_ROOT))
    a("04-copied-root-included", sd_jwt_vc(signer=A_EC, x5c=[A_LEAF_UNDER_COPY, ATTACKER_ROOT]),
      "chain_invalid", R_COPY,
      "As sd-03 but x5c also carries the attacker's copied-name root: a verifier that matches the last "
      "certificate to an anchor by subject name accepts.", signer=A_EC)
    a("05-leaf-direct-provider-issuer-dn", sd_jwt_vc(signer=A_EC, x5c=[A_LEAF_DIRECT]), "chain_invalid", R_CHAIN,
      "x5c [leaf] signed directly by the attacker's leaf key (no CA certificate exists), issuer DN = provider root "
      "subject and AKI = the provider root's key identifier.", signer=A_EC, x5c_issuer="self-key")
    a("06-self-signed-leaf", sd_jwt_vc(signer=A_EC, x5c=[A_LEAF_SELF]), "untrusted_root", R_ROOT,
      "x5c [self-signed leaf] with the provider leaf's subject and SAN issuer.provider.example.", signer=A_EC)
    a("07-intermediate-under-copied-root", sd_jwt_vc(signer=A_EC, x5c=[A_LEAF_UNDER_INTER, ATTACKER_INTER]),
      "chain_invalid", R_CHAIN,
      "x5c [leaf, attacker intermediate 'Provider Issuing CA'], the intermediate issued by the attacker's "
      "copied-name root (not included).", signer=A_EC, x5c_issuer=pki_path(ATTACKER_ROOT))
    a("08-lookalike-root", sd_jwt_vc(signer=A_EC, x5c=[A_LEAF_UNDER_LOOKALIKE]), "untrusted_root", R_ANCHOR,
      "x5c [leaf] issued by the attacker's own root 'Vouch Test Provider Root 2' (a lookalike, not a copy).",
      signer=A_EC, x5c_issuer=pki_path(LOOKALIKE_ROOT))
    a("09-other-tenant-claims-provider-iss", sd_jwt_vc(signer=P_OTHER_LEAF, x5c=[OTHER_TENANT_LEAF]),
      "iss_mismatch", R_ISS,
      "Another tenant certified under the same provider root (leaf SAN other.example) issues with iss = "
      "https://issuer.provider.example.", signer=P_OTHER_LEAF, x5c_issuer=pki_path(PROVIDER_ROOT))
    a("17-other-tenant-own-iss", sd_jwt_vc(signer=P_OTHER_LEAF, x5c=[OTHER_TENANT_LEAF], iss="https://other.example"),
      "iss_not_registered", "SD-JWT VC: with x5c, the chain proves the key belongs to the entry whose root it "
      "validates to, and iss must be an issuer identifier that entry registered.",
      "Another tenant's leaf under the provider root (SAN other.example) issues with its own iss "
      "https://other.example: SAN and iss agree and the chain validates, but the register entry of that root "
      "registered only https://issuer.provider.example; a verifier that judges by the root alone shows "
      "other.example's credential as the provider's.", signer=P_OTHER_LEAF, x5c_issuer=pki_path(PROVIDER_ROOT))
    a("18-other-tenant-no-iss", sd_jwt_vc(signer=P_OTHER_LEAF, x5c=[OTHER_TENANT_LEAF], iss=None),
      "iss_not_registered", "SD-JWT VC: with x5c, the chain proves the key belongs to the entry whose root it "
      "validates to, and iss must be an issuer identifier that entry registered.",
      "As sd-17, but the other tenant leaves iss out: with no iss to compare, a verifier that checks iss "
      "only when present judges the credential as the provider's.", signer=P_OTHER_LEAF,
      x5c_issuer=pki_path(PROVIDER_ROOT))
    a("10-iss-other", sd_jwt_vc(signer=P_LEAF, x5c=[PROVIDER_LEAF], iss="https://other.example"), "iss_mismatch",
      R_ISS, "Provider leaf (SAN issuer.provider.example) with iss = https://other.example.", signer=P_LEAF,
      x5c_issuer=pki_path(PROVIDER_ROOT))
    a("11-genuine-leaf-attacker-signature", sd_jwt_vc(signer=A_EC, x5c=[PROVIDER_LEAF]), "signature_invalid",
      R_SIG, "x5c [genuine provider leaf] but the issuer JWT is signed by the attacker's key (a verifier that "
      "takes the key from a jwk/kid or skips the leaf check accepts).", signer=A_EC,
      x5c_issuer=pki_path(PROVIDER_ROOT))
    a("12-kb-by-attacker", sd_jwt_vc(signer=P_LEAF, x5c=[PROVIDER_LEAF], kb_signer=A_EC), "key_binding_invalid",
      R_KB, "Genuine credential (cnf = holder); the KB-JWT is signed by the attacker.", signer=P_LEAF,
      kb_signed_by=A_EC.label, x5c_issuer=pki_path(PROVIDER_ROOT))
    a("13-kb-header-jwk-attacker", sd_jwt_vc(signer=P_LEAF, x5c=[PROVIDER_LEAF], kb_signer=A_EC,
                                             kb_header_extra={"jwk": A_EC.jwk()}),
      "key_binding_invalid", R_KB,
      "Genuine credential (cnf = holder); the KB-JWT header carries the attacker's jwk and is signed with it: a "
      "verifier that uses the KB-JWT's own key accepts.", signer=P_LEAF, kb_signed_by=A_EC.label,
      x5c_issuer=pki_path(PROVIDER_ROOT))
    full = sd_jwt_vc(signer=P_LEAF, x5c=[PROVIDER_LEAF], kb_signer=None, disclose=("nationality",))
    a("14-kb-sd-hash-other-presentation",
      sd_jwt_vc(signer=P_LEAF, x5c=[PROVIDER_LEAF], kb_over=full), "key_binding_invalid", R_SDHASH,
      "A holder KB-JWT made for a presentation disclosing only nationality, replayed on one disclosing all "
      "three claims (sd_hash does not match).", signer=P_LEAF, kb_signed_by=HOLDER.label,
      x5c_issuer=pki_path(PROVIDER_ROOT))
    a("15-expired-leaf", sd_jwt_vc(signer=P_LEAF_OLD, x5c=[PROVIDER_LEAF_EXPIRED]), "expired", R_EXP,
      "x5c [provider leaf valid 2025-01-01..2026-09-01] (expired at the verification time); otherwise genuine.",
      signer=P_LEAF_OLD, x5c_issuer=pki_path(PROVIDER_ROOT))

    def change(n, d):
        return disclosure("nationality", "FR") if n == "nationality" else d
    a("16-disclosure-substituted", sd_jwt_vc(signer=P_LEAF, x5c=[PROVIDER_LEAF], tamper=change),
      "digest_mismatch", R_DIGEST,
      "Genuine credential; the holder sends a nationality disclosure with value FR whose digest is not in _sd "
      "(KB-JWT signed by the holder over it).", signer=P_LEAF, x5c_issuer=pki_path(PROVIDER_ROOT))


def mdoc_cases():
    R_CHAIN = ("ISO/IEC 18013-5 §9.3.3 with Annex B / RFC 5280 §6.1: the DS certificate must validate to a trusted "
               "IACA; an issuer name equal to the IACA's subject is not a signature by the IACA key")
    R_ROOT = ("ISO/IEC 18013-5 §9.3.3: the IACA is a configured trust anchor (key), not a name; a self-signed "
              "certificate in x5chain that is not that anchor is untrusted")
    R_ANCHOR = ("ISO/IEC 18013-5 §9.3.3: the DS certificate must chain to a configured IACA; an IACA with a "
                "similar name is another IACA")
    R_COPY = ("ISO/IEC 18013-5 §9.3.3 / RFC 5280 §6.1: the IACA is a configured key, not a name; a certificate in "
              "x5chain with the IACA's subject that the IACA key did not sign does not chain to it")
    R_SIG = "ISO/IEC 18013-5 §9.1.2.4 / §9.3.1: issuerAuth must verify under the DS certificate's public key"
    R_DEV = ("ISO/IEC 18013-5 §9.1.3.6 / §9.3.1: DeviceSignature must verify under MSO deviceKeyInfo.deviceKey over "
             "DeviceAuthenticationBytes for this SessionTranscript")
    R_DIG = "ISO/IEC 18013-5 §9.3.1 step 3: each IssuerSignedItemBytes digest must equal the MSO valueDigests entry"
    R_DT = "ISO/IEC 18013-5 §9.3.1 step 5: the MSO docType must equal the DocType of the document"
    R_EKU = ("ISO/IEC 18013-5 Annex B.1.4 (Document Signer certificate): extendedKeyUsage 1.0.18013.5.1.2 (mdlDS) "
             "is required")

    def a(cid, data, expect, rule, desc, **kw):
        add(f"mdoc-{cid}", "mdoc", "presentation", data, expect, rule, desc, ext="cbor",
            transcript="corpus/mdoc/session-transcript.cbor", **kw)

    a("01-control", mdoc(), "valid", "Positive control.",
      "Genuine DeviceResponse: provider DS under the provider IACA signs the MSO; holder device signature over the "
      "OpenID4VPHandover SessionTranscript.", signer=P_DS, device_signed_by=HOLDER.label,
      x5chain_issuer=pki_path(PROVIDER_IACA))
    a("02-ds-under-copied-iaca", mdoc(ds_key=A_EC, x5chain=[A_DS_UNDER_COPY]), "chain_invalid", R_CHAIN,
      "x5chain [DS with the provider DS's names, attacker key] issued by the attacker's IACA whose subject copies "
      "the provider IACA's byte for byte; the IACA is not included.", signer=A_EC,
      device_signed_by=HOLDER.label, x5chain_issuer=pki_path(ATTACKER_IACA))
    a("03-copied-iaca-included", mdoc(ds_key=A_EC, x5chain=[A_DS_UNDER_COPY, ATTACKER_IACA]), "chain_invalid",
      R_COPY, "As mdoc-02 with x5chain [attacker DS, attacker copied-name IACA].", signer=A_EC,
      device_signed_by=HOLDER.label)
    a("04-self-signed-ds", mdoc(ds_key=A_EC, x5chain=[A_DS_SELF]), "untrusted_root", R_ROOT,
      "x5chain [self-signed DS with the provider DS's subject, mdlDS EKU].", signer=A_EC,
      device_signed_by=HOLDER.label)
    a("05-genuine-ds-attacker-mso", mdoc(ds_key=A_EC), "signature_invalid", R_SIG,
      "x5chain [genuine provider DS] but the MSO is signed by the attacker.", signer=A_EC,
      device_signed_by=HOLDER.label, x5chain_issuer=pki_path(PROVIDER_IACA))
    a("06-device-signature-attacker", mdoc(device_signer=A_EC), "device_signature_invalid", R_DEV,
      "Genuine MSO (deviceKey = holder); the deviceSignature is made by the attacker's key (cloned document).",
      signer=P_DS, device_signed_by=A_EC.label, x5chain_issuer=pki_path(PROVIDER_IACA))
    a("07-element-changed", mdoc(change_after_signing=("family_name", "Jones")), "digest_mismatch", R_DIG,
      "Genuine document whose family_name was changed from Smith to Jones after signing.", signer=P_DS,
      device_signed_by=HOLDER.label, x5chain_issuer=pki_path(PROVIDER_IACA))
    a("08-doctype-mismatch", mdoc(doc_type="org.iso.23220.photoid.1"), "doc_type_mismatch", R_DT,
      "Genuine mDL MSO (docType org.iso.18013.5.1.mDL) presented as document org.iso.23220.photoid.1 (device "
      "signature over that docType).", signer=P_DS, device_signed_by=HOLDER.label,
      x5chain_issuer=pki_path(PROVIDER_IACA))
    a("09-ds-without-eku", mdoc(ds_key=P_READER, x5chain=[PROVIDER_NO_EKU]), "wrong_eku", R_EKU,
      "x5chain [a certificate the provider IACA issued for another service, no extendedKeyUsage]; its key signs "
      "the MSO.", signer=P_READER, device_signed_by=HOLDER.label, x5chain_issuer=pki_path(PROVIDER_IACA))
    a("10-ds-reader-eku", mdoc(ds_key=P_READER, x5chain=[PROVIDER_READER]), "wrong_eku", R_EKU,
      "x5chain [the provider's mdoc reader-authentication certificate (EKU 1.0.18013.5.1.6)]; its key signs the "
      "MSO.", signer=P_READER, device_signed_by=HOLDER.label, x5chain_issuer=pki_path(PROVIDER_IACA))
    a("11-lookalike-iaca", mdoc(ds_key=A_EC, x5chain=[A_DS_UNDER_LOOKALIKE]), "untrusted_root", R_ANCHOR,
      "x5chain [DS] issued by the attacker's own IACA 'Provider IACA 2' (lookalike, not a copy).", signer=A_EC,
      device_signed_by=HOLDER.label, x5chain_issuer=pki_path(LOOKALIKE_IACA))


# --------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------

def keys_json() -> dict:
    out = {}
    for label, k in KEYS.items():
        actor, name = label.split("/", 1)
        e = {"label": label, "type": k.kind, "private_jwk": k.private_jwk(), "public_jwk": k.jwk(),
             "did_key": k.did_key(), "did_key_vm": k.did_key_vm()}
        if k.kind == "p256":
            e["did_jwk"] = k.did_jwk()
        out.setdefault(actor, {})[name] = e
    return out


def main():
    di_cases()
    proof_set_cases()
    v11_cases()
    jose_cose_cases("vc-jwt")
    jose_cose_cases("vc-cose")
    sd_cases()
    mdoc_cases()

    FILES["corpus/mdoc/session-transcript.cbor"] = TRANSCRIPT
    for name, c in PKI.items():
        FILES[f"corpus/pki/{name}.der"] = der(c)
        FILES[f"corpus/pki/{name}.pem"] = c.public_bytes(serialization.Encoding.PEM)
    FILES["corpus/keys.json"] = (json.dumps(keys_json(), indent=2) + "\n").encode()

    order = ["di", "vc-jwt", "vc-cose", "sd-jwt-vc", "mdoc"]
    CASES.sort(key=lambda c: (order.index(c["format"]), c["id"]))
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    manifest = {
        "at": AT,
        "aud": AUD,
        "nonce": NONCE,
        "client_id": CLIENT_ID,
        "response_uri": RESPONSE_URI,
        "domain": CLIENT_ID,
        "trust": {
            "provider_root": "corpus/pki/provider-root.der",
            "provider_iaca": "corpus/pki/provider-iaca.der",
            "provider_dids": PROVIDER_DIDS + [WEB_DID],
            "provider_iss": PROVIDER_ISS,
        },
        "cases": CASES,
        "proof_sets": PROOF_SETS,
        "vc_v11": VC_V11,
    }
    FILES["manifest.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()

    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    for rel, data in FILES.items():
        p = HERE / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    counts = {}
    for c in CASES:
        counts[c["format"]] = counts.get(c["format"], 0) + 1
    print(f"{len(CASES)} cases written ({', '.join(f'{k}: {v}' for k, v in counts.items())})")


if __name__ == "__main__":
    main()
