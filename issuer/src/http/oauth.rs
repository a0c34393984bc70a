//! The authorization server: pushed authorization requests (RFC 9126), the authorization
//! endpoint with the citizen's sign-in page, and the token endpoint for the authorization
//! code grant (PKCE S256, RFC 7636) and the pre-authorized code grant (OpenID4VCI 1.0
//! section 6), issuing DPoP-bound access tokens (RFC 9449) when the wallet sends a proof.

use std::collections::HashMap;

use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use vouch_ops::html::{escape, Page};

use super::{freshness, no_store, parse_form, read_body, single_header, Shared};
use crate::configurations;
use crate::error::ApiError;
use crate::proofs::verify_dpop;
use crate::store::{ParRequest, Redemption};
use crate::util::{random_token, sha256_b64, sha256_hex};

/// The pre-authorized code grant type.
pub const PRE_AUTHORIZED_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
const PAR_LIFETIME: i64 = 60;
/// The longest value of a pushed request's field, in bytes (`authorization_details`: 8 KiB).
const MAX_FIELD: usize = 2048;
const MAX_AUTHORIZATION_DETAILS: usize = 8192;
const CODE_LIFETIME: i64 = 60;

pub(super) fn router() -> Router<Shared> {
    Router::new()
        .route("/par", post(par))
        .route("/authorize", get(authorize_page).post(authorize_submit))
        .route("/token", post(token))
}

/// Reads the configurations asked for by `scope` and/or `authorization_details`.
fn requested_configurations(
    form: &HashMap<String, String>,
) -> Result<(Vec<String>, bool), ApiError> {
    let mut ids = Vec::new();
    let mut details = false;
    if let Some(ad) = form.get("authorization_details") {
        let list: Vec<Value> = serde_json::from_str(ad)
            .map_err(|_| ApiError::invalid_request("authorization_details is not a JSON array"))?;
        if list.is_empty() {
            return Err(ApiError::invalid_request("authorization_details is empty"));
        }
        for d in list {
            if d.get("type").and_then(Value::as_str) != Some("openid_credential") {
                return Err(ApiError::invalid_request(
                    "authorization_details type must be openid_credential",
                ));
            }
            let id = d
                .get("credential_configuration_id")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    ApiError::invalid_request(
                        "authorization_details needs credential_configuration_id",
                    )
                })?;
            ids.push(id.to_string());
        }
        details = true;
    }
    if let Some(scope) = form.get("scope") {
        for s in scope.split(' ').filter(|s| !s.is_empty()) {
            if configurations::find(s).is_some() {
                ids.push(s.to_string());
            }
        }
    }
    for id in &ids {
        if configurations::find(id).is_none() {
            return Err(ApiError::invalid_request(format!(
                "unknown credential configuration {id}"
            )));
        }
    }
    ids.sort();
    ids.dedup();
    Ok((ids, details))
}

