//! ISO/IEC 18013-5 proximity holder: the engagement QR from a fresh ephemeral key, the
//! session over credentials' [`Transport`] (or bytes the app's radio hands in), reader
//! authentication checked and the reader looked up in the trust register, a consent request
//! naming every element and whether the reader intends to retain it, and a DeviceResponse
//! with only what the person approved, encrypted to the reader.
//!
//! An app drives [`ProximitySession`] message by message: [`Wallet::proximity_receive`]
//! turns the reader's bytes into a [`ProximityEvent`], [`Wallet::proximity_respond`] turns
//! the person's [`Consent`] into the bytes to send back. [`Wallet::serve_proximity`] runs the
//! same steps over a blocking [`Transport`].

use std::collections::BTreeMap;

use ciborium::Value as Cbor;
use credentials::cbor;
use credentials::keys::{provider, KeyKind, PublicKey, SecretKey};
use credentials::mdoc::session::{
    DeviceEngagement, Role, SessionData, SessionEncryption, SessionEstablishment, Transport,
    STATUS_SESSION_TERMINATION,
};
use credentials::mdoc::{
    self, reader_auth, DeviceKeyAuth, DeviceRequest, DocRequest, IssuerSigned, MdocError,
    SessionTranscript,
};
use credentials::openid4vp::ClientId;
use credentials::x509::Certificate;
use serde::Serialize;
use serde_json::Value;
use trust_framework::register::Register;

use crate::activity::{ActivityEntry, Outcome};
use crate::consent::{evaluate, relying_party_id, Consent, TrustFinding};
use crate::error::{Error, Result};
use crate::model::StoredCredential;
use crate::store::random_id;
use crate::wallet::{now, OverAskingPolicy, Wallet};

/// SessionData status 10: error, session encryption (18013-5 table 20).
pub const STATUS_SESSION_ENCRYPTION: u64 = 10;
/// SessionData status 11: error, CBOR decoding.
pub const STATUS_CBOR_DECODING: u64 = 11;
/// DocumentError code 0: data not returned (18013-5 clause 8.3.2.1.2.3).
pub const DOCUMENT_ERROR_NOT_RETURNED: i64 = 0;
/// The activity log's name for this channel.
pub const CHANNEL: &str = "iso18013-5 proximity";

/// Why a proximity session failed; [`ProximityError::status`] is the SessionData status the
/// holder sends to end the session after it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProximityError {
    /// A message is not the CBOR structure 18013-5 defines.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// A message did not decrypt (wrong key, replayed, reordered or tampered).
    #[error("session data does not decrypt: {0}")]
    Decryption(String),
    /// A message arrived that the session does not expect now.
    #[error("unexpected message: {0}")]
    Unexpected(&'static str),
    /// The session has ended; nothing more is sent or accepted.
    #[error("the session has ended")]
    Ended,
    /// The reader ended the session with an error status.
    #[error("the reader ended the session with status {0}")]
    ReaderStatus(u64),
    /// There is no request waiting for an answer.
    #[error("no request is waiting for an answer")]
    NoPendingRequest,
    /// The key for the session could not be made.
    #[error("session keys: {0}")]
    Keys(String),
    /// The transport failed.
    #[error("transport: {0}")]
    Transport(String),
}

impl ProximityError {
    /// The SessionData status to send for this failure (10 or 11), if one is sent at all.
    pub fn status(&self) -> Option<u64> {
        match self {
            ProximityError::Malformed(_) => Some(STATUS_CBOR_DECODING),
            ProximityError::Decryption(_) | ProximityError::Unexpected(_) => {
                Some(STATUS_SESSION_ENCRYPTION)
            }
            _ => None,
        }
    }
}

/// How the reader authenticated itself (18013-5 clause 9.1.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReaderAuthentication {
    /// readerAuth verified and the certificate chains to a trusted reader root.
    Trusted {
        /// The reader certificate's subject.
        subject: String,
    },
    /// The signature verifies but the certificate does not chain to a trusted reader root
    /// (or is expired, or lacks the reader EKU): the reader's name is not vouched for.
    Untrusted {
        /// The subject the reader claims.
        subject: Option<String>,
        /// Why the chain was not accepted.
        reason: String,
    },
    /// readerAuth is present but does not verify: the wallet refuses.
    Invalid {
        /// What failed.
        reason: String,
    },
    /// The request is not signed: anyone could have sent it.
    Unauthenticated,
}

