//! Intent objects the tests build again and again.

use northbound_api::model::{Endpoint, Host, Network, Object};

/// Endpoint `tenant:name` on network `network` and `host`, in `group` if given; its addresses
/// are allocated by netmaster.
pub fn endpoint(
    tenant: &str,
    network: &str,
    name: &str,
    group: Option<&str>,
    host: &str,
) -> Object {
    Object::Endpoint(Endpoint {
        group_name: group.map(Into::into),
        host: Some(host.into()),
        ..Endpoint::named(tenant, network, name)
    })
}

/// Host `name` with VTEP address `vtep`, no uplink, the dpid its agent reports.
pub fn host(name: &str, vtep: &str) -> Object {
    Object::Host(Host {
        name: name.into(),
        vtep_ip: Some(vtep.parse().expect("a VTEP address")),
        uplinks: vec![],
        dpid: None,
    })
}

/// VXLAN network `tenant:name` on `subnet` with `gateway`, VNI allocated, default multicast
/// settings.
pub fn vxlan_network(tenant: &str, name: &str, subnet: &str, gateway: Option<&str>) -> Network {
    Network {
        gateway: gateway.map(|g| g.parse().expect("a gateway address")),
        ..Network::vxlan(tenant, name, subnet.parse().expect("a subnet"))
    }
}
