//! The credential offer (OpenID4VCI 1.0 section 4.1): what an issuer offers a wallet, and the
//! `openid-credential-offer://` link that carries it by value (`credential_offer`) or by
//! reference (`credential_offer_uri`).

use serde::{Deserialize, Serialize};

use super::error::{ErrorCode, VciError};

/// The scheme of a credential offer link (section 4.1).
pub const OFFER_SCHEME: &str = "openid-credential-offer://";

/// A credential offer (section 4.1.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialOffer {
    /// The credential issuer identifier.
    pub credential_issuer: String,
    /// What is offered: keys of the issuer's `credential_configurations_supported`.
    pub credential_configuration_ids: Vec<String>,
    /// The grants.
    #[serde(default)]
    pub grants: Grants,
}

/// The grants of an offer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grants {
    /// The authorization code grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_code: Option<AuthorizationCodeGrant>,
    /// The pre-authorized code grant.
    #[serde(
        default,
        rename = "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_code: Option<PreAuthorizedGrant>,
}

/// `authorization_code` grant parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationCodeGrant {
    /// Binds the authorization request to the offer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_state: Option<String>,
    /// Which authorization server to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<String>,
}

/// Pre-authorized code grant parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreAuthorizedGrant {
    /// The code.
    #[serde(rename = "pre-authorized_code")]
    pub code: String,
    /// A transaction code the person must type in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<TxCode>,
    /// Which authorization server to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<String>,
}

/// What the wallet shows when asking for the transaction code.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxCode {
    /// `numeric` (the default) or `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_mode: Option<String>,
    /// Its length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// Where the person finds it (at most 300 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

fn malformed(what: impl Into<String>) -> VciError {
    VciError::new(ErrorCode::InvalidCredentialRequest, what)
}

impl CredentialOffer {
    /// Reads an offer from its JSON, checking what section 4.1.1 requires: an issuer
    /// identifier, at least one configuration id, each once, and a well-formed `tx_code`.
    pub fn from_json(text: &str) -> Result<Self, VciError> {
        let offer: CredentialOffer = serde_json::from_str(text)
            .map_err(|e| malformed(format!("the credential offer is malformed: {e}")))?;
        offer.check()?;
        Ok(offer)
    }

    /// Checks what serde cannot: see [`CredentialOffer::from_json`].
    pub fn check(&self) -> Result<(), VciError> {
        if self.credential_issuer.is_empty() {
            return Err(malformed("credential_issuer is empty"));
        }
        let ids = &self.credential_configuration_ids;
        if ids.is_empty() {
            return Err(malformed("credential_configuration_ids is empty"));
        }
        if ids.iter().enumerate().any(|(i, id)| ids[..i].contains(id)) {
            return Err(malformed("credential_configuration_ids repeats an id"));
        }
        let tx = self
            .grants
            .pre_authorized_code
            .as_ref()
            .and_then(|g| g.tx_code.as_ref());
        if let Some(tx) = tx {
            if !matches!(tx.input_mode.as_deref(), None | Some("numeric" | "text")) {
                return Err(malformed("tx_code.input_mode must be numeric or text"));
            }
            if tx
                .description
                .as_ref()
                .is_some_and(|d| d.chars().count() > 300)
            {
                return Err(malformed("tx_code.description is over 300 characters"));
            }
        }
        Ok(())
    }

    /// The JSON of the offer.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("an offer serializes")
    }

    /// The `openid-credential-offer://` link carrying this offer by value.
    pub fn link_by_value(&self) -> String {
        let q = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("credential_offer", &self.to_json().to_string())
            .finish();
        format!("{OFFER_SCHEME}?{q}")
    }
}

/// The `openid-credential-offer://` link of an offer published at `uri`.
pub fn link_by_reference(uri: &str) -> String {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("credential_offer_uri", uri)
        .finish();
    format!("{OFFER_SCHEME}?{q}")
}

/// An offer by value or by reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OfferRef {
    /// The offer itself.
    Value(CredentialOffer),
    /// Where to fetch it.
    Reference(String),
}

