//! The JSON body of one object on the REST API: the object's own fields (Contiv style), without
//! the `kind` tag that [`Object`] carries in a [`crate::batch::Batch`]; the kind comes from the
//! collection in the path.
//!
//! As in Contiv, every object written here carries its `key` (`tenant:name`, ...), and a body
//! may carry one: it must then be the key the object's own fields make.

use crate::batch::Batch;
use crate::model::{Kind, Object};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Contiv's field holding an object's key.
pub const KEY: &str = "key";

/// A JSON body that did not decode: the path of the field at fault (`subnet`,
/// `upserts[0].spec.macAddress`) and serde's reason with its line and column.
#[derive(Debug, thiserror::Error)]
#[error("{}{source}", if path == "." { String::new() } else { format!("{path}: ") })]
pub struct BodyError {
    path: String,
    #[source]
    source: serde_json::Error,
}

impl BodyError {
    fn new(e: serde_path_to_error::Error<serde_json::Error>) -> BodyError {
        BodyError {
            path: e.path().to_string(),
            source: e.into_inner(),
        }
    }

    /// The path of the field at fault (`.` for the body itself).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// An error of the field at `path`, saying `message`.
    fn field(path: &str, message: String) -> BodyError {
        BodyError {
            path: path.to_string(),
            source: serde::de::Error::custom(message),
        }
    }
}

/// Decodes a JSON body; the error names the field at fault.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, BodyError> {
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(body))
        .map_err(BodyError::new)
}

/// Decodes a JSON value; the error names the field at fault.
pub fn decode_value<T: DeserializeOwned>(value: Value) -> Result<T, BodyError> {
    serde_path_to_error::deserialize(value).map_err(BodyError::new)
}

/// Parses the body of an object of `kind`: the fields of e.g. [`crate::model::Network`], and
/// optionally its `key`.
///
/// The error names the problem (unknown or missing field, wrong type, a bad address, a `key`
/// that is not the object's) and the field, with its line and column (when the body has no
/// `key`: one with a key is decoded as a JSON value, whose errors have no position).
pub fn from_slice(kind: Kind, body: &[u8]) -> Result<Object, BodyError> {
    match fields_from_slice(kind, body) {
        Err(e) if e.path == KEY => from_value(kind, decode(body)?),
        decoded => decoded,
    }
}

/// The object of `kind` whose fields (and no `key`) `body` holds.
fn fields_from_slice(kind: Kind, body: &[u8]) -> Result<Object, BodyError> {
    Ok(match kind {
        Kind::Global => Object::Global(decode(body)?),
        Kind::Tenant => Object::Tenant(decode(body)?),
        Kind::Network => Object::Network(decode(body)?),
        Kind::EndpointGroup => Object::EndpointGroup(decode(body)?),
        Kind::Endpoint => Object::Endpoint(decode(body)?),
        Kind::Host => Object::Host(decode(body)?),
        Kind::Policy => Object::Policy(decode(body)?),
        Kind::Rule => Object::Rule(decode(body)?),
        Kind::NetProfile => Object::NetProfile(decode(body)?),
    })
}

/// Converts a JSON value holding the fields of an object of `kind` (see [`from_slice`]).
pub fn from_value(kind: Kind, value: Value) -> Result<Object, BodyError> {
    from_value_at(kind, value, "")
}

/// [`from_value`] for the value at `at` in a larger body (`upserts[0].spec.`), for errors.
fn from_value_at(kind: Kind, mut value: Value, at: &str) -> Result<Object, BodyError> {
    let key = match value.as_object_mut().and_then(|fields| fields.remove(KEY)) {
        None => None,
        Some(Value::String(key)) => Some(key),
        Some(other) => {
            return Err(BodyError::field(
                &format!("{at}{KEY}"),
                format!("invalid type: {other}, expected the object's key as a string"),
            ))
        }
    };
    let object = decode_fields(kind, value).map_err(|e| BodyError {
        path: match e.path.as_str() {
            "." if !at.is_empty() => at.trim_end_matches('.').to_string(),
            "." => e.path,
            path => format!("{at}{path}"),
        },
        source: e.source,
    })?;
    match key {
        Some(key) if key != object.key() => Err(BodyError::field(
            &format!("{at}{KEY}"),
            format!(
                "`{key}` is not this object's key: its fields make `{}`",
                object.key()
            ),
        )),
        _ => Ok(object),
    }
}

