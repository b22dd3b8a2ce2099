//! The fake switch checked against Open vSwitch: the example intents' compiled state of each
//! host, installed both in a fake switch and (by netmaster's own reconciler) in a private Open
//! vSwitch bridge with the same ports, and the same corpus of packets traced through both:
//! the fake switch's tracer and `ovs-appctl ofproto/trace` must send every packet out of the
//! same OpenFlow ports.
//!
//! The corpus, for every endpoint of the host: unicast IPv4 (UDP) to every endpoint of the
//! example, a broadcast, an ARP request for every endpoint's address; from the tunnel port,
//! every VXLAN network's frames (by VNI) to every local endpoint and broadcast; from the
//! uplink, every VLAN network's frames (by tag) likewise.
//!
//! Needs root, iproute2 and Open vSwitch (a missing tool fails the test, never a skip).

mod common;
#[path = "support/desired.rs"]
mod desired;
#[path = "support/examples.rs"]
mod examples;
#[path = "support/inproc.rs"]
mod inproc;

use common::*;
use examples::{apply_intent, fake_switch, topology, TUN, UPLINK};
use fakeswitch::Packet;
use inproc::Ctl;
use netmaster::compiler::compile;
use netmaster::desired::SwitchState;
use netmaster::intent::service::IntentDb;
use netmaster::intent::Snapshot;
use netmaster::reconcile::diff::diff;
use northbound_api::model::Encap;
use ofproto::MacAddr;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::time::Duration;

const BR: &str = "nmeq";
const WAIT: Duration = Duration::from_secs(30);
const BROADCAST: MacAddr = MacAddr::BROADCAST;

/// One packet of the corpus: what it is, and the same packet for both switches.
struct Probe {
    what: String,
    packet: Packet,
    /// The packet as an `ofproto/trace` flow.
    flow: String,
}

/// An IPv4 UDP packet from `src` to `dst` entering on `in_port`, optionally from a tunnel
/// (`tun_id`) or tagged (`vlan`).
#[allow(clippy::too_many_arguments)]
fn udp(
    what: String,
    in_port: u32,
    (src_mac, src): (MacAddr, Ipv4Addr),
    (dst_mac, dst): (MacAddr, Ipv4Addr),
    tun_id: Option<u64>,
    vlan: Option<u16>,
) -> Probe {
    let mut packet = Packet::ipv4_udp(in_port, src_mac, dst_mac, src, dst, 40000, 40001);
    let mut flow = format!(
        "in_port={in_port},udp,dl_src={src_mac},dl_dst={dst_mac},nw_src={src},nw_dst={dst},udp_src=40000,udp_dst=40001"
    );
    if let Some(id) = tun_id {
        packet = packet.with_tunnel_id(id);
        flow.push_str(&format!(",tun_id={id:#x}"));
    }
    if let Some(vid) = vlan {
        packet = packet.with_vlan(vid, 0);
        flow.push_str(&format!(",dl_vlan={vid}"));
    }
    Probe { what, packet, flow }
}

/// An ARP request from `sha`/`spa` for `tpa`, entering on `in_port`.
fn arp(what: String, in_port: u32, (sha, spa): (MacAddr, Ipv4Addr), tpa: Ipv4Addr) -> Probe {
    Probe {
        what,
        packet: Packet::arp_request(in_port, sha, spa, tpa),
        flow: format!(
            "in_port={in_port},arp,dl_src={sha},dl_dst={BROADCAST},arp_op=1,arp_sha={sha},arp_spa={spa},arp_tpa={tpa}"
        ),
    }
}

/// An endpoint of the example: its port on `host` (if it is there), MAC and address, and its
/// network's encapsulation and tag.
struct Ep {
    key: String,
    port: Option<u32>,
    mac: MacAddr,
    ip: Ipv4Addr,
    encap: Encap,
    tag: u32,
}

fn endpoints(snap: &Snapshot, ports: &netmaster::compiler::HostPorts) -> Vec<Ep> {
    snap.endpoints
        .iter()
        .map(|(key, e)| {
            let net = &snap.networks[&format!("{}:{}", e.tenant_name, e.network_name)];
            Ep {
                key: key.clone(),
                port: ports.endpoint_ports.get(key).copied(),
                mac: e.mac_address.expect("allocated MAC"),
                ip: e.ip_address.expect("allocated IPv4"),
                encap: net.encap,
                tag: net.pkt_tag.expect("allocated tag"),
            }
        })
        .collect()
}