impl OfferRef {
    /// Reads an offer link (`openid-credential-offer://?credential_offer=...` or
    /// `...?credential_offer_uri=...`; any scheme, as a QR code or an `https` universal link
    /// may carry it) or the offer's JSON itself. Exactly one of the two parameters.
    pub fn parse(text: &str) -> Result<Self, VciError> {
        let t = text.trim();
        if t.starts_with('{') {
            return CredentialOffer::from_json(t).map(OfferRef::Value);
        }
        let u = url::Url::parse(t).map_err(|e| malformed(format!("not a URL: {e}")))?;
        let mut by_value = None;
        let mut by_ref = None;
        for (k, v) in u.query_pairs() {
            let slot = match k.as_ref() {
                "credential_offer" => &mut by_value,
                "credential_offer_uri" => &mut by_ref,
                _ => continue,
            };
            if slot.replace(v.into_owned()).is_some() {
                return Err(malformed(format!("{k} appears twice")));
            }
        }
        match (by_value, by_ref) {
            (Some(v), None) => CredentialOffer::from_json(&v).map(OfferRef::Value),
            (None, Some(r)) => {
                url::Url::parse(&r)
                    .map_err(|e| malformed(format!("credential_offer_uri is not a URL: {e}")))?;
                Ok(OfferRef::Reference(r))
            }
            _ => Err(malformed(
                "exactly one of credential_offer and credential_offer_uri is required",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer() -> CredentialOffer {
        CredentialOffer {
            credential_issuer: "https://issuer.example".into(),
            credential_configuration_ids: vec!["pid_sd_jwt".into()],
            grants: Grants {
                authorization_code: None,
                pre_authorized_code: Some(PreAuthorizedGrant {
                    code: "abc".into(),
                    tx_code: Some(TxCode {
                        input_mode: Some("numeric".into()),
                        length: Some(6),
                        description: None,
                    }),
                    authorization_server: None,
                }),
            },
        }
    }

    #[test]
    fn an_offer_link_by_value_reads_back_as_the_same_offer() {
        let link = offer().link_by_value();
        assert!(link.starts_with("openid-credential-offer://?credential_offer="));
        assert_eq!(OfferRef::parse(&link), Ok(OfferRef::Value(offer())));
        // The grant type is the URN on the wire (section 4.1.1).
        assert!(offer().to_json()["grants"][super::super::PRE_AUTHORIZED_GRANT].is_object());
    }

    #[test]
    fn an_offer_link_by_reference_carries_only_the_uri() {
        let link = link_by_reference("https://issuer.example/offers/1?x=y");
        assert_eq!(
            OfferRef::parse(&link),
            Ok(OfferRef::Reference(
                "https://issuer.example/offers/1?x=y".into()
            ))
        );
    }

    #[test]
    fn a_link_with_both_or_neither_or_a_repeated_parameter_is_refused() {
        let both = format!(
            "{}&credential_offer_uri=https%3A%2F%2Fi.example%2Fo",
            offer().link_by_value()
        );
        assert!(OfferRef::parse(&both).is_err());
        assert!(OfferRef::parse("openid-credential-offer://?x=1").is_err());
        let twice = format!(
            "{}&credential_offer_uri=https%3A%2F%2Fi.example%2Fo",
            link_by_reference("https://i.example/o")
        );
        assert!(OfferRef::parse(&twice).is_err());
    }

    #[test]
    fn an_offer_without_configurations_or_with_a_repeated_one_or_a_bad_tx_code_is_refused() {
        let mut o = offer();
        o.credential_configuration_ids.clear();
        assert!(o.check().is_err());
        let mut o = offer();
        o.credential_configuration_ids.push("pid_sd_jwt".into());
        assert!(o.check().is_err());
        let mut o = offer();
        o.grants.pre_authorized_code.as_mut().unwrap().tx_code = Some(TxCode {
            input_mode: Some("emoji".into()),
            ..TxCode::default()
        });
        assert_eq!(
            o.check().unwrap_err().code,
            ErrorCode::InvalidCredentialRequest
        );
        assert!(CredentialOffer::from_json(r#"{"credential_issuer":"x"}"#).is_err());
    }
}
