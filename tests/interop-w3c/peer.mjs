// The independent W3C VC Data Integrity peer: Digital Bazaar's @digitalbazaar/vc with
// @digitalbazaar/data-integrity and the eddsa-rdfc-2022, ecdsa-rdfc-2019, eddsa-jcs-2022 and
// ecdsa-jcs-2019 cryptosuites.
//
//   node peer.mjs keygen ed25519|p256|p384 OUT.jwk     private JWK (what vouch reads)
//   node peer.mjs did KEY.jwk                           the key's did:key
//   node peer.mjs issue SUITE KEY.jwk IN.json OUT.json  DataIntegrityProof, did:key method
//   node peer.mjs verify IN.json                        exit 0 verified, 1 rejected
//
// The document loader is static and offline: the contexts shipped in node_modules (VC 2.0,
// Data Integrity v2, Multikey v1), the VC 2.0 examples context, and did:key documents built
// from the key itself. Any other URL is an error.
import {readFileSync} from 'node:fs';
import {readFile, writeFile} from 'node:fs/promises';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {cryptosuite as ecdsaRdfc2019} from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import * as eddsaJcs2022 from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import * as ecdsaJcs2019 from '@digitalbazaar/ecdsa-jcs-2019-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';

const shipped = path => JSON.parse(readFileSync(
  new URL(`../node_modules/@digitalbazaar/${path}`, import.meta.url), 'utf8'));
const contexts = new Map([
  ['https://www.w3.org/ns/credentials/v2',
    shipped('credentials-context/contexts/v2.jsonld')],
  ['https://w3id.org/security/data-integrity/v2',
    shipped('data-integrity-context/contexts/data-integrity-v2.jsonld')],
  ['https://w3id.org/security/multikey/v1',
    shipped('multikey-context/contexts/multikey-v1.jsonld')],
  ['https://www.w3.org/ns/credentials/examples/v2',
    {'@context': {'@vocab': 'https://www.w3.org/ns/credentials/examples#'}}],
]);

function didKeyDocs(url) {
  const did = url.split('#')[0];
  const mb = did.slice('did:key:'.length);
  const vmId = `${did}#${mb}`;
  const vm = {
    '@context': 'https://w3id.org/security/multikey/v1',
    id: vmId, type: 'Multikey', controller: did, publicKeyMultibase: mb,
  };
  if(url.includes('#')) {
    return vm;
  }
  return {
    '@context': 'https://www.w3.org/ns/did/v1',
    id: did,
    verificationMethod: [vm],
    assertionMethod: [vmId],
    authentication: [vmId],
  };
}

async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
  }
  if(url.startsWith('did:key:')) {
    return {contextUrl: null, documentUrl: url, document: didKeyDocs(url)};
  }
  throw new Error(`static loader: ${url} is not available offline`);
}

async function keyPairFromJwk(jwk) {
  const lib = jwk.kty === 'OKP' ? Ed25519Multikey : EcdsaMultikey;
  const kp = await lib.fromJwk({jwk, secretKey: true});
  const did = `did:key:${kp.publicKeyMultibase}`;
  kp.controller = did;
  kp.id = `${did}#${kp.publicKeyMultibase}`;
  return kp;
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if(cmd === 'keygen') {
    const [kind, out] = args;
    const kp = kind === 'ed25519' ?
      await Ed25519Multikey.generate() :
      await EcdsaMultikey.generate({curve: kind === 'p384' ? 'P-384' : 'P-256'});
    const lib = kind === 'ed25519' ? Ed25519Multikey : EcdsaMultikey;
    const {kty, crv, x, y, d} = await lib.toJwk({keyPair: kp, secretKey: true});
    // RFC 8037: an OKP "d" is the 32-byte seed (the library exports seed || public key).
    const seed = kty === 'OKP' ?
      Buffer.from(d, 'base64url').subarray(0, 32).toString('base64url') : d;
    const jwk = y ? {kty, crv, x, y, d: seed} : {kty, crv, x, d: seed};
    await writeFile(out, JSON.stringify(jwk, null, 2));
  } else if(cmd === 'did') {
    const kp = await keyPairFromJwk(JSON.parse(await readFile(args[0], 'utf8')));
    console.log(kp.controller);
  } else if(cmd === 'issue') {
    const [suiteName, keyFile, input, out] = args;
    const kp = await keyPairFromJwk(JSON.parse(await readFile(keyFile, 'utf8')));
    const cryptosuite = {
      'eddsa-rdfc-2022': eddsaRdfc2022,
      'ecdsa-rdfc-2019': ecdsaRdfc2019,
      'eddsa-jcs-2022': eddsaJcs2022.createSignCryptosuite(),
      'ecdsa-jcs-2019': ecdsaJcs2019.createSignCryptosuite(),
    }[suiteName];
    if(!cryptosuite) {
      throw new Error(`unknown cryptosuite ${suiteName}`);
    }
    const suite = new DataIntegrityProof({signer: kp.signer(), cryptosuite});
    const credential = JSON.parse(await readFile(input, 'utf8'));
    const signed = await vc.issue({credential, suite, documentLoader});
    await writeFile(out, JSON.stringify(signed, null, 2));
  } else if(cmd === 'verify') {
    const [input] = args;
    const credential = JSON.parse(await readFile(input, 'utf8'));
    const suite = [
      new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
      new DataIntegrityProof({cryptosuite: ecdsaRdfc2019}),
      new DataIntegrityProof({cryptosuite: eddsaJcs2022.createVerifyCryptosuite()}),
      new DataIntegrityProof({cryptosuite: ecdsaJcs2019.createVerifyCryptosuite()}),
    ];
    const result = await vc.verifyCredential({credential, suite, documentLoader});
    if(!result.verified) {
      const e = result.error || result.results?.[0]?.error;
      const msg = e?.errors?.[0]?.message || e?.message || JSON.stringify(result).slice(0, 300);
      console.error(`peer: rejected: ${msg}`);
      process.exit(1);
    }
    console.error(`peer: verified (${credential.proof?.cryptosuite})`);
  } else {
    console.error('usage: peer.mjs keygen|issue|verify ...');
    process.exit(2);
  }
} catch(e) {
  console.error(`peer: error: ${e.stack || e}`);
  process.exit(2);
}
