//! Configuring VFs through their PF, and attaching a VF to a container as an endpoint.
//!
//! A VF's MAC, VLAN, spoof check and trust are set by an `RTM_SETLINK` on the **PF** (not the
//! VF's netdev) carrying
//!
//! ```text
//! ifinfomsg { index = PF ifindex }
//! IFLA_VFINFO_LIST (22, nested)
//!   IFLA_VF_INFO (1, nested)
//!     IFLA_VF_MAC      (1)  struct ifla_vf_mac      { u32 vf; u8 mac[32]; }
//!     IFLA_VF_VLAN     (2)  struct ifla_vf_vlan     { u32 vf; u32 vlan; u32 qos; }
//!     IFLA_VF_SPOOFCHK (4)  struct ifla_vf_spoofchk { u32 vf; u32 setting; }
//!     IFLA_VF_TRUST    (9)  struct ifla_vf_trust    { u32 vf; u32 setting; }
//! ```
//!
//! The messages are built with netlink-packet-route's `LinkVfInfo`/`VfInfo` types;
//! [`set_vf_message`] returns the message and [`setlink_bytes`] its wire form, so both can be
//! checked without hardware. [`plan_endpoint`] says what attaching a VF as an endpoint does
//! (read from sysfs only) and [`VfExecutor::apply`] does it.

use std::collections::BTreeMap;
use std::os::fd::{AsFd, AsRawFd};
use std::path::PathBuf;

use rtnetlink::packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_REQUEST,
};
use rtnetlink::packet_route::link::{
    LinkAttribute, LinkMessage, LinkVfInfo, VfInfo, VfInfoMac, VfInfoSpoofCheck, VfInfoTrust,
    VfInfoVlan,
};
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::{Handle, LinkUnspec};

use super::error::{Error, Result};
use super::sysfs::{EswitchMode, Sysfs};
use crate::netlink::{validate_ifname, Context, Netns};
use crate::ovsdb::vswitch::{InterfaceType, PortConfig, Vswitch};

/// What to set on a VF; `None` leaves a setting as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VfConfig {
    /// The VF's MAC address (administratively set; the VF driver cannot change it unless
    /// trusted).
    pub mac: Option<[u8; 6]>,
    /// VLAN id (0 = no VLAN; 1..=4094 tags and strips) and 802.1p priority (0..=7), applied
    /// by the NIC.
    pub vlan: Option<(u16, u8)>,
    /// Drop frames the VF sends with another source MAC.
    pub spoof_check: Option<bool>,
    /// Let the VF change its MAC, enter promiscuous mode and so on.
    pub trust: Option<bool>,
}

impl VfConfig {
    /// Checks the ranges (VLAN id 0..=4094, QoS 0..=7).
    pub fn validate(&self) -> Result<()> {
        if let Some((vlan, qos)) = self.vlan {
            if vlan > 4094 {
                return Err(Error::Invalid(format!("VLAN id {vlan} out of 0..=4094")));
            }
            if qos > 7 {
                return Err(Error::Invalid(format!("VLAN QoS {qos} out of 0..=7")));
            }
        }
        Ok(())
    }

    /// Whether nothing is to be set.
    pub fn is_empty(&self) -> bool {
        self == &VfConfig::default()
    }

    /// The `IFLA_VF_*` attributes for VF `vf`, in the order MAC, VLAN, spoof check, trust.
    pub fn vf_infos(&self, vf: u32) -> Vec<VfInfo> {
        let mut infos = Vec::new();
        if let Some(mac) = self.mac {
            infos.push(VfInfo::Mac(VfInfoMac::new(vf, &mac)));
        }
        if let Some((vlan, qos)) = self.vlan {
            infos.push(VfInfo::Vlan(VfInfoVlan::new(
                vf,
                u32::from(vlan),
                u32::from(qos),
            )));
        }
        if let Some(on) = self.spoof_check {
            infos.push(VfInfo::SpoofCheck(VfInfoSpoofCheck::new(vf, on)));
        }
        if let Some(on) = self.trust {
            infos.push(VfInfo::Trust(VfInfoTrust::new(vf, on)));
        }
        infos
    }
}

/// The `RTM_SETLINK` body (on the PF with ifindex `pf_index`) that applies `config` to VF
/// `vf`: one `IFLA_VFINFO_LIST` holding one `IFLA_VF_INFO` with the settings.
pub fn set_vf_message(pf_index: u32, vf: u32, config: &VfConfig) -> Result<LinkMessage> {
    config.validate()?;
    if config.is_empty() {
        return Err(Error::Invalid(format!("nothing to set on VF {vf}")));
    }
    Ok(LinkUnspec::new_with_index(pf_index)
        .append_extra_attribute(LinkAttribute::VfInfoList(vec![LinkVfInfo(
            config.vf_infos(vf),
        )]))
        .build())
}

