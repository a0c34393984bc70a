//! The employer's rules for a digital right-to-work check (Home Office guidance for
//! certified identity service providers): only British or Irish citizens, with a valid
//! (unexpired on the check date) British or Irish passport or Irish passport card, whose
//! identity the provider checked to at least a **medium** level of confidence (GPG 45), the
//! level consistent with the GPG 45 profile the provider reached.
//!
//! Two versions of the right-to-work SD-JWT VC are read: version 1 with flat claims
//! (`confidence`, `gpg45_profile`, `document`, `check_date`, `checked_by`) and version 2,
//! whose assurance is OpenID Connect for Identity Assurance `verified_claims` (OpenID
//! Identity Assurance Schema Definition 1.0, sections 5.2 to 5.4): there the check must
//! also have been made under the UK trust framework (`trust_framework` `uk_tfida`) and
//! GPG 45 (`assurance_process.policy` `gpg45`).

use serde::Serialize;
use serde_json::Value;
use time::{Date, OffsetDateTime};

/// The right-to-work SD-JWT VC type, version 1 (flat claims).
pub const RTW_VCT: &str = "urn:vouch:uk:right-to-work:1";
/// The right-to-work SD-JWT VC type, version 2 (OIDC4IA `verified_claims`).
pub const RTW_V2_VCT: &str = "urn:vouch:uk:right-to-work:2";
/// The `trust_framework` of a version 2 credential: the UK digital identity and attributes
/// trust framework.
pub const UK_TRUST_FRAMEWORK: &str = "uk_tfida";
/// The `assurance_process.policy` of a version 2 credential: GPG 45.
pub const GPG45_POLICY: &str = "gpg45";

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
    /// When the provider checked the identity: a date (version 1) or an RFC 3339 time
    /// (version 2's `verification.time`).
    pub check_date: Option<String>,
    /// Who made the check, as the credential states it (version 1 `checked_by`, version 2
    /// the `organization` of the document's checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_by: Option<String>,
    /// Whether the credential states its assurance as OIDC4IA `verified_claims` (version
    /// 2): then the trust framework and the policy below must be the UK's and GPG 45.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub verified_claims: bool,
    /// Version 2's `verification.trust_framework`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_framework: Option<String>,
    /// Version 2's `verification.assurance_process.policy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assurance_policy: Option<String>,
}

fn s(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().map(str::to_string)
}

/// Version 2's `verified_claims` object: the one under the UK trust framework when the
/// claim is an array of them (OIDC4IA allows either), otherwise the first.
fn verified_claims(claims: &Value) -> Option<&Value> {
    match claims.get("verified_claims")? {
        Value::Array(list) => list
            .iter()
            .find(|v| {
                v.pointer("/verification/trust_framework")
                    .and_then(Value::as_str)
                    == Some(UK_TRUST_FRAMEWORK)
            })
            .or_else(|| list.first()),
        v @ Value::Object(_) => Some(v),
        _ => None,
    }
}

/// The GPG 45 level of confidence a right-to-work credential states: version 1's
/// `confidence`, version 2's `verified_claims.verification.assurance_level`.
pub fn stated_confidence(claims: &Value) -> Option<&str> {
    claims
        .get("confidence")
        .and_then(Value::as_str)
        .or_else(|| {
            verified_claims(claims)?
                .pointer("/verification/assurance_level")
                .and_then(Value::as_str)
        })
}

/// Whether `code` is British or Irish (ISO 3166-1 alpha-2 or ICAO 3-letter).
fn british_or_irish(code: &str) -> bool {
    matches!(
        code.to_ascii_uppercase().as_str(),
        "GB" | "GBR" | "IE" | "IRL"
    )
}

/// The same state in alpha-2 and ICAO 3-letter code (`GB` and `GBR`).
fn same_state(a: &str, b: &str) -> bool {
    let norm = |c: &str| match c.to_ascii_uppercase().as_str() {
        "GB" | "GBR" => "GB".to_string(),
        "IE" | "IRL" => "IE".to_string(),
        other => other.to_string(),
    };
    norm(a) == norm(b)
}

