//! The credential configurations this issuer offers (`credential_configurations_supported`)
//! and how each one's claims are made from a subject's verified attributes.

use crate::proofs::attestation::KeyAttestationPolicy;
use credentials::keys::Algorithm;
use credentials::sd_jwt_vc::type_metadata::{PID_VCT, RIGHT_TO_WORK_V2_VCT, RIGHT_TO_WORK_VCT};
use serde_json::{json, Map, Value};

use crate::store::Subject;

/// The mDL doctype and namespace.
pub const MDL_DOCTYPE: &str = "org.iso.18013.5.1.mDL";
/// The EU PID mdoc doctype.
pub const PID_DOCTYPE: &str = "eu.europa.ec.eudi.pid.1";

/// The format of a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `dc+sd-jwt` with a `vct`.
    SdJwtVc(&'static str),
    /// `mso_mdoc` with a `doctype`.
    Mdoc(&'static str),
    /// `jwt_vc_json`: a W3C VC 2.0 secured as `vc+jwt`, with this VC `type`.
    JwtVcJson(&'static str),
    /// `ldp_vc`: a W3C VC 2.0 with a Data Integrity proof (`ecdsa-jcs-2019`), with this
    /// VC `type`.
    LdpVc(&'static str),
}

/// The W3C VC type of the right-to-work credential.
pub const RIGHT_TO_WORK_VC_TYPE: &str = "RightToWorkCredential";

impl Format {
    /// The `format` identifier of OpenID4VCI 1.0 Appendix A.
    pub fn name(self) -> &'static str {
        match self {
            Format::SdJwtVc(_) => "dc+sd-jwt",
            Format::Mdoc(_) => "mso_mdoc",
            Format::JwtVcJson(_) => "jwt_vc_json",
            Format::LdpVc(_) => "ldp_vc",
        }
    }

    /// The credential type: `vct`, `doctype` or the W3C VC type.
    pub fn credential_type(self) -> &'static str {
        match self {
            Format::SdJwtVc(t) | Format::Mdoc(t) | Format::JwtVcJson(t) | Format::LdpVc(t) => t,
        }
    }
}

/// One credential configuration.
#[derive(Clone, Copy, Debug)]
pub struct Configuration {
    /// Its id in `credential_configurations_supported` (also its `scope`).
    pub id: &'static str,
    /// The format.
    pub format: Format,
    /// Display name.
    pub display: &'static str,
}

/// Every configuration this issuer supports.
pub const CONFIGURATIONS: &[Configuration] = &[
    Configuration {
        id: "pid_sd_jwt",
        format: Format::SdJwtVc(PID_VCT),
        display: "Person identification data",
    },
    Configuration {
        id: "right_to_work_sd_jwt",
        format: Format::SdJwtVc(RIGHT_TO_WORK_VCT),
        display: "Right to work check",
    },
    Configuration {
        id: "right_to_work_v2_sd_jwt",
        format: Format::SdJwtVc(RIGHT_TO_WORK_V2_VCT),
        display: "Right to work check (version 2)",
    },
    Configuration {
        id: "mdl_mdoc",
        format: Format::Mdoc(MDL_DOCTYPE),
        display: "Mobile driving licence",
    },
    Configuration {
        id: "pid_mdoc",
        format: Format::Mdoc(PID_DOCTYPE),
        display: "Person identification data (mdoc)",
    },
    Configuration {
        id: "right_to_work_jwt_vc",
        format: Format::JwtVcJson(RIGHT_TO_WORK_VC_TYPE),
        display: "Right to work check (W3C VC, JWT)",
    },
    Configuration {
        id: "right_to_work_ldp_vc",
        format: Format::LdpVc(RIGHT_TO_WORK_VC_TYPE),
        display: "Right to work check (W3C VC, Data Integrity)",
    },
];

/// The configuration called `id`.
pub fn find(id: &str) -> Option<&'static Configuration> {
    CONFIGURATIONS.iter().find(|c| c.id == id)
}

/// Algorithms accepted for key proofs and DPoP proofs.
pub const PROOF_ALGS: [Algorithm; 3] = [Algorithm::Es256, Algorithm::Es384, Algorithm::EdDsa];

