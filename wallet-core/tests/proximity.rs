//! The ISO 18013-5 proximity holder end to end against the verifier's reader
//! (`verifier::reader`) over an in-memory transport pair: the wallet shows its engagement
//! QR, authenticates the reader and looks it up in the trust register, asks consent, and
//! answers with only the approved elements; the verifier's pipeline checks the answer
//! against a register in which the issuer's IACA is the provider's anchor. Also: declined
//! consent, an untrusted reader, tampered session data both ways, and DeviceMac.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use credentials::b64;
use credentials::keys::{provider, Algorithm, KeyKind, Signer, SoftwareSigner};
use credentials::mdoc::session::{
    DeviceEngagement, MemoryTransport, Role, SessionData, SessionEncryption, SessionEstablishment,
    STATUS_SESSION_TERMINATION,
};
use credentials::mdoc::{
    verify_response, DeviceResponse, ItemsRequest, MdocVerifyOptions, SessionTranscript,
    MDL_DOCTYPE, MDL_NAMESPACE,
};
use credentials::report::CheckLog;
use credentials::x509::dev::{self, CertSpec};
use credentials::x509::{profile, Certificate};
use time::{Duration, OffsetDateTime};
use trust_framework::events::EventKind;
use trust_framework::fixtures::{self, certificate, event, operator, registration};
use trust_framework::genesis;
use trust_framework::log::Log;
use trust_framework::model::{AnchorKey, NoteCode, Purpose, RelyingParty, TrustAnchor};
use trust_framework::note::NoteKey;
use trust_framework::snapshot::{self, SnapshotPayload, SnapshotVerifier};
use verifier::pipeline::Verifier;
use verifier::policy::Policy;
use verifier::reader::{self, Exchanged, Reader, ReaderError};
use verifier::status::{HttpStatusFetcher, StatusCache, StatusLists};
use verifier::trust::{TrustData, TrustState};
use wallet_core::activity::Outcome;
use wallet_core::consent::TrustFinding;
use wallet_core::keystore::{Argon2Cost, PassphraseKeyStore};
use wallet_core::proximity::{
    DeviceAuthMode, ProximityError, ProximityEvent, ProximityRequest, ProximitySession,
    ReaderAuthentication, CHANNEL,
};
use wallet_core::{Consent, Error, Wallet};

use support::{issuer, FAMILY_NAME};

const READER_DNS: &str = "reader.example";
const LOG_ORIGIN: &str = "register.test.vouch.example/log";

/// The register (the issuer's IACA anchors the provider, certified for mDLs; the employer
/// registered an age check) and the verifier deciding from its signed snapshot.
fn scheme(iaca: &Certificate) -> (Verifier, trust_framework::register::Register) {
    let log_key = SoftwareSigner::generate(Algorithm::EdDsa).unwrap().0;
    let snapshot_key = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
    let n = OffsetDateTime::now_utc();
    let ago = |d: i64| n - Duration::days(d);
    let far = n + Duration::days(900);
    let mut log = Log::new();
    log.append(genesis::genesis(LOG_ORIGIN, &log_key, ago(400)).unwrap())
        .unwrap();
    let mut push = |at, kind| log.append(event(at, operator(), kind)).unwrap();
    push(
        ago(300),
        registration(
            "idp",
            "Test Identity Ltd",
            &[MDL_DOCTYPE],
            certificate("IDP-1", "cab-a", ago(310), far),
            vec![TrustAnchor {
                anchor_id: "iaca-1".into(),
                key: AnchorKey::Iaca {
                    certificate: b64::encode(iaca.der()),
                },
            }],
            far,
        ),
    );
    push(
        ago(290),
        EventKind::NoteAdded {
            entry_id: "idp".into(),
            note: fixtures::note(
                NoteCode::RightToWork,
                certificate("IDP-RTW-1", "cab-a", ago(295), far),
            ),
        },
    );
    push(
        ago(200),
        EventKind::RelyingPartyRegistered {
            relying_party: RelyingParty {
                relying_party_id: format!("https://{READER_DNS}"),
                name: "Example Employer plc".into(),
                company_number: None,
                purposes: vec![Purpose {
                    purpose: "age_check".into(),
                    description: "Age check at the counter".into(),
                    credential_types: vec![MDL_DOCTYPE.into()],
                    claims: ["family_name", "given_name", "age_over_18"]
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                    retention: None,
                }],
            },
        },
    );
    let payload = SnapshotPayload {
        registrar_roots: Vec::new(),
        register: log.register().clone(),
        checkpoint: log.sign_checkpoint(&log_key).unwrap(),
        sequence: 1,
        issued_at: n - Duration::hours(1),
        next_update: n + Duration::hours(23),
        consistency: None,
    };
    let jws = snapshot::sign(&payload, &snapshot_key).unwrap();
    let sv = SnapshotVerifier {
        snapshot_key: snapshot_key.public_key().clone(),
        log_key: NoteKey::new(LOG_ORIGIN, log_key.public_key()).unwrap(),
    };
    let verifier = Verifier {
        trust: TrustState::new(TrustData::verify(&sv, &jws).unwrap()).unwrap(),
        status: StatusLists::new(Arc::new(HttpStatusFetcher::new()), StatusCache::new(None)),
        policy: Policy::default(),
    };
    (verifier, log.register().clone())
}

