//! The messages of Docker's plugin protocol for network and IPAM drivers (libnetwork's
//! `drivers/remote/api` and `ipams/remote/api`), named as Docker names them. Requests ignore
//! fields they do not know: they come from one client, the Docker daemon, whose newer releases
//! add fields an older driver must tolerate.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// What the plugin implements (`/Plugin.Activate`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Activation {
    /// The plugin APIs served.
    pub implements: Vec<&'static str>,
}

/// `/NetworkDriver.GetCapabilities`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkCapabilities {
    /// `local`: each daemon keeps its own networks.
    pub scope: &'static str,
    /// `global`: a network's containers reach each other across hosts.
    pub connectivity_scope: &'static str,
}

/// `/IpamDriver.GetCapabilities`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpamCapabilities {
    /// Whether `RequestAddress` needs the endpoint's MAC address.
    #[serde(rename = "RequiresMACAddress")]
    pub requires_mac_address: bool,
    /// Whether the daemon must replay its allocations after a restart.
    pub requires_request_replay: bool,
}

/// `/IpamDriver.GetDefaultAddressSpaces`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddressSpaces {
    /// The address space of local-scope networks.
    pub local_default_address_space: &'static str,
    /// The address space of global-scope networks.
    pub global_default_address_space: &'static str,
}

/// `/IpamDriver.RequestPool`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestPool {
    /// `docker network create --subnet`; empty when not given.
    #[serde(default)]
    pub pool: String,
    /// `--ip-range`.
    #[serde(default)]
    pub sub_pool: String,
    /// `--ipam-opt KEY=VALUE`.
    #[serde(default)]
    pub options: Option<BTreeMap<String, String>>,
    /// An IPv6 pool.
    #[serde(default, rename = "V6")]
    pub v6: bool,
}

/// The answer to [`RequestPool`].
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PoolGranted {
    /// The pool's id, given back in the address requests.
    #[serde(rename = "PoolID")]
    pub pool_id: String,
    /// The pool, `a.b.c.d/len`.
    pub pool: String,
    /// Nothing.
    pub data: BTreeMap<String, String>,
}

/// `/IpamDriver.ReleasePool`.
#[derive(Debug, Deserialize)]
pub struct ReleasePool {
    /// The pool.
    #[serde(rename = "PoolID")]
    pub pool_id: String,
}

/// `/IpamDriver.RequestAddress`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestAddress {
    /// The pool.
    #[serde(rename = "PoolID")]
    pub pool_id: String,
    /// The address asked for (`--gateway`, `docker run --ip`); empty for any.
    #[serde(default)]
    pub address: String,
    /// `RequestAddressType: com.docker.network.gateway` for the network's gateway.
    #[serde(default)]
    pub options: Option<BTreeMap<String, String>>,
}

/// The option of a gateway's [`RequestAddress`].
pub const REQUEST_ADDRESS_TYPE: &str = "RequestAddressType";
/// Its value.
pub const GATEWAY_ADDRESS: &str = "com.docker.network.gateway";

/// The answer to [`RequestAddress`].
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddressGranted {
    /// `a.b.c.d/len`.
    pub address: String,
    /// Nothing.
    pub data: BTreeMap<String, String>,
}

/// `/IpamDriver.ReleaseAddress`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReleaseAddress {
    /// The pool.
    #[serde(rename = "PoolID")]
    pub pool_id: String,
    /// The address, without its length.
    pub address: String,
}

/// One pool of a network ([`CreateNetwork`]).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpamData {
    /// The pool, `a.b.c.d/len`.
    pub pool: String,
    /// The gateway, `a.b.c.d/len`.
    #[serde(default)]
    pub gateway: String,
}

/// `/NetworkDriver.CreateNetwork`.
#[derive(Debug, Deserialize)]
pub struct CreateNetwork {
    /// Docker's id of the network.
    #[serde(rename = "NetworkID")]
    pub network_id: String,
    /// `com.docker.network.generic` holds the `-o KEY=VALUE` options.
    #[serde(default, rename = "Options")]
    pub options: Option<BTreeMap<String, Value>>,
    /// The IPv4 pools.
    #[serde(default, rename = "IPv4Data")]
    pub ipv4_data: Option<Vec<IpamData>>,
    /// The IPv6 pools.
    #[serde(default, rename = "IPv6Data")]
    pub ipv6_data: Option<Vec<IpamData>>,
}

/// The option of [`CreateNetwork`] that holds `docker network create -o` options.
pub const GENERIC_OPTIONS: &str = "com.docker.network.generic";

/// A request about one network (`/NetworkDriver.DeleteNetwork`).
#[derive(Debug, Deserialize)]
pub struct NetworkRequest {
    /// Docker's id of the network.
    #[serde(rename = "NetworkID")]
    pub network_id: String,
}

/// The interface of [`CreateEndpoint`] and of its answer.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointInterface {
    /// `a.b.c.d/len`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub address: String,
    /// IPv6 `addr/len`.
    #[serde(
        default,
        rename = "AddressIPv6",
        skip_serializing_if = "String::is_empty"
    )]
    pub address_ipv6: String,
    /// `aa:bb:cc:dd:ee:ff`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mac_address: String,
}

/// `/NetworkDriver.CreateEndpoint`.
#[derive(Debug, Deserialize)]
pub struct CreateEndpoint {
    /// Docker's id of the network.
    #[serde(rename = "NetworkID")]
    pub network_id: String,
    /// Docker's id of the endpoint.
    #[serde(rename = "EndpointID")]
    pub endpoint_id: String,
    /// The addresses the IPAM driver gave, and a MAC address if the user asked for one.
    #[serde(default, rename = "Interface")]
    pub interface: Option<EndpointInterface>,
}

