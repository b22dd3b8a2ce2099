//! A packet as the pipeline sees it: the values of the OpenFlow 1.3 header fields.
//!
//! A [`Packet`] is not a byte buffer: it holds the field values OXM matches look at and
//! set-field actions change. Fields a packet does not have (`None`, no VLAN tag, no MPLS label)
//! do not match any match field, as in a real switch. `metadata` and `tunnel_id` are pipeline
//! fields and always present (0 for a packet that did not come from a tunnel, as in Open
//! vSwitch).

use ofproto::nx::NxField;
use ofproto::oxm::{OxmValue, OFPVID_PRESENT};
use ofproto::{MacAddr, Masked, OxmField};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Ethertype of IPv4.
pub const ETH_TYPE_IPV4: u16 = 0x0800;
/// Ethertype of ARP.
pub const ETH_TYPE_ARP: u16 = 0x0806;
/// Ethertype of IPv6.
pub const ETH_TYPE_IPV6: u16 = 0x86dd;
/// Ethertype of an 802.1Q VLAN tag.
pub const ETH_TYPE_VLAN: u16 = 0x8100;
/// Ethertype of MPLS unicast.
pub const ETH_TYPE_MPLS: u16 = 0x8847;
/// IP protocol number of ICMP.
pub const IPPROTO_ICMP: u8 = 1;
/// IP protocol number of TCP.
pub const IPPROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
pub const IPPROTO_UDP: u8 = 17;
/// IP protocol number of ICMPv6.
pub const IPPROTO_ICMPV6: u8 = 58;

/// One 802.1Q tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VlanTag {
    /// The tag's ethertype (TPID), 0x8100 or 0x88a8.
    pub tpid: u16,
    /// VLAN id (12 bits).
    pub vid: u16,
    /// Priority code point (3 bits).
    pub pcp: u8,
}

/// One MPLS label stack entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MplsTag {
    /// Label (20 bits).
    pub label: u32,
    /// Traffic class (3 bits).
    pub tc: u8,
    /// Time to live.
    pub ttl: u8,
}

/// The header fields of a packet entering (or leaving) the pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Packet {
    /// Ingress port (`IN_PORT`).
    pub in_port: u32,
    /// Physical ingress port (`IN_PHY_PORT`), when it differs from `in_port`.
    pub in_phy_port: Option<u32>,
    /// Pipeline metadata (`METADATA`), 0 on entry.
    pub metadata: u64,
    /// Tunnel id (`TUNNEL_ID`), 0 when the packet did not come from a tunnel.
    pub tunnel_id: u64,
    /// Open vSwitch's tunnel destination (`tun_dst`, Nicira `NXM_NX_TUN_IPV4_DST`): the remote
    /// VTEP a flow-based tunnel port sends to. Only a `set_field` changes it; it is not matched.
    pub tun_dst: Option<Ipv4Addr>,
    /// Ethernet destination.
    pub eth_dst: MacAddr,
    /// Ethernet source.
    pub eth_src: MacAddr,
    /// VLAN tags, outermost first.
    pub vlans: Vec<VlanTag>,
    /// MPLS label stack, outermost first.
    pub mpls: Vec<MplsTag>,
    /// The ethertype after the VLAN tags (`ETH_TYPE`); an MPLS ethertype while labels are on.
    pub eth_type: u16,
    /// IP DSCP (6 bits).
    pub ip_dscp: Option<u8>,
    /// IP ECN (2 bits).
    pub ip_ecn: Option<u8>,
    /// IP protocol.
    pub ip_proto: Option<u8>,
    /// IP TTL / hop limit (not an OXM field; changed by TTL actions).
    pub ip_ttl: Option<u8>,
    /// IPv4 source.
    pub ipv4_src: Option<Ipv4Addr>,
    /// IPv4 destination.
    pub ipv4_dst: Option<Ipv4Addr>,
    /// IPv6 source.
    pub ipv6_src: Option<Ipv6Addr>,
    /// IPv6 destination.
    pub ipv6_dst: Option<Ipv6Addr>,
    /// IPv6 flow label (20 bits).
    pub ipv6_flabel: Option<u32>,
    /// IPv6 extension header pseudo-field.
    pub ipv6_exthdr: Option<u16>,
    /// TCP source port.
    pub tcp_src: Option<u16>,
    /// TCP destination port.
    pub tcp_dst: Option<u16>,
    /// UDP source port.
    pub udp_src: Option<u16>,
    /// UDP destination port.
    pub udp_dst: Option<u16>,
    /// SCTP source port.
    pub sctp_src: Option<u16>,
    /// SCTP destination port.
    pub sctp_dst: Option<u16>,
    /// ICMPv4 type.
    pub icmpv4_type: Option<u8>,
    /// ICMPv4 code.
    pub icmpv4_code: Option<u8>,
    /// ICMPv6 type.
    pub icmpv6_type: Option<u8>,
    /// ICMPv6 code.
    pub icmpv6_code: Option<u8>,
    /// IPv6 neighbour discovery target.
    pub ipv6_nd_target: Option<Ipv6Addr>,
    /// IPv6 ND source link-layer address.
    pub ipv6_nd_sll: Option<MacAddr>,
    /// IPv6 ND target link-layer address.
    pub ipv6_nd_tll: Option<MacAddr>,
    /// ARP opcode.
    pub arp_op: Option<u16>,
    /// ARP sender protocol address.
    pub arp_spa: Option<Ipv4Addr>,
    /// ARP target protocol address.
    pub arp_tpa: Option<Ipv4Addr>,
    /// ARP sender hardware address.
    pub arp_sha: Option<MacAddr>,
    /// ARP target hardware address.
    pub arp_tha: Option<MacAddr>,
    /// PBB I-SID (24 bits).
    pub pbb_isid: Option<u32>,
    /// Queue chosen by a `set_queue` action (not a match field).
    pub queue_id: Option<u32>,
    /// Length in bytes, for byte counters (push/pop VLAN and MPLS adjust it).
    pub len: u32,
}

