//! The ISO/IEC 18013-5 reader (proximity): engagement from a QR, session establishment, a
//! signed DeviceRequest with reader authentication, and the response through the pipeline.
//!
//! The exchange ([`Reader::exchange`]) is blocking, as [`Transport`] is: run it on a blocking
//! thread. Its result goes through [`Verifier::verify_mdoc`] ([`verify`]) like any other
//! presentation: issuer chain to an IACA root registered in the trust framework, the
//! provider's certification for the doctype, status, device authentication over the session
//! transcript, and the items requested.

use std::sync::Arc;

use credentials::cbor::tag24_bytes;
use credentials::dcql::DcqlQuery;
use credentials::keys::{provider, KeyKind, Signer};
use credentials::mdoc::session::{
    DeviceEngagement, Role, SessionData, SessionEncryption, SessionEstablishment, Transport,
    STATUS_SESSION_TERMINATION,
};
use credentials::mdoc::{reader_auth, DeviceRequest, DocRequest, ItemsRequest, SessionTranscript};
use credentials::x509::Certificate;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::pipeline::{Expect, Outcome, Verifier};

/// Why a proximity session failed before there was a response to verify.
#[derive(Debug, thiserror::Error)]
pub enum ReaderError {
    /// The QR code is not a DeviceEngagement.
    #[error("device engagement: {0}")]
    Engagement(String),
    /// Session keys, encryption or the request could not be made.
    #[error("session: {0}")]
    Session(String),
    /// The transport failed.
    #[error("transport: {0}")]
    Transport(String),
    /// The mdoc ended the session (status code of SessionData) without a response.
    #[error("the mdoc ended the session with status {0}")]
    Ended(u64),
}

/// A reader: its authentication key and certificate chain (leaf first).
pub struct Reader {
    /// The reader authentication key.
    pub signer: Arc<dyn Signer>,
    /// Its certificate chain, leaf first (the root stays out).
    pub chain: Vec<Certificate>,
}

/// What an exchange brought back: the DeviceResponse and the transcript it is bound to.
pub struct Exchanged {
    /// The decrypted DeviceResponse (CBOR).
    pub response: Vec<u8>,
    /// The session transcript (QR handover).
    pub transcript: SessionTranscript,
    /// The request as sent.
    pub request: DeviceRequest,
}

impl Reader {
    /// The signed DeviceRequest of `items` for `transcript`.
    pub fn request(
        &self,
        items: &[ItemsRequest],
        transcript: &SessionTranscript,
    ) -> Result<DeviceRequest, ReaderError> {
        let doc_requests = items
            .iter()
            .map(|i| {
                let raw = tag24_bytes(&i.to_cbor());
                let signed = reader_auth::sign(self.signer.as_ref(), &self.chain, transcript, &raw)
                    .map_err(|e| ReaderError::Session(e.to_string()))?;
                Ok(DocRequest {
                    items_request_raw: raw,
                    items_request: i.clone(),
                    reader_auth: Some(signed),
                })
            })
            .collect::<Result<Vec<_>, ReaderError>>()?;
        Ok(DeviceRequest {
            version: "1.0".into(),
            doc_requests,
        })
    }

    /// The whole session (blocking): read the engagement from `qr`, make an ephemeral key,
    /// send SessionEstablishment with the encrypted, reader-authenticated request, decrypt
    /// the answer, and end the session.
    pub fn exchange(
        &self,
        qr: &str,
        items: &[ItemsRequest],
        transport: &mut dyn Transport,
    ) -> Result<Exchanged, ReaderError> {
        let engagement =
            DeviceEngagement::from_qr(qr).map_err(|e| ReaderError::Engagement(e.to_string()))?;
        let e_reader = provider::default()
            .generate(KeyKind::P256)
            .map_err(|e| ReaderError::Session(e.to_string()))?;
        let transcript = SessionTranscript::qr(&engagement.raw, e_reader.public_key());
        let request = self.request(items, &transcript)?;
        let mut session = SessionEncryption::new(
            Role::Reader,
            &e_reader,
            &engagement.e_device_key,
            &transcript,
        )
        .map_err(|e| ReaderError::Session(e.to_string()))?;
        let data = session
            .encrypt(&request.to_cbor())
            .map_err(|e| ReaderError::Session(e.to_string()))?;
        transport
            .send(
                SessionEstablishment {
                    e_reader_key: e_reader.public_key().clone(),
                    data,
                }
                .to_cbor(),
            )
            .map_err(|e| ReaderError::Transport(e.to_string()))?;
        let answer = transport
            .receive()
            .map_err(|e| ReaderError::Transport(e.to_string()))?;
        let answer =
            SessionData::from_cbor(&answer).map_err(|e| ReaderError::Session(e.to_string()))?;
        let response = match (answer.data, answer.status) {
            (Some(d), _) => session
                .decrypt(&d)
                .map_err(|e| ReaderError::Session(e.to_string()))?,
            (None, Some(s)) => return Err(ReaderError::Ended(s)),
            (None, None) => {
                return Err(ReaderError::Session(
                    "SessionData with neither data nor status".into(),
                ))
            }
        };
        // The end of the session; the mdoc may already have gone, which is no failure.
        let _ = transport.send(
            SessionData {
                data: None,
                status: Some(STATUS_SESSION_TERMINATION),
            }
            .to_cbor(),
        );
        Ok(Exchanged {
            response,
            transcript,
            request,
        })
    }
}

/// The DCQL form of an ItemsRequest, so the pipeline checks the answer against what was
/// asked (query id `mdoc`).
pub fn dcql_of(items: &ItemsRequest) -> DcqlQuery {
    let claims: Vec<Value> = items
        .name_spaces
        .iter()
        .flat_map(|(ns, els)| els.keys().map(move |e| json!({"path": [ns, e]})))
        .collect();
    DcqlQuery::from_json(&json!({"credentials": [{
        "id": "mdoc",
        "format": "mso_mdoc",
        "meta": {"doctype_value": items.doc_type},
        "claims": claims,
    }]}))
    .expect("a DCQL query of an ItemsRequest")
}

/// Verifies what an exchange brought back, through the pipeline (trust register included).
pub async fn verify(verifier: &Verifier, x: &Exchanged, now: OffsetDateTime) -> Outcome {
    let query = x
        .request
        .doc_requests
        .first()
        .map(|d| dcql_of(&d.items_request));
    let ex = Expect {
        client_id: "",
        nonce: "",
        transcript: Some(&x.transcript),
        query: query.as_ref().map(|q| (q, "mdoc")),
        now,
    };
    verifier.verify_mdoc(&x.response, &ex).await
}
