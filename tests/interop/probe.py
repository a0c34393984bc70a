#!/usr/bin/env python3
"""Build malformed-but-well-signed presentations for run.sh's probe cells (needs jwcrypto: run
with the interop venv's python).

  probe.py MUTATION --holder-key holder.jwk --aud AUD --nonce NONCE < presentation > presentation'

MUTATION (the KB-JWT is re-signed by the holder over the mutated presentation, so only the
mutation itself is wrong):
  unreferenced-disclosure  add a Disclosure that no digest references
  duplicate-disclosure     repeat the first Disclosure
  stale-kb                 KB-JWT iat one hour in the past
  future-kb                KB-JWT iat one hour in the future
"""

import argparse
import hashlib
import json
import secrets
import sys
import time
from base64 import urlsafe_b64encode

from jwcrypto.jwk import JWK
from jwcrypto.jws import JWS


def b64e(b):
    return urlsafe_b64encode(b).decode("ascii").rstrip("=")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mutation", choices=["unreferenced-disclosure", "duplicate-disclosure", "stale-kb", "future-kb"])
    ap.add_argument("--holder-key", required=True)
    ap.add_argument("--aud", required=True)
    ap.add_argument("--nonce", required=True)
    a = ap.parse_args()

    parts = sys.stdin.read().strip().split("~")
    jwt, disclosures = parts[0], parts[1:-1]
    iat = int(time.time())
    if a.mutation == "unreferenced-disclosure":
        extra = json.dumps([b64e(secrets.token_bytes(16)), "unreferenced_claim", "smuggled"]).encode()
        disclosures.append(b64e(extra))
    elif a.mutation == "duplicate-disclosure":
        if not disclosures:
            raise SystemExit("probe.py: no disclosure to repeat")
        disclosures.append(disclosures[0])
    elif a.mutation == "stale-kb":
        iat -= 3600
    elif a.mutation == "future-kb":
        iat += 3600

    unbound = "~".join([jwt, *disclosures, ""])
    payload = {
        "iat": iat,
        "aud": a.aud,
        "nonce": a.nonce,
        "sd_hash": b64e(hashlib.sha256(unbound.encode("ascii")).digest()),
    }
    with open(a.holder_key, "rb") as f:
        key = JWK.from_json(f.read())
    kb = JWS(payload=json.dumps(payload))
    kb.add_signature(key, alg="ES256", protected=json.dumps({"alg": "ES256", "typ": "kb+jwt"}))
    sys.stdout.write(unbound + kb.serialize(compact=True) + "\n")


if __name__ == "__main__":
    main()