impl Packet {
    /// A bare Ethernet frame of 64 bytes.
    pub fn ethernet(in_port: u32, eth_src: MacAddr, eth_dst: MacAddr, eth_type: u16) -> Packet {
        Packet {
            in_port,
            in_phy_port: None,
            metadata: 0,
            tunnel_id: 0,
            tun_dst: None,
            eth_dst,
            eth_src,
            vlans: Vec::new(),
            mpls: Vec::new(),
            eth_type,
            ip_dscp: None,
            ip_ecn: None,
            ip_proto: None,
            ip_ttl: None,
            ipv4_src: None,
            ipv4_dst: None,
            ipv6_src: None,
            ipv6_dst: None,
            ipv6_flabel: None,
            ipv6_exthdr: None,
            tcp_src: None,
            tcp_dst: None,
            udp_src: None,
            udp_dst: None,
            sctp_src: None,
            sctp_dst: None,
            icmpv4_type: None,
            icmpv4_code: None,
            icmpv6_type: None,
            icmpv6_code: None,
            ipv6_nd_target: None,
            ipv6_nd_sll: None,
            ipv6_nd_tll: None,
            arp_op: None,
            arp_spa: None,
            arp_tpa: None,
            arp_sha: None,
            arp_tha: None,
            pbb_isid: None,
            queue_id: None,
            len: 64,
        }
    }

    /// An IPv4 packet with protocol `proto` (no transport fields), TTL 64, DSCP/ECN 0.
    pub fn ipv4(
        in_port: u32,
        eth_src: MacAddr,
        eth_dst: MacAddr,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        proto: u8,
    ) -> Packet {
        let mut p = Packet::ethernet(in_port, eth_src, eth_dst, ETH_TYPE_IPV4);
        p.ipv4_src = Some(src);
        p.ipv4_dst = Some(dst);
        p.ip_proto = Some(proto);
        p.ip_dscp = Some(0);
        p.ip_ecn = Some(0);
        p.ip_ttl = Some(64);
        p.len = 14 + 20 + 30;
        p
    }

    /// An IPv4 UDP packet.
    pub fn ipv4_udp(
        in_port: u32,
        eth_src: MacAddr,
        eth_dst: MacAddr,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        sport: u16,
        dport: u16,
    ) -> Packet {
        let mut p = Packet::ipv4(in_port, eth_src, eth_dst, src, dst, IPPROTO_UDP);
        p.udp_src = Some(sport);
        p.udp_dst = Some(dport);
        p
    }

    /// An IPv4 TCP packet.
    pub fn ipv4_tcp(
        in_port: u32,
        eth_src: MacAddr,
        eth_dst: MacAddr,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        sport: u16,
        dport: u16,
    ) -> Packet {
        let mut p = Packet::ipv4(in_port, eth_src, eth_dst, src, dst, IPPROTO_TCP);
        p.tcp_src = Some(sport);
        p.tcp_dst = Some(dport);
        p
    }

