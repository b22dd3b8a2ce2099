//! Attaching a container to its network without CNI: the endpoint's addresses come from
//! netmaster's intent, a veth goes into the container's namespace, its host end onto the
//! bridge, and an updated host report goes out at once (so that netmaster compiles the
//! endpoint's flows without waiting for the daemon's next poll); then it waits (at most
//! [`USABLE_WAIT`]) until netmaster says every switch concerned holds them, so that the
//! container can talk as soon as attach returns. `detach` reverses it.
//!
//! A container on several networks has one endpoint per interface (`tenant:container` is its
//! `eth0`, `tenant:container:eth1` its `eth1`, ...): [`attach`] plumbs `eth0`, `eth1`, ... in
//! turn until intent has no more (or only the interface the target names), and [`detach`]
//! removes every port of the container.

use crate::error::{Context, Error};
use crate::naming::{host_ifname, ovsdb_path};
use crate::netlink::{EndpointSpec, IpConfig, Plumbing};
use crate::netmaster::{self, Netmaster};
use crate::ovsdb::vswitch::{InterfaceType, PortConfig, Vswitch};
use crate::report;
use northbound_model::model::{
    endpoint_key, Encap, Endpoint, Global, Kind, Network, Object, DEFAULT_IFNAME,
};
use std::path::PathBuf;
use std::time::Duration;

/// The longest an attach waits for its endpoint's flows on every switch concerned.
pub const USABLE_WAIT: Duration = Duration::from_secs(2);

/// VXLAN overhead subtracted from the global MTU for VXLAN networks.
const VXLAN_OVERHEAD: u16 = 50;

/// What every [`Target`] of this host shares (the daemon's settings): where the CNI socket
/// and the Docker watcher plumb.
#[derive(Clone, Debug)]
pub struct Site {
    /// netmaster's REST API.
    pub netmaster: Netmaster,
    /// ovsdb-server's socket (`unix:PATH` or PATH).
    pub ovsdb: String,
    /// The integration bridge.
    pub bridge: String,
    /// This host's name in intent.
    pub host_label: String,
}

/// What `attach`/`detach` work on.
#[derive(Clone, Debug)]
pub struct Target {
    /// Container name (the endpoint is `tenant:container`).
    pub container: String,
    /// Tenant.
    pub tenant: String,
    /// The container's network namespace.
    pub netns: PathBuf,
    /// netmaster's REST API.
    pub netmaster: Netmaster,
    /// ovsdb-server's socket (`unix:PATH` or PATH).
    pub ovsdb: String,
    /// The integration bridge.
    pub bridge: String,
    /// This host's name in intent.
    pub host_label: String,
    /// The container interface's name, overriding the endpoint's (CNI's `CNI_IFNAME`).
    pub ifname: Option<String>,
    /// The Docker container the endpoint is plumbed into, recorded on the port (the Docker
    /// watcher's ports carry it; see [`crate::docker`]).
    pub docker_id: Option<String>,
}

/// The most interfaces [`attach`] looks for in one container (`eth0` to `eth15`).
const MAX_INTERFACES: usize = 16;

impl Target {
    /// The key of the container's first endpoint, `tenant:container`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.tenant, self.container)
    }

    /// The key of the container's endpoint on interface `ifname`.
    fn key_of(&self, ifname: &str) -> String {
        endpoint_key(&self.tenant, &self.container, ifname)
    }

    /// The same container, for its interface `ifname`.
    fn on_interface(&self, ifname: &str) -> Target {
        Target {
            ifname: Some(ifname.to_string()),
            ..self.clone()
        }
    }
}

/// Everything the plumbing needs about one endpoint, from intent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// Its network.
    pub network: Network,
    /// The container interface's spec.
    pub spec: EndpointSpec,
}

/// Builds the container interface's spec from the endpoint, its network and the globals.
pub fn resolve(
    target: &Target,
    endpoint: Endpoint,
    network: Network,
    global: &Global,
) -> Result<Resolved, Failure> {
    let key = endpoint.key();
    let ip = endpoint.ip_address.ok_or_else(|| {
        Failure::new(
            FailureKind::Invalid,
            format!("endpoint {key} has no IPv4 address"),
        )
    })?;
    let mac = endpoint.mac_address.map(|m| m.0);
    let prefix = network.subnet.net().prefix_len();
    // The default route goes out of the container's first interface only.
    let gateway = network
        .gateway
        .filter(|_| endpoint.ifname() == DEFAULT_IFNAME);
    let mtu = match network.encap {
        Encap::Vxlan => global.mtu.saturating_sub(VXLAN_OVERHEAD),
        Encap::Vlan => global.mtu,
    };
    let spec = EndpointSpec {
        netns: target.netns.clone(),
        host_ifname: host_ifname(&key),
        container_ifname: target
            .ifname
            .clone()
            .or_else(|| endpoint.interface.clone())
            .unwrap_or_else(|| "eth0".to_string()),
        mtu: u32::from(mtu),
        mac,
        ipv4: IpConfig {
            address: ip,
            prefix_len: prefix,
            gateway,
        },
        ipv6: None,
        // The DNS address, through the container's first interface.
        on_link: global
            .dns_address
            .filter(|_| endpoint.ifname() == DEFAULT_IFNAME)
            .into_iter()
            .collect(),
    };
    Ok(Resolved {
        endpoint,
        network,
        spec,
    })
}

