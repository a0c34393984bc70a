//! OpenID4VCI 1.0 client: credential offers (by value and by reference), the
//! pre-authorized code flow with `tx_code`, the authorization code flow with PKCE (S256)
//! and PAR, the nonce endpoint, JWT proofs, DPoP when the server supports it, batch
//! issuance with one fresh device key per credential, and refilling single-use batches.

use credentials::openid4vci::{
    CredentialRequest, CredentialResponse, CredentialSelector, IssuedCredential, KeyProofClaims,
    NonceResponse, Proofs,
};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::activity::{ActivityEntry, Outcome};
use crate::error::{Error, Result};
use crate::model::{parse_mdoc, parse_sd_jwt, Batch, StoredCredential};
use crate::oauth::{self, Dpop, JsonAnswer};
use crate::store::{random_id, RecordKind};
use crate::wallet::{now, Wallet};

pub use credentials::openid4vci::{
    AuthorizationCodeGrant, CredentialOffer, Grants, OfferRef, PreAuthorizedGrant, TxCode,
    KEY_PROOF_TYP as PROOF_TYP, PRE_AUTHORIZED_GRANT,
};
/// The client id this wallet uses at authorization servers.
pub const DEFAULT_CLIENT_ID: &str = "vouch-wallet";

/// A credential the wallet received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Received {
    /// The batch.
    pub batch_id: String,
    /// The credential type.
    pub type_name: String,
    /// The format.
    pub format: String,
    /// How many credentials (the batch size actually issued).
    pub count: usize,
    /// The issuer's standing as checked on receipt.
    pub standing: Option<crate::receipt::Standing>,
}

/// A started authorization code flow: open `authorize_url` in the browser, then call
/// [`Wallet::finish_authorization`] with the redirect.
#[derive(Clone, Debug, Serialize)]
pub struct AuthorizationStart {
    /// The pending flow's id.
    pub id: String,
    /// Where to send the person.
    pub authorize_url: String,
}

/// A pending authorization code flow.
pub(crate) struct AuthSession {
    offer: CredentialOffer,
    code_verifier: String,
    state: String,
    redirect_uri: String,
    client_id: String,
    ctx: IssuerContext,
}

#[derive(Clone)]
struct IssuerContext {
    issuer: String,
    metadata: Value,
    token_endpoint: String,
    authorization_endpoint: Option<String>,
    par_endpoint: Option<String>,
    credential_endpoint: String,
    nonce_endpoint: Option<String>,
    batch_size: usize,
    dpop: Option<Dpop>,
    /// The authorization server's issuer identifier (a wallet attestation PoP's `aud`,
    /// the `iss` of its authorization responses).
    as_issuer: String,
    /// Whether the server says its authorization responses carry `iss` (RFC 9207).
    iss_in_response: bool,
    /// Whether the server takes wallet attestations (`attest_jwt_client_auth`): only then
    /// is one sent, as it identifies this wallet instance to the server.
    takes_attestation: bool,
}

struct Token {
    access_token: String,
    dpop_bound: bool,
    refresh_token: Option<String>,
    /// `authorization_details[].credential_identifiers` by configuration id.
    identifiers: Map<String, Value>,
}

/// Parses a credential offer URL (`openid-credential-offer://?credential_offer=...` or
/// `...?credential_offer_uri=...`, any scheme) or offer JSON.
pub fn parse_offer_url(text: &str) -> Result<OfferRef> {
    OfferRef::parse(text).map_err(|e| Error::Offer(e.description))
}

