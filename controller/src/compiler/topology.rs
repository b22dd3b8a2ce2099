//! The observed topology: what the per-host agents report about the ports of each host's
//! integration bridge. Intent says what should be connected; the topology says where things
//! are plugged in. The compiler needs both.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// Every host the agents reported, by host name (the intent's `Host::name`), and the
/// multicast memberships IGMP snooping learned.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Topology {
    /// Hosts by name (a persistent map: shared by the topologies compiled one after another,
    /// and compared without visiting the hosts that did not change).
    pub hosts: imbl::OrdMap<String, HostPorts>,
    /// Multicast groups with members, by network id and group address.
    pub multicast: BTreeMap<u32, BTreeMap<Ipv4Addr, GroupMembers>>,
}

impl Topology {
    /// Every endpoint an agent placed: its key (`tenant:container`), its host and its
    /// OpenFlow port there.
    pub fn placements(&self) -> impl Iterator<Item = (&String, &String, u32)> {
        self.hosts.iter().flat_map(|(host, h)| {
            h.endpoint_ports
                .iter()
                .map(move |(key, port)| (key, host, *port))
        })
    }
}

/// The members of one multicast group of one network.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupMembers {
    /// The group's index (1..=[`crate::cookie::INDEX_MAX`] / 2), stable while it has members:
    /// its OpenFlow group id and its flows' cookie id derive from it.
    pub index: u32,
    /// The member endpoints' keys (`tenant:container`).
    pub endpoints: BTreeSet<String>,
}

/// One host's integration bridge and its ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPorts {
    /// Datapath id of the host's integration bridge (the switch the compiled state is for).
    pub dpid: u64,
    /// The host's VTEP (underlay) IPv4 address; `None` when the host takes no part in VXLAN.
    pub vtep_ip: Option<Ipv4Addr>,
    /// The OpenFlow port of each local endpoint, by endpoint key (`tenant:container`).
    pub endpoint_ports: BTreeMap<String, u32>,
    /// OpenFlow ports of the VLAN trunk uplinks, lowest first. VLAN traffic is accepted on
    /// every uplink and sent out of the first one.
    pub uplinks: Vec<u32>,
    /// The VXLAN tunnel port(s); `None` when the host has none.
    pub tunnel: Option<TunnelMode>,
}

impl HostPorts {
    /// A host with no ports yet.
    pub fn new(dpid: u64) -> HostPorts {
        HostPorts {
            dpid,
            vtep_ip: None,
            endpoint_ports: BTreeMap::new(),
            uplinks: Vec::new(),
            tunnel: None,
        }
    }

    /// The OpenFlow port that reaches the remote VTEP `vtep` over VXLAN, and whether the
    /// destination must be set with `tun_dst` (flow-based port); `None` when there is none.
    pub fn tunnel_port_to(&self, vtep: Ipv4Addr) -> Option<(u32, bool)> {
        match self.tunnel.as_ref()? {
            TunnelMode::Flow { port } => Some((*port, true)),
            TunnelMode::PerPeer { ports } => ports.get(&vtep).map(|p| (*p, false)),
        }
    }

    /// Every OpenFlow port of the host: its endpoints', its uplinks and its tunnel ports.
    pub fn ports(&self) -> Vec<u32> {
        let mut ports: Vec<u32> = self.endpoint_ports.values().copied().collect();
        ports.extend(&self.uplinks);
        ports.extend(self.tunnel_ports());
        ports
    }

    /// Every tunnel port of the host, lowest first.
    pub fn tunnel_ports(&self) -> Vec<u32> {
        match &self.tunnel {
            None => Vec::new(),
            Some(TunnelMode::Flow { port }) => vec![*port],
            Some(TunnelMode::PerPeer { ports }) => {
                let mut v: Vec<u32> = ports.values().copied().collect();
                v.sort_unstable();
                v.dedup();
                v
            }
        }
    }
}

/// How a host's VXLAN tunnels are set up in Open vSwitch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TunnelMode {
    /// One VXLAN port with `options:remote_ip=flow options:key=flow`: every packet sent to it
    /// carries its destination VTEP in `tun_dst` and its VNI in `tun_id`.
    Flow {
        /// The port's OpenFlow port number.
        port: u32,
    },
    /// One VXLAN port per remote VTEP (`options:remote_ip=<vtep> options:key=flow`).
    PerPeer {
        /// OpenFlow port by remote VTEP address.
        ports: BTreeMap<Ipv4Addr, u32>,
    },
}