async fn par(
    State(s): State<Shared>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    let body = read_body(req, s.config.max_body).await?;
    let form = parse_form(&body)?;
    for (k, v) in &form {
        let cap = if k == "authorization_details" {
            MAX_AUTHORIZATION_DETAILS
        } else {
            MAX_FIELD
        };
        if k.len() > 64 || v.len() > cap {
            return Err(ApiError::invalid_request(format!(
                "a field of the request is longer than {cap} bytes"
            )));
        }
    }
    let get = |k: &str| form.get(k).filter(|v| !v.is_empty()).cloned();
    if get("request_uri").is_some() {
        return Err(ApiError::invalid_request(
            "request_uri is not allowed in a PAR request",
        ));
    }
    if get("response_type").as_deref() != Some("code") {
        return Err(ApiError::invalid_request("response_type must be code"));
    }
    let client_id =
        get("client_id").ok_or_else(|| ApiError::invalid_request("client_id is required"))?;
    crate::client_attestation::authenticate(&s, &headers, Some(&client_id)).await?;
    let redirect_uri =
        get("redirect_uri").ok_or_else(|| ApiError::invalid_request("redirect_uri is required"))?;
    url::Url::parse(&redirect_uri)
        .map_err(|_| ApiError::invalid_request("redirect_uri is not an absolute URI"))?;
    // Only a registered client, to one of its registered redirect URIs exactly: the
    // authorization code never goes anywhere the wallet's registration does not name.
    let client =
        s.store.client(&client_id).await?.ok_or_else(|| {
            ApiError::invalid_client("the client is not registered with this issuer")
        })?;
    if !client.redirect_uris.contains(&redirect_uri) {
        return Err(ApiError::invalid_request(
            "redirect_uri is not one the client registered",
        ));
    }
    let code_challenge = get("code_challenge")
        .ok_or_else(|| ApiError::invalid_request("PKCE code_challenge is required"))?;
    if get("code_challenge_method").as_deref() != Some("S256") {
        return Err(ApiError::invalid_request(
            "code_challenge_method must be S256",
        ));
    }
    if code_challenge.len() != 43 || credentials::b64::decode(&code_challenge).is_none() {
        return Err(ApiError::invalid_request(
            "code_challenge is not a base64url SHA-256",
        ));
    }
    let (configuration_ids, authorization_details) = requested_configurations(&form)?;
    if configuration_ids.is_empty() {
        return Err(ApiError::invalid_request(
            "no credential configuration requested (scope or authorization_details)",
        ));
    }
    let mut dpop_jkt = get("dpop_jkt");
    if let Some(proof) = single_header(&headers, "dpop")? {
        let p = verify_dpop(
            proof,
            "POST",
            &s.config.endpoint("/par"),
            None,
            freshness(&s.config),
        )
        .map_err(|e| ApiError::invalid_dpop_proof(e.0))?;
        if dpop_jkt.as_ref().is_some_and(|j| *j != p.jkt) {
            return Err(ApiError::invalid_dpop_proof(
                "dpop_jkt differs from the DPoP proof's key",
            ));
        }
        dpop_jkt = Some(p.jkt);
    }
    let now = crate::util::now();
    if s.store.pending_pars(now).await? >= s.config.max_pending_pars {
        return Err(ApiError::temporarily_unavailable(
            "too many pending authorization requests; try again shortly",
        ));
    }
    let request_uri = format!("{REQUEST_URI_PREFIX}{}", random_token());
    s.store
        .insert_par(
            &sha256_hex(request_uri.as_bytes()),
            &ParRequest {
                client_id,
                redirect_uri,
                code_challenge,
                configuration_ids,
                authorization_details,
                state: get("state"),
                issuer_state: get("issuer_state"),
                dpop_jkt,
                expires_at: now + PAR_LIFETIME,
            },
        )
        .await?;
    tracing::info!("pushed authorization request stored");
    Ok(no_store(
        StatusCode::CREATED,
        Json(json!({ "request_uri": request_uri, "expires_in": PAR_LIFETIME })),
    ))
}

/// Who the code goes to after sign-in: the client's registered name and the redirect host.
struct ReturnTo {
    client: String,
    host: String,
}

impl ReturnTo {
    async fn of(s: &Shared, par: &ParRequest) -> ReturnTo {
        let client = s
            .store
            .client(&par.client_id)
            .await
            .ok()
            .flatten()
            .map(|c| c.name)
            .unwrap_or_else(|| par.client_id.clone());
        let host = url::Url::parse(&par.redirect_uri)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        ReturnTo { client, host }
    }
}

/// The sign-in page's own rules, after the shared stylesheet (`vouch_ops::html::BASE_CSS`).
const SIGN_IN_CSS: &str = "#sign_in_code{max-width:12em}";

