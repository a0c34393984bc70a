// The wallet core driven from Kotlin on the JVM through its uniffi bindings and JNA, as the
// Android app drives it: a passphrase wallet that takes an offer, checks, deletes and refills
// credentials, signs in by the authorization code flow and answers presentations in HAIP
// mode; then a wallet whose database key and device keys live in "the platform" (here
// javax.crypto and java.security, standing in for the Android Keystore).
//
// Run by wallet-core/tests/ffi_kotlin.rs, which starts the issuer and verifier and passes:
// DATA, DATA2 (empty folders), ROOT (the verifier's root, PEM), ORIGINS (comma-separated),
// ISSUER (the issuer's base URL), OFFER (pre-authorized, tx_code 4321), AUTH_OFFER
// (authorization code), REQUEST (a signed direct_post.jwt request), UNSIGNED (an unsigned
// redirect_uri request by value). Prints "kotlin ffi ok" when every check passed.
package vouch.ffitest

import java.math.BigInteger
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.SecureRandom
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.util.Base64
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.spec.GCMParameterSpec
import javax.crypto.spec.SecretKeySpec
import uniffi.wallet_core.FfiException
import uniffi.wallet_core.PlatformDeviceKeys
import uniffi.wallet_core.PlatformKey
import uniffi.wallet_core.PlatformKeyStore
import uniffi.wallet_core.PlatformWalletAttestation
import uniffi.wallet_core.WalletHandle

fun env(name: String): String = System.getenv(name) ?: throw IllegalStateException("$name is not set")

fun expect(ok: Boolean, what: () -> String) {
    if (!ok) throw AssertionError(what())
}

/** Runs `block`, which must throw an `E`; returns it. */
inline fun <reified E : Throwable> expectThrows(what: String, block: () -> Unit): E {
    try {
        block()
    } catch (e: Throwable) {
        if (e is E) return e
        throw AssertionError("$what: expected ${E::class.simpleName}, got $e", e)
    }
    throw AssertionError("$what: expected ${E::class.simpleName}, nothing was thrown")
}

/** A key store that wraps the database key with an AES-GCM key only it holds. */
class AesGcmKeyStore(key: ByteArray) : PlatformKeyStore {
    private val key = SecretKeySpec(key, "AES")
    private val aad = "vouch-test".toByteArray()
    val wraps = AtomicInteger()
    val unwraps = AtomicInteger()

    override fun wrap(dataKey: ByteArray): ByteArray {
        wraps.incrementAndGet()
        val nonce = ByteArray(12).also { SecureRandom().nextBytes(it) }
        val c = Cipher.getInstance("AES/GCM/NoPadding")
        c.init(Cipher.ENCRYPT_MODE, key, GCMParameterSpec(128, nonce))
        c.updateAAD(aad)
        return nonce + c.doFinal(dataKey)
    }

    override fun unwrap(wrapped: ByteArray): ByteArray {
        unwraps.incrementAndGet()
        if (wrapped.size < 12 + 16) throw FfiException.Failed("the key store did not wrap this key")
        val c = Cipher.getInstance("AES/GCM/NoPadding")
        c.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(128, wrapped.copyOfRange(0, 12)))
        c.updateAAD(aad)
        try {
            return c.doFinal(wrapped, 12, wrapped.size - 12)
        } catch (e: AEADBadTagException) {
            throw FfiException.Failed("the key store did not wrap this key")
        }
    }
}

/** Device keys: P-256 key pairs the "platform" keeps; the wallet sees handles and JWKs. */
class JvmDeviceKeys : PlatformDeviceKeys {
    val keys = ConcurrentHashMap<String, KeyPair>()
    val signed = AtomicInteger()
    private val next = AtomicInteger()

    private fun b64u(b: ByteArray) = Base64.getUrlEncoder().withoutPadding().encodeToString(b)

    /** An unsigned big-endian coordinate as exactly 32 bytes. */
    private fun coord(n: BigInteger): ByteArray {
        val raw = n.toByteArray()
        val out = ByteArray(32)
        val take = minOf(raw.size, 32)
        System.arraycopy(raw, raw.size - take, out, 32 - take, take)
        return out
    }

    private fun jwk(pub: ECPublicKey): String {
        val x = b64u(coord(pub.w.affineX))
        val y = b64u(coord(pub.w.affineY))
        return """{"kty":"EC","crv":"P-256","x":"$x","y":"$y"}"""
    }

