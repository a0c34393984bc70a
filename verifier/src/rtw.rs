//! The employer's rules for a digital right-to-work check (Home Office guidance for
//! certified identity service providers): only British or Irish citizens, with a valid
//! (unexpired on the check date) British or Irish passport or Irish passport card, whose
//! identity the provider checked to at least a **medium** level of confidence (GPG 45), the
//! level consistent with the GPG 45 profile the provider reached.

use serde::Serialize;
use serde_json::Value;
use time::{Date, OffsetDateTime};

/// The right-to-work SD-JWT VC type.
pub const RTW_VCT: &str = "urn:vouch:uk:right-to-work:1";

/// What the employer sees about the person, from verified claims only.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct Person {
    /// Given name(s).
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Date of birth.
    pub birthdate: String,
    /// Photo, a `data:` URL.
    pub portrait: Option<String>,
    /// Nationality (ISO 3166-1 alpha-2 or alpha-3).
    pub nationality: String,
    /// Document type.
    pub document_type: String,
    /// Document number.
    pub document_number: String,
    /// Document expiry date.
    pub document_expiry: String,
    /// GPG 45 profile.
    pub gpg45_profile: Option<String>,
    /// GPG 45 level of confidence, as the credential states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<String>,
    /// When the provider checked the identity.
    pub check_date: Option<String>,
}

fn s(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().map(str::to_string)
}

impl Person {
    /// From SD-JWT VC right-to-work claims or mDL claims (`org.iso.18013.5.1`).
    pub fn from_claims(claims: &Value) -> Person {
        if let Some(m) = claims.get("org.iso.18013.5.1") {
            return Person {
                given_name: s(m, &["given_name"]).unwrap_or_default(),
                family_name: s(m, &["family_name"]).unwrap_or_default(),
                birthdate: s(m, &["birth_date"]).unwrap_or_default(),
                portrait: m
                    .get("portrait")
                    .and_then(|p| p.get("bytes_b64").and_then(Value::as_str))
                    .map(|b| format!("data:image/jpeg;base64,{b}")),
                nationality: s(m, &["nationality"]).unwrap_or_default(),
                document_type: "driving_licence".into(),
                document_number: s(m, &["document_number"]).unwrap_or_default(),
                document_expiry: s(m, &["expiry_date"]).unwrap_or_default(),
                gpg45_profile: None,
                confidence: None,
                check_date: None,
            };
        }
        Person {
            given_name: s(claims, &["given_name"]).unwrap_or_default(),
            family_name: s(claims, &["family_name"]).unwrap_or_default(),
            birthdate: s(claims, &["birthdate"]).unwrap_or_default(),
            portrait: s(claims, &["portrait"]),
            nationality: s(claims, &["nationality"]).unwrap_or_default(),
            document_type: s(claims, &["document", "type"]).unwrap_or_default(),
            document_number: s(claims, &["document", "number"]).unwrap_or_default(),
            document_expiry: s(claims, &["document", "expiry_date"]).unwrap_or_default(),
            gpg45_profile: s(claims, &["gpg45_profile"]),
            confidence: s(claims, &["confidence"]),
            check_date: s(claims, &["check_date"]),
        }
    }
}

/// Why the digital route does not give the employer a statutory excuse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum RuleFailure {
    /// Not a British or Irish citizen: use the Home Office online service (share code).
    #[error("only British or Irish citizens can use a digital identity check; nationality {nationality} must use the Home Office online service (share code)")]
    NotBritishOrIrish {
        /// The nationality given.
        nationality: String,
    },
    /// Not a passport or Irish passport card.
    #[error("the document is a {document_type}; a digital check needs a British or Irish passport or an Irish passport card")]
    WrongDocument {
        /// The document type given.
        document_type: String,
    },
    /// The passport had expired on the check date.
    #[error("the passport expired on {expiry}, before the check date {check_date}; a digital check needs a valid passport")]
    DocumentExpired {
        /// Expiry.
        expiry: String,
        /// The check date.
        check_date: String,
    },
    /// The expiry date is missing or not a date.
    #[error("the document expiry date is missing or not a date")]
    ExpiryUnreadable,
    /// The identity was checked below the medium level of confidence the Home Office
    /// requires of a certified identity service provider (or the level is not stated).
    #[error("the identity was checked to a {confidence} level of confidence; a right-to-work check needs at least medium (GPG 45)")]
    InsufficientConfidence {
        /// The level stated (`none` when the credential states none).
        confidence: String,
    },
    /// The stated level of confidence is not the level of the stated GPG 45 profile (or the
    /// profile is not one GPG 45 names).
    #[error("the credential states a {confidence} level of confidence but the GPG 45 profile {profile} {reaches}")]
    ConfidenceInconsistent {
        /// The level stated.
        confidence: String,
        /// The profile stated.
        profile: String,
        /// What the profile reaches, in words.
        reaches: String,
    },
}

