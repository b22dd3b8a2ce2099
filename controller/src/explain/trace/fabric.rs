//! Following a packet and its copies through the switches of the fabric: each switch's
//! compiled state is loaded into an in-memory OpenFlow datapath ([`fakeswitch::Datapath`]),
//! the packet is traced through it, and every copy that leaves by a tunnel or an uplink is
//! handed to the switch the fabric would deliver it to (the host owning the tunnel's
//! destination VTEP; over VLAN, the host a learning switch knows the destination MAC on, or
//! every other host for broadcast and unknown destinations).

use super::super::owners::Owners;
use super::flow_text::flow_text;
use crate::compiled::Compiled;
use crate::compiler::{HostPorts, TunnelMode};
use crate::desired::SwitchState;
use crate::reconcile::diff::diff;
use fakeswitch::{Datapath, Packet};
use northbound_api::model::Encap;
use northbound_api::trace::{DropPoint, TraceHop, TraceOutput, TraceStep};
use ofproto::action::port_no;
use ofproto::msg::{Body, FlowMod};
use ofproto::text::format_flow_mod;
use ofproto::MacAddr;
use std::collections::{BTreeMap, VecDeque};
use std::net::Ipv4Addr;

/// Fabric hops after which a copy is taken to loop.
const MAX_DEPTH: usize = 8;
/// Switch visits after which a trace stops (a flood across many hosts).
const MAX_VISITS: usize = 256;

/// Where a VLAN frame with a given (VLAN, destination MAC) is known to be.
#[derive(Debug, Clone)]
enum Station {
    /// On this host.
    Host(String),
    /// Outside the cluster, behind the uplinks (an external endpoint).
    External(String),
}

/// A copy of the packet on its way into a switch.
#[derive(Debug)]
struct Arrival {
    host: String,
    packet: Packet,
    /// What its ingress port is.
    arrived: String,
    /// Fabric hops so far.
    depth: usize,
}

/// What the trace saw, switch by switch.
#[derive(Debug, Default)]
pub(super) struct Walk {
    /// Copies still to trace, in the order they left their switch.
    queue: VecDeque<Arrival>,
    /// Every switch visit.
    pub hops: Vec<TraceHop>,
    /// Endpoints that received a copy addressed to them.
    pub delivered: Vec<String>,
    /// Copies that left the fabric or went to netmaster.
    pub left: Vec<String>,
    /// Where copies were dropped.
    pub dropped: Vec<DropPoint>,
}

/// The switches of one compiled snapshot, loaded on demand.
pub(super) struct Fabric<'a> {
    compiled: &'a Compiled,
    owners: &'a Owners,
    datapaths: BTreeMap<String, (Datapath, Vec<String>)>,
    /// Endpoint key by (host, port).
    at: BTreeMap<(String, u32), String>,
    /// Where a learning VLAN fabric knows each (VLAN, MAC).
    stations: BTreeMap<(u16, MacAddr), Station>,
}

