//! OpenID4VP 1.0 holder: fetch and authenticate the request, select credentials with DCQL,
//! ask consent, build the presentations (SD-JWT VC with a KB-JWT whose `aud` is the full
//! client id; mdoc DeviceResponse over the OpenID4VPHandover transcript) and post them with
//! `direct_post` or `direct_post.jwt`.

use std::collections::{BTreeMap, HashMap};

use credentials::dcql::{self, Candidate, ClaimsPath, PathElement};
use credentials::jose::jwe::Enc;
use credentials::jose::CompactJws;
use credentials::keys::Jwk;
use credentials::mdoc::{self, DeviceKeyAuth, IssuerSigned, SessionTranscript};
use credentials::openid4vp::{AuthorizationRequest, AuthorizationResponse, ClientId, WalletError};
use credentials::sd_jwt::{present, KeyBindingJwt, SdAlg, SdJwt};
use credentials::{b64, sd_jwt_vc};
use serde::Serialize;
use serde_json::{Map, Value};

use trust_framework::registration_certificate::{self, RcError, RegistrationCertificate};

use crate::activity::{ActivityEntry, Outcome};
use crate::consent::{
    claim_name, evaluate, Consent, ConsentRequest, RequestedClaim, RequestedCredential,
    TrustFinding, VerifierInfo,
};
use crate::error::{Error, Result};
use crate::model::StoredCredential;
use crate::oauth::random_b64;
use crate::store::random_id;
use crate::wallet::{now, OverAskingPolicy, Wallet};

/// The `Accept` / content type of a request object.
const REQUEST_OBJECT_MEDIA: &str = "application/oauth-authz-req+jwt";

/// A request waiting for the person's answer.
pub(crate) struct Pending {
    request: AuthorizationRequest,
    chosen: Vec<(String, StoredCredential, Vec<Vec<PathElement>>)>,
    consent: ConsentRequest,
}

/// What happened after the answer.
#[derive(Clone, Debug, Serialize)]
pub struct PresentationOutcome {
    /// Whether claims were sent (false: an error such as `access_denied` was sent).
    pub shared: bool,
    /// The error sent, if any.
    pub error: Option<String>,
    /// Where the verifier asks the browser to go next, if anywhere.
    pub redirect_uri: Option<String>,
    /// The names of the claims released.
    pub claims: Vec<String>,
}

/// The organisation (`O=`) a certificate's subject names.
fn organisation(cert: &credentials::x509::Certificate) -> Option<String> {
    credentials::x509::profile::subject_attr(cert, "2.5.4.10")
}

impl Wallet {
    /// The request's registration certificate (ETSI TS 119 475, in `verifier_info`),
    /// checked offline: from the register's registrar (a root the snapshot names), for
    /// this client id and for the organisation its request-signing certificate names, and
    /// not revoked (the wallet's snapshot, or the registrar's status list when it can be
    /// read). `None` when the request carries none.
    async fn registration_certificate(
        &self,
        request: &AuthorizationRequest,
        signer: Option<&credentials::x509::Certificate>,
    ) -> Result<Option<RegistrationCertificate>> {
        let jwts = request.verifier_info_jwts(registration_certificate::TYP);
        let Some(jwt) = jwts.first() else {
            return Ok(None);
        };
        let refuse =
            |e: RcError| Error::request(WalletError::InvalidClient, format!("{}: {e}", e.code()));
        let roots = self.registrar_roots.lock().expect("registrar lock").clone();
        if roots.is_empty() {
            // A snapshot of a register without a registrar (or none at all): the
            // certificate cannot be judged, so the request is judged by the register.
            return Ok(None);
        }
        let rc = RegistrationCertificate::verify(jwt, &roots, now()).map_err(refuse)?;
        rc.names(&request.client_id.as_string()).map_err(refuse)?;
        // The organisation the request-signing certificate names must be the certified
        // one; a signer that names none is not the certified organisation.
        let org = signer.and_then(organisation).unwrap_or_default();
        if org != rc.name {
            return Err(refuse(RcError::OtherRelyingParty {
                certified: rc.name.clone(),
                asking: if org.is_empty() {
                    "a signer that names no organisation".into()
                } else {
                    org
                },
            }));
        }
        let revoked = |why: String| {
            Error::request(
                WalletError::InvalidClient,
                format!("registration_certificate_revoked: {why}"),
            )
        };
        let removed = self
            .register
            .lock()
            .expect("register lock")
            .as_ref()
            .and_then(|r| r.relying_parties.get(&rc.sub))
            .and_then(|r| r.removed_at);
        if let Some(since) = removed {
            return Err(revoked(format!(
                "the relying party was removed from the register on {}",
                since.date()
            )));
        }
        if let Some(reference) = rc
            .status
            .as_ref()
            .and_then(|s| credentials::status::StatusReference::from_json(s).ok())
        {
            match self.registrar_status(&reference, &roots).await {
                Ok(credentials::status::VALID) => {}
                Ok(value) => {
                    return Err(revoked(format!(
                        "the registrar's status list gives it status {value}"
                    )))
                }
                Err(e) => {
                    tracing::info!(error = %e, "registration certificate status not read; judged by the certificate and snapshot");
                }
            }
        }
        Ok(Some(rc))
    }

