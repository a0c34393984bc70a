//! Starting a transaction and the signed request object the wallet fetches by reference
//! (`request_uri`, optionally with `request_uri_method=post` and a `wallet_nonce`).

use credentials::dcql::DcqlQuery;
use credentials::jose::sign_compact;
use credentials::keys::{provider, Jwk, KeyKind};
use credentials::openid4vp::{AuthorizationRequest, REQUEST_OBJECT_TYP};
use serde_json::{json, Map, Value};

use super::{random_id, Oid4vpError, RequestSigner, Service};
use crate::store::Transaction;

/// Whose check a new transaction is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Owner {
    /// The organisation.
    pub org_id: String,
    /// The member who started it (`None`: the organisation's HR system).
    pub member_id: Option<String>,
    /// SHA-256 (hex) of the session token of the browser it was started in.
    pub browser_hash: Option<String>,
}

impl Owner {
    /// A check organisation `org`'s HR system starts through the API.
    pub fn hr_system(org: &str) -> Owner {
        Owner {
            org_id: org.to_string(),
            ..Owner::default()
        }
    }
}

impl Service {
    /// Starts a transaction for template `template` answered by `response_mode`.
    pub async fn create(
        &self,
        template: &str,
        response_mode: &str,
    ) -> Result<Transaction, Oid4vpError> {
        self.create_for(template, response_mode, None, Owner::hr_system("default"))
            .await
    }

    /// Like [`Service::create`], for a candidate due to start on `planned_start` (kept with
    /// the check and its record, so a check made after it shows), owned by `owner`.
    pub async fn create_for(
        &self,
        template: &str,
        response_mode: &str,
        planned_start: Option<time::Date>,
        owner: Owner,
    ) -> Result<Transaction, Oid4vpError> {
        let query = self
            .templates
            .get(template)
            .ok_or_else(|| Oid4vpError::InvalidRequest(format!("no DCQL template {template}")))?;
        if response_mode != "direct_post" && response_mode != "direct_post.jwt" {
            return Err(Oid4vpError::InvalidRequest(
                "response_mode must be direct_post or direct_post.jwt".into(),
            ));
        }
        // The number of checks waiting for a wallet is bounded per organisation, so that
        // one employer's flood cannot block the others (nor fill the disk: each expires
        // after the transaction lifetime), with a backstop over the whole deployment.
        let now = self.clock.now().unix_timestamp();
        if self
            .store
            .pending_transactions_of(&owner.org_id, now)
            .await?
            >= self.max_pending_transactions
            || self.store.pending_transactions(now).await?
                >= self
                    .max_pending_transactions
                    .saturating_mul(super::PENDING_BACKSTOP)
        {
            return Err(Oid4vpError::Busy);
        }
        let enc_key = if response_mode == "direct_post.jwt" {
            let sk = provider::default()
                .generate(KeyKind::P256)
                .map_err(|e| Oid4vpError::Server(e.to_string()))?;
            let jwk = Jwk::from_secret_key(&sk);
            let kid = jwk.thumbprint();
            Some(jwk.with_kid(kid).to_value().to_string())
        } else {
            None
        };
        let now = self.clock.now().unix_timestamp();
        let t = Transaction {
            id: random_id(),
            created_at: now,
            expires_at: now + self.transaction_ttl,
            state: "pending".into(),
            nonce: random_id(),
            client_id: self.signer_for(&owner.org_id).client_id.as_string(),
            response_mode: response_mode.into(),
            template: template.into(),
            dcql: query.to_json().to_string(),
            enc_key,
            planned_start: planned_start.map(|d| d.to_string()),
            browser_hash: owner.browser_hash,
            org_id: owner.org_id,
            member_id: owner.member_id,
            ..Default::default()
        };
        self.store.insert_transaction(&t).await?;
        tracing::info!(transaction = %vouch_ops::log::id_digest(&t.id), "transaction created");
        Ok(t)
    }

    /// The response URI of a transaction.
    pub fn response_uri(&self, id: &str) -> String {
        format!("{}/response/{id}", self.base_url)
    }

    /// The request URI of a transaction.
    pub fn request_uri(&self, id: &str) -> String {
        format!("{}/request/{id}", self.base_url)
    }