/// Sets only the MAC of VF `vf`.
pub fn set_vf_mac_message(pf_index: u32, vf: u32, mac: [u8; 6]) -> Result<LinkMessage> {
    set_vf_message(
        pf_index,
        vf,
        &VfConfig {
            mac: Some(mac),
            ..VfConfig::default()
        },
    )
}

/// Sets only the VLAN (and QoS) of VF `vf`.
pub fn set_vf_vlan_message(pf_index: u32, vf: u32, vlan: u16, qos: u8) -> Result<LinkMessage> {
    set_vf_message(
        pf_index,
        vf,
        &VfConfig {
            vlan: Some((vlan, qos)),
            ..VfConfig::default()
        },
    )
}

/// Sets only the spoof check of VF `vf`.
pub fn set_vf_spoofchk_message(pf_index: u32, vf: u32, on: bool) -> Result<LinkMessage> {
    set_vf_message(
        pf_index,
        vf,
        &VfConfig {
            spoof_check: Some(on),
            ..VfConfig::default()
        },
    )
}

/// Sets only the trust of VF `vf`.
pub fn set_vf_trust_message(pf_index: u32, vf: u32, on: bool) -> Result<LinkMessage> {
    set_vf_message(
        pf_index,
        vf,
        &VfConfig {
            trust: Some(on),
            ..VfConfig::default()
        },
    )
}

/// The complete netlink message (`nlmsghdr` type `RTM_SETLINK`, flags `NLM_F_REQUEST |
/// NLM_F_ACK`, sequence number `seq`) carrying `message`, as sent on the wire.
pub fn setlink_bytes(message: LinkMessage, seq: u32) -> Vec<u8> {
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_ACK;
    header.sequence_number = seq;
    let mut packet = NetlinkMessage::new(
        header,
        NetlinkPayload::from(RouteNetlinkMessage::SetLink(message)),
    );
    packet.finalize();
    let mut bytes = vec![0; packet.buffer_len()];
    packet.serialize(&mut bytes);
    bytes
}

/// Attaching VF `vf` of `pf` to a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VfEndpointRequest {
    /// The PF's netdev.
    pub pf: String,
    /// The VF index.
    pub vf: u32,
    /// What to set on the VF (through the PF) before it moves.
    pub config: VfConfig,
    /// The container's network namespace.
    pub netns: PathBuf,
    /// The VF netdev's name inside the container (e.g. `eth0`).
    pub container_ifname: String,
    /// The bridge the representor joins in switchdev mode.
    pub bridge: String,
    /// `external_ids` of the representor's port (owner, role, endpoint id...).
    pub external_ids: BTreeMap<String, String>,
}

/// One step of attaching a VF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `RTM_SETLINK` on the PF: VF MAC / VLAN / spoof check / trust.
    ConfigureVf {
        /// The PF's netdev.
        pf: String,
        /// The VF index.
        vf: u32,
        /// The settings.
        config: VfConfig,
    },
    /// Move the VF's netdev into the container namespace under a new name.
    MoveToNetns {
        /// The VF's netdev on the host.
        netdev: String,
        /// The namespace.
        netns: PathBuf,
        /// The name inside it.
        ifname: String,
    },
    /// Switchdev: turn on `other_config:hw-offload` (takes effect when ovs-vswitchd restarts).
    EnableHwOffload,
    /// Switchdev: add the VF's representor to the bridge as a system port.
    AddRepresentor {
        /// The bridge.
        bridge: String,
        /// The port (type `system`, named after the representor).
        port: PortConfig,
    },
}

/// What attaching a VF as an endpoint does, from sysfs alone (no netlink, no OVSDB).
///
/// The VF must exist and have a netdev. The PF is taken to be in switchdev mode when the
/// `compat/devlink/mode` hint says so, or, without a hint, when its VFs have representors;
/// then the VF's representor must exist and is added to the bridge, with hardware offload
/// enabled in Open vSwitch. In legacy mode the NIC switches the VF and there is no OVS port.
pub fn plan_endpoint(sysfs: &Sysfs, req: &VfEndpointRequest) -> Result<Vec<Step>> {
    req.config.validate()?;
    validate_ifname(&req.container_ifname).map_err(|e| Error::Invalid(e.to_string()))?;
    let vf = sysfs.vf(&req.pf, req.vf)?;
    let netdev = vf.netdev.ok_or_else(|| Error::VfWithoutNetdev {
        pf: req.pf.clone(),
        vf: req.vf,
    })?;
    let representors = sysfs.representors(&req.pf)?;
    let switchdev = is_switchdev(sysfs, &req.pf)?;

    let mut steps = Vec::new();
    if !req.config.is_empty() {
        steps.push(Step::ConfigureVf {
            pf: req.pf.clone(),
            vf: req.vf,
            config: req.config.clone(),
        });
    }
    steps.push(Step::MoveToNetns {
        netdev,
        netns: req.netns.clone(),
        ifname: req.container_ifname.clone(),
    });
    if switchdev {
        let rep = representors
            .into_iter()
            .find(|r| r.vf == req.vf)
            .ok_or_else(|| Error::NoRepresentor {
                pf: req.pf.clone(),
                vf: req.vf,
            })?;
        let mut port = PortConfig::new(&rep.netdev, InterfaceType::System);
        port.external_ids = req.external_ids.clone();
        steps.push(Step::EnableHwOffload);
        steps.push(Step::AddRepresentor {
            bridge: req.bridge.clone(),
            port,
        });
    }
    Ok(steps)
}

