//! OVSDB data in its JSON encoding (RFC 7047 §5.1): atoms, sets, maps, rows.
//!
//! The encoding is schema-less on the wire: a set of one element is sent as the bare atom, so
//! the accessors below treat an atom and a one-element set alike.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt;

/// A row UUID as OVSDB prints it (`"550e8400-e29b-41d4-a716-446655440000"`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid(pub String);

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One scalar value.
#[derive(Clone, Debug, PartialEq)]
pub enum Atom {
    /// `integer`.
    Integer(i64),
    /// `real`.
    Real(f64),
    /// `boolean`.
    Boolean(bool),
    /// `string`.
    String(String),
    /// `["uuid", "..."]`: a reference to an existing row.
    Uuid(Uuid),
    /// `["named-uuid", "..."]`: a row inserted earlier in the same transaction.
    NamedUuid(String),
}

impl Atom {
    /// The JSON encoding.
    pub fn to_json(&self) -> Value {
        match self {
            Atom::Integer(i) => json!(i),
            Atom::Real(r) => json!(r),
            Atom::Boolean(b) => json!(b),
            Atom::String(s) => json!(s),
            Atom::Uuid(u) => json!(["uuid", u.0]),
            Atom::NamedUuid(n) => json!(["named-uuid", n]),
        }
    }

    /// Decodes an atom; `None` when `v` is not one.
    pub fn from_json(v: &Value) -> Option<Atom> {
        match v {
            Value::Bool(b) => Some(Atom::Boolean(*b)),
            Value::String(s) => Some(Atom::String(s.clone())),
            Value::Number(n) => n
                .as_i64()
                .map(Atom::Integer)
                .or_else(|| n.as_f64().map(Atom::Real)),
            Value::Array(a) => match (a.first().and_then(Value::as_str), a.get(1), a.len()) {
                (Some("uuid"), Some(Value::String(u)), 2) => Some(Atom::Uuid(Uuid(u.clone()))),
                (Some("named-uuid"), Some(Value::String(n)), 2) => Some(Atom::NamedUuid(n.clone())),
                _ => None,
            },
            _ => None,
        }
    }

    /// The string, if this is a string atom.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Atom::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an integer atom.
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Atom::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// The UUID, if this is a `["uuid", ...]` atom.
    pub fn as_uuid(&self) -> Option<&Uuid> {
        match self {
            Atom::Uuid(u) => Some(u),
            _ => None,
        }
    }
}

impl From<&str> for Atom {
    fn from(s: &str) -> Atom {
        Atom::String(s.to_string())
    }
}

impl From<String> for Atom {
    fn from(s: String) -> Atom {
        Atom::String(s)
    }
}

impl From<i64> for Atom {
    fn from(i: i64) -> Atom {
        Atom::Integer(i)
    }
}

impl From<bool> for Atom {
    fn from(b: bool) -> Atom {
        Atom::Boolean(b)
    }
}

impl From<Uuid> for Atom {
    fn from(u: Uuid) -> Atom {
        Atom::Uuid(u)
    }
}

/// A column value: an atom, a set (`["set", [...]]`) or a map (`["map", [[k, v], ...]]`).
#[derive(Clone, Debug, PartialEq)]
pub enum Datum {
    /// A bare atom (also how a one-element set travels).
    Atom(Atom),
    /// A set.
    Set(Vec<Atom>),
    /// A map, as ordered pairs.
    Map(Vec<(Atom, Atom)>),
}

impl Datum {
    /// The empty set (how an unset optional column is written).
    pub fn empty() -> Datum {
        Datum::Set(Vec::new())
    }

    /// A set of the given atoms.
    pub fn set<A: Into<Atom>>(atoms: impl IntoIterator<Item = A>) -> Datum {
        Datum::Set(atoms.into_iter().map(Into::into).collect())
    }

