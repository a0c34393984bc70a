//! The FFI surface for the apps (uniffi; Kotlin, Swift, and Python in tests): open, accept
//! an offer (pre-authorized or authorization code), list, check a held credential's standing,
//! delete, refill, refresh the register snapshot, prepare and answer a presentation (HAIP
//! mode), hold an ISO 18013-5 proximity session, read the activity log. Small and stable on purpose: records of strings and
//! flags, one error type.
//!
//! The platform brings its own keys through two foreign traits: [`PlatformKeyStore`] wraps
//! the database key (Android Keystore, iOS Secure Enclave) and [`PlatformDeviceKeys`] makes
//! and signs with the keys credentials are bound to (StrongBox, Secure Enclave).

use std::sync::{Arc, Mutex};

use credentials::keys::{Algorithm, Jwk, KeyError, PublicKey, Signer};
use zeroize::Zeroizing;

use crate::consent::Consent;
use crate::device_keys::DeviceKeys;
use crate::keystore::{KeyStore, PassphraseKeyStore};
use crate::proximity::{
    DeviceAuthMode, ProximityEvent, ProximityRequest, ProximitySession, ReaderAuthentication,
};
use crate::wallet::Wallet;

/// What went wrong, for the app.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum FfiError {
    /// The passphrase does not open the wallet.
    #[error("the passphrase does not open this wallet")]
    WrongPassphrase,
    /// The request was refused with an OpenID4VP error code.
    #[error("refused ({code}): {reason}")]
    Refused {
        /// The OpenID4VP error code.
        code: String,
        /// What was wrong.
        reason: String,
    },
    /// A proximity session failed and ended; send `reply` (a SessionData status), if any.
    #[error("proximity session: {reason}")]
    ProximityFailed {
        /// What failed.
        reason: String,
        /// The bytes to send to the reader before closing the transport.
        reply: Option<Vec<u8>>,
    },
    /// Anything else.
    #[error("{reason}")]
    Failed {
        /// What failed.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for FfiError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        FfiError::Failed {
            reason: format!("platform callback: {}", e.reason),
        }
    }
}

/// The platform's key store: wraps and unwraps the wallet's 32-byte database key with a key
/// that never leaves the hardware (Android Keystore AES-GCM key, iOS Secure Enclave ECIES).
#[uniffi::export(with_foreign)]
pub trait PlatformKeyStore: Send + Sync {
    /// Encrypts the data key; the result is stored beside the database.
    fn wrap(&self, data_key: Vec<u8>) -> Result<Vec<u8>, FfiError>;
    /// Decrypts what [`PlatformKeyStore::wrap`] returned.
    fn unwrap(&self, wrapped: Vec<u8>) -> Result<Vec<u8>, FfiError>;
}

/// A device key the platform created: an opaque handle (an alias, never key material) and
/// the public key as a JWK (JSON text).
#[derive(uniffi::Record)]
pub struct PlatformKey {
    /// What the platform needs to find the key again (a Keystore alias, a keychain tag).
    pub handle: Vec<u8>,
    /// The public key, a P-256 JWK.
    pub public_jwk: String,
}

