//! The verification pipeline: one presentation in, one [`VerificationReport`] out, with the
//! checks in the order of `ARCHITECTURE.md` — parse, issuer signature, issuer key or chain,
//! the register's decision (`trust_register`), digests, holder binding, validity, status,
//! and the request. Checks stop at the first failure; claims only when all passed.

use std::collections::BTreeMap;

use credentials::dcql::{check_response, DcqlQuery, PresentedCredential};
use credentials::keys::PublicKey;
use credentials::mdoc::{self, MdocError, MdocVerifyOptions, SessionTranscript};
use credentials::report::{CheckLog, CheckName, ReportError, VerificationReport};
use credentials::sd_jwt::{SdJwt, VerifyOptions};
use credentials::sd_jwt_vc::{self, IssuerKeySource, VcVerifyOptions};
use credentials::status::{StatusListError, StatusReference};
use credentials::x509::{Certificate, ChainError};
use serde_json::{json, Map, Value};
use time::OffsetDateTime;
use trust_framework::decision::{
    authorize, authorize_at_level, x5c_root_named, Decision, Evidence, Reason,
};

use crate::policy::Policy;
use crate::status::{StatusLists, StatusOutcome};
use crate::trust::{pick_key, TrustData, TrustState};
use crate::{from_ts, human_age, rfc3339};

/// What the presentation must answer: the verifier's client id and nonce (SD-JWT KB-JWT),
/// the session transcript (mdoc), and the DCQL credential query it answers.
#[derive(Clone, Copy)]
pub struct Expect<'a> {
    /// The KB-JWT `aud`: the verifier's client id with its prefix.
    pub client_id: &'a str,
    /// The KB-JWT `nonce`.
    pub nonce: &'a str,
    /// The mdoc session transcript.
    pub transcript: Option<&'a SessionTranscript>,
    /// The query and the id of the credential query this presentation answers.
    pub query: Option<(&'a DcqlQuery, &'a str)>,
    /// The time of the check.
    pub now: OffsetDateTime,
}

/// What an mdoc's OpenID4VP session transcript is made of (OpenID4VP 1.0 B.2.6.1), beside
/// the client id and nonce of [`Expect`].
#[derive(Clone, Copy)]
pub struct Handover<'a> {
    /// The response URI of the request.
    pub response_uri: &'a str,
    /// The SHA-256 JWK thumbprint of the response encryption key, when encrypted.
    pub jwk_thumbprint: Option<&'a [u8]>,
}

/// The register's decision about the issuer, at issuance and at the check.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TrustFinding {
    /// At issuance time.
    pub at_issuance: Decision,
    /// At the time of the check.
    pub at_check: Decision,
    /// The register entry decided about.
    pub entry_id: Option<String>,
}

/// A report and what the verifier learnt on the way (for pages and records).
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The report.
    pub report: VerificationReport,
    /// The register's decision, when the issuer was looked up.
    pub trust: Option<TrustFinding>,
}

#[path = "pipeline_w3c.rs"]
mod w3c;

#[derive(Default)]
struct Steps {
    checks: Vec<(CheckName, bool, String, Option<String>)>,
}

impl Steps {
    fn pass(&mut self, name: CheckName, detail: impl Into<String>) {
        self.checks.push((name, true, detail.into(), None));
    }
    fn fail(&mut self, name: CheckName, code: &str, detail: impl Into<String>) {
        self.checks
            .push((name, false, detail.into(), Some(code.into())));
    }
    fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.1)
    }
    fn has(&self, name: CheckName) -> bool {
        self.checks.iter().any(|c| c.0 == name && c.1)
    }

    fn report(
        mut self,
        format: &str,
        issuer: Option<String>,
        claims: Option<Value>,
        extra: Map<String, Value>,
    ) -> VerificationReport {
        // Report order is the vocabulary's order.
        self.checks.sort_by_key(|c| c.0);
        if let Some(i) = self.checks.iter().position(|c| !c.1) {
            self.checks.truncate(i + 1);
        }
        let mut log = CheckLog::default();
        let mut error = None;
        for (name, ok, detail, code) in self.checks {
            if ok {
                log.pass(name, detail);
            } else {
                let code = code.unwrap_or_else(|| "failed".into());
                error = Some(ReportError {
                    code: code.clone(),
                    message: format!("{name}: {detail}"),
                });
                log.fail_with(name, &code, detail);
            }
        }
        let mut r = VerificationReport::new(format, log, error, issuer, claims);
        r.extra = extra;
        r
    }
}

