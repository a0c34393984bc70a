//! Instruction counts of verification beside raw ES256 verification, for a machine too
//! busy for wall-clock benchmarks. Run under callgrind twice (N and 0 iterations) and take
//! the difference per iteration:
//!
//! ```sh
//! cargo build --release -p credentials --example verify_cost
//! for op in es256 sdjwt mdoc mdoc-cached; do for n in 0 200; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/verify_cost $op $n 2>&1 | grep refs
//! done; done
//! ```

use std::sync::Arc;

use ciborium::Value;
use credentials::keys::{Algorithm, Signer, SoftwareSigner};
use credentials::mdoc::{
    device_response, present_document, verify_response, DeviceKeyAuth, IssueRequest, MdocIssuer,
    MdocVerifyOptions, Selection, SessionTranscript, ValidityInfo, MDL_DOCTYPE, MDL_NAMESPACE,
};
use credentials::report::CheckLog;
use credentials::sd_jwt::{present, DisclosureFrame, KeyBindingJwt, SdAlg, VerifyOptions};
use credentials::sd_jwt_vc::{self, IssuerKeySource, SdJwtVcIssuer, VcEnvelope, VcVerifyOptions};
use credentials::x509::{profile, ChainCache};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let op = args.get(1).map(String::as_str).unwrap_or("es256");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100);
    let now = 1_800_000_000;
    let (issuer, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let (holder, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    match op {
        "es256" => {
            let msg = vec![0x5au8; 600];
            let sig = issuer.sign(&msg).unwrap();
            for _ in 0..n {
                issuer
                    .public_key()
                    .verify(Algorithm::Es256, &msg, &sig)
                    .unwrap();
            }
        }
        "sdjwt" => {
            let claims = serde_json::json!({"given_name": "Ada", "family_name": "Lovelace", "birthdate": "1990-12-10",
                "birth_place": "London", "nationalities": ["GB"], "issuing_authority": "HMPO", "issuing_country": "GB",
                "document_number": "123456789", "address": {"street_address": "1 Example Street", "locality": "London"}});
            let ten = [
                "/given_name",
                "/family_name",
                "/birthdate",
                "/birth_place",
                "/nationalities",
                "/issuing_authority",
                "/issuing_country",
                "/document_number",
                "/address",
                "/address/locality",
            ];
            let frame = ten
                .iter()
                .try_fold(DisclosureFrame::none(), |f, p| f.pointer(p))
                .unwrap();
            let env = VcEnvelope {
                iss: "https://idp.example".into(),
                vct: "urn:vouch:uk:pid:1".into(),
                iat: now - 10,
                nbf: None,
                exp: Some(now + 3600),
                holder: Some(holder.public_key().clone()),
                status: None,
            };
            let issued = SdJwtVcIssuer::new(&issuer)
                .issue(&env, claims.as_object().unwrap(), &frame, false)
                .unwrap();
            let p = KeyBindingJwt::attach(
                present(&issued, &ten).unwrap(),
                &holder,
                "https://rp.example",
                "n",
                now,
                SdAlg::Sha256,
            )
            .unwrap()
            .to_compact();
            let mut o = VerifyOptions::at(now);
            o.aud = Some("https://rp.example");
            o.nonce = Some("n");
            o.require_key_binding = true;
            let opts = VcVerifyOptions::new(o);
            let source = IssuerKeySource::Key(issuer.public_key().clone());
            for _ in 0..n {
                sd_jwt_vc::verify(&p, &source, &opts, &mut CheckLog::default()).unwrap();
            }
        }
        "mdoc" | "mdoc-cached" => {
            let iaca_key: Arc<dyn Signer> =
                Arc::new(SoftwareSigner::generate(Algorithm::Es256).unwrap().0);
            let iaca = profile::iaca(iaca_key.clone(), "GB", "IACA", 30).unwrap();
            let ds =
                profile::document_signer(issuer.public_key(), &iaca, iaca_key, "DS", 30).unwrap();
            let names = [
                "family_name",
                "given_name",
                "birth_date",
                "issue_date",
                "expiry_date",
                "issuing_country",
                "issuing_authority",
                "document_number",
                "age_over_18",
                "nationality",
            ];
            let ns = vec![(
                MDL_NAMESPACE.to_string(),
                names
                    .iter()
                    .map(|n| {
                        let v = if *n == "issuing_country" {
                            "GB".to_string()
                        } else {
                            format!("value of {n}")
                        };
                        (n.to_string(), Value::Text(v))
                    })
                    .collect(),
            )];
            let t0 = time::OffsetDateTime::now_utc().unix_timestamp();
            let issued = MdocIssuer::new(&issuer, vec![ds])
                .unwrap()
                .issue(&IssueRequest {
                    doc_type: MDL_DOCTYPE,
                    name_spaces: &ns,
                    device_key: holder.public_key(),
                    key_authorizations: None,
                    validity: ValidityInfo {
                        signed: t0,
                        valid_from: t0,
                        valid_until: t0 + 86400,
                        expected_update: None,
                    },
                    decoys: 0,
                    status: None,
                })
                .unwrap();
            let t = SessionTranscript::openid4vp(
                "x509_san_dns:rp.example",
                "n",
                None,
                "https://rp.example/post",
            );
            let chosen: Vec<(String, String)> = names
                .iter()
                .map(|n| (MDL_NAMESPACE.to_string(), n.to_string()))
                .collect();
            let doc = present_document(
                &issued,
                &Selection::Elements(&chosen),
                &|_, _| true,
                &DeviceKeyAuth::Signature(&holder),
                &t,
            )
            .unwrap();
            let response = device_response(&[doc]);
            let anchors = [iaca];
            let cache = ChainCache::new();
            let mut opts = MdocVerifyOptions::new(t0 + 1, &anchors, &t);
            if op == "mdoc-cached" {
                opts.chain_cache = Some(&cache);
                verify_response(&response, &opts, &mut CheckLog::default()).unwrap();
            }
            for _ in 0..n {
                verify_response(&response, &opts, &mut CheckLog::default()).unwrap();
            }
        }
        other => panic!("unknown op {other}"),
    }
}