    /// An ICMPv4 packet (`typ` 8 is an echo request).
    pub fn ipv4_icmp(
        in_port: u32,
        eth_src: MacAddr,
        eth_dst: MacAddr,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        typ: u8,
        code: u8,
    ) -> Packet {
        let mut p = Packet::ipv4(in_port, eth_src, eth_dst, src, dst, IPPROTO_ICMP);
        p.icmpv4_type = Some(typ);
        p.icmpv4_code = Some(code);
        p
    }

    /// An IPv6 UDP packet, hop limit 64.
    pub fn ipv6_udp(
        in_port: u32,
        eth_src: MacAddr,
        eth_dst: MacAddr,
        src: Ipv6Addr,
        dst: Ipv6Addr,
        sport: u16,
        dport: u16,
    ) -> Packet {
        let mut p = Packet::ethernet(in_port, eth_src, eth_dst, ETH_TYPE_IPV6);
        p.ipv6_src = Some(src);
        p.ipv6_dst = Some(dst);
        p.ipv6_flabel = Some(0);
        p.ip_proto = Some(IPPROTO_UDP);
        p.ip_dscp = Some(0);
        p.ip_ecn = Some(0);
        p.ip_ttl = Some(64);
        p.udp_src = Some(sport);
        p.udp_dst = Some(dport);
        p.len = 14 + 40 + 30;
        p
    }

    /// A broadcast ARP request: who has `tpa`, tell `spa` (`sha`).
    pub fn arp_request(in_port: u32, sha: MacAddr, spa: Ipv4Addr, tpa: Ipv4Addr) -> Packet {
        let mut p = Packet::ethernet(in_port, sha, MacAddr::BROADCAST, ETH_TYPE_ARP);
        p.arp_op = Some(1);
        p.arp_sha = Some(sha);
        p.arp_spa = Some(spa);
        p.arp_tha = Some(MacAddr::default());
        p.arp_tpa = Some(tpa);
        p.len = 60;
        p
    }

    /// A unicast ARP reply from `sha`/`spa` to `tha`/`tpa`.
    pub fn arp_reply(
        in_port: u32,
        sha: MacAddr,
        spa: Ipv4Addr,
        tha: MacAddr,
        tpa: Ipv4Addr,
    ) -> Packet {
        let mut p = Packet::ethernet(in_port, sha, tha, ETH_TYPE_ARP);
        p.arp_op = Some(2);
        p.arp_sha = Some(sha);
        p.arp_spa = Some(spa);
        p.arp_tha = Some(tha);
        p.arp_tpa = Some(tpa);
        p.len = 60;
        p
    }

    /// The same packet with an outer 802.1Q tag (builder style).
    pub fn with_vlan(mut self, vid: u16, pcp: u8) -> Packet {
        self.vlans.insert(
            0,
            VlanTag {
                tpid: ETH_TYPE_VLAN,
                vid: vid & 0xfff,
                pcp: pcp & 7,
            },
        );
        self.len += 4;
        self
    }

    /// The same packet received from a tunnel with this id.
    pub fn with_tunnel_id(mut self, id: u64) -> Packet {
        self.tunnel_id = id;
        self
    }

    /// The same packet on another ingress port.
    pub fn with_in_port(mut self, port: u32) -> Packet {
        self.in_port = port;
        self
    }

    /// The same packet with another length.
    pub fn with_len(mut self, len: u32) -> Packet {
        self.len = len;
        self
    }

    /// The outer VLAN id, `None` when untagged.
    pub fn vlan_vid(&self) -> Option<u16> {
        self.vlans.first().map(|t| t.vid)
    }

