//! What the employer reads is in plain words (issue 21): the outcome of a check, of either
//! credential version, shows no raw claim key, no address (URL), no distinguished name and
//! no ISO date outside the folded "How this was checked"; the photo form follows the GOV.UK
//! error pattern (every error at once, each linked to its field, "Error:" in the title,
//! focus moved to the summary).

mod common;

use common::{client, now, running, start_check, wallet, MemFetcher, Scheme, Story, STATUS_URI};
use time::Duration;

/// The text a person reads in `<main>`, without the folded technical details, scripts and
/// styles, and without tags.
fn read(page: &str) -> String {
    let main = &page[page.find("<main").expect("a main")..page.find("</main>").unwrap()];
    let mut text = String::new();
    let mut rest = main;
    // Drop <details>…</details>, <script>…</script> and <style>…</style> whole.
    while let Some((i, tag)) = ["<details", "<script", "<style"]
        .iter()
        .filter_map(|t| rest.find(t).map(|i| (i, *t)))
        .min()
    {
        text.push_str(&rest[..i]);
        let close = format!("</{}>", &tag[1..]);
        rest = &rest[i + rest[i..].find(&close).unwrap() + close.len()..];
    }
    text.push_str(rest);
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_plain(text: &str) {
    for raw in [
        "given_name",
        "family_name",
        "birthdate",
        "document_number",
        "expiry_date",
        "gpg45_profile",
        "check_date",
        "checked_by",
        "verified_claims",
        "assurance_level",
        "trust_framework",
        "nationalities",
        "portrait",
    ] {
        assert!(
            !text.contains(raw),
            "the raw claim key {raw} is shown: {text}"
        );
    }
    for url in ["http://", "https://", "openid4vp://"] {
        assert!(!text.contains(url), "an address is shown: {text}");
    }
    for dn in ["CN=", "O=", "C=GB"] {
        assert!(!text.contains(dn), "a distinguished name is shown: {text}");
    }
    let iso = text.as_bytes().windows(10).any(|w| {
        w[..4].iter().all(u8::is_ascii_digit)
            && w[4] == b'-'
            && w[5..7].iter().all(u8::is_ascii_digit)
            && w[7] == b'-'
            && w[8..].iter().all(u8::is_ascii_digit)
    });
    assert!(!iso, "an ISO date is shown: {text}");
}

async fn page(r: &common::Running, id: &str) -> String {
    client()
        .get(format!("{}/checks/{id}", r.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_employers_outcome_is_in_plain_words_for_both_credential_versions() {
    let s = Scheme::new(Story::Good);
    let r = running(&s, MemFetcher::serving(STATUS_URI, s.status_token(0))).await;
    let v1 = start_check(&r, "direct_post.jwt").await;
    wallet::share(
        &r,
        &v1,
        &s,
        &s.issue(None, |_| {}, now() + Duration::days(300)),
    )
    .await;
    let v2 = start_check(&r, "direct_post.jwt").await;
    wallet::share_v2(
        &r,
        &v2,
        &s,
        &s.issue_v2(None, |_| {}, now() + Duration::days(300)),
    )
    .await;
    for id in [&v1, &v2] {
        let html = page(&r, id).await;
        let text = read(&html);
        assert!(text.contains("Ada Lovelace"), "{text}");
        assert!(text.contains("10 December 1990"), "{text}");
        assert!(
            html.contains("How this was checked"),
            "the checks are folded"
        );
        assert_plain(&text);
    }
}

#[tokio::test]
async fn the_photo_form_shows_every_error_at_once_linked_to_its_field() {
    let s = Scheme::new(Story::Good);
    let r = running(&s, MemFetcher::serving(STATUS_URI, s.status_token(0))).await;
    let id = start_check(&r, "direct_post.jwt").await;
    wallet::share(
        &r,
        &id,
        &s,
        &s.issue(None, |_| {}, now() + Duration::days(300)),
    )
    .await;
    let answer = client()
        .post(format!("{}/checks/{id}/likeness", r.base))
        .form(&[("checked_by", " ")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let html = answer.text().await.unwrap();
    assert!(html.contains("<title>Error: "), "{html}");
    let summary = &html[html.find("id=\"error-summary\"").expect("an error summary")..];
    assert!(summary.contains(r##"href="#likeness-yes""##), "{summary}");
    assert!(summary.contains(r##"href="#checked-by""##), "{summary}");
    assert!(html.contains("id=\"likeness-yes-error\"") && html.contains("id=\"checked-by-error\""));
    assert!(
        html.contains("getElementById('error-summary')"),
        "focus moves to the summary"
    );
    assert_plain(&read(&html));
    // Nothing was kept.
    assert_eq!(
        r.service
            .store
            .transaction(&id)
            .await
            .unwrap()
            .unwrap()
            .state,
        "responded"
    );
}

#[tokio::test]
async fn times_are_in_the_organisations_time_zone_which_its_administrator_sets() {
    let s = Scheme::new(Story::Good);
    let r = running(&s, MemFetcher::serving(STATUS_URI, s.status_token(0))).await;
    let id = start_check(&r, "direct_post.jwt").await;
    wallet::share(
        &r,
        &id,
        &s,
        &s.issue(None, |_| {}, now() + Duration::days(300)),
    )
    .await;
    // UK employers read UK time by default: GMT in winter, BST in summer.
    let uk = read(&page(&r, &id).await);
    assert!(uk.contains("(GMT)") || uk.contains("(BST)"), "{uk}");
    assert!(!uk.contains("(UTC)"), "{uk}");
    let set = |zone: &str| {
        client()
            .post(format!("{}/organisation/time-zone", r.base))
            .form(&[("time_zone", zone)])
    };
    let wrong = set("Mars/Olympus_Mons").send().await.unwrap();
    assert_eq!(wrong.status(), 400);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains(r##"href="#time-zone""##));
    assert_eq!(set("America/New_York").send().await.unwrap().status(), 303);
    let ny = read(&page(&r, &id).await);
    assert!(ny.contains("(EST)") || ny.contains("(EDT)"), "{ny}");
}
