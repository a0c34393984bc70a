//! The proximity session (18013-5 clause 9.1.1): DeviceEngagement, SessionTranscript,
//! session keys (ECDH + HKDF), AES-256-GCM session encryption with the standard's
//! identifiers and counters, SessionEstablishment / SessionData, and a transport seam.
//!
//! Radio transports (BLE, NFC, Wi-Fi Aware) are the app's job: they implement
//! [`Transport`]; tests use [`MemoryTransport::pair`].

use std::sync::mpsc;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use ciborium::Value;
use coset::CborSerializable;
use hkdf::Hkdf;
use sha2::{Digest, Sha256};

use super::MdocError;
use crate::cbor::{self, Kind};
use crate::keys::{cose_key, provider, PublicKey, SecretKey};

/// SessionTranscript, kept as the exact array bytes and as SessionTranscriptBytes (tag 24).
#[derive(Clone, Debug, PartialEq)]
pub struct SessionTranscript {
    raw: Vec<u8>,
    tagged: Vec<u8>,
}

impl SessionTranscript {
    /// Accepts the SessionTranscript array or SessionTranscriptBytes (`#6.24(bstr)`).
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, MdocError> {
        let node = cbor::decode(bytes)?;
        match &node.kind {
            Kind::Array(items) if items.len() == 3 => Ok(SessionTranscript {
                raw: bytes.to_vec(),
                tagged: cbor::tag24_bytes(bytes),
            }),
            Kind::Tag(24, _) => {
                let inner = node.tag24()?;
                if inner.as_array().map(<[_]>::len) != Some(3) {
                    return Err(MdocError::Structure(
                        "SessionTranscript is not an array of 3".into(),
                    ));
                }
                Ok(SessionTranscript {
                    raw: inner.raw.to_vec(),
                    tagged: bytes.to_vec(),
                })
            }
            _ => Err(MdocError::Structure(
                "SessionTranscript is not an array of 3 or tag 24".into(),
            )),
        }
    }

    fn from_items(items: Vec<Vec<u8>>) -> Self {
        let mut raw = cbor::array_header(items.len());
        for i in items {
            raw.extend(i);
        }
        SessionTranscript {
            tagged: cbor::tag24_bytes(&raw),
            raw,
        }
    }

    /// QR engagement: `[DeviceEngagementBytes, EReaderKeyBytes, null]`.
    pub fn qr(device_engagement_raw: &[u8], e_reader_key: &PublicKey) -> Self {
        Self::from_items(vec![
            cbor::tag24_bytes(device_engagement_raw),
            e_reader_key_bytes(e_reader_key),
            vec![0xf6],
        ])
    }

    /// NFC negotiated or static handover: `[..., [HandoverSelect, HandoverRequest / null]]`.
    pub fn nfc(
        device_engagement_raw: &[u8],
        e_reader_key: &PublicKey,
        handover_select: &[u8],
        handover_request: Option<&[u8]>,
    ) -> Self {
        let handover = Value::Array(vec![
            Value::Bytes(handover_select.to_vec()),
            handover_request.map_or(Value::Null, |r| Value::Bytes(r.to_vec())),
        ]);
        Self::from_items(vec![
            cbor::tag24_bytes(device_engagement_raw),
            e_reader_key_bytes(e_reader_key),
            cbor::encode(&handover),
        ])
    }

    /// OpenID4VP 1.0 (Appendix B.2.6.1): `[null, null, ["OpenID4VPHandover",
    /// SHA-256(cbor([client_id, nonce, jwk_thumbprint / null, response_uri]))]]`.
    pub fn openid4vp(
        client_id: &str,
        nonce: &str,
        jwk_thumbprint: Option<&[u8]>,
        response_uri: &str,
    ) -> Self {
        let info = cbor::encode(&Value::Array(vec![
            Value::Text(client_id.into()),
            Value::Text(nonce.into()),
            jwk_thumbprint.map_or(Value::Null, |t| Value::Bytes(t.to_vec())),
            Value::Text(response_uri.into()),
        ]));
        let handover = Value::Array(vec![
            Value::Text("OpenID4VPHandover".into()),
            Value::Bytes(Sha256::digest(&info).to_vec()),
        ]);
        Self::from_items(vec![vec![0xf6], vec![0xf6], cbor::encode(&handover)])
    }