    /// The value of an OpenFlow basic field as its wire bytes, `None` when the packet lacks it.
    ///
    /// `VLAN_VID` is `OFPVID_PRESENT | vid` for a tagged packet and `0` (`OFPVID_NONE`) for an
    /// untagged one, so that both tagged and untagged matches work.
    pub fn field_bytes(&self, code: u8) -> Option<Vec<u8>> {
        fn b<T: OxmValue>(v: T) -> Vec<u8> {
            let mut buf = bytes::BytesMut::new();
            v.write(&mut buf);
            buf.to_vec()
        }
        let outer_vlan = self.vlans.first();
        let outer_mpls = self.mpls.first();
        Some(match code {
            0 => b(self.in_port),
            1 => b(self.in_phy_port.unwrap_or(self.in_port)),
            2 => b(self.metadata),
            3 => b(self.eth_dst),
            4 => b(self.eth_src),
            5 => b(self.eth_type),
            6 => b(outer_vlan.map_or(0, |t| OFPVID_PRESENT | t.vid)),
            7 => b(outer_vlan?.pcp),
            8 => b(self.ip_dscp?),
            9 => b(self.ip_ecn?),
            10 => b(self.ip_proto?),
            11 => b(self.ipv4_src?),
            12 => b(self.ipv4_dst?),
            13 => b(self.tcp_src?),
            14 => b(self.tcp_dst?),
            15 => b(self.udp_src?),
            16 => b(self.udp_dst?),
            17 => b(self.sctp_src?),
            18 => b(self.sctp_dst?),
            19 => b(self.icmpv4_type?),
            20 => b(self.icmpv4_code?),
            21 => b(self.arp_op?),
            22 => b(self.arp_spa?),
            23 => b(self.arp_tpa?),
            24 => b(self.arp_sha?),
            25 => b(self.arp_tha?),
            26 => b(self.ipv6_src?),
            27 => b(self.ipv6_dst?),
            28 => b(self.ipv6_flabel?),
            29 => b(self.icmpv6_type?),
            30 => b(self.icmpv6_code?),
            31 => b(self.ipv6_nd_target?),
            32 => b(self.ipv6_nd_sll?),
            33 => b(self.ipv6_nd_tll?),
            34 => b(outer_mpls?.label),
            35 => b(outer_mpls?.tc),
            36 => b(u8::from(self.mpls.len() == 1)),
            37 => b(ofproto::oxm::U24(self.pbb_isid?)),
            38 => b(self.tunnel_id),
            39 => b(self.ipv6_exthdr?),
            _ => return None,
        })
    }

    /// Writes the value `bytes` (wire format) into basic field `code`, for the address fields
    /// an `NXAST_REG_MOVE` copies between (`ETH_DST`, `ETH_SRC`, `IPV4_SRC`, `IPV4_DST`,
    /// `ARP_SPA`, `ARP_TPA`, `ARP_SHA`, `ARP_THA`). Returns `false` (leaving the packet alone)
    /// for any other field or a value of the wrong length.
    pub fn set_field_bytes(&mut self, code: u8, bytes: &[u8]) -> bool {
        if let Ok(b) = <[u8; 6]>::try_from(bytes) {
            let mac = MacAddr(b);
            match code {
                3 => self.eth_dst = mac,
                4 => self.eth_src = mac,
                24 => self.arp_sha = Some(mac),
                25 => self.arp_tha = Some(mac),
                _ => return false,
            }
        } else if let Ok(b) = <[u8; 4]>::try_from(bytes) {
            let ip = Some(Ipv4Addr::from(b));
            match code {
                11 => self.ipv4_src = ip,
                12 => self.ipv4_dst = ip,
                22 => self.arp_spa = ip,
                23 => self.arp_tpa = ip,
                _ => return false,
            }
        } else {
            return false;
        }
        true
    }

