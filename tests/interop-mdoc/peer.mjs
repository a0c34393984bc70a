#!/usr/bin/env node
// ISO 18013-5 mdoc interop peer: one CLI over two independent npm implementations,
// @auth0/mdl@3.0.1 ("auth0") and @owf/mdoc@0.6.0 ("owf"), for the Vouch interop matrix.
//
//   peer.mjs keygen [--alg ES256] [--no-kid] [--no-alg]        private JWK on stdout
//   peer.mjs pki --out-dir DIR [--country GB] [--name NAME] [--days N]
//            IACA (self-signed, CA pathLen 0) + DS (EKU 1.0.18013.5.1.2) P-256 test PKI:
//            DIR/iaca.jwk iaca.pem ds.jwk ds.pub.jwk ds.pem
//   peer.mjs issue --impl auth0|owf --claims claims.json --device-key device.pub.jwk --out-dir DIR
//            [--pki-dir DIR] [--doctype T] [--signed T] [--valid-from T] [--valid-until T] [--raw-keys]
//            DIR/issuer_signed.cbor (IssuerSigned, both impls) and, for auth0, DIR/mdoc.cbor (the
//            library's own MDoc container {version, documents:[{docType, issuerSigned}], status}).
//            Without --pki-dir a fresh test PKI is made in DIR first (see `pki`).
//   peer.mjs present --impl auth0|owf --mdoc FILE --device-key device.jwk --transcript FILE
//            --disclose NS/ELEMENT... [--out FILE] [--raw-keys] [--keep-item-bytes]
//            [--mac-for-reader reader.pub.jwk]
//            DeviceResponse on stdout: deviceSignature, or DeviceMac with --mac-for-reader. FILE may be an IssuerSigned (ours, vouch's
//            or owf's) or an auth0 MDoc / DeviceResponse container: see "conversion" below.
//   peer.mjs verify --impl auth0|owf --iaca PEM [--iaca PEM...] --transcript FILE
//            [--reader-key reader.jwk] [--now RFC3339] [--response FILE | < response]
//            JSON report on stdout {valid, impl, docType, checks, error, claims, deviceClaims};
//            exit 0 valid, 1 rejected, 2 usage error.
//
// --transcript accepts the SessionTranscript array or SessionTranscriptBytes (#6.24): both
// libraries are handed the tag-24 form (auth0 requires it; owf hashes what it is given for the
// MAC salt).
//
// Clock: owf takes `now` (IssuerAuth checks and our x509 callback get it). auth0 has no option: it
// calls `new Date()` in the Verifier and pkijs does so for the chain check, so --now replaces the
// global Date for the verify call with a subclass whose zero-argument constructor and Date.now()
// return the pinned instant (explicit `new Date(x)` is untouched).
//
// Workarounds applied unless --raw-keys (each reproduces a quirk when off, see README.md):
//  * auth0 writes COSE `kid: undefined` (CBOR simple 23) when a JWK has no "kid": we add the RFC
//    7638 thumbprint as kid to the DS and device JWKs handed to it.
//  * owf writes a JWK "kid" as a text string (COSE wants bstr) into issuerAuth/deviceSignature
//    unprotected headers: we drop "kid" from keys handed to owf (no kid header at all).
//  * auth0 writes a device JWK "kid" as a text COSE_Key label 2 inside the MSO deviceKey: we drop
//    the kid from the device public key when auth0 issues.
//  * owf takes the COSE algorithm from the signing key: without a JWK "alg" it writes protected
//    header {1: undefined}. We add "alg" ("ES256"/"ES384"/"EdDSA" from the key type) for both.
//
// Conversion of foreign issuer data (e.g. vouch's IssuerSigned) for `present`:
//  * auth0: DeviceResponse.from() only parses its MDoc container, so the IssuerSigned bytes are
//    spliced unchanged into {"version":"1.0","documents":[{"docType": <MSO docType>,
//    "issuerSigned": <bytes>}],"status":0} (built here byte-exactly, lib/cbor-lite.mjs). auth0
//    keeps each IssuerSignedItemBytes as received (DataItem buffer), re-encodes only the
//    unprotected header map of issuerAuth.
//  * owf: IssuerSigned.decode(bytes) directly. owf 0.6.0 RE-ENCODES every disclosed
//    IssuerSignedItem from its decoded form (cbor-x) when it writes the response, so items whose
//    original encoding is not what cbor-x would produce come out with different bytes (digest
//    mismatch downstream). `present` compares each output item with the input and reports such
//    changes on stderr ("owf re-encoded N item(s)"); --keep-item-bytes splices the original
//    IssuerSignedItemBytes back (they are outside the device signature, so this is sound).
//
// The API used was read from node_modules/@auth0/mdl/lib (Document, MDoc, DeviceResponse,
// Verifier, parse) and node_modules/@owf/mdoc/dist/index.mjs (Issuer, IssuerSigned, DeviceRequest,
// DocRequest, ItemsRequest, DeviceResponse, Verifier, CoseKey, MdocContext).

import fs from 'node:fs';
import path from 'node:path';
import nodeCrypto from 'node:crypto';
import { createRequire } from 'node:module';
import * as C from './lib/cbor-lite.mjs';

const require = createRequire(import.meta.url);
// auth0's presentation builder console.log()s "No matching field found ..." - keep stdout binary-clean.
console.log = (...a) => console.error(...a);

const MDL_NS = 'org.iso.18013.5.1';
const MDL_DOCTYPE = 'org.iso.18013.5.1.mDL';
const FULL_DATE_ELEMENTS = new Set(['birth_date', 'issue_date', 'expiry_date']);
const DS_EKU = '1.0.18013.5.1.2';

