// Minimal, dependency-free CBOR reader/writer for the mdoc interop harness.
//
// Why not cbor-x: both peers (@auth0/mdl and @owf/mdoc) register *global* cbor-x extensions for
// tags 0, 17, 18, 24 and 1004, so any cbor-x use here would be coloured by whichever library was
// loaded. This module never decodes into library objects: `parse` returns a node tree that keeps
// every item's byte span, so the harness can cut, wrap and tamper byte-exactly (a tampered
// response differs from the original in exactly one byte).

export class CborError extends Error {}

const te = new TextEncoder();
const td = new TextDecoder('utf-8', { fatal: true });

// ------------------------------------------------------------------ reading
// Node: { major, info, start, end, hdrEnd, value, items?, entries?, tag?, inner? }
//  major 0/1: value = Number or BigInt; 2: value = Uint8Array (content); 3: value = string;
//  4: items = [Node]; 5: entries = [[Node, Node]]; 6: tag = Number, inner = Node;
//  7: value = false/true/null/undefined/Number (float) or {simple: n}.
export function parse(buf, pos = 0) {
  const b = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const node = readItem(b, pos);
  return node;
}

export function parseAll(buf) {
  const b = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const node = readItem(b, 0);
  if (node.end !== b.length) throw new CborError(`trailing bytes after CBOR item (${b.length - node.end})`);
  return node;
}

function readArg(b, pos, info) {
  if (info < 24) return [info, pos];
  if (info === 24) { need(b, pos, 1); return [b[pos], pos + 1]; }
  if (info === 25) { need(b, pos, 2); return [(b[pos] << 8) | b[pos + 1], pos + 2]; }
  if (info === 26) { need(b, pos, 4); return [((b[pos] << 24) >>> 0) + (b[pos + 1] << 16) + (b[pos + 2] << 8) + b[pos + 3], pos + 4]; }
  if (info === 27) {
    need(b, pos, 8);
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(b[pos + i]);
    return [v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v, pos + 8];
  }
  if (info === 31) return [null, pos]; // indefinite length
  throw new CborError(`reserved additional information ${info} at ${pos - 1}`);
}

function need(b, pos, n) {
  if (pos + n > b.length) throw new CborError(`truncated CBOR at ${pos}`);
}

