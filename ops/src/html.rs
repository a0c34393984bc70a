//! The one HTML shell of the Vouch web pages: the employer's right-to-work check (verifier),
//! the public trust register, the demo web wallet and the issuer's sign-in page.
//!
//! Plain string building, no dependencies and no feature: the pages are server-rendered,
//! written by hand after the GOV.UK Design System, with no external assets and no JavaScript
//! they need to work.
//!
//! - [`escape`]: text and quoted attribute values (`&`, `<`, `>`, `"`, `'`).
//! - [`Page`]: the shell every page shares: `lang="en"`, the charset and viewport, a
//!   `<title>` (prefixed `Error: ` on an error page), a skip link to `#main` hidden until it
//!   is focused, a `<header>` with the service's name, an optional navigation, one
//!   `<main id="main">` and an optional `<footer>`.
//! - [`BASE_CSS`]: the stylesheet every page shares (type, links and focus, the header,
//!   tables, forms, buttons, tags, panels, error summaries) and reflows to 320 CSS pixels:
//!   long values break anywhere, images and SVGs fit their column, tables never push the
//!   page wider than the screen. Each service adds only its own rules ([`Page::css`]).
//!
//! The pages are styled inline (`<style>`), which the Content-Security-Policy every service
//! sends allows (`style-src 'self' 'unsafe-inline'`, see `server::CSP`).