// ------------------------------------------------------------------ small utilities
function die(code, msg) {
  process.stderr.write(`peer.mjs: ${msg}\n`);
  process.exit(code);
}

function parseArgs(argv, spec) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) die(2, `unexpected argument ${a}`);
    const name = a.slice(2);
    const kind = spec[name] ?? spec[name + '?'];
    if (!kind) die(2, `unknown option ${a}`);
    if (kind === 'bool') out[name] = true;
    else if (kind === 'list') {
      out[name] = out[name] || [];
      let n = 0;
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) { out[name].push(argv[++i]); n++; }
      if (!n) die(2, `${a} needs at least one value`);
    } else {
      if (i + 1 >= argv.length) die(2, `${a} needs a value`);
      out[name] = argv[++i];
    }
  }
  for (const [name, kind] of Object.entries(spec)) {
    if (name.endsWith('?')) continue;
    if ((kind === 'string' || kind === 'list') && out[name] === undefined) die(2, `--${name} is required`);
  }
  return out;
}

const readJson = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));
const writeJson = (p, v) => fs.writeFileSync(p, JSON.stringify(v, null, 2) + '\n');
const b64u = (b) => Buffer.from(b).toString('base64url');
const fromB64u = (s) => new Uint8Array(Buffer.from(s, 'base64url'));
const u8 = (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function readStdin() {
  return u8(fs.readFileSync(0));
}

// ------------------------------------------------------------------ keys
const CURVE_OF_ALG = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521', EdDSA: 'Ed25519' };
function algOfJwk(jwk) {
  if (jwk.kty === 'OKP') return 'EdDSA';
  return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[jwk.crv] ?? die(2, `unsupported curve ${jwk.crv}`);
}

function thumbprint(jwk) {
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return nodeCrypto.createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

function publicJwk(jwk) {
  const { d, p, q, dp, dq, qi, key_ops, ...pub } = jwk;
  return pub;
}

// Keys handed to a library, unless --raw-keys (see header): "alg" added (owf needs it); for auth0 a
// "kid" is added (else it writes kid: undefined); for owf any "kid" is dropped (owf writes the kid
// as a text string, not the bstr COSE requires, in issuerAuth and deviceSignature headers).
function prepJwk(jwk, raw, impl) {
  if (raw) return { ...jwk };
  const out = { ...jwk };
  if (impl === 'owf') delete out.kid;
  else if (!out.kid) out.kid = thumbprint(jwk);
  if (!out.alg) out.alg = algOfJwk(jwk);
  return out;
}

function genKey(alg = 'ES256', { kid = true, withAlg = true } = {}) {
  const curve = CURVE_OF_ALG[alg] ?? die(2, `unsupported --alg ${alg}`);
  const { privateKey } = alg === 'EdDSA'
    ? nodeCrypto.generateKeyPairSync('ed25519')
    : nodeCrypto.generateKeyPairSync('ec', { namedCurve: curve });
  const jwk = privateKey.export({ format: 'jwk' });
  if (kid) jwk.kid = thumbprint(jwk);
  if (withAlg) jwk.alg = alg;
  return jwk;
}

// ------------------------------------------------------------------ certificates (@peculiar/x509)
let x509lib;
function x509() {
  if (!x509lib) {
    x509lib = require('@peculiar/x509');
    x509lib.cryptoProvider.set(nodeCrypto.webcrypto);
  }
  return x509lib;
}

function pemOf(der) {
  const b = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b}\n-----END CERTIFICATE-----\n`;
}

function dersOfPem(text) {
  const out = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  let m;
  while ((m = re.exec(text))) out.push(new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ''), 'base64')));
  return out;
}

async function importForX509(jwk, usage) {
  const subtle = nodeCrypto.webcrypto.subtle;
  const { alg, kid, key_ops, ext, use, ...k } = jwk;
  const params = { name: 'ECDSA', namedCurve: jwk.crv };
  return subtle.importKey('jwk', usage === 'sign' ? k : publicJwk(k), params, true, [usage]);
}

async function makePki(outDir, { country = 'US', name = 'Interop Test', days = 730, notBefore } = {}) {
  const X = x509();
  fs.mkdirSync(outDir, { recursive: true });
  const nb = notBefore ? new Date(notBefore) : new Date(Date.now() - 24 * 3600e3);
  const na = new Date(nb.getTime() + days * 24 * 3600e3);
  const iacaJwk = genKey('ES256');
  const dsJwk = genKey('ES256');
  const iacaPriv = await importForX509(iacaJwk, 'sign');
  const iacaPub = await importForX509(iacaJwk, 'verify');
  const dsPub = await importForX509(dsJwk, 'verify');
  const alg = { name: 'ECDSA', hash: 'SHA-256' };
  const iacaSki = await X.SubjectKeyIdentifierExtension.create(iacaPub);
  const iaca = await X.X509CertificateGenerator.create({
    serialNumber: nodeCrypto.randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
    subject: `C=${country}, CN=${name} IACA`,
    issuer: `C=${country}, CN=${name} IACA`,
    notBefore: nb,
    notAfter: na,
    signingAlgorithm: alg,
    publicKey: iacaPub,
    signingKey: iacaPriv,
    extensions: [
      new X.BasicConstraintsExtension(true, 0, true),
      new X.KeyUsagesExtension(X.KeyUsageFlags.keyCertSign | X.KeyUsageFlags.cRLSign, true),
      iacaSki,
    ],
  });
  const ds = await X.X509CertificateGenerator.create({
    serialNumber: nodeCrypto.randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
    subject: `C=${country}, CN=${name} DS`,
    issuer: iaca.subject,
    notBefore: nb,
    notAfter: new Date(Math.min(na.getTime(), nb.getTime() + 400 * 24 * 3600e3)),
    signingAlgorithm: alg,
    publicKey: dsPub,
    signingKey: iacaPriv,
    extensions: [
      new X.KeyUsagesExtension(X.KeyUsageFlags.digitalSignature, true),
      new X.ExtendedKeyUsageExtension([DS_EKU], true),
      await X.AuthorityKeyIdentifierExtension.create(iacaPub),
      await X.SubjectKeyIdentifierExtension.create(dsPub),
    ],
  });
  writeJson(path.join(outDir, 'iaca.jwk'), iacaJwk);
  fs.writeFileSync(path.join(outDir, 'iaca.pem'), pemOf(new Uint8Array(iaca.rawData)));
  writeJson(path.join(outDir, 'ds.jwk'), dsJwk);
  writeJson(path.join(outDir, 'ds.pub.jwk'), publicJwk(dsJwk));
  fs.writeFileSync(path.join(outDir, 'ds.pem'), pemOf(new Uint8Array(ds.rawData)));
  return { iacaJwk, dsJwk, iacaPem: pemOf(new Uint8Array(iaca.rawData)), dsPem: pemOf(new Uint8Array(ds.rawData)) };
}

// ------------------------------------------------------------------ session transcript
function loadTranscript(file) {
  const bytes = u8(fs.readFileSync(file));
  const node = C.parseAll(bytes);
  if (node.major === 6 && node.tag === 24) {
    const inner = C.unwrap24(bytes, node);
    if (inner.node.major !== 4) die(2, `${file}: tag 24 does not wrap a SessionTranscript array`);
    return { bytes24: bytes, array: inner.bytes };
  }
  if (node.major !== 4) die(2, `${file}: not a SessionTranscript array nor SessionTranscriptBytes`);
  return { bytes24: C.wrap24(bytes), array: bytes };
}

// ------------------------------------------------------------------ mdoc containers (byte-exact)
function msoOf(isBytes, isNode) {
  const ia = C.mapGet(isNode, 'issuerAuth');
  if (!ia || ia.major !== 4 || ia.items.length !== 4) throw new Error('issuerAuth is not a COSE_Sign1 array');
  const payload = ia.items[2];
  if (payload.major !== 2) throw new Error('issuerAuth payload is not a byte string');
  const inner = C.parseAll(payload.value); // MobileSecurityObjectBytes = #6.24(bstr .cbor MSO)
  if (inner.major !== 6 || inner.tag !== 24) throw new Error('MSO payload is not tag 24');
  return C.parseAll(inner.inner.value);
}

// Classify an input file: IssuerSigned, or a container with documents (auth0 MDoc / DeviceResponse).
function classify(bytes) {
  const node = C.parseAll(bytes);
  if (node.major !== 5) throw new Error('top-level item is not a map');
  if (C.mapGet(node, 'issuerAuth')) {
    const mso = msoOf(bytes, node);
    return { kind: 'issuerSigned', issuerSigned: bytes, docType: C.mapGet(mso, 'docType')?.value };
  }
  const docs = C.mapGet(node, 'documents');
  if (docs && docs.major === 4 && docs.items.length) {
    const doc = docs.items[0];
    const is = C.mapGet(doc, 'issuerSigned');
    if (!is) throw new Error('documents[0] has no issuerSigned');
    return { kind: 'container', container: bytes, issuerSigned: bytes.subarray(is.start, is.end), docType: C.mapGet(doc, 'docType')?.value };
  }
  throw new Error('neither an IssuerSigned nor a container with documents');
}

function wrapIssuerSigned(isBytes, docType) {
  return C.encode(new Map([
    ['version', '1.0'],
    ['documents', [new Map([['docType', docType], ['issuerSigned', new C.Raw(isBytes)]])]],
    ['status', 0],
  ]));
}

// Disclosed IssuerSignedItemBytes per namespace of documents[0] of a DeviceResponse:
// { ns: [{ start, end, bytes, id }] }
function disclosedItems(drBytes) {
  const dr = C.parseAll(drBytes);
  const doc = C.mapGet(dr, 'documents')?.items?.[0];
  const nss = C.mapGet(C.mapGet(doc, 'issuerSigned'), 'nameSpaces');
  const out = {};
  for (const [k, v] of nss?.entries ?? []) {
    out[k.value] = v.items.map((it) => {
      const inner = C.unwrap24(drBytes, it);
      return { start: it.start, end: it.end, bytes: drBytes.subarray(it.start, it.end), id: C.mapGet(inner.node, 'elementIdentifier')?.value };
    });
  }
  return out;
}

function issuerSignedItems(isBytes) {
  const is = C.parseAll(isBytes);
  const nss = C.mapGet(is, 'nameSpaces');
  const out = {};
  for (const [k, v] of nss?.entries ?? []) {
    out[k.value] = v.items.map((it) => {
      const inner = C.unwrap24(isBytes, it);
      return { bytes: isBytes.subarray(it.start, it.end), id: C.mapGet(inner.node, 'elementIdentifier')?.value };
    });
  }
  return out;
}

// ------------------------------------------------------------------ claims <-> library values
// claims.json: {ns: {element: value}}; "YYYY-MM-DD" for birth_date/issue_date/expiry_date (also
// inside driving_privileges entries) -> full-date (tag 1004); {"bytes_b64"} -> bstr; {"tdate"} -> tdate.
function toLibValue(v, DateOnly, key, inPrivileges = false) {
  if (typeof v === 'string' && FULL_DATE_ELEMENTS.has(key) && /^\d{4}-\d{2}-\d{2}$/.test(v)) return new DateOnly(v);
  if (Array.isArray(v)) return v.map((x) => toLibValue(x, DateOnly, null, key === 'driving_privileges' || inPrivileges));
  if (v && typeof v === 'object') {
    if (typeof v.bytes_b64 === 'string' && Object.keys(v).length === 1) return Buffer.from(v.bytes_b64, 'base64');
    if (typeof v.tdate === 'string' && Object.keys(v).length === 1) return new Date(v.tdate);
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = toLibValue(x, DateOnly, inPrivileges ? k : k, inPrivileges);
    return o;
  }
  return v;
}

// Library value -> JSON in the claims.json convention, so reports from every verifier compare.
function jsonify(v) {
  if (v === null || v === undefined) return v ?? null;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return { bytes_b64: Buffer.from(v).toString('base64') };
  const tagName = v?.[Symbol.toStringTag];
  if (tagName === 'DateOnly' || v?.constructor?.name === 'DateOnly') return v.toISOString();
  if (v instanceof Date) return { tdate: v.toISOString().replace(/\.000Z$/, 'Z') };
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), jsonify(x)]));
  if (Array.isArray(v)) return v.map(jsonify);
  if (typeof v === 'object') {
    if ('tag' in v && 'value' in v && Object.keys(v).length === 2) return { tag: v.tag, value: jsonify(v.value) };
    if (typeof v.toJSON === 'function') return v.toJSON();
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonify(x)]));
  }
  return v;
}

// ------------------------------------------------------------------ clock pinning (auth0)
function withPinnedClock(iso, fn) {
  if (!iso) return fn();
  const fixed = new Date(iso).getTime();
  if (Number.isNaN(fixed)) die(2, `--now: not a date: ${iso}`);
  const RealDate = globalThis.Date;
  class PinnedDate extends RealDate {
    constructor(...args) { if (args.length === 0) super(fixed); else super(...args); }
    static now() { return fixed; }
  }
  globalThis.Date = PinnedDate;
  return Promise.resolve().then(fn).finally(() => { globalThis.Date = RealDate; });
}

// ------------------------------------------------------------------ owf crypto context (node:crypto)
const COSE_CRV = { 1: 'P-256', 2: 'P-384', 3: 'P-521', 6: 'Ed25519' };
const COSE_CRV_OF = { 'P-256': 1, 'P-384': 2, 'P-521': 3, Ed25519: 6 };
const COSE_ALG = { [-7]: 'ES256', [-35]: 'ES384', [-36]: 'ES512', [-8]: 'EdDSA' };
const HASH_OF = { ES256: 'sha256', ES384: 'sha384', ES512: 'sha512', EdDSA: null };
const DIGEST = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

// A CoseKey (owf) or raw COSE_Key bytes -> node KeyObject. Built here from x/y/d because owf's own
// CoseKey.jwk maps P-384 to "p-384" (lower case), which node rejects.
function nodeKeyOfCose(owf, key, wantPrivate) {
  let k = key;
  if (k instanceof Uint8Array) k = owf.CoseKey.decode(k);
  const crv = COSE_CRV[k.curve];
  if (!crv) throw new Error(`unsupported COSE curve ${k.curve}`);
  const jwk = k.keyType === 1
    ? { kty: 'OKP', crv, x: b64u(k.x) }
    : { kty: 'EC', crv, x: b64u(k.x), y: b64u(k.y) };
  if (wantPrivate) {
    if (!k.d) throw new Error('private key (d) missing');
    jwk.d = b64u(k.d);
    return nodeCrypto.createPrivateKey({ key: jwk, format: 'jwk' });
  }
  return nodeCrypto.createPublicKey({ key: jwk, format: 'jwk' });
}

function owfCoseKeyOfJwk(owf, jwk, Cls) {
  // CoseKey.fromJwk cannot map "P-384" (its table has "p-384"), so build the key ourselves.
  const opts = {
    keyType: jwk.kty === 'OKP' ? owf.KeyType.Okp : owf.KeyType.Ec,
    curve: COSE_CRV_OF[jwk.crv] ?? die(2, `unsupported curve ${jwk.crv}`),
    x: fromB64u(jwk.x),
  };
  if (jwk.y) opts.y = fromB64u(jwk.y);
  if (jwk.d) opts.d = fromB64u(jwk.d);
  if (jwk.kid) opts.keyId = jwk.kid;
  if (jwk.alg) opts.algorithm = { ES256: -7, ES384: -35, ES512: -36, EdDSA: -8 }[jwk.alg];
  return (Cls ?? owf.CoseKey).create(opts);
}

// Trust-anchor chain check used for owf (the library delegates it entirely to this callback):
// walk x5chain from the leaf; every certificate must be valid at `now`, signed by the next one (or
// by a trusted certificate), which must be a CA; the walk must end at a trusted certificate.
function verifyChain({ trustedCertificates, x5chain, now }) {
  const at = now ?? new Date();
  if (!x5chain?.length) throw new Error('x5chain is empty');
  const chain = x5chain.map((d) => new nodeCrypto.X509Certificate(Buffer.from(d)));
  const anchors = trustedCertificates.map((d) => new nodeCrypto.X509Certificate(Buffer.from(d)));
  const inWindow = (c) => at >= new Date(c.validFrom) && at <= new Date(c.validTo);
  let cur = chain[0];
  for (let i = 0; i < 8; i++) {
    if (!inWindow(cur)) throw new Error(`certificate "${cur.subject.replace(/\n/g, ', ')}" is not valid at ${at.toISOString()}`);
    if (anchors.some((a) => a.raw.equals(cur.raw))) return;
    const anchor = anchors.find((a) => cur.checkIssued(a) && cur.verify(a.publicKey));
    if (anchor) {
      if (!anchor.ca) throw new Error('trusted issuer certificate is not a CA');
      if (!inWindow(anchor)) throw new Error(`trusted certificate "${anchor.subject.replace(/\n/g, ', ')}" is not valid at ${at.toISOString()}`);
      return;
    }
    const next = chain.find((c) => c !== cur && cur.checkIssued(c) && cur.verify(c.publicKey));
    if (!next) throw new Error('no path from the DS certificate to a trusted certificate');
    if (!next.ca) throw new Error('intermediate certificate is not a CA');
    cur = next;
  }
  throw new Error('certificate path too long');
}

function owfContext(owf) {
  const hmac = (key, data) => new Uint8Array(nodeCrypto.createHmac('sha256', Buffer.from(key)).update(Buffer.from(data)).digest());
  const coseFromBytesOrRaw = (b, what) => {
    // owf passes COSE_Key bytes when creating a MAC (Mac0.create) but raw key material when
    // verifying one (DeviceMac.verify: d, and 04||x||y). Accept both.
    if (b[0] >= 0xa0 && b[0] <= 0xbf) return { cose: owf.CoseKey.decode(b) };
    return { raw: b, what };
  };
  return {
    crypto: {
      random: (n) => new Uint8Array(nodeCrypto.randomBytes(n)),
      digest: ({ digestAlgorithm, bytes }) => new Uint8Array(nodeCrypto.createHash(DIGEST[digestAlgorithm] ?? die(1, `digest ${digestAlgorithm}`)).update(Buffer.from(bytes)).digest()),
      calculateEphemeralMacKey: ({ privateKey, publicKey, sessionTranscriptBytes, info }) => {
        const priv = coseFromBytesOrRaw(privateKey, 'priv');
        const pub = coseFromBytesOrRaw(publicKey, 'pub');
        const curve = priv.cose ? COSE_CRV[priv.cose.curve] : pub.cose ? COSE_CRV[pub.cose.curve] : 'P-256';
        const ecdh = nodeCrypto.createECDH({ 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' }[curve]);
        ecdh.setPrivateKey(Buffer.from(priv.cose ? priv.cose.d : priv.raw));
        const pubBytes = pub.cose ? C.concat([Uint8Array.of(4), pub.cose.x, pub.cose.y]) : pub.raw;
        const z = ecdh.computeSecret(Buffer.from(pubBytes));
        const salt = nodeCrypto.createHash('sha256').update(Buffer.from(sessionTranscriptBytes)).digest();
        const k = new Uint8Array(nodeCrypto.hkdfSync('sha256', z, salt, Buffer.from(info), 32));
        return owf.CoseKey.create({ keyType: owf.KeyType.Oct, k });
      },
    },
    cose: {
      sign1: {
        sign: ({ toBeSigned, key, algorithm }) => {
          let alg = COSE_ALG[algorithm] ?? (typeof algorithm === 'string' ? algorithm : undefined);
          if (algorithm === undefined) {
            // owf asks for a signature with no algorithm when the signing JWK has no "alg" (it then
            // writes protected header {1: undefined}); sign with the key's natural algorithm so
            // that the quirk is visible in the output instead of aborting here.
            alg = { 1: 'ES256', 2: 'ES384', 3: 'ES512', 6: 'EdDSA' }[key.curve];
            process.stderr.write(`peer.mjs: owf requested a signature without an algorithm; signing as ${alg}\n`);
          }
          if (!alg) throw new Error(`unsupported signature algorithm ${algorithm}`);
          const sig = nodeCrypto.sign(HASH_OF[alg], Buffer.from(toBeSigned), { key: nodeKeyOfCose(owf, key, true), dsaEncoding: 'ieee-p1363' });
          return new Uint8Array(sig);
        },
        verify: ({ sign1, key }) => {
          const alg = sign1.signatureAlgorithmName;
          if (!(alg in HASH_OF)) throw new Error(`unsupported signature algorithm ${alg}`);
          // sign1.toBeSigned uses the attached payload if there is one, else the detached one the
          // library set (see README: owf quirk with attached deviceSignature payloads).
          return nodeCrypto.verify(HASH_OF[alg], Buffer.from(sign1.toBeSigned), { key: nodeKeyOfCose(owf, key, false), dsaEncoding: 'ieee-p1363' }, Buffer.from(sign1.signature));
        },
      },
      mac0: {
        sign: ({ key, toBeAuthenticated }) => hmac(key.privateKey, toBeAuthenticated),
        verify: ({ mac0, key }) => {
          const want = hmac(key.privateKey, mac0.toBeAuthenticated);
          return want.length === mac0.tag.length && nodeCrypto.timingSafeEqual(Buffer.from(want), Buffer.from(mac0.tag));
        },
      },
    },
    x509: {
      getIssuerNameField: ({ certificate, field }) => new (x509().X509Certificate)(certificate).issuerName.getField(field),
      getPublicKey: ({ certificate }) => {
        const jwk = new nodeCrypto.X509Certificate(Buffer.from(certificate)).publicKey.export({ format: 'jwk' });
        return owfCoseKeyOfJwk(owf, jwk);
      },
      verifyCertificateChain: verifyChain,
      getCertificateData: ({ certificate }) => {
        const c = new nodeCrypto.X509Certificate(Buffer.from(certificate));
        return {
          issuerName: c.issuer.replace(/\n/g, ', '),
          subjectName: c.subject.replace(/\n/g, ', '),
          serialNumber: c.serialNumber,
          thumbprint: c.fingerprint256.replace(/:/g, '').toLowerCase(),
          notBefore: new Date(c.validFrom),
          notAfter: new Date(c.validTo),
          pem: c.toString(),
        };
      },
    },
  };
}

// ------------------------------------------------------------------ library loading
// Only one library per process: both register global cbor-x extensions for the same tags.
async function loadImpl(impl) {
  if (impl === 'auth0') {
    const lib = require('@auth0/mdl');
    const { DateOnly } = require('@auth0/mdl/lib/cbor');
    return { impl, lib, DateOnly };
  }
  if (impl === 'owf') {
    const lib = await import('@owf/mdoc');
    return { impl, lib, DateOnly: lib.DateOnly, ctx: owfContext(lib) };
  }
  die(2, `--impl must be auth0 or owf (got ${impl})`);
}

// ------------------------------------------------------------------ subcommands
async function cmdKeygen(argv) {
  const a = parseArgs(argv, { 'alg?': 'string', 'no-kid?': 'bool', 'no-alg?': 'bool' });
  process.stdout.write(JSON.stringify(genKey(a.alg ?? 'ES256', { kid: !a['no-kid'], withAlg: !a['no-alg'] })) + '\n');
}

async function cmdPublic() {
  process.stdout.write(JSON.stringify(publicJwk(JSON.parse(fs.readFileSync(0, 'utf8')))) + '\n');
}

async function cmdPki(argv) {
  const a = parseArgs(argv, { 'out-dir': 'string', 'country?': 'string', 'name?': 'string', 'days?': 'string', 'not-before?': 'string' });
  await makePki(a['out-dir'], { country: a.country, name: a.name, days: a.days ? Number(a.days) : undefined, notBefore: a['not-before'] });
}

function isoSeconds(d) { return new Date(Math.floor(d.getTime() / 1000) * 1000); }

async function cmdIssue(argv) {
  const a = parseArgs(argv, {
    impl: 'string', claims: 'string', 'device-key': 'string', 'out-dir': 'string',
    'pki-dir?': 'string', 'doctype?': 'string', 'signed?': 'string', 'valid-from?': 'string', 'valid-until?': 'string',
    'raw-keys?': 'bool', 'country?': 'string',
  });
  const I = await loadImpl(a.impl);
  const outDir = a['out-dir'];
  fs.mkdirSync(outDir, { recursive: true });
  const claims = readJson(a.claims);
  const docType = a.doctype ?? MDL_DOCTYPE;
  let pkiDir = a['pki-dir'];
  if (!pkiDir) {
    pkiDir = outDir;
    const country = a.country ?? claims[MDL_NS]?.issuing_country ?? 'US';
    await makePki(outDir, { country, name: `${a.impl} interop` });
  }
  const dsJwk = prepJwk(readJson(path.join(pkiDir, 'ds.jwk')), a['raw-keys'], a.impl);
  const dsPem = fs.readFileSync(path.join(pkiDir, 'ds.pem'), 'utf8');
  if (pkiDir !== outDir) for (const f of ['iaca.pem', 'ds.pem']) fs.copyFileSync(path.join(pkiDir, f), path.join(outDir, f));
  const devicePub = publicJwk(readJson(a['device-key']));
  // auth0's COSEKeyFromJWK writes a JWK kid as a *text* COSE_Key label 2 (bstr in RFC 9052) into
  // the signed MSO deviceKey: drop it unless --raw-keys.
  if (a.impl === 'auth0' && !a['raw-keys']) delete devicePub.kid;
  const now = isoSeconds(new Date());
  const signed = a.signed ? new Date(a.signed) : new Date(now.getTime() - 3600e3);
  const validFrom = a['valid-from'] ? new Date(a['valid-from']) : signed;
  const validUntil = a['valid-until'] ? new Date(a['valid-until']) : new Date(signed.getTime() + 365 * 24 * 3600e3);

  let isBytes;
  if (I.impl === 'auth0') {
    const { Document, MDoc } = I.lib;
    let doc = new Document(docType);
    for (const [ns, values] of Object.entries(claims)) {
      const conv = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, toLibValue(v, I.DateOnly, k)]));
      doc = doc.addIssuerNameSpace(ns, conv);
    }
    const signedDoc = await doc
      .useDigestAlgorithm('SHA-256')
      .addValidityInfo({ signed, validFrom, validUntil })
      .addDeviceKeyInfo({ deviceKey: devicePub })
      .sign({ issuerPrivateKey: dsJwk, issuerCertificate: dsPem, alg: algOfJwk(dsJwk) });
    const mdocBytes = u8(new MDoc([signedDoc]).encode());
    fs.writeFileSync(path.join(outDir, 'mdoc.cbor'), mdocBytes);
    isBytes = classify(mdocBytes).issuerSigned;
  } else {
    const { Issuer, DeviceKey, SignatureAlgorithm } = I.lib;
    const issuer = new Issuer(docType, I.ctx);
    for (const [ns, values] of Object.entries(claims)) {
      const conv = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, toLibValue(v, I.DateOnly, k)]));
      issuer.addIssuerNamespace(ns, conv);
    }
    const alg = { ES256: SignatureAlgorithm.ES256, ES384: SignatureAlgorithm.ES384, EdDSA: SignatureAlgorithm.EdDSA }[algOfJwk(dsJwk)];
    const issuerSigned = await issuer.sign({
      signingKey: owfCoseKeyOfJwk(I.lib, dsJwk),
      algorithm: alg,
      digestAlgorithm: 'SHA-256',
      validityInfo: { signed, validFrom, validUntil },
      deviceKeyInfo: { deviceKey: owfCoseKeyOfJwk(I.lib, devicePub, DeviceKey) },
      certificates: dersOfPem(dsPem),
    });
    isBytes = issuerSigned.encode();
  }
  fs.writeFileSync(path.join(outDir, 'issuer_signed.cbor'), isBytes);
  process.stderr.write(`peer.mjs: ${a.impl} issued ${docType} -> ${path.join(outDir, 'issuer_signed.cbor')}\n`);
}

async function cmdPresent(argv) {
  const a = parseArgs(argv, {
    impl: 'string', mdoc: 'string', 'device-key': 'string', transcript: 'string', disclose: 'list',
    'out?': 'string', 'raw-keys?': 'bool', 'keep-item-bytes?': 'bool', 'mac-for-reader?': 'string',
  });
  const readerPub = a['mac-for-reader'] ? publicJwk(readJson(a['mac-for-reader'])) : null;
  const I = await loadImpl(a.impl);
  const input = classify(u8(fs.readFileSync(a.mdoc)));
  const docType = input.docType ?? die(1, 'cannot find the docType of the input');
  const t = loadTranscript(a.transcript);
  const deviceJwk = prepJwk(readJson(a['device-key']), a['raw-keys'], a.impl);
  if (!deviceJwk.d) die(2, '--device-key must be a private JWK');
  const wanted = a.disclose.map((s) => {
    const i = s.lastIndexOf('/');
    if (i <= 0) die(2, `--disclose wants NAMESPACE/ELEMENT, got ${s}`);
    return [s.slice(0, i), s.slice(i + 1)];
  });

  let out;
  if (I.impl === 'auth0') {
    const container = input.kind === 'container' ? input.container : wrapIssuerSigned(input.issuerSigned, docType);
    const pd = {
      id: 'vouch-interop',
      input_descriptors: [{
        id: docType,
        format: { mso_mdoc: { alg: ['ES256', 'ES384', 'EdDSA'] } },
        constraints: {
          limit_disclosure: 'required',
          fields: wanted.map(([ns, el]) => ({ path: [`$['${ns}']['${el}']`], intent_to_retain: false })),
        },
      }],
    };
    let b = I.lib.DeviceResponse.from(Buffer.from(container))
      .usingPresentationDefinition(pd)
      .usingSessionTranscriptBytes(Buffer.from(t.bytes24));
    if (readerPub) {
      // DeviceMac: EMacKey from the device private key and the reader's ephemeral public key
      // (auth0 wants the latter as COSE_Key bytes).
      const readerCose = C.encode(new Map([[1, 2], [-1, COSE_CRV_OF[readerPub.crv]], [-2, fromB64u(readerPub.x)], [-3, fromB64u(readerPub.y)]]));
      b = b.authenticateWithMAC(deviceJwk, readerCose, 'HS256');
    } else {
      b = b.authenticateWithSignature(deviceJwk, deviceJwk.alg ?? algOfJwk(deviceJwk));
    }
    const dr = await b.sign();
    out = u8(dr.encode());
  } else {
    const { IssuerSigned, ItemsRequest, DocRequest, DeviceRequest, DeviceResponse } = I.lib;
    const is = IssuerSigned.decode(input.issuerSigned);
    const namespaces = new Map();
    for (const [ns, el] of wanted) {
      if (!namespaces.has(ns)) namespaces.set(ns, new Map());
      namespaces.get(ns).set(el, false);
    }
    const deviceRequest = DeviceRequest.create({ docRequests: [DocRequest.create({ itemsRequest: ItemsRequest.create({ docType, namespaces }) })] });
    const dr = await DeviceResponse.createWithDeviceRequest({
      deviceRequest,
      sessionTranscript: t.bytes24,
      issuerSigned: [is],
      ...(readerPub
        ? { mac: { signingKey: owfCoseKeyOfJwk(I.lib, deviceJwk), ephemeralKey: owfCoseKeyOfJwk(I.lib, readerPub, I.lib.EReaderKey) } }
        : { signature: { signingKey: owfCoseKeyOfJwk(I.lib, deviceJwk) } }),
    }, I.ctx);
    out = dr.encode();
  }

  // Harness checks on the library's output: every requested element disclosed, item bytes kept.
  const got = disclosedItems(out);
  const missing = wanted.filter(([ns, el]) => !(got[ns] ?? []).some((x) => x.id === el));
  if (missing.length) die(1, `${a.impl} did not disclose: ${missing.map((m) => m.join('/')).join(', ')}`);
  const orig = issuerSignedItems(input.issuerSigned);
  const changed = [];
  for (const [ns, items] of Object.entries(got)) {
    for (const it of items) {
      const o = (orig[ns] ?? []).find((x) => x.id === it.id);
      if (o && Buffer.compare(Buffer.from(o.bytes), Buffer.from(it.bytes)) !== 0) changed.push({ ns, it, o });
    }
  }
  if (changed.length) {
    process.stderr.write(`peer.mjs: ${a.impl} re-encoded ${changed.length} item(s): ${changed.map((c) => `${c.ns}/${c.it.id}`).join(', ')}\n`);
    if (a['keep-item-bytes']) {
      const parts = [];
      let pos = 0;
      for (const c of changed.sort((x, y) => x.it.start - y.it.start)) {
        parts.push(out.subarray(pos, c.it.start), c.o.bytes);
        pos = c.it.end;
      }
      parts.push(out.subarray(pos));
      // Splicing changes lengths only inside the nameSpaces arrays' elements (each item is a
      // complete CBOR item), so all enclosing headers (counts, not byte lengths) stay valid.
      out = C.concat(parts);
      C.parseAll(out);
      process.stderr.write('peer.mjs: --keep-item-bytes: original IssuerSignedItemBytes restored\n');
    }
  }
  if (a.out) fs.writeFileSync(a.out, out);
  else process.stdout.write(out);
}

async function cmdVerify(argv) {
  const a = parseArgs(argv, {
    impl: 'string', iaca: 'list', transcript: 'string', 'reader-key?': 'string', 'now?': 'string', 'response?': 'string',
  });
  const I = await loadImpl(a.impl);
  const bytes = a.response ? u8(fs.readFileSync(a.response)) : readStdin();
  const t = loadTranscript(a.transcript);
  const pems = a.iaca.map((p) => fs.readFileSync(p, 'utf8'));
  const readerJwk = a['reader-key'] ? readJson(a['reader-key']) : undefined;
  const checks = [];
  const report = { valid: false, impl: a.impl, now: a.now ?? null, docType: null, checks, error: null, claims: null, deviceClaims: null };
  try {
    if (I.impl === 'auth0') {
      const { Verifier } = I.lib;
      const verifier = new Verifier(pems.flatMap((p) => dersOfPem(p).map((d) => pemOf(d))));
      const opts = {
        encodedSessionTranscript: Buffer.from(t.bytes24),
        onCheck: (c) => checks.push({ category: c.category, id: c.id, status: c.status, check: c.check, ...(c.reason && c.status !== 'PASSED' ? { reason: c.reason } : {}) }),
      };
      if (readerJwk) {
        // auth0 wants the reader's private key as COSE_Key bytes (calculateEphemeralMacKey).
        opts.ephemeralReaderKey = C.encode(new Map([[1, 2], [-1, COSE_CRV_OF[readerJwk.crv]], [-2, fromB64u(readerJwk.x)], [-3, fromB64u(readerJwk.y)], [-4, fromB64u(readerJwk.d)]]));
      }
      const mdoc = await withPinnedClock(a.now, () => verifier.verify(Buffer.from(bytes), opts));
      const doc = mdoc.documents[0];
      report.docType = doc.docType;
      report.claims = Object.fromEntries(Object.entries(doc.issuerSigned.nameSpaces).map(([ns, items]) => [ns, Object.fromEntries(items.map((it) => [it.elementIdentifier, jsonify(it.elementValue)]))]));
      if (doc.deviceSigned) report.deviceClaims = jsonify(doc.deviceSigned.nameSpaces);
      report.status = mdoc.status;
    } else {
      const { DeviceResponse, Verifier, EReaderKey } = I.lib;
      const dr = DeviceResponse.decode(bytes);
      const opts = {
        deviceResponse: dr,
        sessionTranscript: t.bytes24,
        trustedCertificates: pems.flatMap(dersOfPem),
        now: a.now ? new Date(a.now) : new Date(),
        onCheck: (c) => checks.push({ category: c.category, status: c.status, check: c.check, ...(c.reason && c.status !== 'PASSED' ? { reason: c.reason } : {}) }),
      };
      if (readerJwk) opts.ephemeralReaderKey = owfCoseKeyOfJwk(I.lib, readerJwk, EReaderKey);
      await Verifier.verifyDeviceResponse(opts, I.ctx);
      const doc = dr.documents?.[0];
      report.docType = doc?.docType ?? null;
      if (doc) {
        const nss = doc.issuerSigned.issuerNamespaces?.issuerNamespaces ?? new Map();
        report.claims = Object.fromEntries([...nss.keys()].map((ns) => [ns, jsonify(doc.issuerSigned.getPrettyClaims(ns))]));
        report.deviceClaims = Object.fromEntries([...doc.deviceSigned.deviceNamespaces.deviceNamespaces].map(([ns, items]) => [ns, jsonify(items.deviceSignedItems)]));
      }
      report.status = dr.status;
    }
    const failed = checks.filter((c) => c.status === 'FAILED');
    report.valid = failed.length === 0 && checks.length > 0;
    if (failed.length) report.error = { message: failed.map((c) => c.reason ?? c.check).join('; ') };
  } catch (err) {
    report.valid = false;
    report.error = { message: `exception: ${err?.message ?? err}` };
  }
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  process.exit(report.valid ? 0 : 1);
}

const [cmd, ...rest] = process.argv.slice(2);
const table = { keygen: cmdKeygen, public: cmdPublic, pki: cmdPki, issue: cmdIssue, present: cmdPresent, verify: cmdVerify };
if (!cmd || cmd === '-h' || cmd === '--help') {
  process.stdout.write(fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).slice(0, 22).map((l) => l.slice(3)).join('\n') + '\n');
  process.exit(cmd ? 0 : 2);
}
if (!table[cmd]) die(2, `unknown subcommand ${cmd}`);
table[cmd](rest).catch((err) => die(1, `${cmd} failed: ${err?.stack ?? err}`));
