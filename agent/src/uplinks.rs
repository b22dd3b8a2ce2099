//! The uplink ports (VLAN trunks to the physical network): the interfaces named by the
//! agent's `--uplink` flags and by the host's intent (netmaster's directives) join the bridge
//! as system ports marked `role=uplink`; uplinks of ours that neither names any more leave it.
//! An interface that does not exist on this host is skipped with a warning.

use crate::error::{Context, Error};
use crate::ovsdb::vswitch::{InterfaceType, PortConfig, PortInfo, Vswitch};
use crate::report::{self, ROLE_KEY, ROLE_UPLINK};
use std::collections::BTreeSet;
use std::path::Path;

/// What [`reconcile`] changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Uplinks added (or repaired).
    pub ensured: Vec<String>,
    /// Uplinks removed.
    pub removed: Vec<String>,
    /// Wanted interfaces that do not exist here.
    pub missing: Vec<String>,
}

/// Makes the uplink ports of `bridge` (whose ports are `ports`) those of `wanted` that exist;
/// with `remove_others`, the agent's other uplink ports are removed (it is false until
/// netmaster's directives are known, so that a restarting agent never drops an uplink the
/// intent still wants).
pub async fn reconcile(
    vs: &Vswitch,
    bridge: &str,
    ports: &[PortInfo],
    wanted: &BTreeSet<String>,
    remove_others: bool,
) -> Result<Changes, Error> {
    let mut changes = Changes::default();
    if remove_others {
        for p in ports.iter().filter(|p| {
            p.external_ids.get(report::OWNER_KEY).map(String::as_str) == Some(report::OWNER)
                && p.external_ids.get(ROLE_KEY).map(String::as_str) == Some(ROLE_UPLINK)
                && !wanted.contains(&p.name)
        }) {
            vs.delete_port(bridge, &p.name)
                .await
                .context(|| format!("removing uplink {}", p.name))?;
            changes.removed.push(p.name.clone());
        }
    }
    for uplink in wanted {
        if !Path::new("/sys/class/net").join(uplink).exists() {
            changes.missing.push(uplink.clone());
            continue;
        }
        let mut port = PortConfig::new(uplink, InterfaceType::System);
        port.external_ids = report::owned_ids(ROLE_UPLINK, &[]);
        let ensured = vs
            .ensure_port(bridge, &port)
            .await
            .context(|| format!("uplink {uplink}"))?;
        if ensured.changed {
            changes.ensured.push(uplink.clone());
        }
    }
    Ok(changes)
}