/// The stable code of a decision reason (`unknown_anchor`, `note_missing`, ...).
pub fn reason_code(r: &Reason) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.get("code").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "trust_refused".into())
}

/// The pipeline, over the current trust data and status lists.
#[derive(Clone)]
pub struct Verifier {
    /// The registry snapshot in force.
    pub trust: TrustState,
    /// Status lists.
    pub status: StatusLists,
    /// The policy.
    pub policy: Policy,
}

/// The `iss` and registered key of an `x5c` chain that no registered root names at one of
/// `times` (now, or when it was issued: a root added after issuance names it now but not
/// then), when its leaf's key is one the register gives that `iss`.
fn registered_leaf_key(
    trust: &TrustData,
    chain: &[Certificate],
    iss: Option<&str>,
    times: [OffsetDateTime; 2],
) -> Option<(String, PublicKey)> {
    let iss = iss?;
    if times
        .into_iter()
        .all(|at| x5c_root_named(trust.register(), chain, at))
    {
        return None;
    }
    let leaf = chain.first()?.public_key().ok()?;
    trust
        .iss_keys(iss)
        .iter()
        .any(|k| *k.public_key() == leaf)
        .then(|| (iss.to_string(), leaf))
}

/// What a credential offers as issuer evidence.
enum Issuer {
    Chain(Vec<Certificate>),
    Key { iss: String, key: PublicKey },
}

impl Verifier {
    /// Fails `parse` when a presentation of `len` bytes is over the policy's limit.
    fn too_large(&self, steps: &mut Steps, len: usize) -> bool {
        let max = self.policy.max_presentation_bytes;
        if len > max {
            steps.fail(
                CheckName::Parse,
                "too_large",
                format!("the presentation is larger than {max} bytes"),
            );
        }
        len > max
    }

    /// The freshness of the trust data, for reports and pages.
    fn freshness(&self, trust: &TrustData, now: OffsetDateTime, status_age: Option<i64>) -> Value {
        json!({
            "snapshot_sequence": trust.snapshot.payload.sequence,
            "snapshot_issued_at": rfc3339(trust.snapshot.payload.issued_at),
            "snapshot_age_seconds": trust.age(now),
            "snapshot_next_update": rfc3339(trust.snapshot.payload.next_update),
            "log_size": trust.snapshot.checkpoint.size,
            "status_list_age_seconds": status_age,
        })
    }

