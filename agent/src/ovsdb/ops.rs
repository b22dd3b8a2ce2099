//! `transact` operations (RFC 7047 §5.2) and their results.

use super::error::{Error, Result};
use super::value::{row_from_json, row_to_json, Datum, Row, Uuid};
use serde_json::{json, Map, Value};

/// A condition of a `where` clause: `[column, function, value]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    column: String,
    function: &'static str,
    value: Datum,
}

impl Condition {
    /// `column == value`.
    pub fn eq(column: &str, value: impl Into<Datum>) -> Condition {
        Condition::with(column, "==", value)
    }

    /// `column != value`.
    pub fn ne(column: &str, value: impl Into<Datum>) -> Condition {
        Condition::with(column, "!=", value)
    }

    /// `column includes value` (for sets and maps).
    pub fn includes(column: &str, value: impl Into<Datum>) -> Condition {
        Condition::with(column, "includes", value)
    }

    /// Any function of RFC 7047 §5.1 (`<`, `<=`, `==`, `!=`, `>=`, `>`, `includes`, `excludes`).
    pub fn with(column: &str, function: &'static str, value: impl Into<Datum>) -> Condition {
        Condition {
            column: column.to_string(),
            function,
            value: value.into(),
        }
    }

    fn to_json(&self) -> Value {
        json!([self.column, self.function, self.value.to_json()])
    }
}

/// A mutation of a `mutate` operation: `[column, mutator, value]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Mutation {
    column: String,
    mutator: &'static str,
    value: Datum,
}

impl Mutation {
    /// Adds the elements of `value` to a set or map column (a map key already present keeps
    /// its old value).
    pub fn insert(column: &str, value: impl Into<Datum>) -> Mutation {
        Mutation::with(column, "insert", value)
    }

    /// Removes elements from a set, or pairs from a map (`value` a map: matching pairs; a set:
    /// those keys).
    pub fn delete(column: &str, value: impl Into<Datum>) -> Mutation {
        Mutation::with(column, "delete", value)
    }

    /// Any mutator of RFC 7047 §5.1 (`+=`, `-=`, `*=`, `/=`, `%=`, `insert`, `delete`).
    pub fn with(column: &str, mutator: &'static str, value: impl Into<Datum>) -> Mutation {
        Mutation {
            column: column.to_string(),
            mutator,
            value: value.into(),
        }
    }

    fn to_json(&self) -> Value {
        json!([self.column, self.mutator, self.value.to_json()])
    }
}

/// One operation of a `transact` request.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    op: &'static str,
    body: Map<String, Value>,
}

fn conditions(wh: &[Condition]) -> Value {
    Value::Array(wh.iter().map(Condition::to_json).collect())
}

impl Operation {
    fn new(op: &'static str, table: Option<&str>) -> Operation {
        let mut body = Map::new();
        body.insert("op".into(), json!(op));
        if let Some(t) = table {
            body.insert("table".into(), json!(t));
        }
        Operation { op, body }
    }

    fn set(mut self, key: &str, value: Value) -> Operation {
        self.body.insert(key.to_string(), value);
        self
    }

    /// `insert` of `row` into `table`; its result carries the new row's UUID.
    pub fn insert(table: &str, row: &Row) -> Operation {
        Operation::new("insert", Some(table)).set("row", row_to_json(row))
    }

    /// Names the row of an `insert` so that later operations of the same transaction can
    /// refer to it as `Atom::NamedUuid(name)`.
    pub fn uuid_name(self, name: &str) -> Operation {
        self.set("uuid-name", json!(name))
    }

    /// `select` of the rows matching `wh` (all columns when `columns` is `None`).
    pub fn select(table: &str, wh: &[Condition], columns: Option<&[&str]>) -> Operation {
        let op = Operation::new("select", Some(table)).set("where", conditions(wh));
        match columns {
            Some(c) => op.set("columns", json!(c)),
            None => op,
        }
    }

    /// `update` of the rows matching `wh` with the columns of `row`.
    pub fn update(table: &str, wh: &[Condition], row: &Row) -> Operation {
        Operation::new("update", Some(table))
            .set("where", conditions(wh))
            .set("row", row_to_json(row))
    }

    /// `mutate` of the rows matching `wh`.
    pub fn mutate(table: &str, wh: &[Condition], mutations: &[Mutation]) -> Operation {
        Operation::new("mutate", Some(table))
            .set("where", conditions(wh))
            .set(
                "mutations",
                Value::Array(mutations.iter().map(Mutation::to_json).collect()),
            )
    }

    /// `delete` of the rows matching `wh`.
    pub fn delete(table: &str, wh: &[Condition]) -> Operation {
        Operation::new("delete", Some(table)).set("where", conditions(wh))
    }

