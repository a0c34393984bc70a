//! The FFI works: Python bindings generated from the built cdylib (uniffi library mode)
//! drive a whole issuance and presentation against the in-process peers.

mod support;

use credentials::keys::Signer;
use credentials::report::CheckLog;
use credentials::sd_jwt::VerifyOptions;
use credentials::sd_jwt_vc::{self, IssuerKeySource, VcVerifyOptions};
use serde_json::json;
use support::{issuer, verifier, PID_VCT};

const SCRIPT: &str = r#"
import os, sys, json
sys.path.insert(0, os.environ["BINDINGS"])
import wallet_core as wc

data = os.environ["DATA"]
w = wc.WalletHandle.open(data, "pass phrase")
try:
    wc.WalletHandle.open(data, "wrong")
    raise SystemExit("a wrong passphrase opened the wallet")
except wc.FfiError.WrongPassphrase:
    pass
w.add_verifier_root(os.environ["ROOT"])
w.allow_origins(os.environ["ORIGINS"].split(","))
assert w.accept_offer(os.environ["OFFER"], "4321") == 6
creds = w.list()
assert len(creds) == 6 and all(not c.used for c in creds)
req = w.prepare_presentation(os.environ["REQUEST"])
assert req.verifier_client_id == "x509_san_dns:localhost", req.verifier_client_id
assert req.refused is None
names = [c.name for c in req.claims]
assert names == ["given_name", "family_name", "birthdate"], names
keep = [c.key for c in req.claims if c.name != "birthdate"]
out = w.respond(req.id, True, keep)
assert out.shared and out.claims == ["given_name", "family_name"], out
log = w.activity()
assert [a.outcome for a in log][-1] == "shared"
try:
    w.prepare_presentation("openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3Ax&request=a.b.c")
    raise SystemExit("a DID request was accepted")
except wc.FfiError.Failed as e:
    assert "unsupported client identifier" in str(e)
print("python ffi ok")
"#;

/// The platform's keys implemented in Python through the foreign traits: a key store that
/// wraps the database key with an AES-GCM key only it holds (as the Android Keystore or the
/// Secure Enclave would), and device keys that create and sign with P-256 keys it keeps
/// (the wallet sees handles and public keys only).
const PLATFORM_SCRIPT: &str = r#"
import os, sys, json, base64
sys.path.insert(0, os.environ["BINDINGS"])
import wallet_core as wc
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import hashes

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

class PyKeyStore(wc.PlatformKeyStore):
    def __init__(self, key):
        self.aead = AESGCM(key)
        self.wraps = 0
        self.unwraps = 0
    def wrap(self, data_key):
        self.wraps += 1
        nonce = os.urandom(12)
        return nonce + self.aead.encrypt(nonce, bytes(data_key), b"vouch-test")
    def unwrap(self, wrapped):
        self.unwraps += 1
        wrapped = bytes(wrapped)
        try:
            return self.aead.decrypt(wrapped[:12], wrapped[12:], b"vouch-test")
        except Exception:
            raise wc.FfiError.Failed("the key store did not wrap this key")

class PyDeviceKeys(wc.PlatformDeviceKeys):
    def __init__(self):
        self.keys = {}
        self.signed = 0
    def _jwk(self, k):
        n = k.public_key().public_numbers()
        return json.dumps({"kty": "EC", "crv": "P-256",
            "x": b64u(n.x.to_bytes(32, "big")), "y": b64u(n.y.to_bytes(32, "big"))})
    def create_key(self):
        handle = ("alias-%d" % len(self.keys)).encode()
        self.keys[handle] = ec.generate_private_key(ec.SECP256R1())
        return wc.PlatformKey(handle=handle, public_jwk=self._jwk(self.keys[handle]))
    def public_jwk(self, handle):
        return self._jwk(self.keys[bytes(handle)])
    def sign(self, handle, message):
        self.signed += 1
        return self.keys[bytes(handle)].sign(bytes(message), ec.ECDSA(hashes.SHA256()))
    def key_attestation(self, public_jwks, nonce):
        return None  # no wallet provider here: every key signs its own proof
    def wallet_attestation(self, client_id):
        return None  # nor a wallet attestation: the issuer does not require one

