//! What the Docker watcher changes on the bridge: the endpoints bound to this host whose
//! container runs are plumbed into it, and the watcher's ports whose container stopped, was
//! replaced (another id, or the same one restarted with another process), or whose endpoint
//! is no longer bound here are removed. Ports the watcher did not plumb (`netplugin attach`,
//! CNI) are never touched, and an endpoint one of them already carries is not plumbed again.

use super::engine::Running;
use crate::ovsdb::vswitch::PortInfo;
use crate::report;
use northbound_model::agent::BoundEndpoint;
use std::collections::{BTreeMap, BTreeSet};

/// An endpoint to plumb into a running container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plumb {
    /// The endpoint.
    pub endpoint: BoundEndpoint,
    /// The container it goes into.
    pub container: Running,
}

/// A port of the watcher to remove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unplug {
    /// The endpoint key it carries.
    pub key: String,
    /// The port's (and host veth's) name.
    pub port: String,
}

/// The changes, removals first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Ports to remove.
    pub unplug: Vec<Unplug>,
    /// Endpoints to plumb.
    pub plumb: Vec<Plumb>,
}

/// The container an endpoint belongs in: the one its runtime container (`attachUuid`, else
/// its container name) names, a name before an id.
fn container_of<'a>(e: &BoundEndpoint, running: &'a [Running]) -> Option<&'a Running> {
    let wanted = e.runtime_container();
    running
        .iter()
        .find(|c| c.name == wanted)
        .or_else(|| running.iter().find(|c| c.answers_to(wanted)))
}

