//! The JSON body of one object on the REST API: the object's own fields (Contiv style), without
//! the `kind` tag that [`Object`] carries in a [`crate::batch::Batch`]; the kind comes from the
//! collection in the path.

use crate::model::{
    Endpoint, EndpointGroup, Global, Host, Kind, NetProfile, Network, Object, Policy, Rule, Tenant,
};
use serde_json::Value;

/// Parses the body of an object of `kind` (the fields of e.g. [`Network`]).
///
/// The error names the problem (unknown or missing field, wrong type) with line and column.
pub fn from_slice(kind: Kind, body: &[u8]) -> Result<Object, serde_json::Error> {
    Ok(match kind {
        Kind::Global => Object::Global(serde_json::from_slice::<Global>(body)?),
        Kind::Tenant => Object::Tenant(serde_json::from_slice::<Tenant>(body)?),
        Kind::Network => Object::Network(serde_json::from_slice::<Network>(body)?),
        Kind::EndpointGroup => {
            Object::EndpointGroup(serde_json::from_slice::<EndpointGroup>(body)?)
        }
        Kind::Endpoint => Object::Endpoint(serde_json::from_slice::<Endpoint>(body)?),
        Kind::Host => Object::Host(serde_json::from_slice::<Host>(body)?),
        Kind::Policy => Object::Policy(serde_json::from_slice::<Policy>(body)?),
        Kind::Rule => Object::Rule(serde_json::from_slice::<Rule>(body)?),
        Kind::NetProfile => Object::NetProfile(serde_json::from_slice::<NetProfile>(body)?),
    })
}

/// Converts a JSON value holding the fields of an object of `kind` (see [`from_slice`]).
pub fn from_value(kind: Kind, value: Value) -> Result<Object, serde_json::Error> {
    Ok(match kind {
        Kind::Global => Object::Global(serde_json::from_value(value)?),
        Kind::Tenant => Object::Tenant(serde_json::from_value(value)?),
        Kind::Network => Object::Network(serde_json::from_value(value)?),
        Kind::EndpointGroup => Object::EndpointGroup(serde_json::from_value(value)?),
        Kind::Endpoint => Object::Endpoint(serde_json::from_value(value)?),
        Kind::Host => Object::Host(serde_json::from_value(value)?),
        Kind::Policy => Object::Policy(serde_json::from_value(value)?),
        Kind::Rule => Object::Rule(serde_json::from_value(value)?),
        Kind::NetProfile => Object::NetProfile(serde_json::from_value(value)?),
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
    // The model types are plain structs of strings and numbers: serializing cannot fail.
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
                vtep_ip: Some("192.168.2.10".into()),
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
    fn unknown_field_is_named() {
        let err = from_slice(Kind::Tenant, br#"{"tenantName":"t","color":1}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `color`"), "{err}");
    }
}