    private fun pair(handle: ByteArray): KeyPair =
        keys[String(handle)] ?: throw FfiException.Failed("no device key ${String(handle)}")

    override fun createKey(): PlatformKey {
        val g = KeyPairGenerator.getInstance("EC")
        g.initialize(ECGenParameterSpec("secp256r1"))
        val kp = g.generateKeyPair()
        val handle = "alias-${next.getAndIncrement()}"
        keys[handle] = kp
        return PlatformKey(handle.toByteArray(), jwk(kp.public as ECPublicKey))
    }

    override fun publicJwk(handle: ByteArray): String = jwk(pair(handle).public as ECPublicKey)

    override fun sign(handle: ByteArray, message: ByteArray): ByteArray {
        val s = Signature.getInstance("SHA256withECDSA") // DER-encoded ECDSA-Sig-Value
        s.initSign(pair(handle).private)
        s.update(message)
        signed.incrementAndGet()
        return s.sign()
    }

    override fun keyAttestation(publicJwks: List<String>, nonce: String?): String? {
        return null // no wallet provider here: every key signs its own proof
    }

    override fun walletAttestation(clientId: String): PlatformWalletAttestation? {
        return null // nor a wallet attestation: the issuer does not require one
    }
}

fun passphraseWallet() {
    val data = env("DATA")
    val origins = env("ORIGINS").split(",")

    // 1. A passphrase opens the wallet; a wrong one does not.
    val w = WalletHandle.open(data, "pass phrase")
    expectThrows<FfiException.WrongPassphrase>("a wrong passphrase") {
        WalletHandle.open(data, "wrong").close()
    }

    // 2. Issuance by the pre-authorized code flow.
    w.allowOrigins(origins)
    w.addVerifierRoot(env("ROOT"))
    val got = w.acceptOffer(env("OFFER"), "4321")
    expect(got == 6u) { "accept_offer returned $got, not 6" }
    val creds = w.list()
    expect(creds.size == 6) { "list has ${creds.size} credentials, not 6" }
    for (c in creds) {
        expect(c.batchId != null) { "${c.id} has no batch_id" }
        expect(c.expiresAt != null) { "${c.id} has no expires_at" }
        expect(!c.used) { "${c.id} is used already" }
        expect(c.singleUse) { "${c.id} is in a batch of several, shown once each: single-use" }
    }
    val nowSecs = System.currentTimeMillis() / 1000
    expect(creds.all { it.expiresAt!! > nowSecs }) { "a fresh credential expires in the past" }

    // 3. Standing: no register in this wallet, so unverified, with the reason.
    val pid = creds.first { it.format == "dc+sd-jwt" }
    val status = w.credentialStatus(pid.id)
    expect(status.standing == "unverified") { "standing ${status.standing}" }
    expect(status.detail.isNotBlank()) { "no detail for an unverified standing" }
    expect(!status.expired) { "a fresh credential is expired" }

    // 4. Deleting removes exactly that one.
    w.deleteCredential(pid.id)
    val afterDelete = w.list()
    expect(afterDelete.size == 5) { "${afterDelete.size} left after one delete" }
    expect(afterDelete.none { it.id == pid.id }) { "the deleted credential is still listed" }
    expect(afterDelete.map { it.id }.toSet() == creds.map { it.id }.toSet() - pid.id) {
        "delete removed other credentials"
    }

    // 5. Refill: the support issuer gives a refresh token, so the batch grows.
    val batch = pid.batchId!!
    val inBatch = afterDelete.count { it.batchId == batch }
    val refilled = w.refill(batch)
    expect(refilled > 0u) { "refill brought $refilled credentials" }
    val afterRefill = w.list()
    expect(afterRefill.size == afterDelete.size + refilled.toInt()) {
        "list has ${afterRefill.size} after refilling $refilled onto ${afterDelete.size}"
    }
    expect(afterRefill.count { it.batchId == batch } == inBatch + refilled.toInt()) {
        "the refilled credentials are not in batch $batch"
    }
    expectThrows<FfiException.Failed>("refill of an unknown batch") { w.refill("no-such-batch") }

    // 6. The authorization code flow: the "browser" follows the authorize URL, the issuer
    // signs the citizen in and redirects back to the app.
    val start = w.startAuthorization(env("AUTH_OFFER"), "https://wallet.example/cb")
    expect(start.authorizeUrl.startsWith(env("ISSUER") + "/authorize?")) {
        "authorize_url ${start.authorizeUrl} is not the issuer's"
    }
    expect(start.id.isNotEmpty()) { "no pending flow id" }
    val http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build()
    val r = http.send(
        HttpRequest.newBuilder(URI(start.authorizeUrl)).GET().build(),
        HttpResponse.BodyHandlers.discarding(),
    )
    expect(r.statusCode() in 300..399) { "the authorize page answered ${r.statusCode()}" }
    val location = r.headers().firstValue("location").orElseThrow()
    expect(location.startsWith("https://wallet.example/cb?code=")) { "redirected to $location" }
    val beforeAuth = w.list().size
    val authGot = w.finishAuthorization(start.id, location)
    expect(authGot > 0u) { "finish_authorization brought $authGot credentials" }
    expect(w.list().size == beforeAuth + authGot.toInt()) { "the new credentials are not listed" }
    expectThrows<FfiException.Failed>("finishing the same flow twice") {
        w.finishAuthorization(start.id, location)
    }

    // 7. HAIP mode: a signed request with an encrypted response is answered ...
    w.setHaipMode(true)
    val req = w.preparePresentation(env("REQUEST"))
    expect(req.verifierClientId == "x509_san_dns:localhost") { "client id ${req.verifierClientId}" }
    expect(req.refused == null) { "refused: ${req.refused}" }
    val names = req.claims.map { it.name }
    expect(names == listOf("given_name", "family_name", "birthdate")) { "claims asked: $names" }
    val keep = req.claims.filter { it.name != "birthdate" }.map { it.key }
    val out = w.respond(req.id, true, keep)
    expect(out.shared) { "not shared: ${out.error}" }
    expect(out.claims == listOf("given_name", "family_name")) { "released ${out.claims}" }
    // ... an unsigned one is refused before anything is shown.
    val refused = expectThrows<FfiException.Refused>("an unsigned request in HAIP mode") {
        w.preparePresentation(env("UNSIGNED"))
    }
    expect(refused.code == "invalid_request") { "refused with ${refused.code}: ${refused.message}" }

    // 8. The activity log ends with the presentation.
    val log = w.activity()
    expect(log.isNotEmpty() && log.last().outcome == "shared") { "activity: ${log.map { it.outcome }}" }
    expect(log.last().claims == listOf("given_name", "family_name")) { "logged ${log.last().claims}" }
    expect(log.any { it.outcome == "received" }) { "no issuance in the activity log" }
    w.close()
}