/// Compares the bound endpoints and running containers with the bridge's `ports`.
pub fn plan(bound: &[BoundEndpoint], running: &[Running], ports: &[PortInfo]) -> Plan {
    let wanted: BTreeMap<String, Plumb> = bound
        .iter()
        .filter_map(|e| {
            container_of(e, running).map(|c| {
                (
                    e.key(),
                    Plumb {
                        endpoint: e.clone(),
                        container: c.clone(),
                    },
                )
            })
        })
        .collect();
    let mut plan = Plan::default();
    let mut carried = BTreeSet::new();
    for p in ports
        .iter()
        .filter(|p| crate::restore::is_our_endpoint(p, crate::naming::HOST_IFNAME_PREFIX))
    {
        let Some(key) = p.external_ids.get(report::ENDPOINT_KEY) else {
            continue;
        };
        let Some(docker_id) = p.external_ids.get(report::DOCKER_ID_KEY) else {
            // Plumbed by someone else: it carries the endpoint.
            carried.insert(key.clone());
            continue;
        };
        let netns = p.external_ids.get(report::NETNS_KEY).map(String::as_str);
        let current = wanted.get(key).is_some_and(|w| {
            w.container.id == *docker_id
                && netns == Some(w.container.netns().to_string_lossy().as_ref())
        });
        if current {
            carried.insert(key.clone());
        } else {
            plan.unplug.push(Unplug {
                key: key.clone(),
                port: p.name.clone(),
            });
        }
    }
    plan.plumb = wanted
        .into_iter()
        .filter(|(key, _)| !carried.contains(key))
        .map(|(_, w)| w)
        .collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(container: &str, interface: &str, attach: Option<&str>) -> BoundEndpoint {
        BoundEndpoint {
            tenant_name: "t".into(),
            container_name: container.into(),
            interface: interface.into(),
            attach_uuid: attach.map(Into::into),
        }
    }

    fn running(n: u8, name: &str, pid: u32) -> Running {
        Running {
            id: format!("{n:02x}").repeat(32),
            name: name.into(),
            pid,
        }
    }

    fn port(name: &str, key: &str, docker: Option<&Running>) -> PortInfo {
        let name = format!("{}{name}", crate::naming::HOST_IFNAME_PREFIX);
        let netns = docker.map(|c| c.netns().display().to_string());
        let mut ids = vec![(report::ENDPOINT_KEY, key)];
        if let (Some(c), Some(netns)) = (docker, &netns) {
            ids.push((report::DOCKER_ID_KEY, c.id.as_str()));
            ids.push((report::NETNS_KEY, netns.as_str()));
        }
        PortInfo {
            name,
            uuid: crate::ovsdb::Uuid(String::new()),
            interface_type: String::new(),
            external_ids: report::owned_ids(report::ROLE_ENDPOINT, &ids),
            ofport: Some(1),
        }
    }

    fn keys(p: &Plan) -> (Vec<String>, Vec<(String, String)>) {
        (
            p.unplug.iter().map(|u| u.key.clone()).collect(),
            p.plumb
                .iter()
                .map(|w| (w.endpoint.key(), w.container.name.clone()))
                .collect(),
        )
    }

    #[test]
    fn a_bound_endpoint_goes_into_its_running_container_once() {
        let web = running(1, "web", 100);
        let eps = [bound("web", "eth0", None), bound("web", "eth1", None)];
        let p = plan(&eps, std::slice::from_ref(&web), &[]);
        assert_eq!(
            keys(&p),
            (
                vec![],
                vec![
                    ("t:web".into(), "web".into()),
                    ("t:web:eth1".into(), "web".into())
                ]
            )
        );
        // Plumbed: nothing more to do.
        let ports = [
            port("p0", "t:web", Some(&web)),
            port("p1", "t:web:eth1", Some(&web)),
        ];
        assert_eq!(plan(&eps, &[web], &ports), Plan::default());
    }

    #[test]
    fn containers_without_a_bound_endpoint_and_endpoints_without_a_container_are_left_alone() {
        let other = running(2, "other", 200);
        let p = plan(&[bound("web", "eth0", None)], &[other], &[]);
        assert_eq!(p, Plan::default());
    }

    #[test]
    fn a_stopped_restarted_or_replaced_container_loses_its_port() {
        let web = running(1, "web", 100);
        let eps = [bound("web", "eth0", None)];
        let ports = [port("p0", "t:web", Some(&web))];
        // Stopped.
        assert_eq!(
            keys(&plan(&eps, &[], &ports)),
            (vec!["t:web".into()], vec![])
        );
        // Restarted: same id, another process: unplugged and plumbed again.
        let restarted = Running {
            pid: 101,
            ..web.clone()
        };
        assert_eq!(
            keys(&plan(&eps, &[restarted], &ports)),
            (vec!["t:web".into()], vec![("t:web".into(), "web".into())])
        );
        // Replaced by another container of the same name.
        let replaced = running(3, "web", 300);
        assert_eq!(
            keys(&plan(&eps, &[replaced], &ports)),
            (vec!["t:web".into()], vec![("t:web".into(), "web".into())])
        );
        // No longer bound here.
        assert_eq!(
            keys(&plan(&[], &[web], &ports)),
            (vec!["t:web".into()], vec![])
        );
    }

    #[test]
    fn other_agents_ports_are_never_touched_nor_doubled() {
        let web = running(1, "web", 100);
        let ports = [port("p0", "t:web", None), port("p9", "t:gone", None)];
        assert_eq!(
            plan(&[bound("web", "eth0", None)], &[web], &ports),
            Plan::default()
        );
    }

    #[test]
    fn an_attach_uuid_names_the_infra_container_by_name_or_id() {
        let infra = running(7, "k8s_POD_web", 700);
        let app = running(8, "web", 800);
        let by_name = [bound("web", "eth0", Some("k8s_POD_web"))];
        let all = [infra.clone(), app.clone()];
        let p = plan(&by_name, &all, &[]);
        assert_eq!(p.plumb.len(), 1);
        assert_eq!(p.plumb[0].container, infra);
        let by_id = [bound("web", "eth0", Some(&infra.id[..12]))];
        assert_eq!(plan(&by_id, &all, &[]).plumb[0].container, infra);
        // Its own container running alone does not get it.
        assert_eq!(plan(&by_name, &[app], &[]), Plan::default());
    }
}
