// An independent OpenID4VP 1.0 verifier for one transaction, built from the OpenWallet
// Foundation's oid4vc-ts (@openid4vc/openid4vp 0.4.6), dcql 3.0.0 and sd-jwt-js 0.19.0 (jose
// 6.2.18 for the JWE and JWS primitives the library takes as callbacks).
//
//   node verifier.mjs --query Q.json --issuer-key ISSUER.pub.jwk --out RESULT.json
//        [--signed --cert LEAF.pem --chain-key LEAF.key] [--response-mode direct_post|direct_post.jwt]
//        [--purpose TEXT] [--expect-nonce OTHER (negative control: must be rejected)]
//        [--mdoc-dir DIR] [--request-uri-method post]
//
// 1. Serves http://localhost:PORT: /request (the signed request object, when --signed) and
//    /response (direct_post target). Prints {"url": "openid4vp://..."} on stdout.
//    --signed: createOpenid4vpAuthorizationRequest with a JAR signed under an x5c chain,
//    client_id x509_san_dns:localhost, passed by request_uri. Otherwise an unsigned request by
//    value with client_id redirect_uri:<response_uri>. --request-uri-method post: the wallet
//    POSTs wallet_metadata (checked with the library's zWalletMetadata schema) and a
//    wallet_nonce, and the request object is made then, carrying that wallet_nonce.
// 2. On the wallet's POST: an error response (error / error_description) is recorded as is;
//    otherwise parseOpenid4vpAuthorizationResponse (decrypting direct_post.jwt with the
//    transaction key, checking state and the vp_token shape against the DCQL query), then for
//    every presentation: sd-jwt-js verification (issuer signature, disclosures, KB-JWT with
//    the nonce; aud must equal the client_id, iat recent), and the peer's own DCQL check
//    (DcqlPresentationResult.fromDcqlPresentation) over the disclosed claims.
//    mso_mdoc presentations: the library parses them; the DeviceResponse is written to
//    DIR/<qid>-<i>.cbor with the OpenID4VPHandover SessionTranscript this transaction implies
//    (DIR/transcript.cbor; DIR/transcript-other-nonce.cbor for a negative control) for the mdoc
//    peers of tests/interop-mdoc (@auth0/mdl, @owf/mdoc) to verify.
// 3. Writes RESULT.json {ok, error?, error_description?, client_id, nonce, claims: {qid: [..]},
//    dcql: {can_be_satisfied}, problems: [...]} and exits 0 (a result was recorded) or 1.

import { createServer } from 'node:http'
import { createHash, createPrivateKey, sign as nodeSign, webcrypto, X509Certificate } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createOpenid4vpAuthorizationRequest, parseOpenid4vpAuthorizationResponse, zWalletMetadata } from '@openid4vc/openid4vp'
import { setGlobalConfig } from '@openid4vc/utils'
import { DcqlQuery, DcqlPresentationResult } from 'dcql'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import { ES256, digest, generateSalt } from '@sd-jwt/crypto-nodejs'
import * as jose from 'jose'

setGlobalConfig({ allowInsecureUrls: true }) // plain http on localhost in the test

const args = {}
for (let i = 2; i < process.argv.length; i++) {
  const k = process.argv[i].replace(/^--/, '')
  const next = process.argv[i + 1]
  if (next === undefined || next.startsWith('--')) args[k] = true
  else args[k] = process.argv[++i]
}
const die = (m) => { process.stderr.write(`verifier.mjs: ${m}\n`); process.exit(2) }
for (const k of ['query', 'issuer-key', 'out']) if (!args[k]) die(`--${k} is required`)
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'))
const b64u = (b) => Buffer.from(b).toString('base64url')
const responseMode = args['response-mode'] || 'direct_post'
const KB_IAT_WINDOW = 300

const dcqlJson = readJson(args.query)
const dcqlQuery = DcqlQuery.parse(dcqlJson)
DcqlQuery.validate(dcqlQuery)
const issuerJwk = readJson(args['issuer-key'])