    /// The SessionTranscript array bytes (embedded in DeviceAuthentication).
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// SessionTranscriptBytes (the HKDF salt input).
    pub fn tagged(&self) -> &[u8] {
        &self.tagged
    }
}

/// `EReaderKeyBytes = #6.24(bstr .cbor COSE_Key)`.
pub fn e_reader_key_bytes(key: &PublicKey) -> Vec<u8> {
    cbor::tag24_bytes(
        &cose_key::to_cose_key(key)
            .to_vec()
            .expect("a COSE_Key encodes"),
    )
}

/// HKDF-SHA-256 with salt SHA-256(SessionTranscriptBytes), 32 bytes (SKReader, SKDevice, EMacKey).
pub fn derive_session_key(
    shared_secret: &[u8],
    transcript: &SessionTranscript,
    info: &str,
) -> [u8; 32] {
    let salt = Sha256::digest(transcript.tagged());
    let mut out = [0u8; 32];
    Hkdf::<Sha256>::new(Some(&salt), shared_secret)
        .expand(info.as_bytes(), &mut out)
        .expect("32 bytes is a valid HKDF-SHA-256 length");
    out
}

/// DeviceEngagement: version, the mdoc's ephemeral key (cipher suite 1), retrieval methods.
#[derive(Clone, Debug)]
pub struct DeviceEngagement {
    /// The encoding as received or built: DeviceEngagementBytes wraps exactly this.
    pub raw: Vec<u8>,
    /// EDeviceKey.
    pub e_device_key: PublicKey,
}

impl DeviceEngagement {
    /// Builds a DeviceEngagement for `e_device_key`, with optional retrieval methods (BLE, ...).
    pub fn new(e_device_key: &PublicKey, retrieval_methods: Option<Value>) -> Self {
        let key_bytes = Value::Tag(
            24,
            Box::new(Value::Bytes(
                cose_key::to_cose_key(e_device_key)
                    .to_vec()
                    .expect("a COSE_Key encodes"),
            )),
        );
        let mut map = vec![
            (Value::Integer(0.into()), Value::Text("1.0".into())),
            (
                Value::Integer(1.into()),
                Value::Array(vec![Value::Integer(1.into()), key_bytes]),
            ),
        ];
        if let Some(m) = retrieval_methods {
            map.push((Value::Integer(2.into()), m));
        }
        DeviceEngagement {
            raw: cbor::encode(&Value::Map(map)),
            e_device_key: e_device_key.clone(),
        }
    }

    /// Parses a DeviceEngagement (checks version and cipher suite 1).
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, MdocError> {
        let node = cbor::decode(bytes)?;
        let bad = |m: &str| MdocError::Structure(format!("DeviceEngagement: {m}"));
        let version = node
            .get_int(0)
            .and_then(|v| v.as_text())
            .ok_or_else(|| bad("no version"))?;
        if !version.starts_with("1.") {
            return Err(bad("unsupported version"));
        }
        let security = node
            .get_int(1)
            .and_then(|s| s.as_array())
            .ok_or_else(|| bad("no Security"))?;
        if security.len() != 2 || security[0].as_uint() != Some(1) {
            return Err(bad("cipher suite is not 1"));
        }
        let key = security[1].tag24()?;
        let e_device_key =
            cose_key::from_cbor_node(&key).map_err(|e| bad(&format!("EDeviceKey: {e}")))?;
        Ok(DeviceEngagement {
            raw: bytes.to_vec(),
            e_device_key,
        })
    }

    /// The QR code text: `mdoc:` + base64url(DeviceEngagement).
    pub fn to_qr(&self) -> String {
        format!("mdoc:{}", crate::b64::encode(&self.raw))
    }

    /// Parses the QR code text.
    pub fn from_qr(text: &str) -> Result<Self, MdocError> {
        let b = text
            .strip_prefix("mdoc:")
            .and_then(crate::b64::decode)
            .ok_or_else(|| MdocError::Structure("not an mdoc: engagement URI".into()))?;
        Self::from_cbor(&b)
    }
}