/// The platform's device keys (P-256, ES256): credentials are bound to them and every
/// presentation is signed with them, inside StrongBox / the Secure Enclave.
#[uniffi::export(with_foreign)]
pub trait PlatformDeviceKeys: Send + Sync {
    /// Creates a new P-256 key.
    fn create_key(&self) -> Result<PlatformKey, FfiError>;
    /// The public JWK of the key behind `handle`.
    fn public_jwk(&self, handle: Vec<u8>) -> Result<String, FfiError>;
    /// ECDSA P-256 with SHA-256 over `message` (the platform hashes); DER or raw `r || s`.
    fn sign(&self, handle: Vec<u8>, message: Vec<u8>) -> Result<Vec<u8>, FfiError>;
    /// A key attestation (OpenID4VCI 1.0 Appendix D, a `key-attestation+jwt` from the wallet
    /// provider's backend or the key store) for the keys whose public JWKs are given,
    /// carrying the issuer's `nonce`; `None` when there is none to give (each key then signs
    /// its own proof). One attestation proves a whole batch of keys to an issuer that takes
    /// them, and some issuers require one.
    fn key_attestation(
        &self,
        public_jwks: Vec<String>,
        nonce: Option<String>,
    ) -> Result<Option<String>, FfiError>;
    /// A wallet attestation (HAIP 1.0 section 4.4.1, an `oauth-client-attestation+jwt` from
    /// the wallet provider's backend) for this instance as OAuth client `client_id`, with
    /// the handle of the device key its `cnf.jwk` names (the core signs each PoP with it
    /// through [`PlatformDeviceKeys::sign`]); `None` when there is none (issuers that
    /// require one then refuse).
    fn wallet_attestation(
        &self,
        client_id: String,
    ) -> Result<Option<PlatformWalletAttestation>, FfiError>;
}

/// A wallet attestation the platform gives: the JWT and the handle of its instance key.
#[derive(uniffi::Record)]
pub struct PlatformWalletAttestation {
    /// The `oauth-client-attestation+jwt`.
    pub jwt: String,
    /// The handle of the key its `cnf.jwk` names.
    pub key_handle: Vec<u8>,
}

struct ForeignKeyStore(Arc<dyn PlatformKeyStore>);

impl KeyStore for ForeignKeyStore {
    fn wrap(&self, data_key: &[u8]) -> crate::Result<Vec<u8>> {
        self.0
            .wrap(data_key.to_vec())
            .map_err(|e| crate::Error::KeyStore(e.to_string()))
    }
    fn unwrap(&self, wrapped: &[u8]) -> crate::Result<Zeroizing<Vec<u8>>> {
        let key = self
            .0
            .unwrap(wrapped.to_vec())
            .map_err(|e| crate::Error::KeyStore(e.to_string()))?;
        if key.len() != 32 {
            return Err(crate::Error::KeyStore(
                "the platform key store returned a key that is not 32 bytes".into(),
            ));
        }
        Ok(Zeroizing::new(key))
    }
}

struct ForeignDeviceKeys(Arc<dyn PlatformDeviceKeys>);

fn p256_public(jwk: &str) -> crate::Result<PublicKey> {
    let jwk = Jwk::from_json(jwk)?;
    if jwk.is_private() {
        return Err(crate::Error::KeyStore(
            "the platform handed over a private key".into(),
        ));
    }
    Ok(jwk.public_key().clone())
}

impl DeviceKeys for ForeignDeviceKeys {
    fn create(&self) -> crate::Result<(Zeroizing<Vec<u8>>, PublicKey)> {
        let k = self
            .0
            .create_key()
            .map_err(|e| crate::Error::KeyStore(e.to_string()))?;
        Ok((Zeroizing::new(k.handle), p256_public(&k.public_jwk)?))
    }
    fn signer(&self, handle: &[u8]) -> crate::Result<Arc<dyn Signer>> {
        let jwk = self
            .0
            .public_jwk(handle.to_vec())
            .map_err(|e| crate::Error::KeyStore(e.to_string()))?;
        Ok(Arc::new(ForeignSigner {
            keys: self.0.clone(),
            handle: handle.to_vec(),
            public: p256_public(&jwk)?,
        }))
    }
    fn key_attestation(
        &self,
        keys: &[PublicKey],
        nonce: Option<&str>,
    ) -> crate::Result<Option<String>> {
        let jwks = keys
            .iter()
            .map(|k| k.to_jwk().to_value().to_string())
            .collect();
        self.0
            .key_attestation(jwks, nonce.map(str::to_string))
            .map_err(|e| crate::Error::KeyStore(e.to_string()))
    }
    fn wallet_attestation(
        &self,
        client_id: &str,
    ) -> crate::Result<Option<(String, Zeroizing<Vec<u8>>)>> {
        Ok(self
            .0
            .wallet_attestation(client_id.to_string())
            .map_err(|e| crate::Error::KeyStore(e.to_string()))?
            .map(|a| (a.jwt, Zeroizing::new(a.key_handle))))
    }
}

