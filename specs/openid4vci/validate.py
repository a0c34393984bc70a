#!/usr/bin/env python3
"""Validates Credential Issuer Metadata (a file, or stdin) against the schema beside this
script, and checks what a schema cannot: every endpoint lives under the issuer identifier.

Usage: python3 specs/openid4vci/validate.py metadata.json   (needs jsonschema)
Exit status 0 when valid, 1 otherwise.
"""

import json
import sys
from pathlib import Path

from jsonschema import Draft202012Validator

schema = json.loads((Path(__file__).resolve().parent / "credential-issuer-metadata.schema.json").read_text())
Draft202012Validator.check_schema(schema)
doc = json.loads(Path(sys.argv[1]).read_text() if len(sys.argv) > 1 else sys.stdin.read())
errors = sorted(Draft202012Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
for e in errors:
    print(f"invalid: {'/'.join(map(str, e.path))}: {e.message}", file=sys.stderr)
issuer = doc.get("credential_issuer", "")
for k in ("credential_endpoint", "nonce_endpoint", "notification_endpoint"):
    if k in doc and not doc[k].startswith(issuer + "/"):
        errors.append(k)
        print(f"invalid: {k} is not under the issuer identifier", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"ok: metadata of {issuer} validates against credential-issuer-metadata.schema.json")