// The transaction's response encryption key (direct_post.jwt).
const encPair = await jose.generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true })
const encPublic = { ...(await jose.exportJWK(encPair.publicKey)), kid: 'enc-1', use: 'enc', alg: 'ECDH-ES' }

const server = createServer(handle)
await new Promise((r) => server.listen(0, '127.0.0.1', r))
const base = `http://localhost:${server.address().port}`
const responseUri = `${base}/response`
const nonce = b64u(webcrypto.getRandomValues(new Uint8Array(16)))
const state = b64u(webcrypto.getRandomValues(new Uint8Array(12)))

let jarJwt = null
const clientId = args.signed ? 'x509_san_dns:localhost' : `redirect_uri:${responseUri}`
const clientMetadata = {
  vp_formats_supported: {
    'dc+sd-jwt': { 'sd-jwt_alg_values': ['ES256'], 'kb-jwt_alg_values': ['ES256'] },
    mso_mdoc: { issuerauth_alg_values: [-7], deviceauth_alg_values: [-7] },
  },
  ...(responseMode === 'direct_post.jwt'
    ? { jwks: { keys: [encPublic] }, encrypted_response_enc_values_supported: ['A128GCM'] }
    : {}),
}
const authorizationRequestPayload = {
  response_type: 'vp_token',
  client_id: clientId,
  response_uri: responseUri,
  response_mode: responseMode,
  nonce,
  state,
  dcql_query: dcqlJson,
  client_metadata: clientMetadata,
  ...(args.purpose ? { purpose: args.purpose } : {}),
}