/// A [`Signer`] whose key lives in the platform.
struct ForeignSigner {
    keys: Arc<dyn PlatformDeviceKeys>,
    handle: Vec<u8>,
    public: PublicKey,
}

impl Signer for ForeignSigner {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Es256
    }
    fn public_key(&self) -> &PublicKey {
        &self.public
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let sig = self
            .keys
            .sign(self.handle.clone(), message.to_vec())
            .map_err(|e| KeyError::Backend(e.to_string()))?;
        match sig.len() {
            64 => Ok(sig),
            _ => credentials::keys::ecdsa_der::der_to_fixed(&sig, 32).ok_or_else(|| {
                KeyError::Backend("the platform signature is neither DER nor r || s".into())
            }),
        }
    }
}

impl From<crate::Error> for FfiError {
    fn from(e: crate::Error) -> Self {
        match e {
            crate::Error::WrongPassphrase => FfiError::WrongPassphrase,
            crate::Error::Request { code, message } => FfiError::Refused {
                code: code.code().into(),
                reason: message,
            },
            other => FfiError::Failed {
                reason: other.to_string(),
            },
        }
    }
}

/// A stored credential.
#[derive(uniffi::Record)]
pub struct FfiCredential {
    /// Its id.
    pub id: String,
    /// vct or docType.
    pub type_name: String,
    /// The format.
    pub format: String,
    /// The issuer.
    pub issuer: String,
    /// Whether it was presented (single-use).
    pub used: bool,
    /// Whether its batch is single-use (each credential shown once; `refill` tops it up).
    pub single_use: bool,
    /// The batch it belongs to (what `refill` tops up).
    pub batch_id: Option<String>,
    /// When it expires (seconds since the epoch), if it says.
    pub expires_at: Option<i64>,
}

/// A held credential's standing now: its issuer judged against the wallet's current copy
/// of the trust register, and its expiry.
#[derive(uniffi::Record)]
pub struct FfiCredentialStatus {
    /// `registered` (a certified provider of the type when it was issued) or `unverified`.
    pub standing: String,
    /// The provider's registered name, or why it could not be confirmed, in plain words.
    pub detail: String,
    /// Whether it has expired.
    pub expired: bool,
}

/// An authorization code flow started: where to send the person, and the id to finish it.
#[derive(uniffi::Record)]
pub struct FfiAuthorizationStart {
    /// The pending flow.
    pub id: String,
    /// The issuer's authorization page (open it in the browser).
    pub authorize_url: String,
}

/// One claim asked for.
#[derive(uniffi::Record)]
pub struct FfiClaim {
    /// Approve it by this key.
    pub key: String,
    /// Its name.
    pub name: String,
    /// The value (JSON) to show the person.
    pub value_json: String,
    /// The credential type it comes from.
    pub credential_type: String,
    /// Whether the verifier registered it for the purpose.
    pub registered: bool,
}

/// What the app shows before anything is released.
#[derive(uniffi::Record)]
pub struct FfiConsentRequest {
    /// The pending presentation.
    pub id: String,
    /// The verifier's client id.
    pub verifier_client_id: String,
    /// Its registered name.
    pub verifier_name: Option<String>,
    /// Whether the trust register knows it.
    pub verifier_registered: bool,
    /// The stated purpose.
    pub purpose: Option<String>,
    /// The registered description of that purpose.
    pub purpose_description: Option<String>,
    /// How long the verifier keeps what it is given, in words, as registered.
    pub retention: Option<String>,
    /// The trust finding (JSON).
    pub trust_json: String,
    /// Set when the wallet refuses regardless.
    pub refused: Option<String>,
    /// The claims asked.
    pub claims: Vec<FfiClaim>,
}