/// Escapes `s` for HTML text and for a quoted attribute value: `&`, `<`, `>`, `"` and `'`
/// become character references; everything else is kept as it is.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The stylesheet every Vouch page shares, after the GOV.UK Design System: typography,
/// links and focus outlines, the skip link, header, navigation and footer, headings, tables,
/// labels, hints and inputs, buttons, tags, panels, error summaries and error messages, and
/// the rules that keep a page readable at 320 CSS pixels (long values wrap anywhere, images
/// and SVGs never overflow, tables shrink with their content).
pub const BASE_CSS: &str = r#"
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font-family:arial,sans-serif;font-size:19px;line-height:1.32;color:#0b0c0c;background:#fff;overflow-wrap:anywhere}
a{color:#1d70b8;text-decoration:underline;text-underline-offset:.15em}
a:visited{color:#4c2c92}a:hover{color:#003078}
a:focus{outline:3px solid transparent;color:#0b0c0c;background-color:#fd0;box-shadow:0 -2px #fd0,0 4px #0b0c0c;text-decoration:none}
input:focus,textarea:focus,select:focus{outline:3px solid #fd0;outline-offset:0;box-shadow:inset 0 0 0 2px #0b0c0c}
img,svg,video{max-width:100%;height:auto}
.skip-link{position:absolute;width:1px;height:1px;margin:0;padding:0;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap}
.skip-link:focus{position:static;width:auto;height:auto;overflow:visible;clip:auto;clip-path:none;white-space:normal;display:block;padding:10px 15px}
.width{max-width:960px;margin:0 15px}
@media(min-width:990px){.width{margin:0 auto}}
.header{background:#0b0c0c;color:#fff;border-bottom:10px solid #1d70b8;padding:10px 0}
.header .service{color:#fff;font-weight:700;font-size:24px;text-decoration:none;margin-right:10px}
.header a.service:focus{color:#0b0c0c}
.header .badge{display:inline-block;padding:2px 8px;font-size:16px;font-weight:700;background:#e5e6e7;color:#383f43;vertical-align:middle}
.nav{border-bottom:1px solid #b1b4b6;padding:10px 0}
.nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:5px 20px}
main{display:block;padding:30px 0 60px}
h1{font-size:36px;line-height:1.11;margin:0 0 30px}
h2{font-size:27px;line-height:1.11;margin:30px 0 20px}
.lead{font-size:24px;margin:0 0 30px}
table{width:100%;border-collapse:collapse;margin:0 0 30px}
caption{text-align:left;font-weight:700;font-size:24px;margin-bottom:15px}
th,td{text-align:left;vertical-align:top;padding:10px 20px 10px 0;border-bottom:1px solid #b1b4b6}
th{font-weight:700}
code,pre{font-family:monospace;font-size:16px;white-space:pre-wrap;overflow-wrap:anywhere}
label,.label{display:block;font-weight:700;margin:0 0 5px}
.hint{display:block;color:#505a5f;margin:0 0 15px}
input[type=text],input[type=date],input:not([type]),textarea{font:inherit;width:100%;padding:5px;border:2px solid #0b0c0c;border-radius:0;margin:0 0 20px}
textarea{min-height:90px}
.button{display:inline-block;font:inherit;font-size:19px;line-height:1.2;color:#fff;background:#00703c;border:2px solid transparent;border-radius:0;box-shadow:0 2px 0 #002d18;padding:8px 10px 7px;margin:0 15px 22px 0;cursor:pointer;text-decoration:none;text-align:center}
.button:visited,.button:hover{color:#fff}
.button:hover{background:#005a30}
.button:focus{outline:3px solid transparent;border-color:#fd0;color:#0b0c0c;background:#fd0;box-shadow:0 2px 0 #0b0c0c}
.button-secondary,.button-secondary:visited,.button-secondary:hover{background:#f3f2f1;color:#0b0c0c;box-shadow:0 2px 0 #929191}
.button-secondary:hover{background:#dbdad9}
.button-warning{background:#d4351c;box-shadow:0 2px 0 #55150b}
.button-warning:hover{background:#aa2a16}
.tag{display:inline-block;padding:2px 8px;font-size:16px;font-weight:700;background:#cce2d8;color:#005a30}
.tag-red{background:#f4cdc6;color:#942514}
.panel{background:#00703c;color:#fff;padding:25px;margin:0 0 30px;text-align:center}
.panel h1{margin:0}
.error-summary{border:5px solid #d4351c;padding:20px;margin:0 0 30px}
.error-summary h2{margin-top:0}
.error-summary a{color:#d4351c;font-weight:700}
.error-message{display:block;color:#d4351c;font-weight:700;margin:0 0 15px}
.visually-hidden{position:absolute!important;width:1px!important;height:1px!important;margin:0!important;padding:0!important;overflow:hidden!important;clip:rect(0 0 0 0)!important;clip-path:inset(50%)!important;border:0!important;white-space:nowrap!important}
.table-scroll{overflow-x:auto;max-width:100%;margin:0 0 30px}
.footer{border-top:1px solid #b1b4b6;background:#f3f2f1;color:#505a5f;padding:25px 0;font-size:16px}
@media(max-width:640px){body{font-size:16px}h1{font-size:27px}h2{font-size:21px}.lead,caption{font-size:19px}th,td{padding:8px 10px 8px 0}.button{width:100%;margin-right:0}}
@media print{.skip-link,.header,.nav,.noprint{display:none}body{font-size:12pt}a{color:#0b0c0c}}
"#;

/// A page in the shared shell, built then rendered around a body: `lang="en"`, charset and
/// viewport, `<title>` as "title – service" (prefixed `Error: ` on an error page), a skip
/// link to the main content hidden until focused, the `<header>` with the service's name,
/// an optional `<nav>`, one `<main>`, an optional `<footer>` and an optional script.
///
/// ```
/// use vouch_ops::html::{escape, Page};
///
/// let html = Page::new("Right to work check", "Start")
///     .footer("Kept for two years.")
///     .render(&format!("<h1>{}</h1>", escape("Start")));
/// assert!(html.contains(r#"<main id="main">"#));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Page<'a> {
    service: &'a str,
    title: &'a str,
    error: bool,
    home: Option<&'a str>,
    badge: Option<&'a str>,
    nav: Option<(&'a str, &'a [(&'a str, &'a str)])>,
    css: &'a str,
    footer: Option<&'a str>,
    script: Option<&'a str>,
    main_id: &'a str,
}

impl<'a> Page<'a> {
    /// A page of `service` titled `title` (both plain text, escaped when rendered), its
    /// header linking the service's name to `/`, no navigation, footer or script.
    pub fn new(service: &'a str, title: &'a str) -> Self {
        Page {
            service,
            title,
            error: false,
            home: Some("/"),
            badge: None,
            nav: None,
            css: "",
            footer: None,
            script: None,
            main_id: "main",
        }
    }

    /// Marks the page as an error page (or a form shown again with errors): its title is
    /// prefixed `Error: `, the first thing a screen reader announces.
    pub fn error(mut self, error: bool) -> Self {
        self.error = error;
        self
    }

    /// Where the service's name in the header links (`None`: plain text, for a page with
    /// no home page of its own, such as the issuer's sign-in page).
    pub fn home(mut self, href: Option<&'a str>) -> Self {
        self.home = href;
        self
    }

    /// A short tag after the service's name in the header (plain text, such as `demo`).
    pub fn badge(mut self, text: &'a str) -> Self {
        self.badge = Some(text);
        self
    }

    /// A navigation landmark named `label` (for screen readers) under the header, one link
    /// per `(href, text)` (both plain text, escaped when rendered).
    pub fn nav(mut self, label: &'a str, links: &'a [(&'a str, &'a str)]) -> Self {
        self.nav = Some((label, links));
        self
    }

    /// The service's own CSS rules, after [`BASE_CSS`] (so they override it). Trusted: put
    /// in the page as it is.
    pub fn css(mut self, css: &'a str) -> Self {
        self.css = css;
        self
    }

    /// The footer's content, as HTML (trusted: put in the page as it is; escape any value
    /// with [`escape`]).
    pub fn footer(mut self, html: &'a str) -> Self {
        self.footer = Some(html);
        self
    }

    /// An inline script at the end of the body (trusted JavaScript; it must not contain
    /// `</script`). The page must work without it.
    pub fn script(mut self, js: &'a str) -> Self {
        self.script = Some(js);
        self
    }

    /// The id of the `<main>` element and the skip link's target (`main` unless set): for a
    /// service whose pages are already linked to another fragment.
    pub fn main_id(mut self, id: &'a str) -> Self {
        self.main_id = id;
        self
    }

    /// The whole page around `body`, the content of `<main>` (HTML, escaped by the caller).
    pub fn render(&self, body: &str) -> String {
        debug_assert!(
            !self.css.contains("</"),
            "CSS must not close the style element"
        );
        debug_assert!(
            !self.script.is_some_and(|s| s.contains("</script")),
            "a script must not close its element"
        );
        let service = escape(self.service);
        let main_id = escape(self.main_id);
        let name = match self.home {
            Some(href) => format!(
                r#"<a class="service" href="{}">{service}</a>"#,
                escape(href)
            ),
            None => format!(r#"<span class="service">{service}</span>"#),
        };
        let badge = self
            .badge
            .map(|b| format!(r#" <strong class="badge">{}</strong>"#, escape(b)))
            .unwrap_or_default();
        let nav = self
            .nav
            .map(|(label, links)| {
                let items: String = links
                    .iter()
                    .map(|(href, text)| {
                        format!(
                            r#"<li><a href="{}">{}</a></li>"#,
                            escape(href),
                            escape(text)
                        )
                    })
                    .collect();
                format!(
                    "<nav class=\"nav\" aria-label=\"{}\"><ul>{items}</ul></nav>\n",
                    escape(label)
                )
            })
            .unwrap_or_default();
        let footer = self
            .footer
            .map(|f| format!("<footer class=\"footer\"><div class=\"width\">{f}</div></footer>\n"))
            .unwrap_or_default();
        let script = self
            .script
            .map(|s| format!("<script>{s}</script>\n"))
            .unwrap_or_default();
        format!(
            r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{prefix}{title} – {service}</title>
<style>{BASE_CSS}{css}</style>
</head>
<body>
<a class="skip-link" href="#{main_id}">Skip to main content</a>
<header class="header"><div class="width">{name}{badge}</div></header>
<div class="width">
{nav}<main id="{main_id}">
{body}
</main>
</div>
{footer}{script}</body>
</html>"##,
            prefix = if self.error { "Error: " } else { "" },
            title = escape(self.title),
            css = self.css,
        )
    }
}

/// A GOV.UK error summary of every error on a form at once, each linked to its field
/// (`(field id, message)`), to show above the form on a page marked [`Page::error`] with
/// [`FOCUS_ERROR_SUMMARY`] as its script; empty when there are no errors.
pub fn error_summary(errors: &[(&str, &str)]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let items: String = errors
        .iter()
        .map(|(field, message)| {
            format!(
                r##"<li><a href="#{}">{}</a></li>"##,
                escape(field),
                escape(message)
            )
        })
        .collect();
    format!(
        r#"<div class="error-summary" role="alert" tabindex="-1" aria-labelledby="error-summary-title" id="error-summary"><h2 id="error-summary-title">There is a problem</h2><ul>{items}</ul></div>"#
    )
}

/// The error message of field `field` among `errors`, to show above its input (GOV.UK
/// pattern: "Error:" for screen readers); empty when the field has none.
pub fn field_error(errors: &[(&str, &str)], field: &str) -> String {
    errors
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, m)| {
            format!(
                r#"<p class="error-message" id="{}-error"><span class="visually-hidden">Error:</span> {}</p>"#,
                escape(field),
                escape(m)
            )
        })
        .unwrap_or_default()
}

/// The script that moves focus to the error summary when the page loads (GOV.UK pattern;
/// without JavaScript, the summary is still the first thing in `<main>`).
pub const FOCUS_ERROR_SUMMARY: &str =
    "(function(){var e=document.getElementById('error-summary');if(e){e.focus()}})();";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_is_summarised_and_linked_to_its_field() {
        let errors = [
            ("email", "Enter an email address"),
            ("password", "Enter a <password>"),
        ];
        let summary = error_summary(&errors);
        assert!(summary.contains(r##"<a href="#email">Enter an email address</a>"##));
        assert!(summary.contains("Enter a &lt;password&gt;"));
        assert!(summary.contains(r#"id="error-summary""#));
        assert_eq!(error_summary(&[]), "");
        assert!(field_error(&errors, "password").contains(r#"id="password-error""#));
        assert_eq!(field_error(&errors, "name"), "");
    }

    #[test]
    fn escapes_each_special_character() {
        assert_eq!(escape("&"), "&amp;");
        assert_eq!(escape("<"), "&lt;");
        assert_eq!(escape(">"), "&gt;");
        assert_eq!(escape("\""), "&quot;");
        assert_eq!(escape("'"), "&#39;");
        // `&` once, not again inside the references it makes.
        assert_eq!(escape("a&b<c>"), "a&amp;b&lt;c&gt;");
        assert_eq!(escape("&amp;"), "&amp;amp;");
        // Everything else as it is, multi-byte characters too.
        assert_eq!(escape("Zoë – “ok” 100%"), "Zoë – “ok” 100%");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn an_attribute_breaking_payload_stays_inside_its_attribute() {
        for payload in [
            r#""><script>alert(1)</script>"#,
            r#"' onmouseover='alert(1)"#,
            r#"" autofocus onfocus="alert(1)"#,
        ] {
            let e = escape(payload);
            assert!(
                !e.contains(['"', '\'', '<', '>']),
                "{payload} escaped to {e}"
            );
            let double = format!(r#"<input value="{e}">"#);
            let single = format!("<input value='{e}'>");
            // The attribute's value ends at the quote the template put, nowhere before.
            assert_eq!(double.matches('"').count(), 2, "{double}");
            assert_eq!(single.matches('\'').count(), 2, "{single}");
            assert_eq!(double.matches('>').count(), 1, "{double}");
        }
        assert_eq!(
            escape(r#""><img src=x onerror='a()'>"#),
            "&quot;&gt;&lt;img src=x onerror=&#39;a()&#39;&gt;"
        );
    }

    fn sample() -> String {
        Page::new("Right to work check", "Start")
            .footer("The footer.")
            .render("<h1>Start</h1>")
    }

    #[test]
    fn the_shell_has_one_main_a_skip_link_to_it_and_the_viewport() {
        let html = sample();
        assert!(
            html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"),
            "{html}"
        );
        assert_eq!(html.matches("<main").count(), 1, "{html}");
        assert_eq!(html.matches(r#"<main id="main">"#).count(), 1, "{html}");
        assert_eq!(html.matches("</main>").count(), 1, "{html}");
        assert!(html.contains(r#"<meta charset="utf-8">"#));
        assert!(html
            .contains(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#));
        let skip = r##"<a class="skip-link" href="#main">Skip to main content</a>"##;
        let (s, h, m) = (
            html.find(skip).expect("skip link"),
            html.find("<header").expect("header"),
            html.find("<main").expect("main"),
        );
        assert!(s < h && h < m, "skip link first, then header, then main");
        assert!(html.contains("<a class=\"service\" href=\"/\">Right to work check</a>"));
        assert!(html.contains("<footer class=\"footer\"><div class=\"width\">The footer."));
        assert!(html.contains("<h1>Start</h1>"));
        assert_eq!(html.matches("<h1").count(), 1, "the shell adds no h1");
        assert!(!html.contains("<script"), "no script unless asked");
        assert!(!html.contains("<nav"), "no navigation unless asked");
        // The skip link is hidden until focused, then shown.
        assert!(BASE_CSS.contains(".skip-link{position:absolute;width:1px;height:1px"));
        assert!(BASE_CSS.contains(".skip-link:focus{position:static;width:auto;height:auto"));
        assert!(html.contains(BASE_CSS));
    }

    #[test]
    fn an_error_page_title_starts_with_error() {
        let ok = Page::new("Vouch wallet", "Request not found").render("");
        assert!(
            ok.contains("<title>Request not found – Vouch wallet</title>"),
            "{ok}"
        );
        let err = Page::new("Vouch wallet", "Request not found")
            .error(true)
            .render("");
        assert!(
            err.contains("<title>Error: Request not found – Vouch wallet</title>"),
            "{err}"
        );
        assert_eq!(err.matches("Error: ").count(), 1);
    }

    #[test]
    fn the_shell_escapes_what_it_is_given_as_text() {
        let links = [("/a?x=1&y=2", "A & B")];
        let html = Page::new("S<1>", "T\"'")
            .badge("<b>")
            .nav("N\"", &links)
            .home(Some("/\"x"))
            .render("");
        assert!(
            html.contains("<title>T&quot;&#39; – S&lt;1&gt;</title>"),
            "{html}"
        );
        assert!(html.contains(r#"<a class="service" href="/&quot;x">S&lt;1&gt;</a>"#));
        assert!(html.contains(r#"<strong class="badge">&lt;b&gt;</strong>"#));
        assert!(html.contains(
            r#"<nav class="nav" aria-label="N&quot;"><ul><li><a href="/a?x=1&amp;y=2">A &amp; B</a></li></ul></nav>"#
        ));
        let plain = Page::new("Issuer", "Sign in").home(None).render("");
        assert!(plain.contains(r#"<span class="service">Issuer</span>"#));
    }

    #[test]
    fn another_main_id_moves_the_skip_link_with_it() {
        let html = Page::new("Register", "Register")
            .main_id("main-content")
            .render("");
        assert!(html.contains(r##"href="#main-content">Skip to main content</a>"##));
        assert_eq!(html.matches(r#"<main id="main-content">"#).count(), 1);
        assert!(!html.contains(r#"<main id="main">"#));
    }

    #[test]
    fn the_service_css_and_script_come_after_the_base() {
        let html = Page::new("S", "T")
            .css(".x{color:red}")
            .script("var a=1;")
            .render("");
        assert!(html.contains(&format!("<style>{BASE_CSS}.x{{color:red}}</style>")));
        assert!(html.contains("<script>var a=1;</script>\n</body>"));
    }

    #[test]
    fn the_base_css_reflows_to_320_pixels() {
        assert!(BASE_CSS.contains("overflow-wrap:anywhere"));
        assert!(BASE_CSS.contains("img,svg,video{max-width:100%"));
        assert!(BASE_CSS.contains("@media(max-width:640px)"));
        assert!(BASE_CSS.contains(":focus"));
        assert!(!BASE_CSS.contains("</"), "nothing closes the style element");
    }
}
