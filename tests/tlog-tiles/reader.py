#!/usr/bin/env python3
"""An independent C2SP tlog-tiles reader, written from the specification's text
(https://c2sp.org/tlog-tiles) and RFC 6962/9162 section 2.1, sharing no code with Vouch:

    python3 reader.py BASE_URL

BASE_URL is the log's prefix (e.g. http://127.0.0.1:7070/log). It reads <prefix>/checkpoint
(the signed note's body: origin, tree size, base64 root hash), then every level-0 tile and
entry bundle (full and partial) and the level-1 tiles of the tree of that size; it checks
that every entry hashes (SHA-256(0x00 || entry)) to its level-0 tile hash, that every
level-1 tile hash is the Merkle tree hash of its 256 leaves, and that the root it computes
(RFC 6962 MTH) is the checkpoint's. It prints a JSON summary; exit 0 when all holds, 1
otherwise. The checkpoint's signature is the monitor's business, not this reader's.
"""
import base64
import hashlib
import json
import sys
import urllib.request

WIDTH = 256


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


def index_path(n):
    # "N is encoded as zero-padded 3-digit path elements, all but the last prefixed x".
    s = str(n)
    s = s.zfill(((len(s) + 2) // 3) * 3)
    parts = [s[i:i + 3] for i in range(0, len(s), 3)]
    return "/".join(["x" + p for p in parts[:-1]] + [parts[-1]])


def tile_path(level, n, width):
    p = "tile/%s/%s" % (level, index_path(n))
    if width < WIDTH:
        p += ".p/%d" % width
    return p


def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(hashes):
    # RFC 6962 2.1: MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest
    # power of two smaller than n.
    n = len(hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def split_bundle(data):
    entries, i = [], 0
    while i < len(data):
        n = int.from_bytes(data[i:i + 2], "big")
        entries.append(data[i + 2:i + 2 + n])
        i += 2 + n
    if i != len(data):
        raise ValueError("truncated entry bundle")
    return entries


def main():
    prefix = sys.argv[1].rstrip("/")
    lines = get(prefix + "/checkpoint").decode().split("\n")
    origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2])
    leaves, requests, problems = [], 1, []
    for n in range((size + WIDTH - 1) // WIDTH):
        width = min(WIDTH, size - n * WIDTH)
        tile = get("%s/%s" % (prefix, tile_path(0, n, width)))
        bundle = split_bundle(get("%s/%s" % (prefix, tile_path("entries", n, width))))
        requests += 2
        hashes = [tile[i:i + 32] for i in range(0, len(tile), 32)]
        if len(hashes) != width or len(bundle) != width:
            problems.append("tile %d: %d hashes, %d entries" % (n, len(hashes), len(bundle)))
        for k, (h, e) in enumerate(zip(hashes, bundle)):
            if leaf_hash(e) != h:
                problems.append("entry %d does not hash to its tile" % (n * WIDTH + k))
        leaves.extend(hashes)
    full_subtrees = size // WIDTH
    for n in range((full_subtrees + WIDTH - 1) // WIDTH):
        width = min(WIDTH, full_subtrees - n * WIDTH)
        tile = get("%s/%s" % (prefix, tile_path(1, n, width)))
        requests += 1
        for k in range(width):
            i = n * WIDTH + k
            if tile[32 * k:32 * k + 32] != mth(leaves[i * WIDTH:(i + 1) * WIDTH]):
                problems.append("level-1 hash %d is not the root of its 256 leaves" % i)
    computed = mth(leaves)
    if computed != root:
        problems.append("the computed root is not the checkpoint's")
    print(json.dumps({"origin": origin, "size": size, "requests": requests,
                      "root_matches": computed == root, "problems": problems}))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
