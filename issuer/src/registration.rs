//! What this issuer asks the trust register to record about it: the `entry.registered`
//! event body's service (roles, credential types, URL) and trust anchors (the `iss` and keys
//! of its SD-JWT VCs, the `did:key` of its W3C credentials, the IACA of its mdocs, and the
//! same root for the `x5c` chains of its SD-JWT VCs). Provider and CAB certificate details are the
//! scheme operator's to fill in; they are left as placeholders.

use serde_json::{json, Value};
use trust_framework::model::{AnchorKey, Role, Service, TrustAnchor};

use crate::configurations::CONFIGURATIONS;
use crate::http::Issuer;

/// The service entry of this issuer.
pub fn service(s: &Issuer) -> Service {
    Service {
        name: s.config.name.clone(),
        roles: vec![Role::IdentityServiceProvider],
        credential_types: CONFIGURATIONS
            .iter()
            .map(|c| c.format.credential_type().to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
        url: Some(s.config.issuer_url.clone()),
    }
}

/// The trust anchors of this issuer: every published SD-JWT VC key, and the IACA.
pub fn anchors(s: &Issuer) -> Vec<TrustAnchor> {
    let mut out: Vec<TrustAnchor> = s
        .keys
        .published_jwks(crate::util::now())
        .into_iter()
        .map(|jwk| TrustAnchor {
            anchor_id: format!(
                "iss-key-{}",
                jwk.get("kid").and_then(Value::as_str).unwrap_or("key")
            ),
            key: AnchorKey::IssKey {
                iss: s.config.issuer_url.clone(),
                jwk,
            },
        })
        .collect();
    // The `did:key` of every published key: the issuer of its W3C credentials.
    let dids: Vec<TrustAnchor> = s
        .keys
        .published_jwks(crate::util::now())
        .into_iter()
        .filter_map(|jwk| {
            let kid = jwk
                .get("kid")
                .and_then(Value::as_str)
                .unwrap_or("key")
                .to_string();
            let key = credentials::keys::Jwk::from_value(&jwk).ok()?;
            Some(TrustAnchor {
                anchor_id: format!("did-{kid}"),
                key: AnchorKey::Did {
                    did: credentials::did::did_key(key.public_key()),
                },
            })
        })
        .collect();
    out.extend(dids);
    // The Ed25519 key's `did:key`: the issuer of its `eddsa-*` credentials.
    out.push(TrustAnchor {
        anchor_id: "did-eddsa".into(),
        key: AnchorKey::Did {
            did: credentials::did::did_key(credentials::keys::Signer::public_key(&*s.keys.eddsa())),
        },
    });
    // The register keeps certificates as base64url DER. The IACA is the root of both the
    // mdocs' Document Signers and the credential signer certificates in the `x5c` of the
    // SD-JWT VCs and status list tokens.
    let root = credentials::b64::encode(s.keys.iaca().der());
    out.push(TrustAnchor {
        anchor_id: "iaca".into(),
        key: AnchorKey::Iaca {
            certificate: root.clone(),
        },
    });
    out.push(TrustAnchor {
        anchor_id: "x5c-root".into(),
        key: AnchorKey::X5cRoot { certificate: root },
    });
    out
}

/// The registration request: `POST /events/entry.registered` to the registry's write API.
pub fn request(s: &Issuer) -> Value {
    json!({
        "method": "POST",
        "path": "/events/entry.registered",
        "request": {
            "legal_basis": "DUAA 2025 s.33",
            "evidence": [],
            "body": {
                "entry_id": "<assigned by the scheme operator>",
                "provider": {
                    "provider_id": "<provider id>",
                    "legal_name": "<legal name>",
                    "company_number": "<company number>",
                    "jurisdiction": "GB",
                    "website": s.config.issuer_url,
                },
                "service": service(s),
                "certificate": "<the CAB certificate of this service>",
                "anchors": anchors(s),
                "expires_at": "<entry expiry, RFC 3339>",
            }
        }
    })
}
