//! What a person reads for a credential and its claims: names from the issuer's metadata
//! (OpenID4VCI `credential_metadata`: `display[].name`, `claims[].display[].name`) first,
//! then from the SD-JWT VC Type Metadata of the type (`display[].name`,
//! `claims[].display[].label`), chosen by locale; values in words ([`crate::words`]).

use serde_json::Value;
use vouch_ops::html::escape as esc;

use crate::words;

/// The locale the pages are written in.
const LOCALE: &str = "en-GB";

/// The entry of a `display` array for [`LOCALE`]: the exact locale, then its language, then
/// one without a locale, then the first.
fn localized(display: Option<&Value>) -> Option<&Value> {
    let list = display?.as_array()?;
    fn locale<'a>(d: &&'a Value) -> Option<&'a str> {
        d.get("locale").and_then(Value::as_str)
    }
    let language = LOCALE.split('-').next().unwrap_or(LOCALE);
    list.iter()
        .find(|d| locale(d).is_some_and(|l| l.eq_ignore_ascii_case(LOCALE)))
        .or_else(|| {
            list.iter()
                .find(|d| locale(d).is_some_and(|l| l.split('-').next() == Some(language)))
        })
        .or_else(|| list.iter().find(|d| locale(d).is_none()))
        .or_else(|| list.first())
}

/// The text of the first of `keys` in a display entry.
fn text_of(entry: Option<&Value>, keys: &[&str]) -> Option<String> {
    let entry = entry?;
    keys.iter()
        .find_map(|k| entry.get(*k).and_then(Value::as_str))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Whether a metadata claim path names the claim `keys`. Claim names leave array elements
/// out (`verified_claims/verification/evidence/document_details/type` for the path
/// `[.., "evidence", null, "document_details", "type"]`), so the path's element selectors
/// (null, an index) are passed over and its keys compared.
fn path_matches(path: &[Value], keys: &[&str]) -> bool {
    if path
        .iter()
        .any(|p| !matches!(p, Value::String(_) | Value::Null | Value::Number(_)))
    {
        return false;
    }
    let named: Vec<&str> = path.iter().filter_map(Value::as_str).collect();
    !named.is_empty() && named == keys
}

/// The display entry of the claim `keys` in a metadata `claims` array; an mdoc element
/// (one key) matches `[namespace, element]`.
fn claim_display<'a>(claims: Option<&'a Value>, keys: &[&str]) -> Option<&'a Value> {
    let claims = claims?.as_array()?;
    let path = |c: &'a Value| c.get("path").and_then(Value::as_array);
    let found = claims
        .iter()
        .find(|c| path(c).is_some_and(|p| path_matches(p, keys)))
        .or_else(|| {
            (keys.len() == 1).then_some(())?;
            claims
                .iter()
                .find(|c| path(c).is_some_and(|p| p.len() == 2 && p[1].as_str() == Some(keys[0])))
        })?;
    localized(found.get("display"))
}

/// The names of one credential type as a person reads them.
pub struct Names {
    type_name: String,
    issuer: Option<Value>,
    builtin: Option<Value>,
}

impl Names {
    /// The names for a credential of `type_name` (vct or docType), with the issuer's
    /// `credential_metadata` for its configuration if the wallet kept it.
    pub fn new(type_name: &str, credential_metadata: Option<&Value>) -> Self {
        Names {
            type_name: type_name.to_string(),
            issuer: credential_metadata.cloned(),
            builtin: credentials::sd_jwt_vc::type_metadata::builtin(type_name)
                .or_else(|| w3c_display(type_name)),
        }
    }

    /// The credential's name: "Right to work check".
    pub fn credential(&self) -> String {
        let from = |m: &Option<Value>| text_of(localized(m.as_ref()?.get("display")), &["name"]);
        from(&self.issuer)
            .or_else(|| from(&self.builtin))
            .unwrap_or_else(|| type_label(&self.type_name))
    }

    /// The label of the claim named `name` (keys joined by `/`): "Date of birth".
    pub fn claim(&self, name: &str) -> String {
        self.labelled(name)
            .unwrap_or_else(|| words::sentence(name.rsplit('/').next().unwrap_or(name)))
    }

