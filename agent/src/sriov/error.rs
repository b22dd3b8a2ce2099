//! Errors of the SR-IOV support.

use std::path::PathBuf;

/// The result type of the SR-IOV support.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong while handling SR-IOV devices.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// There is no network device of that name under the sysfs root.
    #[error("no network device {0}")]
    NoSuchDevice(String),
    /// The device exists but is no SR-IOV physical function (no `device/sriov_totalvfs`).
    #[error("{0} is not an SR-IOV physical function")]
    NotSriov(String),
    /// More VFs were requested than the PF supports.
    #[error("{pf} supports at most {total} VFs, {requested} requested")]
    TooManyVfs {
        /// The PF.
        pf: String,
        /// The requested count.
        requested: u32,
        /// `sriov_totalvfs`.
        total: u32,
    },
    /// The PF has no VF of that index.
    #[error("{pf} has no VF {vf}")]
    NoSuchVf {
        /// The PF.
        pf: String,
        /// The VF index.
        vf: u32,
    },
    /// The VF has no network device (e.g. it is bound to vfio-pci or not bound at all).
    #[error("VF {vf} of {pf} has no network device")]
    VfWithoutNetdev {
        /// The PF.
        pf: String,
        /// The VF index.
        vf: u32,
    },
    /// The PF is in switchdev mode but the VF's representor was not found.
    #[error("no representor for VF {vf} of {pf}")]
    NoRepresentor {
        /// The PF.
        pf: String,
        /// The VF index.
        vf: u32,
    },
    /// A value is out of range (VLAN id, QoS, interface name).
    #[error("invalid SR-IOV request: {0}")]
    Invalid(String),
    /// A sysfs file has unexpected contents.
    #[error("unexpected contents of {path}: {contents:?}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What it held.
        contents: String,
    },
    /// Reading or writing sysfs failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What we were doing.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A netlink or namespace operation failed.
    #[error(transparent)]
    Netlink(#[from] crate::netlink::Error),
    /// An OVSDB operation failed.
    #[error(transparent)]
    Ovsdb(#[from] crate::ovsdb::Error),
}
