//! Claims path pointers (OpenID4VP 1.0 section 7): a path of keys, array indices and
//! `null` (every element of an array), evaluated over JSON claims.

use serde_json::Value;

/// One element of a claims path.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathElement {
    /// An object key.
    Key(String),
    /// An array index.
    Index(usize),
    /// Every element of an array (`null`).
    All,
}

/// A claims path pointer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClaimsPath(pub Vec<PathElement>);

impl ClaimsPath {
    /// Parses a JSON array of strings, non-negative integers and nulls (non-empty).
    pub fn from_json(value: &Value) -> Option<Self> {
        let items = value.as_array().filter(|a| !a.is_empty())?;
        items
            .iter()
            .map(|v| match v {
                Value::String(s) => Some(PathElement::Key(s.clone())),
                Value::Null => Some(PathElement::All),
                Value::Number(n) => n
                    .as_u64()
                    .and_then(|i| usize::try_from(i).ok())
                    .map(PathElement::Index),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(ClaimsPath)
    }

    /// The path as JSON.
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.0
                .iter()
                .map(|e| match e {
                    PathElement::Key(k) => Value::String(k.clone()),
                    PathElement::Index(i) => Value::from(*i),
                    PathElement::All => Value::Null,
                })
                .collect(),
        )
    }

    /// Every concrete path (keys and indices only) this pointer selects in `claims`, with
    /// the value there; empty when it selects nothing (section 7.1: a step that meets the
    /// wrong type selects nothing).
    pub fn select<'v>(&self, claims: &'v Value) -> Vec<(Vec<PathElement>, &'v Value)> {
        let mut current: Vec<(Vec<PathElement>, &'v Value)> = vec![(Vec::new(), claims)];
        for step in &self.0 {
            let mut next = Vec::new();
            for (path, value) in current {
                match (step, value) {
                    (PathElement::Key(k), Value::Object(m)) => {
                        if let Some(v) = m.get(k) {
                            next.push((extend(&path, PathElement::Key(k.clone())), v));
                        }
                    }
                    (PathElement::Index(i), Value::Array(a)) => {
                        if let Some(v) = a.get(*i) {
                            next.push((extend(&path, PathElement::Index(*i)), v));
                        }
                    }
                    (PathElement::All, Value::Array(a)) => {
                        for (i, v) in a.iter().enumerate() {
                            next.push((extend(&path, PathElement::Index(i)), v));
                        }
                    }
                    _ => return Vec::new(),
                }
            }
            current = next;
        }
        current
    }

    /// The same pointer as a verifier applies it to disclosed claims: an array index
    /// matches any element, because selective disclosure removes the undisclosed elements
    /// and shifts the others.
    pub fn for_presented(&self) -> ClaimsPath {
        ClaimsPath(
            self.0
                .iter()
                .map(|e| {
                    if let PathElement::Index(_) = e {
                        PathElement::All
                    } else {
                        e.clone()
                    }
                })
                .collect(),
        )
    }

    /// An RFC 6901 JSON Pointer for a concrete path (keys and indices only).
    pub fn to_json_pointer(concrete: &[PathElement]) -> String {
        concrete
            .iter()
            .map(|e| match e {
                PathElement::Key(k) => format!("/{}", k.replace('~', "~0").replace('/', "~1")),
                PathElement::Index(i) => format!("/{i}"),
                PathElement::All => "/-".to_string(),
            })
            .collect()
    }
}

fn extend(path: &[PathElement], e: PathElement) -> Vec<PathElement> {
    let mut p = path.to_vec();
    p.push(e);
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selects_keys_indices_and_wildcards_as_section_7_says() {
        let claims = json!({"name": "Arthur", "degrees": [{"type": "BSc"}, {"type": "MSc"}], "nationalities": ["GB", "IE"]});
        let p = ClaimsPath::from_json(&json!(["degrees", null, "type"])).unwrap();
        let got: Vec<_> = p
            .select(&claims)
            .into_iter()
            .map(|(_, v)| v.clone())
            .collect();
        assert_eq!(got, vec![json!("BSc"), json!("MSc")]);
        let p = ClaimsPath::from_json(&json!(["nationalities", 1])).unwrap();
        assert_eq!(p.select(&claims)[0].1, &json!("IE"));
        assert_eq!(
            ClaimsPath::to_json_pointer(&p.select(&claims)[0].0),
            "/nationalities/1"
        );
        // A key step over an array, or a wildcard over an object, selects nothing.
        assert!(ClaimsPath::from_json(&json!(["degrees", "type"]))
            .unwrap()
            .select(&claims)
            .is_empty());
        assert!(ClaimsPath::from_json(&json!(["name", null]))
            .unwrap()
            .select(&claims)
            .is_empty());
    }

    #[test]
    fn rejects_empty_negative_and_non_scalar_paths() {
        for bad in [
            json!([]),
            json!(["a", -1]),
            json!(["a", {}]),
            json!(["a", 1.5]),
            json!("a"),
        ] {
            assert!(ClaimsPath::from_json(&bad).is_none(), "{bad}");
        }
    }
}