/// The reader as the app shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ReaderInfo {
    /// The reader authentication result.
    pub authentication: ReaderAuthentication,
    /// The relying party's registered name, when an authenticated reader is registered.
    pub name: Option<String>,
    /// Whether the trust register knows this (authenticated) reader.
    pub registered: bool,
    /// The registered purpose that covers the request, if any.
    pub purpose: Option<String>,
    /// That purpose's registered description.
    pub purpose_description: Option<String>,
}

/// One data element asked for.
#[derive(Clone, Debug, Serialize)]
pub struct RequestedElement {
    /// Approve it by this key (`docType/namespace/element`).
    pub key: String,
    /// The namespace.
    pub namespace: String,
    /// The element identifier.
    pub element: String,
    /// The value that would be released (shown to the person only); None when not held.
    pub value: Option<Value>,
    /// Whether the reader says it will keep the value (intent_to_retain).
    pub intent_to_retain: bool,
    /// Whether the reader's registration covers it.
    pub registered: bool,
}

/// One document asked for.
#[derive(Clone, Debug, Serialize)]
pub struct RequestedDocument {
    /// The docType.
    pub doc_type: String,
    /// The stored credential that would answer, if the wallet holds one.
    pub credential_id: Option<String>,
    /// Whether that credential was shown before (no fresh one of its batch left).
    pub reused: bool,
    /// The elements asked.
    pub elements: Vec<RequestedElement>,
}

/// What the app shows the person before anything is released in person.
#[derive(Clone, Debug, Serialize)]
pub struct ProximityRequest {
    /// The request's id within the session.
    pub id: String,
    /// Who asks.
    pub reader: ReaderInfo,
    /// The trust finding (register, over-asking).
    pub trust: TrustFinding,
    /// What is asked.
    pub documents: Vec<RequestedDocument>,
    /// Set when the wallet refuses whatever the person says (the reason shown).
    pub refused: Option<String>,
}

/// What a received message meant.
#[derive(Clone, Debug)]
pub enum ProximityEvent {
    /// A request to show the person; answer with [`Wallet::proximity_respond`].
    Request(Box<ProximityRequest>),
    /// The reader ended the session (status 20).
    Ended,
}

/// What the holder sent for a request.
#[derive(Clone, Debug, Serialize)]
pub struct ProximityAnswer {
    /// The SessionData bytes to send to the reader.
    #[serde(skip)]
    pub message: Vec<u8>,
    /// Whether any element was released.
    pub shared: bool,
    /// The elements released (`namespace/element`).
    pub claims: Vec<String>,
}

/// How the holder authenticates the documents it releases.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DeviceAuthMode {
    /// DeviceSignature with the device key (works with hardware keys).
    #[default]
    Signature,
    /// DeviceMac (ECDH with the reader's ephemeral key) where the device key allows it;
    /// DeviceSignature otherwise.
    Mac,
}

struct PendingRequest {
    request: ProximityRequest,
    chosen: Vec<(String, Option<StoredCredential>)>,
}

struct Established {
    session: SessionEncryption,
    transcript: SessionTranscript,
    e_reader_key: PublicKey,
    pending: Option<PendingRequest>,
}

enum State {
    AwaitingEstablishment,
    Established(Box<Established>),
    Ended,
}

/// One proximity engagement and its session (holder side).
pub struct ProximitySession {
    e_device: SecretKey,
    engagement: DeviceEngagement,
    mode: DeviceAuthMode,
    state: State,
}

