//! Token Status Lists, fetched and cached: a failed fetch is "status unknown" with the age
//! of the cached list, never "revoked" and never a silent "valid".

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use credentials::keys::PublicKey;
use credentials::status::{StatusListToken, StatusReference, INVALID, SUSPENDED, VALID};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::trust::BoxFut;

/// Largest status list token fetched, bytes.
pub const MAX_TOKEN_BYTES: usize = 4 * 1024 * 1024;

/// Why a status list could not be had (the status is then unknown, never revoked).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StatusFetchError {
    /// The outbound fetcher refused or failed; its error code.
    #[error("the status list could not be fetched ({0})")]
    Fetch(String),
    /// The body is not UTF-8 text.
    #[error("the status list is not text")]
    NotText,
    /// Offline mode: no network at all.
    #[error("offline: no network")]
    Offline,
    /// Another source (a test double, a mirror) could not give it; why.
    #[error("{0}")]
    Unavailable(String),
}

/// Fetches a Status List Token (JWT form) by its URI.
pub trait StatusFetcher: Send + Sync {
    /// The token text, or why it could not be had.
    fn fetch<'a>(&'a self, uri: &'a str) -> BoxFut<'a, Result<String, StatusFetchError>>;

    /// The outbound policy the verifier's other fetches (W3C status lists, `did:web`)
    /// follow beside this one: by default nothing but public HTTPS.
    fn policy(&self) -> vouch_fetch::FetchPolicy {
        vouch_fetch::FetchPolicy::default()
    }
}

/// Fetches through the one outbound [`vouch_fetch::Fetcher`]: HTTPS to public addresses
/// (or the deployment's allowed origins), no redirects, [`MAX_TOKEN_BYTES`] at most, a
/// generic error to the caller.
pub struct HttpStatusFetcher {
    fetcher: vouch_fetch::Fetcher,
}

impl HttpStatusFetcher {
    /// A fetcher under the deployment's policy ([`vouch_fetch::FetchPolicy::from_env`]).
    pub fn new() -> Self {
        Self::with_policy(vouch_fetch::FetchPolicy::from_env())
    }

    /// A fetcher under `policy`.
    pub fn with_policy(policy: vouch_fetch::FetchPolicy) -> Self {
        HttpStatusFetcher {
            fetcher: vouch_fetch::Fetcher::new(policy.with_max_bytes(MAX_TOKEN_BYTES)),
        }
    }
}

impl Default for HttpStatusFetcher {
    fn default() -> Self {
        Self::new()
    }
}

impl StatusFetcher for HttpStatusFetcher {
    fn fetch<'a>(&'a self, uri: &'a str) -> BoxFut<'a, Result<String, StatusFetchError>> {
        Box::pin(async move {
            let got = self
                .fetcher
                .get(uri, credentials::status::token_status_list::JWT_MEDIA_TYPE)
                .await
                .map_err(|e| StatusFetchError::Fetch(e.code().to_string()))?;
            String::from_utf8(got.body).map_err(|_| StatusFetchError::NotText)
        })
    }

    fn policy(&self) -> vouch_fetch::FetchPolicy {
        self.fetcher.policy().clone()
    }
}

/// No network at all (offline mode): every fetch fails, the cache decides.
pub struct NoNetwork;

impl StatusFetcher for NoNetwork {
    fn fetch<'a>(&'a self, _uri: &'a str) -> BoxFut<'a, Result<String, StatusFetchError>> {
        Box::pin(async { Err(StatusFetchError::Offline) })
    }
}

/// A cached token and when it was fetched.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CachedList {
    /// The URI.
    pub uri: String,
    /// The token as fetched.
    pub token: String,
    /// When it was fetched.
    #[serde(with = "time::serde::rfc3339")]
    pub fetched_at: OffsetDateTime,
}

/// Status list tokens by URI, in memory and (optionally) as files in a directory.
#[derive(Default)]
pub struct StatusCache {
    dir: Option<PathBuf>,
    mem: Mutex<HashMap<String, CachedList>>,
}

impl StatusCache {
    /// A cache persisted in `dir` (created if missing), or in memory only.
    pub fn new(dir: Option<PathBuf>) -> Self {
        if let Some(d) = &dir {
            let _ = vouch_ops::files::private_dir(d);
        }
        StatusCache {
            dir,
            mem: Mutex::default(),
        }
    }

