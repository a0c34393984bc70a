// Wallet attestation interop (HAIP 1.0 section 4.4.1, OAuth 2.0 Attestation-Based Client
// Authentication): an independent wallet, @openid4vc/oauth2, authenticates at the token
// endpoint of a `vouch issuer serve --wallet-attestation required`.
// Usage: node wallet-attestation.mjs ISSUER_URL PRE_AUTH_CODE_1 PRE_AUTH_CODE_2
// (env WALLET_PROVIDER_KEY: the provider's PKCS#8 PEM key, WALLET_PROVIDER_CERT: its
// certificate, PEM, issued by a root the issuer trusts).
//  1. a token request without attestation is refused: 401 invalid_client;
//  2. the Client Attestation JWT is made by the library (createClientAttestationJwt, x5c
//     signer) and its PoP by the library's client authentication for the token request
//     (clientAuthenticationClientAttestationJwt);
//  3. the library's token request with both headers (the same code: authentication comes
//     before redemption, so step 1 did not spend it) gets an access token;
//  4. the same attestation and PoP replayed for the second code: 401 invalid_client;
//  5. the second code with a fresh PoP made by the library: an access token.
import { createHash, webcrypto } from 'node:crypto'
import { readFileSync } from 'node:fs'
import {
  Oauth2Client,
  Oauth2ClientErrorResponseError,
  clientAuthenticationAnonymous,
  clientAuthenticationClientAttestationJwt,
  createClientAttestationJwt,
  decodeJwt,
} from '@openid4vc/oauth2'
import { setGlobalConfig } from '@openid4vc/utils'

setGlobalConfig({ allowInsecureUrls: true }) // the test server speaks plain http on localhost

const [issuerUrl, code1, code2] = process.argv.slice(2)
if (!issuerUrl || !code1 || !code2) throw new Error('usage: node wallet-attestation.mjs ISSUER_URL CODE_1 CODE_2')
const { WALLET_PROVIDER_KEY, WALLET_PROVIDER_CERT } = process.env
if (!WALLET_PROVIDER_KEY || !WALLET_PROVIDER_CERT) throw new Error('WALLET_PROVIDER_KEY and WALLET_PROVIDER_CERT are required')

const subtle = webcrypto.subtle
const b64u = (b) => Buffer.from(b).toString('base64url')
const pem = (text, label) =>
  Buffer.from(text.split(`-----BEGIN ${label}-----`)[1].split(`-----END ${label}-----`)[0].replace(/\s+/g, ''), 'base64')
const fail = (msg) => {
  console.error(`FAIL: ${msg}`)
  process.exit(1)
}