    /// The register's decision at issuance and at the check. `claims` are the verified
    /// claims, from which the GPG 45 level of confidence the credential states (version 1's
    /// `confidence`, version 2's `verified_claims.verification.assurance_level`) is read: the
    /// service's certificate must cover it.
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &self,
        steps: &mut Steps,
        trust: &TrustData,
        evidence: &Evidence<'_>,
        credential_type: &str,
        issued_at: OffsetDateTime,
        now: OffsetDateTime,
        claims: Option<&Value>,
    ) -> TrustFinding {
        let reg = trust.register();
        let purpose = &self.policy.purpose;
        let level = claims
            .and_then(crate::rtw::stated_confidence)
            .and_then(trust_framework::gpg45::Level::from_name);
        let decide_at = |at| authorize_at_level(reg, evidence, credential_type, purpose, at, level);
        let at_issuance = decide_at(issued_at);
        let at_check = decide_at(now);
        let entry_id = at_check
            .subject
            .as_ref()
            .or(at_issuance.subject.as_ref())
            .map(|s| s.entry_id.clone());
        let age = trust.age(now);
        if age > self.policy.max_snapshot_age.whole_seconds()
            || now > trust.snapshot.payload.next_update + self.policy.max_snapshot_age
        {
            steps.fail(
                CheckName::TrustRegister,
                "snapshot_stale",
                format!(
                    "the registry snapshot is {} old, more than the policy allows ({})",
                    human_age(age),
                    human_age(self.policy.max_snapshot_age.whole_seconds())
                ),
            );
        } else if !at_issuance.allowed {
            steps.fail(
                CheckName::TrustRegister,
                &reason_code(&at_issuance.reason),
                format!(
                    "at issuance ({}): {}",
                    rfc3339(issued_at),
                    at_issuance.reason
                ),
            );
        } else if !at_check.allowed {
            steps.fail(
                CheckName::TrustRegister,
                &reason_code(&at_check.reason),
                format!("at the check ({}): {}", rfc3339(now), at_check.reason),
            );
        } else {
            let who = at_check.subject.as_ref();
            steps.pass(
                CheckName::TrustRegister,
                format!(
                    "{} ({}) is a registered, certified provider of {credential_type}{} at issuance and at the check (register snapshot {} of {}, {} old)",
                    who.map(|s| s.provider.as_str()).unwrap_or("?"),
                    who.and_then(|s| s.certificate.as_deref()).unwrap_or("no certificate"),
                    if trust_framework::model::NoteCode::required_for(purpose).is_some() {
                        format!(" with a {} note", purpose.replace('_', " "))
                    } else {
                        String::new()
                    },
                    trust.snapshot.payload.sequence,
                    rfc3339(trust.snapshot.payload.issued_at),
                    human_age(age),
                ),
            );
        }
        TrustFinding {
            at_issuance,
            at_check,
            entry_id,
        }
    }

    async fn status(
        &self,
        steps: &mut Steps,
        status_claim: Option<Result<StatusReference, StatusListError>>,
        key: &PublicKey,
        now: OffsetDateTime,
    ) -> Option<i64> {
        if !self.policy.check_status {
            steps.pass(
                CheckName::Status,
                "not checked again: the record carries the status found at the check",
            );
            return None;
        }
        let reference = match status_claim {
            None => {
                steps.pass(
                    CheckName::Status,
                    "the credential references no status list",
                );
                return None;
            }
            Some(Err(e)) => {
                steps.fail(CheckName::Status, "status_malformed", e.to_string());
                return None;
            }
            Some(Ok(r)) => r,
        };
        let outcome = self
            .status
            .check(&reference, key, now, self.policy.max_status_age)
            .await;
        match outcome {
            StatusOutcome::Valid { age } => {
                steps.pass(
                    CheckName::Status,
                    format!(
                        "valid on the status list (index {}, list {} old)",
                        reference.idx,
                        human_age(age)
                    ),
                );
                Some(age)
            }
            StatusOutcome::Revoked { age } => {
                steps.fail(
                    CheckName::Status,
                    "revoked",
                    format!(
                        "the issuer has revoked this credential (status list {} old)",
                        human_age(age)
                    ),
                );
                Some(age)
            }
            StatusOutcome::Suspended { age } => {
                steps.fail(
                    CheckName::Status,
                    "suspended",
                    format!(
                        "the issuer has suspended this credential (status list {} old)",
                        human_age(age)
                    ),
                );
                Some(age)
            }
            StatusOutcome::Other { value, age } => {
                steps.fail(
                    CheckName::Status,
                    "status_not_valid",
                    format!("the status list gives status {value}"),
                );
                Some(age)
            }
            StatusOutcome::Unknown { reason, cached_age } => {
                steps.fail(
                    CheckName::Status,
                    "status_unknown",
                    match cached_age {
                        Some(a) => format!("status unknown: {reason}; the cached status list is {} old, more than the policy allows", human_age(a)),
                        None => format!("status unknown: {reason}; no cached status list"),
                    },
                );
                cached_age
            }
        }
    }

    fn request(steps: &mut Steps, ex: &Expect<'_>, presented: PresentedCredential) {
        let Some((query, id)) = ex.query else {
            return;
        };
        let map = BTreeMap::from([(id.to_string(), vec![presented])]);
        match check_response(query, &map) {
            Ok(_) => steps.pass(
                CheckName::Request,
                format!("answers credential query \"{id}\" of the request"),
            ),
            Err(e) => steps.fail(CheckName::Request, "request_not_satisfied", e.0),
        }
    }

    /// Verifies one presentation of an OpenID4VP response by the DCQL format it answers:
    /// the one trust-aware path shared by the OpenID4VP verifier, the record check and the
    /// CLI. `None` when the item is not of the format's JSON type.
    pub async fn verify_presented(
        &self,
        format: &str,
        item: &Value,
        ex: &Expect<'_>,
        handover: &Handover<'_>,
        fetch: &crate::vc_api::VcApi,
    ) -> Option<Outcome> {
        Some(match (format, item) {
            ("dc+sd-jwt", Value::String(text)) => self.verify_sd_jwt(text, ex).await,
            ("mso_mdoc", Value::String(b64u)) => {
                let transcript = SessionTranscript::openid4vp(
                    ex.client_id,
                    ex.nonce,
                    handover.jwk_thumbprint,
                    handover.response_uri,
                );
                let bytes = credentials::b64::decode(b64u).unwrap_or_default();
                let ex = Expect {
                    transcript: Some(&transcript),
                    ..*ex
                };
                self.verify_mdoc(&bytes, &ex).await
            }
            ("jwt_vc_json" | "ldp_vc", item) => self.verify_w3c(fetch, format, item, ex).await,
            _ => return None,
        })
    }

    /// Verifies an SD-JWT VC presentation (with KB-JWT).
    pub async fn verify_sd_jwt(&self, text: &str, ex: &Expect<'_>) -> Outcome {
        let now = ex.now;
        let trust = self.trust.current();
        let mut steps = Steps::default();
        let mut extra = Map::new();
        let text = text.trim();
        let finish = |steps: Steps, extra: Map<String, Value>, issuer, claims, trust_f| Outcome {
            report: steps.report(sd_jwt_vc::FORMAT, issuer, claims, extra),
            trust: trust_f,
        };
        if self.too_large(&mut steps, text.len()) {
            return finish(steps, extra, None, None, None);
        }
        let sd = match SdJwt::parse(text) {
            Ok(s) => s,
            Err(e) => {
                steps.fail(CheckName::Parse, e.code(), e.to_string());
                return finish(steps, extra, None, None, None);
            }
        };
        let payload = sd.jws().claims().unwrap_or_default();
        let iss = payload
            .get("iss")
            .and_then(Value::as_str)
            .map(str::to_string);
        let vct = payload
            .get("vct")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let iat = payload.get("iat").and_then(Value::as_i64);
        extra.insert("vct".into(), vct.clone().into());
        // Which registered anchor could vouch for this issuer.
        let issuer = match sd.jws().header().x5c() {
            Ok(Some(ders)) => match credentials::x509::parse_chain(&ders) {
                Ok(chain) if !chain.is_empty() => Issuer::Chain(chain),
                _ => {
                    steps.fail(
                        CheckName::Parse,
                        "x5c_malformed",
                        "the x5c header is not a certificate chain",
                    );
                    return finish(steps, extra, iss, None, None);
                }
            },
            _ => {
                let keys = iss
                    .as_deref()
                    .map(|i| trust.iss_keys(i))
                    .unwrap_or_default();
                match pick_key(&keys, sd.jws().header().kid()) {
                    Some(key) => Issuer::Key {
                        iss: iss.clone().unwrap_or_default(),
                        key,
                    },
                    None => {
                        steps.pass(CheckName::Parse, "SD-JWT");
                        steps.fail(
                            CheckName::TrustRegister,
                            "unknown_anchor",
                            format!(
                                "{} ({})",
                                Reason::UnknownAnchor,
                                iss.as_deref().unwrap_or("no iss")
                            ),
                        );
                        extra.insert("freshness".into(), self.freshness(&trust, now, None));
                        return finish(steps, extra, iss, None, None);
                    }
                }
            }
        };
        // An issuer may put its `x5c` on credentials before its root is on the register
        // (an entry registered by key before HAIP): when no registered root names the
        // chain but its leaf key is one the register gives this `iss`, the credential is
        // judged by that registered key, as one without `x5c` would be.
        let issued_at = iat.map(from_ts).unwrap_or(now);
        let issuer = match issuer {
            Issuer::Chain(chain) => {
                registered_leaf_key(&trust, &chain, iss.as_deref(), [now, issued_at])
                    .map_or(Issuer::Chain(chain), |(iss, key)| Issuer::Key { iss, key })
            }
            other => other,
        };
        let roots;
        let mut sub = CheckLog::default();
        let result = {
            let source = match &issuer {
                Issuer::Chain(chain) => {
                    let d = authorize(
                        trust.register(),
                        &Evidence::X5c {
                            chain,
                            iss: iss.as_deref(),
                        },
                        &vct,
                        &self.policy.purpose,
                        now,
                    );
                    if d.reason == Reason::UnknownAnchor {
                        steps.pass(CheckName::Parse, "SD-JWT");
                        steps.fail(
                            CheckName::TrustRegister,
                            "unknown_anchor",
                            Reason::UnknownAnchor.to_string(),
                        );
                        extra.insert("freshness".into(), self.freshness(&trust, now, None));
                        return finish(steps, extra, iss, None, None);
                    }
                    roots = trust.x5c_roots();
                    IssuerKeySource::X5c(&roots)
                }
                Issuer::Key { key, .. } => IssuerKeySource::Key(key.clone()),
            };
            let mut sd_opts = VerifyOptions::at(now.unix_timestamp());
            // Validity is judged below, in its place in the order, with the policy's leeway.
            sd_opts.leeway = 100 * 365 * 86_400;
            sd_opts.require_key_binding = true;
            sd_opts.aud = Some(ex.client_id);
            sd_opts.nonce = Some(ex.nonce);
            sd_opts.kb_max_age = self.policy.kb_max_age;
            sd_jwt_vc::verify(text, &source, &VcVerifyOptions::new(sd_opts), &mut sub)
        };
        let err_code = result.as_ref().err().map(|e| e.code().to_string());
        for c in sub.into_checks() {
            if c.name == CheckName::Validity {
                continue;
            }
            if c.ok {
                steps.pass(c.name, c.detail);
            } else {
                steps.fail(c.name, err_code.as_deref().unwrap_or("failed"), c.detail);
            }
        }
        let mut finding = None;
        if steps.has(CheckName::IssuerSignature) {
            let evidence = match &issuer {
                Issuer::Chain(c) => Evidence::X5c {
                    chain: c,
                    iss: iss.as_deref(),
                },
                Issuer::Key { iss, key } => Evidence::IssKey { iss, key },
            };
            let claims = result
                .as_ref()
                .ok()
                .map(|v| Value::Object(v.sd_jwt.claims.clone()));
            finding = Some(self.decide(
                &mut steps,
                &trust,
                &evidence,
                &vct,
                issued_at,
                now,
                claims.as_ref(),
            ));
        }
        let Ok(verified) = result else {
            extra.insert("freshness".into(), self.freshness(&trust, now, None));
            if let Some(f) = &finding {
                extra.insert("trust".into(), serde_json::to_value(f).unwrap_or_default());
            }
            return finish(steps, extra, iss, None, finding);
        };
        // Validity, with the policy's leeway.
        let t = now.unix_timestamp();
        let exp = payload.get("exp").and_then(Value::as_i64);
        let nbf = payload.get("nbf").and_then(Value::as_i64);
        match (exp, nbf, iat) {
            (Some(e), _, _) if e + self.policy.leeway <= t => steps.fail(
                CheckName::Validity,
                "expired",
                format!("the credential expired on {}", rfc3339(from_ts(e))),
            ),
            (_, Some(n), _) if n - self.policy.leeway > t => steps.fail(
                CheckName::Validity,
                "not_yet_valid",
                format!("the credential is not valid before {}", rfc3339(from_ts(n))),
            ),
            (_, _, Some(i)) if i - self.policy.leeway > t => steps.fail(
                CheckName::Validity,
                "issued_in_future",
                format!(
                    "the credential claims to be issued at {}",
                    rfc3339(from_ts(i))
                ),
            ),
            _ => steps.pass(
                CheckName::Validity,
                match exp {
                    Some(e) => format!("valid until {}", rfc3339(from_ts(e))),
                    None => "no expiry".into(),
                },
            ),
        }
        let mut status_age = None;
        if steps.ok() {
            let key = match &issuer {
                Issuer::Chain(c) => c[0].public_key().ok(),
                Issuer::Key { key, .. } => Some(key.clone()),
            };
            let claim = payload.get("status").map(StatusReference::from_json);
            if let Some(key) = key {
                status_age = self.status(&mut steps, claim, &key, now).await;
            }
        }
        if steps.ok() {
            let presented = PresentedCredential {
                format: sd_jwt_vc::FORMAT.into(),
                vct: Some(verified.vct.clone()),
                doctype: None,
                claims: Value::Object(verified.sd_jwt.claims.clone()),
                holder_bound: verified.sd_jwt.key_binding.is_some(),
            };
            Self::request(&mut steps, ex, presented);
        }
        extra.insert("freshness".into(), self.freshness(&trust, now, status_age));
        if let Some(f) = &finding {
            extra.insert("trust".into(), serde_json::to_value(f).unwrap_or_default());
        }
        finish(
            steps,
            extra,
            iss,
            Some(Value::Object(verified.sd_jwt.claims)),
            finding,
        )
    }

    /// Verifies an mdoc DeviceResponse (one document) against a session transcript.
    pub async fn verify_mdoc(&self, bytes: &[u8], ex: &Expect<'_>) -> Outcome {
        let now = ex.now;
        let trust = self.trust.current();
        let mut steps = Steps::default();
        let mut extra = Map::new();
        let finish = |steps: Steps, extra, issuer, claims, f| Outcome {
            report: steps.report("mso_mdoc", issuer, claims, extra),
            trust: f,
        };
        if self.too_large(&mut steps, bytes.len()) {
            return finish(steps, extra, None, None, None);
        }
        let Some(transcript) = ex.transcript else {
            steps.fail(
                CheckName::Parse,
                "no_transcript",
                "no session transcript to verify against",
            );
            return finish(steps, extra, None, None, None);
        };
        let roots = trust.iaca_roots();
        let mut sub = CheckLog::default();
        let result = {
            let opts = MdocVerifyOptions::new(now.unix_timestamp(), &roots, transcript);
            mdoc::verify_response(bytes, &opts, &mut sub)
        };
        let err_code = result.as_ref().err().map(|e| e.code().to_string());
        // The roots are the register's IACAs: a chain to none of them is an issuer the
        // register does not know, as for an SD-JWT's unknown key.
        let unknown_root = matches!(result, Err(MdocError::Chain(ChainError::UntrustedRoot)));
        for c in sub.into_checks() {
            let name = c.name;
            if name == CheckName::Request {
                continue;
            }
            if c.ok {
                steps.pass(name, c.detail);
            } else if name == CheckName::IssuerKey && roots.is_empty() {
                steps.fail(
                    CheckName::TrustRegister,
                    "unknown_anchor",
                    Reason::UnknownAnchor.to_string(),
                );
            } else {
                let code = err_code.as_deref().unwrap_or("failed");
                if name == CheckName::IssuerKey && unknown_root {
                    steps.fail(
                        CheckName::TrustRegister,
                        "unknown_anchor",
                        format!("{}: {}", Reason::UnknownAnchor, c.detail),
                    );
                } else {
                    steps.fail(name, code, c.detail);
                }
            }
        }
        let Ok(docs) = result else {
            extra.insert("freshness".into(), self.freshness(&trust, now, None));
            return finish(steps, extra, None, None, None);
        };
        let Some(doc) = docs.into_iter().next() else {
            steps.fail(
                CheckName::Parse,
                "no_document",
                "the response has no document",
            );
            return finish(steps, extra, None, None, None);
        };
        extra.insert("doctype".into(), doc.doc_type.clone().into());
        let issuer = doc.chain.first().map(|c| c.subject());
        // The register decides on the IACA whose key verified the chain (not one that only
        // shares its name).
        let iaca = Some(doc.anchor.clone());
        let finding = iaca.map(|root| {
            self.decide(
                &mut steps,
                &trust,
                &Evidence::Iaca(&root),
                &doc.doc_type,
                from_ts(doc.mso.validity.signed),
                now,
                None,
            )
        });
        let mut status_age = None;
        if steps.ok() {
            let claim = doc.mso.status.as_ref().map(StatusReference::from_cbor);
            if let Ok(key) = doc.chain[0].public_key() {
                status_age = self.status(&mut steps, claim, &key, now).await;
            }
        }
        let claims = doc.claims_json();
        if steps.ok() {
            let presented = PresentedCredential {
                format: "mso_mdoc".into(),
                vct: None,
                doctype: Some(doc.doc_type.clone()),
                claims: claims.clone(),
                holder_bound: true,
            };
            Self::request(&mut steps, ex, presented);
        }
        extra.insert("freshness".into(), self.freshness(&trust, now, status_age));
        if let Some(f) = &finding {
            extra.insert("trust".into(), serde_json::to_value(f).unwrap_or_default());
        }
        finish(steps, extra, issuer, Some(claims), finding)
    }
}