impl Person {
    /// From version 2's `verified_claims`: the person from its `claims`, the document from
    /// the first `document` evidence, the level, profile and check time from its
    /// `verification`, who checked from the document's checks; the photo beside it.
    fn from_verified_claims(claims: &Value, vc: &Value) -> Person {
        let v = vc.get("verification").unwrap_or(&Value::Null);
        let who = vc.get("claims").unwrap_or(&Value::Null);
        let evidence = v
            .get("evidence")
            .and_then(Value::as_array)
            .and_then(|list| {
                list.iter()
                    .find(|e| e.get("type").and_then(Value::as_str) == Some("document"))
                    .or_else(|| list.iter().find(|e| e.get("document_details").is_some()))
            })
            .unwrap_or(&Value::Null);
        let doc = evidence.get("document_details").unwrap_or(&Value::Null);
        let issued_by = s(doc, &["issuer", "country_code"]);
        let nationalities: Vec<&str> = who
            .get("nationalities")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // The nationality the checked document evidences, else one the route is for.
        let nationality = nationalities
            .iter()
            .find(|n| issued_by.as_deref().is_some_and(|d| same_state(n, d)))
            .or_else(|| nationalities.iter().find(|n| british_or_irish(n)))
            .or_else(|| nationalities.first())
            .map(|n| n.to_string())
            .unwrap_or_default();
        let checked_by = evidence
            .get("check_details")
            .and_then(Value::as_array)
            .and_then(|c| {
                c.iter()
                    .find_map(|c| c.get("organization").and_then(Value::as_str))
            })
            .map(str::to_string);
        Person {
            given_name: s(who, &["given_name"]).unwrap_or_default(),
            family_name: s(who, &["family_name"]).unwrap_or_default(),
            birthdate: s(who, &["birthdate"]).unwrap_or_default(),
            portrait: s(claims, &["portrait"]),
            nationality,
            document_type: s(doc, &["type"]).unwrap_or_default(),
            document_number: s(doc, &["document_number"]).unwrap_or_default(),
            document_expiry: s(doc, &["date_of_expiry"]).unwrap_or_default(),
            // GPG 45 names its profiles in capitals; OIDC4IA's own UK example writes `m1b`.
            gpg45_profile: s(v, &["assurance_process", "procedure"])
                .map(|p| p.to_ascii_uppercase()),
            confidence: s(v, &["assurance_level"]),
            check_date: s(v, &["time"]),
            checked_by,
            verified_claims: true,
            trust_framework: s(v, &["trust_framework"]),
            assurance_policy: s(v, &["assurance_process", "policy"]),
        }
    }