    fn file(&self, uri: &str) -> Option<PathBuf> {
        let h: String = Sha256::digest(uri.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.dir.as_ref().map(|d| d.join(format!("{h}.json")))
    }

    /// The cached entry for `uri`.
    pub fn get(&self, uri: &str) -> Option<CachedList> {
        if let Some(c) = self.mem.lock().expect("cache lock").get(uri) {
            return Some(c.clone());
        }
        let c: CachedList = serde_json::from_slice(&std::fs::read(self.file(uri)?).ok()?).ok()?;
        (c.uri == uri).then(|| {
            self.mem
                .lock()
                .expect("cache lock")
                .insert(uri.to_string(), c.clone());
            c
        })
    }

    /// Stores a token fetched at `at`.
    pub fn put(&self, uri: &str, token: &str, at: OffsetDateTime) {
        let c = CachedList {
            uri: uri.into(),
            token: token.into(),
            fetched_at: at,
        };
        if let Some(f) = self.file(uri) {
            let _ = vouch_ops::files::write_private(&f, serde_json::to_vec(&c).expect("JSON"));
        }
        self.mem
            .lock()
            .expect("cache lock")
            .insert(uri.to_string(), c);
    }
}

/// What the status check found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StatusOutcome {
    /// The credential is valid on a list this old (seconds).
    Valid {
        /// Age of the list used.
        age: i64,
    },
    /// Revoked (INVALID).
    Revoked {
        /// Age of the list used.
        age: i64,
    },
    /// Suspended.
    Suspended {
        /// Age of the list used.
        age: i64,
    },
    /// An application-specific value.
    Other {
        /// The value.
        value: u8,
        /// Age of the list used.
        age: i64,
    },
    /// No usable list: the fetch failed and no cached list is young enough.
    Unknown {
        /// Why.
        reason: String,
        /// Age of the cached list, if one was cached.
        cached_age: Option<i64>,
    },
}

/// Status lists through a fetcher and a cache.
#[derive(Clone)]
pub struct StatusLists {
    fetcher: Arc<dyn StatusFetcher>,
    cache: Arc<StatusCache>,
}

impl StatusLists {
    /// Status lists fetched by `fetcher`, cached in `cache`.
    pub fn new(fetcher: Arc<dyn StatusFetcher>, cache: StatusCache) -> Self {
        StatusLists {
            fetcher,
            cache: Arc::new(cache),
        }
    }

    /// The cache.
    pub fn cache(&self) -> &StatusCache {
        &self.cache
    }

    /// The outbound policy of the fetcher.
    pub fn fetch_policy(&self) -> vouch_fetch::FetchPolicy {
        self.fetcher.policy()
    }

    /// The status of `reference`: a cached list within its `ttl` is used as is; otherwise
    /// a fresh one is fetched; if that fails, a cached list no older than `max_age` is used;
    /// otherwise the status is unknown.
    pub async fn check(
        &self,
        reference: &StatusReference,
        issuer_key: &PublicKey,
        now: OffsetDateTime,
        max_age: Duration,
    ) -> StatusOutcome {
        let uri = reference.uri.as_str();
        let verify =
            |text: &str| StatusListToken::verify_jwt(text, issuer_key, uri, now.unix_timestamp());
        let cached = self.cache.get(uri);
        let cached_ok = cached.as_ref().and_then(|c| {
            let age = (now - c.fetched_at).whole_seconds();
            verify(&c.token).ok().map(|t| (t, age))
        });
        if let Some((t, age)) = &cached_ok {
            let ttl = t
                .ttl
                .map(|x| x as i64)
                .unwrap_or(0)
                .min(max_age.whole_seconds());
            if *age <= ttl {
                return outcome(t, reference.idx, *age);
            }
        }
        let fetched = match self.fetcher.fetch(uri).await {
            Ok(text) => verify(&text).map(|t| (t, text)).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match fetched {
            Ok((t, text)) => {
                self.cache.put(uri, &text, now);
                outcome(&t, reference.idx, 0)
            }
            Err(reason) => match cached_ok {
                Some((t, age)) if age <= max_age.whole_seconds() => outcome(&t, reference.idx, age),
                other => StatusOutcome::Unknown {
                    reason,
                    cached_age: other
                        .map(|(_, a)| a)
                        .or_else(|| cached.map(|c| (now - c.fetched_at).whole_seconds())),
                },
            },
        }
    }
}

fn outcome(t: &StatusListToken, idx: u64, age: i64) -> StatusOutcome {
    match t.status(idx) {
        Ok(VALID) => StatusOutcome::Valid { age },
        Ok(INVALID) => StatusOutcome::Revoked { age },
        Ok(SUSPENDED) => StatusOutcome::Suspended { age },
        Ok(value) => StatusOutcome::Other { value, age },
        Err(e) => StatusOutcome::Unknown {
            reason: e.to_string(),
            cached_age: Some(age),
        },
    }
}
