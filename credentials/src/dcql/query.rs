//! The DCQL query (OpenID4VP 1.0 section 6) and its validation.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::ClaimsPath;

/// An invalid DCQL query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid DCQL query: {0}")]
pub struct DcqlError(pub String);

fn err<T>(m: impl Into<String>) -> Result<T, DcqlError> {
    Err(DcqlError(m.into()))
}

/// A claims query.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimsQuery {
    /// `id` (required when `claim_sets` is used).
    pub id: Option<String>,
    /// `path`.
    pub path: ClaimsPath,
    /// `values`: the claim must equal one of these.
    pub values: Option<Vec<Value>>,
    /// `intent_to_retain` (mdoc).
    pub intent_to_retain: Option<bool>,
}

/// `meta`: format-specific constraints.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Meta {
    /// `vct_values` (SD-JWT VC).
    pub vct_values: Option<Vec<String>>,
    /// `doctype_value` (mdoc).
    pub doctype_value: Option<String>,
    /// `type_values` (W3C VC).
    pub type_values: Option<Vec<Vec<String>>>,
}

/// A credential query.
#[derive(Clone, Debug, PartialEq)]
pub struct CredentialQuery {
    /// `id`.
    pub id: String,
    /// `format` (`dc+sd-jwt`, `mso_mdoc`, ...).
    pub format: String,
    /// `multiple`: more than one credential may answer.
    pub multiple: bool,
    /// `meta`.
    pub meta: Meta,
    /// `claims`; `None` asks for no selectively disclosable claim.
    pub claims: Option<Vec<ClaimsQuery>>,
    /// `claim_sets`: alternatives of claim ids, most preferred first.
    pub claim_sets: Option<Vec<Vec<String>>>,
    /// `require_cryptographic_holder_binding` (default true).
    pub require_cryptographic_holder_binding: bool,
    /// `trusted_authorities`, as received.
    pub trusted_authorities: Option<Value>,
}

/// A credential set query.
#[derive(Clone, Debug, PartialEq)]
pub struct CredentialSetQuery {
    /// `options`: each a list of credential query ids that together satisfy the set.
    pub options: Vec<Vec<String>>,
    /// `required` (default true).
    pub required: bool,
}

/// A DCQL query.
#[derive(Clone, Debug, PartialEq)]
pub struct DcqlQuery {
    /// `credentials`.
    pub credentials: Vec<CredentialQuery>,
    /// `credential_sets`.
    pub credential_sets: Option<Vec<CredentialSetQuery>>,
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn strings(v: &Value, what: &str) -> Result<Vec<String>, DcqlError> {
    v.as_array()
        .filter(|a| !a.is_empty())
        .and_then(|a| {
            a.iter()
                .map(|s| s.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        })
        .map_or_else(
            || err(format!("{what} must be a non-empty array of strings")),
            Ok,
        )
}

fn object<'v>(v: &'v Value, what: &str) -> Result<&'v Map<String, Value>, DcqlError> {
    v.as_object()
        .map_or_else(|| err(format!("{what} must be an object")), Ok)
}

impl DcqlQuery {
    /// Parses and validates a DCQL query.
    pub fn from_json(value: &Value) -> Result<Self, DcqlError> {
        let obj = object(value, "the query")?;
        let creds = obj
            .get("credentials")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
            .map_or_else(|| err("credentials must be a non-empty array"), Ok)?;
        let credentials = creds
            .iter()
            .map(CredentialQuery::from_json)
            .collect::<Result<Vec<_>, _>>()?;
        let mut ids = BTreeSet::new();
        for c in &credentials {
            if !ids.insert(c.id.as_str()) {
                return err(format!("credential query id \"{}\" is used twice", c.id));
            }
        }
        let credential_sets = match obj.get("credential_sets") {
            None => None,
            Some(v) => {
                let sets = v
                    .as_array()
                    .filter(|a| !a.is_empty())
                    .map_or_else(|| err("credential_sets must be a non-empty array"), Ok)?;
                let mut out = Vec::new();
                for s in sets {
                    let so = object(s, "a credential set")?;
                    let options = so
                        .get("options")
                        .and_then(Value::as_array)
                        .filter(|a| !a.is_empty())
                        .map_or_else(|| err("a credential set needs non-empty options"), Ok)?
                        .iter()
                        .map(|o| strings(o, "a credential set option"))
                        .collect::<Result<Vec<_>, _>>()?;
                    for id in options.iter().flatten() {
                        if !ids.contains(id.as_str()) {
                            return err(format!(
                                "credential set option names unknown credential query \"{id}\""
                            ));
                        }
                    }
                    let required = match so.get("required") {
                        None => true,
                        Some(Value::Bool(b)) => *b,
                        Some(_) => return err("required must be a boolean"),
                    };
                    out.push(CredentialSetQuery { options, required });
                }
                Some(out)
            }
        };
        Ok(DcqlQuery {
            credentials,
            credential_sets,
        })
    }

