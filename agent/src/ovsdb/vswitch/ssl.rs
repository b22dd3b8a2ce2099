//! The switch's TLS credentials for its controller connections (`ssl:` targets): the
//! `Open_vSwitch` row's `ssl` column and its `SSL` row, as `ovs-vsctl set-ssl` writes them.

use super::{column, inserted, rows, Ensured, Vswitch, DB};
use crate::ovsdb::{Atom, Datum, Error, Operation, Result, Row};
use std::path::PathBuf;

/// The switch's private key and certificate, and the CA certificate it checks the
/// controller's certificate with (PEM files on the host, read by ovs-vswitchd).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SslFiles {
    /// The switch's private key.
    pub private_key: PathBuf,
    /// The switch's certificate.
    pub certificate: PathBuf,
    /// The CA certificate of the controller's certificate.
    pub ca_cert: PathBuf,
}

impl SslFiles {
    fn row(&self) -> Row {
        let path = |p: &PathBuf| Datum::from(p.display().to_string().as_str());
        Row::from([
            ("private_key".into(), path(&self.private_key)),
            ("certificate".into(), path(&self.certificate)),
            ("ca_cert".into(), path(&self.ca_cert)),
            ("bootstrap_ca_cert".into(), false.into()),
        ])
    }
}

impl Vswitch {
    /// Gives the switch `files` for its `ssl:` connections (a new `SSL` row the `Open_vSwitch`
    /// row points at; the old one is garbage-collected); nothing changes when it already has
    /// them. Needs the `Open_vSwitch` row.
    pub async fn ensure_ssl(&self, files: &SslFiles) -> Result<Ensured> {
        let read = self
            .transact(&[
                Operation::select(DB, &[], Some(&["ssl"])),
                Operation::select(
                    "SSL",
                    &[],
                    Some(&["_uuid", "private_key", "certificate", "ca_cert"]),
                ),
            ])
            .await?;
        let Some(ovs) = rows(&read, 0)?.into_iter().next() else {
            return Err(Error::NotFound(
                "the Open_vSwitch row (initialize the database)".into(),
            ));
        };
        let want = files.row();
        if let [current] = column(&ovs, "ssl")?.uuids().as_slice() {
            for r in rows(&read, 1)? {
                let same = ["private_key", "certificate", "ca_cert"]
                    .iter()
                    .all(|c| r.get(*c) == want.get(*c));
                if r.get("_uuid")
                    .and_then(Datum::single)
                    .and_then(Atom::as_uuid)
                    == Some(current)
                    && same
                {
                    return Ok(Ensured {
                        uuid: current.clone(),
                        changed: false,
                    });
                }
            }
        }
        let res = self
            .transact(&[
                Operation::insert("SSL", &want).uuid_name("ssl"),
                Operation::update(
                    DB,
                    &[],
                    &Row::from([("ssl".into(), Datum::set([Atom::NamedUuid("ssl".into())]))]),
                ),
                Operation::comment("netplugin: set the switch's TLS credentials"),
            ])
            .await?;
        inserted(&res, 0)
    }
}
