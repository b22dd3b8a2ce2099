//! Attaching an SR-IOV virtual function as a container's interface instead of a veth
//! (`netplugin attach --sriov-pf PF --sriov-vf N`).
//!
//! The VF gets the endpoint's MAC and spoof checking through the PF (and, in legacy mode, the
//! network's VLAN: the NIC tags, since no Open vSwitch port is in the path), moves into the
//! container namespace under the endpoint's interface name, and is configured like a veth end
//! (MTU, addresses, default route). In switchdev mode the VF's representor joins the bridge as
//! the endpoint's port (with the same `external_ids` as a veth's host end), so netmaster
//! compiles its flows like any other endpoint's; hardware offload is switched on in Open
//! vSwitch. Detaching moves the VF back to the host as `<pf>v<N>` and removes the
//! representor's port. See `docs/sriov.md` for what was tested without hardware.

use crate::attach::{fetch, report_now, Failure, FailureKind, Resolved, Target};
use crate::error::{Context, Error};
use crate::naming::ovsdb_path;
use crate::netlink::{Netns, Plumbing};
use crate::ovsdb::vswitch::Vswitch;
use crate::report;
use crate::sriov::{self, Step, Sysfs, VfConfig, VfEndpointRequest, VfExecutor};
use northbound_model::model::Encap;
use std::time::Duration;

/// Which VF to use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VfTarget {
    /// The PF's netdev.
    pub pf: String,
    /// The VF index.
    pub vf: u32,
    /// Where sysfs is.
    pub sysfs: Sysfs,
}

/// The request that attaches VF `vf.vf` of `vf.pf` as the endpoint `resolved`: the
/// endpoint's MAC, spoof checking on, trust off, and in legacy mode (`switchdev == false`) the
/// VLAN of a VLAN network.
pub fn vf_request(
    target: &Target,
    resolved: &Resolved,
    vf: &VfTarget,
    switchdev: bool,
) -> VfEndpointRequest {
    let vlan = match (switchdev, resolved.network.encap, resolved.network.pkt_tag) {
        (false, Encap::Vlan, Some(tag)) => u16::try_from(tag).ok().map(|t| (t, 0)),
        _ => None,
    };
    let key = target.key();
    let netns = target.netns.display().to_string();
    VfEndpointRequest {
        pf: vf.pf.clone(),
        vf: vf.vf,
        config: VfConfig {
            mac: resolved.spec.mac,
            vlan,
            spoof_check: Some(true),
            trust: Some(false),
        },
        netns: target.netns.clone(),
        container_ifname: resolved.spec.container_ifname.clone(),
        bridge: target.bridge.clone(),
        external_ids: report::owned_ids(
            report::ROLE_ENDPOINT,
            &[
                (report::ENDPOINT_KEY, key.as_str()),
                (report::TENANT_KEY, resolved.endpoint.tenant_name.as_str()),
                (report::NETWORK_KEY, resolved.endpoint.network_name.as_str()),
                (report::NETNS_KEY, netns.as_str()),
            ],
        ),
    }
}

/// What [`attach`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachedVf {
    /// The steps carried out.
    pub steps: Vec<Step>,
    /// The representor's OpenFlow port (switchdev mode).
    pub ofport: Option<u32>,
}

