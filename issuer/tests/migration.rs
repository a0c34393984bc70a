//! A database written by the previous version (migrations 0001-0002, made by the `vouch`
//! binary of the session before `0003_oauth_clients`, with a subject and a pushed request
//! from a client nobody registered) opens under this version: migration 0003 applies, the
//! data stays, and the new rules hold from then on.

mod support;

use support::{config, ISSUER};

#[tokio::test]
async fn a_database_of_the_previous_version_is_migrated_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("issuer.db");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/issuer-before-0003.db"
        ),
        &db,
    )
    .unwrap();
    let issuer = issuer::open(
        config(),
        &format!("sqlite://{}", db.display()),
        dir.path(),
        None,
    )
    .await
    .expect("the previous version's database opens and migrates");
    // What the previous version stored is still there.
    assert!(issuer.store.subject("old-subject").await.unwrap().is_some());
    assert_eq!(issuer.store.count("par_requests").await.unwrap(), 1);
    // The new table and column work.
    assert!(issuer.store.clients().await.unwrap().is_empty());
    let router = issuer::router(issuer.clone());
    let w = issuer::wallet::Wallet::new(issuer::wallet::Transport::Router(router), ISSUER);
    let par = |client: &str| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("response_type", "code"),
            ("client_id", client),
            ("redirect_uri", "https://old.example/cb"),
            ("scope", "pid_sd_jwt"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
        ] {
            s.append_pair(k, v);
        }
        s.finish().into_bytes()
    };
    let ct = [(
        "content-type",
        "application/x-www-form-urlencoded".to_string(),
    )];
    // The client the previous version took without registration is refused now...
    let r = w
        .transport
        .send("POST", &format!("{ISSUER}/par"), &ct, par("old-wallet"))
        .await;
    assert_eq!(r.status, 400);
    // ...and taken once registered.
    issuer
        .store
        .register_client(
            &issuer::store::OAuthClient {
                client_id: "old-wallet".into(),
                name: "Old Wallet".into(),
                redirect_uris: vec!["https://old.example/cb".into()],
            },
            0,
        )
        .await
        .unwrap();
    let r = w
        .transport
        .send("POST", &format!("{ISSUER}/par"), &ct, par("old-wallet"))
        .await;
    assert_eq!(r.status, 201);
}