    /// The query as JSON.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert(
            "credentials".into(),
            Value::Array(
                self.credentials
                    .iter()
                    .map(CredentialQuery::to_json)
                    .collect(),
            ),
        );
        if let Some(sets) = &self.credential_sets {
            m.insert(
                "credential_sets".into(),
                Value::Array(
                    sets.iter()
                        .map(|s| serde_json::json!({"options": s.options, "required": s.required}))
                        .collect(),
                ),
            );
        }
        Value::Object(m)
    }

    /// The credential query with `id`.
    pub fn credential(&self, id: &str) -> Option<&CredentialQuery> {
        self.credentials.iter().find(|c| c.id == id)
    }
}

impl CredentialQuery {
    fn from_json(value: &Value) -> Result<Self, DcqlError> {
        let o = object(value, "a credential query")?;
        let id = o
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if !valid_id(&id) {
            return err(format!(
                "credential query id \"{id}\" must be non-empty [A-Za-z0-9_-]"
            ));
        }
        let format = o
            .get("format")
            .and_then(Value::as_str)
            .map_or_else(|| err(format!("credential query {id} has no format")), Ok)?
            .to_string();
        let multiple = match o.get("multiple") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return err("multiple must be a boolean"),
        };
        let meta_obj = match o.get("meta") {
            Some(m) => object(m, "meta")?.clone(),
            None => return err(format!("credential query {id} has no meta")),
        };
        let meta = Meta {
            vct_values: meta_obj
                .get("vct_values")
                .map(|v| strings(v, "vct_values"))
                .transpose()?,
            doctype_value: match meta_obj.get("doctype_value") {
                None => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return err("doctype_value must be a string"),
            },
            type_values: meta_obj
                .get("type_values")
                .map(|v| {
                    v.as_array()
                        .map_or_else(|| err("type_values must be an array"), Ok)?
                        .iter()
                        .map(|t| strings(t, "a type_values entry"))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?,
        };
        // B.2.3 / B.3.5: the format's type constraint is required.
        match format.as_str() {
            "mso_mdoc" if meta.doctype_value.is_none() => {
                return err(format!("mso_mdoc query {id} needs meta.doctype_value"))
            }
            "dc+sd-jwt" if meta.vct_values.is_none() => {
                return err(format!("dc+sd-jwt query {id} needs meta.vct_values"))
            }
            _ => {}
        }
        let claims = match o.get("claims") {
            None => None,
            Some(v) => {
                let list = v.as_array().filter(|a| !a.is_empty()).map_or_else(
                    || err(format!("claims of {id} must be a non-empty array")),
                    Ok,
                )?;
                Some(
                    list.iter()
                        .map(|c| ClaimsQuery::from_json(c, &format))
                        .collect::<Result<Vec<_>, _>>()?,
                )
            }
        };
        let mut claim_ids = BTreeSet::new();
        for c in claims.iter().flatten() {
            if let Some(cid) = &c.id {
                if !claim_ids.insert(cid.clone()) {
                    return err(format!("claim id \"{cid}\" is used twice in {id}"));
                }
            }
        }
        let claim_sets = match o.get("claim_sets") {
            None => None,
            Some(v) => {
                if claims.is_none() {
                    return err(format!("claim_sets of {id} need claims"));
                }
                let sets = v
                    .as_array()
                    .filter(|a| !a.is_empty())
                    .map_or_else(|| err("claim_sets must be a non-empty array"), Ok)?
                    .iter()
                    .map(|s| strings(s, "a claim set"))
                    .collect::<Result<Vec<_>, _>>()?;
                for cid in sets.iter().flatten() {
                    if !claim_ids.contains(cid) {
                        return err(format!(
                            "claim set of {id} names unknown claim id \"{cid}\""
                        ));
                    }
                }
                Some(sets)
            }
        };
        let require_cryptographic_holder_binding =
            match o.get("require_cryptographic_holder_binding") {
                None => true,
                Some(Value::Bool(b)) => *b,
                Some(_) => return err("require_cryptographic_holder_binding must be a boolean"),
            };
        Ok(CredentialQuery {
            id,
            format,
            multiple,
            meta,
            claims,
            claim_sets,
            require_cryptographic_holder_binding,
            trusted_authorities: match o.get("trusted_authorities") {
                None => None,
                Some(t) => {
                    let list = t
                        .as_array()
                        .filter(|a| !a.is_empty())
                        .map_or_else(|| err("trusted_authorities must be a non-empty array"), Ok)?;
                    for ta in list {
                        let ok = ta
                            .get("type")
                            .and_then(Value::as_str)
                            .is_some_and(|t| !t.is_empty())
                            && ta
                                .get("values")
                                .is_some_and(|v| strings(v, "values").is_ok());
                        if !ok {
                            return err(
                                "a trusted authority needs a type and non-empty string values",
                            );
                        }
                    }
                    Some(t.clone())
                }
            },
        })
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.clone().into());
        m.insert("format".into(), self.format.clone().into());
        if self.multiple {
            m.insert("multiple".into(), true.into());
        }
        let mut meta = Map::new();
        if let Some(v) = &self.meta.vct_values {
            meta.insert("vct_values".into(), serde_json::json!(v));
        }
        if let Some(d) = &self.meta.doctype_value {
            meta.insert("doctype_value".into(), d.clone().into());
        }
        if let Some(t) = &self.meta.type_values {
            meta.insert("type_values".into(), serde_json::json!(t));
        }
        m.insert("meta".into(), Value::Object(meta));
        if let Some(claims) = &self.claims {
            m.insert(
                "claims".into(),
                Value::Array(
                    claims
                        .iter()
                        .map(|c| {
                            let mut cm = Map::new();
                            if let Some(id) = &c.id {
                                cm.insert("id".into(), id.clone().into());
                            }
                            cm.insert("path".into(), c.path.to_json());
                            if let Some(v) = &c.values {
                                cm.insert("values".into(), Value::Array(v.clone()));
                            }
                            if let Some(r) = c.intent_to_retain {
                                cm.insert("intent_to_retain".into(), r.into());
                            }
                            Value::Object(cm)
                        })
                        .collect(),
                ),
            );
        }
        if let Some(sets) = &self.claim_sets {
            m.insert("claim_sets".into(), serde_json::json!(sets));
        }
        if !self.require_cryptographic_holder_binding {
            m.insert("require_cryptographic_holder_binding".into(), false.into());
        }
        if let Some(t) = &self.trusted_authorities {
            m.insert("trusted_authorities".into(), t.clone());
        }
        Value::Object(m)
    }
}