/// The citizen's sign-in page, in the shared shell under the issuer's name; with `error`, the
/// problem first and the title prefixed `Error: `.
fn sign_in_page(
    issuer: &str,
    request_uri: &str,
    configs: &[String],
    to: Option<&ReturnTo>,
    error: Option<&str>,
) -> Html<String> {
    let list: String = configs
        .iter()
        .filter_map(|c| configurations::find(c))
        .map(|c| format!("<li>{}</li>", escape(c.display)))
        .collect();
    // GOV.UK error pattern: the summary first, linked to the field to correct, and focused.
    let problem = error
        .map(|e| vouch_ops::html::error_summary(&[("subject_id", e)]))
        .unwrap_or_default();
    let to = to
        .map(|t| {
            format!(
                "<p id=\"return-to\">After you sign in, your credentials go to <strong>{}</strong> at <strong>{}</strong>. If you did not start this from that app, close this page.</p>",
                escape(&t.client),
                escape(&t.host)
            )
        })
        .unwrap_or_default();
    let body = format!(
        r#"<h1>Sign in to get your credentials</h1>{problem}{to}<p>Your wallet asks for:</p><ul>{list}</ul>
<form method="post" action="authorize"><input type="hidden" name="request_uri" value="{}">
<label for="subject_id">Your account reference</label><input id="subject_id" name="subject_id" autocomplete="username" spellcheck="false">
<label for="sign_in_code">The one-time code we sent you</label><input id="sign_in_code" name="sign_in_code" inputmode="numeric" autocomplete="one-time-code">
<button class="button" type="submit">Continue</button></form>"#,
        escape(request_uri),
    );
    let page = Page::new(issuer, "Sign in")
        .home(None)
        .error(error.is_some())
        .css(SIGN_IN_CSS);
    Html(match error {
        Some(_) => page
            .script(vouch_ops::html::FOCUS_ERROR_SUMMARY)
            .render(&body),
        None => page.render(&body),
    })
}

async fn authorize_page(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let request_uri = q.get("request_uri").ok_or_else(|| {
        ApiError::invalid_request("this server requires pushed authorization requests")
    })?;
    let client_id = q
        .get("client_id")
        .ok_or_else(|| ApiError::invalid_request("client_id is required"))?;
    let par = s
        .store
        .par(&sha256_hex(request_uri.as_bytes()), crate::util::now())
        .await?
        .ok_or_else(|| ApiError::invalid_request("request_uri is unknown or expired"))?;
    if par.client_id != *client_id {
        return Err(ApiError::invalid_request(
            "client_id differs from the pushed request",
        ));
    }
    let to = ReturnTo::of(&s, &par).await;
    Ok(no_store(
        StatusCode::OK,
        sign_in_page(
            &s.config.name,
            request_uri,
            &par.configuration_ids,
            Some(&to),
            None,
        ),
    ))
}

