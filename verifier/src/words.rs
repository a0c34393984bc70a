//! Values in the words people read (the GOV.UK style): dates as "10 December 1990", times
//! as "7 December 2026 at 1:27pm (GMT)" in the organisation's time zone ([`Zone`]),
//! nationalities and documents by name. Anything that
//! does not parse is shown as it came, never dropped.

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `YYYY-MM-DD` (or the date part of an RFC 3339 time) as "10 December 1990".
pub fn date(iso: &str) -> String {
    parse_date(iso)
        .map(|(y, m, d)| format!("{d} {} {y}", MONTHS[m - 1]))
        .unwrap_or_else(|| iso.to_string())
}

fn parse_date(iso: &str) -> Option<(i32, usize, u32)> {
    let day = iso.get(..10)?;
    let mut parts = day.split('-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: usize = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d) && parts.next().is_none()).then_some((y, m, d))
}

/// An RFC 3339 time as "7 December 2026 at 1:27pm (UTC)".
pub fn time(rfc3339: &str) -> String {
    Zone::utc().time(rfc3339)
}

/// A time zone people read times in: an organisation's setting (an IANA name such as
/// `Europe/London`), with its daylight-saving rules (the tz database bundled with `jiff`).
#[derive(Clone, Debug)]
pub struct Zone(jiff::tz::TimeZone);

impl Zone {
    /// UTC.
    pub fn utc() -> Zone {
        Zone(jiff::tz::TimeZone::UTC)
    }

    /// The zone named `name`, or `None` when the tz database does not know it.
    pub fn named(name: &str) -> Option<Zone> {
        jiff::tz::TimeZone::get(name).ok().map(Zone)
    }

    /// Its IANA name (`UTC` for UTC).
    pub fn name(&self) -> &str {
        self.0.iana_name().unwrap_or("UTC")
    }

    /// An RFC 3339 time in this zone, as "7 December 2026 at 1:27pm (GMT)".
    pub fn time(&self, rfc3339: &str) -> String {
        let Ok(t) = rfc3339.parse::<jiff::Timestamp>() else {
            return rfc3339.to_string();
        };
        let z = t.to_zoned(self.0.clone());
        let (h, m) = (z.hour(), z.minute());
        let (h12, half) = match h {
            0 => (12, "am"),
            1..=11 => (h, "am"),
            12 => (12, "pm"),
            _ => (h - 12, "pm"),
        };
        let abbreviation = self.0.to_offset_info(t).abbreviation().to_string();
        format!(
            "{} {} {} at {h12}:{m:02}{half} ({abbreviation})",
            z.day(),
            MONTHS[usize::try_from(z.month()).unwrap_or(1).clamp(1, 12) - 1],
            z.year()
        )
    }
}

/// A nationality code (ISO 3166-1 alpha-2 or alpha-3) as the nationality people say.
pub fn nationality(code: &str) -> String {
    match code.to_ascii_uppercase().as_str() {
        "GB" | "GBR" => "British".into(),
        "IE" | "IRL" => "Irish".into(),
        _ => code.to_string(),
    }
}

/// A document type (`passport`, `passport_card`, ...) in words.
pub fn document(kind: &str) -> String {
    match kind {
        "passport" => "Passport".into(),
        "passport_card" => "Passport card".into(),
        other => {
            let mut s = other.replace('_', " ");
            if let Some(first) = s.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_in_the_organisations_zone_with_its_summer_time() {
        let london = Zone::named("Europe/London").unwrap();
        assert_eq!(
            london.time("2026-12-07T13:27:54Z"),
            "7 December 2026 at 1:27pm (GMT)"
        );
        assert_eq!(
            london.time("2026-07-01T13:27:54Z"),
            "1 July 2026 at 2:27pm (BST)"
        );
        assert_eq!(time("2026-07-01T00:05:00Z"), "1 July 2026 at 12:05am (UTC)");
        assert!(Zone::named("Mars/Olympus_Mons").is_none());
        assert_eq!(london.time("not a time"), "not a time");
    }

    #[test]
    fn dates_and_times_read_as_words_and_anything_else_is_kept() {
        assert_eq!(date("1990-12-10"), "10 December 1990");
        assert_eq!(date("2033-03-04"), "4 March 2033");
        assert_eq!(date("2026-12-07T13:27:54Z"), "7 December 2026");
        assert_eq!(date("10/12/1990"), "10/12/1990");
        assert_eq!(date("1990-13-10"), "1990-13-10");
        assert_eq!(
            time("2026-12-07T13:27:54Z"),
            "7 December 2026 at 1:27pm (UTC)"
        );
        assert_eq!(
            time("2026-12-07T00:05:00Z"),
            "7 December 2026 at 12:05am (UTC)"
        );
        assert_eq!(
            time("2026-12-07T12:00:00+01:00"),
            "7 December 2026 at 11:00am (UTC)"
        );
        assert_eq!(time("yesterday"), "yesterday");
    }

    #[test]
    fn nationalities_and_documents_read_as_words() {
        assert_eq!(nationality("GB"), "British");
        assert_eq!(nationality("irl"), "Irish");
        assert_eq!(nationality("FR"), "FR");
        assert_eq!(document("passport_card"), "Passport card");
        assert_eq!(document("driving_licence"), "Driving licence");
    }
}