fun platformWallet() {
    val data = env("DATA2")
    val ks = AesGcmKeyStore(ByteArray(32).also { SecureRandom().nextBytes(it) })
    val dk = JvmDeviceKeys()
    val w = WalletHandle.openWithPlatform(data, ks, dk)
    expect(ks.wraps.get() == 1) { "the database key was wrapped ${ks.wraps.get()} times" }
    w.allowOrigins(env("ORIGINS").split(","))
    w.addVerifierRoot(env("ROOT"))
    val got = w.acceptOffer(env("OFFER"), "4321")
    expect(got == 6u) { "accept_offer with platform keys returned $got" }
    expect(dk.keys.size >= 6) { "${dk.keys.size} device keys for 6 credentials" }
    expect(dk.signed.get() >= 6) { "the device keys signed ${dk.signed.get()} proofs for 6 keys" }
    expect(w.list().size == 6) { "the platform wallet lists ${w.list().size}" }
    w.close()
    // Reopening unwraps the database key through the platform; another key store cannot.
    WalletHandle.openWithPlatform(data, ks, dk).use { again ->
        expect(ks.unwraps.get() == 1) { "unwrapped ${ks.unwraps.get()} times" }
        expect(again.list().size == 6) { "reopened wallet lists ${again.list().size}" }
    }
    val other = AesGcmKeyStore(ByteArray(32).also { SecureRandom().nextBytes(it) })
    val e = expectThrows<FfiException.Failed>("another key store") {
        WalletHandle.openWithPlatform(data, other, dk).close()
    }
    expect(e.message?.contains("key store") == true) { "error: ${e.message}" }
}

fun main() {
    passphraseWallet()
    println("kotlin passphrase wallet ok")
    platformWallet()
    println("kotlin platform keys ok")
    println("kotlin ffi ok")
}