impl ProximitySession {
    /// A fresh engagement: a new ephemeral P-256 key, never reused across sessions.
    pub fn new(mode: DeviceAuthMode) -> Result<Self> {
        let e_device = provider::default()
            .generate(KeyKind::P256)
            .map_err(|e| ProximityError::Keys(e.to_string()))?;
        let engagement = DeviceEngagement::new(e_device.public_key(), None);
        Ok(ProximitySession {
            e_device,
            engagement,
            mode,
            state: State::AwaitingEstablishment,
        })
    }

    /// The QR code text (`mdoc:` + base64url DeviceEngagement).
    pub fn qr(&self) -> String {
        self.engagement.to_qr()
    }

    /// Whether the session has ended.
    pub fn is_ended(&self) -> bool {
        matches!(self.state, State::Ended)
    }

    /// Ends the session: the SessionData with status 20 to send.
    pub fn terminate(&mut self) -> Vec<u8> {
        self.state = State::Ended;
        status_message(STATUS_SESSION_TERMINATION)
    }

    /// Ends the session after `error`: the SessionData with its status to send, if any.
    pub fn fail(&mut self, error: &ProximityError) -> Option<Vec<u8>> {
        self.state = State::Ended;
        error.status().map(status_message)
    }
}

fn status_message(status: u64) -> Vec<u8> {
    SessionData {
        data: None,
        status: Some(status),
    }
    .to_cbor()
}

fn malformed(e: MdocError) -> ProximityError {
    ProximityError::Malformed(e.to_string())
}

impl Wallet {
    /// Starts an engagement (DeviceSignature); show [`ProximitySession::qr`] to the reader.
    pub fn start_proximity(&self) -> Result<ProximitySession> {
        ProximitySession::new(DeviceAuthMode::Signature)
    }

    /// Handles one message from the reader. On a failure the session ends: send
    /// [`ProximitySession::fail`]'s message, if any.
    pub async fn proximity_receive(
        &self,
        s: &mut ProximitySession,
        message: &[u8],
    ) -> Result<ProximityEvent> {
        let out = self.receive_inner(s, message).await;
        if let Err(Error::Proximity(e)) = &out {
            if e.status().is_some() || matches!(e, ProximityError::ReaderStatus(_)) {
                s.state = State::Ended;
            }
        }
        out
    }

    async fn receive_inner(
        &self,
        s: &mut ProximitySession,
        message: &[u8],
    ) -> Result<ProximityEvent> {
        match &mut s.state {
            State::Ended => Err(ProximityError::Ended.into()),
            State::AwaitingEstablishment => {
                let est = SessionEstablishment::from_cbor(message).map_err(malformed)?;
                let transcript = SessionTranscript::qr(&s.engagement.raw, &est.e_reader_key);
                let mut session =
                    SessionEncryption::new(Role::Mdoc, &s.e_device, &est.e_reader_key, &transcript)
                        .map_err(|e| ProximityError::Keys(e.to_string()))?;
                let plain = session
                    .decrypt(&est.data)
                    .map_err(|e| ProximityError::Decryption(e.to_string()))?;
                let request = DeviceRequest::from_cbor(&plain).map_err(malformed)?;
                let pending = self.prepare_proximity(&request, &transcript).await?;
                let shown = pending.request.clone();
                s.state = State::Established(Box::new(Established {
                    session,
                    transcript,
                    e_reader_key: est.e_reader_key,
                    pending: Some(pending),
                }));
                Ok(ProximityEvent::Request(Box::new(shown)))
            }
            State::Established(est) => {
                let Established {
                    session,
                    transcript,
                    pending,
                    ..
                } = est.as_mut();
                let data = SessionData::from_cbor(message).map_err(malformed)?;
                if let Some(d) = data.data {
                    if pending.is_some() {
                        return Err(
                            ProximityError::Unexpected("a request before the answer").into()
                        );
                    }
                    let plain = session
                        .decrypt(&d)
                        .map_err(|e| ProximityError::Decryption(e.to_string()))?;
                    let request = DeviceRequest::from_cbor(&plain).map_err(malformed)?;
                    let next = self.prepare_proximity(&request, transcript).await?;
                    let shown = next.request.clone();
                    *pending = Some(next);
                    return Ok(ProximityEvent::Request(Box::new(shown)));
                }
                match data.status {
                    Some(STATUS_SESSION_TERMINATION) => {
                        s.state = State::Ended;
                        Ok(ProximityEvent::Ended)
                    }
                    Some(other) => Err(ProximityError::ReaderStatus(other).into()),
                    None => Err(ProximityError::Malformed("empty SessionData".into()).into()),
                }
            }
        }
    }

