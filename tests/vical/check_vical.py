#!/usr/bin/env python3
"""An independent reader of an ISO/IEC 18013-5 Annex C VICAL, sharing no code with Vouch:
cbor2 decodes the COSE_Sign1 (RFC 9052) and its payload, cryptography checks the ES256
signature over the Sig_structure ["Signature1", protected, h'', payload] with the public key
of the x5chain certificate (label 33), which must be the one given.

    python3 check_vical.py VICAL_FILE SIGNER_CERT_PEM

Prints the VICAL's provider, issue id and the certificate infos' doc types and serial
numbers as JSON; exit 0 when the signature verifies and the structure is as Annex C says.
"""
import json
import sys

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def main():
    raw = open(sys.argv[1], "rb").read()
    signer_pem = open(sys.argv[2], "rb").read()
    msg = cbor2.loads(raw)
    if isinstance(msg, cbor2.CBORTag):
        msg = msg.value
    protected, unprotected, payload, signature = msg
    header = cbor2.loads(protected)
    assert header[1] == -7, "ES256"
    chain = unprotected[33]
    leaf = chain if isinstance(chain, bytes) else chain[0]
    cert = x509.load_der_x509_certificate(leaf)
    assert cert == x509.load_pem_x509_certificate(signer_pem), "the register's VICAL signer"
    tbs = cbor2.dumps(["Signature1", protected, b"", payload])
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    cert.public_key().verify(der, tbs, ec.ECDSA(hashes.SHA256()))
    vical = cbor2.loads(payload)
    assert vical["version"] == "1.0"
    for key in ("vicalProvider", "date", "certificateInfos"):
        assert key in vical, key
    infos = []
    for info in vical["certificateInfos"]:
        c = x509.load_der_x509_certificate(info["certificate"])
        assert info["serialNumber"] == c.serial_number, "serialNumber"
        ski = c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        assert info["ski"] == ski, "ski"
        infos.append({"docType": info["docType"], "issuingAuthority": info.get("issuingAuthority")})
    print(json.dumps({"provider": vical["vicalProvider"], "issue_id": vical.get("vicalIssueID"), "infos": infos}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
