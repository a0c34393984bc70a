//! Values in the words a person reads (GOV.UK style): "10 December 1990", "7 December 2026
//! at 1:27pm (UTC)", countries and nationalities by name, Yes and No. What does not parse is
//! shown as it came: a value is never dropped or guessed at.

use time::{Date, Month, OffsetDateTime};

/// The calendar date at the start of `s` (`YYYY-MM-DD`, alone or as the date of an RFC 3339
/// time), if it is a real date.
fn calendar_date(s: &str) -> Option<Date> {
    let head = s.get(..10)?;
    let rest = &s[10..];
    if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
        return None;
    }
    let mut it = head.splitn(3, '-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

fn spoken(d: Date) -> String {
    format!("{} {} {}", d.day(), d.month(), d.year())
}

/// Whether `s` is an ISO date (or date-time) that [`date`] would put in words.
pub fn is_date(s: &str) -> bool {
    calendar_date(s).is_some()
}

/// `1990-12-10` as "10 December 1990"; anything else unchanged.
pub fn date(s: &str) -> String {
    calendar_date(s).map_or_else(|| s.to_string(), spoken)
}

/// Seconds since the epoch as "7 December 2026 at 1:27pm (UTC)".
pub fn moment(secs: i64) -> String {
    let Ok(t) = OffsetDateTime::from_unix_timestamp(secs) else {
        return secs.to_string();
    };
    let hour = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    let half = if t.hour() < 12 { "am" } else { "pm" };
    format!(
        "{} at {hour}:{:02}{half} (UTC)",
        spoken(t.date()),
        t.minute()
    )
}

/// The countries the wallet names: `(alpha-2, alpha-3, country, nationality)`.
const COUNTRIES: &[(&str, &str, &str, &str)] = &[
    ("GB", "GBR", "United Kingdom", "British"),
    ("IE", "IRL", "Ireland", "Irish"),
];

fn country_entry(
    code: &str,
) -> Option<&'static (&'static str, &'static str, &'static str, &'static str)> {
    let c = code.trim().to_ascii_uppercase();
    COUNTRIES.iter().find(|e| e.0 == c || e.1 == c)
}

/// A country code as the country's name ("GB" is "United Kingdom").
pub fn country(code: &str) -> String {
    country_entry(code).map_or_else(|| code.to_string(), |e| e.2.to_string())
}

/// A country code of nationality as the nationality people say ("GB" is "British").
pub fn nationality(code: &str) -> String {
    country_entry(code).map_or_else(|| code.to_string(), |e| e.3.to_string())
}

/// A boolean as "Yes" or "No".
pub fn yes_no(b: bool) -> &'static str {
    if b {
        "Yes"
    } else {
        "No"
    }
}

/// A code word (`irish_passport_card`, `medium`) as a sentence: "Irish passport card".
pub fn sentence(code: &str) -> String {
    let words = code.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

/// An OpenID identity assurance `check_method` (how a document was checked or the person
/// verified against it) in words; an unknown code as it came.
pub fn check_method(code: &str) -> String {
    match code {
        "vpip" => "The document inspected in person",
        "vpiruv" => "The document inspected in person, under ultraviolet light too",
        "vri" => "Images of the document inspected remotely",
        "vdig" => "The digital document inspected",
        "vcrypt" => "The chip in the document read and its security checked",
        "data" => "Matched with an official record",
        "auth" => "Confirmed by signing in to an account",
        "token" => "Confirmed with a security token",
        "kbv" => "Questions only you should know the answers to",
        "pvp" => "Your face compared with the photo, in person",
        "pvr" => "Your face compared with the photo, remotely",
        "bvp" => "Your face matched to the photo by a biometric check, in person",
        "bvr" => "Your face matched to the photo by a biometric check, remotely",
        other => return other.to_string(),
    }
    .into()
}

/// An OpenID identity assurance `trust_framework` in words; an unknown one as it came.
pub fn trust_framework(code: &str) -> String {
    match code {
        "uk_tfida" => "UK digital identity and attributes trust framework".into(),
        "eidas" => "eIDAS (EU)".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_moments() {
        assert_eq!(date("1990-12-10"), "10 December 1990");
        assert_eq!(date("2033-03-04"), "4 March 2033");
        assert_eq!(date("2026-11-20T10:00:00Z"), "20 November 2026");
        assert_eq!(date("1990-02-30"), "1990-02-30");
        assert_eq!(date("M1B"), "M1B");
        assert_eq!(date("1990-12-10x"), "1990-12-10x");
        // 2026-12-07T13:27:54Z
        assert_eq!(moment(1_796_650_074), "7 December 2026 at 1:27pm (UTC)");
        assert_eq!(moment(1_796_601_900), "7 December 2026 at 12:05am (UTC)");
    }

    #[test]
    fn countries_nationalities_and_codes() {
        assert_eq!(country("GB"), "United Kingdom");
        assert_eq!(country("irl"), "Ireland");
        assert_eq!(nationality("GB"), "British");
        assert_eq!(nationality("IE"), "Irish");
        assert_eq!(nationality("FR"), "FR");
        assert_eq!(yes_no(true), "Yes");
        assert_eq!(sentence("irish_passport_card"), "Irish passport card");
        assert_eq!(sentence("medium"), "Medium");
        assert_eq!(country("GBR"), "United Kingdom");
        assert_eq!(nationality("IRL"), "Irish");
        assert_eq!(
            check_method("bvr"),
            "Your face matched to the photo by a biometric check, remotely"
        );
        assert_eq!(check_method("xyz"), "xyz");
        assert_eq!(
            trust_framework("uk_tfida"),
            "UK digital identity and attributes trust framework"
        );
    }
}