async fn authorize_submit(State(s): State<Shared>, req: Request) -> Result<Response, ApiError> {
    let body = read_body(req, s.config.max_body).await?;
    let form = parse_form(&body)?;
    let request_uri = form
        .get("request_uri")
        .ok_or_else(|| ApiError::invalid_request("request_uri is required"))?;
    let subject_id = form.get("subject_id").map(|v| v.trim()).unwrap_or_default();
    let code = form
        .get("sign_in_code")
        .map(|v| v.trim())
        .unwrap_or_default();
    let now = crate::util::now();
    let uri_hash = sha256_hex(request_uri.as_bytes());
    let auth_code = random_token();
    let issuer_key = std::sync::Arc::as_ptr(&s) as usize;
    let refuse = |configs: Vec<String>, to: Option<ReturnTo>, status: StatusCode, msg: &str| {
        let mut r = sign_in_page(
            &s.config.name,
            request_uri,
            &configs,
            to.as_ref(),
            Some(msg),
        )
        .into_response();
        *r.status_mut() = status;
        r
    };
    // An ended or expired request checks no code and counts against no one.
    let Some(pending) = s.store.par(&uri_hash, now).await? else {
        return Ok(refuse(
            Vec::new(),
            None,
            StatusCode::BAD_REQUEST,
            "This sign-in has ended after too many wrong codes, or it expired. Start again from your wallet.",
        ));
    };
    // A subject with recent wrong codes waits: its code is not even checked until then. The
    // attempt is reserved before the check, so parallel guesses cannot share one window.
    if let Err(wait) = super::throttle::begin(issuer_key, subject_id) {
        tracing::info!(
            subject = %vouch_ops::log::id_digest(subject_id),
            wait_s = wait.as_secs(),
            "sign-in delayed after wrong codes"
        );
        let to = ReturnTo::of(&s, &pending).await;
        let mut r = refuse(
            pending.configuration_ids,
            Some(to),
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "Too many wrong codes for this account. Wait {} seconds, then try again.",
                wait.as_secs().max(1)
            ),
        );
        if let Ok(v) = header::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(r);
    }
    let done = s
        .store
        .complete_sign_in(
            &uri_hash,
            subject_id,
            &sha256_hex(code.as_bytes()),
            &sha256_hex(auth_code.as_bytes()),
            now + CODE_LIFETIME,
            now,
        )
        .await?;
    let Some(par) = done else {
        tracing::info!("sign-in refused");
        let par = s.store.par(&uri_hash, now).await?;
        // The attempt was counted against the account before the check (throttle::begin);
        // the request counts it too, and ends at the fifth.
        let failures = match &par {
            Some(_) => s.store.sign_in_failed(&uri_hash).await?,
            None => crate::store::MAX_SIGN_IN_FAILURES,
        };
        if failures >= crate::store::MAX_SIGN_IN_FAILURES {
            return Ok(refuse(
                Vec::new(),
                None,
                StatusCode::BAD_REQUEST,
                "This sign-in has ended after too many wrong codes, or it expired. Start again from your wallet.",
            ));
        }
        let to = match &par {
            Some(p) => Some(ReturnTo::of(&s, p).await),
            None => None,
        };
        return Ok(refuse(
            par.map(|p| p.configuration_ids).unwrap_or_default(),
            to,
            StatusCode::BAD_REQUEST,
            "That reference and code do not match, or the code has expired.",
        ));
    };
    super::throttle::succeeded(issuer_key, subject_id);
    tracing::info!(
        subject = %vouch_ops::log::id_digest(subject_id),
        "citizen signed in; authorization code issued"
    );
    let mut redirect = url::Url::parse(&par.redirect_uri)
        .map_err(|_| ApiError::invalid_request("redirect_uri"))?;
    {
        let mut q = redirect.query_pairs_mut();
        q.append_pair("code", &auth_code);
        if let Some(state) = &par.state {
            q.append_pair("state", state);
        }
        q.append_pair("iss", &s.config.issuer_url);
    }
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, redirect.to_string()),
            (header::CACHE_CONTROL, "no-store".into()),
        ],
    )
        .into_response())
}

