//! What `vouch up` remembers between starts (`up.json`) and what it tells people and
//! scripts once everything answers (`ready.json`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::io::CliResult;

/// `up.json`: fixed by the first start of a data directory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct UpState {
    /// The base port of the first start (the register names the issuer by its URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_port: Option<u16>,
    /// Whether the register was seeded (provider, note, employer).
    #[serde(default)]
    pub seeded: bool,
    /// The seeded register entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<String>,
    /// The profile of the first start (`haip`; absent: the default one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

impl UpState {
    /// Reads `path`; a missing or unreadable file is a first start.
    pub fn load(path: &Path) -> Self {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Writes `path` (private to this user).
    pub fn save(&self, path: &Path) -> CliResult<()> {
        let text = serde_json::to_string(self).map_err(|e| e.to_string())?;
        super::write_secret(path, &text)
    }
}

/// `ready.json`: where everything is, for people and scripts (the journey tests read it).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Ready {
    pub registry_url: String,
    pub issuer_url: String,
    pub verifier_url: String,
    pub wallet_url: String,
    pub offer_url: String,
    pub tx_code: String,
    pub citizen_link: String,
    pub entry_id: String,
    pub certificate_number: String,
    pub rtw_certificate_number: String,
    pub cab_id: String,
    pub operator_token_file: PathBuf,
    pub cab_token_file: PathBuf,
    pub issuer_admin_token_file: PathBuf,
    pub snapshot_key_file: PathBuf,
    pub log_key: String,
    pub record_key_file: PathBuf,
    pub employer_relying_party_id: String,
    /// `default` or `haip`.
    #[serde(default)]
    pub profile: String,
    /// The employer organisation's API key (bearer for the verifier's JSON API).
    pub employer_token_file: PathBuf,
    /// The employer's HR administrator (their sign-in email).
    #[serde(default)]
    pub employer_admin_email: String,
    /// Their one-time invitation link, until they have joined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employer_admin_invitation: Option<String>,
    pub credential_types: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_file_of_the_previous_version_reads_back_and_an_unknown_one_is_a_first_start() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("up.json");
        // As the untyped writer of earlier versions left it.
        std::fs::write(
            &p,
            r#"{"base_port":7170,"seeded":true,"entry_id":"idsp-x"}"#,
        )
        .unwrap();
        let s = UpState::load(&p);
        assert_eq!(s.base_port, Some(7170));
        assert!(s.seeded);
        assert_eq!(s.entry_id.as_deref(), Some("idsp-x"));
        std::fs::write(&p, "not json").unwrap();
        assert_eq!(UpState::load(&p), UpState::default());
        assert_eq!(
            UpState::load(&dir.path().join("absent.json")),
            UpState::default()
        );
    }
}
