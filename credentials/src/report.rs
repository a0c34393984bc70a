//! The verification report: an ordered list of named checks, then the claims.
//!
//! A report exposes claims only when every check passed; its JSON form is the stable
//! contract of `vouch ... verify` and of the verifier service.

use serde::Serialize;
use serde_json::{Map, Value};

/// The checks a verification reports: one vocabulary for every format, the library, the
/// verifier service, its pages and records, and the CLI. Declared in the order a report
/// lists them (`Ord`), serialized in `snake_case` (the stable JSON names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// The input parses as its format.
    Parse,
    /// The JOSE `typ` (media type).
    Typ,
    /// An mdoc DeviceResponse's `status`.
    ResponseStatus,
    /// An mdoc's Mobile Security Object.
    Mso,
    /// An mdoc's `docType` against the MSO's.
    DocType,
    /// The issuer's signature over the credential.
    IssuerSignature,
    /// The issuer's key: its chain to an anchor, or its binding to the issuer it names.
    IssuerKey,
    /// An mdoc's `issuing_country` against its certificates.
    IssuingCountry,
    /// The trust register's decision on the issuer.
    TrustRegister,
    /// Disclosures (SD-JWT) and element digests (mdoc) against the signed digests.
    Digests,
    /// SD-JWT VC claims (`vct`, `cnf`, ...).
    VcClaims,
    /// The W3C data model of the document.
    DataModel,
    /// A credential embedded in a presentation, verified in its own right.
    EmbeddedCredential,
    /// The holder's proof of possession (KB-JWT, mdoc device authentication, a
    /// presentation's signature by its holder).
    HolderBinding,
    /// Validity dates.
    Validity,
    /// Revocation / suspension status.
    Status,
    /// The answer against the request (DCQL).
    Request,
    /// A check record's signature by the verifier's record key.
    RecordSignature,
    /// The registry snapshot a check record carries.
    Snapshot,
    /// The snapshot's inclusion in (and consistency with) the register's log.
    Inclusion,
    /// The presentation a check record holds, verified again as of the check.
    Presentation,
    /// The outcome a check record states, against the rules.
    Outcome,
    /// The employer's likeness confirmation in a check record.
    Likeness,
    /// A later registry snapshot's answer on the issuer.
    LaterSnapshot,
}

impl CheckName {
    /// Every check, in report order.
    pub const ALL: [CheckName; 24] = [
        CheckName::Parse,
        CheckName::Typ,
        CheckName::ResponseStatus,
        CheckName::Mso,
        CheckName::DocType,
        CheckName::IssuerSignature,
        CheckName::IssuerKey,
        CheckName::IssuingCountry,
        CheckName::TrustRegister,
        CheckName::Digests,
        CheckName::VcClaims,
        CheckName::DataModel,
        CheckName::EmbeddedCredential,
        CheckName::HolderBinding,
        CheckName::Validity,
        CheckName::Status,
        CheckName::Request,
        CheckName::RecordSignature,
        CheckName::Snapshot,
        CheckName::Inclusion,
        CheckName::Presentation,
        CheckName::Outcome,
        CheckName::Likeness,
        CheckName::LaterSnapshot,
    ];

    /// The stable name (`issuer_signature`, `holder_binding`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Parse => "parse",
            CheckName::Typ => "typ",
            CheckName::ResponseStatus => "response_status",
            CheckName::Mso => "mso",
            CheckName::DocType => "doc_type",
            CheckName::IssuerSignature => "issuer_signature",
            CheckName::IssuerKey => "issuer_key",
            CheckName::IssuingCountry => "issuing_country",
            CheckName::TrustRegister => "trust_register",
            CheckName::Digests => "digests",
            CheckName::VcClaims => "vc_claims",
            CheckName::DataModel => "data_model",
            CheckName::EmbeddedCredential => "embedded_credential",
            CheckName::HolderBinding => "holder_binding",
            CheckName::Validity => "validity",
            CheckName::Status => "status",
            CheckName::Request => "request",
            CheckName::RecordSignature => "record_signature",
            CheckName::Snapshot => "snapshot",
            CheckName::Inclusion => "inclusion",
            CheckName::Presentation => "presentation",
            CheckName::Outcome => "outcome",
            CheckName::Likeness => "likeness",
            CheckName::LaterSnapshot => "later_snapshot",
        }
    }

    /// The check named `name`, if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        CheckName::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl std::fmt::Display for CheckName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for CheckName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for CheckName {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

/// One named check and its outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    /// The check.
    pub name: CheckName,
    /// Whether it passed.
    pub ok: bool,
    /// What was checked or why it failed, for a person.
    pub detail: String,
    /// Why it failed, as a stable code (`digest_mismatch`, `expired`, ...); `None` when it
    /// passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
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
    pub fn pass(&mut self, name: CheckName, detail: impl Into<String>) {
        self.checks.push(Check {
            name,
            ok: true,
            detail: detail.into(),
            code: None,
        });
    }

    /// Records a failed check (its code, if not given, is the report's error code).
    pub fn fail(&mut self, name: CheckName, detail: impl Into<String>) {
        self.checks.push(Check {
            name,
            ok: false,
            detail: detail.into(),
            code: None,
        });
    }

    /// Records a failed check with its code.
    pub fn fail_with(&mut self, name: CheckName, code: &str, detail: impl Into<String>) {
        self.checks.push(Check {
            name,
            ok: false,
            detail: detail.into(),
            code: Some(code.into()),
        });
    }

    /// Runs `f`, recording its outcome under `name`; the error passes through.
    pub fn run<T, E: std::fmt::Display>(
        &mut self,
        name: CheckName,
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
        let mut checks = log.into_checks();
        // Every failed check carries a code: its own, else the error's that ended the run.
        for c in checks.iter_mut().filter(|c| !c.ok && c.code.is_none()) {
            c.code = Some(
                error
                    .as_ref()
                    .map(|e| e.code.clone())
                    .unwrap_or_else(|| "failed".into()),
            );
        }
        VerificationReport {
            valid,
            format: format.into(),
            checks,
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
        log.pass(CheckName::IssuerSignature, "ok");
        log.fail(CheckName::Validity, "expired");
        let r = VerificationReport::new("dc+sd-jwt", log, None, None, Some(Value::Bool(true)));
        assert!(!r.valid);
        assert_eq!(r.claims, None);
    }

    #[test]
    fn claims_are_withheld_when_there_is_an_error() {
        let mut log = CheckLog::default();
        log.pass(CheckName::Parse, "ok");
        let err = ReportError {
            code: "expired".into(),
            message: "m".into(),
        };
        let r = VerificationReport::new("dc+sd-jwt", log, Some(err), None, Some(Value::Bool(true)));
        assert!(!r.valid && r.claims.is_none());
    }
}
