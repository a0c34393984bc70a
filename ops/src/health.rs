//! `GET /healthz`: liveness and readiness in one answer. 200 with `"status": "ok"` when
//! every check passed, 503 with `"status": "unavailable"` otherwise; each check is named with
//! `ok` or a short reason (details go to the log, not to the answer).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{Map, Value};

/// What one readiness check found.
pub struct Check {
    /// Its name in the answer (`database`, `trust_snapshot`).
    pub name: &'static str,
    /// `Ok`, or why the service is not ready.
    pub result: Result<(), String>,
}

impl Check {
    /// A passed check.
    pub fn ok(name: &'static str) -> Self {
        Check {
            name,
            result: Ok(()),
        }
    }

    /// A failed check with a short reason a person can act on.
    pub fn failed(name: &'static str, why: impl Into<String>) -> Self {
        Check {
            name,
            result: Err(why.into()),
        }
    }
}

/// The `/healthz` answer of `service` from its checks, with `extra` fields (sizes, ages).
pub fn answer(service: &'static str, checks: Vec<Check>, extra: Map<String, Value>) -> Response {
    let ready = checks.iter().all(|c| c.result.is_ok());
    let mut body = Map::new();
    body.insert(
        "status".into(),
        Value::from(if ready { "ok" } else { "unavailable" }),
    );
    body.insert("service".into(), Value::from(service));
    let mut named = Map::new();
    for c in &checks {
        let v = match &c.result {
            Ok(()) => "ok".to_string(),
            Err(e) => {
                tracing::warn!(service, check = c.name, reason = %e, "not ready");
                e.clone()
            }
        };
        named.insert(c.name.into(), Value::from(v));
    }
    body.insert("checks".into(), Value::Object(named));
    body.extend(extra);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(Value::Object(body))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failed_check_is_503_and_named() {
        let r = answer(
            "unit",
            vec![
                Check::ok("trust_snapshot"),
                Check::failed("database", "unreachable"),
            ],
            Map::new(),
        );
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        let b = axum::body::to_bytes(r.into_body(), 4096).await.unwrap();
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["status"], "unavailable");
        assert_eq!(v["checks"]["database"], "unreachable");
        assert_eq!(v["checks"]["trust_snapshot"], "ok");
    }

    #[tokio::test]
    async fn all_passed_is_200_ok() {
        let mut extra = Map::new();
        extra.insert("log_size".into(), 3.into());
        let r = answer("unit", vec![Check::ok("database")], extra);
        assert_eq!(r.status(), StatusCode::OK);
        let b = axum::body::to_bytes(r.into_body(), 4096).await.unwrap();
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["status"], "ok");
        assert_eq!(v["log_size"], 3);
    }
}
