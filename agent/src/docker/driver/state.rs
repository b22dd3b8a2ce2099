//! What the Docker driver remembers between calls and across agent restarts: the pools its
//! IPAM driver granted, the Docker networks bound to netmaster networks, and the endpoints.
//!
//! Docker asks its IPAM driver for a pool (`RequestPool`, which sees only `--subnet` and
//! `--ipam-opt`) before it tells the network driver which netplugin network the Docker network
//! is (`CreateNetwork`, which sees `-o tenant= -o network=`), and neither call names the other.
//! Both run within one `docker network create`, so the network takes the pool of its subnet
//! that no network has taken yet; to keep that unambiguous, a second pool of a subnet is
//! refused while the first one waits for its network (at most [`POOL_WAIT_S`]).
//!
//! Every change is written to a JSON file (a new file renamed over the old one), read back when
//! the agent starts: Docker does not repeat its calls to a restarted plugin.

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// The most pools (and so Docker networks) kept.
pub const MAX_POOLS: usize = 1024;
/// The most endpoints kept.
pub const MAX_ENDPOINTS: usize = 65_536;
/// How long a pool waits for its network (seconds): both calls come within one `docker
/// network create`; a pool still waiting after this was left by a create that broke off (a
/// daemon that died in between), and a new pool of its subnet replaces it.
pub const POOL_WAIT_S: u64 = 60;

/// A netmaster network: tenant and name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NetworkRef {
    /// The tenant.
    pub tenant: String,
    /// The network.
    pub network: String,
}

impl std::fmt::Display for NetworkRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.tenant, self.network)
    }
}

/// A pool the IPAM driver granted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pool {
    /// Its subnet.
    pub subnet: Ipv4Net,
    /// Its netmaster network: named by `--ipam-opt`, or the network of the Docker network that
    /// took it.
    pub network: Option<NetworkRef>,
    /// Whether a Docker network took it.
    pub taken: bool,
    /// When it was granted (seconds since the Unix epoch).
    pub granted_at: u64,
    /// The addresses granted to endpoints: the netmaster endpoint (container name) of each.
    pub addresses: BTreeMap<Ipv4Addr, String>,
}

/// A Docker network of the driver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Binding {
    /// Its netmaster network.
    pub network: NetworkRef,
    /// Its pool's id.
    pub pool: String,
}

/// A Docker endpoint: its netmaster endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Member {
    /// Docker's id of its network.
    pub network_id: String,
    /// The netmaster endpoint's tenant.
    pub tenant: String,
    /// The netmaster endpoint's container name.
    pub container: String,
}

/// Why a change was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// A pool of the subnet waits for its network.
    #[error("a pool of {0} is being created for another network; try again")]
    PoolPending(Ipv4Net),
    /// Too many pools.
    #[error("too many pools (at most {MAX_POOLS})")]
    TooManyPools,
    /// Too many endpoints.
    #[error("too many endpoints (at most {MAX_ENDPOINTS})")]
    TooManyEndpoints,
    /// No pool of the subnet waits for a network.
    #[error(
        "no pool of {0} from netplugin's IPAM driver waits for this network: create it with \
         --ipam-driver (the network driver's own name) and --subnet"
    )]
    NoPool(Ipv4Net),
    /// The pool was granted for another network (`--ipam-opt`).
    #[error("the pool of {subnet} was granted for network {granted}, not {wanted}")]
    OtherNetwork {
        /// The subnet.
        subnet: Ipv4Net,
        /// The network of `--ipam-opt`.
        granted: NetworkRef,
        /// The network of `-o`.
        wanted: NetworkRef,
    },
    /// An unknown pool.
    #[error("unknown pool {0}")]
    UnknownPool(String),
    /// The pool has no network yet.
    #[error("pool {0} belongs to no network yet")]
    Unbound(String),
    /// An unknown Docker network.
    #[error("unknown network {0}")]
    UnknownNetwork(String),
    /// An unknown Docker endpoint.
    #[error("unknown endpoint {0}")]
    UnknownEndpoint(String),
    /// An address the IPAM driver did not grant.
    #[error("{0} was not granted by netplugin's IPAM driver")]
    UnknownAddress(Ipv4Addr),
}