/// The object of `kind` whose fields `value` holds.
fn decode_fields(kind: Kind, value: Value) -> Result<Object, BodyError> {
    Ok(match kind {
        Kind::Global => Object::Global(decode_value(value)?),
        Kind::Tenant => Object::Tenant(decode_value(value)?),
        Kind::Network => Object::Network(decode_value(value)?),
        Kind::EndpointGroup => Object::EndpointGroup(decode_value(value)?),
        Kind::Endpoint => Object::Endpoint(decode_value(value)?),
        Kind::Host => Object::Host(decode_value(value)?),
        Kind::Policy => Object::Policy(decode_value(value)?),
        Kind::Rule => Object::Rule(decode_value(value)?),
        Kind::NetProfile => Object::NetProfile(decode_value(value)?),
    })
}

/// Parses a [`Batch`]; the objects' `spec`s may carry their `key`, as single objects do (see
/// [`from_slice`] for the errors).
pub fn batch_from_slice(body: &[u8]) -> Result<Batch, BodyError> {
    match decode::<Batch>(body) {
        Err(e) if e.path.ends_with(&format!(".spec.{KEY}")) => keyed_batch(decode(body)?),
        decoded => decoded,
    }
}

/// A [`Batch`] whose objects carry their `key`s.
fn keyed_batch(mut value: Value) -> Result<Batch, BodyError> {
    let upserts = value
        .as_object_mut()
        .and_then(|fields| fields.remove("upserts"));
    let mut batch: Batch = decode_value(value)?;
    let Some(upserts) = upserts else {
        return Ok(batch);
    };
    let Value::Array(upserts) = upserts else {
        return Err(BodyError::field(
            "upserts",
            format!("invalid type: {upserts}, expected a sequence"),
        ));
    };
    for (i, upsert) in upserts.into_iter().enumerate() {
        let at = format!("upserts[{i}]");
        let Value::Object(mut fields) = upsert else {
            return Err(BodyError::field(
                &at,
                "invalid type, expected an object with `kind` and `spec`".into(),
            ));
        };
        let kind = fields
            .remove("kind")
            .ok_or_else(|| BodyError::field(&at, "missing field `kind`".into()))?;
        let kind: Kind = serde_json::from_value(kind)
            .map_err(|e| BodyError::field(&format!("{at}.kind"), e.to_string()))?;
        let spec = fields
            .remove("spec")
            .ok_or_else(|| BodyError::field(&at, "missing field `spec`".into()))?;
        if let Some(unknown) = fields.keys().next() {
            return Err(BodyError::field(
                &at,
                format!("unknown field `{unknown}`, expected `kind` or `spec`"),
            ));
        }
        batch
            .upserts
            .push(from_value_at(kind, spec, &format!("{at}.spec."))?);
    }
    Ok(batch)
}

