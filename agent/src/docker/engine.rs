//! The Docker daemon as the watcher sees it, through its Engine API on a unix socket
//! (bollard): the running containers (id, name, init process) and a stream of their starts
//! and stops.

use bollard::query_parameters::{EventsOptions, ListContainersOptions};
use bollard::Docker;
use futures_util::{Stream, StreamExt};
use std::collections::HashMap;
use std::path::PathBuf;

/// How long one request to the daemon may take, in seconds (not the event stream).
const TIMEOUT_S: u64 = 30;

/// The shortest id prefix that names a container (Docker's short ids have 12 digits).
const SHORT_ID: usize = 12;

/// Why the daemon could not be used.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The endpoint is not a `unix://` socket.
    #[error("Docker endpoint `{0}`: only unix:///path/to/docker.sock is supported")]
    Endpoint(String),
    /// A request failed (daemon down, refused, or an answer that does not decode).
    #[error("Docker daemon at {endpoint}: {source}")]
    Api {
        /// The daemon's socket.
        endpoint: String,
        /// What failed.
        #[source]
        source: bollard::errors::Error,
    },
}

/// A running container.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Running {
    /// Its full id (64 hex digits).
    pub id: String,
    /// Its name, without Docker's leading `/`.
    pub name: String,
    /// Its init process, whose network namespace is the container's.
    pub pid: u32,
}

impl Running {
    /// The container's network namespace.
    pub fn netns(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/ns/net", self.pid))
    }

    /// Whether `wanted` (a name, an id or an id prefix of at least 12 digits) names it.
    pub fn answers_to(&self, wanted: &str) -> bool {
        wanted == self.name
            || wanted == self.id
            || (wanted.len() >= SHORT_ID && self.id.starts_with(wanted))
    }
}

/// What happened to a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// It started (also after a restart), by id.
    Started(String),
    /// It stopped (died) or was removed, by id.
    Stopped(String),
}

/// A connection to one Docker daemon.
#[derive(Clone, Debug)]
pub struct Engine {
    docker: Docker,
    endpoint: String,
}

impl Engine {
    /// Connects to the daemon at `endpoint` (`unix:///path/to/docker.sock`) and agrees on the
    /// API version with it (Docker 20.10 speaks 1.41).
    pub async fn connect(endpoint: &str) -> Result<Engine, EngineError> {
        if !endpoint.starts_with("unix://") {
            return Err(EngineError::Endpoint(endpoint.to_string()));
        }
        let api = |source| EngineError::Api {
            endpoint: endpoint.to_string(),
            source,
        };
        let docker = Docker::connect_with_unix(endpoint, TIMEOUT_S, bollard::API_DEFAULT_VERSION)
            .map_err(api)?
            .negotiate_version()
            .await
            .map_err(api)?;
        Ok(Engine {
            docker,
            endpoint: endpoint.to_string(),
        })
    }

    /// The daemon's socket, as given.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn api(&self, source: bollard::errors::Error) -> EngineError {
        EngineError::Api {
            endpoint: self.endpoint.clone(),
            source,
        }
    }

    /// The running containers.
    pub async fn running(&self) -> Result<Vec<Running>, EngineError> {
        let listed = self
            .docker
            .list_containers(Some(ListContainersOptions::default()))
            .await
            .map_err(|e| self.api(e))?;
        let mut running = Vec::new();
        for id in listed.into_iter().filter_map(|c| c.id) {
            if let Some(r) = self.inspect(&id).await? {
                running.push(r);
            }
        }
        Ok(running)
    }

    /// Container `id` if it is running (`None` when it is not, or no longer exists).
    pub async fn inspect(&self, id: &str) -> Result<Option<Running>, EngineError> {
        let c = match self.docker.inspect_container(id, None).await {
            Ok(c) => c,
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok(None),
            Err(e) => return Err(self.api(e)),
        };
        let state = c.state.unwrap_or_default();
        let pid = state.pid.and_then(|p| u32::try_from(p).ok()).unwrap_or(0);
        if state.running != Some(true) || pid == 0 {
            return Ok(None);
        }
        Ok(Some(Running {
            id: c.id.unwrap_or_else(|| id.to_string()),
            name: c
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            pid,
        }))
    }

    /// The containers' starts and stops from now on; ends (or yields an error) when the
    /// connection to the daemon breaks.
    pub fn changes(&self) -> impl Stream<Item = Result<Change, EngineError>> + '_ {
        let filters = HashMap::from([
            ("type".to_string(), vec!["container".to_string()]),
            (
                "event".to_string(),
                ["start", "die", "destroy"].map(String::from).to_vec(),
            ),
        ]);
        let options = EventsOptions {
            filters: Some(filters),
            ..EventsOptions::default()
        };
        self.docker
            .events(Some(options))
            .filter_map(move |event| async move {
                let event = match event {
                    Ok(event) => event,
                    Err(e) => return Some(Err(self.api(e))),
                };
                let id = event.actor?.id?;
                match event.action.as_deref()? {
                    "start" => Some(Ok(Change::Started(id))),
                    "die" | "destroy" => Some(Ok(Change::Stopped(id))),
                    _ => None,
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_container_answers_to_its_name_its_id_and_a_short_id() {
        let c = Running {
            id: "0123456789abcdef".repeat(4),
            name: "myPod1".into(),
            pid: 42,
        };
        assert!(c.answers_to("myPod1"));
        assert!(c.answers_to(&c.id));
        assert!(c.answers_to("0123456789ab"));
        assert!(!c.answers_to("0123456789a"), "11 digits are too short");
        assert!(!c.answers_to("mypod1"));
        assert!(!c.answers_to("0123456789abX"));
        assert_eq!(c.netns(), PathBuf::from("/proc/42/ns/net"));
    }
}