data = os.environ["DATA"]
ks = PyKeyStore(os.urandom(32))
dk = PyDeviceKeys()
w = wc.WalletHandle.open_with_platform(data, ks, dk)
assert ks.wraps == 1, ks.wraps
w.add_verifier_root(os.environ["ROOT"])
w.allow_origins(os.environ["ORIGINS"].split(","))
assert w.accept_offer(os.environ["OFFER"], "4321") == 6
assert len(dk.keys) >= 6, len(dk.keys)
assert dk.signed >= 2, "proofs of possession are signed by the platform keys"
req = w.prepare_presentation(os.environ["REQUEST"])
before = dk.signed
out = w.respond(req.id, True, [c.key for c in req.claims])
assert out.shared and dk.signed == before + 1, (out, dk.signed)
del w
# Reopening unwraps the database key through the platform; another key store cannot.
w = wc.WalletHandle.open_with_platform(data, ks, dk)
assert ks.unwraps == 1 and len(w.list()) == 6
try:
    wc.WalletHandle.open_with_platform(data, PyKeyStore(os.urandom(32)), dk)
    raise SystemExit("another key store opened the wallet")
except wc.FfiError.Failed as e:
    assert "key store" in str(e), str(e)
# A proximity engagement is a fresh mdoc: QR.
p = w.start_proximity(False)
assert p.qr().startswith("mdoc:") and not p.is_ended()
try:
    p.receive(b"\xff\x00")
    raise SystemExit("garbage was accepted")
except wc.FfiError.ProximityFailed as e:
    assert e.reply is not None and p.is_ended()
print("python platform keys ok")
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_bindings_drive_issuance_and_presentation() {
    // The Python bindings of the cdylib the apps load.
    let (out, lib) = support::bindings::generate(&uniffi_bindgen::bindings::PythonBindingGenerator);
    std::fs::copy(&lib, out.path().join(lib.file_name().unwrap())).unwrap();
    let iss = issuer::start().await;
    let ver = verifier::start().await;
    let query = json!({"credentials": [{"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": [PID_VCT]},
        "claims": [{"path": ["given_name"]}, {"path": ["family_name"]}, {"path": ["birthdate"]}]}]});
    let (request, _) = ver.request(
        query.clone(),
        "direct_post.jwt",
        Some("right_to_work"),
        false,
        None,
    );
    let data = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new("python3");
    cmd.arg("-c")
        .arg(SCRIPT)
        .env("BINDINGS", out.path())
        .env("DATA", data.path())
        .env("ROOT", ver.root.to_pem())
        .env("OFFER", iss.offer_by_reference("pre"))
        .env("ORIGINS", format!("{},{}", iss.base, ver.base))
        .env("REQUEST", request);
    let output = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("python ffi ok"),
        "python failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(ver.last_response().vp_token["pid"].len(), 1);

    // The platform's key store and device keys, implemented in Python.
    let (request, req) = ver.request(query, "direct_post.jwt", Some("right_to_work"), false, None);
    let data = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new("python3");
    cmd.arg("-c")
        .arg(PLATFORM_SCRIPT)
        .env("BINDINGS", out.path())
        .env("DATA", data.path())
        .env("ROOT", ver.root.to_pem())
        .env("OFFER", iss.offer_by_reference("pre"))
        .env("ORIGINS", format!("{},{}", iss.base, ver.base))
        .env("REQUEST", request);
    let output = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("python platform keys ok"),
        "python failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The KB-JWT the Python key signed verifies against the credential's cnf key.
    let vp = ver.last_response().vp_token["pid"][0]
        .as_str()
        .unwrap()
        .to_string();
    let opts = VerifyOptions {
        require_key_binding: true,
        aud: Some(&req.client_id.as_string()),
        nonce: Some(&req.nonce),
        ..VerifyOptions::at(support::now())
    };
    sd_jwt_vc::verify(
        &vp,
        &IssuerKeySource::Key(iss.signer.public_key().clone()),
        &VcVerifyOptions::new(opts),
        &mut CheckLog::default(),
    )
    .unwrap();
}
