//! The OpenAPI document (specs/openapi/registry.yaml) describes the API that is served.

use trust_framework::events::EVENT_TYPES;

fn spec() -> serde_yaml::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../specs/openapi/registry.yaml"
    );
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn documents_one_post_per_writable_event_type() {
    let spec = spec();
    assert_eq!(spec["openapi"].as_str(), Some("3.1.0"));
    for t in EVENT_TYPES.iter().filter(|t| !t.starts_with("log.")) {
        let op = &spec["paths"][format!("/events/{t}").as_str()]["post"];
        assert!(op.is_mapping(), "no POST /events/{t}");
        assert!(op["responses"]["201"].is_mapping());
        assert!(op["responses"]["409"].is_mapping());
    }
}

#[test]
fn documents_every_read_route() {
    let spec = spec();
    for p in [
        "/healthz",
        "/entries",
        "/entries/{entry_id}",
        "/entries/{entry_id}/history",
        "/relying-parties",
        "/relying-parties/{id}",
        "/relying-parties/{id}/registration-certificate",
        "/registrar/status",
        "/snapshot",
        "/vical",
        "/keys",
        "/log/checkpoint",
        "/log/checkpoints",
        "/log/entries/{index}",
        "/log/proof/inclusion",
        "/log/proof/consistency",
    ] {
        assert!(spec["paths"][p]["get"].is_mapping(), "no GET {p}");
    }
}
