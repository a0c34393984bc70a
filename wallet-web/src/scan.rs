//! Scanning a QR code with the camera, as a person adds a credential or answers a request
//! on a phone: the home page's "Scan a QR code" buttons (hidden until the script finds a
//! camera API, so the page works without JavaScript and pasting stays) and the two scripts
//! the wallet serves itself: its scanner (`assets/scan.js`: the browser's `BarcodeDetector`
//! where there is one) and jsQR 1.4.0, the maintained decoder it falls back to
//! (`assets/vendor/jsqr-1.4.0`, unchanged from npm, Apache-2.0).

use axum::http::header;
use axum::response::IntoResponse;

/// The scanner script.
pub const SCAN_JS: &str = include_str!("../assets/scan.js");

/// jsQR 1.4.0, as published.
pub const JSQR_JS: &str = include_str!("../assets/vendor/jsqr-1.4.0/jsQR.js");

fn script(body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}

/// `GET /assets/scan.js`.
pub async fn scan_js() -> impl IntoResponse {
    script(SCAN_JS)
}

/// `GET /assets/jsQR.js`.
pub async fn jsqr_js() -> impl IntoResponse {
    script(JSQR_JS)
}

/// The scan button and camera view for the form whose field is `field` (`offer` or
/// `request`); the script that drives them is loaded once per page by [`SCRIPT_TAG`].
pub fn controls(field: &str) -> String {
    format!(
        r#"<p><button type="button" class="button button-secondary" data-scan aria-controls="scan-{field}" aria-expanded="false" hidden>Scan a QR code</button></p>
<p class="hint" role="status" id="scan-{field}-status"></p>
<div class="scanner" id="scan-{field}" hidden><video playsinline muted aria-label="What the camera sees"></video>
<p><button type="button" class="button button-secondary" data-scan-stop>Stop scanning</button></p></div>"#
    )
}

/// Loads the scanner.
pub const SCRIPT_TAG: &str = r#"<script src="/assets/scan.js" defer></script>"#;

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn the_vendored_qr_decoder_is_the_published_file() {
        let digest: String = Sha256::digest(JSQR_JS.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            digest,
            "bc40c8a15196236b2314db0856f72ca0b49980cd5413b8c852a7349f5fee0859"
        );
    }

    #[test]
    fn the_buttons_stay_hidden_without_the_script() {
        let html = controls("offer");
        assert!(
            html.contains(r#"data-scan aria-controls="scan-offer" aria-expanded="false" hidden"#)
        );
        assert!(html.contains(r#"id="scan-offer" hidden"#));
    }
}