    /// `wait` until the `columns` of the rows matching `wh` are (`equal`) or are not equal to
    /// `rows`; fails the transaction with `"timed out"` after `timeout_ms` (0: check once).
    pub fn wait(
        table: &str,
        wh: &[Condition],
        columns: &[&str],
        equal: bool,
        rows: &[Row],
        timeout_ms: Option<u64>,
    ) -> Operation {
        let op = Operation::new("wait", Some(table))
            .set("where", conditions(wh))
            .set("columns", json!(columns))
            .set("until", json!(if equal { "==" } else { "!=" }))
            .set("rows", Value::Array(rows.iter().map(row_to_json).collect()));
        match timeout_ms {
            Some(t) => op.set("timeout", json!(t)),
            None => op,
        }
    }

    /// `comment`: text recorded in the database log.
    pub fn comment(text: &str) -> Operation {
        Operation::new("comment", None).set("comment", json!(text))
    }

    /// The `op` name.
    pub fn name(&self) -> &'static str {
        self.op
    }

    /// The JSON encoding.
    pub fn to_json(&self) -> Value {
        Value::Object(self.body.clone())
    }
}

/// The result of one successful operation.
#[derive(Clone, Debug, PartialEq)]
pub struct OpResult(pub Value);

impl OpResult {
    /// The UUID an `insert` created.
    pub fn uuid(&self) -> Option<Uuid> {
        let u = self.0.get("uuid")?.as_array()?;
        match u.as_slice() {
            [tag, Value::String(u)] if tag == "uuid" => Some(Uuid(u.clone())),
            _ => None,
        }
    }

    /// The rows a `select` returned.
    pub fn rows(&self) -> Result<Vec<Row>> {
        self.0
            .get("rows")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::Protocol(format!("no rows in {}", self.0)))?
            .iter()
            .map(|r| row_from_json(r).ok_or_else(|| Error::Protocol(format!("bad row {r}"))))
            .collect()
    }

    /// The number of rows an `update`, `mutate` or `delete` touched.
    pub fn count(&self) -> Option<u64> {
        self.0.get("count")?.as_u64()
    }
}

/// Checks a `transact` result array against the operations sent: the first error (an
/// operation's, or the extra commit error after the last operation) becomes [`Error::Operation`].
pub(crate) fn check_results(ops: &[Operation], result: Value) -> Result<Vec<OpResult>> {
    let Value::Array(results) = result else {
        return Err(Error::Protocol(format!(
            "transact result is not an array: {result}"
        )));
    };
    for (index, r) in results.iter().enumerate() {
        if let Some(error) = r.get("error").filter(|e| !e.is_null()) {
            let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
            return Err(Error::Operation {
                index,
                op: ops.get(index).map_or("commit", Operation::name).to_string(),
                error: text(error),
                details: r.get("details").map(text),
            });
        }
    }
    if results.len() < ops.len() {
        return Err(Error::Protocol(format!(
            "{} results for {} operations",
            results.len(),
            ops.len()
        )));
    }
    Ok(results.into_iter().map(OpResult).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ovsdb::value::{row, Atom};

    #[test]
    fn operations_encode_as_rfc7047() {
        let r = row([("name", Datum::from("br0"))]);
        assert_eq!(
            Operation::insert("Bridge", &r).uuid_name("br").to_json(),
            json!({"op": "insert", "table": "Bridge", "row": {"name": "br0"}, "uuid-name": "br"})
        );
        assert_eq!(
            Operation::mutate(
                "Open_vSwitch",
                &[],
                &[Mutation::insert(
                    "bridges",
                    Datum::set([Atom::NamedUuid("br".into())])
                )]
            )
            .to_json(),
            json!({"op": "mutate", "table": "Open_vSwitch", "where": [],
                   "mutations": [["bridges", "insert", ["set", [["named-uuid", "br"]]]]]})
        );
        assert_eq!(
            Operation::select("Port", &[Condition::eq("name", "p1")], Some(&["_uuid"])).to_json(),
            json!({"op": "select", "table": "Port", "where": [["name", "==", "p1"]],
                   "columns": ["_uuid"]})
        );
        assert_eq!(
            Operation::wait("Bridge", &[], &["name"], true, &[], Some(0)).to_json(),
            json!({"op": "wait", "table": "Bridge", "where": [], "columns": ["name"],
                   "until": "==", "rows": [], "timeout": 0})
        );
        assert_eq!(
            Operation::comment("hi").to_json(),
            json!({"op": "comment", "comment": "hi"})
        );
    }

    #[test]
    fn results_surface_the_first_error() {
        let ops = [Operation::comment("a"), Operation::delete("T", &[])];
        let ok = check_results(&ops, json!([{}, {"count": 2}])).unwrap();
        assert_eq!(ok[1].count(), Some(2));
        let err = check_results(
            &ops,
            json!([{}, {"error": "constraint violation", "details": "dup"}, null]),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Operation { index: 1, ref op, .. } if op == "delete"));
        assert_eq!(
            err.to_string(),
            "OVSDB transaction failed at operation 1 (delete): constraint violation: dup"
        );
        let commit = check_results(
            &ops,
            json!([{}, {}, {"error": "referential integrity violation"}]),
        )
        .unwrap_err();
        assert!(matches!(commit, Error::Operation { index: 2, ref op, .. } if op == "commit"));
    }
}
