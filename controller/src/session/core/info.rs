//! What the handshake learned about a switch.

use ofproto::msg::{FeaturesReply, Port, PortStatus, Role};
use ofproto::multipart::Desc;
use std::collections::BTreeMap;

/// `OFPPR_DELETE`: the port was removed.
const OFPPR_DELETE: u8 = 1;

/// What the handshake learned about a switch, kept up to date by PORT_STATUS.
#[derive(Debug, Clone)]
pub struct SwitchInfo {
    /// FEATURES_REPLY.
    pub features: FeaturesReply,
    /// Ports by number.
    pub ports: BTreeMap<u32, Port>,
    /// Peer address, for logs.
    pub peer: String,
    /// The role this controller holds on the switch (a slave must not write).
    pub role: Role,
    /// Its OFPMP_DESC reply (`None` if it refused the request).
    pub desc: Option<Desc>,
}

impl SwitchInfo {
    /// Whether the switch speaks Open vSwitch's Nicira extensions (conntrack, register moves,
    /// `tun_dst`): it says it is made by Nicira, as every Open vSwitch does (`mfr_desc`
    /// "Nicira, Inc.", `hw_desc` "Open vSwitch").
    pub fn speaks_nicira(&self) -> bool {
        self.desc
            .as_ref()
            .is_some_and(|d| d.mfr_desc == "Nicira, Inc." || d.hw_desc == "Open vSwitch")
    }

    /// Applies a PORT_STATUS: a deleted port leaves the table, an added or modified one is
    /// (re)placed.
    pub fn apply_port_status(&mut self, status: &PortStatus) {
        let port = &status.desc;
        if status.reason == OFPPR_DELETE {
            self.ports.remove(&port.port_no);
        } else {
            self.ports.insert(port.port_no, port.clone());
        }
    }
}
