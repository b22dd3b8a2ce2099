//! The container side of an endpoint: configured and read back through sockets that were
//! opened inside the container's namespace.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::AsFd;

use futures_util::TryStreamExt;
use rtnetlink::packet_route::address::{AddressAttribute, AddressFlags, AddressScope};
use rtnetlink::packet_route::link::LinkMessage;
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteScope,
};
use rtnetlink::{Handle, LinkUnspec, RouteMessageBuilder};

use super::error::{Context, Error, Result};
use super::netns::NetnsSockets;
use super::spec::{ContainerInterface, EndpointSpec};
use super::{ethtool, link};

/// Brings the container end up, adds its addresses and default routes and turns TX checksum
/// offload off. Returns the container end as it is afterwards.
pub(crate) async fn configure(ns: &NetnsSockets, spec: &EndpointSpec) -> Result<LinkMessage> {
    let ifname = &spec.container_ifname;
    let index = existing(&ns.handle, ifname).await?.header.index;
    ns.handle
        .link()
        .set(LinkUnspec::new_with_index(index).up().build())
        .execute()
        .await
        .context(|| format!("bringing {ifname} up"))?;

    let v4 = spec.ipv4;
    add_address(&ns.handle, index, v4.address.into(), v4.prefix_len).await?;
    if let Some(v6) = spec.ipv6 {
        add_address(&ns.handle, index, v6.address.into(), v6.prefix_len).await?;
    }
    if let Some(gw) = v4.gateway {
        let route = RouteMessageBuilder::<Ipv4Addr>::new()
            .gateway(gw)
            .output_interface(index)
            .build();
        add_route(&ns.handle, route, gw.into()).await?;
    }
    for &dst in &spec.on_link {
        let route = RouteMessageBuilder::<Ipv4Addr>::new()
            .destination_prefix(dst, 32)
            .scope(RouteScope::Link)
            .output_interface(index)
            .build();
        ns.handle
            .route()
            .add(route)
            .execute()
            .await
            .context(|| format!("adding the route to {dst} through {ifname}"))?;
    }
    if let Some(gw) = spec.ipv6.and_then(|v6| v6.gateway) {
        let route = RouteMessageBuilder::<Ipv6Addr>::new()
            .gateway(gw)
            .output_interface(index)
            .build();
        add_route(&ns.handle, route, gw.into()).await?;
    }

    ethtool::set_tx_checksum(ns.ioctl.as_fd(), ifname, false)?;
    existing(&ns.handle, ifname).await
}

/// Reads the container end back: link, global addresses, default gateways, TX checksumming.
pub(crate) async fn inspect(ns: &NetnsSockets, ifname: &str) -> Result<ContainerInterface> {
    let found = existing(&ns.handle, ifname).await?;
    let index = found.header.index;

    let mut addresses: Vec<(IpAddr, u8)> = ns
        .handle
        .address()
        .get()
        .set_link_index_filter(index)
        .execute()
        .try_collect::<Vec<_>>()
        .await
        .context(|| format!("listing addresses of {ifname}"))?
        .into_iter()
        .filter(|a| a.header.index == index && a.header.scope == AddressScope::Universe)
        .filter_map(|a| {
            a.attributes.iter().find_map(|attr| match attr {
                AddressAttribute::Address(ip) => Some((*ip, a.header.prefix_len)),
                _ => None,
            })
        })
        .collect();
    addresses.sort_by_key(|(ip, _)| ip.is_ipv6());

    let mut gateways =
        default_gateways(&ns.handle, RouteMessageBuilder::<Ipv4Addr>::new(), index).await?;
    gateways
        .extend(default_gateways(&ns.handle, RouteMessageBuilder::<Ipv6Addr>::new(), index).await?);

    Ok(ContainerInterface {
        ifindex: index,
        mtu: link::mtu(&found),
        mac: link::mac(&found),
        up: link::is_up(&found),
        addresses,
        gateways,
        tx_checksum: ethtool::tx_checksum(ns.ioctl.as_fd(), ifname)?,
    })
}

/// The link `ifname`, which must exist.
async fn existing(handle: &Handle, ifname: &str) -> Result<LinkMessage> {
    link::by_name(handle, ifname)
        .await?
        .ok_or_else(|| Error::InterfaceNotFound(ifname.to_string()))
}

async fn add_address(handle: &Handle, index: u32, ip: IpAddr, prefix_len: u8) -> Result<()> {
    let mut request = handle.address().add(index, ip, prefix_len);
    if ip.is_ipv6() {
        // The controller hands out unique addresses: skip duplicate address detection, which
        // would keep the address tentative (unusable) for a second or more.
        request
            .message_mut()
            .attributes
            .push(AddressAttribute::Flags(AddressFlags::Nodad));
    }
    request
        .execute()
        .await
        .context(|| format!("adding address {ip}/{prefix_len}"))
}

async fn add_route(handle: &Handle, route: RouteMessage, gateway: IpAddr) -> Result<()> {
    handle
        .route()
        .add(route)
        .execute()
        .await
        .context(|| format!("adding the default route via {gateway}"))
}

async fn default_gateways<T>(
    handle: &Handle,
    query: RouteMessageBuilder<T>,
    index: u32,
) -> Result<Vec<IpAddr>> {
    let routes: Vec<RouteMessage> = handle
        .route()
        .get(query.build())
        .execute()
        .try_collect()
        .await
        .context(|| "listing routes".to_string())?;
    Ok(routes
        .iter()
        .filter(|r| {
            r.header.destination_prefix_length == 0 && r.header.table == RouteHeader::RT_TABLE_MAIN
        })
        .filter(|r| r.attributes.contains(&RouteAttribute::Oif(index)))
        .filter_map(|r| {
            r.attributes.iter().find_map(|a| match a {
                RouteAttribute::Gateway(RouteAddress::Inet(ip)) => Some(IpAddr::V4(*ip)),
                RouteAttribute::Gateway(RouteAddress::Inet6(ip)) => Some(IpAddr::V6(*ip)),
                _ => None,
            })
        })
        .collect())
}