/// Why an attach failed, for callers that map failures to codes (the CNI socket).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// The endpoint is not in intent.
    NotInIntent,
    /// netmaster or ovsdb-server could not be reached.
    Unreachable,
    /// The namespace path is not a network namespace (or nothing is there).
    Namespace,
    /// The request or the intent is not usable (names, addresses, an existing interface).
    Invalid,
    /// Anything else.
    Other,
}

/// A failed attach: its kind and message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{msg}")]
pub struct Failure {
    /// What kind of failure.
    pub kind: FailureKind,
    /// The message.
    pub msg: String,
}

impl Failure {
    /// A failure of `kind`.
    pub fn new(kind: FailureKind, msg: impl Into<String>) -> Failure {
        Failure {
            kind,
            msg: msg.into(),
        }
    }

    pub(crate) fn other(msg: impl Into<String>) -> Failure {
        Failure::new(FailureKind::Other, msg)
    }

    fn plumbing(context: &str, e: crate::netlink::Error) -> Failure {
        use crate::netlink::Error as E;
        let kind = match &e {
            E::NamespaceNotFound(_) | E::NotANetworkNamespace(_) => FailureKind::Namespace,
            E::InvalidSpec(_) | E::InterfaceExists(_) => FailureKind::Invalid,
            _ => FailureKind::Other,
        };
        Failure::new(kind, format!("{context}: {e}"))
    }
}

/// Reads the endpoint, its network and the globals from netmaster. The endpoint is the one of
/// the target's interface (`tenant:container:ifname`), or the container's first one when the
/// target names none, names `eth0`, or names an interface intent does not know (a runtime's
/// own name for a container's only interface, e.g. CNI's `CNI_IFNAME`).
pub async fn fetch(target: &Target) -> Result<Resolved, Failure> {
    let client = &target.netmaster;
    let mut key = target.key();
    if let Some(ifname) = target.ifname.as_deref().filter(|i| *i != DEFAULT_IFNAME) {
        let own = target.key_of(ifname);
        if client.get(Kind::Endpoint, &own).await.is_ok() {
            key = own;
        }
    }
    let failed = |e: netmaster::Error, what: &str| match e {
        netmaster::Error::Api(a) if a.status == 404 => {
            Failure::new(FailureKind::NotInIntent, format!("{what}: {a}"))
        }
        e @ (netmaster::Error::Transport { .. } | netmaster::Error::Answer { .. }) => {
            Failure::new(FailureKind::Unreachable, format!("{what}: netmaster: {e}"))
        }
        e => Failure::other(format!("{what}: {e}")),
    };
    let endpoint = match client.get(Kind::Endpoint, &key).await {
        Ok(Object::Endpoint(e)) => e,
        Ok(other) => {
            return Err(Failure::other(format!(
                "endpoint {key}: unexpected {other:?}"
            )))
        }
        Err(e) => return Err(failed(e, &format!("endpoint {key}"))),
    };
    let net_key = format!("{}:{}", endpoint.tenant_name, endpoint.network_name);
    let network = match client.get(Kind::Network, &net_key).await {
        Ok(Object::Network(n)) => n,
        Ok(other) => {
            return Err(Failure::other(format!(
                "network {net_key}: unexpected {other:?}"
            )))
        }
        Err(e) => return Err(failed(e, &format!("network {net_key}"))),
    };
    let global = match client.get(Kind::Global, "global").await {
        Ok(Object::Global(g)) => g,
        Err(netmaster::Error::Api(e)) if e.status == 404 => Global::default(),
        Ok(other) => return Err(Failure::other(format!("globals: unexpected {other:?}"))),
        Err(e) => return Err(failed(e, "globals")),
    };
    if let Some(host) = endpoint.host.as_deref() {
        if host != target.host_label {
            tracing::warn!(endpoint = %key, intent_host = %host, host = %target.host_label,
                "the endpoint is bound to another host in intent");
        }
    }
    resolve(target, endpoint, network, &global)
}