impl ClaimsQuery {
    fn from_json(value: &Value, format: &str) -> Result<Self, DcqlError> {
        let o = object(value, "a claims query")?;
        let id = match o.get("id") {
            None => None,
            Some(Value::String(s)) if valid_id(s) => Some(s.clone()),
            Some(_) => return err("a claim id must be a non-empty [A-Za-z0-9_-] string"),
        };
        let path = o
            .get("path")
            .and_then(ClaimsPath::from_json)
            .map_or_else(|| err("a claims path must be a non-empty array of strings, non-negative integers and nulls"), Ok)?;
        if format == "mso_mdoc"
            && (path.0.len() != 2
                || !path
                    .0
                    .iter()
                    .all(|e| matches!(e, super::PathElement::Key(_))))
        {
            return err("an mdoc claims path is [namespace, element]");
        }
        let values = match o.get("values") {
            None => None,
            Some(Value::Array(a)) if !a.is_empty() => {
                if a.iter()
                    .any(|v| !(v.is_string() || v.is_i64() || v.is_u64() || v.is_boolean()))
                {
                    return err("values must be strings, integers or booleans");
                }
                Some(a.clone())
            }
            Some(_) => return err("values must be a non-empty array"),
        };
        let intent_to_retain = match o.get("intent_to_retain") {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => return err("intent_to_retain must be a boolean"),
        };
        Ok(ClaimsQuery {
            id,
            path,
            values,
            intent_to_retain,
        })
    }
}
