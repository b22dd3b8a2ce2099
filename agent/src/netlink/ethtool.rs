//! TX checksum offload through the legacy `SIOCETHTOOL` ioctl.
//!
//! Veths offload TX checksums to "hardware" that never computes them; packets that leave
//! through the Open vSwitch userspace datapath then carry bad TCP/UDP checksums. The container
//! end must have TX checksumming off (`ethtool -K eth0 tx off`).
//!
//! The ioctl acts on the namespace of the socket it is issued on, so the socket must have been
//! opened inside the container's namespace (see [`Netns::sockets`](super::Netns::sockets)).

use std::os::fd::{AsRawFd, BorrowedFd};

use super::error::{Context, Result};

/// `ETHTOOL_GTXCSUM` from `<linux/ethtool.h>`: get TX checksumming.
const ETHTOOL_GTXCSUM: u32 = 0x16;
/// `ETHTOOL_STXCSUM` from `<linux/ethtool.h>`: set TX checksumming.
const ETHTOOL_STXCSUM: u32 = 0x17;

/// `struct ethtool_value`.
#[repr(C)]
struct EthtoolValue {
    cmd: u32,
    data: u32,
}

nix::ioctl_readwrite_bad!(
    /// The `SIOCETHTOOL` ioctl on a socket: an ethtool command in an `ifreq`.
    siocethtool,
    libc::SIOCETHTOOL,
    libc::ifreq
);

/// Turns TX checksum offload of `ifname` on or off.
pub fn set_tx_checksum(socket: BorrowedFd<'_>, ifname: &str, on: bool) -> Result<()> {
    let mut value = EthtoolValue {
        cmd: ETHTOOL_STXCSUM,
        data: u32::from(on),
    };
    ethtool(socket, ifname, &mut value)
        .context(|| format!("setting tx checksumming of {ifname} to {on}"))
}

/// Whether TX checksum offload of `ifname` is on.
pub fn tx_checksum(socket: BorrowedFd<'_>, ifname: &str) -> Result<bool> {
    let mut value = EthtoolValue {
        cmd: ETHTOOL_GTXCSUM,
        data: 0,
    };
    ethtool(socket, ifname, &mut value)
        .context(|| format!("reading tx checksumming of {ifname}"))?;
    Ok(value.data != 0)
}

fn ethtool(
    socket: BorrowedFd<'_>,
    ifname: &str,
    value: &mut EthtoolValue,
) -> Result<(), nix::errno::Errno> {
    // SAFETY: ifreq is plain data; all-zero is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    let name = ifname.as_bytes();
    if name.len() >= req.ifr_name.len() || name.contains(&0) {
        return Err(nix::errno::Errno::EINVAL);
    }
    for (dst, src) in req.ifr_name.iter_mut().zip(name) {
        *dst = *src as libc::c_char;
    }
    req.ifr_ifru.ifru_data = (value as *mut EthtoolValue).cast();
    // SAFETY: `req` names the interface and points at `value`, which outlives the call and has
    // the layout the kernel expects for the GTXCSUM/STXCSUM commands.
    unsafe { siocethtool(socket.as_raw_fd(), &mut req) }.map(drop)
}