/// The result of answering.
#[derive(uniffi::Record)]
pub struct FfiOutcome {
    /// Whether claims were sent.
    pub shared: bool,
    /// The error sent instead, if any.
    pub error: Option<String>,
    /// Where to go next.
    pub redirect_uri: Option<String>,
    /// The claims released.
    pub claims: Vec<String>,
}

/// One activity log entry.
#[derive(uniffi::Record)]
pub struct FfiActivity {
    /// When (seconds since the epoch).
    pub at: i64,
    /// shared, declined, refused, received.
    pub outcome: String,
    /// The verifier or issuer.
    pub counterparty: String,
    /// The claims released (names).
    pub claims: Vec<String>,
}

/// The wallet, for the app.
#[derive(uniffi::Object)]
pub struct WalletHandle {
    rt: tokio::runtime::Runtime,
    wallet: Wallet,
}

#[uniffi::export]
impl WalletHandle {
    /// Opens or creates the wallet in `data_dir` with a passphrase-derived key.
    #[uniffi::constructor]
    pub fn open(data_dir: String, passphrase: String) -> Result<Arc<Self>, FfiError> {
        let rt = runtime()?;
        let wallet = rt.block_on(Wallet::open(
            std::path::Path::new(&data_dir),
            &PassphraseKeyStore::new(&passphrase),
        ))?;
        Ok(Arc::new(WalletHandle { rt, wallet }))
    }

    /// Opens or creates the wallet in `data_dir` with the platform's key store and, when
    /// given, its hardware device keys (software keys sealed in the store otherwise).
    #[uniffi::constructor]
    pub fn open_with_platform(
        data_dir: String,
        key_store: Arc<dyn PlatformKeyStore>,
        device_keys: Option<Arc<dyn PlatformDeviceKeys>>,
    ) -> Result<Arc<Self>, FfiError> {
        let rt = runtime()?;
        let device_keys: Arc<dyn DeviceKeys> = match device_keys {
            Some(k) => Arc::new(ForeignDeviceKeys(k)),
            None => Arc::new(crate::device_keys::SoftwareDeviceKeys),
        };
        let wallet = rt.block_on(Wallet::open_with(
            std::path::Path::new(&data_dir),
            &ForeignKeyStore(key_store),
            device_keys,
        ))?;
        Ok(Arc::new(WalletHandle { rt, wallet }))
    }

    /// Allows the wallet to reach these origins (`scheme://host:port`) even over plain HTTP
    /// or at a non-public address, for a scheme's own services on a closed network; by
    /// default the wallet sends to public HTTPS addresses only.
    pub fn allow_origins(&self, origins: Vec<String>) {
        self.wallet
            .set_fetch_policy(vouch_fetch::FetchPolicy::allowing(origins));
    }

    /// Trusts PEM roots for 18013-5 reader authentication.
    pub fn add_reader_root(&self, pem: String) -> Result<(), FfiError> {
        Ok(self.rt.block_on(self.wallet.add_reader_root(&pem))?)
    }

    /// Starts an ISO 18013-5 proximity presentation: a fresh engagement whose QR text the
    /// app shows; `device_mac` answers with DeviceMac where the device key allows it.
    pub fn start_proximity(
        self: Arc<Self>,
        device_mac: bool,
    ) -> Result<Arc<ProximityHandle>, FfiError> {
        let mode = if device_mac {
            DeviceAuthMode::Mac
        } else {
            DeviceAuthMode::Signature
        };
        let session = ProximitySession::new(mode)?;
        Ok(Arc::new(ProximityHandle {
            wallet: self,
            session: Mutex::new(session),
        }))
    }

