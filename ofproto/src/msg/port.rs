//! Ports: `ofp_port`, `OFPT_PORT_STATUS` and `OFPT_PORT_MOD`.

use crate::wire::{put_fixed_str, DResult, Reader};
use crate::MacAddr;
use bytes::{BufMut, BytesMut};

/// Length of a port name field.
pub const OFP_MAX_PORT_NAME_LEN: usize = 16;

/// `ofp_port`: a port's description.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Port {
    /// Port number.
    pub port_no: u32,
    /// Ethernet address.
    pub hw_addr: MacAddr,
    /// Name (at most 15 bytes on the wire plus NUL).
    pub name: String,
    /// `OFPPC_*` bits.
    pub config: u32,
    /// `OFPPS_*` bits.
    pub state: u32,
    /// Current features (`OFPPF_*`).
    pub curr: u32,
    /// Advertised features.
    pub advertised: u32,
    /// Supported features.
    pub supported: u32,
    /// Features advertised by the peer.
    pub peer: u32,
    /// Current bit rate in kbps.
    pub curr_speed: u32,
    /// Maximum bit rate in kbps.
    pub max_speed: u32,
}

impl Port {
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<Port> {
        let port_no = r.u32("port_no")?;
        r.skip(4, "pad")?;
        let hw_addr = r.mac("hw_addr")?;
        r.skip(2, "pad")?;
        Ok(Port {
            port_no,
            hw_addr,
            name: r.fixed_str(OFP_MAX_PORT_NAME_LEN, "port name")?,
            config: r.u32("config")?,
            state: r.u32("state")?,
            curr: r.u32("curr")?,
            advertised: r.u32("advertised")?,
            supported: r.u32("supported")?,
            peer: r.u32("peer")?,
            curr_speed: r.u32("curr_speed")?,
            max_speed: r.u32("max_speed")?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u32(self.port_no);
        buf.put_bytes(0, 4);
        buf.put_slice(&self.hw_addr.0);
        buf.put_bytes(0, 2);
        put_fixed_str(buf, &self.name, OFP_MAX_PORT_NAME_LEN);
        for v in [
            self.config,
            self.state,
            self.curr,
            self.advertised,
            self.supported,
            self.peer,
            self.curr_speed,
            self.max_speed,
        ] {
            buf.put_u32(v);
        }
    }
}

/// `OFPT_PORT_STATUS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortStatus {
    /// `OFPPR_ADD` (0), `OFPPR_DELETE` (1) or `OFPPR_MODIFY` (2).
    pub reason: u8,
    /// The port.
    pub desc: Port,
}

impl PortStatus {
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<PortStatus> {
        let reason = r.u8("reason")?;
        r.skip(7, "pad")?;
        Ok(PortStatus {
            reason,
            desc: Port::decode(r)?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.reason);
        buf.put_bytes(0, 7);
        self.desc.encode(buf);
    }
}

/// `OFPT_PORT_MOD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PortMod {
    /// Port number.
    pub port_no: u32,
    /// The port's Ethernet address (a sanity check for the switch).
    pub hw_addr: MacAddr,
    /// New `OFPPC_*` bits.
    pub config: u32,
    /// Which `config` bits to change.
    pub mask: u32,
    /// Features to advertise (0 to leave alone).
    pub advertise: u32,
}

impl PortMod {
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<PortMod> {
        let port_no = r.u32("port_no")?;
        r.skip(4, "pad")?;
        let hw_addr = r.mac("hw_addr")?;
        r.skip(2, "pad")?;
        let m = PortMod {
            port_no,
            hw_addr,
            config: r.u32("config")?,
            mask: r.u32("mask")?,
            advertise: r.u32("advertise")?,
        };
        r.skip(4, "pad")?;
        Ok(m)
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        buf.put_u32(self.port_no);
        buf.put_bytes(0, 4);
        buf.put_slice(&self.hw_addr.0);
        buf.put_bytes(0, 2);
        buf.put_u32(self.config);
        buf.put_u32(self.mask);
        buf.put_u32(self.advertise);
        buf.put_bytes(0, 4);
    }
}
