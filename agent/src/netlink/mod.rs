//! Container plumbing over rtnetlink: veth pairs from the agent's namespace into container
//! network namespaces, with MTU, MAC, addresses, default routes and TX checksum offload off on
//! the container end. No `ip` or `ethtool` binaries are run.
//!
//! ```text
//!  agent namespace                         container namespace (/var/run/netns/NAME)
//!  vnp<id> (host end, up, MTU)  <== veth ==>  eth0 (MTU, MAC, up, 10.0.0.2/24, tx csum off)
//!  (added to OVS by the caller)               default via 10.0.0.1
//! ```
//!
//! The veth is created in one request with its peer placed directly in the container's
//! namespace under its final name, so no temporary name or half-moved pair is ever visible.
//! Container-side configuration goes through sockets opened inside the container namespace
//! by a dedicated thread (see [`Netns`]). A failure after the pair exists deletes it again.

mod container;
mod error;
pub mod ethtool;
mod link;
mod netns;
mod spec;

use rtnetlink::packet_route::link::{InfoData, InfoKind, InfoVeth};
use rtnetlink::{Handle, LinkMessageBuilder, LinkUnspec, LinkVeth};
use std::os::fd::{AsFd, AsRawFd};
use std::path::Path;

pub use error::{Error, Result};

/// The interface index of the link called `name` in the handle's namespace, `None` when there
/// is none.
pub(crate) async fn link_index(handle: &rtnetlink::Handle, name: &str) -> Result<Option<u32>> {
    Ok(link::by_name(handle, name).await?.map(|l| l.header.index))
}
pub use netns::{Netns, NetnsSockets};
pub use spec::{
    format_mac, validate_ifname, ContainerInterface, CreatedEndpoint, EndpointSpec, HostVeth,
    IpConfig,
};

use error::netlink_errno;
pub(crate) use error::Context;

/// Plumbing for the namespace it was created in (the agent's "host" namespace).
#[derive(Clone)]
pub struct Plumbing {
    handle: Handle,
}

impl Plumbing {
    /// Connects to rtnetlink in the calling thread's network namespace.
    ///
    /// Must be called within a tokio runtime: the netlink connection runs as a task on it.
    pub fn new() -> Result<Self> {
        let (connection, handle, _) =
            rtnetlink::new_connection().context(|| "opening a netlink route socket".into())?;
        tokio::spawn(connection);
        Ok(Plumbing { handle })
    }

    /// Creates the veth pair of `spec` and configures its container end.
    ///
    /// The host end stays in this namespace, up, with the MTU; the container end appears in
    /// `spec.netns` as `spec.container_ifname`. Nothing is left behind on failure.
    pub async fn create_endpoint(&self, spec: &EndpointSpec) -> Result<CreatedEndpoint> {
        spec.validate()?;
        let netns = Netns::open(&spec.netns)?;
        if link::by_name(&self.handle, &spec.host_ifname)
            .await?
            .is_some()
        {
            return Err(Error::InterfaceExists(spec.host_ifname.clone()));
        }
        self.add_veth(spec, &netns).await?;
        let host = link::by_name(&self.handle, &spec.host_ifname)
            .await?
            .ok_or_else(|| Error::InterfaceNotFound(spec.host_ifname.clone()))?;

        let configured = async {
            let sockets = netns.sockets().await?;
            container::configure(&sockets, spec).await
        }
        .await;
        match configured {
            Ok(container) => Ok(CreatedEndpoint {
                host_ifname: spec.host_ifname.clone(),
                host_ifindex: host.header.index,
                host_mac: link::mac(&host),
                container_ifindex: container.header.index,
                container_mac: link::mac(&container),
            }),
            Err(e) => {
                if let Err(cleanup) = self.delete_endpoint(&spec.host_ifname).await {
                    tracing::warn!(host_ifname = %spec.host_ifname, error = %cleanup,
                        "could not remove a half-created endpoint");
                }
                Err(e)
            }
        }
    }

    /// Configures an interface that was moved into `spec.netns` as `spec.container_ifname`
    /// (an SR-IOV VF): down while its MTU and MAC (when given) are set, then up with the
    /// addresses and default routes of `spec`. Returns the container end's MAC address.
    pub async fn configure_moved(&self, spec: &EndpointSpec) -> Result<[u8; 6]> {
        spec.validate()?;
        let netns = Netns::open(&spec.netns)?;
        let sockets = netns.sockets().await?;
        let ifname = &spec.container_ifname;
        let found = link::by_name(&sockets.handle, ifname)
            .await?
            .ok_or_else(|| {
                Error::InterfaceNotFound(format!("{ifname} in {}", spec.netns.display()))
            })?;
        let mut settings = LinkUnspec::new_with_index(found.header.index)
            .down()
            .mtu(spec.mtu);
        if let Some(mac) = spec.mac {
            settings = settings.address(mac.to_vec());
        }
        sockets
            .handle
            .link()
            .set(settings.build())
            .execute()
            .await
            .context(|| format!("setting the MTU and MAC of {ifname}"))?;
        let container = container::configure(&sockets, spec).await?;
        Ok(link::mac(&container))
    }