function readItem(b, pos) {
  need(b, pos, 1);
  const start = pos;
  const ib = b[pos++];
  const major = ib >> 5;
  const info = ib & 0x1f;
  if (major === 7) {
    if (info < 20) return { major, info, start, end: pos, hdrEnd: pos, value: { simple: info } };
    if (info === 20) return { major, info, start, end: pos, hdrEnd: pos, value: false };
    if (info === 21) return { major, info, start, end: pos, hdrEnd: pos, value: true };
    if (info === 22) return { major, info, start, end: pos, hdrEnd: pos, value: null };
    if (info === 23) return { major, info, start, end: pos, hdrEnd: pos, value: undefined };
    if (info === 24) { need(b, pos, 1); return { major, info, start, end: pos + 1, hdrEnd: pos + 1, value: { simple: b[pos] } }; }
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (info === 25) { need(b, pos, 2); return { major, info, start, end: pos + 2, hdrEnd: pos + 2, value: half(dv.getUint16(pos)) }; }
    if (info === 26) { need(b, pos, 4); return { major, info, start, end: pos + 4, hdrEnd: pos + 4, value: dv.getFloat32(pos) }; }
    if (info === 27) { need(b, pos, 8); return { major, info, start, end: pos + 8, hdrEnd: pos + 8, value: dv.getFloat64(pos) }; }
    throw new CborError(`unexpected break/reserved simple at ${start}`);
  }
  let arg;
  [arg, pos] = readArg(b, pos, info);
  const hdrEnd = pos;
  switch (major) {
    case 0: return { major, info, start, end: pos, hdrEnd, value: arg };
    case 1: return { major, info, start, end: pos, hdrEnd, value: typeof arg === 'bigint' ? -1n - arg : -1 - arg };
    case 2:
    case 3: {
      let bytes;
      if (arg === null) {
        const parts = [];
        while (true) {
          need(b, pos, 1);
          if (b[pos] === 0xff) { pos++; break; }
          const chunk = readItem(b, pos);
          if (chunk.major !== major) throw new CborError(`bad chunk in indefinite string at ${pos}`);
          parts.push(major === 2 ? chunk.value : te.encode(chunk.value));
          pos = chunk.end;
        }
        bytes = concat(parts);
      } else {
        need(b, pos, arg);
        bytes = b.subarray(pos, pos + arg);
        pos += arg;
      }
      let value = bytes;
      if (major === 3) {
        try { value = td.decode(bytes); } catch { throw new CborError(`invalid UTF-8 in text string at ${start}`); }
      }
      return { major, info, start, end: pos, hdrEnd, value, indefinite: arg === null };
    }
    case 4: {
      const items = [];
      if (arg === null) {
        while (true) { need(b, pos, 1); if (b[pos] === 0xff) { pos++; break; } const it = readItem(b, pos); items.push(it); pos = it.end; }
      } else {
        for (let i = 0; i < arg; i++) { const it = readItem(b, pos); items.push(it); pos = it.end; }
      }
      return { major, info, start, end: pos, hdrEnd, items, indefinite: arg === null };
    }
    case 5: {
      const entries = [];
      const read = () => { const k = readItem(b, pos); pos = k.end; const v = readItem(b, pos); pos = v.end; entries.push([k, v]); };
      if (arg === null) {
        while (true) { need(b, pos, 1); if (b[pos] === 0xff) { pos++; break; } read(); }
      } else {
        for (let i = 0; i < arg; i++) read();
      }
      return { major, info, start, end: pos, hdrEnd, entries, indefinite: arg === null };
    }
    case 6: {
      const inner = readItem(b, pos);
      return { major, info, start, end: inner.end, hdrEnd, tag: Number(arg), inner };
    }
    default:
      throw new CborError(`bad major type ${major}`);
  }
}