    /// The status of a registration certificate in the registrar's status list, a
    /// `statuslist+jwt` whose `x5c` leads to a registrar root.
    async fn registrar_status(
        &self,
        reference: &credentials::status::StatusReference,
        roots: &[credentials::x509::Certificate],
    ) -> std::result::Result<u8, String> {
        let text = self
            .http_get(&reference.uri)
            .map_err(|e| e.to_string())?
            .send()
            .await
            .map_err(|e| e.to_string())?
            .text()
            .await
            .map_err(|e| e.to_string())?;
        let jws = CompactJws::parse(text.trim()).map_err(|e| e.to_string())?;
        let ders = jws
            .header()
            .x5c()
            .map_err(|e| e.to_string())?
            .ok_or("the status list has no x5c")?;
        let chain = credentials::x509::parse_chain(&ders).map_err(|e| e.to_string())?;
        credentials::x509::validate_chain(&chain, roots, now(), &Default::default())
            .map_err(|e| e.to_string())?;
        let key = chain[0].public_key().map_err(|e| e.to_string())?;
        let token =
            credentials::status::StatusListToken::verify_jwt(&text, &key, &reference.uri, now())
                .map_err(|e| e.to_string())?;
        token.status(reference.idx).map_err(|e| e.to_string())
    }
}

/// HAIP 1.0 on a redirect-based flow: the client is identified by certificate
/// (`x509_hash`, or `x509_san_dns`) and the response is encrypted (`direct_post.jwt`).
fn haip_allows(request: &AuthorizationRequest) -> Result<()> {
    if !matches!(
        request.client_id,
        ClientId::X509Hash(_) | ClientId::X509SanDns(_)
    ) {
        return Err(Error::request(
            WalletError::InvalidClient,
            format!(
                "HAIP mode: the client id {} is not x509_hash or x509_san_dns",
                request.client_id
            ),
        ));
    }
    if request.response_mode != "direct_post.jwt" {
        return Err(Error::request(
            WalletError::InvalidRequest,
            format!(
                "HAIP mode: response_mode {} would send the credentials unencrypted; direct_post.jwt is required",
                request.response_mode
            ),
        ));
    }
    Ok(())
}

/// Where a request came from.
enum RequestSource {
    Signed(String, Option<String>),
    Unsigned(Map<String, Value>),
}