    /// Answers the waiting request: a DeviceResponse with only the approved elements that
    /// were asked, or, when the person declined or the wallet refused, one with no documents
    /// and a "data not returned" error per docType. Logs what was shared.
    pub async fn proximity_respond(
        &self,
        s: &mut ProximitySession,
        consent: &Consent,
    ) -> Result<ProximityAnswer> {
        let mode = s.mode;
        let State::Established(est) = &mut s.state else {
            return Err(ProximityError::NoPendingRequest.into());
        };
        let Established {
            session,
            transcript,
            e_reader_key,
            pending,
        } = est.as_mut();
        let p = pending.take().ok_or(ProximityError::NoPendingRequest)?;
        let r = &p.request;
        let approve = consent.approve && r.refused.is_none();
        let mut docs = Vec::new();
        let mut released = Vec::new();
        let mut used = Vec::new();
        let mut not_returned = Vec::new();
        for (doc, (doc_type, cred)) in r.documents.iter().zip(&p.chosen) {
            let elements: Vec<(String, String)> = doc
                .elements
                .iter()
                .filter(|e| approve && e.value.is_some() && consent.claims.contains(&e.key))
                .map(|e| (e.namespace.clone(), e.element.clone()))
                .collect();
            let Some(cred) = cred.as_ref().filter(|_| !elements.is_empty()) else {
                not_returned.push(doc_type.clone());
                continue;
            };
            let bytes = credentials::b64::decode(&cred.raw)
                .ok_or_else(|| Error::RecordTampered(cred.id.clone()))?;
            let signed =
                IssuerSigned::from_cbor(&bytes).map_err(|e| Error::Presentation(e.to_string()))?;
            let secret = match mode {
                DeviceAuthMode::Mac => self.device_secret(&cred.device_key_id).await?,
                DeviceAuthMode::Signature => None,
            };
            let signer = self.device_signer(&cred.device_key_id).await?;
            let auth = match &secret {
                Some(k) => DeviceKeyAuth::Mac {
                    device_key: k,
                    reader_key: e_reader_key,
                },
                None => DeviceKeyAuth::Signature(signer.as_ref()),
            };
            let d = mdoc::present_document(
                &signed,
                &mdoc::Selection::Elements(&elements),
                &|_, _| true,
                &auth,
                transcript,
            )
            .map_err(|e| Error::Presentation(e.to_string()))?;
            docs.push(d);
            released.extend(elements.iter().map(|(n, e)| format!("{n}/{e}")));
            used.push(cred.id.clone());
        }
        let response = device_response(&docs, &not_returned);
        let data = session
            .encrypt(&response)
            .map_err(|e| ProximityError::Keys(e.to_string()))?;
        let message = SessionData {
            data: Some(data),
            status: None,
        }
        .to_cbor();
        for id in &used {
            self.store.mark_used(id).await?;
        }
        let outcome = if r.refused.is_some() {
            Outcome::Refused
        } else if released.is_empty() {
            Outcome::Declined
        } else {
            Outcome::Shared
        };
        self.log(ActivityEntry {
            at: now(),
            outcome,
            counterparty: reader_label(&r.reader.authentication),
            counterparty_name: r.reader.name.clone(),
            purpose: r.reader.purpose.clone(),
            credential_types: r.documents.iter().map(|d| d.doc_type.clone()).collect(),
            claims: released.clone(),
            channel: CHANNEL.into(),
        })
        .await?;
        Ok(ProximityAnswer {
            message,
            shared: !released.is_empty(),
            claims: released,
        })
    }