/// Whether `pf` is in switchdev mode: the `compat/devlink/mode` hint says so, or, without a
/// hint, its VFs have representors.
pub fn is_switchdev(sysfs: &Sysfs, pf: &str) -> Result<bool> {
    Ok(match sysfs.eswitch_mode(pf)? {
        Some(mode) => mode == EswitchMode::Switchdev,
        None => !sysfs.representors(pf)?.is_empty(),
    })
}

/// Carries out SR-IOV operations over rtnetlink (in the agent's namespace) and OVSDB.
#[derive(Clone)]
pub struct VfExecutor {
    handle: Handle,
}

impl VfExecutor {
    /// Uses an existing rtnetlink handle of the host namespace.
    pub fn new(handle: Handle) -> VfExecutor {
        VfExecutor { handle }
    }

    /// Connects to rtnetlink in the calling thread's namespace (within a tokio runtime).
    pub fn connect() -> Result<VfExecutor> {
        let (connection, handle, _) =
            rtnetlink::new_connection().context(|| "opening a netlink route socket".to_string())?;
        tokio::spawn(connection);
        Ok(VfExecutor { handle })
    }

    async fn ifindex(&self, name: &str) -> Result<u32> {
        crate::netlink::link_index(&self.handle, name)
            .await?
            .ok_or_else(|| Error::NoSuchDevice(name.to_string()))
    }

    /// Sends [`set_vf_message`] for VF `vf` of `pf`.
    pub async fn configure_vf(&self, pf: &str, vf: u32, config: &VfConfig) -> Result<()> {
        let index = self.ifindex(pf).await?;
        let message = set_vf_message(index, vf, config)?;
        self.handle
            .link()
            .set(message)
            .execute()
            .await
            .context(|| format!("configuring VF {vf} of {pf}"))?;
        Ok(())
    }

    /// Moves `netdev` into the namespace at `netns`, renamed to `ifname` (one `RTM_SETLINK`
    /// with `IFLA_NET_NS_FD` and `IFLA_IFNAME`).
    pub async fn move_to_netns(&self, netdev: &str, netns: &Netns, ifname: &str) -> Result<()> {
        validate_ifname(ifname).map_err(|e| Error::Invalid(e.to_string()))?;
        let index = self.ifindex(netdev).await?;
        let message = LinkUnspec::new_with_index(index)
            .name(ifname.to_string())
            .setns_by_fd(netns.as_fd().as_raw_fd())
            .build();
        self.handle
            .link()
            .set(message)
            .execute()
            .await
            .context(|| {
                format!(
                    "moving {netdev} into {} as {ifname}",
                    netns.path().display()
                )
            })?;
        Ok(())
    }

    /// Carries out a plan from [`plan_endpoint`]. OVSDB steps need `vswitch`.
    pub async fn apply(&self, steps: &[Step], vswitch: Option<&Vswitch>) -> Result<()> {
        for step in steps {
            match step {
                Step::ConfigureVf { pf, vf, config } => self.configure_vf(pf, *vf, config).await?,
                Step::MoveToNetns {
                    netdev,
                    netns,
                    ifname,
                } => {
                    let netns = Netns::open(netns)?;
                    self.move_to_netns(netdev, &netns, ifname).await?;
                }
                Step::EnableHwOffload => needs(vswitch)?.set_hw_offload(true).await?,
                Step::AddRepresentor { bridge, port } => {
                    needs(vswitch)?.ensure_port(bridge, port).await?;
                }
            }
        }
        Ok(())
    }
}

fn needs(vswitch: Option<&Vswitch>) -> Result<&Vswitch> {
    vswitch.ok_or_else(|| Error::Invalid("switchdev steps need an OVSDB connection".into()))
}
