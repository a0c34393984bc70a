#!/usr/bin/env node
// Byte-level helpers for the mdoc interop harness (no mdoc library loaded; lib/cbor-lite.mjs).
//
//   tool.mjs diag [FILE]                       CBOR diagnostic notation (tag 24 contents expanded)
//   tool.mjs transcript --client-id ID --nonce N --response-uri URI [--tag24]
//                                              OpenID4VP 1.0 SessionTranscript
//                                              [null, null, ["OpenID4VPHandover",
//                                               SHA-256(cbor([client_id, nonce, null, response_uri]))]]
//                                              (array, or SessionTranscriptBytes with --tag24)
//   tool.mjs wrap-tag24 < FILE                 #6.24(bstr FILE)
//   tool.mjs tamper --element NS/ELEMENT [--doc N] < device_response > tampered
//                                              flip one byte inside that IssuerSignedItem's
//                                              elementValue (text: XOR 0x01 on the first
//                                              character; bytes: last byte; other: last byte of
//                                              the value's encoding); prints what changed on stderr
//   tool.mjs set-status N < device_response    rewrite the top-level status (same length if N<24)
//   tool.mjs reader-jwk --d HEXFILE --x HEXFILE --y HEXFILE
//                                              P-256 private JWK from raw hex scalars (Annex D keys)
//   tool.mjs attach-payload --transcript FILE [--doc N] < device_response
//                                              replace the detached (null) deviceSignature payload
//                                              with DeviceAuthenticationBytes built from FILE's
//                                              SessionTranscript (probe: which verifier trusts an
//                                              attached payload instead of its own transcript?)
//   tool.mjs noncanonical --element NS/ELEMENT [--doc N] < device_response
//                                              re-encode that IssuerSignedItem with a non-preferred
//                                              (one byte longer) text-string header for its
//                                              elementValue: same decoded value, different bytes,
//                                              so its digest over the received bytes must fail
//   tool.mjs device-request --doctype T --element NS/ELEMENT...
//                                              DeviceRequest {version, docRequests:[{itemsRequest:
//                                              #6.24(ItemsRequest)}]} (no readerAuth)
//   tool.mjs info < FILE                       JSON: kind, docType, disclosed elements, deviceAuth kind,
//                                              header quirks (kid undefined, x5chain form, payload attached)

import fs from 'node:fs';
import crypto from 'node:crypto';
import * as C from './lib/cbor-lite.mjs';

function die(code, msg) { process.stderr.write(`tool.mjs: ${msg}\n`); process.exit(code); }
function arg(argv, name, required = true) {
  const i = argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= argv.length) { if (required) die(2, `--${name} is required`); return undefined; }
  return argv[i + 1];
}
const input = (argv) => new Uint8Array(argv[0] && !argv[0].startsWith('--') ? fs.readFileSync(argv[0]) : fs.readFileSync(0));
const out = (b) => process.stdout.write(Buffer.from(b));

function docOf(bytes, n = 0) {
  const root = C.parseAll(bytes);
  const docs = C.mapGet(root, 'documents');
  if (!docs?.items?.[n]) die(1, `no documents[${n}]`);
  return { root, doc: docs.items[n] };
}

