//! What the issuer answers: the nonce response (OpenID4VCI 1.0 section 7.2), the credential
//! response (section 8.3), and the wallet's notification request (section 11.1).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{ErrorCode, VciError};

/// The nonce endpoint's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonceResponse {
    /// A fresh `c_nonce` for the key proofs.
    pub c_nonce: String,
}

/// One issued credential.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IssuedCredential {
    /// The credential: a string (SD-JWT VC, mdoc as base64url, VC-JWT), or a JSON object
    /// (`ldp_vc`).
    pub credential: Value,
}

impl IssuedCredential {
    /// The credential as text: the string itself, or an object's JSON text (what a wallet
    /// stores and hashes). `None` for anything else.
    pub fn text(&self) -> Option<String> {
        match &self.credential {
            Value::String(s) => Some(s.clone()),
            v @ Value::Object(_) => Some(v.to_string()),
            _ => None,
        }
    }
}

/// The credential response: the credentials now, or a `transaction_id` to fetch them later
/// from the deferred credential endpoint.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CredentialResponse {
    /// The issued credentials, one per key proven (empty when deferred).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<IssuedCredential>,
    /// The deferred transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Seconds to wait before asking the deferred endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<u64>,
    /// The id to use at the notification endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_id: Option<String>,
}

impl CredentialResponse {
    /// Reads a credential response: either credentials (each with a `credential` string or
    /// object) or a `transaction_id` with an `interval` (section 8.3).
    pub fn from_json(v: &Value) -> Result<Self, VciError> {
        let bad = |d: String| VciError::new(ErrorCode::InvalidCredentialRequest, d);
        let r: CredentialResponse = serde_json::from_value(v.clone())
            .map_err(|e| bad(format!("the credential response is malformed: {e}")))?;
        match (r.credentials.is_empty(), &r.transaction_id) {
            (false, None) => {
                if r.credentials.iter().any(|c| c.text().is_none()) {
                    return Err(bad("a credential is neither a string nor an object".into()));
                }
                Ok(r)
            }
            (true, Some(_)) if r.interval.is_some() => Ok(r),
            (true, Some(_)) => Err(bad("a deferred response must give an interval".into())),
            (false, Some(_)) => Err(bad(
                "a response carries credentials or a transaction_id, not both".into(),
            )),
            (true, None) => Err(bad("the credential response has no credentials".into())),
        }
    }

    /// Whether the credentials are deferred.
    pub fn is_deferred(&self) -> bool {
        self.transaction_id.is_some()
    }
}

/// A notification event (section 11.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationEvent {
    /// The credentials were stored.
    CredentialAccepted,
    /// Storing them failed.
    CredentialFailure,
    /// The person deleted them.
    CredentialDeleted,
}

impl NotificationEvent {
    /// The event's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationEvent::CredentialAccepted => "credential_accepted",
            NotificationEvent::CredentialFailure => "credential_failure",
            NotificationEvent::CredentialDeleted => "credential_deleted",
        }
    }
}

/// A notification request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRequest {
    /// The credential response's `notification_id`.
    pub notification_id: String,
    /// What happened.
    pub event: NotificationEvent,
    /// A description for the issuer's operators (ASCII).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_description: Option<String>,
}

impl NotificationRequest {
    /// Reads a notification request body (`invalid_notification_request` if malformed).
    pub fn from_slice(body: &[u8]) -> Result<Self, VciError> {
        let bad = |d: &str| VciError::new(ErrorCode::InvalidNotificationRequest, d);
        let v: Value = serde_json::from_slice(body).map_err(|_| bad("the body is not JSON"))?;
        let id = v
            .get("notification_id")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("notification_id is required"))?;
        let event = v
            .get("event")
            .cloned()
            .and_then(|e| serde_json::from_value::<NotificationEvent>(e).ok())
            .ok_or_else(|| bad("event is missing or unknown"))?;
        let event_description = match v.get("event_description") {
            None => None,
            Some(Value::String(d)) if d.is_ascii() => Some(d.clone()),
            Some(_) => return Err(bad("event_description must be ASCII text")),
        };
        Ok(NotificationRequest {
            notification_id: id.to_string(),
            event,
            event_description,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_response_has_credentials_or_a_deferred_transaction_never_both_nor_neither() {
        let ok = CredentialResponse::from_json(&json!({
            "credentials": [{"credential": "ey.x.y"}, {"credential": {"@context": []}}],
            "notification_id": "n"
        }))
        .unwrap();
        assert_eq!(ok.credentials[1].text().unwrap(), r#"{"@context":[]}"#);
        assert!(!ok.is_deferred());
        let deferred =
            CredentialResponse::from_json(&json!({"transaction_id": "t", "interval": 5})).unwrap();
        assert!(deferred.is_deferred());
        for bad in [
            json!({}),
            json!({"credentials": []}),
            json!({"transaction_id": "t"}),
            json!({"credentials": [{"credential": "a"}], "transaction_id": "t", "interval": 1}),
            json!({"credentials": [{"credential": 5}]}),
            json!({"credentials": [{"format": "x"}]}),
        ] {
            assert!(CredentialResponse::from_json(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_notification_names_a_known_event() {
        let n = NotificationRequest::from_slice(
            br#"{"notification_id":"n1","event":"credential_deleted"}"#,
        )
        .unwrap();
        assert_eq!(n.event, NotificationEvent::CredentialDeleted);
        for bad in [
            &br#"{"notification_id":"n1","event":"credential_lost"}"#[..],
            br#"{"event":"credential_accepted"}"#,
            br#"not json"#,
        ] {
            let e = NotificationRequest::from_slice(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidNotificationRequest);
        }
    }
}
