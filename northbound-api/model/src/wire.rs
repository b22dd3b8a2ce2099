//! The JSON body of one object on the REST API: the object's own fields (Contiv style), without
//! the `kind` tag that [`Object`] carries in a [`crate::batch::Batch`]; the kind comes from the
//! collection in the path.

use crate::model::{
    Endpoint, EndpointGroup, Global, Host, Kind, NetProfile, Network, Object, Policy, Rule, Tenant,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

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

/// Parses the body of an object of `kind` (the fields of e.g. [`Network`]).
///
/// The error names the problem (unknown or missing field, wrong type, a bad address) and the
/// field, with line and column.
pub fn from_slice(kind: Kind, body: &[u8]) -> Result<Object, BodyError> {
    Ok(match kind {
        Kind::Global => Object::Global(decode::<Global>(body)?),
        Kind::Tenant => Object::Tenant(decode::<Tenant>(body)?),
        Kind::Network => Object::Network(decode::<Network>(body)?),
        Kind::EndpointGroup => Object::EndpointGroup(decode::<EndpointGroup>(body)?),
        Kind::Endpoint => Object::Endpoint(decode::<Endpoint>(body)?),
        Kind::Host => Object::Host(decode::<Host>(body)?),
        Kind::Policy => Object::Policy(decode::<Policy>(body)?),
        Kind::Rule => Object::Rule(decode::<Rule>(body)?),
        Kind::NetProfile => Object::NetProfile(decode::<NetProfile>(body)?),
    })
}

/// Converts a JSON value holding the fields of an object of `kind` (see [`from_slice`]).
pub fn from_value(kind: Kind, value: Value) -> Result<Object, BodyError> {
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

/// The object's own fields as JSON, without the `kind` tag.
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
    value.expect("model objects serialize to JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_kind() {
        let objects = [
            Object::Global(Global::default()),
            Object::Tenant(Tenant {
                tenant_name: "t1".into(),
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
        assert!(text.contains("line 1 column"), "{text}");
        let batch = br#"{"upserts":[{"kind":"endpoint","spec":{"tenantName":"t","networkName":"n","containerName":"c","macAddress":"ff:ff"}}]}"#;
        let err = decode::<crate::batch::Batch>(batch).unwrap_err();
        assert_eq!(err.path(), "upserts[0].spec.macAddress", "{err}");
    }

    #[test]
    fn unknown_field_is_named() {
        let err = from_slice(Kind::Tenant, br#"{"tenantName":"t","color":1}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `color`"), "{err}");
    }
}
