//! The Docker watcher (`netplugin --docker unix:///var/run/docker.sock`): containers get
//! their network when they start, the original netplugin's way.
//!
//! netmaster's directives list the endpoints intent binds to this host ([`BoundEndpoint`]).
//! An endpoint belongs in the running container its `attachUuid` names (a name, an id or an
//! id prefix of at least 12 digits: a pod's infra container, say), else in the one named like
//! its container. The watcher follows the daemon's container events (`start`, `die`,
//! `destroy`) and the directives, and after each change makes the bridge agree
//! ([`plan::plan`]):
//! * an endpoint whose container runs is plumbed into the container's namespace
//!   (`/proc/PID/ns/net`), as `netplugin attach` would, with the port recording the container's
//!   id (`docker-id`);
//! * a port of the watcher whose container stopped, was removed or replaced, or whose endpoint
//!   is no longer bound here, is removed with its veth.
//!
//! Containers no endpoint names are left alone, and so are ports the watcher did not plumb
//! (`netplugin attach`, CNI). The running containers are listed when the watcher connects
//! (containers already running are plumbed, and after an agent restart the ports that are
//! still right are kept) and again every [`RESYNC`], which repairs a missed event or a failed
//! plumbing. While the daemon is unreachable the watcher retries, every second.

pub mod driver;
mod engine;
pub mod plan;

pub use engine::{Change, Engine, EngineError, Running};

use crate::attach::{attach_endpoint, report_to, unplug, Site, Target};
use crate::naming::ovsdb_path;
use crate::netlink::Plumbing;
use crate::ovsdb::vswitch::Vswitch;
use futures_util::StreamExt;
use northbound_model::agent::{BoundEndpoint, HostDirectives};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::watch;

/// How often the running containers are listed again.
pub const RESYNC: Duration = Duration::from_secs(10);

/// Watches the Docker daemon at `endpoint` for ever, plumbing into `site` the endpoints that
/// `directives` bind to this host.
pub async fn watch(
    endpoint: String,
    site: Site,
    mut directives: watch::Receiver<Option<HostDirectives>>,
) {
    let mut warned = false;
    loop {
        match Engine::connect(&endpoint).await {
            Ok(engine) => {
                warned = false;
                if let Err(e) = follow(&engine, &site, &mut directives).await {
                    tracing::warn!(error = %e, "lost the Docker daemon; reconnecting");
                }
            }
            Err(e) => {
                if !warned {
                    tracing::warn!(error = %e, "Docker daemon unreachable; retrying");
                    warned = true;
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Follows one connection to the daemon until it breaks.
async fn follow(
    engine: &Engine,
    site: &Site,
    directives: &mut watch::Receiver<Option<HostDirectives>>,
) -> Result<(), EngineError> {
    let changes = engine.changes();
    tokio::pin!(changes);
    let by_id = |list: Vec<Running>| -> BTreeMap<String, Running> {
        list.into_iter().map(|r| (r.id.clone(), r)).collect()
    };
    let mut running = by_id(engine.running().await?);
    tracing::info!(endpoint = %engine.endpoint(), running = running.len(), "watching Docker containers");
    let mut resync = tokio::time::interval(RESYNC);
    resync.tick().await;
    loop {
        let bound: Option<Vec<BoundEndpoint>> = directives
            .borrow_and_update()
            .as_ref()
            .map(|d| d.endpoints.clone());
        // Until netmaster's directives arrive, nothing is known to be bound here.
        if let Some(bound) = bound {
            let list: Vec<Running> = running.values().cloned().collect();
            if let Err(e) = reconcile(site, &bound, &list).await {
                tracing::warn!(error = %e, "Docker containers not reconciled; retrying");
            }
        }
        tokio::select! {
            change = changes.next() => match change {
                Some(Ok(Change::Started(id))) => {
                    if let Some(r) = engine.inspect(&id).await? {
                        tracing::debug!(container = %r.name, pid = r.pid, "container started");
                        running.insert(id, r);
                    }
                }
                Some(Ok(Change::Stopped(id))) => {
                    running.remove(&id);
                }
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            changed = directives.changed() => {
                if changed.is_err() {
                    // The daemon is shutting down.
                    return Ok(());
                }
            }
            _ = resync.tick() => running = by_id(engine.running().await?),
        }
    }
}

/// Why a reconciliation could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// ovsdb-server could not be reached or read.
    #[error("the bridge's ports: {0}")]
    Ovsdb(#[from] crate::ovsdb::Error),
    /// Netlink could not be opened.
    #[error("netlink: {0}")]
    Netlink(#[from] crate::netlink::Error),
}

/// Makes the bridge agree with the bound endpoints and running containers; each plumbing or
/// removal that fails is logged and retried by a later pass.
async fn reconcile(
    site: &Site,
    bound: &[BoundEndpoint],
    running: &[Running],
) -> Result<(), ReconcileError> {
    let vs = Vswitch::connect(ovsdb_path(&site.ovsdb)).await?;
    let ports = vs.list_ports(&site.bridge).await?;
    let todo = plan::plan(bound, running, &ports);
    if todo == plan::Plan::default() {
        return Ok(());
    }
    let plumbing = Plumbing::new()?;
    for u in &todo.unplug {
        if let Err(e) = unplug(&vs, &plumbing, &site.bridge, &u.key, &u.port).await {
            tracing::warn!(endpoint = %u.key, error = %e, "port of a stopped container not removed");
        }
    }
    if !todo.unplug.is_empty() {
        report_to(&site.netmaster, &site.host_label, &site.bridge, &vs).await;
    }
    for p in &todo.plumb {
        let target = Target {
            container: p.endpoint.container_name.clone(),
            tenant: p.endpoint.tenant_name.clone(),
            netns: p.container.netns(),
            netmaster: site.netmaster.clone(),
            ovsdb: site.ovsdb.clone(),
            bridge: site.bridge.clone(),
            host_label: site.host_label.clone(),
            ifname: Some(p.endpoint.interface.clone()),
            docker_id: Some(p.container.id.clone()),
        };
        match attach_endpoint(&target).await {
            Ok(a) => tracing::info!(endpoint = %p.endpoint.key(), container = %p.container.name,
                pid = p.container.pid, ofport = a.ofport, "Docker container plumbed"),
            Err(e) => tracing::warn!(endpoint = %p.endpoint.key(), container = %p.container.name,
                error = %e, "Docker container not plumbed; retrying later"),
        }
    }
    Ok(())
}