    /// Runs a whole session over a blocking `transport`: waits for the reader, asks
    /// `decide` for each request, answers, and returns when the reader ends the session.
    /// Each answer is returned in order. A failure ends the session with its status.
    pub async fn serve_proximity<T: Transport + Send + 'static>(
        &self,
        mut s: ProximitySession,
        transport: T,
        mut decide: impl FnMut(&ProximityRequest) -> Consent,
    ) -> Result<Vec<ProximityAnswer>> {
        let mut transport = Some(transport);
        let mut answers = Vec::new();
        loop {
            let mut t = transport.take().ok_or(ProximityError::Ended)?;
            let (t, got) = tokio::task::spawn_blocking(move || {
                let got = t.receive();
                (t, got)
            })
            .await
            .map_err(|e| ProximityError::Transport(e.to_string()))?;
            transport = Some(t);
            let t = transport.as_mut().ok_or(ProximityError::Ended)?;
            let message = got.map_err(|e| ProximityError::Transport(e.to_string()))?;
            match self.proximity_receive(&mut s, &message).await {
                Ok(ProximityEvent::Request(r)) => {
                    let consent = decide(&r);
                    let answer = self.proximity_respond(&mut s, &consent).await?;
                    t.send(answer.message.clone())
                        .map_err(|e| ProximityError::Transport(e.to_string()))?;
                    answers.push(answer);
                }
                Ok(ProximityEvent::Ended) => return Ok(answers),
                Err(Error::Proximity(e)) => {
                    if let Some(m) = s.fail(&e) {
                        let _ = t.send(m);
                    }
                    return Err(e.into());
                }
                Err(e) => {
                    if let Some(m) = s.fail(&ProximityError::Unexpected("a holder failure")) {
                        let _ = t.send(m);
                    }
                    return Err(e);
                }
            }
        }
    }

    /// The private key of a device key when the platform allows ECDH with it (DeviceMac).
    async fn device_secret(&self, id: &str) -> Result<Option<SecretKey>> {
        let rec: crate::device_keys::DeviceKeyRecord = self
            .store
            .get(crate::store::RecordKind::DeviceKey, id)
            .await?;
        let handle = zeroize::Zeroizing::new(
            credentials::b64::decode(&rec.handle)
                .ok_or_else(|| Error::RecordTampered(id.to_string()))?,
        );
        self.device_keys.agreement_key(&handle)
    }

    async fn prepare_proximity(
        &self,
        request: &DeviceRequest,
        transcript: &SessionTranscript,
    ) -> Result<PendingRequest> {
        let roots = self.reader_roots();
        let authentication = authenticate_reader(&request.doc_requests, transcript, &roots);
        let stored = self.credentials().await?;
        let mut documents = Vec::new();
        let mut chosen = Vec::new();
        let mut asked = Vec::new();
        for d in &request.doc_requests {
            let ir = &d.items_request;
            // A fresh (unused) credential of the doctype first, so readers cannot link.
            let mut fits: Vec<_> = stored
                .iter()
                .filter(|l| {
                    l.value.format == mdoc::FORMAT
                        && l.value.doctype.as_deref() == Some(&ir.doc_type)
                })
                .collect();
            fits.sort_by_key(|l| l.used);
            let cred = fits.first().map(|l| (l.value.clone(), l.used));
            let mut elements = Vec::new();
            for (ns, els) in &ir.name_spaces {
                for (el, retain) in els {
                    let held = cred.as_ref().and_then(|(c, _)| c.claims.get(ns));
                    // An age_over_NN the mdoc does not hold is answered by the nearest one
                    // that still answers the question; the person sees (and approves) that one.
                    let (el, value) = match held.and_then(|n| n.get(el)).cloned() {
                        Some(v) => (el.clone(), Some(v)),
                        None => match nearest_age_over(held, el) {
                            Some((k, v)) => (k, Some(v)),
                            None => (el.clone(), None),
                        },
                    };
                    let key = format!("{}/{ns}/{el}", ir.doc_type);
                    if elements.iter().any(|e: &RequestedElement| e.key == key) {
                        continue;
                    }
                    elements.push(RequestedElement {
                        key,
                        namespace: ns.clone(),
                        element: el,
                        value,
                        intent_to_retain: *retain,
                        registered: true,
                    });
                }
            }
            asked.push((
                ir.doc_type.clone(),
                elements.iter().map(|e| e.element.clone()).collect(),
            ));
            documents.push(RequestedDocument {
                doc_type: ir.doc_type.clone(),
                credential_id: cred.as_ref().map(|(c, _)| c.id.clone()),
                reused: cred.as_ref().is_some_and(|(_, used)| *used),
                elements,
            });
            chosen.push((ir.doc_type.clone(), cred.map(|(c, _)| c)));
        }
        let register = self.register.lock().expect("register lock").clone();
        let looked_up = lookup_reader(
            register.as_ref(),
            &authentication,
            &request.doc_requests,
            &asked,
        );
        for doc in &mut documents {
            for e in &mut doc.elements {
                e.registered = !looked_up.beyond.contains(&e.element);
            }
        }
        let policy = self
            .settings()
            .over_asking
            .unwrap_or(OverAskingPolicy::Refuse);
        let refused = match (&authentication, &looked_up.trust) {
            (ReaderAuthentication::Invalid { reason }, _) => Some(format!(
                "the reader's authentication does not verify: {reason}"
            )),
            (_, TrustFinding::OverAsking { beyond }) if policy == OverAskingPolicy::Refuse => {
                Some(format!(
                    "the reader asks for more than it registered: {}",
                    beyond.join(", ")
                ))
            }
            _ => None,
        };
        Ok(PendingRequest {
            request: ProximityRequest {
                id: random_id(),
                reader: ReaderInfo {
                    authentication,
                    registered: looked_up.name.is_some(),
                    name: looked_up.name,
                    purpose: looked_up.purpose,
                    purpose_description: looked_up.description,
                },
                trust: looked_up.trust,
                documents,
                refused,
            },
            chosen,
        })
    }
}