/// The object's own fields as JSON, without the `kind` tag, and its `key`.
pub fn to_value(object: &Object) -> Value {
    let value = match object {
        Object::Global(o) => serde_json::to_value(o),
        Object::Tenant(o) => serde_json::to_value(o),
        Object::Network(o) => serde_json::to_value(o),
        Object::EndpointGroup(o) => serde_json::to_value(o),
        Object::Endpoint(o) => serde_json::to_value(o),
        Object::Host(o) => serde_json::to_value(o),
        Object::Policy(o) => serde_json::to_value(o),
        Object::Rule(o) => serde_json::to_value(o),
        Object::NetProfile(o) => serde_json::to_value(o),
    };
    // The model types are plain structs of strings, numbers and text-form addresses:
    // serializing cannot fail.
    let mut value = value.expect("model objects serialize to JSON");
    if let Some(fields) = value.as_object_mut() {
        fields.insert(KEY.into(), Value::String(object.key()));
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Global, Host, Tenant};

    #[test]
    fn round_trip_every_kind() {
        let objects = [
            Object::Global(Global::default()),
            Object::Tenant(Tenant {
                default_network: Some("net1".into()),
                ..Tenant::named("t1")
            }),
            Object::Host(Host {
                name: "host1".into(),
                vtep_ip: Some("192.168.2.10".parse().unwrap()),
                uplinks: vec!["eth2".into()],
                dpid: None,
            }),
        ];
        for object in objects {
            let value = to_value(&object);
            assert!(value.get("kind").is_none());
            assert_eq!(value[KEY], object.key());
            let bytes = serde_json::to_vec(&value).unwrap();
            assert_eq!(from_slice(object.kind(), &bytes).unwrap(), object);
            assert_eq!(from_value(object.kind(), value).unwrap(), object);
        }
    }

    #[test]
    fn a_bad_address_names_its_field() {
        let err = from_slice(
            Kind::Network,
            br#"{"tenantName":"t","networkName":"n","subnet":"10.1.1.1/24"}"#,
        )
        .unwrap_err();
        assert_eq!(err.path(), "subnet");
        let text = err.to_string();
        assert!(
            text.starts_with("subnet: `10.1.1.1/24`: host bits are set"),
            "{text}"
        );
        let err = from_slice(Kind::Tenant, b"{\n  \"tenantName\": }").unwrap_err();
        assert!(err.to_string().contains("line 2 column"), "{err}");
        let batch = br#"{"upserts":[{"kind":"endpoint","spec":{"tenantName":"t","networkName":"n","containerName":"c","macAddress":"ff:ff"}}]}"#;
        let err = batch_from_slice(batch).unwrap_err();
        assert_eq!(err.path(), "upserts[0].spec.macAddress", "{err}");
    }

    #[test]
    fn a_key_must_be_the_object_s() {
        let body =
            br#"{"key":"t1:n1","tenantName":"t1","networkName":"n1","subnet":"10.1.1.0/24"}"#;
        assert_eq!(from_slice(Kind::Network, body).unwrap().key(), "t1:n1");
        let body =
            br#"{"key":"t1:n2","tenantName":"t1","networkName":"n1","subnet":"10.1.1.0/24"}"#;
        let err = from_slice(Kind::Network, body).unwrap_err();
        assert_eq!(err.path(), "key");
        assert!(
            err.to_string()
                .contains("`t1:n2` is not this object's key: its fields make `t1:n1`"),
            "{err}"
        );
        let err = from_slice(Kind::Tenant, br#"{"key":7,"tenantName":"t1"}"#).unwrap_err();
        assert_eq!(err.path(), "key");
        let batch = br#"{"upserts":[{"kind":"tenant","spec":{"key":"t1","tenantName":"t1"}},{"kind":"tenant","spec":{"key":"x","tenantName":"t2"}}]}"#;
        let err = batch_from_slice(batch).unwrap_err();
        assert_eq!(err.path(), "upserts[1].spec.key", "{err}");
        let batch = br#"{"upserts":[{"kind":"tenant","spec":{"key":"t1","tenantName":"t1"}}],"replace":true}"#;
        let batch = batch_from_slice(batch).unwrap();
        assert!(batch.replace);
        assert_eq!(batch.upserts[0].key(), "t1");
        // Bodies with keys are decoded as JSON values: their errors name the field too.
        let keyed = r#"{"kind":"tenant","spec":{"key":"t1","tenantName":"t1"}}"#;
        for (rest, path) in [
            (r#"{"kind":"tenant"}]"#, "upserts[1]"),
            (r#"{"kind":"bgp","spec":{}}]"#, "upserts[1].kind"),
            (r#"{"kind":"tenant","spec":{},"x":1}]"#, "upserts[1]"),
            (
                r#"{"kind":"tenant","spec":{"tenantName":"t2","x":1}}]"#,
                "upserts[1].spec.x",
            ),
            (
                r#"{"kind":"tenant","spec":{"tenantName":"t2"}}],"color":1"#,
                "color",
            ),
        ] {
            let bad = format!(r#"{{"upserts":[{keyed},{rest}}}"#);
            let err = batch_from_slice(bad.as_bytes()).unwrap_err();
            assert_eq!(err.path(), path, "{bad}: {err}");
        }
        let err = batch_from_slice(br#"{"upserts":{"key":1}}"#).unwrap_err();
        assert_eq!(err.path(), "upserts");
    }

    #[test]
    fn contiv_field_names() {
        let body = br#"{"key":"t1:p1","tenantName":"t1","profileName":"p1","bandwidth":"10Mbps","DSCP":10}"#;
        let object = from_slice(Kind::NetProfile, body).unwrap();
        let value = to_value(&object);
        assert_eq!(value["DSCP"], 10);
        assert!(value.get("dscp").is_none());
        let body = br#"{"tenantName":"t1","profileName":"p1","dscp":10}"#;
        assert_eq!(
            from_slice(Kind::NetProfile, body).unwrap(),
            object_without_bandwidth(object)
        );
    }

    fn object_without_bandwidth(object: Object) -> Object {
        match object {
            Object::NetProfile(mut p) => {
                p.bandwidth = None;
                Object::NetProfile(p)
            }
            other => other,
        }
    }

    #[test]
    fn unknown_field_is_named() {
        let err = from_slice(Kind::Tenant, br#"{"tenantName":"t","color":1}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `color`"), "{err}");
    }
}
