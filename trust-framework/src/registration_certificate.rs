//! Relying-party registration certificates (ETSI TS 119 475, the EUDI ARF's "registration
//! certificate of a wallet-relying party"): the register, as registrar, signs what a
//! relying party registered (who it is, each purpose with the claims it may ask and how
//! long it keeps them) as an `rc-wrp+jwt` whose `x5c` leads to a registrar root the
//! register's snapshot names. The verifier sends it in its request's `verifier_info`; the
//! wallet checks it offline against that root, checks that it names the relying party the
//! request comes from, and judges the request by it.
//!
//! The payload keeps the register's own field names for a relying party (`sub` is its
//! relying-party id, the client id wallets see), so what a wallet learns from the
//! certificate is exactly what the register holds. Revocation: a Token Status List of the
//! registrar (`status`), one index per relying party in order of registration.

use credentials::jose::{sign_compact, CompactJws, JwsPolicy};
use credentials::keys::{Algorithm, Signer};
use credentials::x509::{validate_chain, Certificate, LeafProfile};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::model::{Purpose, RelyingParty};
use crate::register::{Register, RelyingPartyRecord};

/// The JWT `typ` of a registration certificate.
pub const TYP: &str = "rc-wrp+jwt";

/// How long a registration certificate is valid: 7 days. Verifiers fetch a fresh one with
/// every snapshot refresh; a wallet that cannot read the registrar's status list still
/// sees a removed relying party's certificate lapse within the week.
pub const VALIDITY_DAYS: i64 = 7;

/// What a registration certificate says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationCertificate {
    /// The registrar (the register's log origin).
    pub iss: String,
    /// The relying party's id on the register: the client id wallets see.
    pub sub: String,
    /// The organisation's name (the request-signing certificate's `O=`).
    pub name: String,
    /// Its company number, if registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_number: Option<String>,
    /// Each registered purpose with the claims it may request and their retention.
    pub purposes: Vec<Purpose>,
    /// Issued at (seconds).
    pub iat: i64,
    /// Expiry (seconds).
    pub exp: i64,
    /// Its Token Status List entry (`{"status_list": {"idx", "uri"}}`), when the
    /// registrar publishes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Value>,
}

/// Why a registration certificate was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RcError {
    /// Not a registration certificate (shape, `typ`, claims).
    #[error("the registration certificate is malformed: {0}")]
    Malformed(String),
    /// Its chain does not lead to the registrar root of the register.
    #[error("the registration certificate is not from the register's registrar: {0}")]
    Untrusted(String),
    /// Its signature does not verify with its leaf.
    #[error("the registration certificate's signature does not verify")]
    Signature,
    /// It has expired or is not yet valid.
    #[error("the registration certificate is not valid now")]
    Expired,
    /// It names another relying party than the one asking.
    #[error("the registration certificate is for {certified}, not for {asking}")]
    OtherRelyingParty {
        /// The relying party it certifies.
        certified: String,
        /// The one whose request carried it.
        asking: String,
    },
}

impl RcError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            RcError::Malformed(_) => "registration_certificate_malformed",
            RcError::Untrusted(_) => "registration_certificate_untrusted",
            RcError::Signature => "registration_certificate_signature",
            RcError::Expired => "registration_certificate_expired",
            RcError::OtherRelyingParty { .. } => "registration_certificate_other_relying_party",
        }
    }
}

/// The relying parties in order of registration: their places are their indices in the
/// registrar's status list (stable: the register is append-only).
pub fn in_status_order(register: &Register) -> Vec<(&String, &RelyingPartyRecord)> {
    let mut all: Vec<(&String, &RelyingPartyRecord)> = register.relying_parties.iter().collect();
    all.sort_by_key(|(_, r)| r.log_index);
    all
}

/// The index of relying party `id` in the registrar's status list.
pub fn status_index(register: &Register, id: &str) -> Option<u64> {
    in_status_order(register)
        .iter()
        .position(|(k, _)| *k == id)
        .map(|i| i as u64)
}

