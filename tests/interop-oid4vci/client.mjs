// An independent OpenID4VCI 1.0 wallet: @openid4vc/openid4vci (oid4vc-ts) runs the
// pre-authorized code flow with DPoP against a running `vouch issuer serve`.
// Usage: node client.mjs OFFER_URL [TX_CODE]  -> JSON {credentials: {config_id: credential}}
import { createHash, webcrypto } from 'node:crypto'
import { Openid4vciClient, createKeyAttestationJwt } from '@openid4vc/openid4vci'
import { clientAuthenticationAnonymous } from '@openid4vc/oauth2'
import { setGlobalConfig } from '@openid4vc/utils'

setGlobalConfig({ allowInsecureUrls: true }) // the test server speaks plain http on localhost

const [offerUrl, txCode] = process.argv.slice(2)
const subtle = webcrypto.subtle
const b64u = (b) => Buffer.from(b).toString('base64url')

async function newKey() {
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
  const { kty, crv, x, y } = await subtle.exportKey('jwk', pair.publicKey)
  return { pair, jwk: { kty, crv, x, y } }
}

const keys = new Map()
async function key() {
  const k = await newKey()
  keys.set(k.jwk.x, k)
  return k
}

const callbacks = {
  fetch: globalThis.fetch,
  // pre-authorized_grant_anonymous_access_supported: the wallet sends no client_id
  clientAuthentication: clientAuthenticationAnonymous(),
  generateRandom: (n) => webcrypto.getRandomValues(new Uint8Array(n)),
  hash: (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
  signJwt: async (signer, { header, payload }) => {
    if (signer.method !== 'jwk') throw new Error(`unsupported signer ${signer.method}`)
    const k = keys.get(signer.publicJwk.x)
    const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`
    const sig = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, k.pair.privateKey, Buffer.from(input))
    return { jwt: `${input}.${b64u(new Uint8Array(sig))}`, signerJwk: signer.publicJwk }
  },
}

const client = new Openid4vciClient({ callbacks })
const offer = await client.resolveCredentialOffer(offerUrl)
const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer)
const dpopKey = await key()
const { accessTokenResponse, dpop } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
  credentialOffer: offer,
  issuerMetadata,
  txCode: txCode || undefined,
  dpop: { signer: { method: 'jwk', alg: 'ES256', publicJwk: dpopKey.jwk } },
})
if (accessTokenResponse.token_type !== 'DPoP') throw new Error('expected a DPoP-bound token')

const out = { credentials: {}, token_type: accessTokenResponse.token_type }
let dpopState = dpop
for (const id of offer.credential_configuration_ids) {
  const { c_nonce } = await client.requestNonce({ issuerMetadata })
  const holder = await key()
  const { jwt } = await client.createCredentialRequestJwtProof({
    issuerMetadata,
    credentialConfigurationId: id,
    signer: { method: 'jwk', alg: 'ES256', publicJwk: holder.jwk },
    nonce: c_nonce,
  })
  const res = await client.retrieveCredentials({
    issuerMetadata,
    accessToken: accessTokenResponse.access_token,
    credentialConfigurationId: id,
    proofs: { jwt: [jwt] },
    dpop: dpopState,
  })
  dpopState = res.dpop ?? dpopState
  const credential = res.credentialResponse.credentials?.[0]?.credential
  if (!credential) throw new Error(`no credential for ${id}: ${JSON.stringify(res.credentialResponse)}`)
  out.credentials[id] = credential
  if (res.credentialResponse.notification_id) {
    await client.sendNotification({
      issuerMetadata,
      accessToken: accessTokenResponse.access_token,
      notification: { notificationId: res.credentialResponse.notification_id, event: 'credential_accepted' },
      dpop: dpopState,
    })
  }
}
// With a wallet provider (WALLET_PROVIDER_KEY: PKCS#8 PEM, WALLET_PROVIDER_CERT: its
// certificate, PEM), one more request: one key attestation made by this library
// (createKeyAttestationJwt, x5c) for three fresh keys, sent as the `attestation` proof type.
if (process.env.WALLET_PROVIDER_KEY && process.env.WALLET_PROVIDER_CERT) {
  const fs = await import('node:fs')
  const pem = (text, label) =>
    Buffer.from(text.split(`-----BEGIN ${label}-----`)[1].split(`-----END ${label}-----`)[0].replace(/\s+/g, ''), 'base64')
  const providerKey = await subtle.importKey(
    'pkcs8', pem(fs.readFileSync(process.env.WALLET_PROVIDER_KEY, 'utf8'), 'PRIVATE KEY'),
    { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
  const leaf = pem(fs.readFileSync(process.env.WALLET_PROVIDER_CERT, 'utf8'), 'CERTIFICATE').toString('base64')
  const attestedKeys = []
  for (let i = 0; i < 3; i++) attestedKeys.push((await key()).jwk)
  const { c_nonce } = await client.requestNonce({ issuerMetadata })
  const attestationCallbacks = {
    ...callbacks,
    signJwt: async (signer, { header, payload }) => {
      if (signer.method !== 'x5c') throw new Error(`unexpected signer ${signer.method}`)
      const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`
      const sig = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, providerKey, Buffer.from(input))
      return { jwt: `${input}.${b64u(new Uint8Array(sig))}` }
    },
  }
  const attestation = await createKeyAttestationJwt({
    callbacks: attestationCallbacks,
    signer: { method: 'x5c', alg: 'ES256', x5c: [leaf] },
    attestedKeys,
    nonce: c_nonce,
    issuedAt: new Date(),
    expiresAt: new Date(Date.now() + 600_000),
    keyStorage: ['iso_18045_moderate'],
    userAuthentication: ['iso_18045_moderate'],
    use: 'proof_type.attestation',
  })
  const res = await client.retrieveCredentials({
    issuerMetadata,
    accessToken: accessTokenResponse.access_token,
    credentialConfigurationId: 'pid_sd_jwt',
    proofs: { attestation: [attestation] },
    dpop: dpopState,
  })
  dpopState = res.dpop ?? dpopState
  out.attested = { keys: attestedKeys, credentials: (res.credentialResponse.credentials ?? []).map((c) => c.credential) }
}
console.log(JSON.stringify(out))