/// Which side of the session this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The mdoc reader (verifier).
    Reader,
    /// The mdoc (holder).
    Mdoc,
}

/// Session encryption (clause 9.1.1.5): AES-256-GCM, IV = identifier (8 bytes, 0 for the
/// reader, 1 for the mdoc) || 4-byte big-endian counter starting at 1.
pub struct SessionEncryption {
    send: Aes256Gcm,
    recv: Aes256Gcm,
    send_id: [u8; 8],
    recv_id: [u8; 8],
    send_counter: u32,
    recv_counter: u32,
}

const READER_ID: [u8; 8] = [0, 0, 0, 0, 0, 0, 0, 0];
const MDOC_ID: [u8; 8] = [0, 0, 0, 0, 0, 0, 0, 1];

impl SessionEncryption {
    /// Derives SKReader and SKDevice from our ephemeral key and the peer's.
    pub fn new(
        role: Role,
        ours: &SecretKey,
        theirs: &PublicKey,
        transcript: &SessionTranscript,
    ) -> Result<Self, MdocError> {
        let z = provider::default()
            .ecdh(ours, theirs)
            .map_err(|e| MdocError::Session(format!("ECDH failed: {e}")))?;
        let sk_reader = derive_session_key(&z, transcript, "SKReader");
        let sk_device = derive_session_key(&z, transcript, "SKDevice");
        Ok(Self::from_keys(role, &sk_reader, &sk_device))
    }

    /// From already derived keys (tests against published values).
    pub fn from_keys(role: Role, sk_reader: &[u8; 32], sk_device: &[u8; 32]) -> Self {
        let (send, recv, send_id, recv_id) = match role {
            Role::Reader => (sk_reader, sk_device, READER_ID, MDOC_ID),
            Role::Mdoc => (sk_device, sk_reader, MDOC_ID, READER_ID),
        };
        SessionEncryption {
            send: Aes256Gcm::new_from_slice(send).expect("32-byte key"),
            recv: Aes256Gcm::new_from_slice(recv).expect("32-byte key"),
            send_id,
            recv_id,
            send_counter: 0,
            recv_counter: 0,
        }
    }

    fn iv(id: &[u8; 8], counter: u32) -> [u8; 12] {
        let mut iv = [0u8; 12];
        iv[..8].copy_from_slice(id);
        iv[8..].copy_from_slice(&counter.to_be_bytes());
        iv
    }

    /// Encrypts the next outgoing message.
    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, MdocError> {
        self.send_counter = self
            .send_counter
            .checked_add(1)
            .ok_or_else(|| MdocError::Session("message counter exhausted".into()))?;
        let iv = Self::iv(&self.send_id, self.send_counter);
        self.send
            .encrypt(&Nonce::from(iv), plaintext)
            .map_err(|_| MdocError::Session("encryption failed".into()))
    }

    /// Decrypts the next incoming message; a replayed or reordered message fails.
    pub fn decrypt(&mut self, ciphertext: &[u8]) -> Result<Vec<u8>, MdocError> {
        let counter = self
            .recv_counter
            .checked_add(1)
            .ok_or_else(|| MdocError::Session("message counter exhausted".into()))?;
        let iv = Self::iv(&self.recv_id, counter);
        let plain = self
            .recv
            .decrypt(&Nonce::from(iv), ciphertext)
            .map_err(|_| {
                MdocError::Session("decryption failed (wrong key, counter or tampered data)".into())
            })?;
        self.recv_counter = counter;
        Ok(plain)
    }
}

/// SessionEstablishment: `{eReaderKey: EReaderKeyBytes, data: bstr}`.
#[derive(Clone, Debug)]
pub struct SessionEstablishment {
    /// EReaderKey.
    pub e_reader_key: PublicKey,
    /// The encrypted DeviceRequest.
    pub data: Vec<u8>,
}