function half(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

export function concat(parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

// Map lookup by text key (returns the value node or undefined).
export function mapGet(node, key) {
  if (!node || node.major !== 5) return undefined;
  for (const [k, v] of node.entries) if (k.major === 3 && k.value === key) return v;
  for (const [k, v] of node.entries) if ((k.major === 0 || k.major === 1) && k.value === key) return v;
  return undefined;
}

// The CBOR item inside a tag-24 wrapped byte string ("#6.24(bstr .cbor X)"), parsed, with the
// absolute offset of its first byte in the outer buffer.
export function unwrap24(buf, node) {
  if (node.major !== 6 || node.tag !== 24 || node.inner.major !== 2) throw new CborError('expected #6.24(bstr)');
  const base = node.inner.hdrEnd;
  const innerBytes = buf.subarray(base, node.inner.end);
  return { base, bytes: innerBytes, node: parseAll(innerBytes) };
}

// Convert a node tree to plain JS (Map for maps, Uint8Array for bytes, {tag, value} for tags).
export function toJs(node) {
  switch (node.major) {
    case 0: case 1: case 2: case 3: case 7: return node.value;
    case 4: return node.items.map(toJs);
    case 5: return new Map(node.entries.map(([k, v]) => [toJs(k), toJs(v)]));
    case 6: return { tag: node.tag, value: toJs(node.inner) };
    default: throw new CborError('bad node');
  }
}

// ------------------------------------------------------------------ writing
// encode(value): null, undefined, booleans, integers (Number/BigInt), strings, Uint8Array, arrays,
// Map (insertion order), plain objects (insertion order), Tagged, Raw (pre-encoded bytes).
export class Tagged { constructor(tag, value) { this.tag = tag; this.value = value; } }
export class Raw { constructor(bytes) { this.bytes = bytes; } }

function head(major, n) {
  if (typeof n === 'bigint') {
    if (n < 24n) return Uint8Array.of((major << 5) | Number(n));
    const out = new Uint8Array(9); out[0] = (major << 5) | 27;
    for (let i = 8; i >= 1; i--) { out[i] = Number(n & 0xffn); n >>= 8n; }
    return out;
  }
  if (n < 24) return Uint8Array.of((major << 5) | n);
  if (n < 0x100) return Uint8Array.of((major << 5) | 24, n);
  if (n < 0x10000) return Uint8Array.of((major << 5) | 25, n >> 8, n & 0xff);
  if (n < 0x100000000) return Uint8Array.of((major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  return head(major, BigInt(n));
}

export function encode(v) {
  const parts = [];
  enc(v, parts);
  return concat(parts);
}

function enc(v, out) {
  if (v === null) return out.push(Uint8Array.of(0xf6));
  if (v === undefined) return out.push(Uint8Array.of(0xf7));
  if (v === false) return out.push(Uint8Array.of(0xf4));
  if (v === true) return out.push(Uint8Array.of(0xf5));
  if (v instanceof Raw) return out.push(v.bytes);
  if (typeof v === 'bigint') return out.push(v >= 0n ? head(0, v) : head(1, -1n - v));
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) {
      const b = new Uint8Array(9); b[0] = 0xfb; new DataView(b.buffer).setFloat64(1, v); return out.push(b);
    }
    return out.push(v >= 0 ? head(0, v) : head(1, -1 - v));
  }
  if (typeof v === 'string') { const s = te.encode(v); out.push(head(3, s.length)); return out.push(s); }
  if (v instanceof Uint8Array) { out.push(head(2, v.length)); return out.push(v); }
  if (v instanceof Tagged) { out.push(head(6, v.tag)); return enc(v.value, out); }
  if (Array.isArray(v)) { out.push(head(4, v.length)); for (const x of v) enc(x, out); return; }
  if (v instanceof Map) { out.push(head(5, v.size)); for (const [k, x] of v) { enc(k, out); enc(x, out); } return; }
  if (typeof v === 'object') { const e = Object.entries(v); out.push(head(5, e.length)); for (const [k, x] of e) { enc(k, out); enc(x, out); } return; }
  throw new CborError(`cannot encode ${typeof v}`);
}

export const wrap24 = (bytes) => encode(new Tagged(24, bytes));

// ------------------------------------------------------------------ diagnostic notation
export function diag(buf, node = parse(buf), depth = 0, maxBytes = 48) {
  const ind = '  '.repeat(depth);
  switch (node.major) {
    case 0: case 1: return String(node.value);
    case 2: {
      const h = Buffer.from(node.value).toString('hex');
      return `h'${h.length > maxBytes * 2 ? h.slice(0, maxBytes * 2) + `…(${node.value.length} bytes)` : h}'`;
    }
    case 3: return JSON.stringify(node.value);
    case 4: {
      if (!node.items.length) return '[]';
      return `[\n${node.items.map((i) => ind + '  ' + diag(buf, i, depth + 1, maxBytes)).join(',\n')}\n${ind}]`;
    }
    case 5: {
      if (!node.entries.length) return '{}';
      const hdr = node.info >= 24 && node.info !== 31 && node.entries.length < 24 ? `/* non-preferred map header */ ` : '';
      return `${hdr}{\n${node.entries.map(([k, v]) => `${ind}  ${diag(buf, k, depth + 1, maxBytes)}: ${diag(buf, v, depth + 1, maxBytes)}`).join(',\n')}\n${ind}}`;
    }
    case 6: {
      if (node.tag === 24 && node.inner.major === 2) {
        try {
          const inner = parseAll(node.inner.value);
          return `24(<< ${diag(node.inner.value, inner, depth, maxBytes)} >>)`;
        } catch { /* fall through */ }
      }
      return `${node.tag}(${diag(buf, node.inner, depth, maxBytes)})`;
    }
    case 7: {
      const v = node.value;
      if (v === undefined) return 'undefined';
      if (v && typeof v === 'object') return `simple(${v.simple})`;
      return String(v);
    }
    default: return '?';
  }
}
