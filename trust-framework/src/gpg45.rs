//! GPG 45 ("How to prove and verify someone's identity"): the levels of confidence in an
//! identity and the named identity profiles that reach each one. A profile code is three
//! characters: the level's letter (`L`ow, `M`edium, `H`igh, `V`ery high), a number and a
//! letter (`M1B`). Only the profiles GPG 45 names are accepted; a code that merely looks like
//! one is not.

use serde::{Deserialize, Serialize};

/// A GPG 45 level of confidence, ordered from low to very high.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Low confidence.
    Low,
    /// Medium confidence: the Home Office's minimum for a right-to-work check by a certified
    /// identity service provider.
    Medium,
    /// High confidence.
    High,
    /// Very high confidence.
    VeryHigh,
}

/// The identity profiles GPG 45 names, by level.
const PROFILES: &[(Level, &[&str])] = &[
    (Level::Low, &["L1A", "L1B", "L1C", "L2A", "L2B", "L3A"]),
    (
        Level::Medium,
        &["M1A", "M1B", "M1C", "M1D", "M2A", "M2B", "M2C", "M3A"],
    ),
    (
        Level::High,
        &[
            "H1A", "H1B", "H1C", "H2A", "H2B", "H2C", "H2D", "H2E", "H3A",
        ],
    ),
    (
        Level::VeryHigh,
        &[
            "V1A", "V1B", "V1C", "V1D", "V2A", "V2B", "V2C", "V2D", "V3A",
        ],
    ),
];

impl Level {
    /// The level a credential states: `low`, `medium`, `high`, `very_high` (also
    /// `very high`), case-insensitive.
    pub fn from_name(name: &str) -> Option<Level> {
        match name.trim().to_ascii_lowercase().replace(' ', "_").as_str() {
            "low" => Some(Level::Low),
            "medium" => Some(Level::Medium),
            "high" => Some(Level::High),
            "very_high" => Some(Level::VeryHigh),
            _ => None,
        }
    }

    /// The name credentials carry (`medium`).
    pub fn name(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::VeryHigh => "very_high",
        }
    }

    /// The level the named profile `code` reaches; `None` for a code GPG 45 does not name.
    pub fn of_profile(code: &str) -> Option<Level> {
        PROFILES
            .iter()
            .find(|(_, codes)| codes.contains(&code))
            .map(|(level, _)| *level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_reach_the_level_of_their_letter_and_unnamed_codes_none() {
        assert_eq!(Level::of_profile("M1B"), Some(Level::Medium));
        assert_eq!(Level::of_profile("H2E"), Some(Level::High));
        assert_eq!(Level::of_profile("L1A"), Some(Level::Low));
        assert_eq!(Level::of_profile("M9Z"), None);
        assert_eq!(Level::of_profile("m1b"), None);
        for (level, codes) in PROFILES {
            for c in *codes {
                let letter = match level {
                    Level::Low => 'L',
                    Level::Medium => 'M',
                    Level::High => 'H',
                    Level::VeryHigh => 'V',
                };
                assert!(c.starts_with(letter), "{c}");
            }
        }
        assert!(Level::Medium < Level::High && Level::Low < Level::Medium);
        assert_eq!(Level::from_name("Very High"), Some(Level::VeryHigh));
    }
}