    /// Fetches the trust register's current snapshot from `registry_url` and pins it,
    /// verified with the scheme's snapshot key (a JWK, JSON) and genesis log key.
    pub fn refresh_register(
        &self,
        registry_url: String,
        snapshot_key_jwk: String,
        log_vkey: String,
    ) -> Result<(), FfiError> {
        let key =
            credentials::keys::Jwk::from_json(&snapshot_key_jwk).map_err(|e| FfiError::Failed {
                reason: format!("snapshot key: {e}"),
            })?;
        Ok(self
            .rt
            .block_on(self.wallet.refresh_register(&registry_url, &key, &log_vkey))?)
    }

    /// Turns HAIP 1.0 mode on or off: on redirect-based flows, only signed requests from an
    /// `x509_hash` or `x509_san_dns` client whose response is encrypted.
    pub fn set_haip_mode(&self, on: bool) -> Result<(), FfiError> {
        Ok(self.rt.block_on(self.wallet.set_haip(on))?)
    }

    /// Trusts PEM roots for verifier request objects.
    pub fn add_verifier_root(&self, pem: String) -> Result<(), FfiError> {
        Ok(self.rt.block_on(self.wallet.add_verifier_root(&pem))?)
    }

    /// Accepts a credential offer (pre-authorized code flow); returns how many arrived.
    pub fn accept_offer(
        &self,
        offer_url: String,
        tx_code: Option<String>,
    ) -> Result<u32, FfiError> {
        let got = self
            .rt
            .block_on(self.wallet.accept_offer(&offer_url, tx_code.as_deref()))?;
        Ok(got.iter().map(|r| r.count as u32).sum())
    }

    /// Every stored credential.
    pub fn list(&self) -> Result<Vec<FfiCredential>, FfiError> {
        let (creds, batches) = self.rt.block_on(async {
            Ok::<_, crate::Error>((
                self.wallet.credentials().await?,
                self.wallet.batches().await?,
            ))
        })?;
        let single_use: std::collections::HashMap<String, bool> = batches
            .into_iter()
            .map(|b| (b.id, b.value.single_use))
            .collect();
        Ok(creds
            .into_iter()
            .map(|c| FfiCredential {
                id: c.id,
                type_name: c.value.type_name().to_string(),
                format: c.value.format,
                issuer: c.value.issuer,
                used: c.used,
                single_use: c
                    .batch_id
                    .as_ref()
                    .and_then(|b| single_use.get(b).copied())
                    .unwrap_or(false),
                batch_id: c.batch_id,
                expires_at: c.value.expires_at,
            })
            .collect())
    }

    /// Starts the authorization code flow of an offer (PKCE, PAR where the server has it):
    /// the app opens `authorize_url`, then gives the redirect to `finish_authorization`.
    pub fn start_authorization(
        &self,
        offer_url: String,
        redirect_uri: String,
    ) -> Result<FfiAuthorizationStart, FfiError> {
        let start = self.rt.block_on(async {
            let offer = self.wallet.resolve_offer(&offer_url).await?;
            self.wallet.start_authorization(offer, &redirect_uri).await
        })?;
        Ok(FfiAuthorizationStart {
            id: start.id,
            authorize_url: start.authorize_url,
        })
    }

    /// Completes the authorization code flow with the URL the browser was redirected to;
    /// returns how many credentials arrived.
    pub fn finish_authorization(&self, id: String, redirect_url: String) -> Result<u32, FfiError> {
        let got = self
            .rt
            .block_on(self.wallet.finish_authorization(&id, &redirect_url))?;
        Ok(got.iter().map(|r| r.count as u32).sum())
    }

    /// Deletes a credential and its device key.
    pub fn delete_credential(&self, id: String) -> Result<(), FfiError> {
        Ok(self.rt.block_on(self.wallet.delete_credential(&id))?)
    }

    /// Tops up a single-use batch through the issuer's refresh token; returns how many
    /// credentials arrived.
    pub fn refill(&self, batch_id: String) -> Result<u32, FfiError> {
        Ok(self.rt.block_on(self.wallet.refill(&batch_id))? as u32)
    }