    /// The label the metadata gives the claim named `name`, if any.
    pub fn labelled(&self, name: &str) -> Option<String> {
        let keys: Vec<&str> = name.split('/').collect();
        let from = |m: &Option<Value>, label: &[&str]| {
            text_of(claim_display(m.as_ref()?.get("claims"), &keys), label)
        };
        from(&self.issuer, &["name", "label"]).or_else(|| from(&self.builtin, &["label", "name"]))
    }
}

/// The display map of a W3C credential type Vouch knows (`specs/credential-types/`, in the
/// shape of SD-JWT VC Type Metadata, paths under `credentialSubject`).
fn w3c_display(vc_type: &str) -> Option<Value> {
    let text = match vc_type {
        "RightToWorkCredential" => {
            include_str!("../../specs/credential-types/right-to-work.w3c-display.json")
        }
        _ => return None,
    };
    serde_json::from_str(text).ok()
}

/// The name a person reads for a credential type the wallet has no metadata for.
pub fn type_label(t: &str) -> String {
    match t {
        "urn:vouch:uk:pid:1" => "Person identification data (PID)".into(),
        "urn:vouch:uk:right-to-work:1" | "urn:vouch:uk:right-to-work:2" => "Right to work".into(),
        "org.iso.18013.5.1.mDL" => "Mobile driving licence".into(),
        other => other.into(),
    }
}

fn is_portrait(key: &str) -> bool {
    key.ends_with("portrait") || key.ends_with("picture")
}

/// A claim's value as HTML: a portrait as an image, dates, countries, nationalities and
/// code words in words, booleans as Yes or No, anything else as it came.
pub fn value_html(name: &str, v: &Value) -> String {
    let key = name.rsplit('/').next().unwrap_or(name);
    match v {
        Value::String(s) => string_html(name, key, s),
        Value::Bool(b) => words::yes_no(*b).into(),
        Value::Array(a) => a
            .iter()
            .map(|x| value_html(name, x))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(m) => m
            .iter()
            .map(|(k, x)| format!("{}: {}", esc(&words::sentence(k)), value_html(k, x)))
            .collect::<Vec<_>>()
            .join("<br>"),
        Value::Null => "<span class=\"hint\">none</span>".into(),
        other => esc(&other.to_string()),
    }
}