impl<'a> Fabric<'a> {
    /// The fabric of `compiled`.
    pub fn new(compiled: &'a Compiled, owners: &'a Owners) -> Fabric<'a> {
        let at: BTreeMap<(String, u32), String> = compiled
            .topology
            .placements()
            .map(|(key, host, port)| ((host.clone(), port), key.clone()))
            .collect();
        let host_of: BTreeMap<&String, &String> = compiled
            .topology
            .placements()
            .map(|(key, host, _)| (key, host))
            .collect();
        let intent = &compiled.intent;
        let stations = intent
            .endpoints
            .iter()
            .filter_map(|(key, e)| {
                let net = intent
                    .networks
                    .get(&format!("{}:{}", e.tenant_name, e.network_name))?;
                let vid = u16::try_from(net.pkt_tag?).ok()?;
                let station = if e.external {
                    Station::External(key.clone())
                } else {
                    Station::Host((*host_of.get(key)?).clone())
                };
                (net.encap == Encap::Vlan).then_some(((vid, e.mac_address?), station))
            })
            .collect();
        Fabric {
            compiled,
            owners,
            datapaths: BTreeMap::new(),
            at,
            stations,
        }
    }

    /// Sends `packet` into `host`'s switch and follows every copy.
    pub fn follow(&mut self, host: &str, packet: Packet, arrived: String) -> Walk {
        let mut walk = Walk::default();
        walk.queue.push_back(Arrival {
            host: host.to_string(),
            packet,
            arrived,
            depth: 0,
        });
        while let Some(Arrival {
            host,
            packet,
            arrived,
            depth,
        }) = walk.queue.pop_front()
        {
            if walk.hops.len() >= MAX_VISITS {
                walk.left.push(format!(
                    "not followed: more than {MAX_VISITS} switch visits"
                ));
                break;
            }
            let mut hop = self.visit(&host, &packet, arrived);
            let trace = {
                let (dp, notes) = self.datapath(&host);
                hop.notes.extend(notes.iter().cloned());
                dp.trace(&packet)
            };
            for (i, (table, cookie)) in trace.hits.iter().enumerate() {
                let (m, ins) = trace.rules[i].clone();
                let mut fm = FlowMod::add(*table, trace.priorities[i], m, ins);
                fm.cookie = *cookie;
                hop.steps.push(TraceStep {
                    table: *table,
                    priority: trace.priorities[i],
                    cookie: *cookie,
                    flow: format_flow_mod(&fm),
                    owner: self.owners.of(*cookie),
                });
            }
            hop.table_miss = trace.table_miss;
            hop.notes.extend(trace.notes.iter().cloned());
            if trace.outputs.is_empty() {
                walk.dropped.push(DropPoint {
                    host: host.clone(),
                    table: trace
                        .table_miss
                        .or(hop.steps.last().map(|s| s.table))
                        .unwrap_or(0),
                    by: match trace.table_miss {
                        Some(_) => None,
                        None => hop.steps.last().cloned(),
                    },
                });
            }
            for (port, out) in trace.outputs {
                let to = self.output(&host, port, out, depth, &mut walk);
                hop.outputs.push(TraceOutput { port, to });
            }
            walk.hops.push(hop);
        }
        walk
    }

    /// The hop record of a visit of `host`'s switch (steps and outputs filled in later).
    fn visit(&self, host: &str, packet: &Packet, arrived: String) -> TraceHop {
        let dpid = self.ports(host).map_or(0, |h| h.dpid);
        TraceHop {
            host: host.to_string(),
            dpid,
            in_port: packet.in_port,
            packet: flow_text(packet).to_string(),
            arrived,
            steps: Vec::new(),
            outputs: Vec::new(),
            table_miss: None,
            notes: Vec::new(),
            live: None,
        }
    }

    fn ports(&self, host: &str) -> Option<&'a HostPorts> {
        self.compiled.topology.hosts.get(host)
    }

    /// What a copy sent out of `port` of `host`'s switch reaches; queues the next switch.
    fn output(&self, host: &str, port: u32, out: Packet, depth: usize, walk: &mut Walk) -> String {
        if port == port_no::CONTROLLER {
            walk.left
                .push(format!("controller (packet-in from {host})"));
            return "controller".into();
        }
        if let Some(key) = self.at.get(&(host.to_string(), port)) {
            let mac = self
                .compiled
                .intent
                .endpoints
                .get(key)
                .and_then(|e| e.mac_address);
            if out.eth_dst.is_multicast() || Some(out.eth_dst) == mac {
                walk.delivered.push(key.clone());
                return format!("endpoint {key}");
            }
            return format!("endpoint {key} (not its MAC: its interface drops it)");
        }
        let Some(h) = self.ports(host) else {
            return format!("port {port}");
        };
        if h.tunnel_ports().contains(&port) {
            return self.tunnel(host, h, port, out, depth, walk);
        }
        if h.uplinks.contains(&port) {
            return self.uplink(host, out, depth, walk);
        }
        format!("port {port} (not an endpoint, tunnel or uplink netmaster knows)")
    }

    /// A copy into a VXLAN tunnel: to the host owning the destination VTEP.
    fn tunnel(
        &self,
        host: &str,
        h: &HostPorts,
        port: u32,
        out: Packet,
        depth: usize,
        walk: &mut Walk,
    ) -> String {
        let vni = out.tunnel_id;
        let vtep: Option<Ipv4Addr> = match &h.tunnel {
            Some(TunnelMode::Flow { .. }) => out.tun_dst,
            Some(TunnelMode::PerPeer { ports }) => {
                ports.iter().find(|(_, p)| **p == port).map(|(v, _)| *v)
            }
            None => None,
        };
        let hosts = &self.compiled.topology.hosts;
        let peer = vtep.and_then(|v| {
            hosts
                .iter()
                .find(|(name, p)| p.vtep_ip == Some(v) && name.as_str() != host)
        });
        let Some((peer, p)) = peer else {
            walk.left.push(format!(
                "tunnel of {host} to {vtep:?}, a VTEP of no other host"
            ));
            return format!("tunnel to {vtep:?} (no host has that VTEP)");
        };
        let in_port = h.vtep_ip.and_then(|v| p.tunnel_port_to(v)).map(|(p, _)| p);
        let Some(in_port) = in_port else {
            walk.left.push(format!(
                "tunnel of {host} to {peer}, which has no tunnel port back"
            ));
            return format!("tunnel to {peer} (it has no tunnel port from {host})");
        };
        if depth >= MAX_DEPTH {
            walk.left.push(format!("loop: still moving at {peer}"));
        } else {
            let mut next = out.with_in_port(in_port);
            next.tun_dst = None;
            walk.queue.push_back(Arrival {
                host: peer.clone(),
                packet: next,
                arrived: format!("tunnel from {host} (VNI {vni})"),
                depth: depth + 1,
            });
        }
        format!("tunnel to {peer} (VNI {vni})")
    }

    /// A copy onto a VLAN uplink: to the host the fabric knows the destination MAC on, or to
    /// every other host with an uplink (broadcast, unknown destination); out of the fabric
    /// to an external endpoint.
    fn uplink(&self, host: &str, out: Packet, depth: usize, walk: &mut Walk) -> String {
        let Some(vid) = out.vlan_vid() else {
            walk.left.push(format!("uplink of {host}, untagged"));
            return "uplink (untagged)".into();
        };
        let hosts = &self.compiled.topology.hosts;
        let to: Vec<&String> = match self.stations.get(&(vid, out.eth_dst)) {
            Some(Station::External(key)) => {
                walk.delivered.push(key.clone());
                return format!("uplink (VLAN {vid}) to external endpoint {key}");
            }
            Some(Station::Host(h)) => hosts.keys().filter(|n| *n == h).collect(),
            None => {
                walk.left.push(format!(
                    "uplink of {host} (VLAN {vid}) to the physical network"
                ));
                hosts.keys().collect()
            }
        };
        let mut reached = Vec::new();
        for peer in to.into_iter().filter(|p| p.as_str() != host) {
            let Some(&in_port) = hosts[peer].uplinks.first() else {
                continue;
            };
            reached.push(peer.clone());
            if depth >= MAX_DEPTH {
                walk.left.push(format!("loop: still moving at {peer}"));
            } else {
                walk.queue.push_back(Arrival {
                    host: peer.clone(),
                    packet: out.clone().with_in_port(in_port),
                    arrived: format!("uplink from {host} (VLAN {vid})"),
                    depth: depth + 1,
                });
            }
        }
        format!("uplink (VLAN {vid}) to {}", list_or_none(&reached))
    }

    /// `host`'s switch holding its compiled state, and what the model could not take of it.
    fn datapath(&mut self, host: &str) -> &mut (Datapath, Vec<String>) {
        let compiled = self.compiled;
        self.datapaths
            .entry(host.to_string())
            .or_insert_with(|| load(compiled, host))
    }
}