/// Attaches the VF as the container's interface.
pub async fn attach(target: &Target, vf: &VfTarget) -> Result<AttachedVf, Failure> {
    let resolved = fetch(target).await?;
    let invalid = |e: sriov::Error| Failure::new(FailureKind::Invalid, format!("SR-IOV: {e}"));
    let switchdev = sriov::is_switchdev(&vf.sysfs, &vf.pf).map_err(invalid)?;
    let req = vf_request(target, &resolved, vf, switchdev);
    let steps = sriov::plan_endpoint(&vf.sysfs, &req).map_err(invalid)?;
    let vs = if switchdev {
        Some(
            Vswitch::connect(ovsdb_path(&target.ovsdb))
                .await
                .map_err(|e| {
                    Failure::new(
                        FailureKind::Unreachable,
                        format!("connecting to {}: {e}", target.ovsdb),
                    )
                })?,
        )
    } else {
        None
    };
    let executor =
        VfExecutor::connect().map_err(|e| Failure::new(FailureKind::Other, e.to_string()))?;
    executor.apply(&steps, vs.as_ref()).await.map_err(|e| {
        Failure::new(
            FailureKind::Other,
            format!("SR-IOV VF {} of {}: {e}", vf.vf, vf.pf),
        )
    })?;
    let plumbing = Plumbing::new().map_err(|e| Failure::new(FailureKind::Other, e.to_string()))?;
    plumbing
        .configure_moved(&resolved.spec)
        .await
        .map_err(|e| {
            Failure::new(
                FailureKind::Other,
                format!("configuring the VF in the container: {e}"),
            )
        })?;
    let mut ofport = None;
    if let Some(vs) = &vs {
        let rep = steps.iter().find_map(|s| match s {
            Step::AddRepresentor { port, .. } => Some(port.name.clone()),
            _ => None,
        });
        if let Some(rep) = rep {
            ofport = Some(
                vs.wait_ofport(&rep, Duration::from_secs(10))
                    .await
                    .map_err(|e| {
                        Failure::new(FailureKind::Other, format!("OpenFlow port of {rep}: {e}"))
                    })?,
            );
            report_now(target, vs).await;
        }
    }
    tracing::info!(endpoint = %target.key(), pf = %vf.pf, vf = vf.vf, switchdev, ?ofport, "VF attached");
    Ok(AttachedVf { steps, ofport })
}

/// The VF's name on the host after a detach: `<pf>v<N>`, cut to the 15 characters of an
/// interface name.
pub fn host_name(pf: &str, vf: u32) -> String {
    let suffix = format!("v{vf}");
    let keep = 15usize.saturating_sub(suffix.len()).min(pf.len());
    format!("{}{suffix}", &pf[..keep])
}

/// Detaches the VF: its representor's port leaves the bridge (switchdev) and the VF moves
/// back from the container to the host as [`host_name`]. Returns whether the VF was found
/// in the container.
pub async fn detach(target: &Target, vf: &VfTarget) -> Result<bool, Error> {
    if let Some(rep) = vf
        .sysfs
        .representor(&vf.pf, vf.vf)
        .context(|| format!("the representor of {} VF {}", vf.pf, vf.vf))?
    {
        let vs = Vswitch::connect(ovsdb_path(&target.ovsdb))
            .await
            .context(|| format!("connecting to {}", target.ovsdb))?;
        vs.delete_port(&target.bridge, &rep.netdev)
            .await
            .context(|| format!("removing port {}", rep.netdev))?;
        report_now(target, &vs).await;
    }
    let ifname = target.ifname.clone().unwrap_or_else(|| "eth0".to_string());
    let container =
        Netns::open(&target.netns).context(|| format!("opening {}", target.netns.display()))?;
    let host = Netns::open("/proc/thread-self/ns/net").context(|| "opening the host namespace")?;
    let name = host_name(&vf.pf, vf.vf);
    let sockets = container
        .sockets()
        .await
        .context(|| format!("netlink in {}", target.netns.display()))?;
    let moved = match VfExecutor::new(sockets.handle.clone())
        .move_to_netns(&ifname, &host, &name)
        .await
    {
        Ok(()) => true,
        Err(sriov::Error::NoSuchDevice(_)) => false,
        Err(e) => {
            return Err(e).context(|| format!("moving {ifname} back to the host"));
        }
    };
    tracing::info!(endpoint = %target.key(), pf = %vf.pf, vf = vf.vf, moved, "VF detached");
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_fit() {
        assert_eq!(host_name("ens1f0", 3), "ens1f0v3");
        assert_eq!(host_name("enp129s0f0np0xx", 12).len(), 15);
    }
}