impl Wallet {
    /// The request, authenticated, and its signer's certificate (leaf), if it was signed.
    async fn load_request(
        &self,
        url: &str,
    ) -> Result<(AuthorizationRequest, Option<credentials::x509::Certificate>)> {
        let u = url::Url::parse(url.trim())
            .map_err(|e| Error::request(WalletError::InvalidRequest, format!("not a URL: {e}")))?;
        let params: Map<String, Value> = u
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        let param = |k: &str| params.get(k).and_then(Value::as_str).map(str::to_string);
        let source = if let Some(request_uri) = param("request_uri") {
            let method = param("request_uri_method").unwrap_or_else(|| "get".into());
            let (jwt, wallet_nonce) = match method.as_str() {
                "get" => {
                    let r = self
                        .http_get(&request_uri)?
                        .header("accept", REQUEST_OBJECT_MEDIA)
                        .send()
                        .await
                        .map_err(Error::http)?;
                    (read_request_object(r).await?, None)
                }
                "post" => {
                    let nonce = random_b64(16);
                    let metadata = serde_json::json!({
                        "vp_formats_supported": {
                            "dc+sd-jwt": {"sd-jwt_alg_values": ["ES256", "ES384", "EdDSA"], "kb-jwt_alg_values": ["ES256"]},
                            "mso_mdoc": {"issuerauth_alg_values": [-7, -35, -8], "deviceauth_alg_values": [-7]},
                            "jwt_vc_json": {"alg_values": ["ES256", "ES384", "EdDSA"]},
                            "ldp_vc": {"proof_type_values": ["DataIntegrityProof"], "cryptosuite_values": ["ecdsa-jcs-2019", "ecdsa-rdfc-2019", "eddsa-jcs-2022", "eddsa-rdfc-2022"]}
                        },
                        "client_id_prefixes_supported": ["x509_san_dns", "x509_hash", "redirect_uri"],
                        "request_object_signing_alg_values_supported": ["ES256", "ES384", "EdDSA"]
                    });
                    let r = self
                        .http_post(&request_uri)?
                        .header("accept", REQUEST_OBJECT_MEDIA)
                        .form(&[
                            ("wallet_metadata", metadata.to_string()),
                            ("wallet_nonce", nonce.clone()),
                        ])
                        .send()
                        .await
                        .map_err(Error::http)?;
                    (read_request_object(r).await?, Some(nonce))
                }
                other => {
                    return Err(Error::request(
                        WalletError::InvalidRequestUriMethod,
                        format!("request_uri_method {other}"),
                    ))
                }
            };
            RequestSource::Signed(jwt, wallet_nonce)
        } else if let Some(jwt) = param("request") {
            RequestSource::Signed(jwt, None)
        } else {
            RequestSource::Unsigned(params.clone())
        };
        let haip = self.settings().haip;
        if haip && matches!(source, RequestSource::Unsigned(_)) {
            return Err(Error::request(
                WalletError::InvalidRequest,
                "HAIP mode: an unsigned request is not accepted on a redirect-based flow",
            ));
        }
        let (request, subject) = match source {
            RequestSource::Signed(jwt, wallet_nonce) => {
                let prefix = param("client_id").map(|c| ClientId::parse(&c));
                if let Some(ClientId::DecentralizedIdentifier(d)) = &prefix {
                    return Err(Error::UnsupportedClientId(format!(
                        "decentralized_identifier:{d}"
                    )));
                }
                let verified = AuthorizationRequest::verify(&jwt, &self.verifier_roots(), now())
                    .map_err(|e| Error::request(e.oauth_error(), e.to_string()))?;
                if let Some(c) = prefix {
                    if c != verified.request.client_id {
                        return Err(Error::request(
                            WalletError::InvalidClient,
                            "the request object's client_id is not the one in the URL",
                        ));
                    }
                }
                if let Some(n) = wallet_nonce {
                    let claims = CompactJws::parse(&jwt)
                        .and_then(|j| j.claims())
                        .map_err(|e| Error::request(WalletError::InvalidRequest, e.to_string()))?;
                    // OpenID4VP 1.0 section 5.10: a request object fetched with a
                    // wallet_nonce must carry it back, or it may be a replay.
                    match claims.get("wallet_nonce").and_then(Value::as_str) {
                        Some(got) if got == n => {}
                        Some(_) => {
                            return Err(Error::request(
                                WalletError::InvalidRequest,
                                "wallet_nonce does not match",
                            ))
                        }
                        None => {
                            return Err(Error::request(
                                WalletError::InvalidRequest,
                                "the request object lacks the wallet_nonce the wallet sent",
                            ))
                        }
                    }
                }
                (verified.request, verified.chain.into_iter().next())
            }
            RequestSource::Unsigned(params) => {
                let req = AuthorizationRequest::from_claims(&params)
                    .map_err(|e| Error::request(e.oauth_error(), e.to_string()))?;
                match &req.client_id {
                    ClientId::RedirectUri(uri) => {
                        if *uri != req.response_uri {
                            return Err(Error::request(
                                WalletError::InvalidClient,
                                "redirect_uri client_id must equal the response_uri",
                            ));
                        }
                    }
                    ClientId::DecentralizedIdentifier(d) => {
                        return Err(Error::UnsupportedClientId(format!(
                            "decentralized_identifier:{d}"
                        )))
                    }
                    other => {
                        return Err(Error::request(
                            WalletError::InvalidClient,
                            format!(
                                "an unsigned request must use the redirect_uri prefix, not {other}"
                            ),
                        ))
                    }
                }
                (req, None)
            }
        };
        if haip {
            haip_allows(&request)?;
        }
        Ok((request, subject))
    }