/// An attached endpoint.
#[derive(Clone, Debug)]
pub struct Attached {
    /// The OpenFlow port of its host end.
    pub ofport: u32,
    /// What intent said about it.
    pub resolved: Resolved,
    /// The container end's MAC address.
    pub mac: [u8; 6],
    /// The host end's MAC address.
    pub host_mac: [u8; 6],
}

/// Attaches the container: the interface the target names, else every interface intent has
/// for it (`eth0`, then `eth1`, ... while they exist); returns the OpenFlow ports of its
/// endpoints, in that order.
pub async fn attach(target: &Target) -> Result<Vec<u32>, Failure> {
    let first = attach_endpoint(target).await?;
    let mut ports = vec![first.ofport];
    if target.ifname.is_some() {
        return Ok(ports);
    }
    for n in 1..MAX_INTERFACES {
        let ifname = format!("eth{n}");
        let key = target.key_of(&ifname);
        match target.netmaster.get(Kind::Endpoint, &key).await {
            Ok(_) => {}
            Err(netmaster::Error::Api(a)) if a.status == 404 => break,
            Err(e) => {
                return Err(Failure::new(
                    FailureKind::Unreachable,
                    format!("endpoint {key}: netmaster: {e}"),
                ))
            }
        }
        ports.push(attach_endpoint(&target.on_interface(&ifname)).await?.ofport);
    }
    Ok(ports)
}

/// Attaches one interface of the container (typed failures, and everything about its
/// endpoint).
pub async fn attach_endpoint(target: &Target) -> Result<Attached, Failure> {
    let (resolved, vs) = tokio::try_join!(fetch(target), connect_vswitch(&target.ovsdb))?;
    let key = resolved.endpoint.key();
    let spec = &resolved.spec;
    let plumbing = Plumbing::new().map_err(|e| Failure::other(e.to_string()))?;
    let created = plumbing
        .create_endpoint(spec)
        .await
        .map_err(|e| Failure::plumbing(&format!("plumbing {key}"), e))?;
    let netns = target.netns.display().to_string();
    let ofport = plug(
        &vs,
        &plumbing,
        &target.bridge,
        &resolved,
        &netns,
        target.docker_id.as_deref(),
    )
    .await?;
    tracing::info!(endpoint = %key, ifname = %spec.host_ifname, ofport,
        ip = %spec.ipv4.address, "attached");
    report_now(target, &vs).await;
    await_usable(target, &key).await;
    Ok(Attached {
        ofport,
        mac: created.container_mac,
        host_mac: created.host_mac,
        resolved,
    })
}

/// Connects to ovsdb-server at `ovsdb` (`unix:PATH` or PATH).
pub(crate) async fn connect_vswitch(ovsdb: &str) -> Result<Vswitch, Failure> {
    Vswitch::connect(ovsdb_path(ovsdb)).await.map_err(|e| {
        Failure::new(
            FailureKind::Unreachable,
            format!("connecting to {ovsdb}: {e}"),
        )
    })
}

/// Adds the host end of `resolved`'s veth (made already) to `bridge` as the endpoint's port,
/// recording the endpoint, its container's namespace `netns` and interface (and the Docker
/// container, when there is one), and waits for its OpenFlow port. On failure the port and
/// the veth are removed again.
pub(crate) async fn plug(
    vs: &Vswitch,
    plumbing: &Plumbing,
    bridge: &str,
    resolved: &Resolved,
    netns: &str,
    docker_id: Option<&str>,
) -> Result<u32, Failure> {
    let key = resolved.endpoint.key();
    let spec = &resolved.spec;
    let plugged = async {
        let mut port = PortConfig::new(&spec.host_ifname, InterfaceType::System);
        let mut ids = vec![
            (report::ENDPOINT_KEY, key.as_str()),
            (report::TENANT_KEY, resolved.endpoint.tenant_name.as_str()),
            (report::NETWORK_KEY, resolved.endpoint.network_name.as_str()),
            (report::NETNS_KEY, netns),
            (report::CONTAINER_IFNAME_KEY, spec.container_ifname.as_str()),
        ];
        if let Some(id) = docker_id {
            ids.push((report::DOCKER_ID_KEY, id));
        }
        port.external_ids = report::owned_ids(report::ROLE_ENDPOINT, &ids);
        vs.ensure_port(bridge, &port)
            .await
            .map_err(|e| format!("adding {} to {bridge}: {e}", spec.host_ifname))?;
        vs.wait_ofport(&spec.host_ifname, Duration::from_secs(10))
            .await
            .map_err(|e| format!("OpenFlow port of {}: {e}", spec.host_ifname))
    }
    .await;
    match plugged {
        Ok(p) => Ok(p),
        Err(e) => {
            let _ = vs.delete_port(bridge, &spec.host_ifname).await;
            let _ = plumbing.delete_endpoint(&spec.host_ifname).await;
            Err(Failure::other(format!("{key}: {e}")))
        }
    }
}