/// The driver's memory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct State {
    /// Pools by id.
    pub pools: BTreeMap<String, Pool>,
    /// Docker networks by id.
    pub networks: BTreeMap<String, Binding>,
    /// Docker endpoints by id.
    pub endpoints: BTreeMap<String, Member>,
}

impl State {
    /// Grants a pool of `subnet` (for `network`, when `--ipam-opt` named one) under id
    /// `<subnet>#<nonce>` at `now` (seconds since the Unix epoch). A pool of the subnet that
    /// has waited for its network longer than [`POOL_WAIT_S`] is dropped.
    pub fn grant_pool(
        &mut self,
        subnet: Ipv4Net,
        network: Option<NetworkRef>,
        nonce: u32,
        now: u64,
    ) -> Result<String, StateError> {
        let waiting = |p: &Pool| p.subnet == subnet && !p.taken;
        if self
            .pools
            .values()
            .any(|p| waiting(p) && now.saturating_sub(p.granted_at) < POOL_WAIT_S)
        {
            return Err(StateError::PoolPending(subnet));
        }
        self.pools.retain(|id, p| {
            let stale = waiting(p);
            if stale {
                tracing::warn!(pool = %id, "dropping a pool that never got its network");
            }
            !stale
        });
        if self.pools.len() >= MAX_POOLS {
            return Err(StateError::TooManyPools);
        }
        let id = format!("{subnet}#{nonce:08x}");
        self.pools.insert(
            id.clone(),
            Pool {
                subnet,
                network,
                taken: false,
                granted_at: now,
                addresses: BTreeMap::new(),
            },
        );
        Ok(id)
    }

    /// The pool `id`.
    pub fn pool(&self, id: &str) -> Result<&Pool, StateError> {
        self.pools
            .get(id)
            .ok_or_else(|| StateError::UnknownPool(id.to_string()))
    }

    /// The pool of `subnet` that waits for a network, checked against `network`.
    pub fn waiting_pool(&self, subnet: Ipv4Net, network: &NetworkRef) -> Result<&str, StateError> {
        let (id, pool) = self
            .pools
            .iter()
            .find(|(_, p)| p.subnet == subnet && !p.taken)
            .ok_or(StateError::NoPool(subnet))?;
        match &pool.network {
            Some(granted) if granted != network => Err(StateError::OtherNetwork {
                subnet,
                granted: granted.clone(),
                wanted: network.clone(),
            }),
            _ => Ok(id),
        }
    }

    /// Docker network `id` takes pool `pool` for `network`.
    pub fn bind(&mut self, id: &str, pool: &str, network: NetworkRef) -> Result<(), StateError> {
        let p = self
            .pools
            .get_mut(pool)
            .ok_or_else(|| StateError::UnknownPool(pool.to_string()))?;
        p.taken = true;
        p.network = Some(network.clone());
        self.networks.insert(
            id.to_string(),
            Binding {
                network,
                pool: pool.to_string(),
            },
        );
        Ok(())
    }

    /// Docker network `id`.
    pub fn network(&self, id: &str) -> Result<&Binding, StateError> {
        self.networks
            .get(id)
            .ok_or_else(|| StateError::UnknownNetwork(id.to_string()))
    }

    /// The netmaster network of pool `id`.
    pub fn pool_network(&self, id: &str) -> Result<&NetworkRef, StateError> {
        match self.pool(id)? {
            Pool {
                network: Some(n),
                taken: true,
                ..
            } => Ok(n),
            _ => Err(StateError::Unbound(id.to_string())),
        }
    }

    /// Whether another endpoint may be granted an address.
    pub fn has_room(&self) -> Result<(), StateError> {
        let granted: usize = self.pools.values().map(|p| p.addresses.len()).sum();
        if granted >= MAX_ENDPOINTS {
            return Err(StateError::TooManyEndpoints);
        }
        Ok(())
    }

