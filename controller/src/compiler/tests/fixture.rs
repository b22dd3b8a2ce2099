//! Building intent and topology in code, and installing compiled state into fake switches.

use super::super::{compile, HostPorts, Topology, TunnelMode};
use crate::desired::SwitchState;
use crate::intent::Snapshot;
use crate::reconcile::diff::diff;
use fakeswitch::{port, FakeSwitch, Packet};
use northbound_api::model::{ArpMode, Encap, Endpoint, Network};
use ofproto::MacAddr;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// The VXLAN port of a host in flow mode.
pub const TUN: u32 = 100;
/// The VLAN uplink of a host.
pub const UPLINK: u32 = 50;
/// The per-peer tunnel port of a host towards host `n` (`PerPeer` mode).
pub fn peer_port(n: u8) -> u32 {
    100 + u32::from(n)
}

/// The VTEP address of host `n`.
pub fn vtep(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 200, 0, n)
}

/// How the hosts of a fixture reach each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fabric {
    /// One VXLAN port with `remote_ip=flow` per host.
    VxlanFlow,
    /// One VXLAN port per remote VTEP.
    VxlanPerPeer,
    /// A VLAN trunk uplink per host.
    Vlan,
}

/// Intent and topology under construction.
pub struct Fixture {
    pub snap: Snapshot,
    pub topo: Topology,
    fabric: Fabric,
}

impl Fixture {
    /// Hosts `h1..=hN` (dpid N, VTEP 10.200.0.N) connected by `fabric`.
    pub fn new(hosts: u8, fabric: Fabric) -> Fixture {
        let mut topo = Topology::default();
        for n in 1..=hosts {
            let mut h = HostPorts::new(u64::from(n));
            match fabric {
                Fabric::VxlanFlow => {
                    h.vtep_ip = Some(vtep(n));
                    h.tunnel = Some(TunnelMode::Flow { port: TUN });
                }
                Fabric::VxlanPerPeer => {
                    h.vtep_ip = Some(vtep(n));
                    let ports = (1..=hosts)
                        .filter(|m| *m != n)
                        .map(|m| (vtep(m), peer_port(m)))
                        .collect();
                    h.tunnel = Some(TunnelMode::PerPeer { ports });
                }
                Fabric::Vlan => h.uplinks = vec![UPLINK],
            }
            topo.hosts.insert(format!("h{n}"), h);
        }
        let mut snap = Snapshot::default();
        snap.global.arp_mode = ArpMode::Proxy;
        Fixture { snap, topo, fabric }
    }

    /// Network `tenant:name` with packet tag `tag` (VXLAN or VLAN after the fabric); its
    /// stable id is the next free one.
    pub fn network(&mut self, tenant: &str, name: &str, tag: u32) -> u32 {
        let key = format!("{tenant}:{name}");
        let encap = match self.fabric {
            Fabric::Vlan => Encap::Vlan,
            _ => Encap::Vxlan,
        };
        let net = Network {
            tenant_name: tenant.into(),
            network_name: name.into(),
            encap,
            pkt_tag: Some(tag),
            subnet: "10.0.0.0/24".parse().unwrap(),
            gateway: None,
            ipv6_subnet: None,
            ipv6_gateway: None,
            multicast: Default::default(),
            cfgd_tag: None,
            nw_type: Default::default(),
        };
        let id = self.snap.network_ids.len() as u32 + 1;
        self.snap.networks.insert(key.clone(), net);
        self.snap.network_ids.insert(key, id);
        id
    }

    /// Endpoint `tenant:container` of network `tenant:net` on host `hN` at `port`, with MAC
    /// `02:00:00:00:0t:xx` and IP `10.0.0.ip`; returns its stable id.
    pub fn endpoint(&mut self, tenant: &str, net: &str, container: &str, at: Port, ip: u8) -> u64 {
        let key = format!("{tenant}:{container}");
        let ep = Endpoint {
            host: Some(format!("h{}", at.host)),
            mac_address: Some(mac_of(container)),
            ip_address: Some(Ipv4Addr::new(10, 0, 0, ip)),
            ..Endpoint::named(tenant, net, container)
        };
        let id = self.snap.endpoint_ids.len() as u64 + 1;
        self.snap.endpoints.insert(key.clone(), ep);
        self.snap.endpoint_ids.insert(key.clone(), id);
        IPS.with(|m| m.borrow_mut().insert(container.to_string(), ip));
        let host = self.topo.hosts.get_mut(&format!("h{}", at.host)).unwrap();
        host.endpoint_ports.insert(key, at.port);
        id
    }

    /// External endpoint `tenant:name` of network `tenant:net` (behind the uplinks), with MAC
    /// `mac_of(name)` and IP `10.0.0.ip`; returns its stable id.
    pub fn external(&mut self, tenant: &str, net: &str, name: &str, ip: u8) -> u64 {
        let key = format!("{tenant}:{name}");
        let ep = Endpoint {
            mac_address: Some(mac_of(name)),
            ip_address: Some(Ipv4Addr::new(10, 0, 0, ip)),
            external: true,
            ..Endpoint::named(tenant, net, name)
        };
        let id = self.snap.endpoint_ids.len() as u64 + 1;
        self.snap.endpoints.insert(key.clone(), ep);
        self.snap.endpoint_ids.insert(key, id);
        id
    }