impl RegistrationCertificate {
    /// The certificate of relying party `id` as the register holds it at `now`; `None` for
    /// an unknown or removed relying party (it gets none).
    pub fn of(
        register: &Register,
        id: &str,
        registrar: &str,
        status_uri: Option<&str>,
        now: OffsetDateTime,
    ) -> Option<Self> {
        let rec = register.relying_parties.get(id)?;
        if rec.removed_at.is_some() {
            return None;
        }
        let rp = &rec.relying_party;
        let iat = now.unix_timestamp();
        Some(RegistrationCertificate {
            iss: registrar.to_string(),
            sub: rp.relying_party_id.clone(),
            name: rp.name.clone(),
            company_number: rp.company_number.clone(),
            purposes: rp.purposes.clone(),
            iat,
            exp: iat + VALIDITY_DAYS * 86_400,
            status: match status_uri {
                Some(uri) => Some(serde_json::json!({"status_list": {
                    "idx": status_index(register, id)?,
                    "uri": uri,
                }})),
                None => None,
            },
        })
    }

    /// Signs it with the registrar's key, its chain (leaf first, without the root) in `x5c`.
    pub fn sign(&self, registrar: &dyn Signer, x5c: &[Certificate]) -> Result<String, RcError> {
        let mut header = Map::new();
        header.insert("typ".into(), TYP.into());
        header.insert("x5c".into(), credentials::x509::x5c_value(x5c));
        let payload = serde_json::to_vec(self).expect("a certificate serializes");
        sign_compact(&header, &payload, registrar).map_err(|e| RcError::Malformed(e.to_string()))
    }

    /// Verifies a registration certificate offline: `typ`, an `x5c` chain to one of the
    /// registrar `roots` valid at `now`, the signature by its leaf, and `iat`/`exp`.
    pub fn verify(jwt: &str, roots: &[Certificate], now: i64) -> Result<Self, RcError> {
        let jws = CompactJws::parse(jwt.trim()).map_err(|e| RcError::Malformed(e.to_string()))?;
        if jws.header().typ() != Some(TYP) {
            return Err(RcError::Malformed(format!("typ must be {TYP}")));
        }
        let ders = jws
            .header()
            .x5c()
            .map_err(|e| RcError::Malformed(e.to_string()))?
            .ok_or_else(|| RcError::Malformed("no x5c".into()))?;
        let chain =
            credentials::x509::parse_chain(&ders).map_err(|e| RcError::Malformed(e.to_string()))?;
        if roots.is_empty() {
            return Err(RcError::Untrusted(
                "the register names no registrar root".into(),
            ));
        }
        validate_chain(&chain, roots, now, &LeafProfile::default())
            .map_err(|e| RcError::Untrusted(e.to_string()))?;
        let key = chain[0]
            .public_key()
            .map_err(|e| RcError::Malformed(e.to_string()))?;
        jws.verify(
            &key,
            &JwsPolicy::allowing(&[Algorithm::Es256, Algorithm::Es384]),
        )
        .map_err(|_| RcError::Signature)?;
        let rc: RegistrationCertificate =
            serde_json::from_slice(jws.payload()).map_err(|e| RcError::Malformed(e.to_string()))?;
        if rc.exp <= now || rc.iat > now + 300 {
            return Err(RcError::Expired);
        }
        Ok(rc)
    }

    /// Checks that it certifies `relying_party_id` (the request's client id).
    pub fn names(&self, relying_party_id: &str) -> Result<(), RcError> {
        if self.sub == relying_party_id {
            Ok(())
        } else {
            Err(RcError::OtherRelyingParty {
                certified: self.sub.clone(),
                asking: relying_party_id.to_string(),
            })
        }
    }

    /// A register holding only this relying party, as certified: what a wallet judges the
    /// request by (the same rules as with a full register).
    pub fn as_register(&self) -> Register {
        let mut r = Register::default();
        r.relying_parties.insert(
            self.sub.clone(),
            RelyingPartyRecord {
                relying_party: RelyingParty {
                    relying_party_id: self.sub.clone(),
                    name: self.name.clone(),
                    company_number: self.company_number.clone(),
                    purposes: self.purposes.clone(),
                },
                registered_at: OffsetDateTime::from_unix_timestamp(self.iat)
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH),
                log_index: 0,
                removed_at: None,
            },
        );
        r
    }
}