impl Configuration {
    /// The metadata object of this configuration (OpenID4VCI 1.0 section 12.2.4, Appendix A).
    /// With key attestations enabled, the `attestation` proof type is offered too, and when
    /// they are required the `jwt` proof type says so (`key_attestations_required`).
    pub fn metadata(&self, signing_alg: Algorithm, attestations: &KeyAttestationPolicy) -> Value {
        let algs: Vec<&str> = PROOF_ALGS.iter().map(|a| a.jose_name()).collect();
        let mut proof_types = json!({
            "jwt": { "proof_signing_alg_values_supported": algs }
        });
        if attestations.enabled() {
            let required = attestations.requirements();
            proof_types["attestation"] = json!({
                "proof_signing_alg_values_supported": algs,
                "key_attestations_required": required,
            });
            if attestations.required {
                proof_types["jwt"]["key_attestations_required"] = required;
            }
        }
        let display = json!([{ "name": self.display, "locale": "en-GB" }]);
        match self.format {
            Format::SdJwtVc(vct) => json!({
                "format": "dc+sd-jwt",
                "vct": vct,
                "scope": self.id,
                "cryptographic_binding_methods_supported": ["jwk"],
                "credential_signing_alg_values_supported": [signing_alg.jose_name()],
                "proof_types_supported": proof_types,
                "credential_metadata": {
                    "display": display,
                    "claims": sd_jwt_claims(vct),
                },
            }),
            Format::Mdoc(doctype) => json!({
                "format": "mso_mdoc",
                "doctype": doctype,
                "scope": self.id,
                "cryptographic_binding_methods_supported": ["cose_key"],
                "credential_signing_alg_values_supported": [signing_alg.cose_id()],
                "proof_types_supported": proof_types,
                "credential_metadata": {
                    "display": display,
                    "claims": mdoc_elements(doctype)
                        .iter()
                        .map(|e| json!({"path": [namespace(doctype), e]}))
                        .collect::<Vec<_>>(),
                },
            }),
            Format::JwtVcJson(vc_type) | Format::LdpVc(vc_type) => {
                let ldp = matches!(self.format, Format::LdpVc(_));
                let mut definition = json!({ "type": ["VerifiableCredential", vc_type] });
                if ldp {
                    definition["@context"] = json!(W3C_CONTEXTS);
                }
                json!({
                    "format": self.format.name(),
                    "scope": self.id,
                    "credential_definition": definition,
                    "cryptographic_binding_methods_supported": ["did:jwk"],
                    "credential_signing_alg_values_supported":
                        [if ldp { "ecdsa-jcs-2019" } else { signing_alg.jose_name() }],
                    "proof_types_supported": proof_types,
                    "credential_metadata": {
                        "display": display,
                        "claims": sd_jwt_claims(RIGHT_TO_WORK_VCT)
                            .into_iter()
                            .filter_map(|c| {
                                let mut path = vec![json!("credentialSubject")];
                                path.extend(c["path"].as_array()?.iter().cloned());
                                Some(json!({ "path": path }))
                            })
                            .collect::<Vec<_>>(),
                    },
                })
            }
        }
    }
}

fn sd_jwt_claims(vct: &str) -> Vec<Value> {
    let Some(meta) = credentials::sd_jwt_vc::type_metadata::builtin(vct) else {
        return Vec::new();
    };
    const REGISTERED: &[&str] = &[
        "iss",
        "iat",
        "nbf",
        "exp",
        "vct",
        "vct#integrity",
        "aka_vcts",
        "cnf",
        "status",
        "sub",
    ];
    meta.get("claims")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| {
            c.pointer("/path/0")
                .and_then(Value::as_str)
                .is_some_and(|n| !REGISTERED.contains(&n))
        })
        .map(|c| {
            // OpenID4VCI 1.0 Appendix B.2: each claim's `display` is `name` by `locale`, from
            // the type metadata's `label` (so wallets show people words, not keys).
            let display: Vec<Value> = c
                .get("display")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|d| {
                    let name = d.get("label").and_then(Value::as_str)?;
                    let locale = d.get("locale").or_else(|| d.get("lang"));
                    Some(match locale.and_then(Value::as_str) {
                        Some(l) => json!({ "name": name, "locale": l }),
                        None => json!({ "name": name }),
                    })
                })
                .collect();
            if display.is_empty() {
                json!({ "path": c["path"] })
            } else {
                json!({ "path": c["path"], "display": display })
            }
        })
        .collect()
}

/// The `@context` of the W3C credentials this issuer makes.
pub const W3C_CONTEXTS: [&str; 1] = ["https://www.w3.org/ns/credentials/v2"];

/// The namespace of a doctype's elements.
pub fn namespace(doctype: &str) -> &'static str {
    match doctype {
        MDL_DOCTYPE => "org.iso.18013.5.1",
        _ => PID_DOCTYPE,
    }
}