    /// Endpoint group `tenant:name` on network `net` with `policies` attached; its id.
    pub fn group(&mut self, tenant: &str, net: &str, name: &str, policies: &[&str]) -> u16 {
        let key = format!("{tenant}:{name}");
        let id = self.snap.group_ids.len() as u16 + 1;
        self.snap.groups.insert(
            key.clone(),
            northbound_api::model::EndpointGroup {
                tenant_name: tenant.into(),
                group_name: name.into(),
                network_name: net.into(),
                ip_pool: None,
                policies: policies.iter().map(|p| p.to_string()).collect(),
                net_profile: None,
                default_deny: false,
                cfgd_tag: None,
                ext_contracts_grps: Vec::new(),
            },
        );
        self.snap.group_ids.insert(key, id);
        id
    }

    /// Puts endpoint `tenant:container` into group `group`.
    pub fn join(&mut self, tenant: &str, container: &str, group: &str) {
        let ep = self
            .snap
            .endpoints
            .get_mut(&format!("{tenant}:{container}"))
            .expect("a known endpoint");
        ep.group_name = Some(group.into());
    }

    /// Adds rule `r` (and its policy).
    pub fn rule(&mut self, r: northbound_api::model::Rule) {
        let policy = format!("{}:{}", r.tenant_name, r.policy_name);
        self.snap.policies.insert(
            policy,
            northbound_api::model::Policy {
                tenant_name: r.tenant_name.clone(),
                policy_name: r.policy_name.clone(),
            },
        );
        let key = format!("{}:{}:{}", r.tenant_name, r.policy_name, r.rule_id);
        self.snap.rules.insert(key, r);
    }

    /// The compiled state of every switch.
    pub fn compile(&self) -> BTreeMap<u64, SwitchState> {
        compile(&self.snap, &self.topo)
    }

    /// A fake switch per host holding its compiled state, by host number.
    pub fn install(&self) -> BTreeMap<u8, FakeSwitch> {
        let states = self.compile();
        self.topo
            .hosts
            .values()
            .map(|h| {
                let n = h.dpid as u8;
                let mut ports: Vec<u32> = h.endpoint_ports.values().copied().collect();
                ports.extend(&h.uplinks);
                ports.extend(h.tunnel_ports());
                (n, install(h.dpid, &states[&h.dpid], &ports))
            })
            .collect()
    }
}

/// Where an endpoint is plugged in.
#[derive(Debug, Clone, Copy)]
pub struct Port {
    /// Host number.
    pub host: u8,
    /// OpenFlow port.
    pub port: u32,
}

/// Port `port` of host `host`.
pub fn at(host: u8, port: u32) -> Port {
    Port { host, port }
}

/// The MAC of a container: derived from its name, so that tests can name it.
pub fn mac_of(container: &str) -> MacAddr {
    let mut m = [0x02, 0, 0, 0, 0, 0];
    for (i, b) in container.bytes().enumerate() {
        m[1 + i % 5] ^= b;
    }
    MacAddr(m)
}

/// A fake switch with `ports` that holds `state`, installed through the reconciler's plan from
/// an empty switch; checks that the state reads back as compiled (the plan is then empty).
pub fn install(dpid: u64, state: &SwitchState, ports: &[u32]) -> FakeSwitch {
    let fs = FakeSwitch::new(dpid).with_ports(ports.iter().map(|p| port(*p)).collect());
    for msg in diff(state, &SwitchState::default()).messages {
        fs.apply_mod(msg)
            .expect("flow, group and meter mods accepted");
    }
    let back = read_back(&fs);
    assert!(diff(state, &back).is_empty(), "switch {dpid} converged");
    fs
}

/// What a fake switch holds, as the reconciler reads it back.
pub fn read_back(fs: &FakeSwitch) -> SwitchState {
    let (flows, groups, meters) = fs.read_back();
    SwitchState::from_switch(&flows, &groups, &meters)
}

thread_local! {
    /// The last octet of each endpoint's address (`10.0.0.x`) by container name, as the
    /// fixtures of this thread declared them: packets from an endpoint carry its own address
    /// (port security checks it).
    static IPS: std::cell::RefCell<BTreeMap<String, u8>> = const {
        std::cell::RefCell::new(BTreeMap::new())
    };
}

/// The address of container `name` (`10.0.0.1` for one never declared).
pub fn ip_of(name: &str) -> Ipv4Addr {
    Ipv4Addr::new(
        10,
        0,
        0,
        IPS.with(|m| m.borrow().get(name).copied().unwrap_or(1)),
    )
}

/// A broadcast (non-ARP) IPv4 frame from `src` entering at `in_port`.
pub fn broadcast(in_port: u32, src: &str) -> Packet {
    Packet::ipv4_udp(
        in_port,
        mac_of(src),
        MacAddr::BROADCAST,
        ip_of(src),
        Ipv4Addr::BROADCAST,
        68,
        67,
    )
}

/// A unicast IPv4 frame from `src` to `dst` entering at `in_port`.
pub fn unicast(in_port: u32, src: &str, dst: &str) -> Packet {
    Packet::ipv4_udp(
        in_port,
        mac_of(src),
        mac_of(dst),
        ip_of(src),
        Ipv4Addr::new(10, 0, 0, 2),
        1000,
        2000,
    )
}

/// An ARP request from `src` (IP `10.0.0.spa`) for `10.0.0.tpa`, entering at `in_port`.
pub fn arp(in_port: u32, src: &str, spa: u8, tpa: u8) -> Packet {
    Packet::arp_request(
        in_port,
        mac_of(src),
        Ipv4Addr::new(10, 0, 0, spa),
        Ipv4Addr::new(10, 0, 0, tpa),
    )
}

/// The same frame as it arrives from a VXLAN tunnel with `vni` at `in_port`.
pub fn from_tunnel(p: &Packet, in_port: u32, vni: u64) -> Packet {
    let mut p = p.clone().with_in_port(in_port).with_tunnel_id(vni);
    p.tun_dst = None;
    p
}
