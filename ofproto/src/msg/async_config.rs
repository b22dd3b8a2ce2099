//! `OFPT_GET_ASYNC_REPLY` / `OFPT_SET_ASYNC`.

use crate::wire::{DResult, Reader};
use bytes::{BufMut, BytesMut};

/// Which asynchronous messages a controller wants; index 0 for master/equal, 1 for slave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AsyncConfig {
    /// Bitmap of `OFPR_*` packet-in reasons.
    pub packet_in_mask: [u32; 2],
    /// Bitmap of `OFPPR_*` port-status reasons.
    pub port_status_mask: [u32; 2],
    /// Bitmap of `OFPRR_*` flow-removed reasons.
    pub flow_removed_mask: [u32; 2],
}

impl AsyncConfig {
    pub(crate) fn decode(r: &mut Reader<'_>) -> DResult<AsyncConfig> {
        let mut pair = |what| -> DResult<[u32; 2]> { Ok([r.u32(what)?, r.u32(what)?]) };
        Ok(AsyncConfig {
            packet_in_mask: pair("packet_in_mask")?,
            port_status_mask: pair("port_status_mask")?,
            flow_removed_mask: pair("flow_removed_mask")?,
        })
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        for w in [
            self.packet_in_mask,
            self.port_status_mask,
            self.flow_removed_mask,
        ]
        .iter()
        .flatten()
        {
            buf.put_u32(*w);
        }
    }
}
