//! SR-IOV: virtual functions (VFs) of a physical function (PF) as container endpoints.
//!
//! * [`sysfs`]: the PF's VF count (read and set through `sriov_numvfs`), its VFs (PCI address,
//!   netdev) and, in switchdev mode, their representors — all read from a configurable sysfs
//!   root so that tests run against a fake tree.
//! * [`vf`]: the `RTM_SETLINK` messages on the PF that set a VF's MAC, VLAN, spoof check and
//!   trust (`IFLA_VFINFO_LIST` / `IFLA_VF_INFO`), a plan of what attaching a VF as an endpoint
//!   does, and an executor that carries the plan out over rtnetlink and OVSDB.
//!
//! No SR-IOV hardware was available while this was written: see `docs/sriov.md` for what is
//! and is not tested.

mod error;
pub mod sysfs;
pub mod vf;

pub use error::{Error, Result};
pub use sysfs::{EswitchMode, Representor, Sysfs, VfDevice};
pub use vf::{
    is_switchdev, plan_endpoint, set_vf_message, setlink_bytes, Step, VfConfig, VfEndpointRequest,
    VfExecutor,
};

/// The agent's SR-IOV configuration (`netplugin --sriov-pf IFACE --sriov-vfs N`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PfConfig {
    /// The physical function's netdev.
    pub pf: String,
    /// How many VFs it must have.
    pub vfs: u32,
}

/// Makes the PF have exactly `cfg.vfs` VFs (writing `sriov_numvfs` only when needed) and
/// returns them.
pub fn prepare_pf(sysfs: &Sysfs, cfg: &PfConfig) -> Result<Vec<VfDevice>> {
    sysfs.set_num_vfs(&cfg.pf, cfg.vfs)?;
    sysfs.vfs(&cfg.pf)
}