    /// A held credential's standing now, judged offline against the wallet's copy of the
    /// trust register (its signature and issuer chain checked again).
    pub fn credential_status(&self, id: String) -> Result<FfiCredentialStatus, FfiError> {
        let c = self.rt.block_on(self.wallet.credential(&id))?;
        let now = time::OffsetDateTime::now_utc();
        let register = self.wallet.register.lock().expect("register lock").clone();
        let standing = crate::receipt::check(&c.format, &c.raw, register.as_ref(), now)?;
        let (standing, detail) = match standing {
            crate::receipt::Standing::Registered { provider } => ("registered", provider),
            crate::receipt::Standing::Unverified { reason } => ("unverified", reason),
        };
        Ok(FfiCredentialStatus {
            standing: standing.into(),
            detail,
            expired: c.expires_at.is_some_and(|t| t <= now.unix_timestamp()),
        })
    }

    /// Reads a presentation request and returns what to show the person.
    pub fn prepare_presentation(&self, request_url: String) -> Result<FfiConsentRequest, FfiError> {
        let r = self
            .rt
            .block_on(self.wallet.prepare_presentation(&request_url))?;
        Ok(FfiConsentRequest {
            id: r.id.clone(),
            verifier_client_id: r.verifier.client_id.clone(),
            verifier_name: r.verifier.name.clone(),
            verifier_registered: r.verifier.registered,
            purpose: r.purpose.clone(),
            purpose_description: r.purpose_description.clone(),
            retention: r.retention.as_ref().map(|x| x.description.clone()),
            trust_json: serde_json::to_string(&r.trust).expect("JSON"),
            refused: r.refused.clone(),
            claims: r
                .credentials
                .iter()
                .flat_map(|c| {
                    c.claims.iter().map(move |k| FfiClaim {
                        key: k.key.clone(),
                        name: k.name.clone(),
                        value_json: k.value.to_string(),
                        credential_type: c.type_name.clone(),
                        registered: k.registered,
                    })
                })
                .collect(),
        })
    }

    /// Answers: `approve` false (or no claims) sends `access_denied`; otherwise only the
    /// claims whose keys are listed are released.
    pub fn respond(
        &self,
        id: String,
        approve: bool,
        claims: Vec<String>,
    ) -> Result<FfiOutcome, FfiError> {
        let o = self
            .rt
            .block_on(self.wallet.respond(&id, &Consent { approve, claims }))?;
        Ok(FfiOutcome {
            shared: o.shared,
            error: o.error,
            redirect_uri: o.redirect_uri,
            claims: o.claims,
        })
    }

    /// The activity log, oldest first.
    pub fn activity(&self) -> Result<Vec<FfiActivity>, FfiError> {
        Ok(self
            .rt
            .block_on(self.wallet.activity())?
            .into_iter()
            .map(|a| FfiActivity {
                at: a.at,
                outcome: serde_json::to_value(a.outcome)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                counterparty: a.counterparty,
                claims: a.claims,
            })
            .collect())
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, FfiError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| FfiError::Failed {
            reason: e.to_string(),
        })
}

/// One data element a reader asks for in person.
#[derive(uniffi::Record)]
pub struct FfiProximityElement {
    /// Approve it by this key.
    pub key: String,
    /// The docType.
    pub doc_type: String,
    /// The namespace.
    pub namespace: String,
    /// The element identifier.
    pub element: String,
    /// The value (JSON) to show the person; None when the wallet does not hold it.
    pub value_json: Option<String>,
    /// Whether the reader says it will keep it.
    pub intent_to_retain: bool,
    /// Whether the reader's registration covers it.
    pub registered: bool,
}