    /// Records that `address` of pool `pool` went to netmaster endpoint `container`.
    pub fn grant_address(
        &mut self,
        pool: &str,
        address: Ipv4Addr,
        container: String,
    ) -> Result<(), StateError> {
        self.has_room()?;
        self.pools
            .get_mut(pool)
            .ok_or_else(|| StateError::UnknownPool(pool.to_string()))?
            .addresses
            .insert(address, container);
        Ok(())
    }

    /// The netmaster endpoint (container name) `address` of pool `pool` went to.
    pub fn address(&self, pool: &str, address: Ipv4Addr) -> Result<&str, StateError> {
        self.pool(pool)?
            .addresses
            .get(&address)
            .map(String::as_str)
            .ok_or(StateError::UnknownAddress(address))
    }

    /// Forgets `address` of pool `pool`; the netmaster endpoint it went to, if any.
    pub fn release_address(&mut self, pool: &str, address: Ipv4Addr) -> Option<String> {
        self.pools.get_mut(pool)?.addresses.remove(&address)
    }

    /// Forgets pool `id`; its network and the endpoints still holding its addresses.
    pub fn release_pool(&mut self, id: &str) -> Option<Pool> {
        self.pools.remove(id)
    }

    /// Forgets Docker network `id`.
    pub fn unbind(&mut self, id: &str) -> Option<Binding> {
        self.networks.remove(id)
    }

    /// Records Docker endpoint `id`.
    pub fn add_member(&mut self, id: &str, member: Member) {
        self.endpoints.insert(id.to_string(), member);
    }

    /// Docker endpoint `id`.
    pub fn member(&self, id: &str) -> Result<&Member, StateError> {
        self.endpoints
            .get(id)
            .ok_or_else(|| StateError::UnknownEndpoint(id.to_string()))
    }

    /// Forgets Docker endpoint `id`.
    pub fn remove_member(&mut self, id: &str) -> Option<Member> {
        self.endpoints.remove(id)
    }
}

/// Why the state file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Reading, writing or renaming failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a state.
    #[error("{path}: {source}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// Where it does not decode.
        #[source]
        source: serde_json::Error,
    },
}