/// The corpus for the host with `ports` (see the module documentation).
fn corpus(eps: &[Ep], has_tunnel: bool, has_uplink: bool) -> Vec<Probe> {
    let mut out = Vec::new();
    let local: Vec<&Ep> = eps.iter().filter(|e| e.port.is_some()).collect();
    for a in &local {
        let port = a.port.expect("local");
        for b in eps.iter().filter(|b| b.key != a.key) {
            out.push(udp(
                format!("{} -> {}", a.key, b.key),
                port,
                (a.mac, a.ip),
                (b.mac, b.ip),
                None,
                None,
            ));
            out.push(arp(
                format!("{} ARP for {}", a.key, b.key),
                port,
                (a.mac, a.ip),
                b.ip,
            ));
        }
        out.push(udp(
            format!("{} broadcast", a.key),
            port,
            (a.mac, a.ip),
            (BROADCAST, Ipv4Addr::BROADCAST),
            None,
            None,
        ));
    }
    let remote_src = (
        MacAddr([0x02, 0x0f, 0, 0, 0, 1]),
        Ipv4Addr::new(10, 99, 0, 1),
    );
    let mut tags: Vec<(Encap, u32)> = Vec::new();
    for e in eps {
        if !tags.contains(&(e.encap, e.tag)) {
            tags.push((e.encap, e.tag));
        }
    }
    for (encap, tag) in tags {
        let (in_port, tun_id, vlan) = match encap {
            Encap::Vxlan if has_tunnel => (TUN, Some(u64::from(tag)), None),
            Encap::Vlan if has_uplink => (UPLINK, None, Some(tag as u16)),
            _ => continue,
        };
        for b in &local {
            out.push(udp(
                format!("{encap:?} {tag} -> {}", b.key),
                in_port,
                remote_src,
                (b.mac, b.ip),
                tun_id,
                vlan,
            ));
        }
        out.push(udp(
            format!("{encap:?} {tag} broadcast"),
            in_port,
            remote_src,
            (BROADCAST, Ipv4Addr::BROADCAST),
            tun_id,
            vlan,
        ));
    }
    out
}

/// The OpenFlow ports Open vSwitch's trace of `flow` (entering on `in_port`) outputs to: every
/// `output:N` of the pipeline (named `pN` or numbered) that OVS does not skip as a send back
/// to the input port, and `IN_PORT`. A tunnel output counts even when this private OVS has
/// no route to the remote VTEP: the pipeline sent it there.
fn ovs_outputs(ovs: &Ovs, flow: &str, in_port: u32) -> (BTreeSet<u32>, String) {
    let out = ovs.appctl(&["ofproto/trace", BR, flow]);
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    let mut ports = BTreeSet::new();
    for (i, line) in lines.iter().enumerate() {
        if *line == "IN_PORT" || *line == "output:IN_PORT" {
            ports.insert(in_port);
            continue;
        }
        let Some(target) = line.strip_prefix("output:") else {
            continue;
        };
        let skipped = lines
            .get(i + 1)
            .is_some_and(|next| next.contains("skipping output to input port"));
        if skipped {
            continue;
        }
        let n = target
            .strip_prefix('p')
            .unwrap_or(target)
            .parse::<u32>()
            .unwrap_or_else(|_| panic!("output to {target:?} in the trace of {flow}:\n{out}"));
        ports.insert(n);
    }
    (ports, out)
}

/// Compiles `example` and compares, for every host, the traces of its corpus through a fake
/// switch and an Open vSwitch bridge holding the host's state; returns how many packets were
/// compared.
fn compare(example: &str) -> usize {
    let db = IntentDb::in_memory();
    apply_intent(&db, example);
    let snap = db.snapshot();
    let topo = topology(&snap);
    let states = compile(&snap, &topo);
    let mut compared = 0;
    let mut differ = Vec::new();
    for (name, host) in &topo.hosts {
        let state = &states[&host.dpid];
        let ports = host.ports();
        let fs = fake_switch(host.dpid, state, &ports);
        let ovs = bridge_with(state, host.dpid, &ports);
        let eps = endpoints(&snap, host);
        for p in corpus(&eps, host.tunnel.is_some(), !host.uplinks.is_empty()) {
            let fake: BTreeSet<u32> = fs.trace(&p.packet).ports().into_iter().collect();
            let (real, text) = ovs_outputs(&ovs, &p.flow, p.packet.in_port);
            if fake != real {
                differ.push(format!(
                    "{name}: {}: fake switch {fake:?}, Open vSwitch {real:?}\n  {}\n{text}",
                    p.what, p.flow
                ));
            }
            compared += 1;
        }
    }
    assert!(
        differ.is_empty(),
        "{example}: {} of {compared} packets go elsewhere:\n{}",
        differ.len(),
        differ.join("\n")
    );
    compared
}

/// A private Open vSwitch whose bridge has `ports` (internal ports `pN`, the flow-based
/// VXLAN port as [`TUN`]) and holds `state`, installed by netmaster's reconciler.
fn bridge_with(state: &SwitchState, dpid: u64, ports: &[u32]) -> Ovs {
    let ovs = Ovs::start();
    ovs.add_bridge(BR, dpid, false);
    for &p in ports {
        let name = format!("p{p}");
        let ofport = format!("ofport_request={p}");
        let kind: &[&str] = if p == TUN {
            &["type=vxlan", "options:remote_ip=flow", "options:key=flow"]
        } else {
            &["type=internal"]
        };
        let mut args = vec![
            "add-port",
            BR,
            &name,
            "--",
            "set",
            "interface",
            &name,
            &ofport,
        ];
        args.extend_from_slice(kind);
        ovs.vsctl(&args);
    }
    let ctl = Ctl::start(&ovs, state.clone());
    ovs.set_controller(BR);
    wait_until(WAIT, "the compiled state on the bridge", || {
        diff(state, &ctl.read_back(dpid)).is_empty().then_some(())
    });
    ovs
}

#[test]
fn two_hosts_multiple_tenants() {
    assert!(compare("two_hosts_multiple_tenants.json") > 0);
}

#[test]
fn two_hosts_multiple_tenants_mix_vlan_vxlan() {
    assert!(compare("two_hosts_multiple_tenants_mix_vlan_vxlan.json") > 0);
}

#[test]
fn three_hosts_vxlan() {
    assert!(compare("three_hosts_vxlan.json") > 0);
}