    /// Applies a `set_field` action. A mask, if any, limits which bits change. Returns `false`
    /// (leaving the packet alone) for a field the packet cannot take: a raw/experimenter field,
    /// `VLAN_VID`/`VLAN_PCP` on an untagged packet, MPLS fields without a label.
    pub fn set_field(&mut self, f: &OxmField) -> bool {
        fn m<T>(old: Option<T>, v: &Masked<T>) -> T
        where
            T: Copy + Into<u128> + TryFrom<u128>,
        {
            match (v.mask, old) {
                (Some(mask), Some(old)) => {
                    let (o, n, k): (u128, u128, u128) = (old.into(), v.value.into(), mask.into());
                    T::try_from((o & !k) | (n & k)).unwrap_or(v.value)
                }
                _ => v.value,
            }
        }
        fn mac(old: Option<MacAddr>, v: &Masked<MacAddr>) -> MacAddr {
            match (v.mask, old) {
                (Some(k), Some(o)) => {
                    let mut out = [0u8; 6];
                    for (i, b) in out.iter_mut().enumerate() {
                        *b = (o.0[i] & !k.0[i]) | (v.value.0[i] & k.0[i]);
                    }
                    MacAddr(out)
                }
                _ => v.value,
            }
        }
        fn v4(old: Option<Ipv4Addr>, v: &Masked<Ipv4Addr>) -> Ipv4Addr {
            let mm = Masked {
                value: u32::from(v.value),
                mask: v.mask.map(u32::from),
            };
            Ipv4Addr::from(m(old.map(u32::from), &mm))
        }
        fn v6(old: Option<Ipv6Addr>, v: &Masked<Ipv6Addr>) -> Ipv6Addr {
            let mm = Masked {
                value: u128::from(v.value),
                mask: v.mask.map(u128::from),
            };
            Ipv6Addr::from(m(old.map(u128::from), &mm))
        }
        use OxmField as F;
        match f {
            F::InPort(p) => self.in_port = *p,
            F::InPhyPort(p) => self.in_phy_port = Some(*p),
            F::Metadata(v) => self.metadata = m(Some(self.metadata), v),
            F::EthDst(v) => self.eth_dst = mac(Some(self.eth_dst), v),
            F::EthSrc(v) => self.eth_src = mac(Some(self.eth_src), v),
            F::EthType(t) => self.eth_type = *t,
            F::VlanVid(v) => match self.vlans.first_mut() {
                Some(tag) => tag.vid = m(Some(tag.vid), v) & 0xfff,
                None => return false,
            },
            F::VlanPcp(p) => match self.vlans.first_mut() {
                Some(tag) => tag.pcp = *p & 7,
                None => return false,
            },
            F::IpDscp(v) => self.ip_dscp = Some(*v & 0x3f),
            F::IpEcn(v) => self.ip_ecn = Some(*v & 3),
            F::IpProto(v) => self.ip_proto = Some(*v),
            F::Ipv4Src(v) => self.ipv4_src = Some(v4(self.ipv4_src, v)),
            F::Ipv4Dst(v) => self.ipv4_dst = Some(v4(self.ipv4_dst, v)),
            F::TcpSrc(v) => self.tcp_src = Some(*v),
            F::TcpDst(v) => self.tcp_dst = Some(*v),
            F::UdpSrc(v) => self.udp_src = Some(*v),
            F::UdpDst(v) => self.udp_dst = Some(*v),
            F::SctpSrc(v) => self.sctp_src = Some(*v),
            F::SctpDst(v) => self.sctp_dst = Some(*v),
            F::Icmpv4Type(v) => self.icmpv4_type = Some(*v),
            F::Icmpv4Code(v) => self.icmpv4_code = Some(*v),
            F::ArpOp(v) => self.arp_op = Some(*v),
            F::ArpSpa(v) => self.arp_spa = Some(v4(self.arp_spa, v)),
            F::ArpTpa(v) => self.arp_tpa = Some(v4(self.arp_tpa, v)),
            F::ArpSha(v) => self.arp_sha = Some(mac(self.arp_sha, v)),
            F::ArpTha(v) => self.arp_tha = Some(mac(self.arp_tha, v)),
            F::Ipv6Src(v) => self.ipv6_src = Some(v6(self.ipv6_src, v)),
            F::Ipv6Dst(v) => self.ipv6_dst = Some(v6(self.ipv6_dst, v)),
            F::Ipv6Flabel(v) => self.ipv6_flabel = Some(m(self.ipv6_flabel, v) & 0xf_ffff),
            F::Icmpv6Type(v) => self.icmpv6_type = Some(*v),
            F::Icmpv6Code(v) => self.icmpv6_code = Some(*v),
            F::Ipv6NdTarget(v) => self.ipv6_nd_target = Some(*v),
            F::Ipv6NdSll(v) => self.ipv6_nd_sll = Some(*v),
            F::Ipv6NdTll(v) => self.ipv6_nd_tll = Some(*v),
            F::MplsLabel(v) => match self.mpls.first_mut() {
                Some(l) => l.label = *v & 0xf_ffff,
                None => return false,
            },
            F::MplsTc(v) => match self.mpls.first_mut() {
                Some(l) => l.tc = *v & 7,
                None => return false,
            },
            F::MplsBos(_) => return false,
            F::PbbIsid(v) => {
                let mm = Masked {
                    value: v.value.0,
                    mask: v.mask.map(|k| k.0),
                };
                self.pbb_isid = Some(m(self.pbb_isid, &mm) & 0xff_ffff);
            }
            F::TunnelId(v) => self.tunnel_id = m(Some(self.tunnel_id), v),
            F::Ipv6Exthdr(v) => self.ipv6_exthdr = Some(m(self.ipv6_exthdr, v)),
            F::Raw(_) => match NxField::try_from(f) {
                Ok(NxField::TunDst(Masked { value, mask: None })) => self.tun_dst = Some(value),
                _ => return false,
            },
        }
        true
    }
}