impl SessionEstablishment {
    /// Encodes the message.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = vec![0xa2];
        out.extend(cbor::text("eReaderKey"));
        out.extend(e_reader_key_bytes(&self.e_reader_key));
        out.extend(cbor::text("data"));
        out.extend(cbor::encode(&Value::Bytes(self.data.clone())));
        out
    }

    /// Parses the message strictly.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, MdocError> {
        let node = cbor::decode(bytes)?;
        let bad = |m: &str| MdocError::Structure(format!("SessionEstablishment: {m}"));
        let key = node
            .get("eReaderKey")
            .ok_or_else(|| bad("no eReaderKey"))?
            .tag24()?;
        let e_reader_key =
            cose_key::from_cbor_node(&key).map_err(|e| bad(&format!("eReaderKey: {e}")))?;
        let data = node
            .get("data")
            .and_then(|d| d.as_bytes())
            .ok_or_else(|| bad("no data"))?
            .to_vec();
        Ok(SessionEstablishment { e_reader_key, data })
    }

    /// The raw EReaderKeyBytes (for the transcript).
    pub fn e_reader_key_bytes(&self) -> Vec<u8> {
        e_reader_key_bytes(&self.e_reader_key)
    }
}

/// Session termination status (clause 9.1.1.4, table 20).
pub const STATUS_SESSION_TERMINATION: u64 = 20;

/// SessionData: `{? data: bstr, ? status: uint}`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SessionData {
    /// Encrypted payload.
    pub data: Option<Vec<u8>>,
    /// Status (10 decryption error, 11 CBOR error, 20 termination).
    pub status: Option<u64>,
}

impl SessionData {
    /// Encodes the message.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut m = Vec::new();
        if let Some(d) = &self.data {
            m.push((Value::Text("data".into()), Value::Bytes(d.clone())));
        }
        if let Some(s) = self.status {
            m.push((Value::Text("status".into()), Value::Integer(s.into())));
        }
        cbor::encode(&Value::Map(m))
    }

    /// Parses the message strictly.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, MdocError> {
        let node = cbor::decode(bytes)?;
        if node.as_map().is_none() {
            return Err(MdocError::Structure("SessionData is not a map".into()));
        }
        let data = match node.get("data") {
            None => None,
            Some(d) => Some(
                d.as_bytes()
                    .ok_or_else(|| MdocError::Structure("SessionData data is not bytes".into()))?
                    .to_vec(),
            ),
        };
        let status =
            match node.get("status") {
                None => None,
                Some(s) => Some(s.as_uint().ok_or_else(|| {
                    MdocError::Structure("SessionData status is not a uint".into())
                })?),
            };
        if data.is_none() && status.is_none() {
            return Err(MdocError::Structure(
                "SessionData has neither data nor status".into(),
            ));
        }
        Ok(SessionData { data, status })
    }
}

/// A message channel between mdoc and reader (BLE, NFC, Wi-Fi Aware in an app).
pub trait Transport {
    /// Sends one message.
    fn send(&mut self, message: Vec<u8>) -> Result<(), MdocError>;
    /// Receives the next message.
    fn receive(&mut self) -> Result<Vec<u8>, MdocError>;
}

/// An in-memory transport (both ends in one process), for tests and demos.
pub struct MemoryTransport {
    tx: mpsc::Sender<Vec<u8>>,
    rx: mpsc::Receiver<Vec<u8>>,
}

impl MemoryTransport {
    /// Two connected ends.
    pub fn pair() -> (Self, Self) {
        let (a_tx, b_rx) = mpsc::channel();
        let (b_tx, a_rx) = mpsc::channel();
        (
            MemoryTransport { tx: a_tx, rx: a_rx },
            MemoryTransport { tx: b_tx, rx: b_rx },
        )
    }
}

impl Transport for MemoryTransport {
    fn send(&mut self, message: Vec<u8>) -> Result<(), MdocError> {
        self.tx
            .send(message)
            .map_err(|_| MdocError::Session("the peer closed the transport".into()))
    }
    fn receive(&mut self) -> Result<Vec<u8>, MdocError> {
        self.rx
            .recv()
            .map_err(|_| MdocError::Session("the peer closed the transport".into()))
    }
}