fn list_or_none(hosts: &[String]) -> String {
    if hosts.is_empty() {
        "no other host".into()
    } else {
        hosts.join(", ")
    }
}

/// A datapath with the ports of `host` and its compiled state, installed as the reconciler
/// would install it on an empty switch.
fn load(compiled: &Compiled, host: &str) -> (Datapath, Vec<String>) {
    let mut dp = Datapath::new();
    let mut notes = Vec::new();
    let Some(h) = compiled.topology.hosts.get(host) else {
        return (dp, vec![format!("host {host} has no switch")]);
    };
    for p in h.ports() {
        dp.set_port(fakeswitch::port(p));
    }
    let Some(fitted) = compiled.switches.get(&h.dpid) else {
        return (
            dp,
            vec![format!("switch {:#x} has no compiled state", h.dpid)],
        );
    };
    for msg in diff(&fitted.state, &SwitchState::default()).messages {
        let done = match &msg {
            Body::FlowMod(fm) => dp.flow_mod(fm).map(drop),
            Body::GroupMod(gm) => dp.group_mod(gm).map(drop),
            Body::MeterMod(mm) => dp.meter_mod(mm).map(drop),
            _ => Ok(()),
        };
        if let Err(e) = done {
            notes.push(format!(
                "the trace model refused part of the compiled state: {e}"
            ));
        }
    }
    (dp, notes)
}
