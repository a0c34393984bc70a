#!/usr/bin/env python3
"""An independent C2SP cosignature/v1 verifier, written from the specification's text
(https://c2sp.org/tlog-cosignature, https://c2sp.org/signed-note), sharing no code with
Vouch:

    python3 verify_cosignature.py CHECKPOINT_FILE VKEY...

Each VKEY is a witness verifier key `<name>+<hex key ID>+<base64(0x04 || Ed25519 key)>`. For
every signature line of the checkpoint whose name and key ID match a VKEY it checks the
Ed25519 signature over "cosignature/v1\\ntime <t>\\n" followed by the note body. Prints a
JSON list of the witnesses whose cosignature verified; exit 0 if every VKEY's did.
"""
import base64
import hashlib
import json
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def parse_vkey(vkey):
    name, key_id, key = vkey.split("+", 2)
    raw = base64.b64decode(key)
    if len(raw) != 33 or raw[0] != 0x04:
        raise ValueError("not a cosignature/v1 Ed25519 key")
    # key ID = SHA-256(<name> || "\n" || 0x04 || 32-byte key)[:4]
    want = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if want.hex() != key_id:
        raise ValueError("the key ID does not match the key")
    return name, want, Ed25519PublicKey.from_public_bytes(raw[1:])


def main():
    note = open(sys.argv[1], encoding="utf-8").read()
    keys = [parse_vkey(v) for v in sys.argv[2:]]
    body, _, sigs = note.rpartition("\n\n")
    body += "\n"
    verified = []
    for line in sigs.splitlines():
        if not line.startswith("\u2014 "):
            continue
        name, _, b64 = line[2:].partition(" ")
        blob = base64.b64decode(b64)
        for kname, kid, pub in keys:
            if kname != name or blob[:4] != kid or len(blob) != 4 + 8 + 64:
                continue
            timestamp = int.from_bytes(blob[4:12], "big")
            message = ("cosignature/v1\ntime %d\n" % timestamp).encode() + body.encode()
            try:
                pub.verify(blob[12:], message)
                verified.append(name)
            except Exception:
                pass
    print(json.dumps(sorted(set(verified))))
    return 0 if len(set(verified)) == len(keys) else 1


if __name__ == "__main__":
    sys.exit(main())
