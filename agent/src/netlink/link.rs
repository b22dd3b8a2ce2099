//! Looking links up and reading their attributes.

use futures_util::TryStreamExt;
use rtnetlink::packet_route::link::{InfoKind, LinkAttribute, LinkFlags, LinkInfo, LinkMessage};
use rtnetlink::Handle;

use super::error::{netlink_errno, Context, Result};

/// The link called `name`, or `None` when there is none.
pub(crate) async fn by_name(handle: &Handle, name: &str) -> Result<Option<LinkMessage>> {
    let reply = handle
        .link()
        .get()
        .match_name(name.to_string())
        .execute()
        .try_next()
        .await;
    match reply {
        Err(e) if netlink_errno(&e) == Some(libc::ENODEV) => Ok(None),
        other => other.context(|| format!("looking up link {name}")),
    }
}

/// All links of the namespace.
pub(crate) async fn all(handle: &Handle) -> Result<Vec<LinkMessage>> {
    handle
        .link()
        .get()
        .execute()
        .try_collect()
        .await
        .context(|| "listing links".to_string())
}

/// The link's name.
pub(crate) fn name(link: &LinkMessage) -> Option<&str> {
    link.attributes.iter().find_map(|a| match a {
        LinkAttribute::IfName(name) => Some(name.as_str()),
        _ => None,
    })
}

/// The link's MTU (0 if the kernel did not say).
pub(crate) fn mtu(link: &LinkMessage) -> u32 {
    link.attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::Mtu(mtu) => Some(*mtu),
            _ => None,
        })
        .unwrap_or(0)
}

/// The link's MAC address (all zeros if it has no 6-byte address).
pub(crate) fn mac(link: &LinkMessage) -> [u8; 6] {
    link.attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::Address(addr) => addr.as_slice().try_into().ok(),
            _ => None,
        })
        .unwrap_or([0; 6])
}

/// Whether the link is administratively up.
pub(crate) fn is_up(link: &LinkMessage) -> bool {
    link.header.flags.contains(LinkFlags::Up)
}

/// Whether the link is a veth.
pub(crate) fn is_veth(link: &LinkMessage) -> bool {
    link.attributes.iter().any(|a| match a {
        LinkAttribute::LinkInfo(infos) => infos
            .iter()
            .any(|i| matches!(i, LinkInfo::Kind(InfoKind::Veth))),
        _ => false,
    })
}
