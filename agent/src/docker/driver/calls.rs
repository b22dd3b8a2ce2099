//! The driver's answers to Docker's calls (see the [module documentation](super)).

use super::protocol::*;
use super::state::{self, FileError, Member, NetworkRef, State, StateError};
use crate::attach::{self, Failure, Site, Target};
use crate::naming::host_ifname;
use crate::netlink::Plumbing;
use crate::netmaster::{self, Netmaster};
use ipnet::Ipv4Net;
use northbound_model::addr::{Ipv4Subnet, MacAddr};
use northbound_model::model::{Endpoint, Kind, Network, Object, DEFAULT_TENANT};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use tokio::sync::Mutex;

/// The address space the IPAM driver reports.
const ADDRESS_SPACE: &str = "netplugin";

/// Why a call failed; Docker shows the message.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Docker called something the driver does not serve.
    #[error("unknown call {0}")]
    UnknownCall(String),
    /// The request does not decode, or asks for what the driver does not do.
    #[error("{0}")]
    Invalid(String),
    /// The driver's memory refused the change.
    #[error(transparent)]
    State(#[from] StateError),
    /// netmaster refused, or could not be reached.
    #[error("netmaster: {0}")]
    Netmaster(String),
    /// Plumbing the endpoint failed.
    #[error(transparent)]
    Plumbing(#[from] Failure),
    /// The state file could not be written.
    #[error("saving the driver's state: {0}")]
    File(#[from] FileError),
}

impl CallError {
    /// Whether the caller is at fault (an HTTP 4xx answer).
    pub fn is_callers(&self) -> bool {
        matches!(
            self,
            CallError::UnknownCall(_) | CallError::Invalid(_) | CallError::State(_)
        )
    }
}

fn invalid(msg: impl Into<String>) -> CallError {
    CallError::Invalid(msg.into())
}

fn from_netmaster(what: &str, e: netmaster::Error) -> CallError {
    CallError::Netmaster(format!("{what}: {e}"))
}

fn is_missing(e: &netmaster::Error) -> bool {
    matches!(e, netmaster::Error::Api(a) if a.status == 404)
}

/// The network and IPAM driver of one agent.
pub struct Driver {
    site: Site,
    /// The client that creates networks netmaster lacks (a tenant or admin token).
    creator: Option<Netmaster>,
    path: PathBuf,
    /// One call at a time: each reads and changes the state, netmaster and the bridge.
    state: Mutex<State>,
}

impl Driver {
    /// The driver plumbing into `site`, creating networks with `creator` (none: networks must
    /// exist in netmaster), its state kept in the file at `path` (read now).
    pub fn new(site: Site, creator: Option<Netmaster>, path: PathBuf) -> Result<Driver, FileError> {
        let state = state::load(&path)?;
        Ok(Driver {
            site,
            creator,
            path,
            state: Mutex::new(state),
        })
    }

    /// Answers Docker's call `call` (`NetworkDriver.Join`, ...) with request body `body`.
    pub async fn call(&self, call: &str, body: &[u8]) -> Result<Value, CallError> {
        match call {
            "Plugin.Activate" => Ok(answer(&Activation {
                implements: vec!["NetworkDriver", "IpamDriver"],
            })),
            "NetworkDriver.GetCapabilities" => Ok(answer(&NetworkCapabilities {
                scope: "local",
                connectivity_scope: "global",
            })),
            "IpamDriver.GetCapabilities" => Ok(answer(&IpamCapabilities {
                requires_mac_address: false,
                requires_request_replay: false,
            })),
            "IpamDriver.GetDefaultAddressSpaces" => Ok(answer(&AddressSpaces {
                local_default_address_space: ADDRESS_SPACE,
                global_default_address_space: ADDRESS_SPACE,
            })),
            "IpamDriver.RequestPool" => Ok(answer(&self.request_pool(decode(body)?).await?)),
            "IpamDriver.ReleasePool" => {
                self.release_pool(decode(body)?).await?;
                Ok(empty())
            }
            "IpamDriver.RequestAddress" => Ok(answer(&self.request_address(decode(body)?).await?)),
            "IpamDriver.ReleaseAddress" => {
                self.release_address(decode(body)?).await?;
                Ok(empty())
            }
            "NetworkDriver.CreateNetwork" => {
                self.create_network(decode(body)?).await?;
                Ok(empty())
            }
            "NetworkDriver.DeleteNetwork" => {
                let req: NetworkRequest = decode(body)?;
                let mut state = self.state.lock().await;
                if state.unbind(&req.network_id).is_some() {
                    state::save(&self.path, &state)?;
                }
                Ok(empty())
            }
            "NetworkDriver.CreateEndpoint" => {
                Ok(answer(&self.create_endpoint(decode(body)?).await?))
            }
            "NetworkDriver.EndpointOperInfo" => Ok(answer(&self.oper_info(decode(body)?).await)),
            "NetworkDriver.DeleteEndpoint" => {
                self.delete_endpoint(decode(body)?).await?;
                Ok(empty())
            }
            "NetworkDriver.Join" => Ok(answer(&self.join(decode(body)?).await?)),
            "NetworkDriver.Leave" => {
                let req: EndpointRequest = decode(body)?;
                let state = self.state.lock().await;
                let member = state.member(&req.endpoint_id)?.clone();
                self.unplug(&member).await?;
                Ok(empty())
            }
            "NetworkDriver.ProgramExternalConnectivity"
            | "NetworkDriver.RevokeExternalConnectivity"
            | "NetworkDriver.DiscoverNew"
            | "NetworkDriver.DiscoverDelete"
            | "NetworkDriver.AllocateNetwork"
            | "NetworkDriver.FreeNetwork" => Ok(empty()),
            other => Err(CallError::UnknownCall(other.to_string())),
        }
    }

    async fn request_pool(&self, req: RequestPool) -> Result<PoolGranted, CallError> {
        if req.v6 {
            return Err(invalid(
                "netplugin's IPAM driver grants IPv4 pools only: create the network without --ipv6",
            ));
        }
        if !req.sub_pool.is_empty() {
            return Err(invalid(
                "--ip-range is not supported: netmaster allocates from the network's subnet \
                 (give the netmaster network a range instead)",
            ));
        }
        let options = req.options.unwrap_or_default();
        let named = match (options.get("tenant"), options.get("network")) {
            (Some(t), Some(n)) => Some(NetworkRef {
                tenant: t.clone(),
                network: n.clone(),
            }),
            (None, None) => None,
            _ => {
                return Err(invalid(
                    "--ipam-opt tenant= and --ipam-opt network= go together",
                ))
            }
        };
        let existing = match &named {
            Some(n) => self.network(n).await?,
            None => None,
        };
        let subnet = if !req.pool.is_empty() {
            let s: Ipv4Subnet = req
                .pool
                .parse()
                .map_err(|e| invalid(format!("--subnet {}: {e}", req.pool)))?;
            if let Some(n) = &existing {
                if n.subnet.net() != s.net() {
                    return Err(invalid(format!(
                        "network {}/{} has subnet {}, not {}",
                        n.tenant_name,
                        n.network_name,
                        n.subnet.net(),
                        s.net()
                    )));
                }
            }
            s.net()
        } else if let Some(n) = &existing {
            n.subnet.net()
        } else {
            return Err(invalid(
                "give --subnet, or --ipam-opt tenant=T --ipam-opt network=N for a network \
                 netmaster has",
            ));
        };
        let mut state = self.state.lock().await;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let id = state.grant_pool(subnet, named, random() as u32, now)?;
        state::save(&self.path, &state)?;
        tracing::info!(pool = %id, "Docker pool granted");
        Ok(PoolGranted {
            pool_id: id,
            pool: subnet.to_string(),
            data: Default::default(),
        })
    }

    async fn release_pool(&self, req: ReleasePool) -> Result<(), CallError> {
        let mut state = self.state.lock().await;
        let Some(pool) = state.release_pool(&req.pool_id) else {
            return Ok(());
        };
        // Endpoints whose addresses Docker did not release (a daemon that crashed).
        if let Some(network) = &pool.network {
            for container in pool.addresses.values() {
                self.delete_endpoint_in_netmaster(&network.tenant, container)
                    .await
                    .unwrap_or_else(|e| tracing::warn!(error = %e, "releasing a pool"));
            }
        }
        state::save(&self.path, &state)?;
        Ok(())
    }

    async fn request_address(&self, req: RequestAddress) -> Result<AddressGranted, CallError> {
        let mut state = self.state.lock().await;
        let pool = state.pool(&req.pool_id)?.clone();
        let len = pool.subnet.prefix_len();
        let asked = match req.address.as_str() {
            "" => None,
            a => {
                let ip: Ipv4Addr = a
                    .parse()
                    .map_err(|_| invalid(format!("{a:?} is not an IPv4 address")))?;
                if !pool.subnet.contains(&ip) {
                    return Err(invalid(format!("{ip} is not in {}", pool.subnet)));
                }
                Some(ip)
            }
        };
        let options = req.options.unwrap_or_default();
        if options.get(REQUEST_ADDRESS_TYPE).map(String::as_str) == Some(GATEWAY_ADDRESS) {
            // The network's gateway: netmaster's when it has the network, else the one asked
            // for, else the first address. It is not an endpoint's.
            let known = match &pool.network {
                Some(n) => self.network(n).await?.and_then(|n| n.gateway),
                None => None,
            };
            let gateway = match (known, asked) {
                (Some(k), Some(a)) if k != a => {
                    return Err(invalid(format!("the network's gateway is {k}, not {a}")))
                }
                (Some(g), _) | (None, Some(g)) => g,
                (None, None) => first_host(pool.subnet),
            };
            return Ok(AddressGranted {
                address: format!("{gateway}/{len}"),
                data: Default::default(),
            });
        }
        let network = state.pool_network(&req.pool_id)?.clone();
        state.has_room()?;
        let container = format!("docker-{:012x}", random() & 0xffff_ffff_ffff);
        let mut endpoint = Endpoint::named(&network.tenant, &network.network, &container);
        endpoint.host = Some(self.site.host_label.clone());
        endpoint.sandbox = Some(container.clone());
        endpoint.ip_address = asked;
        let stored = match self.site.netmaster.put(&Object::Endpoint(endpoint)).await {
            Ok(Object::Endpoint(e)) => e,
            Ok(other) => return Err(CallError::Netmaster(format!("unexpected {other:?}"))),
            Err(e) => return Err(from_netmaster(&format!("endpoint in {network}"), e)),
        };
        let Some(ip) = stored.ip_address else {
            self.delete_endpoint_in_netmaster(&network.tenant, &container)
                .await?;
            return Err(CallError::Netmaster(format!(
                "endpoint {} got no IPv4 address",
                stored.key()
            )));
        };
        state.grant_address(&req.pool_id, ip, container.clone())?;
        if let Err(e) = state::save(&self.path, &state) {
            state.release_address(&req.pool_id, ip);
            let _ = self
                .delete_endpoint_in_netmaster(&network.tenant, &container)
                .await;
            return Err(e.into());
        }
        tracing::info!(endpoint = %stored.key(), %ip, "Docker address granted");
        Ok(AddressGranted {
            address: format!("{ip}/{len}"),
            data: Default::default(),
        })
    }

    async fn release_address(&self, req: ReleaseAddress) -> Result<(), CallError> {
        let ip: Ipv4Addr = req
            .address
            .split('/')
            .next()
            .unwrap_or_default()
            .parse()
            .map_err(|_| invalid(format!("{:?} is not an IPv4 address", req.address)))?;
        let mut state = self.state.lock().await;
        let Ok(container) = state.address(&req.pool_id, ip).map(str::to_string) else {
            // The gateway, or an address released already.
            return Ok(());
        };
        let tenant = state.pool_network(&req.pool_id)?.tenant.clone();
        self.delete_endpoint_in_netmaster(&tenant, &container)
            .await?;
        state.release_address(&req.pool_id, ip);
        state::save(&self.path, &state)?;
        tracing::info!(endpoint = %format!("{tenant}:{container}"), %ip, "Docker address released");
        Ok(())
    }

    async fn create_network(&self, req: CreateNetwork) -> Result<(), CallError> {
        let options = req.options.unwrap_or_default();
        let generic = options
            .get(GENERIC_OPTIONS)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let option = |k: &str| -> Result<Option<String>, CallError> {
            match generic.get(k) {
                None => Ok(None),
                Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
                Some(other) => Err(invalid(format!("-o {k}: {other} is not a name"))),
            }
        };
        let network = NetworkRef {
            tenant: option("tenant")?.unwrap_or_else(|| DEFAULT_TENANT.to_string()),
            network: option("network")?.ok_or_else(|| {
                invalid("give the netplugin network: -o network=NAME (and -o tenant=TENANT)")
            })?,
        };
        if req.ipv6_data.is_some_and(|d| !d.is_empty()) {
            return Err(invalid("netplugin networks are IPv4 only here"));
        }
        let data = match req.ipv4_data.as_deref() {
            Some([one]) => one,
            _ => return Err(invalid("a netplugin network has exactly one IPv4 subnet")),
        };
        let subnet: Ipv4Net = data
            .pool
            .parse()
            .map_err(|_| invalid(format!("{:?} is not a subnet", data.pool)))?;
        let gateway: Option<Ipv4Addr> = match data.gateway.split('/').next() {
            None | Some("") => None,
            Some(g) => Some(
                g.parse()
                    .map_err(|_| invalid(format!("{:?} is not a gateway", data.gateway)))?,
            ),
        };
        let mut state = self.state.lock().await;
        let pool = state.waiting_pool(subnet, &network)?.to_string();
        match self.network(&network).await? {
            Some(n) => {
                if n.subnet.net() != subnet {
                    return Err(invalid(format!(
                        "network {network} has subnet {}; give --subnet {}",
                        n.subnet.net(),
                        n.subnet.net()
                    )));
                }
                if let (Some(have), Some(given)) = (n.gateway, gateway) {
                    if have != given {
                        return Err(invalid(format!(
                            "network {network} has gateway {have}; give --gateway {have}"
                        )));
                    }
                }
            }
            None => self.create_in_netmaster(&network, subnet, gateway).await?,
        }
        state.bind(&req.network_id, &pool, network.clone())?;
        state::save(&self.path, &state)?;
        tracing::info!(docker_network = %req.network_id, %network, %pool, "Docker network bound");
        Ok(())
    }

    async fn create_in_netmaster(
        &self,
        network: &NetworkRef,
        subnet: Ipv4Net,
        gateway: Option<Ipv4Addr>,
    ) -> Result<(), CallError> {
        let Some(creator) = &self.creator else {
            return Err(CallError::Netmaster(format!(
                "network {network} does not exist, and this agent has no token to create \
                 networks (--docker-network-token-file); create it with netctl first"
            )));
        };
        let subnet = Ipv4Subnet::new(subnet).map_err(|e| invalid(format!("{subnet}: {e}")))?;
        let n = Network {
            gateway,
            ..Network::vxlan(&network.tenant, &network.network, subnet)
        };
        creator
            .put(&Object::Network(n))
            .await
            .map_err(|e| from_netmaster(&format!("creating network {network}"), e))?;
        tracing::info!(%network, %subnet, "network created in netmaster for Docker");
        Ok(())
    }

    async fn create_endpoint(&self, req: CreateEndpoint) -> Result<EndpointCreated, CallError> {
        let mut state = self.state.lock().await;
        let binding = state.network(&req.network_id)?.clone();
        let iface = req.interface.unwrap_or_default();
        let ip: Ipv4Addr = iface
            .address
            .split('/')
            .next()
            .unwrap_or_default()
            .parse()
            .map_err(|_| invalid(format!("{:?} is not an IPv4 address", iface.address)))?;
        let container = state.address(&binding.pool, ip)?.to_string();
        let key = format!("{}:{container}", binding.network.tenant);
        let mut endpoint = match self.site.netmaster.get(Kind::Endpoint, &key).await {
            Ok(Object::Endpoint(e)) => e,
            Ok(other) => return Err(CallError::Netmaster(format!("unexpected {other:?}"))),
            Err(e) => return Err(from_netmaster(&format!("endpoint {key}"), e)),
        };
        let answer = if iface.mac_address.is_empty() {
            let mac = endpoint
                .mac_address
                .ok_or_else(|| CallError::Netmaster(format!("endpoint {key} has no MAC")))?;
            Some(EndpointInterface {
                mac_address: mac.to_string(),
                ..Default::default()
            })
        } else {
            // `docker run --mac-address`: netmaster takes it (or says why not).
            let mac: MacAddr = iface
                .mac_address
                .parse()
                .map_err(|e| invalid(format!("--mac-address {}: {e}", iface.mac_address)))?;
            endpoint.mac_address = Some(mac);
            self.site
                .netmaster
                .put(&Object::Endpoint(endpoint))
                .await
                .map_err(|e| from_netmaster(&format!("endpoint {key}"), e))?;
            None
        };
        state.add_member(
            &req.endpoint_id,
            Member {
                network_id: req.network_id.clone(),
                tenant: binding.network.tenant.clone(),
                container,
            },
        );
        state::save(&self.path, &state)?;
        Ok(EndpointCreated { interface: answer })
    }

    async fn oper_info(&self, req: EndpointRequest) -> OperInfo {
        let state = self.state.lock().await;
        let mut info = OperInfo::default();
        if let Ok(m) = state.member(&req.endpoint_id) {
            info.value.insert(
                "netplugin.endpoint".into(),
                format!("{}:{}", m.tenant, m.container),
            );
        }
        info
    }

    async fn delete_endpoint(&self, req: EndpointRequest) -> Result<(), CallError> {
        let mut state = self.state.lock().await;
        let Some(member) = state.remove_member(&req.endpoint_id) else {
            return Ok(());
        };
        // Left already, normally; this covers a Leave that failed.
        self.unplug(&member).await?;
        state::save(&self.path, &state)?;
        Ok(())
    }

    async fn join(&self, req: Join) -> Result<Joined, CallError> {
        let state = self.state.lock().await;
        let member = state.member(&req.endpoint_id)?.clone();
        let target = Target {
            container: member.container.clone(),
            tenant: member.tenant.clone(),
            netns: PathBuf::from(&req.sandbox_key),
            netmaster: self.site.netmaster.clone(),
            ovsdb: self.site.ovsdb.clone(),
            bridge: self.site.bridge.clone(),
            host_label: self.site.host_label.clone(),
            ifname: None,
            docker_id: None,
        };
        let resolved = attach::fetch(&target).await?;
        let spec = &resolved.spec;
        let peer = peer_ifname(&spec.host_ifname);
        let vs = attach::connect_vswitch(&self.site.ovsdb).await?;
        let plumbing = Plumbing::new().map_err(|e| Failure::other(e.to_string()))?;
        plumbing
            .create_pair(&spec.host_ifname, &peer, spec.mtu, spec.mac)
            .await
            .map_err(|e| Failure::other(format!("veth {peer}: {e}")))?;
        let ofport = attach::plug(
            &vs,
            &plumbing,
            &self.site.bridge,
            &resolved,
            &req.sandbox_key,
            None,
        )
        .await?;
        tracing::info!(endpoint = %resolved.endpoint.key(), ifname = %spec.host_ifname, ofport,
            ip = %spec.ipv4.address, "Docker endpoint joined");
        self.report(&vs).await;
        Ok(Joined {
            interface_name: InterfaceName {
                src_name: peer,
                dst_prefix: "eth",
            },
            gateway: spec.ipv4.gateway.map(|g| g.to_string()).unwrap_or_default(),
            static_routes: spec
                .on_link
                .iter()
                .map(|a| StaticRoute {
                    destination: format!("{a}/32"),
                    route_type: ROUTE_CONNECTED,
                })
                .collect(),
        })
    }

    /// Removes `member`'s port and veth, if there.
    async fn unplug(&self, member: &Member) -> Result<(), CallError> {
        let key = format!("{}:{}", member.tenant, member.container);
        let ifname = host_ifname(&key);
        let vs = attach::connect_vswitch(&self.site.ovsdb).await?;
        let plumbing = Plumbing::new().map_err(|e| Failure::other(e.to_string()))?;
        let had = attach::unplug(&vs, &plumbing, &self.site.bridge, &key, &ifname)
            .await
            .map_err(|e| Failure::other(e.to_string()))?;
        if had {
            self.report(&vs).await;
        }
        Ok(())
    }

    /// Sends the bridge's report at once, so that netmaster need not wait for the next poll.
    async fn report(&self, vs: &crate::ovsdb::vswitch::Vswitch) {
        attach::report_to(
            &self.site.netmaster,
            &self.site.host_label,
            &self.site.bridge,
            vs,
        )
        .await;
    }

    /// netmaster's network `n`, `None` when it has none.
    async fn network(&self, n: &NetworkRef) -> Result<Option<Network>, CallError> {
        let key = format!("{}:{}", n.tenant, n.network);
        match self.site.netmaster.get(Kind::Network, &key).await {
            Ok(Object::Network(net)) => Ok(Some(net)),
            Ok(other) => Err(CallError::Netmaster(format!("unexpected {other:?}"))),
            Err(e) if is_missing(&e) => Ok(None),
            Err(e) => Err(from_netmaster(&format!("network {n}"), e)),
        }
    }

    async fn delete_endpoint_in_netmaster(
        &self,
        tenant: &str,
        container: &str,
    ) -> Result<(), CallError> {
        let key = format!("{tenant}:{container}");
        match self.site.netmaster.delete(Kind::Endpoint, &key).await {
            Ok(()) => Ok(()),
            Err(e) if is_missing(&e) => Ok(()),
            Err(e) => Err(from_netmaster(&format!("deleting endpoint {key}"), e)),
        }
    }
}

/// The peer of host end `vnp…`: `dnp…`, the name it has until Docker moves it.
pub fn peer_ifname(host_ifname: &str) -> String {
    format!("d{}", &host_ifname[1..])
}

/// The first host address of `subnet`.
fn first_host(subnet: Ipv4Net) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(subnet.network()) + 1)
}

/// 64 random bits.
fn random() -> u64 {
    getrandom::u64().expect("the kernel's random numbers")
}

fn empty() -> Value {
    Value::Object(Default::default())
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, CallError> {
    serde_json::from_slice(body).map_err(|e| invalid(format!("bad request: {e}")))
}

fn answer<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("answers serialize")
}
