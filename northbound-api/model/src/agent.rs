//! What a host's agent reports to netmaster: its integration bridge and the OpenFlow ports it
//! created, so that the compiler knows where every endpoint is plugged in.
//!
//! `PUT /api/v1/agents/{host}/` with a [`HostReport`] body replaces the host's report; the
//! agent sends it on start, after every port change, and periodically as a keepalive.
//! `GET /api/v1/agents/` returns every host's latest report (a JSON object by host name).
//!
//! In the other direction, `GET /api/v1/agents/{host}/directives/?after=V&waitS=S` tells the
//! agent which ports netmaster wants on its bridge ([`HostDirectives`]: the VXLAN tunnels to
//! remote VTEPs). It is a long poll: the answer comes as soon as the directives' version is
//! past `V`, or after `S` seconds (at most [`MAX_WAIT_S`]) with the current ones.

use crate::addr::Ipv4Addr;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How the host's VXLAN tunnels are set up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", tag = "mode", deny_unknown_fields)]
pub enum TunnelReport {
    /// One port with `remote_ip=flow key=flow`.
    Flow {
        /// Its OpenFlow port.
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::OfPort))]
        port: u32,
    },
    /// One port per remote VTEP.
    PerPeer {
        /// OpenFlow port by remote VTEP address.
        #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, crate::openapi::OfPort>))]
        ports: BTreeMap<Ipv4Addr, u32>,
    },
}

/// One host's bridge and ports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HostReport {
    /// Datapath id of the integration bridge.
    pub dpid: u64,
    /// VTEP address, if the host takes part in VXLAN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Ipv4))]
    pub vtep_ip: Option<Ipv4Addr>,
    /// OpenFlow port of each local endpoint, by endpoint key (`tenant:container`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, crate::openapi::OfPort>))]
    pub endpoint_ports: BTreeMap<String, u32>,
    /// OpenFlow ports of the uplinks.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::openapi::OfPort>))]
    pub uplinks: Vec<u32>,
    /// The tunnel port(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<TunnelReport>,
}

/// What netmaster asks one host's agent to create: the VXLAN ports to remote VTEPs (one per
/// peer host that shares a VXLAN network with this host's endpoints), all on one UDP port, and
/// the uplinks the host's intent names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HostDirectives {
    /// Version of the directives of all hosts; a long poll waits for a higher one.
    pub version: u64,
    /// Remote VTEP addresses this host needs a tunnel to, in address order.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub tunnels: Vec<Ipv4Addr>,
    /// VXLAN UDP port of every tunnel (the global setting).
    pub vxlan_port: u16,
    /// Uplink interfaces of the host in intent (`Host::uplinks`).
    #[serde(default)]
    pub uplinks: Vec<String>,
    /// The endpoints intent binds to the host (not the external ones), in key order: what a
    /// runtime watcher plumbs when their container runs here.
    #[serde(default)]
    pub endpoints: Vec<BoundEndpoint>,
}

/// An endpoint bound to a host, as its agent needs it to find the container it belongs in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BoundEndpoint {
    /// Owning tenant.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub tenant_name: String,
    /// Container name.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub container_name: String,
    /// The interface inside the container.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Name))]
    pub interface: String,
    /// The runtime container whose namespace it goes into, when not `containerName`'s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Name>))]
    pub attach_uuid: Option<String>,
}

impl BoundEndpoint {
    /// The endpoint's key.
    pub fn key(&self) -> String {
        crate::model::endpoint_key(&self.tenant_name, &self.container_name, &self.interface)
    }

    /// The runtime container the endpoint belongs in: its `attachUuid`, else its container.
    pub fn runtime_container(&self) -> &str {
        self.attach_uuid.as_deref().unwrap_or(&self.container_name)
    }
}

impl From<&crate::model::Endpoint> for BoundEndpoint {
    fn from(e: &crate::model::Endpoint) -> BoundEndpoint {
        BoundEndpoint {
            tenant_name: e.tenant_name.clone(),
            container_name: e.container_name.clone(),
            interface: e.ifname().to_string(),
            attach_uuid: e.attach_uuid.clone(),
        }
    }
}

/// The longest a directives long poll waits, in seconds.
pub const MAX_WAIT_S: u64 = 60;

/// The longest a readiness long poll waits, in milliseconds.
pub const MAX_READY_WAIT_MS: u64 = 10_000;

/// Whether an endpoint a host's agent plugged in is usable (`GET
/// /api/v1/agents/{host}/ready/?endpoint=KEY&waitMs=M`, a long poll until it is or `M` ms
/// passed): netmaster compiled a snapshot that places it on the host, and every connected
/// switch of a host with an endpoint of its tenant holds that snapshot (a disconnected switch
/// is not waited for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointReadiness {
    /// The endpoint's key (`tenant:container`).
    pub endpoint: String,
    /// The first snapshot seen that places the endpoint on the host; `None` while none does.
    pub snapshot: Option<u64>,
    /// The hosts whose switch does not hold that snapshot yet, by name.
    pub waiting: Vec<String>,
    /// Placed, and no switch waited for.
    pub ready: bool,
}
