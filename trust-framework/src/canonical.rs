//! Canonical JSON: the exact bytes a log leaf commits to.
//!
//! Object keys sorted by their UTF-8 bytes, no insignificant whitespace, strings escaped as
//! serde_json escapes them. Every value Vouch logs is built from strings, integers, booleans,
//! arrays and objects, so this coincides with RFC 8785 (JCS) for our events.

use serde::Serialize;
use serde_json::Value;

/// The canonical bytes of any serializable value.
pub fn to_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let value = serde_json::to_value(value)?;
    let mut out = String::new();
    write(&value, &mut out);
    Ok(out.into_bytes())
}

/// Whether `bytes` are exactly the canonical form of the JSON they contain.
pub fn is_canonical(bytes: &[u8]) -> bool {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => {
            let mut out = String::new();
            write(&v, &mut out);
            out.as_bytes() == bytes
        }
        Err(_) => false,
    }
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_recursively_without_whitespace() {
        let v = json!({"b": 1, "a": {"d": [true, null, "x\n"], "c": "é"}});
        let bytes = to_bytes(&v).unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "{\"a\":{\"c\":\"é\",\"d\":[true,null,\"x\\n\"]},\"b\":1}"
        );
        assert!(is_canonical(&bytes));
        assert!(!is_canonical(br#"{"b":1, "a":2}"#));
    }
}
