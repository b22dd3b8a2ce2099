//! The agent's CNI socket: serves [`protocol`](super::protocol) requests with
//! [`attach`]. ADD attaches, DEL detaches (success when nothing is there, even
//! without the namespace), CHECK compares the container's interface with intent.
//! Requests are handled one at a time.
//!
//! A pod intent does not declare is created on demand: ADD creates its endpoint in netmaster
//! (on the request's network, else its default network, else the tenant's `defaultNetwork`;
//! bound to this host, with the request's container id as its `sandbox`) and attaches it;
//! if the attach fails the endpoint is deleted again. DEL deletes an endpoint whose `sandbox`
//! is the request's container id; endpoints declared in intent stay.

use super::protocol::{
    code, ErrorReply, HostInterface, IpReply, Reply, Request, Response, RouteReply,
};
use crate::attach::{self, Failure, FailureKind, Resolved, Target};
use crate::naming::ovsdb_path;
use crate::netlink::{format_mac, Error as NlError, Plumbing};
use crate::ovsdb::vswitch::Vswitch;
use crate::report;
use northbound_model::model::{
    endpoint_key, Endpoint, Kind, Object, DEFAULT_IFNAME, DEFAULT_TENANT,
};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Mutex;

/// Largest request accepted.
const MAX_REQUEST: u64 = 64 * 1024;

/// Where requests are served.
pub use crate::attach::Site;