/// Checks every DocRequest's readerAuth; the worst result counts (one invalid signature
/// makes the whole request invalid), and all signed requests must name the same reader.
fn authenticate_reader(
    requests: &[DocRequest],
    transcript: &SessionTranscript,
    roots: &[Certificate],
) -> ReaderAuthentication {
    let mut result: Option<ReaderAuthentication> = None;
    for r in requests {
        let this = match &r.reader_auth {
            None => ReaderAuthentication::Unauthenticated,
            Some(ra) => match reader_auth::verify(r, transcript, roots, now()) {
                Ok(cert) => ReaderAuthentication::Trusted {
                    subject: cert.subject(),
                },
                // reader_auth::verify checks the signature before the chain, so a chain
                // failure means the signature itself verified.
                Err(MdocError::ReaderAuth(m)) if m.starts_with("reader certificate:") => {
                    ReaderAuthentication::Untrusted {
                        subject: leaf_certificate(&ra.raw).map(|c| c.subject()),
                        reason: m,
                    }
                }
                Err(e) => ReaderAuthentication::Invalid {
                    reason: e.to_string(),
                },
            },
        };
        result = Some(match (result, this) {
            (None, t) => t,
            (Some(a @ ReaderAuthentication::Invalid { .. }), _) => a,
            (_, b @ ReaderAuthentication::Invalid { .. }) => b,
            (Some(a), b) if a == b => a,
            (
                Some(ReaderAuthentication::Trusted { subject: x }),
                ReaderAuthentication::Trusted { subject: y },
            ) => ReaderAuthentication::Invalid {
                reason: format!("the requests are signed by two readers ({x}, {y})"),
            },
            (Some(a @ ReaderAuthentication::Unauthenticated), _) => a,
            (_, b @ ReaderAuthentication::Unauthenticated) => b,
            (Some(a @ ReaderAuthentication::Untrusted { .. }), _) => a,
            (_, b) => b,
        });
    }
    result.unwrap_or(ReaderAuthentication::Unauthenticated)
}