const callbacks = {
  hash: (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
  generateRandom: (n) => webcrypto.getRandomValues(new Uint8Array(n)),
  signJwt: async (signer, { header, payload }) => {
    if (signer.method !== 'x5c') throw new Error(`unsupported signer ${signer.method}`)
    const key = createPrivateKey(readFileSync(args['chain-key']))
    const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`
    const sig = nodeSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
    const signerJwk = await jose.exportJWK(new X509Certificate(Buffer.from(signer.x5c[0], 'base64')).publicKey)
    return { jwt: `${input}.${b64u(sig)}`, signerJwk }
  },
  decryptJwe: async (jwe) => {
    try {
      const { plaintext } = await jose.compactDecrypt(jwe, encPair.privateKey)
      return { decrypted: true, decryptionJwk: encPublic, payload: new TextDecoder().decode(plaintext) }
    } catch (e) {
      return { decrypted: false }
    }
  },
  verifyJwt: async () => ({ verified: false }),
  getX509CertificateMetadata: (certificate) => {
    const c = new X509Certificate(Buffer.from(certificate, 'base64'))
    const san = (c.subjectAltName || '').split(', ')
    return {
      sanDnsNames: san.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)),
      sanUriNames: san.filter((s) => s.startsWith('URI:')).map((s) => s.slice(4)),
    }
  },
}

let created
if (args.signed) {
  const pem = readFileSync(args.cert, 'utf8')
  const leaf = new X509Certificate(pem)
  created = await createOpenid4vpAuthorizationRequest({
    authorizationRequestPayload,
    jar: {
      requestUri: `${base}/request`,
      jwtSigner: { method: 'x5c', alg: 'ES256', x5c: [leaf.raw.toString('base64')], kid: undefined },
    },
    callbacks,
  })
  jarJwt = created.jar.authorizationRequestJwt
  if (args['request-uri-method'] === 'post') {
    // OpenID4VP 1.0 section 5.10: the value is case-sensitive, "get" or "post".
    created.authorizationRequest += '&request_uri_method=post'
    jarJwt = null
  }
} else {
  created = await createOpenid4vpAuthorizationRequest({ authorizationRequestPayload, callbacks })
}
process.stdout.write(JSON.stringify({ url: created.authorizationRequest, client_id: clientId }) + '\n')

const result = { ok: false, client_id: clientId, nonce, response_mode: responseMode, claims: {}, problems: [] }
const finish = (code) => {
  writeFileSync(args.out, JSON.stringify(result, null, 2) + '\n')
  server.close()
  process.exit(code)
}
setTimeout(() => { result.problems.push('no response within 60 s'); finish(1) }, 60000).unref()

async function readBody(req) {
  const chunks = []
  for await (const c of req) chunks.push(c)
  return Buffer.concat(chunks).toString('utf8')
}

async function handle(req, res) {
  try {
    if (req.method === 'GET' && req.url === '/request' && jarJwt) {
      res.writeHead(200, { 'content-type': 'application/oauth-authz-req+jwt' })
      return res.end(jarJwt)
    }
    if (req.method === 'POST' && req.url === '/request' && args['request-uri-method'] === 'post') {
      const form = Object.fromEntries(new URLSearchParams(await readBody(req)))
      const meta = zWalletMetadata.safeParse(JSON.parse(form.wallet_metadata || 'null'))
      result.wallet_metadata = meta.success ? { valid: true } : { valid: false, issues: meta.error.issues }
      if (!meta.success) result.problems.push('wallet_metadata does not match the peer schema')
      result.wallet_nonce = form.wallet_nonce ?? null
      const post = await createOpenid4vpAuthorizationRequest({
        authorizationRequestPayload: { ...authorizationRequestPayload, ...(form.wallet_nonce ? { wallet_nonce: form.wallet_nonce } : {}) },
        jar: { requestUri: `${base}/request`, jwtSigner: created.jar.jwtSigner },
        wallet: { expectedNonce: form.wallet_nonce, metadata: meta.success ? meta.data : undefined },
        callbacks,
      })
      res.writeHead(200, { 'content-type': 'application/oauth-authz-req+jwt' })
      return res.end(post.jar.authorizationRequestJwt)
    }
    if (req.method === 'POST' && req.url === '/response') {
      const form = Object.fromEntries(new URLSearchParams(await readBody(req)))
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{}')
      await onResponse(form)
      return finish(result.ok || result.error ? 0 : 1)
    }
    res.writeHead(404)
    res.end()
  } catch (e) {
    result.problems.push(`${e.name || 'Error'}: ${e.message}`)
    if (!res.headersSent) { res.writeHead(400); res.end() }
    finish(1)
  }
}

async function onResponse(form) {
  // An encrypted error response is decrypted first; a plain one is read as is.
  let params = form
  if (form.response) {
    const d = await callbacks.decryptJwe(form.response)
    if (!d.decrypted) throw new Error('the response JWE does not decrypt with the transaction key')
    params = JSON.parse(d.payload)
    result.encrypted = true
  }
  if (params.error) {
    result.error = params.error
    result.error_description = params.error_description ?? null
    result.state_ok = params.state === state
    return
  }
  const parsed = await parseOpenid4vpAuthorizationResponse({
    authorizationResponse: form,
    authorizationRequestPayload: created.authorizationRequestPayload,
    callbacks,
  })
  if (parsed.type !== 'dcql') throw new Error(`the library parsed a ${parsed.type} response, not DCQL`)
  result.state_ok = parsed.authorizationResponsePayload.state === state
  if (!result.state_ok) result.problems.push('state does not match')
  const disclosed = {}
  for (const [qid, list] of Object.entries(parsed.dcql.presentations)) {
    const entries = Array.isArray(list) ? list : [list]
    const format = dcqlJson.credentials.find((c) => c.id === qid)?.format
    if (format === 'mso_mdoc') {
      await writeMdoc(qid, entries)
      continue
    }
    disclosed[qid] = []
    for (const p of entries) {
      const claims = await verifySdJwt(p)
      const { iss, iat, exp, nbf, cnf, vct, status, ...personal } = claims
      delete personal['vct#integrity']
      const asked = new Set((dcqlJson.credentials.find((c) => c.id === qid)?.claims || []).map((c) => c.path[0]))
      const beyond = Object.keys(personal).filter((k) => !asked.has(k))
      if (beyond.length) result.problems.push(`${qid}: disclosed beyond the query: ${beyond.join(', ')}`)
      const sorted = Object.fromEntries(Object.keys(personal).sort().map((k) => [k, personal[k]]))
      result.claims[qid] = [...(result.claims[qid] || []), sorted]
      disclosed[qid].push({
        credential_format: 'dc+sd-jwt',
        vct,
        claims: personal,
        cryptographic_holder_binding: true,
      })
    }
  }
  if (Object.keys(disclosed).length) {
    const dcql = DcqlPresentationResult.fromDcqlPresentation(disclosed, { dcqlQuery })
    result.dcql = { can_be_satisfied: dcql.can_be_satisfied }
    if (!dcql.can_be_satisfied) result.problems.push('the disclosed claims do not satisfy the DCQL query (dcql)')
  }
  result.ok = result.problems.length === 0
}

// Minimal CBOR (definite lengths) for the handover: text, bytes, null, arrays.
function cborHead(major, n) {
  if (n < 24) return Buffer.from([(major << 5) | n])
  if (n < 256) return Buffer.from([(major << 5) | 24, n])
  if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 255])
  const b = Buffer.alloc(5); b[0] = (major << 5) | 26; b.writeUInt32BE(n, 1); return b
}
function cbor(v) {
  if (v === null) return Buffer.from([0xf6])
  if (typeof v === 'string') { const b = Buffer.from(v, 'utf8'); return Buffer.concat([cborHead(3, b.length), b]) }
  if (Buffer.isBuffer(v)) return Buffer.concat([cborHead(2, v.length), v])
  if (Array.isArray(v)) return Buffer.concat([cborHead(4, v.length), ...v.map(cbor)])
  throw new Error(`cannot encode ${typeof v}`)
}

// OpenID4VP 1.0 B.2.6.1: [null, null, ["OpenID4VPHandover", SHA-256(cbor([client_id, nonce,
// jwk_thumbprint / null, response_uri]))]], the thumbprint being the encryption key's when the
// response is encrypted.
async function transcript(forNonce) {
  const thumb = responseMode === 'direct_post.jwt'
    ? Buffer.from(await jose.calculateJwkThumbprint(encPublic, 'sha256'), 'base64url')
    : null
  const info = cbor([clientId, forNonce, thumb, responseUri])
  return cbor([null, null, ['OpenID4VPHandover', createHash('sha256').update(info).digest()]])
}

async function writeMdoc(qid, entries) {
  if (!args['mdoc-dir']) throw new Error('an mso_mdoc presentation arrived without --mdoc-dir')
  mkdirSync(args['mdoc-dir'], { recursive: true })
  writeFileSync(`${args['mdoc-dir']}/transcript.cbor`, await transcript(nonce))
  writeFileSync(`${args['mdoc-dir']}/transcript-other-nonce.cbor`, await transcript(`${nonce}-other`))
  result.mdoc = result.mdoc || []
  entries.forEach((p, i) => {
    if (typeof p !== 'string') throw new Error('an mso_mdoc presentation is not a string')
    const file = `${args['mdoc-dir']}/${qid}-${i}.cbor`
    writeFileSync(file, Buffer.from(p, 'base64url'))
    result.mdoc.push(file)
  })
}

async function verifySdJwt(presentation) {
  if (typeof presentation !== 'string') throw new Error('a dc+sd-jwt presentation is not a string')
  const issuerVerifier = await ES256.getVerifier(issuerJwk)
  const sdjwt = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: 'sha-256',
    saltGenerator: generateSalt,
    verifier: (data, sig) => issuerVerifier(data, sig),
    kbVerifier: async (data, sig, payload) => {
      const jwk = payload?.cnf?.jwk
      if (!jwk) throw new Error('no cnf.jwk in the SD-JWT')
      return (await ES256.getVerifier({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }))(data, sig)
    },
  })
  // --expect-nonce (negative control only): verify against another nonce than the one sent.
  const res = await sdjwt.verify(presentation, { keyBindingNonce: args['expect-nonce'] || nonce })
  if (!res.kb) throw new Error('no key binding JWT')
  if (res.kb.payload.aud !== clientId) result.problems.push(`KB-JWT aud ${res.kb.payload.aud} is not the client_id ${clientId}`)
  const now = Math.floor(Date.now() / 1000)
  if (Math.abs(now - res.kb.payload.iat) > KB_IAT_WINDOW) result.problems.push('KB-JWT iat is not recent')
  return res.payload
}
