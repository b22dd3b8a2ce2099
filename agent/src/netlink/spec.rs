//! What an endpoint asks for and what the plumbing reports back.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use super::error::{Error, Result};

/// An interface address with its prefix length and an optional default gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpConfig<A> {
    /// The address put on the container interface.
    pub address: A,
    /// The prefix length of the subnet (`24` for a /24).
    pub prefix_len: u8,
    /// Where the container's default route points; no default route when `None`.
    pub gateway: Option<A>,
}

/// One container endpoint: a veth pair from the agent's namespace into a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointSpec {
    /// The container's network namespace: `/var/run/netns/NAME` or `/proc/PID/ns/net`.
    pub netns: PathBuf,
    /// The host end's name in the agent's namespace, e.g. `vnp<id>`.
    pub host_ifname: String,
    /// The container end's name inside the container, usually `eth0`.
    pub container_ifname: String,
    /// The MTU of both ends.
    pub mtu: u32,
    /// The container end's MAC address; the kernel picks a random one when `None`.
    pub mac: Option<[u8; 6]>,
    /// The container's IPv4 address, prefix and gateway.
    pub ipv4: IpConfig<Ipv4Addr>,
    /// The container's optional IPv6 address, prefix and gateway.
    pub ipv6: Option<IpConfig<Ipv6Addr>>,
    /// Addresses reached straight through the interface (a `/32` route each, link scope):
    /// the DNS address.
    pub on_link: Vec<Ipv4Addr>,
}

/// What [`Plumbing::create_endpoint`](super::Plumbing::create_endpoint) made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedEndpoint {
    /// The host end's name (as asked).
    pub host_ifname: String,
    /// The host end's interface index in the agent's namespace (for the OVS port).
    pub host_ifindex: u32,
    /// The host end's MAC address.
    pub host_mac: [u8; 6],
    /// The container end's interface index inside the container.
    pub container_ifindex: u32,
    /// The container end's MAC address (the one asked for, or the kernel's pick).
    pub container_mac: [u8; 6],
}

/// A veth end in the agent's namespace, as listed for restart reconciliation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostVeth {
    /// The interface name.
    pub name: String,
    /// The interface index.
    pub ifindex: u32,
    /// The MTU.
    pub mtu: u32,
    /// Whether the interface is administratively up.
    pub up: bool,
}

/// The container side of an endpoint as the kernel reports it (for CNI `CHECK`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerInterface {
    /// The interface index inside the container.
    pub ifindex: u32,
    /// The MTU.
    pub mtu: u32,
    /// The MAC address.
    pub mac: [u8; 6],
    /// Whether the interface is administratively up.
    pub up: bool,
    /// The global addresses with their prefix lengths (IPv4 first, then IPv6).
    pub addresses: Vec<(IpAddr, u8)>,
    /// The gateways of the default routes through this interface.
    pub gateways: Vec<IpAddr>,
    /// Whether TX checksum offload is on.
    pub tx_checksum: bool,
}

impl EndpointSpec {
    /// Checks everything that can be checked without the kernel.
    pub fn validate(&self) -> Result<()> {
        validate_ifname(&self.host_ifname)?;
        validate_ifname(&self.container_ifname)?;
        let min_mtu = if self.ipv6.is_some() { 1280 } else { 68 };
        if !(min_mtu..=65535).contains(&self.mtu) {
            return Err(invalid(format!(
                "MTU {} is outside {min_mtu}..=65535",
                self.mtu
            )));
        }
        if let Some(mac) = self.mac {
            if mac[0] & 1 != 0 || mac == [0; 6] {
                return Err(invalid(format!(
                    "MAC {} is not a unicast address",
                    format_mac(&mac)
                )));
            }
        }
        validate_prefix(self.ipv4.prefix_len, 32)?;
        if let Some(v6) = &self.ipv6 {
            validate_prefix(v6.prefix_len, 128)?;
        }
        Ok(())
    }
}

/// Checks a Linux interface name the way the kernel does (`dev_valid_name`).
pub fn validate_ifname(name: &str) -> Result<()> {
    let problem = if name.is_empty() {
        "is empty"
    } else if name.len() > 15 {
        "is longer than 15 bytes"
    } else if name == "." || name == ".." {
        "is a dot name"
    } else if name
        .chars()
        .any(|c| c == '/' || c == ':' || c.is_whitespace())
    {
        "contains '/', ':' or whitespace"
    } else {
        return Ok(());
    };
    Err(invalid(format!("interface name {name:?} {problem}")))
}

fn validate_prefix(prefix_len: u8, max: u8) -> Result<()> {
    if prefix_len > max {
        return Err(invalid(format!("prefix length {prefix_len} exceeds {max}")));
    }
    Ok(())
}

fn invalid(reason: String) -> Error {
    Error::InvalidSpec(reason)
}

/// Formats a MAC address as `02:00:00:00:00:01`.
pub fn format_mac(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> EndpointSpec {
        EndpointSpec {
            netns: "/var/run/netns/x".into(),
            host_ifname: "vnp1".into(),
            container_ifname: "eth0".into(),
            mtu: 1450,
            mac: Some([2, 0, 0, 0, 0, 1]),
            ipv4: IpConfig {
                address: Ipv4Addr::new(10, 0, 0, 2),
                prefix_len: 24,
                gateway: Some(Ipv4Addr::new(10, 0, 0, 1)),
            },
            ipv6: None,
            on_link: Vec::new(),
        }
    }

    #[test]
    fn valid_spec_passes() {
        spec().validate().unwrap();
    }

    #[test]
    fn bad_names_are_rejected() {
        for name in ["", "0123456789abcdef", "a/b", "a:b", "a b", ".", ".."] {
            let s = EndpointSpec {
                host_ifname: name.into(),
                ..spec()
            };
            assert!(
                matches!(s.validate(), Err(Error::InvalidSpec(_))),
                "{name:?}"
            );
        }
        validate_ifname("0123456789abcde").unwrap();
    }

    #[test]
    fn bad_mtu_mac_and_prefix_are_rejected() {
        let bad = [
            EndpointSpec { mtu: 67, ..spec() },
            EndpointSpec {
                mtu: 1200,
                ipv6: Some(IpConfig {
                    address: Ipv6Addr::LOCALHOST,
                    prefix_len: 64,
                    gateway: None,
                }),
                ..spec()
            },
            EndpointSpec {
                mac: Some([1, 0, 0, 0, 0, 1]),
                ..spec()
            },
            EndpointSpec {
                mac: Some([0; 6]),
                ..spec()
            },
            EndpointSpec {
                ipv4: IpConfig {
                    prefix_len: 33,
                    ..spec().ipv4
                },
                ..spec()
            },
        ];
        for s in bad {
            assert!(matches!(s.validate(), Err(Error::InvalidSpec(_))), "{s:?}");
        }
    }

    #[test]
    fn mac_formats_with_colons() {
        assert_eq!(format_mac(&[2, 0, 0, 0xab, 0, 1]), "02:00:00:ab:00:01");
    }
}