/// The leaf certificate of a readerAuth COSE_Sign1's x5chain (label 33, unprotected or
/// protected header), to name an untrusted reader.
fn leaf_certificate(raw_sign1: &[u8]) -> Option<Certificate> {
    let value: Cbor = ciborium::from_reader(raw_sign1).ok()?;
    let value = match value {
        Cbor::Tag(18, inner) => *inner,
        v => v,
    };
    let Cbor::Array(parts) = value else {
        return None;
    };
    let x5chain = |headers: &Cbor| -> Option<Cbor> {
        headers.as_map()?.iter().find_map(|(k, v)| {
            (k.as_integer().map(i128::from) == Some(i128::from(mdoc::X5CHAIN))).then(|| v.clone())
        })
    };
    let protected: Option<Cbor> = parts
        .first()
        .and_then(Cbor::as_bytes)
        .filter(|b| !b.is_empty())
        .and_then(|b| ciborium::from_reader(b.as_slice()).ok());
    let chain = parts
        .get(1)
        .and_then(x5chain)
        .or_else(|| protected.as_ref().and_then(x5chain))?;
    let leaf = match chain {
        Cbor::Bytes(b) => b,
        Cbor::Array(a) => a.first()?.as_bytes()?.clone(),
        _ => return None,
    };
    Certificate::from_der(&leaf).ok()
}

struct LookedUp {
    trust: TrustFinding,
    name: Option<String>,
    purpose: Option<String>,
    description: Option<String>,
    beyond: Vec<String>,
}

/// The register's view of an authenticated reader: its relying party (by the certificate's
/// DNS names and URIs), and the first registered purpose that covers the whole request.
/// Readers that did not authenticate against a trusted root are not looked up: their name
/// is not vouched for.
fn lookup_reader(
    register: Option<&Register>,
    auth: &ReaderAuthentication,
    requests: &[DocRequest],
    asked: &[(String, Vec<String>)],
) -> LookedUp {
    let none = |trust| LookedUp {
        trust,
        name: None,
        purpose: None,
        description: None,
        beyond: Vec::new(),
    };
    let Some(register) = register else {
        return none(TrustFinding::NoRegister);
    };
    if !matches!(auth, ReaderAuthentication::Trusted { .. }) {
        return none(TrustFinding::UnregisteredVerifier);
    }
    let Some(cert) = requests
        .iter()
        .find_map(|r| r.reader_auth.as_ref())
        .and_then(|ra| leaf_certificate(&ra.raw))
    else {
        return none(TrustFinding::UnregisteredVerifier);
    };
    let (dns, uris) = cert.subject_alt_names();
    let ids: Vec<ClientId> = dns
        .into_iter()
        .map(ClientId::X509SanDns)
        .chain(uris.into_iter().map(ClientId::RedirectUri))
        .collect();
    let Some((client_id, rp_id)) = ids
        .iter()
        .find_map(|c| relying_party_id(register, c).map(|rp| (c, rp)))
    else {
        return none(TrustFinding::UnregisteredVerifier);
    };
    let purposes: Vec<String> = register.relying_parties[&rp_id]
        .relying_party
        .purposes
        .iter()
        .map(|p| p.purpose.clone())
        .collect();
    let mut best: Option<LookedUp> = None;
    for purpose in &purposes {
        let (trust, name, registered, beyond) =
            evaluate(Some(register), client_id, Some(purpose), asked);
        let found = LookedUp {
            trust,
            name,
            purpose: Some(purpose.clone()),
            description: registered.map(|p| p.description),
            beyond,
        };
        if found.trust == TrustFinding::Registered {
            return found;
        }
        if best
            .as_ref()
            .is_none_or(|b| found.beyond.len() < b.beyond.len())
        {
            best = Some(found);
        }
    }
    best.unwrap_or_else(|| {
        let (trust, name, _, _) = evaluate(Some(register), client_id, None, asked);
        LookedUp {
            trust,
            name,
            purpose: None,
            description: None,
            beyond: Vec::new(),
        }
    })
}

fn reader_label(auth: &ReaderAuthentication) -> String {
    match auth {
        ReaderAuthentication::Trusted { subject } => subject.clone(),
        ReaderAuthentication::Untrusted {
            subject: Some(s), ..
        } => format!("{s} (not trusted)"),
        ReaderAuthentication::Untrusted { subject: None, .. } => "an untrusted reader".into(),
        ReaderAuthentication::Invalid { .. } => "a reader whose authentication failed".into(),
        ReaderAuthentication::Unauthenticated => "an unauthenticated reader".into(),
    }
}

