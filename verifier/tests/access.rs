//! The employer's workspace: every check, record, download and API route answers only a
//! signed-in member of the organisation that owns it, in a role that allows the action, or
//! that organisation's API key. The transaction id in the QR code and the wallet link grants
//! nothing: an anonymous browser is sent to sign in, another organisation's members and keys
//! get "not found", a role that does not allow an action gets 403, a form without its
//! session's token is refused, and a same-device response code works only in the browser
//! session that started the check.

mod common;

use common::{
    client, hr_system, member_with_session, now, running, start_check, stranger, wallet,
    MemFetcher, Scheme, Story, CSRF, STATUS_URI,
};
use time::Duration;
use verifier::access::digest;
use verifier::store::Role;

async fn status(req: reqwest::RequestBuilder) -> u16 {
    req.send().await.unwrap().status().as_u16()
}

/// A browser signed in with session `token`; with `csrf`, every request carries that form
/// token.
fn browser(token: &str, csrf: Option<&str>) -> reqwest::Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        reqwest::header::COOKIE,
        reqwest::header::HeaderValue::from_str(&format!("vouch_session={token}")).unwrap(),
    );
    if let Some(c) = csrf {
        h.insert(
            "x-csrf-token",
            reqwest::header::HeaderValue::from_str(c).unwrap(),
        );
    }
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(h)
        .build()
        .unwrap()
}

fn bearer(key: &str) -> reqwest::Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Bearer {key}")).unwrap(),
    );
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(h)
        .build()
        .unwrap()
}

const GLOBEX_SESSION: &str = "globex-admin-session-token-0123456789abcdef";
const GLOBEX_KEY: &str = "globex-api-key-0123456789abcdefghijklmnopq";
const RECRUITER_SESSION: &str = "default-recruiter-session-0123456789abcdefg";
const AUDITOR_SESSION: &str = "default-auditor-session-token-0123456789abc";

/// A second organisation (its administrator and API key), and a recruiter and an auditor
/// of the default one.
async fn people(r: &common::Running) {
    let store = &r.service.store;
    let t = now().unix_timestamp() - 60;
    assert!(store
        .create_organisation("globex", "Globex", Some(&digest(GLOBEX_KEY)), t)
        .await
        .unwrap());
    for (org, email, role, session) in [
        ("globex", "admin@globex.test", Role::Admin, GLOBEX_SESSION),
        (
            "default",
            "recruiter@employer.test",
            Role::Recruiter,
            RECRUITER_SESSION,
        ),
        (
            "default",
            "auditor@employer.test",
            Role::Auditor,
            AUDITOR_SESSION,
        ),
    ] {
        member_with_session(store, t, org, email, role, session, CSRF).await;
    }
}