    /// The request signer of organisation `org`: its own when it has one (so the wallet
    /// names that employer), the deployment's otherwise.
    pub fn signer_for(&self, org: &str) -> &RequestSigner {
        self.org_signers.get(org).unwrap_or(&self.request_signer)
    }

    /// The wallet invocation URL of transaction `t`
    /// (`openid4vp://?client_id=..&request_uri=..&request_uri_method=post`).
    pub fn wallet_url(&self, t: &Transaction) -> String {
        AuthorizationRequest::by_reference_url(
            &self.signer_for(&t.org_id).client_id,
            &self.request_uri(&t.id),
            true,
        )
    }

    /// The signed request object of a transaction; `wallet_nonce` is echoed when the wallet
    /// posted one (`request_uri_method=post`).
    pub async fn request_object(
        &self,
        id: &str,
        wallet_nonce: Option<&str>,
    ) -> Result<String, Oid4vpError> {
        let t = self
            .store
            .transaction(id)
            .await?
            .ok_or(Oid4vpError::UnknownTransaction)?;
        let now = self.clock.now().unix_timestamp();
        if t.state != "pending" || now >= t.expires_at {
            return Err(Oid4vpError::AlreadyAnswered);
        }
        let query = DcqlQuery::from_json(
            &serde_json::from_str(&t.dcql).map_err(|e| Oid4vpError::Server(e.to_string()))?,
        )
        .map_err(|e| Oid4vpError::Server(e.0))?;
        let encryption_keys = match &t.enc_key {
            Some(k) => {
                let jwk = Jwk::from_json(k).map_err(|e| Oid4vpError::Server(e.to_string()))?;
                vec![jwk.to_public()]
            }
            None => vec![],
        };
        let mut client_metadata = Map::new();
        client_metadata.insert(
            "vp_formats_supported".into(),
            json!({"dc+sd-jwt": {"sd-jwt_alg_values": ["ES256", "ES384", "EdDSA"], "kb-jwt_alg_values": ["ES256", "ES384", "EdDSA"]},
                   "mso_mdoc": {"issuerauth_alg_values": [-7, -35, -8], "deviceauth_alg_values": [-7, -35, -8]},
                   "jwt_vc_json": {"alg_values": ["ES256", "ES384", "EdDSA"]},
                   "ldp_vc": {"proof_type_values": ["DataIntegrityProof"],
                              "cryptosuite_values": ["ecdsa-rdfc-2019", "ecdsa-jcs-2019", "eddsa-rdfc-2022", "eddsa-jcs-2022"]}}),
        );
        let signer = self.signer_for(&t.org_id);
        // The answer is judged against the client id the check was made with: a signer
        // changed since (a restart with a new certificate) cannot speak for it.
        if signer.client_id.as_string() != t.client_id {
            return Err(Oid4vpError::AlreadyAnswered);
        }
        let req = AuthorizationRequest {
            client_id: signer.client_id.clone(),
            response_mode: t.response_mode.clone(),
            response_uri: self.response_uri(&t.id),
            nonce: t.nonce.clone(),
            state: Some(t.id.clone()),
            dcql_query: query,
            encryption_keys,
            enc_values: if t.enc_key.is_some() {
                vec!["A128GCM".into(), "A256GCM".into()]
            } else {
                vec![]
            },
            client_metadata,
            purpose: Some(self.verifier.policy.purpose.clone()),
            verifier_info: self
                .registration
                .verifier_info(&t.client_id, self.clock.now().unix_timestamp()),
        };
        // `alg: ECDH-ES` is left out of the JWK: credentials::keys::Jwk refuses a non-signature alg.
        let mut claims = req.to_claims();
        claims.insert(
            "aud".into(),
            credentials::openid4vp::SELF_ISSUED_AUDIENCE.into(),
        );
        claims.insert("iat".into(), now.into());
        claims.insert("exp".into(), t.expires_at.into());
        if let Some(n) = wallet_nonce {
            claims.insert("wallet_nonce".into(), n.into());
        }
        let mut header = Map::new();
        header.insert("typ".into(), REQUEST_OBJECT_TYP.into());
        header.insert("x5c".into(), credentials::x509::x5c_value(&signer.chain));
        let payload = serde_json::to_vec(&Value::Object(claims)).expect("JSON");
        sign_compact(&header, &payload, signer.signer.as_ref())
            .map_err(|e| Oid4vpError::Server(e.to_string()))
    }
}
