#!/usr/bin/env node
// SD-JWT VC interop peer built on OpenWallet sd-jwt-js 0.19.0
// (@sd-jwt/sd-jwt-vc, @sd-jwt/core, @sd-jwt/crypto-nodejs).
//
// Subcommands (ES256 only):
//   keygen                                   private JWK (kid = RFC 7638 thumbprint) on stdout
//   public < private.jwk                     public JWK on stdout
//   issue --key issuer.jwk --iss URL --vct VCT --claims claims.json --holder holder.pub.jwk
//         [--sd-all] [--exp SECONDS]         dc+sd-jwt issuance (compact, trailing '~') on stdout
//   present --credential FILE --disclose NAME_OR_POINTER... --holder-key holder.jwk --aud AUD --nonce NONCE
//                                            SD-JWT+KB on stdout
//   verify --issuer-key pub.jwk --aud AUD --nonce NONCE < presentation
//                                            verified (processed) claims as JSON on stdout, exit 1 on rejection
//
// The API used (SDJwtVcInstance.issue/present/verify/presentableKeys, ES256.getSigner/getVerifier,
// digest, generateSalt) was read from node_modules/@sd-jwt/*/dist/index.mjs. Where the library is
// lenient (see ../README.md) the checks this peer adds are marked "harness check";
// PEER_LIBRARY_ONLY=1 turns them off.

import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { ES256, digest, generateSalt } from '@sd-jwt/crypto-nodejs';

const TYP = 'dc+sd-jwt';
const ALG = 'ES256';
// Registered claims kept in the clear; sd-jwt-vc refuses iss/nbf/exp/cnf/vct/status in _sd anyway.
const RESERVED = new Set(['iss', 'nbf', 'exp', 'iat', 'cnf', 'vct', 'status', '_sd', '_sd_alg']);
const KB_IAT_WINDOW = 300; // seconds; harness check, the library only checks that iat exists

function die(code, msg) {
  process.stderr.write(`peer.mjs: ${msg}\n`);
  process.exit(code);
}

function parseArgs(argv, spec) {
  // spec: { name: 'string' | 'bool' | 'list' }
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) die(2, `unexpected argument ${a}`);
    const name = a.slice(2);
    const kind = spec[name];
    if (!kind) die(2, `unknown option ${a}`);
    if (kind === 'bool') out[name] = true;
    else if (kind === 'list') {
      out[name] = out[name] || [];
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[name].push(argv[++i]);
    } else {
      if (i + 1 >= argv.length) die(2, `${a} needs a value`);
      out[name] = argv[++i];
    }
  }
  for (const [name, kind] of Object.entries(spec)) {
    if (kind === 'string' && out[name] === undefined) die(2, `--${name} is required`);
  }
  return out;
}

const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const readStdin = () => readFileSync(0, 'utf8');
const b64uJson = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));

// Hand WebCrypto the key members only: its JWK import checks alg/use/key_ops/ext when present.
function ecKey(jwk, priv) {
  const k = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
  if (priv) k.d = jwk.d;
  if (k.kty !== 'EC' || k.crv !== 'P-256') die(2, `only EC P-256 keys are supported, got ${jwk.kty}/${jwk.crv}`);
  return k;
}

function publicJwk(jwk) {
  const { d, ...pub } = jwk;
  return pub;
}

function thumbprint(jwk) {
  const canon = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canon).digest('base64url');
}

function sdjwtInstance(extra = {}) {
  return new SDJwtVcInstance({
    hasher: digest,
    hashAlg: 'sha-256',
    saltGenerator: generateSalt,
    ...extra,
  });
}

// ------------------------------------------------------------------ issue

// Disclosure frame: every object key and every array element selectively disclosable, recursively.
function frameFor(value, top = false) {
  if (Array.isArray(value)) {
    const f = { _sd: value.map((_, i) => i) };
    value.forEach((v, i) => {
      if (v && typeof v === 'object') f[i] = frameFor(v);
    });
    return f;
  }
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => !(top && RESERVED.has(k)));
    const f = { _sd: keys };
    for (const k of keys) if (value[k] && typeof value[k] === 'object') f[k] = frameFor(value[k]);
    return f;
  }
  return undefined;
}

