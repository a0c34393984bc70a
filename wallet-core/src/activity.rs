//! The activity log: what was shared, with whom and when. Kept on the device only, sealed
//! like every other record; nothing here is ever sent anywhere.

use serde::{Deserialize, Serialize};

/// What happened to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The person approved and the claims were sent.
    Shared,
    /// The person declined.
    Declined,
    /// The wallet refused (over-asking, untrusted verifier).
    Refused,
    /// A credential was received.
    Received,
}

/// One entry of the activity log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityEntry {
    /// When (seconds since the epoch).
    pub at: i64,
    /// What happened.
    pub outcome: Outcome,
    /// The other party: the verifier's client id, or the issuer.
    pub counterparty: String,
    /// Its registered name, if the trust register knows it.
    pub counterparty_name: Option<String>,
    /// The stated purpose.
    pub purpose: Option<String>,
    /// The credential types involved.
    pub credential_types: Vec<String>,
    /// The claims released (names only, never values).
    pub claims: Vec<String>,
    /// How (openid4vp, 18013-5 proximity, openid4vci).
    pub channel: String,
}