    /// Reads a presentation request (by value or by `request_uri`), authenticates it,
    /// matches it against the stored credentials and returns what the app must show.
    pub async fn prepare_presentation(&self, url: &str) -> Result<ConsentRequest> {
        let (request, signer) = self.load_request(url).await?;
        let subject = signer.as_ref().map(|c| c.subject());
        let certified = self
            .registration_certificate(&request, signer.as_ref())
            .await?;
        let stored = self.credentials().await?;
        // One candidate per batch: a fresh (unused) member when there is one, so that two
        // verifiers never see the same credential or holder key.
        let mut per_batch: BTreeMap<String, (StoredCredential, bool)> = BTreeMap::new();
        for l in stored {
            let key = l.batch_id.clone().unwrap_or_else(|| l.id.clone());
            let fresh = !l.used;
            match per_batch.get(&key) {
                Some((_, true)) => {}
                Some((_, false)) if !fresh => {}
                _ => {
                    per_batch.insert(key, (l.value, fresh));
                }
            }
        }
        let batches = self.batches().await?;
        let single_use: HashMap<String, bool> = batches
            .into_iter()
            .map(|b| (b.id, b.value.single_use))
            .collect();
        let candidates: Vec<(StoredCredential, bool)> = per_batch.into_values().collect();
        let dyns: Vec<&dyn Candidate> = candidates
            .iter()
            .map(|(c, _)| c as &dyn Candidate)
            .collect();
        let selection = dcql::select(&request.dcql_query, &dyns);
        if !selection.satisfied {
            let e = Error::NoMatchingCredential;
            self.send_error(
                &request,
                WalletError::AccessDenied,
                Some("the wallet holds no credential that answers the query"),
            )
            .await
            .ok();
            return Err(e);
        }
        let mut chosen = Vec::new();
        for qid in selection.query_ids(&request.dcql_query) {
            let Some(ms) = selection.matches.get(&qid).filter(|m| !m.is_empty()) else {
                continue;
            };
            let multiple = request
                .dcql_query
                .credential(&qid)
                .is_some_and(|q| q.multiple);
            let take = if multiple { ms.len() } else { 1 };
            for m in ms.iter().take(take) {
                let (c, _) = &candidates[m.candidate];
                // A W3C VC is shown whole: the consent lists every claim it releases.
                let paths = if crate::w3c::is_w3c(&c.format) {
                    crate::w3c::released_paths(&c.claims)
                } else {
                    m.paths.clone()
                };
                chosen.push((qid.clone(), c.clone(), paths));
            }
        }
        let mut creds = Vec::new();
        let mut asked = Vec::new();
        for (_, c, paths) in &chosen {
            let names: Vec<String> = paths.iter().map(|p| claim_name(&c.format, p)).collect();
            asked.push((c.type_name().to_string(), names));
        }
        // A registration certificate is what the register says of this verifier; without
        // one, the wallet's copy of the register.
        let register = match &certified {
            Some(rc) => Some(rc.as_register()),
            None => self.register.lock().expect("register lock").clone(),
        };
        let (trust, name, registered_purpose, beyond) = evaluate(
            register.as_ref(),
            &request.client_id,
            request.purpose.as_deref(),
            &asked,
        );
        for (qid, c, paths) in &chosen {
            let fresh = candidates
                .iter()
                .find(|(x, _)| x.id == c.id)
                .is_some_and(|(_, f)| *f);
            let claims = paths
                .iter()
                .map(|p| {
                    let name = claim_name(&c.format, p);
                    let value = ClaimsPath(p.clone())
                        .select(&c.claims)
                        .first()
                        .map(|(_, v)| (*v).clone())
                        .unwrap_or(Value::Null);
                    RequestedClaim {
                        key: format!("{qid}{}", ClaimsPath::to_json_pointer(p)),
                        registered: !beyond
                            .iter()
                            .any(|b| *b == name || name.starts_with(&format!("{b}/"))),
                        name,
                        value,
                    }
                })
                .collect();
            creds.push(RequestedCredential {
                query_id: qid.clone(),
                credential_id: c.id.clone(),
                type_name: c.type_name().to_string(),
                claims,
                reused: !fresh && single_use.get(&c.batch_id).copied().unwrap_or(false),
            });
        }
        let policy = self
            .settings()
            .over_asking
            .unwrap_or(OverAskingPolicy::Refuse);
        let refused = match &trust {
            t if t.is_beyond_registration() && policy == OverAskingPolicy::Refuse => {
                Some(match t {
                    TrustFinding::OverAsking { beyond } => format!(
                        "the verifier asks for more than it registered: {}",
                        beyond.join(", ")
                    ),
                    TrustFinding::PurposeNotRegistered { purpose } => {
                        format!("the verifier did not register the purpose {purpose}")
                    }
                    _ => unreachable!("only beyond-registration findings"),
                })
            }
            _ => None,
        };
        let consent = ConsentRequest {
            id: random_id(),
            verifier: VerifierInfo {
                client_id: request.client_id.as_string(),
                registered: name.is_some(),
                name,
                certificate_subject: subject,
            },
            purpose: request.purpose.clone(),
            purpose_description: registered_purpose.as_ref().map(|p| p.description.clone()),
            retention: registered_purpose.and_then(|p| p.retention),
            credentials: creds,
            trust,
            refused,
        };
        self.pending.lock().expect("pending lock").insert(
            consent.id.clone(),
            Pending {
                request,
                chosen,
                consent: consent.clone(),
            },
        );
        Ok(consent)
    }