fn string_html(name: &str, key: &str, s: &str) -> String {
    if is_portrait(key) {
        let src = if s.starts_with("data:image/") {
            Some(s.to_string())
        } else if s.len() > 100 {
            let mime = if s.starts_with("iVBOR") {
                "image/png"
            } else {
                "image/jpeg"
            };
            Some(format!("data:{mime};base64,{s}"))
        } else {
            None
        };
        if let Some(src) = src {
            return format!(
                r#"<img class="portrait" src="{}" alt="Your photo, as the issuer holds it">"#,
                esc(&src)
            );
        }
    }
    let text = if key.starts_with("nationalit") {
        words::nationality(s)
    } else if key.ends_with("country") || key == "country_code" {
        words::country(s)
    } else if key == "check_method" {
        words::check_method(s)
    } else if key == "trust_framework" {
        words::trust_framework(s)
    } else if key == "policy" && s == "gpg45" {
        "GPG 45".into()
    } else if key == "confidence"
        || key == "assurance_level"
        || name == "document/type"
        || name.ends_with("document_details/type")
        || name.ends_with("evidence/type")
    {
        words::sentence(s)
    } else if words::is_date(s) {
        words::date(s)
    } else if s.len() > 200 {
        return format!(
            "<code>{}…</code>",
            esc(&s.chars().take(60).collect::<String>())
        );
    } else {
        s.to_string()
    };
    esc(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_w3c_right_to_work_credential_reads_with_the_same_labels() {
        let w3c = Names::new("RightToWorkCredential", None);
        let sd = Names::new("urn:vouch:uk:right-to-work:1", None);
        assert_eq!(w3c.credential(), sd.credential());
        for (w, s) in [
            ("credentialSubject/birthdate", "birthdate"),
            (
                "credentialSubject/document/expiry_date",
                "document/expiry_date",
            ),
            ("credentialSubject/gpg45_profile", "gpg45_profile"),
        ] {
            assert_eq!(w3c.labelled(w), sd.labelled(s), "{w}");
            assert!(w3c.labelled(w).is_some(), "{w}");
        }
    }

    #[test]
    fn labels_come_from_the_issuer_then_the_type_metadata_then_the_key() {
        let issuer = json!({
            "display": [{"locale": "fr-FR", "name": "Droit au travail"}, {"locale": "en-GB", "name": "Right to work (issuer)"}],
            "claims": [{"path": ["given_name"], "display": [{"locale": "en", "name": "First names"}]}],
        });
        let n = Names::new("urn:vouch:uk:right-to-work:1", Some(&issuer));
        assert_eq!(n.credential(), "Right to work (issuer)");
        assert_eq!(n.claim("given_name"), "First names");
        assert_eq!(n.claim("document/expiry_date"), "Document expiry date");
        assert_eq!(n.claim("gpg45_profile"), "GPG 45 profile");
        // Version 2's nested claims, named without their array elements, by the type
        // metadata's labels.
        let v2 = Names::new("urn:vouch:uk:right-to-work:2", None);
        assert_eq!(v2.credential(), "Right to work check");
        for (name, label) in [
            ("verified_claims/claims/given_name", "Given names"),
            ("verified_claims/claims/nationalities", "Nationalities"),
            (
                "verified_claims/verification/assurance_level",
                "Level of confidence",
            ),
            (
                "verified_claims/verification/assurance_process/procedure",
                "GPG 45 profile",
            ),
            ("verified_claims/verification/time", "Date of check"),
            ("verified_claims/verification/evidence", "Evidence"),
            (
                "verified_claims/verification/evidence/document_details/document_number",
                "Document number",
            ),
            (
                "verified_claims/verification/evidence/check_details/organization",
                "Checked by",
            ),
            ("portrait", "Photo"),
        ] {
            assert_eq!(v2.claim(name), label, "{name}");
        }
        let bare = Names::new("urn:example:unknown", None);
        assert_eq!(bare.claim("place_of_birth"), "Place of birth");
        let mdoc = json!({"claims": [{"path": ["org.iso.18013.5.1", "birth_date"], "display": [{"name": "Date of birth"}]}]});
        let m = Names::new("org.iso.18013.5.1.mDL", Some(&mdoc));
        assert_eq!(m.claim("birth_date"), "Date of birth");
    }

    #[test]
    fn values_read_as_words() {
        assert_eq!(
            value_html("birthdate", &json!("1990-12-10")),
            "10 December 1990"
        );
        assert_eq!(value_html("nationality", &json!("GB")), "British");
        assert_eq!(
            value_html("nationalities", &json!(["GB", "IE"])),
            "British, Irish"
        );
        assert_eq!(
            value_html("document/issuing_country", &json!("IE")),
            "Ireland"
        );
        assert_eq!(value_html("document/type", &json!("passport")), "Passport");
        assert_eq!(value_html("age_over_18", &json!(true)), "Yes");
        assert_eq!(value_html("gpg45_profile", &json!("M1B")), "M1B");
        let v = "verified_claims/verification";
        assert_eq!(
            value_html(&format!("{v}/assurance_level"), &json!("high")),
            "High"
        );
        assert_eq!(
            value_html(&format!("{v}/trust_framework"), &json!("uk_tfida")),
            "UK digital identity and attributes trust framework"
        );
        assert_eq!(
            value_html(&format!("{v}/assurance_process/policy"), &json!("gpg45")),
            "GPG 45"
        );
        assert_eq!(
            value_html(&format!("{v}/time"), &json!("2026-11-20T10:15:00Z")),
            "20 November 2026"
        );
        assert_eq!(
            value_html(
                &format!("{v}/evidence/document_details/issuer/country_code"),
                &json!("GBR")
            ),
            "United Kingdom"
        );
        assert_eq!(
            value_html(
                &format!("{v}/evidence/document_details/type"),
                &json!("passport")
            ),
            "Passport"
        );
        assert_eq!(
            value_html(
                &format!("{v}/evidence/check_details/check_method"),
                &json!("vcrypt")
            ),
            "The chip in the document read and its security checked"
        );
        assert_eq!(
            value_html(
                "verified_claims/claims/nationalities",
                &json!(["GBR", "IRL"])
            ),
            "British, Irish"
        );
        assert!(value_html("portrait", &json!("data:image/jpeg;base64,AAAA")).starts_with("<img"));
    }
}
