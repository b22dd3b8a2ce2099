//! Intent objects the tests build again and again.

use northbound_api::model::{Encap, Endpoint, Host, Network, Object};

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
        tenant_name: tenant.into(),
        network_name: name.into(),
        encap: Encap::Vxlan,
        pkt_tag: None,
        subnet: subnet.parse().expect("a subnet"),
        gateway: gateway.map(|g| g.parse().expect("a gateway address")),
        ipv6_subnet: None,
        ipv6_gateway: None,
        multicast: Default::default(),
        cfgd_tag: None,
        nw_type: Default::default(),
    }
}
