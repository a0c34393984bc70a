//! The register's IACA list as a VICAL (ISO/IEC 18013-5 Annex C): a CBOR map (`version`,
//! `vicalProvider`, `date`, `vicalIssueID`, `nextUpdate`, `certificateInfos`) signed as a
//! `COSE_Sign1` (ES256) whose `x5chain` is the register's VICAL signing certificate, beside
//! the JSON one (`/vical`). The issue id is the log size, so it only grows; each entry is
//! an IACA of a certified provider's live anchor, with its serial number, subject key
//! identifier, doc types, issuing authority and validity.

use ciborium::Value;
use coset::{iana, CborSerializable, CoseSign1Builder, HeaderBuilder};
use credentials::keys::Signer;
use credentials::x509::Certificate;
use time::OffsetDateTime;

use trust_framework::model::AnchorKey;
use trust_framework::register::{EntryState, Register};

/// The COSE header label of `x5chain` (RFC 9360).
const X5CHAIN: i64 = 33;

/// A tdate (RFC 8949 tag 0): an RFC 3339 time string.
fn tdate(t: OffsetDateTime) -> Value {
    let s = t
        .replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    Value::Tag(0, Box::new(Value::Text(s)))
}

fn text(k: &str) -> Value {
    Value::Text(k.into())
}

/// The VICAL of `register` at `now` (issue id `issue_id`, next update at `next`), signed
/// by `signer` with `certificate` in its `x5chain`: the `COSE_Sign1` bytes.
pub fn vical(
    register: &Register,
    provider: &str,
    issue_id: u64,
    now: OffsetDateTime,
    next: OffsetDateTime,
    signer: &dyn Signer,
    certificate: &Certificate,
) -> Result<Vec<u8>, String> {
    let mut infos = Vec::new();
    for e in register.entries.values() {
        if e.state_at(now)
            .is_none_or(|s| s.state != EntryState::Registered)
        {
            continue;
        }
        for a in &e.anchors {
            let AnchorKey::Iaca { certificate: der } = &a.anchor.key else {
                continue;
            };
            if a.retired_at.is_some() || a.not_trusted_after.is_some() {
                continue;
            }
            // The register keeps the IACA as base64url DER.
            let Some(cert) =
                credentials::b64::decode(der).and_then(|d| Certificate::from_der(&d).ok())
            else {
                continue;
            };
            let (nb, na) = cert.validity();
            let mut info = vec![
                (text("certificate"), Value::Bytes(cert.der().to_vec())),
                (
                    text("serialNumber"),
                    Value::Tag(2, Box::new(Value::Bytes(cert.serial_number()))),
                ),
                (
                    text("ski"),
                    Value::Bytes(cert.subject_key_identifier().unwrap_or_default()),
                ),
                (
                    text("docType"),
                    Value::Array(e.service.credential_types.iter().map(|t| text(t)).collect()),
                ),
                (text("issuingAuthority"), text(&e.provider.legal_name)),
            ];
            if let (Ok(nb), Ok(na)) = (
                OffsetDateTime::from_unix_timestamp(nb),
                OffsetDateTime::from_unix_timestamp(na),
            ) {
                info.push((text("notBefore"), tdate(nb)));
                info.push((text("notAfter"), tdate(na)));
            }
            infos.push(Value::Map(info));
        }
    }
    let payload = Value::Map(vec![
        (text("version"), text("1.0")),
        (text("vicalProvider"), text(provider)),
        (text("date"), tdate(now)),
        (text("vicalIssueID"), Value::Integer(issue_id.into())),
        (text("nextUpdate"), tdate(next)),
        (text("certificateInfos"), Value::Array(infos)),
    ]);
    let mut bytes = Vec::new();
    ciborium::into_writer(&payload, &mut bytes).map_err(|e| e.to_string())?;
    let mut sign1 = CoseSign1Builder::new()
        .protected(
            HeaderBuilder::new()
                .algorithm(iana::Algorithm::ES256)
                .build(),
        )
        .unprotected(
            HeaderBuilder::new()
                .value(X5CHAIN, Value::Bytes(certificate.der().to_vec()))
                .build(),
        )
        .payload(bytes)
        .build();
    let tbs = sign1.tbs_data(&[]);
    sign1.signature = signer.sign(&tbs).map_err(|e| e.to_string())?;
    sign1.to_vec().map_err(|e| e.to_string())
}