/// The answer to [`CreateEndpoint`]: what the driver chose (the MAC address).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointCreated {
    /// Only what Docker did not give.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<EndpointInterface>,
}

/// A request about one endpoint (`DeleteEndpoint`, `Leave`, `EndpointOperInfo`, ...).
#[derive(Debug, Deserialize)]
pub struct EndpointRequest {
    /// Docker's id of the network.
    #[serde(rename = "NetworkID")]
    pub network_id: String,
    /// Docker's id of the endpoint.
    #[serde(rename = "EndpointID")]
    pub endpoint_id: String,
}

/// `/NetworkDriver.Join`.
#[derive(Debug, Deserialize)]
pub struct Join {
    /// Docker's id of the network.
    #[serde(rename = "NetworkID")]
    pub network_id: String,
    /// Docker's id of the endpoint.
    #[serde(rename = "EndpointID")]
    pub endpoint_id: String,
    /// The container's network namespace.
    #[serde(rename = "SandboxKey")]
    pub sandbox_key: String,
}

/// The interface Docker moves into the container ([`Joined`]).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InterfaceName {
    /// Its name in the daemon's namespace.
    pub src_name: String,
    /// Its name in the container is this and a number (`eth` -> `eth0`).
    pub dst_prefix: &'static str,
}

/// A route Docker adds in the container ([`Joined`]).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StaticRoute {
    /// `a.b.c.d/len`.
    pub destination: String,
    /// [`ROUTE_CONNECTED`]: through the interface, no next hop.
    pub route_type: u8,
}

/// libnetwork's route type of an on-link route.
pub const ROUTE_CONNECTED: u8 = 1;

/// The answer to [`Join`].
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Joined {
    /// The interface.
    pub interface_name: InterfaceName,
    /// The default route's next hop, when the network has a gateway.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub gateway: String,
    /// On-link routes (the DNS address).
    pub static_routes: Vec<StaticRoute>,
}

/// `/NetworkDriver.EndpointOperInfo`'s answer.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OperInfo {
    /// What `docker network inspect` shows of the endpoint.
    pub value: BTreeMap<String, String>,
}

/// An error, as every call answers one.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorAnswer {
    /// The message Docker shows.
    pub err: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Requests as Docker 20.10 sent them (captured from a daemon).
    #[test]
    fn docker_s_requests_decode() {
        let pool: RequestPool = serde_json::from_str(
            r#"{"AddressSpace":"np","Pool":"10.9.0.0/24","SubPool":"","Options":{"a":"b"},"V6":false}"#,
        )
        .unwrap();
        assert_eq!(pool.pool, "10.9.0.0/24");
        assert_eq!(pool.options.unwrap()["a"], "b");
        let gw: RequestAddress = serde_json::from_str(
            r#"{"PoolID":"pool1","Address":"","Options":{"RequestAddressType":"com.docker.network.gateway"}}"#,
        )
        .unwrap();
        assert_eq!(gw.options.unwrap()[REQUEST_ADDRESS_TYPE], GATEWAY_ADDRESS);
        let any: RequestAddress =
            serde_json::from_str(r#"{"PoolID":"pool1","Address":"","Options":null}"#).unwrap();
        assert!(any.options.is_none());
        let net: CreateNetwork = serde_json::from_str(
            r#"{"NetworkID":"e581","Options":{"com.docker.network.enable_ipv6":false,
            "com.docker.network.generic":{"network":"N","tenant":"T"}},
            "IPv4Data":[{"AddressSpace":"np","Gateway":"10.9.0.2/24","Pool":"10.9.0.0/24"}],"IPv6Data":[]}"#,
        )
        .unwrap();
        assert_eq!(net.options.unwrap()[GENERIC_OPTIONS]["tenant"], "T");
        assert_eq!(net.ipv4_data.unwrap()[0].gateway, "10.9.0.2/24");
        let ep: CreateEndpoint = serde_json::from_str(
            r#"{"NetworkID":"e581","EndpointID":"7e20","Interface":{"Address":"10.9.0.3/24",
            "AddressIPv6":"","MacAddress":""},"Options":{"com.docker.network.portmap":[]}}"#,
        )
        .unwrap();
        assert_eq!(ep.interface.unwrap().address, "10.9.0.3/24");
        let join: Join = serde_json::from_str(
            r#"{"NetworkID":"e581","EndpointID":"7e20","SandboxKey":"/x/netns/8dff","Options":{}}"#,
        )
        .unwrap();
        assert_eq!(join.sandbox_key, "/x/netns/8dff");
        assert!(serde_json::from_str::<Join>(r#"{"NetworkID":"e581"}"#).is_err());
    }

    #[test]
    fn answers_use_docker_s_names() {
        let joined = Joined {
            interface_name: InterfaceName {
                src_name: "dnp1".into(),
                dst_prefix: "eth",
            },
            gateway: String::new(),
            static_routes: vec![StaticRoute {
                destination: "169.254.0.53/32".into(),
                route_type: ROUTE_CONNECTED,
            }],
        };
        assert_eq!(
            serde_json::to_value(&joined).unwrap(),
            serde_json::json!({"InterfaceName": {"SrcName": "dnp1", "DstPrefix": "eth"},
                "StaticRoutes": [{"Destination": "169.254.0.53/32", "RouteType": 1}]})
        );
        let caps = IpamCapabilities {
            requires_mac_address: false,
            requires_request_replay: false,
        };
        assert_eq!(
            serde_json::to_value(&caps).unwrap(),
            serde_json::json!({"RequiresMACAddress": false, "RequiresRequestReplay": false})
        );
        let granted = PoolGranted {
            pool_id: "p".into(),
            pool: "10.0.0.0/8".into(),
            data: Default::default(),
        };
        assert_eq!(serde_json::to_value(&granted).unwrap()["PoolID"], "p");
    }
}
