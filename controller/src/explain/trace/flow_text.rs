//! A traced packet written as `ovs-ofctl` flow syntax, the way `ovs-appctl ofproto/trace`
//! takes it, so that Open vSwitch can be asked about the very packet the model traced.

use fakeswitch::Packet;
use northbound_api::live_trace::OfprotoFlow;
use std::fmt::Write as _;

const ETH_TYPE_IPV4: u16 = 0x0800;
const ETH_TYPE_ARP: u16 = 0x0806;
const ETH_TYPE_IPV6: u16 = 0x86dd;

/// `packet` in flow syntax: the protocol keyword, `in_port`, `tun_id` (from a tunnel), the
/// outer VLAN, the Ethernet, IP and transport fields it has.
pub(super) fn flow_text(p: &Packet) -> OfprotoFlow {
    let keyword = match (p.eth_type, p.ip_proto) {
        (ETH_TYPE_IPV4, Some(1)) => "icmp".to_string(),
        (ETH_TYPE_IPV4, Some(6)) => "tcp".to_string(),
        (ETH_TYPE_IPV4, Some(17)) => "udp".to_string(),
        (ETH_TYPE_IPV4, _) => "ip".to_string(),
        (ETH_TYPE_ARP, _) => "arp".to_string(),
        (ETH_TYPE_IPV6, Some(58)) => "icmp6".to_string(),
        (ETH_TYPE_IPV6, Some(6)) => "tcp6".to_string(),
        (ETH_TYPE_IPV6, Some(17)) => "udp6".to_string(),
        (ETH_TYPE_IPV6, _) => "ipv6".to_string(),
        (other, _) => format!("dl_type=0x{other:04x}"),
    };
    let mut s = format!("{keyword},in_port={}", p.in_port);
    if p.tunnel_id != 0 {
        let _ = write!(s, ",tun_id={:#x}", p.tunnel_id);
    }
    if let Some(v) = p.vlans.first() {
        let _ = write!(s, ",dl_vlan={},dl_vlan_pcp={}", v.vid, v.pcp);
    }
    let _ = write!(s, ",dl_src={},dl_dst={}", p.eth_src, p.eth_dst);
    if let (Some(src), Some(dst)) = (p.ipv4_src, p.ipv4_dst) {
        let _ = write!(s, ",nw_src={src},nw_dst={dst}");
    }
    if let Some(ttl) = p.ip_ttl {
        let _ = write!(s, ",nw_ttl={ttl}");
    }
    if let Some(dscp) = p.ip_dscp {
        let _ = write!(s, ",nw_tos={}", dscp << 2);
    }
    let ports = [
        ("tcp_src", p.tcp_src),
        ("tcp_dst", p.tcp_dst),
        ("udp_src", p.udp_src),
        ("udp_dst", p.udp_dst),
    ];
    for (name, value) in ports {
        if let Some(v) = value {
            let _ = write!(s, ",{name}={v}");
        }
    }
    if let (Some(t), Some(c)) = (p.icmpv4_type, p.icmpv4_code) {
        let _ = write!(s, ",icmp_type={t},icmp_code={c}");
    }
    OfprotoFlow::new(&s).expect("a packet's fields are flow syntax")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_are_written_as_ofproto_trace_takes_them() {
        let a = "02:02:0a:01:00:01".parse().unwrap();
        let b = "02:02:0a:01:00:02".parse().unwrap();
        let tcp = Packet::ipv4_tcp(
            3,
            a,
            b,
            [10, 1, 0, 1].into(),
            [10, 1, 0, 2].into(),
            49152,
            80,
        );
        assert_eq!(
            flow_text(&tcp).as_str(),
            "tcp,in_port=3,dl_src=02:02:0a:01:00:01,dl_dst=02:02:0a:01:00:02,nw_src=10.1.0.1,\
             nw_dst=10.1.0.2,nw_ttl=64,nw_tos=0,tcp_src=49152,tcp_dst=80"
        );
        let icmp = Packet::ipv4_icmp(7, a, b, [10, 1, 0, 1].into(), [10, 1, 0, 2].into(), 8, 0)
            .with_tunnel_id(7001)
            .with_vlan(100, 0);
        assert_eq!(
            flow_text(&icmp).as_str(),
            "icmp,in_port=7,tun_id=0x1b59,dl_vlan=100,dl_vlan_pcp=0,dl_src=02:02:0a:01:00:01,\
             dl_dst=02:02:0a:01:00:02,nw_src=10.1.0.1,nw_dst=10.1.0.2,nw_ttl=64,nw_tos=0,\
             icmp_type=8,icmp_code=0"
        );
    }
}