async function cmdIssue(argv) {
  const a = parseArgs(argv, {
    key: 'string', iss: 'string', vct: 'string', claims: 'string', holder: 'string',
    'sd-all': 'bool', exp: 'opt',
  });
  const issuerJwk = readJson(a.key);
  const holderPub = publicJwk(readJson(a.holder));
  const claims = readJson(a.claims);
  const now = Math.floor(Date.now() / 1000);
  const exp = a.exp === undefined ? 86400 : Number(a.exp);
  const payload = {
    iss: a.iss,
    vct: a.vct,
    iat: now,
    ...(exp ? { exp: now + exp } : {}),
    cnf: { jwk: holderPub },
    ...claims,
  };
  const frame = frameFor(claims, true); // --sd-all is the default and only mode
  const sdjwt = sdjwtInstance({ signer: await ES256.getSigner(ecKey(issuerJwk, true)), signAlg: ALG });
  const header = issuerJwk.kid ? { kid: issuerJwk.kid } : {};
  // header.typ defaults to 'dc+sd-jwt' in SDJwtVcInstance; set explicitly anyway.
  const out = await sdjwt.issue(payload, frame, { header: { typ: TYP, ...header } });
  process.stdout.write(out + '\n');
}

// ------------------------------------------------------------------ present

async function cmdPresent(argv) {
  const a = parseArgs(argv, {
    credential: 'string', disclose: 'list', 'holder-key': 'string', aud: 'string', nonce: 'string',
  });
  const credential = readFileSync(a.credential, 'utf8').trim();
  const holderJwk = readJson(a['holder-key']);
  const sdjwt = sdjwtInstance({
    kbSigner: await ES256.getSigner(ecKey(holderJwk, true)),
    kbSignAlg: ALG,
  });
  // presentableKeys: dotted paths of every disclosure, e.g. "address", "address.locality",
  // "nationalities", "nationalities.0". Array positions in these paths count the elements of the
  // issuer-signed array, decoy digests included, so pointers (which count claim values) are mapped
  // through the signed payload first. A pointer selects its path, the ancestors on the way, and
  // everything below it.
  const keys = await sdjwt.presentableKeys(credential);
  const decoded = await sdjwt.decode(credential);
  const byDigest = {};
  for (const d of decoded.disclosures) byDigest[await d.digest({ hasher: digest, alg: 'sha-256' })] = d;
  const ptrToDot = {};
  const walk = (node, ptr, dot) => {
    if (Array.isArray(node)) {
      let n = 0;
      node.forEach((item, idx) => {
        const isRef = item && typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length === 1 && '...' in item;
        if (isRef && !byDigest[item['...']]) return; // decoy
        const p = `${ptr}/${n++}`;
        const d = dot ? `${dot}.${idx}` : `${idx}`;
        ptrToDot[p] = d;
        walk(isRef ? byDigest[item['...']].value : item, p, d);
      });
    } else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === '_sd') {
          for (const h of v) {
            const disc = byDigest[h];
            if (disc && disc.key !== undefined) {
              const p = `${ptr}/${disc.key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
              const d = dot ? `${dot}.${disc.key}` : disc.key;
              ptrToDot[p] = d;
              walk(disc.value, p, d);
            }
          }
        } else if (k !== '_sd_alg') {
          const p = `${ptr}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
          const d = dot ? `${dot}.${k}` : k;
          ptrToDot[p] = d;
          walk(v, p, d);
        }
      }
    }
  };
  walk(decoded.jwt.payload, '', '');
  const frame = {};
  for (const p of a.disclose || []) {
    const ptr = p.startsWith('/') ? p : `/${p}`; // a plain name is a top-level claim
    const dotted = ptrToDot[ptr];
    if (dotted === undefined) die(2, `nothing to disclose at ${p}`);
    const selected = keys.filter((k) => k === dotted || k.startsWith(dotted + '.'));
    const path = ptr.slice(1).split('/');
    for (let i = 1; i < path.length; i++) {
      const anc = ptrToDot['/' + path.slice(0, i).join('/')];
      if (keys.includes(anc)) selected.push(anc);
    }
    for (const k of selected) {
      let f = frame;
      const parts = k.split('.');
      parts.forEach((part, i) => {
        if (i === parts.length - 1) {
          if (f[part] === undefined) f[part] = true;
        } else {
          if (f[part] === undefined || f[part] === true) f[part] = {};
          f = f[part];
        }
      });
    }
  }
  const out = await sdjwt.present(credential, frame, {
    kb: { payload: { iat: Math.floor(Date.now() / 1000), aud: a.aud, nonce: a.nonce } },
  });
  process.stdout.write(out + '\n');
}

