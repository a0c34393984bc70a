//! Issuing an SD-JWT (RFC 9901 section 4): Disclosures for the chosen claims, recursively,
//! decoy digests, and the issuer's signature.

use serde_json::{Map, Value};

use super::{Disclosure, SdAlg, SdJwt, SdJwtError, ELLIPSIS, SD, SD_ALG};
use crate::jose::{sign_compact, CompactJws, JsonJws};
use crate::keys::Signer;

/// Which claims become selectively disclosable.
#[derive(Clone, Debug, Default)]
pub struct DisclosureFrame {
    pointers: Vec<Vec<String>>,
    all: bool,
    decoys: usize,
}

impl DisclosureFrame {
    /// No claim is selectively disclosable.
    pub fn none() -> Self {
        Self::default()
    }

    /// Every object property and array element, recursively.
    pub fn all() -> Self {
        DisclosureFrame {
            all: true,
            ..Self::default()
        }
    }

    /// Adds a JSON Pointer (RFC 6901) to a claim to make selectively disclosable.
    pub fn pointer(mut self, pointer: &str) -> Result<Self, SdJwtError> {
        self.pointers.push(parse_pointer(pointer)?);
        Ok(self)
    }

    /// Adds `n` decoy digests to every `_sd` array.
    pub fn decoys(mut self, n: usize) -> Self {
        self.decoys = n;
        self
    }

    fn selects(&self, path: &[String]) -> bool {
        self.all || self.pointers.iter().any(|p| p == path)
    }
}

/// Parses an RFC 6901 JSON Pointer into its unescaped reference tokens; `""` is the root.
pub(crate) fn parse_pointer(pointer: &str) -> Result<Vec<String>, SdJwtError> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(SdJwtError::Issue(format!(
            "\"{pointer}\" is not a JSON Pointer (it must start with '/')"
        )));
    };
    rest.split('/')
        .map(|t| {
            if t.contains('~') && t.replace("~0", "").replace("~1", "").contains('~') {
                Err(SdJwtError::Issue(format!(
                    "\"{pointer}\" has an invalid '~' escape"
                )))
            } else {
                Ok(t.replace("~1", "/").replace("~0", "~"))
            }
        })
        .collect()
}

/// Signs SD-JWTs with one key.
pub struct SdJwtIssuer<'a> {
    signer: &'a dyn Signer,
    header: Map<String, Value>,
    sd_alg: SdAlg,
}

impl<'a> SdJwtIssuer<'a> {
    /// An issuer signing with `signer`; the header gets `alg` from the signer and `typ`
    /// from [`SdJwtIssuer::typ`].
    pub fn new(signer: &'a dyn Signer) -> Self {
        SdJwtIssuer {
            signer,
            header: Map::new(),
            sd_alg: SdAlg::default(),
        }
    }

    /// Sets the header `typ` (`dc+sd-jwt` for SD-JWT VC).
    pub fn typ(mut self, typ: &str) -> Self {
        self.header.insert("typ".into(), typ.into());
        self
    }

    /// Sets any other protected header parameter (`kid`, `x5c`, ...).
    pub fn header_param(mut self, name: &str, value: Value) -> Self {
        self.header.insert(name.into(), value);
        self
    }

    /// Sets the digest algorithm.
    pub fn sd_alg(mut self, alg: SdAlg) -> Self {
        self.sd_alg = alg;
        self
    }

    /// Issues `claims` with the `frame`'s claims made selectively disclosable; `plain`
    /// claims (iss, iat, vct, cnf, ...) are added to the payload as they are.
    pub fn issue(
        &self,
        claims: &Map<String, Value>,
        frame: &DisclosureFrame,
        plain: &Map<String, Value>,
    ) -> Result<SdJwt, SdJwtError> {
        let (payload, disclosures) = self.payload(claims, frame, plain)?;
        let jws = sign_compact(&self.header, &payload, self.signer)
            .map_err(|e| SdJwtError::Issue(e.to_string()))?;
        let jws = CompactJws::parse(&jws).map_err(SdJwtError::IssuerJws)?;
        Ok(SdJwt::from_parts(jws, disclosures, None))
    }