const cmds = {
  diag(argv) { const b = input(argv); process.stdout.write(C.diag(b, C.parseAll(b)) + '\n'); },

  transcript(argv) {
    const info = C.encode([arg(argv, 'client-id'), arg(argv, 'nonce'), null, arg(argv, 'response-uri')]);
    const hash = new Uint8Array(crypto.createHash('sha256').update(info).digest());
    const st = C.encode([null, null, ['OpenID4VPHandover', hash]]);
    out(argv.includes('--tag24') ? C.wrap24(st) : st);
  },

  'wrap-tag24'() { out(C.wrap24(new Uint8Array(fs.readFileSync(0)))); },

  tamper(argv) {
    const spec = arg(argv, 'element');
    const n = Number(arg(argv, 'doc', false) ?? 0);
    const i = spec.lastIndexOf('/');
    const ns = spec.slice(0, i), el = spec.slice(i + 1);
    const bytes = new Uint8Array(fs.readFileSync(0));
    const { doc } = docOf(bytes, n);
    const items = C.mapGet(C.mapGet(C.mapGet(doc, 'issuerSigned'), 'nameSpaces'), ns);
    if (!items) die(1, `namespace ${ns} not disclosed`);
    for (const it of items.items) {
      const inner = C.unwrap24(bytes, it);
      if (C.mapGet(inner.node, 'elementIdentifier')?.value !== el) continue;
      const v = C.mapGet(inner.node, 'elementValue');
      let off;
      if (v.major === 3 && v.value.length) off = v.hdrEnd;           // first character
      else if (v.major === 2 && v.value.length) off = v.end - 1;     // last byte
      else off = v.end - 1;                                          // last byte of the encoding
      const abs = inner.base + off;
      const copy = new Uint8Array(bytes);
      const before = copy[abs];
      copy[abs] = v.major === 3 ? before ^ 0x01 : before ^ 0x01;
      try { C.parseAll(copy); } catch (e) { die(1, `tampering broke the CBOR: ${e.message}`); }
      process.stderr.write(`tool.mjs: ${ns}/${el}: byte ${abs} 0x${before.toString(16).padStart(2, '0')} -> 0x${copy[abs].toString(16).padStart(2, '0')}\n`);
      return out(copy);
    }
    die(1, `element ${spec} not disclosed`);
  },

  'set-status'(argv) {
    const n = Number(argv[0]);
    if (!(n >= 0 && n < 24)) die(2, 'set-status N with 0 <= N < 24');
    const bytes = new Uint8Array(fs.readFileSync(0));
    const st = C.mapGet(C.parseAll(bytes), 'status');
    if (!st || st.major !== 0 || st.end - st.start !== 1) die(1, 'no one-byte top-level status');
    const copy = new Uint8Array(bytes);
    copy[st.start] = n;
    out(copy);
  },

  'attach-payload'(argv) {
    const n = Number(arg(argv, 'doc', false) ?? 0);
    const tb = new Uint8Array(fs.readFileSync(arg(argv, 'transcript')));
    let tn = C.parseAll(tb);
    const stArray = tn.major === 6 && tn.tag === 24 ? C.unwrap24(tb, tn).bytes : tb;
    const bytes = new Uint8Array(fs.readFileSync(0));
    const { doc } = docOf(bytes, n);
    const docType = C.mapGet(doc, 'docType').value;
    const ds = C.mapGet(doc, 'deviceSigned');
    const nsb = C.mapGet(ds, 'nameSpaces');
    const sig = C.mapGet(C.mapGet(ds, 'deviceAuth'), 'deviceSignature');
    if (!sig) die(1, 'no deviceSignature');
    const payload = sig.items[2];
    if (payload.major !== 7 || payload.value !== null) die(1, 'deviceSignature payload is already attached');
    const da = C.encode(new C.Tagged(24, C.encode(['DeviceAuthentication', new C.Raw(stArray), docType, new C.Raw(bytes.subarray(nsb.start, nsb.end))])));
    const res = C.concat([bytes.subarray(0, payload.start), C.encode(da), bytes.subarray(payload.end)]);
    C.parseAll(res);
    out(res);
  },

  noncanonical(argv) {
    const spec = arg(argv, 'element');
    const n = Number(arg(argv, 'doc', false) ?? 0);
    const i = spec.lastIndexOf('/');
    const ns = spec.slice(0, i), el = spec.slice(i + 1);
    const bytes = new Uint8Array(fs.readFileSync(0));
    const { doc } = docOf(bytes, n);
    const items = C.mapGet(C.mapGet(C.mapGet(doc, 'issuerSigned'), 'nameSpaces'), ns);
    for (const it of items?.items ?? []) {
      const inner = C.unwrap24(bytes, it);
      if (C.mapGet(inner.node, 'elementIdentifier')?.value !== el) continue;
      const v = C.mapGet(inner.node, 'elementValue');
      if (v.major !== 3 || v.info >= 24) die(1, `${spec}: value is not a short text string`);
      const ib = inner.bytes;
      const newInner = C.concat([ib.subarray(0, v.start), Uint8Array.of(0x78, v.info), ib.subarray(v.hdrEnd)]);
      C.parseAll(newInner);
      const item = C.encode(new C.Tagged(24, newInner));
      const res = C.concat([bytes.subarray(0, it.start), item, bytes.subarray(it.end)]);
      C.parseAll(res);
      process.stderr.write(`tool.mjs: ${spec}: text header 0x${(0x60 + v.info).toString(16)} -> 0x78 0x${v.info.toString(16).padStart(2, '0')}\n`);
      return out(res);
    }
    die(1, `element ${spec} not disclosed`);
  },

  'device-request'(argv) {
    const docType = arg(argv, 'doctype');
    const i = argv.indexOf('--element');
    const els = [];
    for (let j = i + 1; i >= 0 && j < argv.length && !argv[j].startsWith('--'); j++) els.push(argv[j]);
    if (!els.length) die(2, '--element NS/ELEMENT... is required');
    const nss = new Map();
    for (const e of els) {
      const k = e.lastIndexOf('/');
      const ns = e.slice(0, k);
      if (!nss.has(ns)) nss.set(ns, new Map());
      nss.get(ns).set(e.slice(k + 1), false);
    }
    const items = C.encode(new Map([['docType', docType], ['nameSpaces', nss]]));
    out(C.encode(new Map([['version', '1.0'], ['docRequests', [new Map([['itemsRequest', new C.Tagged(24, items)]])]]])));
  },

  'reader-jwk'(argv) {
    const h = (f) => Buffer.from(fs.readFileSync(f, 'utf8').trim(), 'hex').toString('base64url');
    process.stdout.write(JSON.stringify({ kty: 'EC', crv: 'P-256', x: h(arg(argv, 'x')), y: h(arg(argv, 'y')), d: h(arg(argv, 'd')) }) + '\n');
  },

  info(argv) {
    const bytes = input(argv);
    const root = C.parseAll(bytes);
    const res = {};
    const coseInfo = (n) => {
      if (!n || n.major !== 4) return null;
      const prot = n.items[0].major === 2 && n.items[0].value.length ? C.toJs(C.parseAll(n.items[0].value)) : new Map();
      const un = n.items[1];
      const kid = un.entries?.find(([k]) => k.value === 4)?.[1];
      const x5 = un.entries?.find(([k]) => k.value === 33)?.[1];
      return {
        alg: prot.has?.(1) ? (prot.get(1) === undefined ? 'undefined' : prot.get(1)) : null,
        kid: kid ? (kid.major === 7 ? String(kid.value) : kid.major === 2 ? 'bstr' : kid.major === 3 ? 'tstr' : `major ${kid.major}`) : null,
        x5chain: x5 ? (x5.major === 2 ? 'bstr' : `array[${x5.items.length}]`) : null,
        payload: n.items[2].major === 7 ? 'null' : `attached (${n.items[2].value.length} bytes)`,
      };
    };
    const msoInfo = (ia) => {
      try {
        const p = C.parseAll(ia.items[2].value);
        const mso = C.parseAll(p.inner.value);
        const dk = C.mapGet(C.mapGet(mso, 'deviceKeyInfo'), 'deviceKey');
        const kid = dk?.entries?.find(([k]) => k.value === 2)?.[1];
        const vi = C.mapGet(mso, 'validityInfo');
        return {
          docType: C.mapGet(mso, 'docType')?.value,
          deviceKeyKid: kid ? (kid.major === 2 ? 'bstr' : kid.major === 3 ? 'tstr' : `major ${kid.major}`) : null,
          validity: Object.fromEntries((vi?.entries ?? []).map(([k, v]) => [k.value, v.major === 6 ? `${v.tag}(${v.inner.value})` : v.value])),
        };
      } catch (e) { return { error: e.message }; }
    };
    if (C.mapGet(root, 'issuerAuth')) {
      res.kind = 'IssuerSigned';
      res.issuerAuth = coseInfo(C.mapGet(root, 'issuerAuth'));
      res.mso = msoInfo(C.mapGet(root, 'issuerAuth'));
      return process.stdout.write(JSON.stringify(res, null, 2) + '\n');
    }
    res.kind = 'DeviceResponse';
    res.version = C.mapGet(root, 'version')?.value ?? null;
    res.status = C.mapGet(root, 'status')?.value ?? null;
    res.documents = (C.mapGet(root, 'documents')?.items ?? []).map((doc) => {
      const is = C.mapGet(doc, 'issuerSigned');
      const ds = C.mapGet(doc, 'deviceSigned');
      const da = C.mapGet(ds, 'deviceAuth');
      const nss = C.mapGet(is, 'nameSpaces');
      return {
        docType: C.mapGet(doc, 'docType')?.value,
        disclosed: Object.fromEntries((nss?.entries ?? []).map(([k, v]) => [k.value, v.items.map((it) => C.mapGet(C.unwrap24(bytes, it).node, 'elementIdentifier')?.value)])),
        issuerAuth: coseInfo(C.mapGet(is, 'issuerAuth')),
        mso: msoInfo(C.mapGet(is, 'issuerAuth')),
        deviceAuth: da ? Object.fromEntries(da.entries.map(([k, v]) => [k.value, coseInfo(v)])) : null,
      };
    });
    process.stdout.write(JSON.stringify(res, null, 2) + '\n');
  },
};

const [cmd, ...rest] = process.argv.slice(2);
if (!cmds[cmd]) die(2, `usage: tool.mjs ${Object.keys(cmds).join('|')} ...`);
cmds[cmd](rest);