fn text(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

impl Wallet {
    /// Resolves an offer URL to the offer (fetching it when passed by reference).
    pub async fn resolve_offer(&self, url: &str) -> Result<CredentialOffer> {
        match parse_offer_url(url)? {
            OfferRef::Value(o) => Ok(o),
            OfferRef::Reference(r) => {
                let body = oauth::send(self.http_get(&r)?).await?.ok()?;
                CredentialOffer::from_json(&body.to_string())
                    .map_err(|e| Error::Offer(format!("offer: {}", e.description)))
            }
        }
    }

    async fn issuer_context(&self, issuer: &str, as_hint: Option<&str>) -> Result<IssuerContext> {
        let metadata = oauth::send(
            self.http_get(&oauth::well_known(issuer, "openid-credential-issuer")?)?
                .header("accept", "application/json"),
        )
        .await?
        .ok()?;
        if text(&metadata, "credential_issuer").as_deref() != Some(issuer) {
            return Err(Error::Offer(
                "credential_issuer in the metadata is not the offer's issuer".into(),
            ));
        }
        let listed: Vec<&str> = metadata
            .get("authorization_servers")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // An offer may name one of the issuer's authorization servers, never another
        // (OpenID4VCI 1.0 section 4.1.1): the wallet's attestation and codes go only where
        // the issuer itself says.
        if let Some(hint) = as_hint {
            let known = listed.contains(&hint) || (listed.is_empty() && hint == issuer);
            if !known {
                return Err(Error::Offer(
                    "the offer names an authorization server the issuer does not list".into(),
                ));
            }
        }
        let as_id = as_hint
            .or_else(|| listed.first().copied())
            .unwrap_or(issuer)
            .to_string();
        let mut as_meta =
            oauth::send(self.http_get(&oauth::well_known(&as_id, "oauth-authorization-server")?)?)
                .await?;
        if as_meta.status == 404 {
            as_meta = oauth::send(self.http_get(&format!(
                "{}/.well-known/openid-configuration",
                as_id.trim_end_matches('/')
            ))?)
            .await?;
        }
        let as_meta = as_meta.ok()?;
        // RFC 8414 section 3.3: the metadata is of the server it was fetched for, or a
        // server could pass itself off as another (and collect PoPs made for it).
        if text(&as_meta, "issuer").as_deref() != Some(as_id.as_str()) {
            return Err(Error::Offer(
                "the authorization server's metadata names another issuer".into(),
            ));
        }
        let need = |v: &Value, k: &str| {
            text(v, k).ok_or_else(|| Error::Offer(format!("metadata has no {k}")))
        };
        let dpop = match as_meta.get("dpop_signing_alg_values_supported") {
            Some(Value::Array(a)) if a.iter().any(|x| x == "ES256") => Some(Dpop::generate()?),
            _ => None,
        };
        Ok(IssuerContext {
            issuer: issuer.to_string(),
            token_endpoint: need(&as_meta, "token_endpoint")?,
            authorization_endpoint: text(&as_meta, "authorization_endpoint"),
            par_endpoint: text(&as_meta, "pushed_authorization_request_endpoint"),
            credential_endpoint: need(&metadata, "credential_endpoint")?,
            nonce_endpoint: text(&metadata, "nonce_endpoint"),
            batch_size: metadata
                .pointer("/batch_credential_issuance/batch_size")
                .and_then(Value::as_u64)
                .map_or(1, |n| n.clamp(1, 100) as usize),
            metadata,
            dpop,
            iss_in_response: as_meta
                .get("authorization_response_iss_parameter_supported")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            takes_attestation: as_meta
                .get("token_endpoint_auth_methods_supported")
                .and_then(Value::as_array)
                .is_some_and(|m| {
                    m.iter().any(|v| {
                        v.as_str() == Some(credentials::openid4vci::client_attestation::AUTH_METHOD)
                    })
                }),
            as_issuer: as_id,
        })
    }

    /// The wallet attestation headers for a PAR or token request to `ctx`'s authorization
    /// server, when the platform gives an attestation: the attestation and a fresh PoP.
    fn client_attestation(&self, ctx: &IssuerContext) -> Result<Option<(String, String)>> {
        use credentials::openid4vci::client_attestation::sign_pop;
        let Some((attestation, handle)) = self.device_keys.wallet_attestation(DEFAULT_CLIENT_ID)?
        else {
            return Ok(None);
        };
        let signer = self.device_keys.signer(&handle)?;
        let pop = sign_pop(
            signer.as_ref(),
            &ctx.as_issuer,
            &crate::oauth::random_b64(16),
            now(),
            None,
        )
        .map_err(|e| Error::Offer(format!("wallet attestation PoP: {e}")))?;
        Ok(Some((attestation, pop)))
    }

    /// POSTs a form, with DPoP and one retry on `use_dpop_nonce`; `attest`: with the
    /// platform's wallet attestation (PAR and the token endpoint).
    async fn post_form(
        &self,
        ctx: &mut IssuerContext,
        url: &str,
        form: &[(&str, String)],
        attest: bool,
    ) -> Result<JsonAnswer> {
        for _ in 0..2 {
            let mut req = self.http_post(url)?.form(form);
            if let Some(d) = &ctx.dpop {
                req = req.header("DPoP", d.proof("POST", url, None)?);
            }
            let attestation = if attest && ctx.takes_attestation {
                self.client_attestation(ctx)?
            } else {
                None
            };
            if let Some((attestation, pop)) = attestation {
                use credentials::openid4vci::client_attestation::{ATTESTATION_HEADER, POP_HEADER};
                req = req
                    .header(ATTESTATION_HEADER, attestation)
                    .header(POP_HEADER, pop);
            }
            let ans = oauth::send(req).await?;
            if let (Some(d), Some(n)) = (ctx.dpop.as_mut(), ans.dpop_nonce.clone()) {
                d.nonce = Some(n);
            }
            if !ans.wants_dpop_nonce() {
                return Ok(ans);
            }
        }
        Err(Error::Issuer {
            error: "use_dpop_nonce".into(),
            description: Some("the server kept asking for a new DPoP nonce".into()),
        })
    }

    /// POSTs JSON to a protected resource with the access token.
    async fn post_resource(
        &self,
        ctx: &mut IssuerContext,
        url: &str,
        token: &Token,
        body: &Value,
    ) -> Result<JsonAnswer> {
        for _ in 0..2 {
            let mut req = self.http_post(url)?.json(body);
            match (&ctx.dpop, token.dpop_bound) {
                (Some(d), true) => {
                    req = req
                        .header("Authorization", format!("DPoP {}", token.access_token))
                        .header("DPoP", d.proof("POST", url, Some(&token.access_token))?);
                }
                _ => req = req.bearer_auth(&token.access_token),
            }
            let ans = oauth::send(req).await?;
            if let (Some(d), Some(n)) = (ctx.dpop.as_mut(), ans.dpop_nonce.clone()) {
                d.nonce = Some(n);
            }
            if !ans.wants_dpop_nonce() {
                return Ok(ans);
            }
        }
        Err(Error::Issuer {
            error: "use_dpop_nonce".into(),
            description: None,
        })
    }

    async fn token(&self, ctx: &mut IssuerContext, form: &[(&str, String)]) -> Result<Token> {
        let endpoint = ctx.token_endpoint.clone();
        let body = self.post_form(ctx, &endpoint, form, true).await?.ok()?;
        let access_token = text(&body, "access_token")
            .ok_or_else(|| Error::Offer("the token response has no access_token".into()))?;
        let token_type = text(&body, "token_type").unwrap_or_default();
        let mut identifiers = Map::new();
        for d in body
            .get("authorization_details")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let (Some(id), Some(ids)) = (
                text(d, "credential_configuration_id"),
                d.get("credential_identifiers"),
            ) {
                identifiers.insert(id, ids.clone());
            }
        }
        Ok(Token {
            access_token,
            dpop_bound: token_type.eq_ignore_ascii_case("DPoP"),
            refresh_token: text(&body, "refresh_token"),
            identifiers,
        })
    }

    async fn fresh_nonce(&self, ctx: &mut IssuerContext) -> Result<Option<String>> {
        let Some(url) = ctx.nonce_endpoint.clone() else {
            return Ok(None);
        };
        let body = self.post_form(ctx, &url, &[], false).await?.ok()?;
        let n: NonceResponse = serde_json::from_value(body)
            .map_err(|_| Error::Offer("the nonce response has no c_nonce".into()))?;
        Ok(Some(n.c_nonce))
    }

    /// The `proofs` of a credential request for `keys`: one key attestation from the
    /// platform (the `attestation` proof type, or a `jwt` proof carrying it when only that is
    /// offered) where the issuer takes them and the platform gives one, else one `jwt` proof
    /// signed by each key. An issuer that requires attestations the platform cannot give is
    /// refused here, before any request.
    async fn proofs(
        &self,
        ctx: &IssuerContext,
        config: &Value,
        keys: &[(String, credentials::keys::PublicKey)],
        nonce: Option<&str>,
        client_id: Option<&str>,
    ) -> Result<Proofs> {
        let types = config.get("proof_types_supported");
        let takes_attestation = types.and_then(|t| t.get("attestation")).is_some();
        let jwt_requires = types
            .and_then(|t| t.get("jwt"))
            .and_then(|j| j.get("key_attestations_required"))
            .is_some();
        let attestation = if takes_attestation || jwt_requires {
            let publics: Vec<_> = keys.iter().map(|(_, p)| p.clone()).collect();
            self.device_keys.key_attestation(&publics, nonce)?
        } else {
            None
        };
        let claims = KeyProofClaims {
            iss: client_id.map(str::to_string),
            aud: ctx.issuer.clone(),
            iat: now(),
            nonce: nonce.map(str::to_string),
        };
        let failed = |e: credentials::jose::JoseError| Error::Offer(format!("proof: {e}"));
        match attestation {
            Some(a) if takes_attestation => Ok(Proofs::Attestation(vec![a])),
            Some(a) => {
                // A jwt proof by the first key, naming it by its place in attested_keys.
                let signer = self.device_signer(&keys[0].0).await?;
                let proof = claims
                    .sign_attested(signer.as_ref(), &a, "0")
                    .map_err(failed)?;
                Ok(Proofs::Jwt(vec![proof]))
            }
            None if jwt_requires => Err(Error::Offer(
                "the issuer requires key attestations, which this device's key store does not provide"
                    .into(),
            )),
            None => {
                let mut out = Vec::with_capacity(keys.len());
                for (key_id, _) in keys {
                    let signer = self.device_signer(key_id).await?;
                    out.push(claims.sign(signer.as_ref()).map_err(failed)?);
                }
                Ok(Proofs::Jwt(out))
            }
        }
    }

    /// Requests one batch of `configuration_id` and stores it under `batch`.
    async fn issue_into(
        &self,
        ctx: &mut IssuerContext,
        token: &Token,
        configuration_id: &str,
        batch: &mut Batch,
        client_id: Option<&str>,
    ) -> Result<usize> {
        let config = ctx
            .metadata
            .pointer(&format!(
                "/credential_configurations_supported/{}",
                configuration_id.replace('~', "~0").replace('/', "~1")
            ))
            .cloned()
            .ok_or_else(|| Error::Offer(format!("unknown configuration {configuration_id}")))?;
        let format = text(&config, "format").unwrap_or_default();
        if format != credentials::sd_jwt_vc::FORMAT
            && format != credentials::mdoc::FORMAT
            && !crate::w3c::is_w3c(&format)
        {
            return Err(Error::Offer(format!("unsupported format {format}")));
        }
        let nonce = self.fresh_nonce(ctx).await?;
        let n = ctx.batch_size;
        let mut keys = Vec::with_capacity(n);
        for _ in 0..n {
            keys.push(self.new_device_key().await?);
        }
        let proofs = match self
            .proofs(ctx, &config, &keys, nonce.as_deref(), client_id)
            .await
        {
            Ok(p) => p,
            Err(e) => {
                for (k, _) in &keys {
                    let _ = self.store.delete(k).await;
                }
                return Err(e);
            }
        };
        let credential = match token
            .identifiers
            .get(configuration_id)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
        {
            Some(id) => CredentialSelector::Identifier(id.to_string()),
            None => CredentialSelector::ConfigurationId(configuration_id.to_string()),
        };
        let body = CredentialRequest {
            credential,
            proofs: Some(proofs),
            response_encryption: None,
        }
        .to_json();
        let endpoint = ctx.credential_endpoint.clone();
        let ans = self.post_resource(ctx, &endpoint, token, &body).await?;
        let answer = match ans.ok() {
            Ok(a) => a,
            Err(e) => {
                for (k, _) in &keys {
                    let _ = self.store.delete(k).await;
                }
                return Err(e);
            }
        };
        let response =
            CredentialResponse::from_json(&answer).map_err(|e| Error::Credential(e.description))?;
        if response.is_deferred() {
            return Err(Error::Offer("deferred issuance is not supported".into()));
        }
        let issued: Vec<String> = response
            .credentials
            .iter()
            .filter_map(IssuedCredential::text)
            .collect();
        if issued.len() != keys.len() {
            return Err(Error::Credential(format!(
                "asked for {} credentials with {} proofs, got {}",
                keys.len(),
                keys.len(),
                issued.len()
            )));
        }
        // The issuer may return them in any order: match each to the key it is bound to.
        // Every credential is matched and checked before any is stored: a refused one
        // leaves nothing half-written.
        let register = self.register.lock().expect("register lock").clone();
        let mut unused: Vec<(String, credentials::keys::PublicKey)> = keys;
        let mut accepted = Vec::with_capacity(issued.len());
        let mut standing = None;
        let mut refusal = None;
        for raw in issued {
            let pos = unused.iter().position(|(_, pk)| {
                if format == credentials::mdoc::FORMAT {
                    parse_mdoc(&raw, pk).is_ok()
                } else if crate::w3c::is_w3c(&format) {
                    crate::w3c::parse(&format, &raw, pk).is_ok()
                } else {
                    parse_sd_jwt(&raw, pk).is_ok()
                }
            });
            let Some(pos) = pos else {
                refusal = Some(Error::Credential(
                    "a credential is not bound to any of our proof keys".into(),
                ));
                break;
            };
            let (key_id, pk) = unused.remove(pos);
            let parsed = if format == credentials::mdoc::FORMAT {
                parse_mdoc(&raw, &pk)
            } else if crate::w3c::is_w3c(&format) {
                crate::w3c::parse(&format, &raw, &pk)
            } else {
                parse_sd_jwt(&raw, &pk)
            };
            let checked = parsed.and_then(|p| {
                crate::receipt::check(
                    &format,
                    &p.raw,
                    register.as_ref(),
                    time::OffsetDateTime::now_utc(),
                )
                .map(|s| (p, s))
            });
            match checked {
                Ok((parsed, s)) => {
                    // The weakest standing of the batch is the batch's.
                    if !matches!(standing, Some(crate::receipt::Standing::Unverified { .. })) {
                        standing = Some(s);
                    }
                    accepted.push((key_id, parsed));
                }
                Err(e) => {
                    unused.push((key_id, pk));
                    refusal = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = refusal {
            let keys: Vec<String> = unused
                .iter()
                .map(|(k, _)| k.clone())
                .chain(accepted.iter().map(|(k, _)| k.clone()))
                .collect();
            for k in keys {
                let _ = self.store.delete(&k).await;
            }
            return Err(e);
        }
        for (key_id, parsed) in accepted {
            let id = random_id();
            batch.type_name = parsed
                .vct
                .clone()
                .or(parsed.doctype.clone())
                .unwrap_or_default();
            let stored = StoredCredential {
                id: id.clone(),
                batch_id: batch.id.clone(),
                format: parsed.format,
                vct: parsed.vct,
                doctype: parsed.doctype,
                issuer: parsed.issuer.unwrap_or_else(|| ctx.issuer.clone()),
                raw: parsed.raw,
                claims: parsed.claims,
                device_key_id: key_id,
                received_at: now(),
                expires_at: parsed.expires_at,
            };
            self.store
                .put(RecordKind::Credential, &id, Some(&batch.id), &stored)
                .await?;
        }
        batch.standing = standing;
        batch.credential_metadata = config.get("credential_metadata").cloned();
        batch.format = format;
        batch.batch_size = n;
        batch.single_use = n > 1;
        if token.refresh_token.is_some() {
            batch.refresh_token = token.refresh_token.clone();
            batch.dpop_key = ctx.dpop.as_ref().map(|d| d.jwk.clone());
        }
        self.store
            .put(RecordKind::Batch, &batch.id.clone(), None, batch)
            .await?;
        Ok(n)
    }

    async fn issue_offered(
        &self,
        ctx: &mut IssuerContext,
        token: Token,
        offer: &CredentialOffer,
        client_id: Option<&str>,
    ) -> Result<Vec<Received>> {
        let mut out = Vec::new();
        for cid in &offer.credential_configuration_ids {
            let mut batch = Batch {
                id: random_id(),
                issuer: offer.credential_issuer.clone(),
                configuration_id: cid.clone(),
                format: String::new(),
                type_name: String::new(),
                single_use: false,
                batch_size: 1,
                refresh_token: None,
                dpop_key: None,
                standing: None,
                credential_metadata: None,
            };
            let count = self
                .issue_into(ctx, &token, cid, &mut batch, client_id)
                .await?;
            self.log(ActivityEntry {
                at: now(),
                outcome: Outcome::Received,
                counterparty: offer.credential_issuer.clone(),
                // The provider's registered name, when the register confirmed it on receipt.
                counterparty_name: match &batch.standing {
                    Some(crate::receipt::Standing::Registered { provider }) => {
                        Some(provider.clone())
                    }
                    _ => None,
                },
                purpose: None,
                credential_types: vec![batch.type_name.clone()],
                claims: Vec::new(),
                channel: "openid4vci".into(),
            })
            .await?;
            out.push(Received {
                batch_id: batch.id,
                type_name: batch.type_name,
                format: batch.format,
                count,
                standing: batch.standing,
            });
        }
        Ok(out)
    }

    /// Accepts an offer with the pre-authorized code flow (`tx_code` when the offer asks
    /// for one) and stores every credential of it.
    pub async fn accept_offer(
        &self,
        offer_url: &str,
        tx_code: Option<&str>,
    ) -> Result<Vec<Received>> {
        let offer = self.resolve_offer(offer_url).await?;
        let grant = offer.grants.pre_authorized_code.clone().ok_or_else(|| {
            Error::Offer(
                "the offer has no pre-authorized code; use the authorization code flow".into(),
            )
        })?;
        if grant.tx_code.is_some() && tx_code.is_none() {
            return Err(Error::Offer(
                "the offer needs a transaction code (tx_code)".into(),
            ));
        }
        let mut ctx = self
            .issuer_context(
                &offer.credential_issuer,
                grant.authorization_server.as_deref(),
            )
            .await?;
        let mut form = vec![
            ("grant_type", PRE_AUTHORIZED_GRANT.to_string()),
            ("pre-authorized_code", grant.code.clone()),
        ];
        if let (Some(_), Some(t)) = (&grant.tx_code, tx_code) {
            form.push(("tx_code", t.to_string()));
        }
        let token = self.token(&mut ctx, &form).await?;
        self.issue_offered(&mut ctx, token, &offer, None).await
    }

    /// Starts the authorization code flow (PKCE S256, PAR when the server has it) for an
    /// offer URL, or for `issuer` and configuration ids the person chose in the app.
    pub async fn start_authorization(
        &self,
        offer: CredentialOffer,
        redirect_uri: &str,
    ) -> Result<AuthorizationStart> {
        let grant = offer.grants.authorization_code.clone().unwrap_or_default();
        let mut ctx = self
            .issuer_context(
                &offer.credential_issuer,
                grant.authorization_server.as_deref(),
            )
            .await?;
        let (code_verifier, challenge) = oauth::pkce();
        let state = oauth::random_b64(16);
        let client_id = DEFAULT_CLIENT_ID.to_string();
        let details: Vec<Value> = offer
            .credential_configuration_ids
            .iter()
            .map(|c| json!({"type": "openid_credential", "credential_configuration_id": c}))
            .collect();
        let mut params = vec![
            ("response_type", "code".to_string()),
            ("client_id", client_id.clone()),
            ("redirect_uri", redirect_uri.to_string()),
            ("state", state.clone()),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256".to_string()),
            ("authorization_details", Value::Array(details).to_string()),
        ];
        if let Some(s) = &grant.issuer_state {
            params.push(("issuer_state", s.clone()));
        }
        let endpoint = ctx
            .authorization_endpoint
            .clone()
            .ok_or_else(|| Error::Offer("no authorization_endpoint".into()))?;
        let mut url = url::Url::parse(&endpoint).map_err(Error::http)?;
        match ctx.par_endpoint.clone() {
            Some(par) => {
                let body = self.post_form(&mut ctx, &par, &params, true).await?.ok()?;
                let request_uri = text(&body, "request_uri")
                    .ok_or_else(|| Error::Offer("PAR response has no request_uri".into()))?;
                url.query_pairs_mut()
                    .append_pair("client_id", &client_id)
                    .append_pair("request_uri", &request_uri);
            }
            None => {
                let mut q = url.query_pairs_mut();
                for (k, v) in &params {
                    q.append_pair(k, v);
                }
            }
        }
        let id = random_id();
        self.pending_auth.lock().expect("auth lock").insert(
            id.clone(),
            AuthSession {
                offer,
                code_verifier,
                state,
                redirect_uri: redirect_uri.to_string(),
                client_id,
                ctx,
            },
        );
        Ok(AuthorizationStart {
            id,
            authorize_url: url.to_string(),
        })
    }

    /// Completes the authorization code flow with the redirect URL the browser came back
    /// to (`...?code=...&state=...`), and stores the credentials.
    pub async fn finish_authorization(&self, id: &str, redirect: &str) -> Result<Vec<Received>> {
        let session = self
            .pending_auth
            .lock()
            .expect("auth lock")
            .remove(id)
            .ok_or(Error::NoPending("authorization"))?;
        let u = url::Url::parse(redirect).map_err(Error::http)?;
        let q: std::collections::HashMap<String, String> = u.query_pairs().into_owned().collect();
        if let Some(e) = q.get("error") {
            return Err(Error::Issuer {
                error: e.clone(),
                description: q.get("error_description").cloned(),
            });
        }
        if q.get("state") != Some(&session.state) {
            return Err(Error::Offer("the redirect's state does not match".into()));
        }
        // RFC 9207 (HAIP 1.0 section 4): the response names the server it came from, so a
        // code from another server (a mix-up) is never sent to this one's token endpoint.
        match q.get("iss") {
            Some(iss) if *iss != session.ctx.as_issuer => {
                return Err(Error::Offer(
                    "the authorization response's iss is another server (mix-up)".into(),
                ))
            }
            None if session.ctx.iss_in_response => {
                return Err(Error::Offer(
                    "the authorization response has no iss, which its server promises".into(),
                ))
            }
            _ => {}
        }
        let code = q
            .get("code")
            .ok_or_else(|| Error::Offer("the redirect has no code".into()))?;
        let mut ctx = session.ctx;
        let token = self
            .token(
                &mut ctx,
                &[
                    ("grant_type", "authorization_code".into()),
                    ("code", code.clone()),
                    ("code_verifier", session.code_verifier),
                    ("redirect_uri", session.redirect_uri),
                    ("client_id", session.client_id.clone()),
                ],
            )
            .await?;
        self.issue_offered(&mut ctx, token, &session.offer, Some(&session.client_id))
            .await
    }

    /// Refills a single-use batch with the stored refresh token: a fresh batch of
    /// credentials (fresh device keys), and the used ones deleted. Returns how many came.
    pub async fn refill(&self, batch_id: &str) -> Result<usize> {
        let mut batch: Batch = self.store.get(RecordKind::Batch, batch_id).await?;
        let refresh = batch.refresh_token.clone().ok_or_else(|| {
            Error::Offer("the issuer gave no refresh token: ask it for a new offer".into())
        })?;
        let mut ctx = self.issuer_context(&batch.issuer, None).await?;
        if let Some(k) = &batch.dpop_key {
            ctx.dpop = Some(Dpop::from_jwk(k)?);
        }
        let token = self
            .token(
                &mut ctx,
                &[
                    ("grant_type", "refresh_token".into()),
                    ("refresh_token", refresh),
                ],
            )
            .await?;
        let cid = batch.configuration_id.clone();
        let n = self
            .issue_into(&mut ctx, &token, &cid, &mut batch, None)
            .await?;
        for c in self.credentials().await? {
            if c.used && c.batch_id.as_deref() == Some(batch_id) {
                self.delete_credential(&c.id).await?;
            }
        }
        Ok(n)
    }

    /// Refills every single-use batch with fewer unused credentials than the threshold;
    /// returns the batches refilled and the errors of those that could not be.
    pub async fn refill_low_batches(&self) -> Result<Vec<(String, Result<usize>)>> {
        let below = self.settings().refill_below.unwrap_or(2);
        let creds = self.credentials().await?;
        let mut out = Vec::new();
        for b in self.batches().await? {
            if !b.value.single_use {
                continue;
            }
            let left = creds
                .iter()
                .filter(|c| c.batch_id.as_deref() == Some(b.id.as_str()) && !c.used)
                .count();
            if left < below {
                out.push((b.id.clone(), self.refill(&b.id).await));
            }
        }
        Ok(out)
    }
}