    /// Answers a prepared request: with only the approved claims, or with `access_denied`
    /// when the person declined or the wallet refused.
    pub async fn respond(&self, id: &str, consent: &Consent) -> Result<PresentationOutcome> {
        let pending = self
            .pending
            .lock()
            .expect("pending lock")
            .remove(id)
            .ok_or(Error::NoPending("presentation"))?;
        let c = &pending.consent;
        let mut entry = ActivityEntry {
            at: now(),
            outcome: Outcome::Shared,
            counterparty: c.verifier.client_id.clone(),
            counterparty_name: c.verifier.name.clone(),
            purpose: c.purpose.clone(),
            credential_types: c.credentials.iter().map(|x| x.type_name.clone()).collect(),
            claims: Vec::new(),
            channel: "openid4vp".into(),
        };
        let approved: Vec<&String> = consent.claims.iter().collect();
        let any_approved = c
            .credentials
            .iter()
            .flat_map(|x| &x.claims)
            .any(|k| approved.contains(&&k.key))
            || c.credentials.iter().all(|x| x.claims.is_empty());
        if c.refused.is_some() || !consent.approve || !any_approved {
            let (outcome, description) = match &c.refused {
                Some(reason) => (Outcome::Refused, format!("the wallet refused: {reason}")),
                None => (
                    Outcome::Declined,
                    "the holder declined to share".to_string(),
                ),
            };
            entry.outcome = outcome;
            return self.deny(&pending.request, entry, &description).await;
        }
        let req = &pending.request;
        let enc_key = self.encryption_key(req)?;
        let mut vp_token: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut released = Vec::new();
        let mut used = Vec::new();
        for (qid, cred, paths) in &pending.chosen {
            let all = paths.len();
            let paths: Vec<&Vec<PathElement>> = paths
                .iter()
                .filter(|p| approved.contains(&&format!("{qid}{}", ClaimsPath::to_json_pointer(p))))
                .collect();
            if crate::w3c::is_w3c(&cred.format) && paths.len() != all {
                // Not selectively disclosable: all of it, or none of it.
                entry.outcome = Outcome::Declined;
                return self
                    .deny(
                        req,
                        entry,
                        "the holder did not approve every claim of a credential that can only be shared whole",
                    )
                    .await;
            }
            released.extend(paths.iter().map(|p| claim_name(&cred.format, p)));
            let signer = self.device_signer(&cred.device_key_id).await?;
            let presentation = if cred.format == mdoc::FORMAT {
                let thumb = enc_key
                    .as_ref()
                    .and_then(|(k, _)| b64::decode(&k.thumbprint()));
                let transcript = SessionTranscript::openid4vp(
                    &req.client_id.as_string(),
                    &req.nonce,
                    thumb.as_deref(),
                    &req.response_uri,
                );
                let elements: Vec<(String, String)> = paths
                    .iter()
                    .filter_map(|p| match (p.first(), p.get(1)) {
                        (Some(PathElement::Key(ns)), Some(PathElement::Key(el))) => {
                            Some((ns.clone(), el.clone()))
                        }
                        _ => None,
                    })
                    .collect();
                let bytes =
                    b64::decode(&cred.raw).ok_or_else(|| Error::RecordTampered(cred.id.clone()))?;
                let signed = IssuerSigned::from_cbor(&bytes)
                    .map_err(|e| Error::Presentation(e.to_string()))?;
                let doc = mdoc::present_document(
                    &signed,
                    &mdoc::Selection::Elements(&elements),
                    &|_, _| true,
                    &DeviceKeyAuth::Signature(signer.as_ref()),
                    &transcript,
                )
                .map_err(|e| Error::Presentation(e.to_string()))?;
                Value::String(b64::encode(mdoc::device_response(&[doc])))
            } else if cred.format == sd_jwt_vc::FORMAT {
                let sd = SdJwt::parse(&cred.raw).map_err(|e| Error::Presentation(e.to_string()))?;
                let pointers: Vec<String> = paths
                    .iter()
                    .map(|p| ClaimsPath::to_json_pointer(p))
                    .collect();
                let refs: Vec<&str> = pointers.iter().map(String::as_str).collect();
                let disclosed =
                    present(&sd, &refs).map_err(|e| Error::Presentation(e.to_string()))?;
                let alg = sd
                    .jws()
                    .claims()
                    .ok()
                    .and_then(|c| {
                        c.get("_sd_alg")
                            .and_then(Value::as_str)
                            .and_then(SdAlg::from_name)
                    })
                    .unwrap_or_default();
                let kb = KeyBindingJwt::attach(
                    disclosed,
                    signer.as_ref(),
                    &req.client_id.as_string(),
                    &req.nonce,
                    now(),
                    alg,
                )
                .map_err(|e| Error::Presentation(e.to_string()))?;
                Value::String(kb.to_compact())
            } else if crate::w3c::is_w3c(&cred.format) {
                crate::w3c::present(
                    &cred.format,
                    &cred.raw,
                    signer.as_ref(),
                    &req.client_id.as_string(),
                    &req.nonce,
                )?
            } else {
                return Err(Error::request(
                    WalletError::VpFormatsNotSupported,
                    cred.format.clone(),
                ));
            };
            vp_token.entry(qid.clone()).or_default().push(presentation);
            used.push(cred.id.clone());
        }
        let response = AuthorizationResponse {
            vp_token,
            state: req.state.clone(),
            error: None,
            error_description: None,
        };
        let redirect = self.post_response(req, &response, enc_key).await?;
        for id in &used {
            self.store.mark_used(id).await?;
        }
        entry.claims = released.clone();
        self.log(entry).await?;
        Ok(PresentationOutcome {
            shared: true,
            error: None,
            redirect_uri: redirect,
            claims: released,
        })
    }