/// A reader root and a reader certificate naming `reader.example` (subjectAltName).
fn reader_pki(name: &str) -> (Certificate, Reader) {
    let root_key: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Algorithm::Es256).unwrap().0);
    let root = profile::reader_root(root_key.clone(), &format!("{name} Root"), 30).unwrap();
    let key = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
    let spec = CertSpec {
        common_name: name.into(),
        days: 30,
        dns_names: vec![READER_DNS.into()],
        eku: vec![profile::EKU_MDL_READER_AUTH.to_vec()],
        critical_eku: true,
        ..Default::default()
    };
    let cert = dev::issue(&spec, key.public_key(), &root, root_key).unwrap();
    (
        root,
        Reader {
            signer: Arc::new(key),
            chain: vec![cert],
        },
    )
}

fn items(elements: &[(&str, bool)]) -> ItemsRequest {
    ItemsRequest {
        doc_type: MDL_DOCTYPE.into(),
        name_spaces: BTreeMap::from([(
            MDL_NAMESPACE.to_string(),
            elements.iter().map(|(e, r)| (e.to_string(), *r)).collect(),
        )]),
    }
}

struct Setup {
    wallet: Wallet,
    verifier: Verifier,
    reader_root: Certificate,
    reader: Reader,
    _iss: issuer::Shared,
}

/// A wallet holding the test issuer's mDL batch, trusting the employer's reader root and
/// pinning the register.
async fn setup(dir: &std::path::Path) -> Setup {
    let iss = issuer::start().await;
    let wallet = Wallet::open(
        dir,
        &PassphraseKeyStore::with_cost("pw", Argon2Cost::TEST_ONLY),
    )
    .await
    .unwrap();
    // The test's servers are on loopback ports.
    wallet.set_fetch_policy(vouch_fetch::FetchPolicy {
        any_loopback_origin: true,
        ..Default::default()
    });
    wallet
        .accept_offer(&iss.offer_by_reference("pre"), Some(issuer::TX_CODE))
        .await
        .unwrap();
    let (verifier, register) = scheme(&iss.iaca);
    wallet.use_register(register);
    let (reader_root, reader) = reader_pki("Example Employer Reader");
    wallet.add_reader_root(&reader_root.to_pem()).await.unwrap();
    Setup {
        wallet,
        verifier,
        reader_root,
        reader,
        _iss: iss,
    }
}

/// Runs the verifier's reader against the wallet; `decide` answers each request.
async fn session(
    wallet: &Wallet,
    reader: Reader,
    ask: ItemsRequest,
    mode: DeviceAuthMode,
    decide: impl FnMut(&ProximityRequest) -> Consent,
) -> (
    Result<Exchanged, ReaderError>,
    wallet_core::Result<Vec<wallet_core::proximity::ProximityAnswer>>,
) {
    let s = ProximitySession::new(mode).unwrap();
    let qr = s.qr();
    assert!(qr.starts_with("mdoc:"));
    let (holder_end, mut reader_end) = MemoryTransport::pair();
    let r = tokio::task::spawn_blocking(move || {
        reader.exchange(&qr, std::slice::from_ref(&ask), &mut reader_end)
    });
    let held = wallet.serve_proximity(s, holder_end, decide).await;
    (r.await.unwrap(), held)
}