/// Serves the socket until the task is dropped.
pub async fn serve(listener: UnixListener, site: Site) {
    let site = Arc::new(site);
    let lock = Arc::new(Mutex::new(()));
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let (site, lock) = (site.clone(), lock.clone());
                tokio::spawn(async move {
                    if let Err(e) = connection(stream, &site, &lock).await {
                        tracing::warn!(error = %e, "CNI connection failed");
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "accepting on the CNI socket");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

async fn connection(stream: UnixStream, site: &Site, lock: &Mutex<()>) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut line = String::new();
    BufReader::new(r.take(MAX_REQUEST))
        .read_line(&mut line)
        .await?;
    let response = match serde_json::from_str::<Request>(&line) {
        Err(e) => Response::Error(ErrorReply::new(
            code::DECODE_FAILURE,
            "bad request",
            e.to_string(),
        )),
        Ok(req) => {
            let _one_at_a_time = lock.lock().await;
            tracing::info!(command = %req.command, container_id = %req.container_id,
                netns = %req.netns, "CNI request");
            let resp = handle(site, &req).await;
            if let Response::Error(e) = &resp {
                tracing::warn!(command = %req.command, container_id = %req.container_id,
                    code = e.code, msg = %e.msg, details = %e.details, "CNI request failed");
            }
            resp
        }
    };
    let mut out = serde_json::to_vec(&response).map_err(std::io::Error::other)?;
    out.push(b'\n');
    w.write_all(&out).await?;
    w.shutdown().await
}

/// The attach target of a request.
pub fn target(site: &Site, req: &Request) -> Target {
    let nonempty = |o: &Option<String>| o.clone().filter(|s| !s.is_empty());
    Target {
        container: nonempty(&req.container).unwrap_or_else(|| req.container_id.clone()),
        tenant: nonempty(&req.tenant).unwrap_or_else(|| DEFAULT_TENANT.to_string()),
        netns: PathBuf::from(&req.netns),
        netmaster: site.netmaster.clone(),
        ovsdb: site.ovsdb.clone(),
        bridge: site.bridge.clone(),
        host_label: site.host_label.clone(),
        ifname: Some(req.ifname.clone()).filter(|s| !s.is_empty()),
        docker_id: None,
    }
}

/// Handles one request.
pub async fn handle(site: &Site, req: &Request) -> Response {
    let target = target(site, req);
    let result = match req.command.as_str() {
        "ADD" => add(&target, req).await,
        "DEL" => del(&target, req).await,
        "CHECK" => check(&target, req).await,
        other => Err(ErrorReply::new(
            code::INVALID_ENV,
            "unknown command",
            format!("{other:?} is not ADD, DEL or CHECK"),
        )),
    };
    match result {
        Ok(r) => Response::Ok(r),
        Err(e) => Response::Error(e),
    }
}

fn failure(f: Failure) -> ErrorReply {
    let (c, msg) = match f.kind {
        FailureKind::NotInIntent => (code::NOT_IN_INTENT, "endpoint not in intent"),
        FailureKind::Unreachable => (code::TRY_AGAIN, "netmaster or ovsdb-server unreachable"),
        FailureKind::Namespace => (code::UNKNOWN_CONTAINER, "no such network namespace"),
        FailureKind::Invalid => (code::INVALID_ENDPOINT, "cannot create the endpoint"),
        FailureKind::Other => (code::INTERNAL, "attach failed"),
    };
    ErrorReply::new(c, msg, f.msg)
}

/// The `io.contiv.network` / `io.contiv.net-group` of the request must match intent.
fn placement(req: &Request, r: &Resolved) -> Result<(), ErrorReply> {
    let key = r.endpoint.key();
    if let Some(n) = req.network.as_deref().filter(|n| !n.is_empty()) {
        if n != r.endpoint.network_name {
            return Err(ErrorReply::new(
                code::PLACEMENT_MISMATCH,
                "network does not match intent",
                format!(
                    "endpoint {key} is on network {}, not {n}",
                    r.endpoint.network_name
                ),
            ));
        }
    }
    if let Some(g) = req.group.as_deref().filter(|g| !g.is_empty()) {
        if Some(g) != r.endpoint.group_name.as_deref() {
            return Err(ErrorReply::new(
                code::PLACEMENT_MISMATCH,
                "group does not match intent",
                format!(
                    "endpoint {key} is in group {}, not {g}",
                    r.endpoint.group_name.as_deref().unwrap_or("(none)")
                ),
            ));
        }
    }
    Ok(())
}

/// The reply describing an endpoint.
pub fn reply(r: &Resolved, mac: [u8; 6], host_mac: Option<[u8; 6]>) -> Reply {
    let ip = &r.spec.ipv4;
    let gateway = ip.gateway.map(|g| g.to_string());
    Reply {
        interface: r.spec.container_ifname.clone(),
        mac: format_mac(&mac),
        ips: vec![IpReply {
            address: format!("{}/{}", ip.address, ip.prefix_len),
            gateway: gateway.clone(),
        }],
        routes: gateway
            .map(|gw| RouteReply {
                dst: "0.0.0.0/0".to_string(),
                gw: Some(gw),
            })
            .into_iter()
            .collect(),
        nameserver: r.spec.on_link.first().map(ToString::to_string),
        host_interface: host_mac.map(|m| HostInterface {
            name: r.spec.host_ifname.clone(),
            mac: format_mac(&m),
        }),
    }
}

async fn add(target: &Target, req: &Request) -> Result<Reply, ErrorReply> {
    let address = delegated_address(req)?;
    let created = match attach::fetch(target).await {
        Ok(resolved) => {
            placement(req, &resolved)?;
            if let (Some(want), Some(have)) = (address, resolved.endpoint.ip_address) {
                if want != have {
                    return Err(ErrorReply::new(
                        code::PLACEMENT_MISMATCH,
                        "the IPAM plugin's address is not the endpoint's",
                        format!(
                            "endpoint {} has {have} in intent, the IPAM plugin gave {want}",
                            resolved.endpoint.key()
                        ),
                    ));
                }
            }
            None
        }
        Err(f) if f.kind == FailureKind::NotInIntent => {
            Some(create(target, req, address, f).await?)
        }
        Err(f) => return Err(failure(f)),
    };
    match attach::attach_endpoint(target).await {
        Ok(attached) => Ok(reply(
            &attached.resolved,
            attached.mac,
            Some(attached.host_mac),
        )),
        Err(f) => {
            if let Some(key) = created {
                if let Err(e) = target.netmaster.delete(Kind::Endpoint, &key).await {
                    tracing::warn!(endpoint = %key, error = %e,
                        "the endpoint created for a failed ADD was not deleted");
                }
            }
            Err(failure(f))
        }
    }
}

/// The key of the endpoint of the request's interface (`tenant:container`, or
/// `tenant:container:ifname` for an interface other than `eth0`).
fn on_demand_key(target: &Target) -> String {
    endpoint_key(
        &target.tenant,
        &target.container,
        target.ifname.as_deref().unwrap_or(DEFAULT_IFNAME),
    )
}

/// The IPv4 address a delegated IPAM plugin gave, if any.
fn delegated_address(req: &Request) -> Result<Option<Ipv4Addr>, ErrorReply> {
    let Some(cidr) = &req.address else {
        return Ok(None);
    };
    cidr.split_once('/')
        .and_then(|(ip, _)| ip.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            ErrorReply::new(
                code::DECODE_FAILURE,
                "bad address from the IPAM plugin",
                format!("{cidr:?} is not a.b.c.d/len"),
            )
        })
}

/// Creates the endpoint of a pod intent does not declare (`missing` says why it was not
/// found), with `address` when an IPAM plugin gave one; its key.
async fn create(
    target: &Target,
    req: &Request,
    address: Option<Ipv4Addr>,
    missing: Failure,
) -> Result<String, ErrorReply> {
    let client = &target.netmaster;
    let nonempty = |o: &Option<String>| o.clone().filter(|s| !s.is_empty());
    let mut network = nonempty(&req.network).or_else(|| nonempty(&req.default_network));
    if network.is_none() {
        network = match client.get(Kind::Tenant, &target.tenant).await {
            Ok(Object::Tenant(t)) => t.default_network,
            _ => None,
        };
    }
    let Some(network_name) = network else {
        return Err(ErrorReply::new(
            code::NOT_IN_INTENT,
            "endpoint not in intent, and no network to create it on",
            format!(
                "{}; give io.contiv.network in CNI_ARGS, netplugin.network in the network \
                 configuration, or tenant {} a defaultNetwork",
                missing.msg, target.tenant
            ),
        ));
    };
    let ifname = target.ifname.clone().filter(|i| i != DEFAULT_IFNAME);
    let endpoint = Endpoint {
        tenant_name: target.tenant.clone(),
        network_name,
        group_name: nonempty(&req.group).or_else(|| nonempty(&req.default_group)),
        container_name: target.container.clone(),
        host: Some(target.host_label.clone()),
        interface: ifname,
        attach_uuid: None,
        sandbox: Some(req.container_id.clone()),
        mac_address: None,
        ip_address: address,
        ipv6_address: None,
        external: false,
    };
    let key = endpoint.key();
    match client.put(&Object::Endpoint(endpoint)).await {
        Ok(_) => {
            tracing::info!(endpoint = %key, sandbox = %req.container_id, "endpoint created on demand");
            Ok(key)
        }
        Err(crate::netmaster::Error::Api(e)) => Err(ErrorReply::new(
            code::INVALID_ENDPOINT,
            "netmaster refused the endpoint",
            format!("{key}: {e}"),
        )),
        Err(e) => Err(ErrorReply::new(
            code::TRY_AGAIN,
            "netmaster unreachable",
            format!("creating {key}: {e}"),
        )),
    }
}

async fn del(target: &Target, req: &Request) -> Result<Reply, ErrorReply> {
    attach::detach(target)
        .await
        .map_err(|e| ErrorReply::new(code::TRY_AGAIN, "detach failed", e.to_string()))?;
    // The endpoint this sandbox created on demand goes with it.
    let key = on_demand_key(target);
    let client = &target.netmaster;
    let retry = |e: crate::netmaster::Error| {
        ErrorReply::new(
            code::TRY_AGAIN,
            "netmaster unreachable",
            format!("{key}: {e}"),
        )
    };
    match client.get(Kind::Endpoint, &key).await {
        Ok(Object::Endpoint(e)) if e.sandbox.as_deref() == Some(req.container_id.as_str()) => {
            match client.delete(Kind::Endpoint, &key).await {
                Ok(()) => {
                    tracing::info!(endpoint = %key, sandbox = %req.container_id, "endpoint created on demand deleted");
                }
                Err(crate::netmaster::Error::Api(a)) if a.status == 404 => {}
                Err(e) => return Err(retry(e)),
            }
        }
        Ok(_) => {}
        Err(crate::netmaster::Error::Api(a)) if a.status == 404 => {}
        Err(e) => return Err(retry(e)),
    }
    Ok(Reply::default())
}

async fn check(target: &Target, req: &Request) -> Result<Reply, ErrorReply> {
    let resolved = attach::fetch(target).await.map_err(failure)?;
    placement(req, &resolved)?;
    let spec = &resolved.spec;
    let key = resolved.endpoint.key();
    let mismatch = |d: String| ErrorReply::new(code::CHECK_FAILED, "check failed", d);
    let plumbing =
        Plumbing::new().map_err(|e| failure(Failure::new(FailureKind::Other, e.to_string())))?;
    let found = plumbing
        .inspect_container(&target.netns, &spec.container_ifname)
        .await
        .map_err(|e| match e {
            NlError::NamespaceNotFound(_) | NlError::NotANetworkNamespace(_) => ErrorReply::new(
                code::UNKNOWN_CONTAINER,
                "no such network namespace",
                e.to_string(),
            ),
            NlError::InterfaceNotFound(_) => mismatch(format!("{key}: {e}")),
            e => ErrorReply::new(code::INTERNAL, "inspecting the container", e.to_string()),
        })?;
    let want = (IpAddr::V4(spec.ipv4.address), spec.ipv4.prefix_len);
    if !found.addresses.contains(&want) {
        return Err(mismatch(format!(
            "{key}: {} has {:?}, not {}/{}",
            spec.container_ifname, found.addresses, want.0, want.1
        )));
    }
    if let Some(gw) = spec.ipv4.gateway {
        if !found.gateways.contains(&IpAddr::V4(gw)) {
            return Err(mismatch(format!("{key}: no default route via {gw}")));
        }
    }
    if let Some(mac) = spec.mac {
        if mac != found.mac {
            return Err(mismatch(format!(
                "{key}: MAC {} is not {}",
                format_mac(&found.mac),
                format_mac(&mac)
            )));
        }
    }
    if found.mtu != spec.mtu {
        return Err(mismatch(format!(
            "{key}: MTU {} is not {}",
            found.mtu, spec.mtu
        )));
    }
    if !found.up {
        return Err(mismatch(format!(
            "{key}: {} is down",
            spec.container_ifname
        )));
    }
    let vs = Vswitch::connect(ovsdb_path(&target.ovsdb))
        .await
        .map_err(|e| ErrorReply::new(code::TRY_AGAIN, "ovsdb-server unreachable", e.to_string()))?;
    let ports = vs
        .list_ports(&target.bridge)
        .await
        .map_err(|e| ErrorReply::new(code::TRY_AGAIN, "listing ports", e.to_string()))?;
    if !ports
        .iter()
        .any(|p| p.external_ids.get(report::ENDPOINT_KEY) == Some(&key))
    {
        return Err(mismatch(format!("{key}: no port on {}", target.bridge)));
    }
    Ok(reply(&resolved, found.mac, None))
}