    /// Logs `entry` and answers the verifier with `access_denied` and `description`.
    async fn deny(
        &self,
        req: &AuthorizationRequest,
        entry: ActivityEntry,
        description: &str,
    ) -> Result<PresentationOutcome> {
        self.log(entry).await?;
        let redirect = self
            .send_error(req, WalletError::AccessDenied, Some(description))
            .await?;
        Ok(PresentationOutcome {
            shared: false,
            error: Some(WalletError::AccessDenied.code().into()),
            redirect_uri: redirect,
            claims: Vec::new(),
        })
    }

    /// The verifier's encryption key and content encryption for `direct_post.jwt`.
    fn encryption_key(&self, req: &AuthorizationRequest) -> Result<Option<(Jwk, Enc)>> {
        if req.response_mode != "direct_post.jwt" {
            return Ok(None);
        }
        let key = req
            .encryption_keys
            .first()
            .cloned()
            .ok_or_else(|| Error::request(WalletError::InvalidRequest, "no encryption key"))?;
        // A256GCM when the verifier takes it (HAIP 1.0 section 5), else the first it lists.
        let enc = if req.enc_values.is_empty() {
            Enc::A128Gcm
        } else if req.enc_values.iter().any(|e| e == "A256GCM") {
            Enc::A256Gcm
        } else {
            req.enc_values
                .iter()
                .find_map(|e| Enc::from_name(e))
                .ok_or_else(|| {
                    Error::request(
                        WalletError::InvalidRequest,
                        "no supported content encryption",
                    )
                })?
        };
        Ok(Some((key, enc)))
    }

