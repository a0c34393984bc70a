#!/usr/bin/env node
// Claims expectations for the mdoc interop harness.
//
//   claims.mjs expect --claims claims.json --disclose NS/ELEMENT...   expected {ns: {el: value}} JSON
//   claims.mjs compare EXPECTED.json REPORT.json                      exit 0 if REPORT's "claims"
//                                                                     equal EXPECTED, else 1 + diff
//
// Values are compared in the claims.json convention: full-date "YYYY-MM-DD", {"bytes_b64"},
// {"tdate"}. A verifier may print them differently, so the actual side is normalised first:
//   bytes: {"bytes_b64"|"b64"|"base64"|"bytes": s}, {"hex": s}, or a string equal to the
//          base64 / base64url / hex of the expected bytes;
//   full-date: "YYYY-MM-DD", {"full-date"|"full_date"|"date": s}, {"tag": 1004, "value": s};
//   tdate: {"tdate": s}, {"tag": 0, "value": s} or a plain RFC 3339 string (compared as instants).
// Every such tolerance used is listed on stderr, so the report shows how the verifier printed it.

import fs from 'node:fs';

const readJson = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));
const notes = new Set();

function asBytes(v) {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && ['bytes_b64', 'b64', 'base64', 'bytes'].includes(keys[0]) && typeof v[keys[0]] === 'string') {
      if (keys[0] !== 'bytes_b64') notes.add(`bytes printed as {"${keys[0]}"}`);
      return Buffer.from(v[keys[0]], 'base64');
    }
    if (keys.length === 1 && keys[0] === 'hex') { notes.add('bytes printed as {"hex"}'); return Buffer.from(v.hex, 'hex'); }
  }
  return null;
}

function eq(exp, act, where, diffs) {
  // bytes
  if (exp && typeof exp === 'object' && 'bytes_b64' in exp) {
    const want = Buffer.from(exp.bytes_b64, 'base64');
    let got = asBytes(act);
    if (!got && typeof act === 'string') {
      for (const [enc, name] of [['base64', 'base64 string'], ['base64url', 'base64url string'], ['hex', 'hex string']]) {
        if (Buffer.from(act, enc).equals(want) && Buffer.from(act, enc).toString(enc).replace(/=+$/, '') === act.replace(/=+$/, '')) { got = want; notes.add(`bytes printed as a ${name}`); break; }
      }
    }
    if (!got || !got.equals(want)) diffs.push(`${where}: bytes differ (expected ${want.length} bytes, got ${JSON.stringify(act)?.slice(0, 60)})`);
    return;
  }
  // tdate
  if (exp && typeof exp === 'object' && 'tdate' in exp) {
    let s = null;
    if (act && typeof act === 'object' && typeof act.tdate === 'string') s = act.tdate;
    else if (act && typeof act === 'object' && act.tag === 0) { s = act.value; notes.add('tdate printed as {"tag":0}'); }
    else if (typeof act === 'string') { s = act; notes.add('tdate printed as a plain string'); }
    if (s === null || new Date(s).getTime() !== new Date(exp.tdate).getTime()) diffs.push(`${where}: tdate ${JSON.stringify(exp.tdate)} != ${JSON.stringify(act)}`);
    return;
  }
  // full-date (expected side is a plain YYYY-MM-DD string)
  if (typeof exp === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(exp) && act && typeof act === 'object' && !Array.isArray(act)) {
    const k = Object.keys(act);
    let s;
    if (k.length === 1 && ['full-date', 'full_date', 'date'].includes(k[0])) s = act[k[0]];
    else if (act.tag === 1004) s = act.value;
    if (s !== undefined) { notes.add(`full-date printed as ${JSON.stringify(Object.keys(act))}`); if (s !== exp) diffs.push(`${where}: ${JSON.stringify(exp)} != ${JSON.stringify(act)}`); return; }
  }
  if (Array.isArray(exp)) {
    if (!Array.isArray(act) || act.length !== exp.length) { diffs.push(`${where}: expected array[${exp.length}], got ${JSON.stringify(act)?.slice(0, 80)}`); return; }
    exp.forEach((x, i) => eq(x, act[i], `${where}[${i}]`, diffs));
    return;
  }
  if (exp && typeof exp === 'object') {
    if (!act || typeof act !== 'object' || Array.isArray(act)) { diffs.push(`${where}: expected object, got ${JSON.stringify(act)?.slice(0, 80)}`); return; }
    const ek = Object.keys(exp).sort(), ak = Object.keys(act).sort();
    for (const k of ek) if (!(k in act)) diffs.push(`${where}.${k}: missing`);
    for (const k of ak) if (!(k in exp)) diffs.push(`${where}.${k}: unexpected (${JSON.stringify(act[k])?.slice(0, 60)})`);
    for (const k of ek) if (k in act) eq(exp[k], act[k], `${where}.${k}`, diffs);
    return;
  }
  if (exp !== act) diffs.push(`${where}: ${JSON.stringify(exp)} != ${JSON.stringify(act)?.slice(0, 80)}`);
}

const [cmd, ...argv] = process.argv.slice(2);
if (cmd === 'expect') {
  const ci = argv.indexOf('--claims');
  const claims = readJson(argv[ci + 1]);
  const di = argv.indexOf('--disclose');
  const out = {};
  for (let j = di + 1; j < argv.length && !argv[j].startsWith('--'); j++) {
    const s = argv[j];
    const k = s.lastIndexOf('/');
    const ns = s.slice(0, k), el = s.slice(k + 1);
    if (!(ns in claims) || !(el in claims[ns])) { process.stderr.write(`claims.mjs: ${s} not in claims\n`); process.exit(2); }
    (out[ns] ??= {})[el] = claims[ns][el];
  }
  process.stdout.write(JSON.stringify(out) + '\n');
} else if (cmd === 'compare') {
  const exp = readJson(argv[0]);
  const report = readJson(argv[1]);
  const diffs = [];
  eq(exp, report.claims ?? null, 'claims', diffs);
  if (notes.size) process.stderr.write(`claims.mjs: tolerated: ${[...notes].join('; ')}\n`);
  if (diffs.length) {
    process.stdout.write(diffs.slice(0, 6).join('; ') + (diffs.length > 6 ? `; … (${diffs.length} differences)` : '') + '\n');
    process.exit(1);
  }
} else {
  process.stderr.write('usage: claims.mjs expect|compare ...\n');
  process.exit(2);
}