    /// Issues in the JWS JSON serialization (flattened, RFC 9901 section 8).
    pub fn issue_json(
        &self,
        claims: &Map<String, Value>,
        frame: &DisclosureFrame,
        plain: &Map<String, Value>,
    ) -> Result<SdJwt, SdJwtError> {
        let (payload, disclosures) = self.payload(claims, frame, plain)?;
        let json = JsonJws::sign_flattened(&self.header, Map::new(), &payload, self.signer)
            .map_err(|e| SdJwtError::Issue(e.to_string()))?;
        let jws = CompactJws::parse(&json.compact(0).unwrap_or_default())
            .map_err(SdJwtError::IssuerJws)?;
        Ok(SdJwt::from_parts(jws, disclosures, Some(json)))
    }

    fn payload(
        &self,
        claims: &Map<String, Value>,
        frame: &DisclosureFrame,
        plain: &Map<String, Value>,
    ) -> Result<(Vec<u8>, Vec<Disclosure>), SdJwtError> {
        for p in &frame.pointers {
            if p.is_empty() || lookup(claims, p).is_none() {
                return Err(SdJwtError::Issue(format!("no claim at /{}", p.join("/"))));
            }
        }
        let mut disclosures = Vec::new();
        let mut path = Vec::new();
        let Value::Object(mut payload) = self.conceal(
            &Value::Object(claims.clone()),
            &mut path,
            frame,
            &mut disclosures,
        )?
        else {
            unreachable!("an object stays an object")
        };
        for (k, v) in plain {
            if payload.contains_key(k) || k == SD || k == SD_ALG {
                return Err(SdJwtError::Issue(format!(
                    "the claim \"{k}\" is given twice"
                )));
            }
            payload.insert(k.clone(), v.clone());
        }
        payload.insert(SD_ALG.into(), self.sd_alg.name().into());
        let bytes = serde_json::to_vec(&Value::Object(payload)).expect("a JSON map serializes");
        Ok((bytes, disclosures))
    }

    fn conceal(
        &self,
        value: &Value,
        path: &mut Vec<String>,
        frame: &DisclosureFrame,
        out: &mut Vec<Disclosure>,
    ) -> Result<Value, SdJwtError> {
        match value {
            Value::Object(obj) => {
                let mut result = Map::new();
                let mut digests = Vec::new();
                for (k, v) in obj {
                    if k == SD || k == ELLIPSIS {
                        return Err(SdJwtError::Issue(format!(
                            "\"{k}\" is a reserved claim name"
                        )));
                    }
                    path.push(k.clone());
                    let inner = self.conceal(v, path, frame, out)?;
                    if frame.selects(path) {
                        let d = Disclosure::new(Some(k), inner);
                        digests.push(d.digest(self.sd_alg));
                        out.push(d);
                    } else {
                        result.insert(k.clone(), inner);
                    }
                    path.pop();
                }
                if !digests.is_empty() || (frame.decoys > 0 && path.is_empty()) {
                    for _ in 0..frame.decoys {
                        let random = crate::keys::provider::random_bytes::<32>();
                        digests.push(self.sd_alg.digest(&crate::b64::encode(random)));
                    }
                    // Sorting hides the original claim order (RFC 9901 section 4.2.4.1).
                    digests.sort();
                    result.insert(
                        SD.into(),
                        Value::Array(digests.into_iter().map(Value::from).collect()),
                    );
                }
                Ok(Value::Object(result))
            }
            Value::Array(items) => {
                let mut result = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    let inner = self.conceal(item, path, frame, out)?;
                    if frame.selects(path) {
                        let d = Disclosure::new(None, inner);
                        let mut placeholder = Map::new();
                        placeholder.insert(ELLIPSIS.into(), d.digest(self.sd_alg).into());
                        result.push(Value::Object(placeholder));
                        out.push(d);
                    } else {
                        result.push(inner);
                    }
                    path.pop();
                }
                Ok(Value::Array(result))
            }
            other => Ok(other.clone()),
        }
    }
}

fn lookup<'v>(claims: &'v Map<String, Value>, path: &[String]) -> Option<&'v Value> {
    let (first, rest) = path.split_first()?;
    let mut cur = claims.get(first)?;
    for t in rest {
        cur = match cur {
            Value::Object(m) => m.get(t)?,
            Value::Array(a) => a.get(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_json_pointer_escapes() {
        assert_eq!(
            parse_pointer("/a~1b/c~0d/0").unwrap(),
            vec!["a/b", "c~d", "0"]
        );
        assert!(parse_pointer("a").is_err());
        assert!(parse_pointer("/a~2").is_err());
    }
}
