//! The verification report: an ordered list of named checks, then the claims.
//!
//! A report exposes claims only when every check passed; its JSON form is the stable
//! contract of `vouch ... verify` and of the verifier service.

use serde::Serialize;
use serde_json::{Map, Value};

/// One named check and its outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    /// The check's name (`issuer_signature`, `disclosures`, `key_binding`, ...).
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was checked or why it failed, for a person.
    pub detail: String,
}

/// The error that ended a verification: a stable code and a sentence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportError {
    /// Stable machine-readable code (`expired`, `disclosure_not_referenced`, ...).
    pub code: String,
    /// What failed, for a person.
    pub message: String,
}

/// The checks run so far, in order.
#[derive(Clone, Debug, Default)]
pub struct CheckLog {
    checks: Vec<Check>,
}

impl CheckLog {
    /// Records a passed check.
    pub fn pass(&mut self, name: &str, detail: impl Into<String>) {
        self.checks.push(Check {
            name: name.into(),
            ok: true,
            detail: detail.into(),
        });
    }

    /// Records a failed check.
    pub fn fail(&mut self, name: &str, detail: impl Into<String>) {
        self.checks.push(Check {
            name: name.into(),
            ok: false,
            detail: detail.into(),
        });
    }

    /// Runs `f`, recording its outcome under `name`; the error passes through.
    pub fn run<T, E: std::fmt::Display>(
        &mut self,
        name: &str,
        f: impl FnOnce() -> Result<(T, String), E>,
    ) -> Result<T, E> {
        match f() {
            Ok((v, detail)) => {
                self.pass(name, detail);
                Ok(v)
            }
            Err(e) => {
                self.fail(name, e.to_string());
                Err(e)
            }
        }
    }

    /// The checks recorded.
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// Whether every recorded check passed.
    pub fn all_passed(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    /// Consumes the log.
    pub fn into_checks(self) -> Vec<Check> {
        self.checks
    }
}

/// The outcome of verifying one presentation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VerificationReport {
    /// True only when every check passed.
    pub valid: bool,
    /// `dc+sd-jwt`, `mso_mdoc`, ...
    pub format: String,
    /// The checks, in the order they ran.
    pub checks: Vec<Check>,
    /// The error that ended verification, if any.
    pub error: Option<ReportError>,
    /// The issuer as the credential names it (`iss`, or the DS certificate subject).
    pub issuer: Option<String>,
    /// Format-specific fields (`doctype` for mdoc, `vct` for SD-JWT VC).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// The verified claims; `None` unless every check passed.
    pub claims: Option<Value>,
}

impl VerificationReport {
    /// Builds a report; claims are dropped unless every check passed and there is no error.
    pub fn new(
        format: &str,
        log: CheckLog,
        error: Option<ReportError>,
        issuer: Option<String>,
        claims: Option<Value>,
    ) -> Self {
        let valid = error.is_none() && log.all_passed() && !log.checks().is_empty();
        VerificationReport {
            valid,
            format: format.into(),
            checks: log.into_checks(),
            error,
            issuer,
            extra: Map::new(),
            claims: if valid { claims } else { None },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_withheld_when_any_check_failed() {
        let mut log = CheckLog::default();
        log.pass("issuer_signature", "ok");
        log.fail("validity", "expired");
        let r = VerificationReport::new("dc+sd-jwt", log, None, None, Some(Value::Bool(true)));
        assert!(!r.valid);
        assert_eq!(r.claims, None);
    }

    #[test]
    fn claims_are_withheld_when_there_is_an_error() {
        let mut log = CheckLog::default();
        log.pass("parse", "ok");
        let err = ReportError {
            code: "expired".into(),
            message: "m".into(),
        };
        let r = VerificationReport::new("dc+sd-jwt", log, Some(err), None, Some(Value::Bool(true)));
        assert!(!r.valid && r.claims.is_none());
    }
}