/// What the app shows before anything is released in person.
#[derive(uniffi::Record)]
pub struct FfiProximityRequest {
    /// The request id.
    pub id: String,
    /// trusted, untrusted, invalid or unauthenticated.
    pub reader_authentication: String,
    /// The reader certificate's subject, if it sent one.
    pub reader_subject: Option<String>,
    /// Its registered name (authenticated and registered readers only).
    pub reader_name: Option<String>,
    /// Whether the trust register knows the reader.
    pub reader_registered: bool,
    /// The registered purpose that covers the request.
    pub purpose: Option<String>,
    /// The trust finding (JSON).
    pub trust_json: String,
    /// Set when the wallet refuses regardless.
    pub refused: Option<String>,
    /// The elements asked.
    pub elements: Vec<FfiProximityElement>,
}

/// What a message from the reader meant.
#[derive(uniffi::Record)]
pub struct FfiProximityStep {
    /// A request to show the person (then call `respond`).
    pub request: Option<FfiProximityRequest>,
    /// The reader ended the session.
    pub ended: bool,
}

/// The answer to send.
#[derive(uniffi::Record)]
pub struct FfiProximityAnswer {
    /// The SessionData bytes for the transport.
    pub message: Vec<u8>,
    /// Whether anything was released.
    pub shared: bool,
    /// The elements released.
    pub claims: Vec<String>,
}

/// An ISO 18013-5 proximity session: the app moves bytes between it and the radio (BLE,
/// NFC) and shows the person what is asked.
#[derive(uniffi::Object)]
pub struct ProximityHandle {
    wallet: Arc<WalletHandle>,
    session: Mutex<ProximitySession>,
}

impl ProximityHandle {
    fn session(&self) -> std::sync::MutexGuard<'_, ProximitySession> {
        self.session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn ffi_request(r: &ProximityRequest) -> FfiProximityRequest {
    let (auth, subject) = match &r.reader.authentication {
        ReaderAuthentication::Trusted { subject } => ("trusted", Some(subject.clone())),
        ReaderAuthentication::Untrusted { subject, .. } => ("untrusted", subject.clone()),
        ReaderAuthentication::Invalid { .. } => ("invalid", None),
        ReaderAuthentication::Unauthenticated => ("unauthenticated", None),
    };
    FfiProximityRequest {
        id: r.id.clone(),
        reader_authentication: auth.into(),
        reader_subject: subject,
        reader_name: r.reader.name.clone(),
        reader_registered: r.reader.registered,
        purpose: r.reader.purpose.clone(),
        trust_json: serde_json::to_string(&r.trust).unwrap_or_default(),
        refused: r.refused.clone(),
        elements: r
            .documents
            .iter()
            .flat_map(|d| {
                d.elements.iter().map(move |e| FfiProximityElement {
                    key: e.key.clone(),
                    doc_type: d.doc_type.clone(),
                    namespace: e.namespace.clone(),
                    element: e.element.clone(),
                    value_json: e.value.as_ref().map(|v| v.to_string()),
                    intent_to_retain: e.intent_to_retain,
                    registered: e.registered,
                })
            })
            .collect(),
    }
}

#[uniffi::export]
impl ProximityHandle {
    /// The engagement QR text (`mdoc:...`).
    pub fn qr(&self) -> String {
        self.session().qr()
    }

