//! The FFI surface for the apps (uniffi; Kotlin, Swift, and Python in tests): open, accept
//! an offer, list, prepare and answer a presentation, read the activity log. Small and
//! stable on purpose: records of strings and flags, one error type.

use std::sync::Arc;

use crate::consent::Consent;
use crate::keystore::PassphraseKeyStore;
use crate::wallet::Wallet;

/// What went wrong, for the app.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum FfiError {
    /// The passphrase does not open the wallet.
    #[error("the passphrase does not open this wallet")]
    WrongPassphrase,
    /// The request was refused with an OpenID4VP error code.
    #[error("refused ({code}): {message}")]
    Refused {
        /// The OpenID4VP error code.
        code: String,
        /// What was wrong.
        message: String,
    },
    /// Anything else.
    #[error("{message}")]
    Failed {
        /// What failed.
        message: String,
    },
}

impl From<crate::Error> for FfiError {
    fn from(e: crate::Error) -> Self {
        match e {
            crate::Error::WrongPassphrase => FfiError::WrongPassphrase,
            crate::Error::Request { code, message } => FfiError::Refused {
                code: code.code().into(),
                message,
            },
            other => FfiError::Failed {
                message: other.to_string(),
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
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| FfiError::Failed {
                message: e.to_string(),
            })?;
        let wallet = rt.block_on(Wallet::open(
            std::path::Path::new(&data_dir),
            &PassphraseKeyStore::new(&passphrase),
        ))?;
        Ok(Arc::new(WalletHandle { rt, wallet }))
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
        Ok(self
            .rt
            .block_on(self.wallet.credentials())?
            .into_iter()
            .map(|c| FfiCredential {
                id: c.id,
                type_name: c.value.type_name().to_string(),
                format: c.value.format,
                issuer: c.value.issuer,
                used: c.used,
            })
            .collect())
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