    /// A string-to-string map.
    pub fn string_map<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Datum {
        Datum::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (Atom::String(k.into()), Atom::String(v.into())))
                .collect(),
        )
    }

    /// An optional value: the atom, or the empty set.
    pub fn optional<A: Into<Atom>>(value: Option<A>) -> Datum {
        value.map_or_else(Datum::empty, |a| Datum::Atom(a.into()))
    }

    /// The JSON encoding.
    pub fn to_json(&self) -> Value {
        match self {
            Datum::Atom(a) => a.to_json(),
            Datum::Set(s) => json!(["set", s.iter().map(Atom::to_json).collect::<Vec<_>>()]),
            Datum::Map(m) => json!([
                "map",
                m.iter()
                    .map(|(k, v)| json!([k.to_json(), v.to_json()]))
                    .collect::<Vec<_>>()
            ]),
        }
    }

    /// Decodes a column value; `None` when `v` is not one.
    pub fn from_json(v: &Value) -> Option<Datum> {
        if let Some(a) = Atom::from_json(v) {
            return Some(Datum::Atom(a));
        }
        let a = v.as_array()?;
        let (Some(tag), Some(Value::Array(items)), 2) =
            (a.first().and_then(Value::as_str), a.get(1), a.len())
        else {
            return None;
        };
        match tag {
            "set" => items
                .iter()
                .map(Atom::from_json)
                .collect::<Option<_>>()
                .map(Datum::Set),
            "map" => items
                .iter()
                .map(|pair| match pair.as_array().map(Vec::as_slice) {
                    Some([k, v]) => Some((Atom::from_json(k)?, Atom::from_json(v)?)),
                    _ => None,
                })
                .collect::<Option<_>>()
                .map(Datum::Map),
            _ => None,
        }
    }

    /// The elements, viewing an atom as a one-element set (empty for a map).
    pub fn atoms(&self) -> &[Atom] {
        match self {
            Datum::Atom(a) => std::slice::from_ref(a),
            Datum::Set(s) => s,
            Datum::Map(_) => &[],
        }
    }

    /// The single element of an atom or a one-element set (an optional column that is set).
    pub fn single(&self) -> Option<&Atom> {
        match self.atoms() {
            [a] => Some(a),
            _ => None,
        }
    }

    /// The string of a (one-element) string value.
    pub fn as_str(&self) -> Option<&str> {
        self.single()?.as_str()
    }

    /// The integer of a (one-element) integer value.
    pub fn as_integer(&self) -> Option<i64> {
        self.single()?.as_integer()
    }

    /// The UUIDs of a set of references.
    pub fn uuids(&self) -> Vec<Uuid> {
        self.atoms()
            .iter()
            .filter_map(|a| a.as_uuid().cloned())
            .collect()
    }

    /// The string-to-string pairs of a map (other pairs are skipped; empty for a non-map).
    pub fn to_string_map(&self) -> BTreeMap<String, String> {
        match self {
            Datum::Map(m) => m
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                .collect(),
            _ => BTreeMap::new(),
        }
    }
}

impl<A: Into<Atom>> From<A> for Datum {
    fn from(a: A) -> Datum {
        Datum::Atom(a.into())
    }
}

/// A row: column name to value (a subset of the table's columns).
pub type Row = BTreeMap<String, Datum>;

/// Builds a [`Row`] from `(column, value)` pairs.
pub fn row<D: Into<Datum>>(columns: impl IntoIterator<Item = (&'static str, D)>) -> Row {
    columns
        .into_iter()
        .map(|(c, d)| (c.to_string(), d.into()))
        .collect()
}

/// Encodes a row as a JSON object.
pub fn row_to_json(row: &Row) -> Value {
    Value::Object(row.iter().map(|(c, d)| (c.clone(), d.to_json())).collect())
}

/// Decodes a JSON object into a row; `None` when it is not an object of column values.
pub fn row_from_json(v: &Value) -> Option<Row> {
    v.as_object()?
        .iter()
        .map(|(c, d)| Some((c.clone(), Datum::from_json(d)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_round_trip() {
        let cases = [
            (Datum::from("br0"), json!("br0")),
            (Datum::from(7), json!(7)),
            (Datum::from(true), json!(true)),
            (Datum::Atom(Atom::Real(1.5)), json!(1.5)),
            (Datum::from(Uuid("u-1".into())), json!(["uuid", "u-1"])),
            (
                Datum::Atom(Atom::NamedUuid("row1".into())),
                json!(["named-uuid", "row1"]),
            ),
            (Datum::empty(), json!(["set", []])),
            (
                Datum::set(["OpenFlow13", "OpenFlow14"]),
                json!(["set", ["OpenFlow13", "OpenFlow14"]]),
            ),
            (
                Datum::string_map([("key", "flow"), ("remote_ip", "flow")]),
                json!(["map", [["key", "flow"], ["remote_ip", "flow"]]]),
            ),
        ];
        for (datum, encoded) in cases {
            assert_eq!(datum.to_json(), encoded);
            assert_eq!(Datum::from_json(&encoded), Some(datum));
        }
    }

    #[test]
    fn malformed_values_are_rejected() {
        for v in [
            json!(null),
            json!({"a": 1}),
            json!(["uuid"]),
            json!(["set", [null]]),
            json!(["map", [["k"]]]),
            json!(["bag", []]),
        ] {
            assert_eq!(Datum::from_json(&v), None, "{v}");
        }
    }

    #[test]
    fn accessors_treat_an_atom_as_a_one_element_set() {
        assert_eq!(Datum::from(5).as_integer(), Some(5));
        assert_eq!(Datum::set([5i64]).as_integer(), Some(5));
        assert_eq!(Datum::empty().as_integer(), None);
        assert_eq!(Datum::optional::<&str>(None), Datum::empty());
        assert_eq!(Datum::optional(Some("x")).as_str(), Some("x"));
        let refs = Datum::from_json(&json!(["set", [["uuid", "a"], ["uuid", "b"]]])).unwrap();
        assert_eq!(refs.uuids(), [Uuid("a".into()), Uuid("b".into())]);
        let m = Datum::string_map([("a", "1")]).to_string_map();
        assert_eq!(m.get("a").map(String::as_str), Some("1"));
        let r = row([("name", Datum::from("p")), ("ofport", Datum::from(3))]);
        assert_eq!(row_from_json(&row_to_json(&r)), Some(r));
    }
}