/// Reads the state at `path`; the empty state when there is no file.
pub fn load(path: &Path) -> Result<State, FileError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| FileError::Decode {
            path: path.to_path_buf(),
            source,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
        Err(source) => Err(FileError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes `state` to `path`: a new file beside it, renamed over the old one.
pub fn save(path: &Path, state: &State) -> Result<(), FileError> {
    let io = |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let new = path.with_extension("json.new");
    let bytes = serde_json::to_vec_pretty(state).expect("the state serializes");
    std::fs::write(&new, bytes).map_err(io)?;
    std::fs::rename(&new, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(t: &str, n: &str) -> NetworkRef {
        NetworkRef {
            tenant: t.into(),
            network: n.into(),
        }
    }

    fn subnet(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn a_network_takes_the_waiting_pool_of_its_subnet() {
        let mut s = State::default();
        let a = s.grant_pool(subnet("10.1.0.0/24"), None, 1, 1000).unwrap();
        assert_eq!(a, "10.1.0.0/24#00000001");
        // A second pool of the subnet waits until the first one is taken.
        assert_eq!(
            s.grant_pool(subnet("10.1.0.0/24"), None, 2, 1000),
            Err(StateError::PoolPending(subnet("10.1.0.0/24")))
        );
        assert_eq!(s.pool_network(&a), Err(StateError::Unbound(a.clone())));
        let id = s
            .waiting_pool(subnet("10.1.0.0/24"), &net("t1", "n"))
            .unwrap()
            .to_string();
        assert_eq!(id, a);
        s.bind("docker-net-1", &id, net("t1", "n")).unwrap();
        assert_eq!(s.pool_network(&a), Ok(&net("t1", "n")));
        // Then another tenant's network may use the same subnet, with a pool of its own.
        let b = s.grant_pool(subnet("10.1.0.0/24"), None, 2, 1000).unwrap();
        assert_eq!(
            s.waiting_pool(subnet("10.1.0.0/24"), &net("t2", "n")),
            Ok(b.as_str())
        );
        s.bind("docker-net-2", &b, net("t2", "n")).unwrap();
        assert_eq!(s.pool_network(&b), Ok(&net("t2", "n")));
        assert_eq!(s.network("docker-net-1").unwrap().pool, a);
        assert_eq!(
            s.waiting_pool(subnet("10.1.0.0/24"), &net("t3", "n")),
            Err(StateError::NoPool(subnet("10.1.0.0/24")))
        );
    }

    #[test]
    fn a_pool_that_never_got_its_network_gives_way_after_a_while() {
        let mut s = State::default();
        let a = s.grant_pool(subnet("10.1.0.0/24"), None, 1, 1000).unwrap();
        assert!(s
            .grant_pool(subnet("10.1.0.0/24"), None, 2, 1000 + POOL_WAIT_S - 1)
            .is_err());
        let b = s
            .grant_pool(subnet("10.1.0.0/24"), None, 2, 1000 + POOL_WAIT_S)
            .unwrap();
        assert!(s.pool(&a).is_err(), "the stale pool is gone");
        assert!(s.pool(&b).is_ok());
        // A taken pool never goes that way.
        s.bind("n", &b, net("t", "n")).unwrap();
        s.grant_pool(subnet("10.1.0.0/24"), None, 3, 1000 + 10 * POOL_WAIT_S)
            .unwrap();
        assert!(s.pool(&b).is_ok());
    }

    #[test]
    fn a_pool_granted_for_a_network_is_not_taken_by_another() {
        let mut s = State::default();
        let a = s
            .grant_pool(subnet("10.2.0.0/16"), Some(net("t1", "a")), 7, 1000)
            .unwrap();
        assert!(matches!(
            s.waiting_pool(subnet("10.2.0.0/16"), &net("t1", "b")),
            Err(StateError::OtherNetwork { .. })
        ));
        assert_eq!(
            s.waiting_pool(subnet("10.2.0.0/16"), &net("t1", "a")),
            Ok(a.as_str())
        );
    }

    #[test]
    fn addresses_map_to_endpoints_until_released() {
        let mut s = State::default();
        let a = s.grant_pool(subnet("10.1.0.0/24"), None, 1, 1000).unwrap();
        let ip: Ipv4Addr = "10.1.0.5".parse().unwrap();
        s.grant_address(&a, ip, "docker-1".into()).unwrap();
        assert_eq!(s.address(&a, ip), Ok("docker-1"));
        assert_eq!(s.release_address(&a, ip).as_deref(), Some("docker-1"));
        assert_eq!(s.address(&a, ip), Err(StateError::UnknownAddress(ip)));
        assert_eq!(s.release_address(&a, ip), None);
        assert!(s.grant_address("nope", ip, "x".into()).is_err());
    }

    #[test]
    fn the_state_survives_a_restart_in_its_file() {
        let dir = std::env::temp_dir().join(format!("np-driver-state-{}", std::process::id()));
        let path = dir.join("state.json");
        assert_eq!(load(&path).unwrap(), State::default());
        let mut s = State::default();
        let a = s.grant_pool(subnet("10.1.0.0/24"), None, 1, 1000).unwrap();
        s.bind("n1", &a, net("t", "n")).unwrap();
        s.grant_address(&a, "10.1.0.2".parse().unwrap(), "docker-1".into())
            .unwrap();
        s.add_member(
            "e1",
            Member {
                network_id: "n1".into(),
                tenant: "t".into(),
                container: "docker-1".into(),
            },
        );
        save(&path, &s).unwrap();
        assert_eq!(load(&path).unwrap(), s);
        std::fs::write(&path, b"{\"pools\": 3}").unwrap();
        assert!(matches!(load(&path), Err(FileError::Decode { .. })));
        let _ = std::fs::remove_dir_all(dir);
    }
}
