//! What the agent assumes on a standard host when a flag is left out, so that the original's
//! `netplugin -host-label host1` needs nothing else: Open vSwitch's database socket where
//! `ovs-vsctl` finds it, and netmaster's OpenFlow listener on the machine its API runs on.

use std::net::{IpAddr, ToSocketAddrs};
use thiserror::Error;

/// The OpenFlow port netmaster listens on by default (IANA's).
pub const OPENFLOW_PORT: u16 = 6653;

/// Why no controller target could be derived from netmaster's URL.
#[derive(Debug, Error)]
pub enum DefaultError {
    /// The URL does not parse or names no host.
    #[error("netmaster URL `{0}` names no host to derive the controller target from (give --controller)")]
    NoHost(String),
    /// The host name does not resolve.
    #[error("netmaster host `{host}` does not resolve (give --controller): {source}")]
    Resolve {
        /// The host name.
        host: String,
        /// The resolver's error.
        source: std::io::Error,
    },
}

/// ovsdb-server's socket as Open vSwitch's own tools find it: `$OVS_RUNDIR/db.sock`, else
/// `/var/run/openvswitch/db.sock`.
pub fn ovsdb_target(ovs_rundir: Option<&str>) -> String {
    let rundir = ovs_rundir
        .filter(|dir| !dir.is_empty())
        .unwrap_or("/var/run/openvswitch");
    format!("unix:{}/db.sock", rundir.trim_end_matches('/'))
}

/// The netmaster URLs of `--netmaster` (comma-separated: one per replica).
pub fn netmaster_urls(netmaster: &str) -> impl Iterator<Item = &str> {
    netmaster
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
}

/// The bridge's controller target for the netmaster whose API is at `netmaster_url`:
/// `tcp:ADDR:6653` (`ssl:` with `tls`), ADDR being the URL's host, resolved (Open vSwitch
/// takes addresses only).
pub fn controller_target(netmaster_url: &str, tls: bool) -> Result<String, DefaultError> {
    let url = reqwest::Url::parse(netmaster_url)
        .map_err(|_| DefaultError::NoHost(netmaster_url.to_string()))?;
    let host = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(url::Host::Domain(name)) => resolve(name)?,
        None => return Err(DefaultError::NoHost(netmaster_url.to_string())),
    };
    let scheme = if tls { "ssl" } else { "tcp" };
    Ok(match host {
        IpAddr::V4(ip) => format!("{scheme}:{ip}:{OPENFLOW_PORT}"),
        IpAddr::V6(ip) => format!("{scheme}:[{ip}]:{OPENFLOW_PORT}"),
    })
}

/// The first address of `name`, IPv4 preferred.
fn resolve(name: &str) -> Result<IpAddr, DefaultError> {
    let addrs: Vec<IpAddr> = (name, OPENFLOW_PORT)
        .to_socket_addrs()
        .map_err(|source| DefaultError::Resolve {
            host: name.to_string(),
            source,
        })?
        .map(|a| a.ip())
        .collect();
    addrs
        .iter()
        .find(|ip| ip.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| DefaultError::Resolve {
            host: name.to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_is_where_ovs_vsctl_looks() {
        assert_eq!(ovsdb_target(None), "unix:/var/run/openvswitch/db.sock");
        assert_eq!(ovsdb_target(Some("")), "unix:/var/run/openvswitch/db.sock");
        assert_eq!(ovsdb_target(Some("/tmp/h1/")), "unix:/tmp/h1/db.sock");
    }

    #[test]
    fn the_controller_is_netmaster_s_machine() {
        assert_eq!(
            controller_target("http://127.0.0.1:9999", false).unwrap(),
            "tcp:127.0.0.1:6653"
        );
        assert_eq!(
            controller_target("https://10.0.0.5:9999/", true).unwrap(),
            "ssl:10.0.0.5:6653"
        );
        assert_eq!(
            controller_target("http://[::1]:9999", false).unwrap(),
            "tcp:[::1]:6653"
        );
        assert_eq!(
            controller_target("http://localhost:9999", false).unwrap(),
            "tcp:127.0.0.1:6653"
        );
        assert!(matches!(
            controller_target("not a url", false),
            Err(DefaultError::NoHost(_))
        ));
        assert!(matches!(
            controller_target("http://no-such-host.invalid:9999", false),
            Err(DefaultError::Resolve { .. })
        ));
    }
}