/// DeviceResponse 1.0, status 0, with `documents` (spliced as built) and a "data not
/// returned" error for each docType in `not_returned`.
fn device_response(documents: &[Vec<u8>], not_returned: &[String]) -> Vec<u8> {
    if not_returned.is_empty() {
        return mdoc::device_response(documents);
    }
    let fields = if documents.is_empty() { 3 } else { 4 };
    let mut out = vec![0xa0 | fields];
    out.extend(cbor::text("version"));
    out.extend(cbor::text("1.0"));
    if !documents.is_empty() {
        out.extend(cbor::text("documents"));
        out.extend(cbor::array_header(documents.len()));
        for d in documents {
            out.extend_from_slice(d);
        }
    }
    let errors: BTreeMap<&String, i64> = not_returned
        .iter()
        .map(|d| (d, DOCUMENT_ERROR_NOT_RETURNED))
        .collect();
    out.extend(cbor::text("documentErrors"));
    out.extend(cbor::encode(&Cbor::Array(
        errors
            .into_iter()
            .map(|(d, c)| Cbor::Map(vec![(Cbor::Text(d.clone()), Cbor::Integer(c.into()))]))
            .collect(),
    )));
    out.extend(cbor::text("status"));
    out.push(0x00);
    out
}

/// ISO/IEC 18013-5 clause 7.2.5: an `age_over_NN` the mdoc does not hold is answered by
/// the smallest `age_over_MM` above NN that is true, else the largest below NN that is
/// false; `held` is the namespace's elements. Returns that element and its value.
fn nearest_age_over(held: Option<&Value>, element: &str) -> Option<(String, Value)> {
    let nn: u32 = element
        .strip_prefix("age_over_")?
        .parse()
        .ok()
        .filter(|n| *n < 100)?;
    let m = held?.as_object()?;
    let ages = || {
        m.iter().filter_map(|(k, v)| {
            let a: u32 = k.strip_prefix("age_over_")?.parse().ok()?;
            Some((a, k, v))
        })
    };
    ages()
        .filter(|(a, _, v)| *a > nn && **v == Value::Bool(true))
        .min_by_key(|(a, _, _)| *a)
        .or_else(|| {
            ages()
                .filter(|(a, _, v)| *a < nn && **v == Value::Bool(false))
                .max_by_key(|(a, _, _)| *a)
        })
        .map(|(_, k, v)| (k.clone(), v.clone()))
}

#[cfg(test)]
mod age_over_tests {
    use serde_json::json;

    use super::nearest_age_over;

    #[test]
    fn the_nearest_age_over_that_still_answers_the_question() {
        let adult = json!({"age_over_18": true, "age_over_21": true, "age_over_65": false});
        // 20 is not held: the smallest true above it answers "over 20".
        assert_eq!(
            nearest_age_over(Some(&adult), "age_over_20"),
            Some(("age_over_21".into(), json!(true)))
        );
        // 70: nothing true above; the largest false below it answers "not over 70".
        assert_eq!(
            nearest_age_over(Some(&adult), "age_over_70"),
            Some(("age_over_65".into(), json!(false)))
        );
        let young = json!({"age_over_18": true, "age_over_21": false});
        assert_eq!(
            nearest_age_over(Some(&young), "age_over_30"),
            Some(("age_over_21".into(), json!(false)))
        );
        // Nothing true above 30 and nothing false below it: no answer is released.
        let only_18 = json!({"age_over_18": true});
        assert_eq!(nearest_age_over(Some(&only_18), "age_over_30"), None);
        assert_eq!(
            nearest_age_over(Some(&young), "age_over_16"),
            Some(("age_over_18".into(), json!(true)))
        );
        assert_eq!(nearest_age_over(Some(&adult), "family_name"), None);
        assert_eq!(nearest_age_over(None, "age_over_20"), None);
    }
}