    /// Feeds one message from the reader. A failure ends the session; its error carries the
    /// status message to send back.
    pub fn receive(&self, message: Vec<u8>) -> Result<FfiProximityStep, FfiError> {
        let mut s = self.session();
        let w = &self.wallet;
        match w.rt.block_on(w.wallet.proximity_receive(&mut s, &message)) {
            Ok(ProximityEvent::Request(r)) => Ok(FfiProximityStep {
                request: Some(ffi_request(&r)),
                ended: false,
            }),
            Ok(ProximityEvent::Ended) => Ok(FfiProximityStep {
                request: None,
                ended: true,
            }),
            Err(crate::Error::Proximity(e)) => Err(FfiError::ProximityFailed {
                reason: e.to_string(),
                reply: s.fail(&e),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Answers the waiting request with only the approved element keys (`approve` false or
    /// no keys: nothing is released); returns the bytes to send.
    pub fn respond(
        &self,
        approve: bool,
        claims: Vec<String>,
    ) -> Result<FfiProximityAnswer, FfiError> {
        let mut s = self.session();
        let w = &self.wallet;
        let a = w.rt.block_on(
            w.wallet
                .proximity_respond(&mut s, &Consent { approve, claims }),
        )?;
        Ok(FfiProximityAnswer {
            message: a.message,
            shared: a.shared,
            claims: a.claims,
        })
    }

    /// Ends the session: the status-20 message to send.
    pub fn terminate(&self) -> Vec<u8> {
        self.session().terminate()
    }

    /// Whether the session has ended.
    pub fn is_ended(&self) -> bool {
        self.session().is_ended()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credentials::keys::{Algorithm, SoftwareSigner};

    /// Platform keys that only answer key attestations: the JWKs and nonce they were asked
    /// for, so the test sees what crossed the FFI.
    struct Attesting(std::sync::Mutex<Vec<(Vec<String>, Option<String>)>>);

    impl PlatformDeviceKeys for Attesting {
        fn create_key(&self) -> Result<PlatformKey, FfiError> {
            Err(FfiError::Failed {
                reason: "not here".into(),
            })
        }
        fn public_jwk(&self, _handle: Vec<u8>) -> Result<String, FfiError> {
            Err(FfiError::Failed {
                reason: "not here".into(),
            })
        }
        fn sign(&self, _handle: Vec<u8>, _message: Vec<u8>) -> Result<Vec<u8>, FfiError> {
            Err(FfiError::Failed {
                reason: "not here".into(),
            })
        }
        fn key_attestation(
            &self,
            public_jwks: Vec<String>,
            nonce: Option<String>,
        ) -> Result<Option<String>, FfiError> {
            self.0.lock().unwrap().push((public_jwks, nonce));
            Ok(Some("attestation.jwt.here".into()))
        }
        fn wallet_attestation(
            &self,
            client_id: String,
        ) -> Result<Option<PlatformWalletAttestation>, FfiError> {
            Ok(Some(PlatformWalletAttestation {
                jwt: format!("wallet.attestation.{client_id}"),
                key_handle: b"instance-key".to_vec(),
            }))
        }
    }

    #[test]
    fn a_wallet_attestation_crosses_the_ffi_with_its_instance_key_handle() {
        let keys = ForeignDeviceKeys(Arc::new(Attesting(Default::default())));
        let (jwt, handle) = keys.wallet_attestation("vouch-wallet").unwrap().unwrap();
        assert_eq!(jwt, "wallet.attestation.vouch-wallet");
        assert_eq!(handle.as_slice(), b"instance-key");
    }

    #[test]
    fn key_attestations_cross_the_ffi_with_every_public_key_and_the_nonce() {
        let platform = Arc::new(Attesting(Default::default()));
        let keys = ForeignDeviceKeys(platform.clone());
        let publics: Vec<PublicKey> = (0..3)
            .map(|_| {
                SoftwareSigner::generate(Algorithm::Es256)
                    .unwrap()
                    .0
                    .public_key()
                    .clone()
            })
            .collect();
        let got = keys.key_attestation(&publics, Some("n-1")).unwrap();
        assert_eq!(got.as_deref(), Some("attestation.jwt.here"));
        let asked = platform.0.lock().unwrap();
        assert_eq!(asked.len(), 1);
        let (jwks, nonce) = &asked[0];
        assert_eq!(nonce.as_deref(), Some("n-1"));
        let back: Vec<PublicKey> = jwks.iter().map(|j| p256_public(j).unwrap()).collect();
        assert_eq!(back, publics, "every key, in order, public only");
    }
}