fn mdoc_elements(doctype: &str) -> &'static [&'static str] {
    match doctype {
        MDL_DOCTYPE => &[
            "family_name",
            "given_name",
            "birth_date",
            "issue_date",
            "expiry_date",
            "issuing_country",
            "issuing_authority",
            "document_number",
            "portrait",
            "driving_privileges",
            "un_distinguishing_sign",
            "age_over_18",
            "age_over_21",
        ],
        _ => &[
            "family_name",
            "given_name",
            "birth_date",
            "birth_place",
            "nationality",
            "issuing_authority",
            "issuing_country",
            "issuance_date",
            "expiry_date",
            "age_over_18",
        ],
    }
}

/// What the issuer adds to every credential besides the subject's attributes.
pub struct IssueContext<'a> {
    /// `issuing_authority`.
    pub authority: &'a str,
    /// `issuing_country`.
    pub country: &'a str,
    /// Issuance time.
    pub now: i64,
    /// Expiry.
    pub expires_at: i64,
}

fn date(t: i64) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(t)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// RFC 3339 UTC with whole seconds (`2026-11-20T10:15:00Z`).
fn moment(t: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(t)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .replace_nanosecond(0)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// Whole years between a `YYYY-MM-DD` birth date and `now`.
fn age(birthdate: &str, now: i64) -> Option<i64> {
    let b = time::Date::parse(
        birthdate,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    let today = time::OffsetDateTime::from_unix_timestamp(now).ok()?.date();
    let mut years = i64::from(today.year() - b.year());
    if (u8::from(today.month()), today.day()) < (u8::from(b.month()), b.day()) {
        years -= 1;
    }
    Some(years)
}

fn copy(out: &mut Map<String, Value>, attrs: &Value, names: &[&str]) {
    for n in names {
        if let Some(v) = attrs.get(n) {
            out.insert((*n).to_string(), v.clone());
        }
    }
}

/// Why claims could not be made for a subject.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ClaimsError(pub String);

/// The subject's GPG 45 profile and the level it reaches, which must be medium or above:
/// the Home Office accepts a certified provider's check at a medium level of confidence or
/// above (GPG 45), so nothing lower is issued as a right to work (either version).
fn right_to_work_level(
    subject: &Subject,
) -> Result<(&str, trust_framework::gpg45::Level), ClaimsError> {
    use trust_framework::gpg45::Level;
    let profile = subject.gpg45_profile.as_deref().ok_or_else(|| {
        ClaimsError("the subject has no GPG 45 profile: a right-to-work check needs one".into())
    })?;
    let level = Level::of_profile(profile)
        .ok_or_else(|| ClaimsError(format!("{profile} is not a GPG 45 identity profile")))?;
    if level < Level::Medium {
        return Err(ClaimsError(format!(
            "the subject's identity was checked to a {} level of confidence ({profile}); a right-to-work credential needs at least medium",
            level.name()
        )));
    }
    Ok((profile, level))
}

/// The OpenID eKYC-IDA predefined `check_method` values (how evidence was validated and
/// the person verified against it).
pub const CHECK_METHODS: [&str; 13] = [
    "vpip", "vpiruv", "vri", "vdig", "vcrypt", "data", "auth", "token", "kbv", "pvp", "pvr", "bvp",
    "bvr",
];

/// The checks this provider's digital right-to-work route makes on a passport when the
/// subject's attributes do not list them (`check_methods`): the chip's cryptographic
/// security features read and checked (`vcrypt`), and the person's face matched remotely
/// against the chip's photo (`bvr`).
pub const DEFAULT_CHECK_METHODS: [&str; 2] = ["vcrypt", "bvr"];

/// An ISO 3166-1 alpha-2 nationality or issuing state of the digital right-to-work route
/// as its ICAO 9303 3-letter code (`GB` is `GBR`); 3-letter codes are kept.
fn icao3(code: &str) -> Option<&'static str> {
    match code.trim().to_ascii_uppercase().as_str() {
        "GB" | "GBR" => Some("GBR"),
        "IE" | "IRL" => Some("IRL"),
        _ => None,
    }
}

/// Right-to-work version 2: the GPG 45 assurance as OpenID Connect for Identity Assurance
/// `verified_claims` (specs/credential-types/right-to-work-v2.schema.json), the photo
/// beside it.
fn right_to_work_v2_claims(
    subject: &Subject,
    ctx: &IssueContext<'_>,
) -> Result<Map<String, Value>, ClaimsError> {
    use trust_framework::gpg45::Level;
    let a = &subject.attributes;
    let (profile, level) = right_to_work_level(subject)?;
    if level > Level::High {
        return Err(ClaimsError(format!(
            "{profile} reaches a {} level of confidence, which version 2 of the right-to-work credential cannot state (medium or high): issue version 1",
            level.name().replace('_', " ")
        )));
    }
    let text = |v: Option<&Value>, what: &str| -> Result<String, ClaimsError> {
        v.and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| ClaimsError(format!("the subject has no verified {what}")))
    };
    let given_name = text(a.get("given_name"), "given_name")?;
    let family_name = text(a.get("family_name"), "family_name")?;
    let birthdate = text(a.get("birthdate"), "birthdate")?;
    let doc = a.get("document").ok_or_else(|| {
        ClaimsError(
            "the subject has no checked document: a right-to-work check is made against a passport or Irish passport card".into(),
        )
    })?;
    let issuing = text(doc.get("issuing_country"), "document issuing_country")?;
    let country = icao3(&issuing).ok_or_else(|| {
        ClaimsError(format!(
            "the document was issued by {issuing}: the digital right-to-work route is only for a British or Irish passport or Irish passport card"
        ))
    })?;
    // Only the British or Irish nationalities: the ones the route is for (and a dual
    // national's other nationality is not the employer's business).
    let stated: Vec<&Value> = match (a.get("nationalities"), a.get("nationality")) {
        (Some(Value::Array(list)), _) => list.iter().collect(),
        (_, Some(one)) => vec![one],
        _ => Vec::new(),
    };
    let mut nationalities: Vec<&str> = Vec::new();
    for n in stated.iter().filter_map(|v| v.as_str()).filter_map(icao3) {
        if !nationalities.contains(&n) {
            nationalities.push(n);
        }
    }
    if !nationalities.contains(&country) {
        return Err(ClaimsError(format!(
            "the checked document was issued by {country}, but the subject's verified nationalities do not include it"
        )));
    }
    let expiry = text(doc.get("expiry_date"), "document expiry_date")?;
    let checked_on = date(subject.verified_at);
    if expiry.as_str() < checked_on.as_str() {
        return Err(ClaimsError(format!(
            "the document expired on {expiry}, before the check on {checked_on}: a right-to-work check needs a valid document"
        )));
    }
    let methods: Vec<String> = match a.get("check_methods") {
        None => DEFAULT_CHECK_METHODS
            .iter()
            .map(|m| m.to_string())
            .collect(),
        Some(Value::Array(list)) if (1..=8).contains(&list.len()) => list
            .iter()
            .map(|m| match m.as_str() {
                Some(m) if CHECK_METHODS.contains(&m) => Ok(m.to_string()),
                _ => Err(ClaimsError(format!(
                    "check_methods: {m} is not an OpenID identity assurance check_method"
                ))),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ClaimsError(
                "check_methods must be an array of 1 to 8 check_method values".into(),
            ))
        }
    };
    let when = moment(subject.verified_at);
    let checks: Vec<Value> = methods
        .iter()
        .map(|m| json!({"check_method": m, "organization": ctx.authority, "time": when}))
        .collect();
    let portrait = a
        .get("portrait")
        .cloned()
        .ok_or_else(|| ClaimsError("the subject has no verified portrait".into()))?;
    let mut out = Map::new();
    out.insert(
        "verified_claims".into(),
        json!({
            "verification": {
                "trust_framework": "uk_tfida",
                "assurance_level": level.name(),
                "assurance_process": {"policy": "gpg45", "procedure": profile},
                "time": when,
                "evidence": [{
                    "type": "document",
                    "check_details": checks,
                    "time": when,
                    "document_details": {
                        "type": text(doc.get("type"), "document type")?,
                        "document_number": text(doc.get("number"), "document number")?,
                        "issuer": {"country_code": country},
                        "date_of_expiry": expiry,
                    },
                }],
            },
            "claims": {
                "given_name": given_name,
                "family_name": family_name,
                "birthdate": birthdate,
                "nationalities": nationalities,
            },
        }),
    );
    out.insert("portrait".into(), portrait);
    Ok(out)
}

