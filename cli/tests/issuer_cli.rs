//! `vouch issuer serve` as a process: an offer made with `vouch issuer offer`, the
//! pre-authorized flow over TCP, and the credentials accepted by `vouch sd-jwt verify` and
//! `vouch mdoc verify`; `--print-registration` gives a body the trust register parses.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use credentials::keys::{Algorithm, Signer, SoftwareSigner};
use credentials::mdoc::{
    device_response, present_document, DeviceKeyAuth, IssuerSigned, Selection, SessionTranscript,
};
use credentials::sd_jwt::{present, KeyBindingJwt, SdAlg, SdJwt};
use issuer::wallet::{Transport, Wallet};
use serde_json::{json, Value};

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn vouch() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vouch"))
}

fn serve(dir: &Path) -> Server {
    // A port below 32768 (the kernel hands out the ones above).
    let listen = format!("127.0.0.1:{}", vouch_ops::loopback::free_ports(1));
    let mut child = vouch()
        .args([
            "issuer",
            "serve",
            "--listen",
            &listen,
            "--status-list-size",
            "4096",
            "--database-url",
        ])
        .arg(format!("sqlite://{}", dir.join("issuer.db").display()))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();
    Server { child, addr }
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn attributes() -> Value {
    let rtw: Value = serde_json::from_str(include_str!(
        "../../specs/examples/right-to-work.claims.json"
    ))
    .unwrap();
    json!({
        "given_name": "Ada", "family_name": "Lovelace", "birthdate": "1990-12-10",
        "nationalities": ["GB"], "portrait": rtw["portrait"], "document": rtw["document"],
        "driving_privileges": []
    })
}

#[test]
fn served_issuer_issues_credentials_that_vouch_verify_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = serve(d);
    let url = format!("http://{}", server.addr);
    std::fs::write(d.join("attrs.json"), attributes().to_string()).unwrap();
    let (code, out, err) = run(vouch()
        .args(["issuer", "offer", "--url", &url, "--token-file"])
        .arg(d.join("data/admin.token"))
        .args([
            "--subject",
            "cli-1",
            "--gpg45-profile",
            "M1B",
            "--config",
            "pid_sd_jwt",
            "--config",
            "mdl_mdoc",
            "--no-tx-code",
            "--attributes",
        ])
        .arg(d.join("attrs.json")));
    assert_eq!(code, 0, "{err}");
    let offer: Value = serde_json::from_str(&out).unwrap();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let holder = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
    let (sd, mdl, jwks) = rt.block_on(async {
        let w = Wallet::new(Transport::Tcp(server.addr.clone()), &url);
        let o = w
            .resolve_offer(offer["offer_url"].as_str().unwrap())
            .await
            .unwrap();
        let code = o["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
            ["pre-authorized_code"]
            .as_str()
            .unwrap();
        let token = w.token_pre_authorized(code, None).await.unwrap();
        let sd = w
            .issue(&token, "pid_sd_jwt", &[&holder])
            .await
            .unwrap()
            .remove(0);
        let mdl = w
            .issue(&token, "mdl_mdoc", &[&holder])
            .await
            .unwrap()
            .remove(0);
        let jwks = w
            .get_json(&format!("{url}/.well-known/jwt-vc-issuer"))
            .await
            .unwrap();
        (sd, mdl, jwks)
    });

    // SD-JWT VC: a presentation with a KB-JWT, checked by `vouch sd-jwt verify`
    std::fs::write(
        d.join("issuer.pub.jwk"),
        jwks["jwks"]["keys"][0].to_string(),
    )
    .unwrap();
    let shown = present(&SdJwt::parse(&sd).unwrap(), &["/given_name"]).unwrap();
    let kb = KeyBindingJwt::attach(
        shown,
        &holder,
        "https://rp.example",
        "n-1",
        issuer::util::now(),
        SdAlg::Sha256,
    )
    .unwrap();
    std::fs::write(d.join("presentation.txt"), kb.to_compact()).unwrap();
    let (code, out, err) = run(vouch()
        .args([
            "sd-jwt",
            "verify",
            "--aud",
            "https://rp.example",
            "--nonce",
            "n-1",
            "--require-kb",
            "--issuer-key",
        ])
        .arg(d.join("issuer.pub.jwk"))
        .stdin(std::fs::File::open(d.join("presentation.txt")).unwrap()));
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["claims"]["given_name"], "Ada");

    // mdoc: a DeviceResponse signed by the device key, checked by `vouch mdoc verify`
    let iaca = rt.block_on(Transport::Tcp(server.addr.clone()).send(
        "GET",
        &format!("{url}/iaca.pem"),
        &[],
        vec![],
    ));
    std::fs::write(d.join("iaca.pem"), &iaca.body).unwrap();
    let transcript =
        SessionTranscript::openid4vp("x509_hash:abc", "n-2", None, "https://rp.example/post");
    std::fs::write(d.join("transcript.cbor"), transcript.raw()).unwrap();
    let issued = IssuerSigned::from_cbor(&credentials::b64::decode(&mdl).unwrap()).unwrap();
    let elements = vec![("org.iso.18013.5.1".to_string(), "family_name".to_string())];
    let doc = present_document(
        &issued,
        &Selection::Elements(&elements),
        &|_, _| true,
        &DeviceKeyAuth::Signature(&holder),
        &transcript,
    )
    .unwrap();
    std::fs::write(d.join("response.cbor"), device_response(&[doc])).unwrap();
    let (code, out, err) = run(vouch()
        .args(["mdoc", "verify", "--iaca"])
        .arg(d.join("iaca.pem"))
        .arg("--transcript")
        .arg(d.join("transcript.cbor"))
        .stdin(std::fs::File::open(d.join("response.cbor")).unwrap()));
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["doctype"], "org.iso.18013.5.1.mDL");
    assert!(holder.public_key().as_bytes().len() == 65);
}

#[test]
fn print_registration_gives_a_service_and_anchors_the_register_understands() {
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", vouch_ops::loopback::free_ports(1));
    let (code, out, err) = run(vouch()
        .args([
            "issuer",
            "serve",
            "--listen",
            &listen,
            "--issuer-url",
            "https://idp.example/issuer",
            "--name",
            "Example IDSP",
            "--print-registration",
            "--database-url",
        ])
        .arg(format!(
            "sqlite://{}",
            dir.path().join("issuer.db").display()
        ))
        .arg("--data-dir")
        .arg(dir.path().join("data")));
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["path"], "/events/entry.registered");
    let body = &v["request"]["body"];
    let service: trust_framework::model::Service =
        serde_json::from_value(body["service"].clone()).unwrap();
    assert_eq!(service.url.as_deref(), Some("https://idp.example/issuer"));
    assert!(service
        .credential_types
        .contains(&"urn:vouch:uk:right-to-work:1".to_string()));
    assert!(service
        .credential_types
        .contains(&"org.iso.18013.5.1.mDL".to_string()));
    let anchors: Vec<trust_framework::model::TrustAnchor> =
        serde_json::from_value(body["anchors"].clone()).unwrap();
    assert!(anchors.iter().any(|a| matches!(&a.key, trust_framework::model::AnchorKey::IssKey { iss, .. } if iss == "https://idp.example/issuer")));
    assert!(anchors
        .iter()
        .any(|a| matches!(a.key, trust_framework::model::AnchorKey::Iaca { .. })));
    // the admin token was made but not printed
    let token = std::fs::read_to_string(dir.path().join("data/admin.token")).unwrap();
    assert!(!out.contains(token.trim()));
}