    /// Creates a veth pair whose ends both stay in this namespace, for a runtime that moves
    /// the peer into its container itself (Docker's network drivers): `host_ifname` up, the
    /// peer `peer_ifname` down, both with `mtu`; the peer with `mac` (when given) and TX
    /// checksumming off (see [`ethtool`]). Nothing is left behind on failure.
    pub async fn create_pair(
        &self,
        host_ifname: &str,
        peer_ifname: &str,
        mtu: u32,
        mac: Option<[u8; 6]>,
    ) -> Result<()> {
        validate_ifname(host_ifname)?;
        validate_ifname(peer_ifname)?;
        for name in [host_ifname, peer_ifname] {
            if link::by_name(&self.handle, name).await?.is_some() {
                return Err(Error::InterfaceExists(name.to_string()));
            }
        }
        let mut peer = LinkUnspec::new_with_name(peer_ifname).mtu(mtu);
        if let Some(mac) = mac {
            peer = peer.address(mac.to_vec());
        }
        let message = LinkMessageBuilder::<LinkVeth>::new_with_info_kind(InfoKind::Veth)
            .name(host_ifname.to_string())
            .mtu(mtu)
            .up()
            .set_info_data(InfoData::Veth(InfoVeth::Peer(peer.build())))
            .build();
        self.handle
            .link()
            .add(message)
            .execute()
            .await
            .context(|| format!("creating veth {host_ifname} <-> {peer_ifname}"))?;
        let offload = nix::sys::socket::socket(
            nix::sys::socket::AddressFamily::Inet,
            nix::sys::socket::SockType::Datagram,
            nix::sys::socket::SockFlag::SOCK_CLOEXEC,
            None,
        )
        .context(|| "opening an ioctl socket".to_string())
        .and_then(|socket| ethtool::set_tx_checksum(socket.as_fd(), peer_ifname, false));
        if let Err(e) = offload {
            let _ = self.delete_endpoint(host_ifname).await;
            return Err(e);
        }
        Ok(())
    }

    async fn add_veth(&self, spec: &EndpointSpec, netns: &Netns) -> Result<()> {
        let mut peer = LinkUnspec::new_with_name(&spec.container_ifname)
            .mtu(spec.mtu)
            .setns_by_fd(netns.as_fd().as_raw_fd());
        if let Some(mac) = spec.mac {
            peer = peer.address(mac.to_vec());
        }
        let message = LinkMessageBuilder::<LinkVeth>::new_with_info_kind(InfoKind::Veth)
            .name(spec.host_ifname.clone())
            .mtu(spec.mtu)
            .up()
            .set_info_data(InfoData::Veth(InfoVeth::Peer(peer.build())))
            .build();
        match self.handle.link().add(message).execute().await {
            Err(e) if netlink_errno(&e) == Some(libc::EEXIST) => Err(Error::InterfaceExists(
                format!("{} in {}", spec.container_ifname, spec.netns.display()),
            )),
            other => other.context(|| {
                format!(
                    "creating veth {} <-> {} in {}",
                    spec.host_ifname,
                    spec.container_ifname,
                    spec.netns.display()
                )
            }),
        }
    }

    /// Deletes the endpoint whose host end is `host_ifname`: the veth pair, and with it the
    /// container end's addresses and routes.
    ///
    /// Returns whether there was anything to delete; deleting a missing endpoint is not an
    /// error. Refuses ([`Error::NotAVeth`]) to delete an interface that is not a veth.
    pub async fn delete_endpoint(&self, host_ifname: &str) -> Result<bool> {
        let Some(found) = link::by_name(&self.handle, host_ifname).await? else {
            return Ok(false);
        };
        if !link::is_veth(&found) {
            return Err(Error::NotAVeth(host_ifname.to_string()));
        }
        match self.handle.link().del(found.header.index).execute().await {
            Err(e) if netlink_errno(&e) == Some(libc::ENODEV) => Ok(false),
            other => other
                .map(|()| true)
                .context(|| format!("deleting {host_ifname}")),
        }
    }

    /// The veths in this namespace whose names start with `prefix`, sorted by name: the host
    /// ends this agent created, for reconciliation after a restart (orphan detection).
    pub async fn list_host_veths(&self, prefix: &str) -> Result<Vec<HostVeth>> {
        let mut veths: Vec<HostVeth> = link::all(&self.handle)
            .await?
            .iter()
            .filter(|l| link::is_veth(l))
            .filter_map(|l| {
                let name = link::name(l)?;
                name.starts_with(prefix).then(|| HostVeth {
                    name: name.to_string(),
                    ifindex: l.header.index,
                    mtu: link::mtu(l),
                    up: link::is_up(l),
                })
            })
            .collect();
        veths.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(veths)
    }

    /// Reads back the container end `ifname` inside the namespace at `netns` (CNI `CHECK`).
    pub async fn inspect_container(
        &self,
        netns: impl AsRef<Path>,
        ifname: &str,
    ) -> Result<ContainerInterface> {
        let sockets = Netns::open(netns)?.sockets().await?;
        container::inspect(&sockets, ifname).await
    }
}