/// The SD-JWT VC claims of `vct` for `subject`.
pub fn sd_jwt_claims_for(
    vct: &str,
    subject: &Subject,
    ctx: &IssueContext<'_>,
) -> Result<Map<String, Value>, ClaimsError> {
    let a = &subject.attributes;
    let mut out = Map::new();
    match vct {
        PID_VCT => {
            copy(
                &mut out,
                a,
                &[
                    "given_name",
                    "family_name",
                    "birthdate",
                    "birth_place",
                    "nationalities",
                    "address",
                ],
            );
            if let Some(years) = a
                .get("birthdate")
                .and_then(Value::as_str)
                .and_then(|b| age(b, ctx.now))
            {
                out.insert(
                    "age_equal_or_over".into(),
                    json!({"18": years >= 18, "21": years >= 21}),
                );
            }
            out.insert("issuing_authority".into(), ctx.authority.into());
            out.insert("issuing_country".into(), ctx.country.into());
            if let Some(n) = a.get("pid_document_number") {
                out.insert("document_number".into(), n.clone());
            }
        }
        RIGHT_TO_WORK_VCT => {
            copy(
                &mut out,
                a,
                &[
                    "given_name",
                    "family_name",
                    "birthdate",
                    "portrait",
                    "document",
                ],
            );
            if let Some(n) = a
                .get("nationality")
                .or_else(|| a.get("nationalities").and_then(|n| n.get(0)))
            {
                out.insert("nationality".into(), n.clone());
            }
            let (profile, level) = right_to_work_level(subject)?;
            out.insert("gpg45_profile".into(), profile.into());
            out.insert("confidence".into(), level.name().into());
            out.insert("check_date".into(), date(subject.verified_at).into());
            out.insert("checked_by".into(), ctx.authority.into());
        }
        RIGHT_TO_WORK_V2_VCT => return right_to_work_v2_claims(subject, ctx),
        other => return Err(ClaimsError(format!("no claims mapping for vct {other}"))),
    }
    for required in ["given_name", "family_name"] {
        if !out.contains_key(required) {
            return Err(ClaimsError(format!(
                "the subject has no verified {required}"
            )));
        }
    }
    Ok(out)
}