    async fn post_response(
        &self,
        req: &AuthorizationRequest,
        response: &AuthorizationResponse,
        enc: Option<(Jwk, Enc)>,
    ) -> Result<Option<String>> {
        let form: Vec<(String, String)> = match enc {
            Some((key, enc)) => {
                let jwe = response
                    .encrypt(&key, enc)
                    .map_err(|e| Error::Presentation(e.to_string()))?;
                let mut f = vec![("response".to_string(), jwe)];
                if req.response_mode == "direct_post.jwt" {
                    // state travels inside the JWE only.
                    f.truncate(1);
                }
                f
            }
            None => response.to_form(),
        };
        let r = self
            .http_post(&req.response_uri)?
            .form(&form)
            .send()
            .await
            .map_err(Error::http)?;
        let status = r.status().as_u16();
        let body = r.text().await.map_err(Error::http)?;
        if !(200..300).contains(&status) {
            return Err(Error::Verifier {
                status,
                body: body.chars().take(300).collect(),
            });
        }
        // A redirect the app would open must be https (or http to this machine): never a
        // `javascript:` or `data:` URI from a verifier.
        Ok(serde_json::from_str::<Value>(&body).ok().and_then(|v| {
            v.get("redirect_uri")
                .and_then(Value::as_str)
                .filter(|u| safe_redirect(u))
                .map(str::to_string)
        }))
    }

    /// Sends an OpenID4VP error (`access_denied`, ...) to the request's response URI.
    pub(crate) async fn send_error(
        &self,
        req: &AuthorizationRequest,
        error: WalletError,
        description: Option<&str>,
    ) -> Result<Option<String>> {
        let response = AuthorizationResponse {
            vp_token: BTreeMap::new(),
            state: req.state.clone(),
            error: Some(error.code().into()),
            error_description: description.map(str::to_string),
        };
        let enc = self.encryption_key(req).ok().flatten();
        self.post_response(req, &response, enc).await
    }
}

/// Largest request object read, bytes (a signed request with a registration certificate
/// chain is a few KiB).
pub const MAX_REQUEST_OBJECT: usize = 256 * 1024;

async fn read_request_object(r: reqwest::Response) -> Result<String> {
    if !r.status().is_success() {
        return Err(Error::request(
            WalletError::InvalidRequest,
            format!("request_uri answered HTTP {}", r.status().as_u16()),
        ));
    }
    let body = crate::oauth::read_capped(r, MAX_REQUEST_OBJECT).await?;
    let text = String::from_utf8(body).map_err(|_| {
        Error::request(
            WalletError::InvalidRequest,
            "the request object is not text",
        )
    })?;
    Ok(text.trim().to_string())
}

/// Whether a verifier's `redirect_uri` may be offered to the person as a link: `https`, or
/// `http` to a loopback host (development), nothing else.
pub fn safe_redirect(u: &str) -> bool {
    let Ok(url) = url::Url::parse(u) else {
        return false;
    };
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")),
        _ => false,
    }
}

#[cfg(test)]
mod redirect_tests {
    use super::safe_redirect;

    #[test]
    fn only_https_and_loopback_http_redirects_are_followed() {
        for ok in [
            "https://employer.example/checks/1?response_code=x",
            "http://127.0.0.1:7072/checks/1",
            "http://localhost/x",
        ] {
            assert!(safe_redirect(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(document.cookie)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "http://attacker.example/",
            "vbscript:x",
            "//attacker.example/",
        ] {
            assert!(!safe_redirect(bad), "{bad}");
        }
    }
}