fn approve_all(r: &ProximityRequest) -> Consent {
    Consent {
        approve: true,
        claims: r
            .documents
            .iter()
            .flat_map(|d| d.elements.iter().map(|e| e.key.clone()))
            .collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holder_answers_an_authenticated_registered_reader_and_the_verifier_passes() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup(dir.path()).await;
    let ask = items(&[
        ("family_name", true),
        ("given_name", false),
        ("age_over_18", false),
    ]);
    let mut seen = Vec::new();
    let (x, answers) = session(&s.wallet, s.reader, ask, DeviceAuthMode::Signature, |r| {
        seen.push(r.clone());
        approve_all(r)
    })
    .await;
    let answers = answers.unwrap();
    assert_eq!(answers.len(), 1);
    assert!(answers[0].shared);
    let r = &seen[0];
    assert!(
        matches!(&r.reader.authentication, ReaderAuthentication::Trusted { subject } if subject.contains("Example Employer Reader")),
        "{:?}",
        r.reader.authentication
    );
    assert!(r.reader.registered);
    assert_eq!(r.reader.name.as_deref(), Some("Example Employer plc"));
    assert_eq!(r.reader.purpose.as_deref(), Some("age_check"));
    assert_eq!(r.trust, TrustFinding::Registered);
    assert!(r.refused.is_none());
    let els = &r.documents[0].elements;
    let fam = els.iter().find(|e| e.element == "family_name").unwrap();
    assert!(fam.intent_to_retain && fam.registered);
    assert_eq!(fam.value.as_ref().unwrap(), FAMILY_NAME);
    assert!(
        !els.iter()
            .find(|e| e.element == "given_name")
            .unwrap()
            .intent_to_retain
    );

    let x = x.unwrap();
    let out = reader::verify(&s.verifier, &x, OffsetDateTime::now_utc()).await;
    let report = serde_json::to_value(&out.report).unwrap();
    assert_eq!(report["valid"], true, "{report:#}");
    let claims = &report["claims"][MDL_NAMESPACE];
    assert_eq!(claims["family_name"], FAMILY_NAME);
    assert_eq!(claims["age_over_18"], true);
    assert_eq!(claims.as_object().unwrap().len(), 3, "only what was asked");
    assert_eq!(out.trust.unwrap().entry_id.as_deref(), Some("idp"));

    let log = s.wallet.activity().await.unwrap();
    let last = log.last().unwrap();
    assert_eq!(last.outcome, Outcome::Shared);
    assert_eq!(last.channel, CHANNEL);
    assert_eq!(
        last.counterparty_name.as_deref(),
        Some("Example Employer plc")
    );
    assert_eq!(last.claims.len(), 3);
    // The credential shown is marked used; the next session gets a fresh one of the batch.
    let used = s.wallet.credentials().await.unwrap();
    assert_eq!(
        used.iter()
            .filter(|c| c.value.format == "mso_mdoc" && c.used)
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_approved_elements_are_released_and_denial_returns_no_data() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup(dir.path()).await;
    let (_, reader2) = {
        // Same reader identity for the second session (its root is trusted).
        let r = &s.reader;
        (
            (),
            Reader {
                signer: r.signer.clone(),
                chain: r.chain.clone(),
            },
        )
    };
    // Approve one of two: the response holds exactly that element.
    let ask = items(&[("family_name", false), ("given_name", true)]);
    let (x, answers) = session(&s.wallet, s.reader, ask, DeviceAuthMode::Signature, |_| {
        Consent {
            approve: true,
            claims: vec![format!("{MDL_DOCTYPE}/{MDL_NAMESPACE}/family_name")],
        }
    })
    .await;
    assert_eq!(
        answers.unwrap()[0].claims,
        vec![format!("{MDL_NAMESPACE}/family_name")]
    );
    let x = x.unwrap();
    let resp = DeviceResponse::from_cbor(&x.response).unwrap();
    let items_released: Vec<_> = resp.documents[0].issuer_signed.name_spaces[0]
        .1
        .iter()
        .map(|i| i.item.element_identifier.clone())
        .collect();
    assert_eq!(items_released, vec!["family_name".to_string()]);
    // The verifier sees a valid mdoc that does not answer the whole request: no claims.
    let out = reader::verify(&s.verifier, &x, OffsetDateTime::now_utc()).await;
    let report = serde_json::to_value(&out.report).unwrap();
    assert_eq!(report["valid"], false, "{report:#}");

    // Declined: a DeviceResponse with no documents and "data not returned" for the mDL.
    let (x, answers) = session(
        &s.wallet,
        reader2,
        items(&[("family_name", false)]),
        DeviceAuthMode::Signature,
        |_| Consent::deny(),
    )
    .await;
    let answers = answers.unwrap();
    assert!(!answers[0].shared && answers[0].claims.is_empty());
    let x = x.unwrap();
    let resp = DeviceResponse::from_cbor(&x.response).unwrap();
    assert!(resp.documents.is_empty());
    assert_eq!(resp.status, 0);
    assert_eq!(resp.document_errors, vec![(MDL_DOCTYPE.to_string(), 0)]);
    let out = reader::verify(&s.verifier, &x, OffsetDateTime::now_utc()).await;
    let report = serde_json::to_value(&out.report).unwrap();
    assert_eq!(report["valid"], false);
    assert!(report["claims"].is_null() || report["claims"] == serde_json::json!({}));
    let log = s.wallet.activity().await.unwrap();
    assert_eq!(log.last().unwrap().outcome, Outcome::Declined);
    assert!(log.last().unwrap().claims.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_reader_is_flagged_and_over_asking_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup(dir.path()).await;
    // A reader whose root the wallet does not trust: flagged, not looked up in the register.
    let (_, rogue) = reader_pki("Rogue Reader");
    let mut seen = Vec::new();
    let (x, _) = session(
        &s.wallet,
        rogue,
        items(&[("family_name", false)]),
        DeviceAuthMode::Signature,
        |r| {
            seen.push(r.clone());
            Consent::deny()
        },
    )
    .await;
    x.unwrap();
    match &seen[0].reader.authentication {
        ReaderAuthentication::Untrusted { subject, reason } => {
            assert!(subject.as_deref().unwrap().contains("Rogue Reader"));
            assert!(reason.contains("reader certificate"), "{reason}");
        }
        other => panic!("not flagged: {other:?}"),
    }
    assert_eq!(seen[0].trust, TrustFinding::UnregisteredVerifier);
    assert!(!seen[0].reader.registered && seen[0].reader.name.is_none());

    // The trusted reader asking beyond its registration: refused whatever the person says.
    let _ = &s.reader_root;
    let mut seen = Vec::new();
    let (x, answers) = session(
        &s.wallet,
        s.reader,
        items(&[("family_name", false), ("document_number", false)]),
        DeviceAuthMode::Signature,
        |r| {
            seen.push(r.clone());
            approve_all(r)
        },
    )
    .await;
    assert!(
        matches!(&seen[0].trust, TrustFinding::OverAsking { beyond } if beyond == &vec!["document_number".to_string()])
    );
    assert!(seen[0].refused.is_some());
    assert!(!answers.unwrap()[0].shared);
    assert!(DeviceResponse::from_cbor(&x.unwrap().response)
        .unwrap()
        .documents
        .is_empty());
    assert_eq!(
        s.wallet.activity().await.unwrap().last().unwrap().outcome,
        Outcome::Refused
    );
}

/// The reader's side by hand, to tamper with messages and to keep its ephemeral key.
struct ManualReader {
    e_reader: credentials::keys::SecretKey,
    transcript: SessionTranscript,
    session: SessionEncryption,
    establishment: Vec<u8>,
}

fn manual_reader(qr: &str, reader: &Reader, ask: &ItemsRequest) -> ManualReader {
    manual_reader_with(qr, reader, ask, |_| {})
}

/// The same, with `edit` applied to the signed DeviceRequest before it is encrypted.
fn manual_reader_with(
    qr: &str,
    reader: &Reader,
    ask: &ItemsRequest,
    edit: impl FnOnce(&mut credentials::mdoc::DeviceRequest),
) -> ManualReader {
    let engagement = DeviceEngagement::from_qr(qr).unwrap();
    let e_reader = provider::default().generate(KeyKind::P256).unwrap();
    let transcript = SessionTranscript::qr(&engagement.raw, e_reader.public_key());
    let mut request = reader
        .request(std::slice::from_ref(ask), &transcript)
        .unwrap();
    edit(&mut request);
    let mut session = SessionEncryption::new(
        Role::Reader,
        &e_reader,
        &engagement.e_device_key,
        &transcript,
    )
    .unwrap();
    let data = session.encrypt(&request.to_cbor()).unwrap();
    let establishment = SessionEstablishment {
        e_reader_key: e_reader.public_key().clone(),
        data,
    }
    .to_cbor();
    ManualReader {
        e_reader,
        transcript,
        session,
        establishment,
    }
}

fn flip_last_data_byte(session_data: &[u8]) -> Vec<u8> {
    let mut d = SessionData::from_cbor(session_data).unwrap();
    let data = d.data.as_mut().unwrap();
    let n = data.len() - 1;
    data[n] ^= 1;
    d.to_cbor()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_session_data_both_ways_and_a_forged_reader_auth_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup(dir.path()).await;
    let ask = items(&[("family_name", false)]);

    // Reader -> holder: a flipped ciphertext byte ends the session with status 10.
    let mut hs = s.wallet.start_proximity().unwrap();
    let m = manual_reader(&hs.qr(), &s.reader, &ask);
    let mut est = SessionEstablishment::from_cbor(&m.establishment).unwrap();
    let n = est.data.len() - 1;
    est.data[n] ^= 1;
    let err = s
        .wallet
        .proximity_receive(&mut hs, &est.to_cbor())
        .await
        .unwrap_err();
    let Error::Proximity(e) = err else {
        panic!("{err:?}")
    };
    assert!(matches!(e, ProximityError::Decryption(_)), "{e:?}");
    let reply = hs.fail(&e).unwrap();
    assert_eq!(SessionData::from_cbor(&reply).unwrap().status, Some(10));
    assert!(hs.is_ended());
    assert!(matches!(
        s.wallet.proximity_receive(&mut hs, &m.establishment).await,
        Err(Error::Proximity(ProximityError::Ended))
    ));

    // Garbage instead of SessionEstablishment: a CBOR error (status 11), no panic.
    let mut hs = s.wallet.start_proximity().unwrap();
    let err = s
        .wallet
        .proximity_receive(&mut hs, &[0xff, 0x00, 0x12])
        .await
        .unwrap_err();
    let Error::Proximity(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.status(), Some(11));

    // A readerAuth whose signature does not verify: flagged invalid and refused; the answer
    // releases nothing whatever the person says.
    let mut hs = s.wallet.start_proximity().unwrap();
    let m = manual_reader_with(&hs.qr(), &s.reader, &ask, |r| {
        let ra = r.doc_requests[0].reader_auth.as_mut().unwrap();
        let n = ra.raw.len() - 1;
        ra.raw[n] ^= 1;
    });
    let ProximityEvent::Request(r) = s
        .wallet
        .proximity_receive(&mut hs, &m.establishment)
        .await
        .unwrap()
    else {
        panic!("no request")
    };
    assert!(
        matches!(
            &r.reader.authentication,
            ReaderAuthentication::Invalid { .. }
        ),
        "{:?}",
        r.reader.authentication
    );
    assert!(r.refused.is_some());
    let answer = s
        .wallet
        .proximity_respond(&mut hs, &approve_all(&r))
        .await
        .unwrap();
    assert!(!answer.shared);

    // Holder -> reader: the reader's decryption of a tampered answer fails.
    let mut hs = s.wallet.start_proximity().unwrap();
    let mut m = manual_reader(&hs.qr(), &s.reader, &ask);
    let ProximityEvent::Request(r) = s
        .wallet
        .proximity_receive(&mut hs, &m.establishment)
        .await
        .unwrap()
    else {
        panic!("no request")
    };
    let answer = s
        .wallet
        .proximity_respond(&mut hs, &approve_all(&r))
        .await
        .unwrap();
    assert!(m
        .session
        .decrypt(
            &SessionData::from_cbor(&flip_last_data_byte(&answer.message))
                .unwrap()
                .data
                .unwrap()
        )
        .is_err());
    // The reader ends the session; the holder sees the end.
    let bye = SessionData {
        data: None,
        status: Some(STATUS_SESSION_TERMINATION),
    }
    .to_cbor();
    assert!(matches!(
        s.wallet.proximity_receive(&mut hs, &bye).await.unwrap(),
        ProximityEvent::Ended
    ));
    let _ = m.e_reader.public_key();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_mac_answer_verifies_with_the_readers_ephemeral_key() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup(dir.path()).await;
    let ask = items(&[("family_name", false), ("age_over_18", false)]);
    let mut hs = ProximitySession::new(DeviceAuthMode::Mac).unwrap();
    let mut m = manual_reader(&hs.qr(), &s.reader, &ask);
    let ProximityEvent::Request(r) = s
        .wallet
        .proximity_receive(&mut hs, &m.establishment)
        .await
        .unwrap()
    else {
        panic!("no request")
    };
    let answer = s
        .wallet
        .proximity_respond(&mut hs, &approve_all(&r))
        .await
        .unwrap();
    let plain = m
        .session
        .decrypt(
            &SessionData::from_cbor(&answer.message)
                .unwrap()
                .data
                .unwrap(),
        )
        .unwrap();
    let iaca = [s._iss.iaca.clone()];
    let mut opts = MdocVerifyOptions::new(
        OffsetDateTime::now_utc().unix_timestamp(),
        &iaca,
        &m.transcript,
    );
    opts.reader_key = Some(&m.e_reader);
    opts.request = Some(&ask);
    let docs = verify_response(&plain, &opts, &mut CheckLog::default()).unwrap();
    assert_eq!(docs.len(), 1);
    let resp = DeviceResponse::from_cbor(&plain).unwrap();
    assert!(matches!(
        resp.documents[0]
            .device_signed
            .as_ref()
            .unwrap()
            .device_auth,
        Some(credentials::mdoc::DeviceAuth::Mac(_))
    ));
}

/// The FFI surface as an app drives it: `WalletHandle` (its own runtime, called from a plain
/// thread), `start_proximity` -> QR, the radio's bytes into `receive`, the person's answer into
/// `respond`, the reply bytes back to the radio; the verifier's reader on the other end.
#[test]
fn ffi_proximity_handle_drives_a_session_with_the_verifiers_reader() {
    use wallet_core::ffi::WalletHandle;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let iss = rt.block_on(issuer::start());
    let (verifier, _) = scheme(&iss.iaca);
    let (root, reader) = reader_pki("Example Employer Reader");
    let dir = tempfile::tempdir().unwrap();
    let w = WalletHandle::open(dir.path().to_string_lossy().into_owned(), "pw".into()).unwrap();
    w.allow_origins(vec![iss.base.clone()]);
    assert_eq!(
        w.accept_offer(iss.offer_by_reference("pre"), Some(issuer::TX_CODE.into()))
            .unwrap(),
        6
    );
    w.add_reader_root(root.to_pem()).unwrap();

    let session = w.clone().start_proximity(false).unwrap();
    let qr = session.qr();
    let (mut holder_end, mut reader_end) = MemoryTransport::pair();
    let ask = items(&[("family_name", true), ("given_name", false)]);
    let asked = ask.clone();
    let r = std::thread::spawn(move || {
        reader.exchange(&qr, std::slice::from_ref(&asked), &mut reader_end)
    });
    use credentials::mdoc::session::Transport as _;
    let step = session.receive(holder_end.receive().unwrap()).unwrap();
    let req = step.request.unwrap();
    assert_eq!(req.reader_authentication, "trusted");
    assert!(req
        .reader_subject
        .unwrap()
        .contains("Example Employer Reader"));
    // No register pinned here: the reader is authenticated but cannot be looked up.
    assert!(!req.reader_registered);
    assert_eq!(req.elements.len(), 2);
    let fam = req
        .elements
        .iter()
        .find(|e| e.element == "family_name")
        .unwrap();
    assert!(fam.intent_to_retain);
    assert_eq!(
        fam.value_json.as_deref(),
        Some(&*format!("\"{FAMILY_NAME}\""))
    );
    let keys = req.elements.iter().map(|e| e.key.clone()).collect();
    let answer = session.respond(true, keys).unwrap();
    assert!(answer.shared && answer.claims.len() == 2);
    holder_end.send(answer.message).unwrap();
    let end = session.receive(holder_end.receive().unwrap()).unwrap();
    assert!(end.ended && session.is_ended());

    let x = r.join().unwrap().unwrap();
    let out = rt.block_on(reader::verify(&verifier, &x, OffsetDateTime::now_utc()));
    let report = serde_json::to_value(&out.report).unwrap();
    assert_eq!(report["valid"], true, "{report:#}");
    assert_eq!(report["claims"][MDL_NAMESPACE]["family_name"], FAMILY_NAME);
    let log = w.activity().unwrap();
    assert_eq!(log.last().unwrap().outcome, "shared");
}