/// The level of confidence of the check, which must be medium or above and consistent with
/// the GPG 45 profile.
fn check_confidence(person: &Person) -> Result<(), RuleFailure> {
    use trust_framework::gpg45::Level;
    let stated = person.confidence.as_deref().unwrap_or("none");
    let level = Level::from_name(stated).filter(|l| *l >= Level::Medium);
    let Some(level) = level else {
        return Err(RuleFailure::InsufficientConfidence {
            confidence: stated.to_string(),
        });
    };
    let profile = person.gpg45_profile.as_deref().unwrap_or("none");
    match Level::of_profile(profile) {
        Some(reached) if reached == level => Ok(()),
        other => Err(RuleFailure::ConfidenceInconsistent {
            confidence: stated.to_string(),
            profile: profile.to_string(),
            reaches: match other {
                Some(l) => format!("reaches {}", l.name().replace('_', " ")),
                None => "is not one GPG 45 names".into(),
            },
        }),
    }
}

fn parse_date(s: &str) -> Option<Date> {
    Date::parse(
        s,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// Applies the rules on the check date.
pub fn check(person: &Person, on: OffsetDateTime) -> Result<(), RuleFailure> {
    let nat = person.nationality.to_ascii_uppercase();
    if !matches!(nat.as_str(), "GB" | "GBR" | "IE" | "IRL") {
        return Err(RuleFailure::NotBritishOrIrish {
            nationality: person.nationality.clone(),
        });
    }
    let dt = person.document_type.to_ascii_lowercase();
    if !matches!(
        dt.as_str(),
        "passport" | "irish_passport_card" | "passport_card"
    ) {
        return Err(RuleFailure::WrongDocument {
            document_type: person.document_type.clone(),
        });
    }
    check_confidence(person)?;
    let expiry = parse_date(&person.document_expiry).ok_or(RuleFailure::ExpiryUnreadable)?;
    if expiry < on.date() {
        return Err(RuleFailure::DocumentExpired {
            expiry: person.document_expiry.clone(),
            check_date: on.date().to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn person(nat: &str, doc: &str, exp: &str) -> Person {
        Person {
            nationality: nat.into(),
            document_type: doc.into(),
            document_expiry: exp.into(),
            gpg45_profile: Some("M1B".into()),
            confidence: Some("medium".into()),
            ..Default::default()
        }
    }

    fn checked(level: Option<&str>, profile: Option<&str>) -> Result<(), RuleFailure> {
        let mut p = person("GB", "passport", "2030-01-01");
        p.confidence = level.map(str::to_string);
        p.gpg45_profile = profile.map(str::to_string);
        check(&p, datetime!(2026-11-20 10:00 UTC))
    }

    /// Home Office guidance: a certified IDSP's check gives a statutory excuse at a medium
    /// level of confidence or above, the level the one its GPG 45 profile reaches.
    #[test]
    fn medium_and_high_pass_low_or_inconsistent_levels_fail() {
        assert_eq!(checked(Some("medium"), Some("M1B")), Ok(()));
        assert_eq!(checked(Some("high"), Some("H2A")), Ok(()));
        assert_eq!(checked(Some("very_high"), Some("V1A")), Ok(()));
        for (level, profile) in [
            (Some("low"), Some("L1A")),
            (None, Some("M1B")),
            (Some("unknown"), Some("M1B")),
        ] {
            assert!(
                matches!(
                    checked(level, profile),
                    Err(RuleFailure::InsufficientConfidence { .. })
                ),
                "{level:?} {profile:?}"
            );
        }
        for (level, profile) in [
            (Some("medium"), Some("L1A")),
            (Some("high"), Some("M1B")),
            (Some("medium"), Some("M9Z")),
            (Some("medium"), None),
        ] {
            assert!(
                matches!(
                    checked(level, profile),
                    Err(RuleFailure::ConfidenceInconsistent { .. })
                ),
                "{level:?} {profile:?}"
            );
        }
    }

    #[test]
    fn british_and_irish_passports_valid_on_the_day_pass() {
        let on = datetime!(2026-11-20 10:00 UTC);
        assert_eq!(check(&person("GB", "passport", "2026-11-20"), on), Ok(()));
        assert_eq!(
            check(&person("IE", "irish_passport_card", "2030-01-01"), on),
            Ok(())
        );
    }

    #[test]
    fn refuses_other_nationalities_expired_passports_and_other_documents() {
        let on = datetime!(2026-11-20 10:00 UTC);
        assert!(matches!(
            check(&person("FR", "passport", "2030-01-01"), on),
            Err(RuleFailure::NotBritishOrIrish { .. })
        ));
        assert!(matches!(
            check(&person("GB", "passport", "2026-11-19"), on),
            Err(RuleFailure::DocumentExpired { .. })
        ));
        assert!(matches!(
            check(&person("GB", "driving_licence", "2030-01-01"), on),
            Err(RuleFailure::WrongDocument { .. })
        ));
    }
}