// ------------------------------------------------------------------ verify

async function cmdVerify(argv) {
  const a = parseArgs(argv, { 'issuer-key': 'string', aud: 'string', nonce: 'string' });
  const presentation = readStdin().trim();
  const issuerPub = ecKey(readJson(a['issuer-key']), false);
  // PEER_LIBRARY_ONLY=1 turns the harness checks off, to show what the library alone accepts.
  const strict = process.env.PEER_LIBRARY_ONLY !== '1';
  try {
    // harness check: the library never looks at the issuer-signed JWT's typ or alg
    const header = b64uJson(presentation.split('~')[0].split('.')[0]);
    if (strict && header.typ !== TYP) throw new Error(`typ is ${JSON.stringify(header.typ)}, expected ${TYP}`);
    if (strict && header.alg !== ALG) throw new Error(`alg is ${JSON.stringify(header.alg)}, expected ${ALG}`);
    const issuerVerifier = await ES256.getVerifier(issuerPub);
    const sdjwt = sdjwtInstance({
      verifier: (data, sig) => issuerVerifier(data, sig),
      // The KB-JWT is checked against cnf.jwk of the verified issuer-signed payload.
      kbVerifier: async (data, sig, payload) => {
        const jwk = payload && payload.cnf && payload.cnf.jwk;
        if (!jwk) throw new Error('no cnf.jwk in the SD-JWT');
        return (await ES256.getVerifier(ecKey(jwk, false)))(data, sig);
      },
    });
    // keyBindingNonce makes the library require and verify the KB-JWT (typ kb+jwt, signature,
    // nonce, sd_hash); it checks exp/nbf/iat of the issuer-signed JWT against the clock.
    const res = await sdjwt.verify(presentation, { keyBindingNonce: a.nonce });
    if (!res.kb) throw new Error('no key binding');
    // harness checks: the library ignores the KB-JWT aud and iat values
    if (strict && res.kb.payload.aud !== a.aud) throw new Error(`KB-JWT aud ${JSON.stringify(res.kb.payload.aud)} != ${a.aud}`);
    const now = Math.floor(Date.now() / 1000);
    const iat = res.kb.payload.iat;
    if (strict && (typeof iat !== 'number' || Math.abs(now - iat) > KB_IAT_WINDOW)) {
      throw new Error(`KB-JWT iat ${iat} is not within ${KB_IAT_WINDOW}s of now`);
    }
    process.stdout.write(JSON.stringify(sortKeys(res.payload)) + '\n');
  } catch (e) {
    die(1, `rejected: ${e.name || 'Error'}: ${e.message}`);
  }
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  }
  return v;
}

// ------------------------------------------------------------------ keys

async function cmdKeygen() {
  const { privateKey } = await ES256.generateKeyPair();
  const jwk = ecKey(privateKey, true);
  jwk.kid = thumbprint(jwk);
  process.stdout.write(JSON.stringify(jwk) + '\n');
}

async function cmdPublic() {
  process.stdout.write(JSON.stringify(publicJwk(JSON.parse(readStdin()))) + '\n');
}

const [cmd, ...rest] = process.argv.slice(2);
const cmds = { issue: cmdIssue, present: cmdPresent, verify: cmdVerify, keygen: cmdKeygen, public: cmdPublic };
if (!cmds[cmd]) die(2, `usage: peer.mjs ${Object.keys(cmds).join('|')} ...`);
cmds[cmd](rest).catch((e) => die(1, `${e.name || 'Error'}: ${e.message}`));