/// Detaches the container: removes the port and veth of the interface the target names, else
/// of every interface of the container; returns whether anything was there.
pub async fn detach(target: &Target) -> Result<bool, Error> {
    let vs = Vswitch::connect(ovsdb_path(&target.ovsdb))
        .await
        .context(|| format!("connecting to {}", target.ovsdb))?;
    let ports = vs
        .list_ports(&target.bridge)
        .await
        .context(|| format!("listing the ports of {}", target.bridge))?;
    // The ports that carry the container's endpoint keys (names never hold `:`, so
    // `tenant:container:` starts the keys of its further interfaces and no other's), only the
    // one of the named interface when the target names one; failing that, the name derived
    // from the key.
    let base = target.key();
    let mine = |key: &str| key == base || key.starts_with(&format!("{base}:"));
    let mut found: Vec<(String, String)> = ports
        .iter()
        .filter_map(|p| {
            let key = p.external_ids.get(report::ENDPOINT_KEY)?;
            let ifname = p.external_ids.get(report::CONTAINER_IFNAME_KEY);
            let wanted = match target.ifname.as_deref() {
                None => true,
                Some(want) => match ifname {
                    Some(ifname) => ifname == want,
                    // A port plugged before interfaces were recorded: by its key.
                    None => *key == target.key_of(want) || (*key == base && want == DEFAULT_IFNAME),
                },
            };
            (mine(key) && wanted).then(|| (key.clone(), p.name.clone()))
        })
        .collect();
    if found.is_empty() {
        let key = target.ifname.as_deref().map_or(base, |i| target.key_of(i));
        found.push((key.clone(), host_ifname(&key)));
    }
    let plumbing = Plumbing::new().context(|| "netlink")?;
    let mut any = false;
    for (key, ifname) in found {
        any |= unplug(&vs, &plumbing, &target.bridge, &key, &ifname).await?;
    }
    report_now(target, &vs).await;
    Ok(any)
}

/// Removes endpoint `key`'s port `ifname` from `bridge` and its veth; whether either was there.
pub(crate) async fn unplug(
    vs: &Vswitch,
    plumbing: &Plumbing,
    bridge: &str,
    key: &str,
    ifname: &str,
) -> Result<bool, Error> {
    let had_port = vs
        .delete_port(bridge, ifname)
        .await
        .context(|| format!("removing port {ifname}"))?;
    let had_veth = plumbing
        .delete_endpoint(ifname)
        .await
        .context(|| format!("removing veth {ifname}"))?;
    tracing::info!(endpoint = %key, %ifname, had_port, had_veth, "detached");
    Ok(had_port || had_veth)
}

/// Sends the bridge's report at once (a few attempts; the daemon keeps reporting anyway).
pub(crate) async fn report_now(target: &Target, vs: &Vswitch) {
    report_to(&target.netmaster, &target.host_label, &target.bridge, vs).await
}

/// Waits (at most [`USABLE_WAIT`]) until netmaster says that every switch concerned holds
/// endpoint `key`, so that the container's first packets are not lost; a container whose
/// switches take longer is attached all the same (logged).
async fn await_usable(target: &Target, key: &str) {
    let started = std::time::Instant::now();
    match target
        .netmaster
        .endpoint_ready(&target.host_label, key, USABLE_WAIT)
        .await
    {
        Ok(r) if r.ready => {
            tracing::debug!(endpoint = %key, ms = started.elapsed().as_secs_f64() * 1e3, "usable")
        }
        Ok(r) => {
            tracing::warn!(endpoint = %key, waiting = ?r.waiting, placed = r.snapshot.is_some(),
            "not programmed on every switch in time; attached all the same")
        }
        Err(e) => tracing::warn!(endpoint = %key, error = %e,
            "could not ask netmaster whether it is programmed; attached all the same"),
    }
}

/// Sends `bridge`'s report for `host` to `client` at once (a few attempts).
pub(crate) async fn report_to(client: &Netmaster, host: &str, bridge: &str, vs: &Vswitch) {
    let r = match report::collect(vs, bridge, None).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "could not build the host report");
            return;
        }
    };
    for attempt in 1..=5 {
        match client.report_host(host, &r).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(attempt, error = %e, "sending the host report failed");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
    }
}
