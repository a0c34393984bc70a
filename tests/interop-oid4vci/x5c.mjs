// An independent verifier of Vouch's HAIP x5c (HAIP 1.0 section 6.1): @sd-jwt/sd-jwt-vc
// verifies an issued SD-JWT VC, and the status list token it points to, with a verifier
// callback that trusts only what the JWS header's x5c proves: @peculiar/x509 checks each
// certificate's signature up to the given root and its validity now, the leaf is not
// self-signed and names the credential's iss as a URI subjectAltName (SD-JWT VC 3.5), and
// WebCrypto checks the JWS signature with the leaf's key. Nothing here is Vouch's code.
//
//   node x5c.mjs CREDENTIAL_FILE ROOT_PEM   -> prints {"iss","vct","status"} or exits 1
import { readFileSync } from 'node:fs'
import { webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import { digest } from '@sd-jwt/crypto-nodejs'

x509.cryptoProvider.set(webcrypto)
const [credFile, rootPem] = process.argv.slice(2)
const root = new x509.X509Certificate(readFileSync(rootPem, 'utf8'))
const json = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'))

async function x5cVerifier (data, sig) {
  const [h, p] = data.split('.')
  const header = json(h)
  const payload = json(p)
  if (!Array.isArray(header.x5c) || header.x5c.length === 0) throw new Error('no x5c header')
  const chain = header.x5c.map((c) => new x509.X509Certificate(Buffer.from(c, 'base64')))
  const leaf = chain[0]
  if (leaf.subject === leaf.issuer) throw new Error('the signer certificate is self-signed')
  const now = new Date()
  for (let i = 0; i < chain.length; i++) {
    const issuer = i + 1 < chain.length ? chain[i + 1] : root
    const ok = await chain[i].verify({ publicKey: issuer, date: now })
    if (!ok) throw new Error(`certificate ${i} (${chain[i].subject}) is not valid under ${issuer.subject}`)
  }
  if (payload.iss) {
    const san = leaf.getExtension(x509.SubjectAlternativeNameExtension)
    const uris = san ? san.names.items.filter((n) => n.type === 'url').map((n) => n.value) : []
    if (!uris.includes(payload.iss)) throw new Error(`the leaf names ${JSON.stringify(uris)}, not iss ${payload.iss}`)
  }
  const key = await leaf.publicKey.export({ name: 'ECDSA', namedCurve: 'P-256' }, ['verify'], webcrypto)
  return webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, Buffer.from(sig, 'base64url'), Buffer.from(data))
}

try {
  // The status list token is fetched from the credential's status.status_list.uri and
  // verified with the same callback (statusVerifier defaults to verifier).
  const sdjwt = new SDJwtVcInstance({ hasher: digest, hashAlg: 'sha-256', verifier: x5cVerifier })
  const res = await sdjwt.verify(readFileSync(credFile, 'utf8').trim())
  process.stdout.write(JSON.stringify({ iss: res.payload.iss, vct: res.payload.vct, status: 'valid' }) + '\n')
} catch (e) {
  process.stderr.write(`rejected: ${e.message}\n`)
  process.exit(1)
}