#[tokio::test]
async fn only_the_owning_organisation_sees_a_check_and_its_record_and_each_role_only_its_part() {
    let s = Scheme::new(Story::Good);
    let r = running(&s, MemFetcher::serving(STATUS_URI, s.status_token(0))).await;
    people(&r).await;
    let globex = browser(GLOBEX_SESSION, Some(CSRF));
    let recruiter = browser(RECRUITER_SESSION, Some(CSRF));
    let auditor = browser(AUDITOR_SESSION, Some(CSRF));
    let id = start_check(&r, "direct_post").await;
    let base = &r.base;
    // Before the wallet answers: the page, its state and the API are the organisation's.
    let to_sign_in = stranger()
        .get(format!("{base}/checks/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(to_sign_in.status(), 303);
    assert_eq!(to_sign_in.headers()["location"], "/sign-in");
    for c in [stranger(), globex.clone(), bearer(GLOBEX_KEY)] {
        assert_eq!(
            status(c.get(format!("{base}/checks/{id}/state"))).await,
            404
        );
        assert_eq!(
            status(c.get(format!("{base}/api/transactions/{id}"))).await,
            404
        );
    }
    assert_eq!(status(globex.get(format!("{base}/checks/{id}"))).await, 404);
    for c in [client(), recruiter.clone(), auditor.clone()] {
        assert_eq!(status(c.get(format!("{base}/checks/{id}"))).await, 200);
    }
    assert_eq!(
        status(hr_system().get(format!("{base}/api/transactions/{id}"))).await,
        200
    );
    // The wallet-facing endpoints stay open: the candidate's wallet answers.
    let shared = wallet::share(
        &r,
        &id,
        &s,
        &s.issue(None, |_| {}, now() + Duration::days(300)),
    )
    .await;
    // Same device: the redirect's response code, in the session that started the check.
    let back = shared["ack"]["redirect_uri"].as_str().unwrap().to_string();
    let path = &back[back.find("/checks/").unwrap()..];
    assert_eq!(status(client().get(format!("{base}{path}"))).await, 200);
    assert_eq!(
        status(client().get(format!("{base}/checks/{id}?response_code=guessed"))).await,
        400
    );
    assert_eq!(
        status(recruiter.get(format!("{base}{path}"))).await,
        400,
        "another member's session with the right code"
    );
    assert_eq!(status(globex.get(format!("{base}{path}"))).await, 404);
    // The outcome (with the person's photo and passport number) and the likeness form.
    let page = globex
        .get(format!("{base}/checks/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    assert!(!page.text().await.unwrap().contains("Lovelace"));
    let confirm = |c: &reqwest::Client| {
        c.post(format!("{base}/checks/{id}/likeness"))
            .form(&[("likeness", "yes"), ("checked_by", "Mallory")])
    };
    assert_eq!(status(confirm(&stranger())).await, 303, "to sign in");
    assert_eq!(status(confirm(&globex)).await, 404);
    assert_eq!(status(confirm(&auditor)).await, 403);
    assert_eq!(
        status(confirm(&browser(RECRUITER_SESSION, None))).await,
        400,
        "a form without its session's token"
    );
    assert_eq!(
        r.service
            .store
            .transaction(&id)
            .await
            .unwrap()
            .unwrap()
            .state,
        "responded",
        "nothing was completed by a refused form"
    );
    let done = confirm(&recruiter).send().await.unwrap();
    assert_eq!(done.status(), 303);
    let rec = done.headers()["location"].to_str().unwrap().to_string();
    // The record: page, download, employment end.
    for c in [globex.clone(), bearer(GLOBEX_KEY)] {
        assert_eq!(status(c.get(format!("{base}{rec}"))).await, 404);
        assert_eq!(status(c.get(format!("{base}{rec}/download"))).await, 404);
        assert_eq!(
            status(
                c.post(format!("{base}{rec}/employment-end"))
                    .form(&[("employment_end", "2099-01-01")])
            )
            .await,
            404
        );
    }
    assert_eq!(status(stranger().get(format!("{base}{rec}"))).await, 303);
    let end = |c: &reqwest::Client| {
        c.post(format!("{base}{rec}/employment-end"))
            .form(&[("employment_end", "2099-01-01")])
    };
    assert_eq!(status(end(&recruiter)).await, 403, "HR administrators only");
    assert_eq!(status(end(&auditor)).await, 403);
    let record = r
        .service
        .store
        .record(rec.trim_start_matches("/records/"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.employment_end, None, "nobody else changed anything");
    assert_eq!(record.org_id, "default");
    assert_eq!(status(end(&client())).await, 303);
    for c in [client(), recruiter, auditor.clone()] {
        assert_eq!(status(c.get(format!("{base}{rec}"))).await, 200);
    }
    assert_eq!(
        status(hr_system().get(format!("{base}{rec}/download"))).await,
        200
    );
    // The records list of the other organisation is empty; its access log names nothing.
    let list = globex
        .get(format!("{base}/records"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("records-none"), "{list}");
    assert!(r
        .service
        .store
        .access_log("globex")
        .await
        .unwrap()
        .is_empty());
    // The default organisation's log names who did each thing.
    let log = r.service.store.access_log("default").await.unwrap();
    let actors: std::collections::BTreeSet<&str> = log.iter().map(|e| e.actor.as_str()).collect();
    assert!(actors.contains("api"), "{actors:?}");
    assert!(actors.iter().all(|a| !a.is_empty()), "{actors:?}");
    let auditor_log = auditor
        .get(format!("{base}/access-log"))
        .send()
        .await
        .unwrap();
    assert_eq!(auditor_log.status(), 200);
    let text = auditor_log.text().await.unwrap();
    assert!(text.contains("data-intact=\"true\""), "{text}");
    assert!(text.contains("your HR system (API key)"), "{text}");
}

#[tokio::test]
async fn the_json_api_needs_an_organisations_key_and_its_checks_are_the_organisations() {
    let s = Scheme::new(Story::Good);
    let r = running(&s, MemFetcher::serving(STATUS_URI, s.status_token(0))).await;
    people(&r).await;
    let url = format!("{}/api/transactions", r.base);
    let body = serde_json::json!({"template": "right-to-work"});
    let none = stranger().post(&url).json(&body).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    let wrong = bearer("not-the-organisations-key-0123456789abcdef")
        .post(&url)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        status(browser(RECRUITER_SESSION, None).post(&url).json(&body)).await,
        401,
        "a member's session without its form token"
    );
    assert_eq!(status(hr_system().post(&url).json(&body)).await, 200);
    // A check the HR system made belongs to the organisation: its members see it, another
    // organisation's key and members do not.
    let t: serde_json::Value = hr_system()
        .post(&url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = t["id"].as_str().unwrap();
    assert_eq!(
        status(client().get(format!("{}/checks/{id}", r.base))).await,
        200
    );
    assert_eq!(
        status(bearer(GLOBEX_KEY).get(format!("{}/api/transactions/{id}", r.base))).await,
        404
    );
    // Globex's own key makes Globex's checks.
    let g: serde_json::Value = bearer(GLOBEX_KEY)
        .post(&url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let gid = g["id"].as_str().unwrap();
    assert_eq!(
        r.service
            .store
            .transaction(gid)
            .await
            .unwrap()
            .unwrap()
            .org_id,
        "globex"
    );
    assert_eq!(
        status(client().get(format!("{}/checks/{gid}", r.base))).await,
        404
    );
}

fn form_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The session cookie a response sets.
fn session_cookie(r: &reqwest::Response) -> String {
    let c = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
    c.split(';')
        .next()
        .unwrap()
        .trim_start_matches("vouch_session=")
        .to_string()
}

#[tokio::test]
async fn an_invitation_is_used_once_and_sign_in_says_nothing_about_which_part_was_wrong() {
    let s = Scheme::new(Story::Good);
    let r = running(&s, MemFetcher::serving(STATUS_URI, s.status_token(0))).await;
    people(&r).await;
    let base = &r.base;
    // The HR administrator invites a recruiter; the one-time link shows once.
    let bad = client()
        .post(format!("{base}/members"))
        .form(&[("email", "not an email")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let bad = bad.text().await.unwrap();
    assert!(bad.contains("<title>Error: Members"), "{bad}");
    assert!(
        bad.contains(r##"href="#email""##) && bad.contains(r##"href="#role-recruiter""##),
        "every error at once, linked to its field: {bad}"
    );
    let page = client()
        .post(format!("{base}/members"))
        .form(&[
            ("email", "New.Recruiter@Employer.test"),
            ("role", "recruiter"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page.find("id=\"invitation-link\">").unwrap() + "id=\"invitation-link\">".len();
    let link = &page[start..start + page[start..].find('<').unwrap()];
    assert!(link.starts_with(&format!("{base}/invitations/")), "{link}");
    // An organisation limited to its own email domain cannot invite (and so claim) another
    // organisation's staff; an address that is another organisation's member is not named.
    r.service
        .store
        .set_email_domains("globex", &["globex.test".to_string()])
        .await
        .unwrap();
    for (email, says) in [
        ("someone@employer.test", "own domain"),
        ("admin@globex.test", "member already"),
    ] {
        let page = browser(GLOBEX_SESSION, Some(CSRF))
            .post(format!("{base}/members"))
            .form(&[("email", email), ("role", "recruiter")])
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 400);
        assert!(page.text().await.unwrap().contains(says), "{email}");
    }
    let page = client()
        .post(format!("{base}/members"))
        .form(&[("email", "admin@globex.test"), ("role", "recruiter")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("This email address cannot be invited"),
        "{page}"
    );
    // A recruiter cannot invite; another organisation does not see these members.
    assert_eq!(
        status(
            browser(RECRUITER_SESSION, Some(CSRF))
                .post(format!("{base}/members"))
                .form(&[("email", "x@employer.test"), ("role", "admin")])
        )
        .await,
        403
    );
    let globex_members = browser(GLOBEX_SESSION, Some(CSRF))
        .get(format!("{base}/members"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !globex_members.contains("employer.test"),
        "{globex_members}"
    );
    // Accepting: every error at once; then joined and signed in.
    let weak = form_client()
        .post(link)
        .form(&[("name", ""), ("password", "short"), ("confirm", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), 400);
    let weak = weak.text().await.unwrap();
    assert!(weak.contains(r##"href="#name""##) && weak.contains(r##"href="#password""##));
    let password = "a recruiter's long password";
    let joined = form_client()
        .post(link)
        .form(&[
            ("name", "Rita Recruiter"),
            ("password", password),
            ("confirm", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), 303);
    let token = session_cookie(&joined);
    let home = browser(&token, None)
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("Rita Recruiter") && home.contains("Recruiter,"),
        "{home}"
    );
    // The link works once.
    let again = form_client()
        .post(link)
        .form(&[
            ("name", "Eve"),
            ("password", password),
            ("confirm", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
    let stored = r
        .service
        .store
        .member_by_email("new.recruiter@employer.test")
        .await
        .unwrap()
        .expect("the member");
    assert_eq!(stored.0.name, "Rita Recruiter");
    assert!(stored.1.starts_with("$argon2id$"), "only a hash is stored");
    // Signing in: a wrong password and an unknown email get the same answer.
    let sign_in = |email: &str, pw: &str| {
        form_client()
            .post(format!("{base}/sign-in"))
            .form(&[("email", email.to_string()), ("password", pw.to_string())])
    };
    let wrong_pw = sign_in("new.recruiter@employer.test", "not the password")
        .send()
        .await
        .unwrap();
    let unknown = sign_in("nobody@employer.test", password)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (wrong_pw.status().as_u16(), unknown.status().as_u16()),
        (400, 400)
    );
    let (a, b) = (
        wrong_pw.text().await.unwrap(),
        unknown.text().await.unwrap(),
    );
    assert_eq!(
        a.replace("new.recruiter@employer.test", "E"),
        b.replace("nobody@employer.test", "E")
    );
    let ok = sign_in("NEW.RECRUITER@employer.test", password)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    let fresh = session_cookie(&ok);
    assert_ne!(fresh, token, "a new session at each sign-in");
    // A sign-in form posted from another site, or another service on this site (another
    // port of localhost), is refused.
    for (header, value) in [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "http://localhost:1"),
    ] {
        let foreign = sign_in("new.recruiter@employer.test", password)
            .header(header, value)
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), 400, "{header}: {value}");
        assert!(foreign.headers().get("set-cookie").is_none());
    }
    let own = sign_in("new.recruiter@employer.test", password)
        .header("origin", base.as_str())
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 303, "the service's own page");
    // Signing out ends the session (it needs the session's form token).
    let session = r
        .service
        .store
        .session(&digest(&fresh), now().unix_timestamp())
        .await
        .unwrap()
        .expect("signed in");
    assert_eq!(
        status(
            browser(&fresh, Some("wrong"))
                .post(format!("{base}/sign-out"))
                .form(&[("from", "test")])
        )
        .await,
        400
    );
    assert_eq!(
        status(
            browser(&fresh, Some(&session.csrf))
                .post(format!("{base}/sign-out"))
                .form(&[("from", "test")])
        )
        .await,
        303
    );
    assert_eq!(
        status(browser(&fresh, None).get(format!("{base}/records"))).await,
        303,
        "signed out: to the sign-in page"
    );
    // Removing a member ends their access at once: only their own organisation's HR
    // administrator can, and the access log still names them.
    let rita = r
        .service
        .store
        .member_by_email("new.recruiter@employer.test")
        .await
        .unwrap()
        .unwrap()
        .0;
    let again = sign_in("new.recruiter@employer.test", password)
        .send()
        .await
        .unwrap();
    let live = session_cookie(&again);
    let remove = |c: reqwest::Client| {
        c.post(format!("{base}/members/{}/remove", rita.id))
            .form(&[("from", "test")])
    };
    assert_eq!(
        status(remove(browser(GLOBEX_SESSION, Some(CSRF)))).await,
        404
    );
    assert_eq!(
        status(remove(browser(RECRUITER_SESSION, Some(CSRF)))).await,
        403
    );
    assert_eq!(
        status(browser(&live, None).get(format!("{base}/records"))).await,
        200
    );
    assert_eq!(status(remove(client())).await, 303);
    assert_eq!(
        status(browser(&live, None).get(format!("{base}/records"))).await,
        303,
        "the removed member's session ended"
    );
    let refused = sign_in("new.recruiter@employer.test", password)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400, "a removed member cannot sign in");
    let members = client()
        .get(format!("{base}/members"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !members.contains("new.recruiter@employer.test"),
        "{members}"
    );
}