    /// From SD-JWT VC right-to-work claims (version 1's flat claims or version 2's
    /// `verified_claims`) or mDL claims (`org.iso.18013.5.1`).
    pub fn from_claims(claims: &Value) -> Person {
        if let Some(vc) = verified_claims(claims) {
            return Person::from_verified_claims(claims, vc);
        }
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
                ..Default::default()
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
            checked_by: s(claims, &["checked_by"]),
            ..Default::default()
        }
    }

    /// What the provider's check came to, in the words the employer's page uses: "medium
    /// level of confidence (GPG 45 profile M1B) on 20 November 2026, by Vouch Test IDSP
    /// Ltd, under the UK digital identity and attributes trust framework"; `None` when the
    /// credential states none of it.
    pub fn identity_check_words(&self) -> Option<String> {
        if self.gpg45_profile.is_none() && self.confidence.is_none() && self.check_date.is_none() {
            return None;
        }
        let mut out = match (&self.confidence, &self.gpg45_profile) {
            (Some(c), Some(g)) => format!(
                "{} level of confidence (GPG 45 profile {g})",
                c.replace('_', " ")
            ),
            (None, Some(g)) => format!("GPG 45 profile {g}"),
            (Some(c), None) => format!("{} level of confidence", c.replace('_', " ")),
            (None, None) => "Identity checked".into(),
        };
        if let Some(d) = &self.check_date {
            out.push_str(&format!(" on {}", crate::words::date(d)));
        }
        if let Some(by) = &self.checked_by {
            out.push_str(&format!(", by {by}"));
        }
        if self.verified_claims {
            match self.trust_framework.as_deref() {
                Some(UK_TRUST_FRAMEWORK) => {
                    out.push_str(", under the UK digital identity and attributes trust framework")
                }
                Some(other) => out.push_str(&format!(", under the trust framework {other}")),
                None => {}
            }
        }
        Some(out)
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
    /// The document had already expired when the provider checked it: the evidence does
    /// not support the check.
    #[error("the passport expired on {expiry}, before the provider's identity check on {check_date}: the check was not made against a valid passport")]
    DocumentExpiredAtCheck {
        /// Expiry.
        expiry: String,
        /// The day of the provider's check.
        check_date: String,
    },
    /// The expiry date is missing or not a date.
    #[error("the document expiry date is missing or not a date")]
    ExpiryUnreadable,
    /// A version 2 credential whose check was not made under the UK digital identity and
    /// attributes trust framework (`uk_tfida`), or that does not say.
    #[error("the identity check was made under the trust framework {trust_framework}; a right-to-work check needs the UK digital identity and attributes trust framework (uk_tfida)")]
    WrongTrustFramework {
        /// The trust framework stated (`none` when the credential states none).
        trust_framework: String,
    },
    /// A version 2 credential whose assurance process did not follow GPG 45 (`gpg45`), or
    /// that does not say.
    #[error("the identity check followed the policy {policy}; a right-to-work check needs GPG 45 (gpg45)")]
    WrongAssurancePolicy {
        /// The policy stated (`none` when the credential states none).
        policy: String,
    },
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

/// The day of a `YYYY-MM-DD` date or of an RFC 3339 time (the date it starts with).
fn day_of(s: &str) -> Option<Date> {
    match s.len() {
        10 => parse_date(s),
        n if n > 10 && s.as_bytes()[10] == b'T' => parse_date(s.get(..10)?),
        _ => None,
    }
}

/// Version 2's scheme: the UK trust framework and GPG 45 (version 1 implies both).
fn check_scheme(person: &Person) -> Result<(), RuleFailure> {
    if !person.verified_claims {
        return Ok(());
    }
    let tf = person.trust_framework.as_deref().unwrap_or("none");
    if tf != UK_TRUST_FRAMEWORK {
        return Err(RuleFailure::WrongTrustFramework {
            trust_framework: tf.to_string(),
        });
    }
    let policy = person.assurance_policy.as_deref().unwrap_or("none");
    if policy != GPG45_POLICY {
        return Err(RuleFailure::WrongAssurancePolicy {
            policy: policy.to_string(),
        });
    }
    Ok(())
}

/// Applies the rules on the check date.
pub fn check(person: &Person, on: OffsetDateTime) -> Result<(), RuleFailure> {
    if !british_or_irish(&person.nationality) {
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
    check_scheme(person)?;
    check_confidence(person)?;
    let expiry = parse_date(&person.document_expiry).ok_or(RuleFailure::ExpiryUnreadable)?;
    // The evidence must support the check: the document valid on the day it was checked.
    if let Some(checked) = person.check_date.as_deref().and_then(day_of) {
        if expiry < checked {
            return Err(RuleFailure::DocumentExpiredAtCheck {
                expiry: person.document_expiry.clone(),
                check_date: checked.to_string(),
            });
        }
    }
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
    use serde_json::json;
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

    fn v2_example() -> Value {
        serde_json::from_str(include_str!(
            "../../specs/examples/right-to-work-v2.claims.json"
        ))
        .unwrap()
    }

    /// The version 2 example with `edit` applied to its claims.
    fn v2(edit: impl FnOnce(&mut Value)) -> Person {
        let mut c = v2_example();
        edit(&mut c);
        Person::from_claims(&c)
    }

    fn set(c: &mut Value, pointer: &str, v: Value) {
        *c.pointer_mut(pointer).unwrap() = v;
    }

    const LEVEL: &str = "/verified_claims/verification/assurance_level";
    const PROFILE: &str = "/verified_claims/verification/assurance_process/procedure";

    /// Version 2 reads the person, document, level, profile, check time and checker out of
    /// OIDC4IA `verified_claims`.
    #[test]
    fn version_2_is_read_from_verified_claims() {
        let p = v2(|_| {});
        assert_eq!(
            (p.given_name.as_str(), p.family_name.as_str()),
            ("Ada", "Lovelace")
        );
        assert_eq!(p.birthdate, "1990-12-10");
        assert!(p
            .portrait
            .as_deref()
            .unwrap()
            .starts_with("data:image/jpeg"));
        assert_eq!(p.nationality, "GBR");
        assert_eq!(p.document_type, "passport");
        assert_eq!(p.document_number, "123456789");
        assert_eq!(p.document_expiry, "2033-03-14");
        assert_eq!(p.gpg45_profile.as_deref(), Some("M1B"));
        assert_eq!(p.confidence.as_deref(), Some("medium"));
        assert_eq!(p.check_date.as_deref(), Some("2026-11-20T10:15:00Z"));
        assert_eq!(p.checked_by.as_deref(), Some("Vouch Test IDSP Ltd"));
        assert!(p.verified_claims);
        assert_eq!(p.trust_framework.as_deref(), Some("uk_tfida"));
        assert_eq!(p.assurance_policy.as_deref(), Some("gpg45"));
        assert_eq!(stated_confidence(&v2_example()), Some("medium"));
        assert_eq!(
            p.identity_check_words().unwrap(),
            "medium level of confidence (GPG 45 profile M1B) on 20 November 2026, by Vouch Test IDSP Ltd, under the UK digital identity and attributes trust framework"
        );
        // A dual national: the nationality the checked document evidences.
        let p = v2(|c| {
            set(
                c,
                "/verified_claims/claims/nationalities",
                json!(["IRL", "GBR"]),
            );
        });
        assert_eq!(p.nationality, "GBR");
        // Version 1 keeps its flat reading, now with who checked.
        let v1: Value = serde_json::from_str(include_str!(
            "../../specs/examples/right-to-work.claims.json"
        ))
        .unwrap();
        let p = Person::from_claims(&v1);
        assert!(!p.verified_claims && p.trust_framework.is_none());
        assert_eq!(p.checked_by.as_deref(), Some("Vouch Test IDSP Ltd"));
        assert_eq!(stated_confidence(&v1), Some("medium"));
    }

    /// The same Home Office rules as version 1 (medium or above, the level the profile
    /// reaches), plus version 2's scheme: the UK trust framework and GPG 45.
    #[test]
    fn version_2_medium_and_high_pass_and_every_rule_has_its_code() {
        let on = datetime!(2026-11-21 10:00 UTC);
        assert_eq!(check(&v2(|_| {}), on), Ok(()));
        let high = v2(|c| {
            set(c, LEVEL, json!("high"));
            set(c, PROFILE, json!("H2A"));
        });
        assert_eq!(check(&high, on), Ok(()));
        // OIDC4IA's own UK example writes the profile in lower case.
        assert_eq!(check(&v2(|c| set(c, PROFILE, json!("m1b"))), on), Ok(()));

        let low = v2(|c| {
            set(c, LEVEL, json!("low"));
            set(c, PROFILE, json!("L1A"));
        });
        assert!(matches!(
            check(&low, on),
            Err(RuleFailure::InsufficientConfidence { confidence }) if confidence == "low"
        ));
        let withheld = v2(|c| {
            c["verified_claims"]["verification"]
                .as_object_mut()
                .unwrap()
                .remove("assurance_level");
        });
        assert!(matches!(
            check(&withheld, on),
            Err(RuleFailure::InsufficientConfidence { confidence }) if confidence == "none"
        ));
        let mismatch = v2(|c| set(c, LEVEL, json!("high")));
        let e = check(&mismatch, on).unwrap_err();
        assert!(
            matches!(&e, RuleFailure::ConfidenceInconsistent { profile, .. } if profile == "M1B"),
            "{e}"
        );
        assert_eq!(
            serde_json::to_value(&e).unwrap()["code"],
            "confidence_inconsistent"
        );

        let eidas = v2(|c| {
            set(
                c,
                "/verified_claims/verification/trust_framework",
                json!("eidas"),
            );
        });
        let e = check(&eidas, on).unwrap_err();
        assert_eq!(
            e,
            RuleFailure::WrongTrustFramework {
                trust_framework: "eidas".into()
            }
        );
        assert_eq!(
            serde_json::to_value(&e).unwrap()["code"],
            "wrong_trust_framework"
        );
        assert!(e.to_string().contains("uk_tfida"), "{e}");
        let unsaid = v2(|c| {
            c["verified_claims"]["verification"]
                .as_object_mut()
                .unwrap()
                .remove("trust_framework");
        });
        assert!(matches!(
            check(&unsaid, on),
            Err(RuleFailure::WrongTrustFramework { trust_framework }) if trust_framework == "none"
        ));
        let nist = v2(|c| {
            set(
                c,
                "/verified_claims/verification/assurance_process/policy",
                json!("nist_800_63a"),
            );
        });
        let e = check(&nist, on).unwrap_err();
        assert!(
            matches!(&e, RuleFailure::WrongAssurancePolicy { policy } if policy == "nist_800_63a")
        );
        assert_eq!(
            serde_json::to_value(&e).unwrap()["code"],
            "wrong_assurance_policy"
        );

        // The evidence must support the check: the passport valid on the day it was checked.
        let stale = v2(|c| {
            set(
                c,
                "/verified_claims/verification/time",
                json!("2034-01-02T09:00:00Z"),
            );
        });
        let e = check(&stale, on).unwrap_err();
        assert_eq!(
            e,
            RuleFailure::DocumentExpiredAtCheck {
                expiry: "2033-03-14".into(),
                check_date: "2034-01-02".into()
            }
        );
        assert_eq!(
            serde_json::to_value(&e).unwrap()["code"],
            "document_expired_at_check"
        );
        let french = v2(|c| set(c, "/verified_claims/claims/nationalities", json!(["FRA"])));
        assert!(matches!(
            check(&french, on),
            Err(RuleFailure::NotBritishOrIrish { .. })
        ));
    }
}
