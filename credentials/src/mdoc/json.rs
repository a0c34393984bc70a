//! JSON forms of mdoc element values, for `claims.json` and reports.
//!
//! - text, integers, booleans, null, arrays and maps map directly;
//! - `{"bytes_b64": "<base64>"}` is a byte string (portrait);
//! - `{"full_date": "YYYY-MM-DD"}` is a full-date (tag 1004); a plain `"YYYY-MM-DD"` string
//!   under an element the mDL defines as full-date (`birth_date`, `issue_date`,
//!   `expiry_date`, also inside `driving_privileges`) is one too;
//! - `{"tdate": "RFC 3339"}` is a tdate (tag 0).
//!
//! Reports write byte strings as `{"bytes_b64": ...}`, full-dates as plain strings and
//! tdates as `{"tdate": ...}`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ciborium::Value;
use serde_json::{Map, Value as Json};

/// Elements the mDL defines as full-date.
const FULL_DATE_ELEMENTS: &[&str] = &[
    "birth_date",
    "issue_date",
    "expiry_date",
    "portrait_capture_date",
];

fn is_full_date(s: &str) -> bool {
    s.len() == 10
        && time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).is_ok()
}

/// Converts one element value from JSON (`name` decides plain-string full-dates).
pub fn from_json(name: &str, value: &Json) -> Result<Value, String> {
    Ok(match value {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Value::Integer(i.into()),
            (_, Some(u), _) => Value::Integer(u.into()),
            (_, _, Some(f)) => Value::Float(f),
            _ => return Err(format!("{name}: unsupported number")),
        },
        Json::String(s) if FULL_DATE_ELEMENTS.contains(&name) => {
            if !is_full_date(s) {
                return Err(format!("{name}: \"{s}\" is not a full-date (YYYY-MM-DD)"));
            }
            Value::Tag(1004, Box::new(Value::Text(s.clone())))
        }
        Json::String(s) => Value::Text(s.clone()),
        Json::Array(a) => Value::Array(
            a.iter()
                .map(|v| from_json(name, v))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(o) if o.len() == 1 && o.contains_key("bytes_b64") => {
            let s = o["bytes_b64"]
                .as_str()
                .ok_or_else(|| format!("{name}: bytes_b64 must be a string"))?;
            Value::Bytes(
                STANDARD
                    .decode(s)
                    .map_err(|_| format!("{name}: bytes_b64 is not base64"))?,
            )
        }
        Json::Object(o) if o.len() == 1 && o.contains_key("full_date") => {
            let s = o["full_date"]
                .as_str()
                .filter(|s| is_full_date(s))
                .ok_or_else(|| format!("{name}: full_date must be YYYY-MM-DD"))?;
            Value::Tag(1004, Box::new(Value::Text(s.into())))
        }
        Json::Object(o) if o.len() == 1 && o.contains_key("tdate") => {
            let s = o["tdate"]
                .as_str()
                .ok_or_else(|| format!("{name}: tdate must be a string"))?;
            super::parse_rfc3339(s).ok_or_else(|| format!("{name}: tdate must be RFC 3339"))?;
            Value::Tag(0, Box::new(Value::Text(s.into())))
        }
        Json::Object(o) => Value::Map(
            o.iter()
                .map(|(k, v)| Ok((Value::Text(k.clone()), from_json(k, v)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// `{"namespace": {"element": value}}` into namespaces of elements.
pub fn name_spaces_from_json(claims: &Json) -> Result<super::model::NameSpaces, String> {
    let obj = claims
        .as_object()
        .ok_or("claims must be a JSON object of namespaces")?;
    obj.iter()
        .map(|(ns, elements)| {
            let el = elements
                .as_object()
                .ok_or_else(|| format!("namespace {ns} must be an object of elements"))?;
            Ok((
                ns.clone(),
                el.iter()
                    .map(|(k, v)| Ok((k.clone(), from_json(k, v)?)))
                    .collect::<Result<_, String>>()?,
            ))
        })
        .collect()
}

/// Converts an element value to JSON for reports.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Integer(i) => {
            let i = i128::from(*i);
            i64::try_from(i)
                .map(Json::from)
                .unwrap_or_else(|_| Json::String(i.to_string()))
        }
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::Text(t) => Json::String(t.clone()),
        Value::Bytes(b) => Json::Object(Map::from_iter([(
            "bytes_b64".to_string(),
            Json::String(STANDARD.encode(b)),
        )])),
        Value::Tag(1004, inner) => to_json(inner),
        Value::Tag(0, inner) => {
            Json::Object(Map::from_iter([("tdate".to_string(), to_json(inner))]))
        }
        Value::Tag(t, inner) => Json::Object(Map::from_iter([
            ("tag".to_string(), Json::from(*t)),
            ("value".to_string(), to_json(inner)),
        ])),
        Value::Array(a) => Json::Array(a.iter().map(to_json).collect()),
        Value::Map(m) => Json::Object(
            m.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Value::Text(t) => t.clone(),
                        other => to_json(other).to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        _ => Json::Null,
    }
}
