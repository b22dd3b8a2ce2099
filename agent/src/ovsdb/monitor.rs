//! `monitor` requests and the table updates they deliver (RFC 7047 §4.1.5, §4.1.6).

use super::error::{Error, Result};
use super::value::{row_from_json, Row, Uuid};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// What to monitor in one table.
#[derive(Clone, Debug, PartialEq)]
pub struct MonitorRequest {
    /// The columns to report (`None`: all).
    pub columns: Option<Vec<String>>,
    /// Report the existing rows in the reply.
    pub initial: bool,
    /// Report inserted rows.
    pub insert: bool,
    /// Report deleted rows.
    pub delete: bool,
    /// Report modified rows.
    pub modify: bool,
}

impl MonitorRequest {
    /// Everything (initial rows, inserts, deletes, modifications) of the given columns.
    pub fn columns(columns: &[&str]) -> MonitorRequest {
        MonitorRequest {
            columns: Some(columns.iter().map(|c| c.to_string()).collect()),
            ..MonitorRequest::default()
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut v = json!({"select": {
            "initial": self.initial,
            "insert": self.insert,
            "delete": self.delete,
            "modify": self.modify,
        }});
        if let Some(c) = &self.columns {
            v["columns"] = json!(c);
        }
        v
    }
}

impl Default for MonitorRequest {
    /// All columns, all kinds of changes.
    fn default() -> MonitorRequest {
        MonitorRequest {
            columns: None,
            initial: true,
            insert: true,
            delete: true,
            modify: true,
        }
    }
}

/// The change of one row: `old` is absent for an insert (and the initial rows), `new` for a
/// delete; for a modification `old` holds only the columns that changed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowUpdate {
    /// The previous values.
    pub old: Option<Row>,
    /// The current values.
    pub new: Option<Row>,
}

/// Table name to row UUID to change.
pub type TableUpdates = BTreeMap<String, BTreeMap<Uuid, RowUpdate>>;

/// Decodes a `<table-updates>` object.
pub(crate) fn parse_table_updates(v: &Value) -> Result<TableUpdates> {
    let bad = || Error::Protocol(format!("bad table updates: {v}"));
    let row = |r: Option<&Value>| -> Result<Option<Row>> {
        r.map(|r| row_from_json(r).ok_or_else(bad)).transpose()
    };
    let mut out = TableUpdates::new();
    for (table, rows) in v.as_object().ok_or_else(bad)? {
        let entry = out.entry(table.clone()).or_default();
        for (uuid, change) in rows.as_object().ok_or_else(bad)? {
            let update = RowUpdate {
                old: row(change.get("old"))?,
                new: row(change.get("new"))?,
            };
            entry.insert(Uuid(uuid.clone()), update);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ovsdb::value::Datum;

    #[test]
    fn parses_table_updates() {
        let u = parse_table_updates(&json!({"Interface": {
            "u1": {"new": {"name": "p1", "ofport": 5}},
            "u2": {"old": {"ofport": ["set", []]}, "new": {"name": "p2", "ofport": 6}},
            "u3": {"old": {"name": "p3"}},
        }}))
        .unwrap();
        let t = &u["Interface"];
        assert_eq!(t[&Uuid("u1".into())].old, None);
        assert_eq!(
            t[&Uuid("u2".into())].new.as_ref().unwrap()["ofport"],
            Datum::from(6)
        );
        assert_eq!(t[&Uuid("u3".into())].new, None);
        assert!(parse_table_updates(&json!({"T": {"u": {"new": 3}}})).is_err());
    }

    #[test]
    fn request_encoding() {
        assert_eq!(
            MonitorRequest::columns(&["name"]).to_json(),
            json!({"columns": ["name"], "select":
                   {"initial": true, "insert": true, "delete": true, "modify": true}})
        );
    }
}