// The wallet provider (openssl-made leaf under the root the issuer trusts) and a fresh
// wallet instance key (the attestation's cnf.jwk, which signs the PoPs).
const providerKey = await subtle.importKey(
  'pkcs8', pem(readFileSync(WALLET_PROVIDER_KEY, 'utf8'), 'PRIVATE KEY'),
  { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
const providerLeaf = pem(readFileSync(WALLET_PROVIDER_CERT, 'utf8'), 'CERTIFICATE').toString('base64')
const instance = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
const { kty, crv, x, y } = await subtle.exportKey('jwk', instance.publicKey)
const instanceJwk = { kty, crv, x, y }

async function es256(privateKey, header, payload) {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`
  const sig = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, Buffer.from(input))
  return `${input}.${b64u(new Uint8Array(sig))}`
}

// The library's signJwt callback: x5c signer = the wallet provider, jwk signer = the instance.
const signJwt = async (signer, { header, payload }) => {
  if (signer.method === 'x5c') {
    if (signer.x5c[0] !== providerLeaf) throw new Error('unexpected x5c signer')
    return { jwt: await es256(providerKey, header, payload), signerJwk: instanceJwk }
  }
  if (signer.method === 'jwk' && signer.publicJwk.x === instanceJwk.x && signer.publicJwk.y === instanceJwk.y) {
    return { jwt: await es256(instance.privateKey, header, payload), signerJwk: instanceJwk }
  }
  throw new Error(`unexpected signer ${signer.method}`)
}
const generateRandom = (n) => webcrypto.getRandomValues(new Uint8Array(n))

// Every request the library sends, with its headers, to replay one later.
const sent = []
const recordingFetch = async (url, init) => {
  sent.push({ url: String(url), headers: new Headers(init?.headers) })
  return fetch(url, init)
}
const clientWith = (clientAuthentication) =>
  new Oauth2Client({
    callbacks: {
      fetch: recordingFetch,
      clientAuthentication,
      generateRandom,
      hash: (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
      signJwt,
    },
  })

const metadataClient = clientWith(clientAuthenticationAnonymous())
const authorizationServerMetadata = await metadataClient.fetchAuthorizationServerMetadata(issuerUrl)
if (!authorizationServerMetadata) fail(`no authorization server metadata at ${issuerUrl}`)
if (!authorizationServerMetadata.token_endpoint_auth_methods_supported?.includes('attest_jwt_client_auth')) {
  fail(`attest_jwt_client_auth is not advertised: ${JSON.stringify(authorizationServerMetadata)}`)
}
if (!metadataClient.isClientAttestationSupported({ authorizationServerMetadata }).supported) {
  fail('@openid4vc/oauth2 does not see client attestation support in the metadata')
}

// 1. Without attestation: 401 invalid_client (the library's own anonymous token request).
async function expectRefused(client, code, what) {
  try {
    const r = await client.retrievePreAuthorizedCodeAccessToken({ authorizationServerMetadata, preAuthorizedCode: code })
    fail(`${what} got a token: ${JSON.stringify(r.accessTokenResponse)}`)
  } catch (e) {
    if (!(e instanceof Oauth2ClientErrorResponseError)) throw e
    if (e.response.status !== 401 || e.errorResponse.error !== 'invalid_client') {
      fail(`${what}: expected 401 invalid_client, got ${e.response.status} ${JSON.stringify(e.errorResponse)}`)
    }
    return e.errorResponse
  }
}
await expectRefused(metadataClient, code1, 'a token request without wallet attestation')
console.log('ok: the token request without a wallet attestation is refused (401 invalid_client)')

// 2. The Client Attestation JWT, made by the library with an x5c signer.
const now = Date.now()
const clientAttestationJwt = await createClientAttestationJwt({
  issuer: 'https://wallet-provider.interop.example',
  clientId: 'interop-wallet-instance',
  confirmation: { jwk: instanceJwk },
  issuedAt: new Date(now),
  expiresAt: new Date(now + 3600_000),
  additionalPayload: { wallet_name: 'oid4vc-ts interop wallet' },
  signer: { method: 'x5c', alg: 'ES256', x5c: [providerLeaf] },
  callbacks: { signJwt },
})
const { header: attHeader } = decodeJwt({ jwt: clientAttestationJwt })
if (attHeader.typ !== 'oauth-client-attestation+jwt' || attHeader.x5c?.[0] !== providerLeaf) {
  fail(`unexpected attestation header ${JSON.stringify(attHeader)}`)
}

// 3. The library's token request with the attestation and a PoP it makes (aud = the AS
// issuer identifier from the metadata), for the code step 1 left unspent.
const attestedClient = clientWith(clientAuthenticationClientAttestationJwt({
  clientAttestationJwt,
  callbacks: { signJwt, generateRandom },
}))
const before = sent.length
const { accessTokenResponse } = await attestedClient.retrievePreAuthorizedCodeAccessToken({
  authorizationServerMetadata,
  preAuthorizedCode: code1,
})
if (!accessTokenResponse.access_token) fail(`no access_token: ${JSON.stringify(accessTokenResponse)}`)
const tokenRequest = sent.slice(before).find((r) => r.url === authorizationServerMetadata.token_endpoint)
const attestationHeader = tokenRequest?.headers.get('OAuth-Client-Attestation')
const popHeader = tokenRequest?.headers.get('OAuth-Client-Attestation-PoP')
if (attestationHeader !== clientAttestationJwt || !popHeader) fail('the library did not send both attestation headers')
const pop = decodeJwt({ jwt: popHeader })
if (pop.header.typ !== 'oauth-client-attestation-pop+jwt' || pop.payload.aud !== authorizationServerMetadata.issuer) {
  fail(`unexpected PoP ${JSON.stringify(pop.header)} ${JSON.stringify(pop.payload)}`)
}
console.log('ok: @openid4vc/oauth2 wallet attestation (createClientAttestationJwt, x5c to an openssl root) and PoP (clientAuthenticationClientAttestationJwt) got an access token')

// 4. The same attestation and PoP replayed (for the second, unspent code): 401.
const replay = await fetch(authorizationServerMetadata.token_endpoint, {
  method: 'POST',
  headers: {
    'Content-Type': 'application/x-www-form-urlencoded',
    'OAuth-Client-Attestation': attestationHeader,
    'OAuth-Client-Attestation-PoP': popHeader,
  },
  body: new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:pre-authorized_code',
    'pre-authorized_code': code2,
  }).toString(),
})
const replayBody = await replay.json().catch(() => null)
if (replay.status !== 401 || replayBody?.error !== 'invalid_client') {
  fail(`a replayed PoP: expected 401 invalid_client, got ${replay.status} ${JSON.stringify(replayBody)}`)
}
console.log(`ok: the replayed attestation PoP is refused (401 invalid_client: ${replayBody.error_description})`)

// 5. The second code with a fresh PoP from the library: accepted (only the replay was wrong).
const second = await attestedClient.retrievePreAuthorizedCodeAccessToken({
  authorizationServerMetadata,
  preAuthorizedCode: code2,
})
if (!second.accessTokenResponse.access_token) fail(`no access_token: ${JSON.stringify(second.accessTokenResponse)}`)
console.log('ok: the same attestation with a fresh PoP from @openid4vc/oauth2 gets a token for the second code')
