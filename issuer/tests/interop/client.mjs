// An independent OpenID4VCI 1.0 wallet: @openid4vc/openid4vci (oid4vc-ts) runs the
// pre-authorized code flow with DPoP against a running `vouch issuer serve`.
// Usage: node client.mjs OFFER_URL [TX_CODE]  -> JSON {credentials: {config_id: credential}}
import { createHash, webcrypto } from 'node:crypto'
import { Openid4vciClient } from '@openid4vc/openid4vci'
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
console.log(JSON.stringify(out))