async fn token(
    State(s): State<Shared>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    let body = read_body(req, s.config.max_body).await?;
    let form = parse_form(&body)?;
    let now = crate::util::now();
    crate::client_attestation::authenticate(
        &s,
        &headers,
        form.get("client_id").map(String::as_str),
    )
    .await?;
    let dpop = match single_header(&headers, "dpop")? {
        Some(proof) => Some(
            verify_dpop(
                proof,
                "POST",
                &s.config.endpoint("/token"),
                None,
                freshness(&s.config),
            )
            .map_err(|e| ApiError::invalid_dpop_proof(e.0))?,
        ),
        None if s.config.require_dpop => {
            return Err(ApiError::invalid_dpop_proof("a DPoP proof is required"))
        }
        None => None,
    };
    let dpop_arg = dpop
        .as_ref()
        .map(|d| (d.jkt.as_str(), d.jti_hash.as_str(), d.jti_expires_at));
    let access_token = random_token();
    let token_hash = sha256_hex(access_token.as_bytes());
    let expires_at = now + s.config.token_validity;
    let (configuration_ids, details) = match form.get("grant_type").map(String::as_str) {
        Some(PRE_AUTHORIZED_GRANT) => {
            let code = form
                .get("pre-authorized_code")
                .filter(|c| !c.is_empty())
                .ok_or_else(|| ApiError::invalid_request("pre-authorized_code is required"))?;
            let (asked, details) = requested_configurations(&form)?;
            let outcome = s
                .store
                .redeem_pre_authorized(
                    &sha256_hex(code.as_bytes()),
                    form.get("tx_code").map(String::as_str),
                    s.config.tx_code_attempts,
                    now,
                    &token_hash,
                    dpop_arg,
                    form.get("client_id").map(String::as_str),
                    details.then_some(asked.as_slice()),
                    expires_at,
                )
                .await?;
            match outcome {
                Redemption::Redeemed {
                    configuration_ids, ..
                } => {
                    tracing::info!("pre-authorized code redeemed");
                    (configuration_ids, details)
                }
                Redemption::NotOffered => {
                    return Err(ApiError::invalid_request(
                        "authorization_details asks for a configuration that was not offered",
                    ))
                }
                Redemption::InvalidCode => {
                    return Err(ApiError::invalid_grant(
                        "the pre-authorized code is unknown, expired or already used",
                    ))
                }
                Redemption::TxCodeMissingOrUnexpected => {
                    return Err(ApiError::invalid_request(
                        "tx_code must be sent exactly when the offer asked for one",
                    ))
                }
                Redemption::WrongTxCode { remaining } => {
                    tracing::info!(remaining, "wrong transaction code");
                    return Err(ApiError::invalid_grant(if remaining > 0 {
                        "the transaction code is wrong"
                    } else {
                        "the transaction code is wrong; the offer is now locked"
                    }));
                }
                Redemption::DpopReplay => {
                    return Err(ApiError::invalid_dpop_proof(
                        "the DPoP proof was used before",
                    ))
                }
            }
        }
        Some("authorization_code") => {
            let code = form
                .get("code")
                .ok_or_else(|| ApiError::invalid_request("code is required"))?;
            let verifier = form
                .get("code_verifier")
                .ok_or_else(|| ApiError::invalid_request("code_verifier is required (PKCE)"))?;
            let redirect_uri = form.get("redirect_uri").cloned();
            let client_id = form.get("client_id").cloned();
            let jkt = dpop.as_ref().map(|d| d.jkt.clone());
            let check = |c: &crate::store::AuthCode| -> Result<(), ApiError> {
                if !(43..=128).contains(&verifier.len())
                    || !crate::util::ct_eq(
                        sha256_b64(verifier.as_bytes()).as_bytes(),
                        c.code_challenge.as_bytes(),
                    )
                {
                    return Err(ApiError::invalid_grant("PKCE verification failed"));
                }
                if client_id.as_deref() != Some(c.client_id.as_str()) {
                    return Err(ApiError::invalid_grant(
                        "the code was issued to another client",
                    ));
                }
                if redirect_uri.as_deref() != Some(c.redirect_uri.as_str()) {
                    return Err(ApiError::invalid_grant(
                        "redirect_uri differs from the authorization request",
                    ));
                }
                if let Some(bound) = &c.dpop_jkt {
                    if jkt.as_deref() != Some(bound.as_str()) {
                        return Err(ApiError::invalid_dpop_proof(
                            "the authorization was bound to another DPoP key",
                        ));
                    }
                }
                Ok(())
            };
            let outcome = s
                .store
                .redeem_auth_code(
                    &sha256_hex(code.as_bytes()),
                    now,
                    check,
                    &token_hash,
                    dpop_arg,
                    ApiError::invalid_dpop_proof("the DPoP proof was used before"),
                    expires_at,
                )
                .await?;
            match outcome {
                None => {
                    return Err(ApiError::invalid_grant(
                        "the authorization code is unknown, expired or already used",
                    ))
                }
                Some(Err(e)) => return Err(e),
                Some(Ok(c)) => {
                    tracing::info!("authorization code redeemed");
                    (c.configuration_ids, c.authorization_details)
                }
            }
        }
        Some(other) => {
            return Err(ApiError::unsupported_grant_type(format!(
                "grant_type {} is not supported",
                other
                    .chars()
                    .filter(char::is_ascii_graphic)
                    .take(64)
                    .collect::<String>()
            )))
        }
        None => return Err(ApiError::invalid_request("grant_type is required")),
    };
    let mut body = json!({
        "access_token": access_token,
        "token_type": if dpop.is_some() { "DPoP" } else { "Bearer" },
        "expires_in": s.config.token_validity,
    });
    if details {
        body["authorization_details"] = Value::Array(
            configuration_ids
                .iter()
                .map(|id| {
                    json!({
                        "type": "openid_credential",
                        "credential_configuration_id": id,
                        "credential_identifiers": [id],
                    })
                })
                .collect(),
        );
    }
    Ok(no_store(StatusCode::OK, Json(body)))
}