/// The mdoc elements (JSON form, by namespace) of `doctype` for `subject`.
pub fn mdoc_claims_for(
    doctype: &str,
    subject: &Subject,
    ctx: &IssueContext<'_>,
) -> Result<Value, ClaimsError> {
    let a = &subject.attributes;
    let mut el = Map::new();
    let s = |n: &str| a.get(n).cloned();
    if let Some(v) = s("family_name") {
        el.insert("family_name".into(), v);
    }
    if let Some(v) = s("given_name") {
        el.insert("given_name".into(), v);
    }
    let birth = a.get("birthdate").and_then(Value::as_str);
    if let Some(b) = birth {
        el.insert("birth_date".into(), b.into());
    }
    let years = birth.and_then(|b| age(b, ctx.now));
    el.insert("issuing_country".into(), ctx.country.into());
    el.insert("issuing_authority".into(), ctx.authority.into());
    match doctype {
        MDL_DOCTYPE => {
            el.insert("issue_date".into(), date(ctx.now).into());
            el.insert("expiry_date".into(), date(ctx.expires_at).into());
            let number = a
                .get("driving_licence_number")
                .or_else(|| a.get("document").and_then(|d| d.get("number")))
                .cloned()
                .ok_or_else(|| ClaimsError("the subject has no document number".into()))?;
            el.insert("document_number".into(), number);
            let portrait = a
                .get("portrait")
                .and_then(Value::as_str)
                .and_then(|p| p.split_once(";base64,").map(|(_, b)| b.to_string()))
                .ok_or_else(|| ClaimsError("an mDL needs a verified portrait".into()))?;
            el.insert("portrait".into(), json!({ "bytes_b64": portrait }));
            el.insert(
                "driving_privileges".into(),
                a.get("driving_privileges").cloned().unwrap_or(json!([])),
            );
            el.insert("un_distinguishing_sign".into(), "UK".into());
            if let Some(y) = years {
                el.insert("age_over_18".into(), (y >= 18).into());
                el.insert("age_over_21".into(), (y >= 21).into());
            }
        }
        PID_DOCTYPE => {
            el.insert("issuance_date".into(), json!({"full_date": date(ctx.now)}));
            el.insert("expiry_date".into(), date(ctx.expires_at).into());
            if let Some(v) = s("birth_place") {
                el.insert("birth_place".into(), v);
            }
            if let Some(v) = a.get("nationalities").cloned() {
                el.insert("nationality".into(), v);
            }
            if let Some(y) = years {
                el.insert("age_over_18".into(), (y >= 18).into());
            }
        }
        other => {
            return Err(ClaimsError(format!(
                "no element mapping for doctype {other}"
            )))
        }
    }
    if !el.contains_key("family_name") || !el.contains_key("birth_date") {
        return Err(ClaimsError(
            "the subject has no verified family_name or birthdate".into(),
        ));
    }
    Ok(json!({ namespace(doctype): el }))
}
