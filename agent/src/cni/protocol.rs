//! The agent's CNI socket protocol: one JSON request per connection, one line each way.
//!
//! ```text
//! -> {"command":"ADD"|"DEL"|"CHECK","containerId":..,"netns":..,"ifname":..,
//!     "tenant":..,"network":..,"group":..,"container":..}
//! <- {"ok":{"interface":"eth0","mac":"02:..","ips":[{"address":"10.1.1.2/24","gateway":"10.1.1.1"}],
//!           "routes":[{"dst":"0.0.0.0/0","gw":"10.1.1.1"}],
//!           "hostInterface":{"name":"vnp..","mac":".."}}}
//! <- {"error":{"code":N,"msg":"..","details":".."}}
//! ```
//!
//! `tenant`, `network`, `group` and `container` are optional (placement: the endpoint is
//! `tenant:container`, tenant `default`, container the container id; `network` and `group`,
//! when given, must match the endpoint's in intent). DEL and CHECK answer `{"ok":{}}` or with
//! the endpoint's data.

use serde::{Deserialize, Serialize};

/// The agent's default CNI socket.
pub const DEFAULT_SOCKET: &str = "/run/netplugin/cni.sock";
/// The CNI spec version the plugin implements.
pub const CNI_VERSION: &str = "1.0.0";
/// The spec versions the plugin accepts in network configurations.
pub const SUPPORTED_VERSIONS: &[&str] = &["0.3.0", "0.3.1", "0.4.0", "1.0.0"];

/// Well-known CNI error codes (spec 1.0.0) and netplugin's own (100 and up).
pub mod code {
    /// Incompatible CNI version.
    pub const INCOMPATIBLE_VERSION: u32 = 1;
    /// Unsupported field in the network configuration.
    pub const UNSUPPORTED_FIELD: u32 = 2;
    /// Container unknown or does not exist.
    pub const UNKNOWN_CONTAINER: u32 = 3;
    /// Invalid necessary environment variables.
    pub const INVALID_ENV: u32 = 4;
    /// I/O failure.
    pub const IO_FAILURE: u32 = 5;
    /// Failed to decode content.
    pub const DECODE_FAILURE: u32 = 6;
    /// Invalid network configuration.
    pub const INVALID_CONFIG: u32 = 7;
    /// Try again later.
    pub const TRY_AGAIN: u32 = 11;
    /// The endpoint is not in netmaster's intent, and there is no network to create it on.
    pub const NOT_IN_INTENT: u32 = 100;
    /// The endpoint cannot be created as requested (bad intent, interface exists, ...).
    pub const INVALID_ENDPOINT: u32 = 101;
    /// The CNI_ARGS placement (network, group) does not match the endpoint in intent.
    pub const PLACEMENT_MISMATCH: u32 = 102;
    /// CHECK found the container's interface different from intent.
    pub const CHECK_FAILED: u32 = 103;
    /// Any other failure of the agent.
    pub const INTERNAL: u32 = 110;
}

/// A request to the agent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// `ADD`, `DEL` or `CHECK`.
    pub command: String,
    /// `CNI_CONTAINERID`.
    pub container_id: String,
    /// `CNI_NETNS` (may be empty for DEL).
    #[serde(default)]
    pub netns: String,
    /// `CNI_IFNAME`.
    #[serde(default)]
    pub ifname: String,
    /// Tenant (default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Network the endpoint must be on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Endpoint group the endpoint must be in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Container name of the endpoint (default: the container id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The network of an endpoint created on demand (a pod intent does not declare), when
    /// `network` does not give one (the configuration's `netplugin.network`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_network: Option<String>,
    /// The endpoint group of an endpoint created on demand, when `group` does not give one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_group: Option<String>,
    /// The address a delegated IPAM plugin gave (`a.b.c.d/len`): an endpoint created on
    /// demand gets it, a declared one must have it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// An address of the container interface.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpReply {
    /// `a.b.c.d/len`.
    pub address: String,
    /// The gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
}

/// A route in the container.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteReply {
    /// Destination `a.b.c.d/len`.
    pub dst: String,
    /// Next hop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gw: Option<String>,
}

/// A successful answer (empty for DEL).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Reply {
    /// The container interface's name.
    pub interface: String,
    /// Its MAC address.
    pub mac: String,
    /// Its addresses.
    pub ips: Vec<IpReply>,
    /// The container's routes through it.
    pub routes: Vec<RouteReply>,
    /// The name server the container should use (netmaster's DNS address), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nameserver: Option<String>,
    /// The host end of the container's veth (ADD): chained plugins such as `bandwidth` find
    /// it in the result.
    #[serde(
        default,
        rename = "hostInterface",
        skip_serializing_if = "Option::is_none"
    )]
    pub host_interface: Option<HostInterface>,
}

/// The host end of a container's veth, in the agent's namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInterface {
    /// Its name.
    pub name: String,
    /// Its MAC address.
    pub mac: String,
}

/// A failure, with a CNI error code.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    /// CNI error code (see [`code`]).
    pub code: u32,
    /// Short message.
    pub msg: String,
    /// Details.
    #[serde(default)]
    pub details: String,
}

impl ErrorReply {
    /// An error with `code`.
    pub fn new(code: u32, msg: impl Into<String>, details: impl Into<String>) -> ErrorReply {
        ErrorReply {
            code,
            msg: msg.into(),
            details: details.into(),
        }
    }
}

/// The agent's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Response {
    /// Success.
    Ok(Reply),
    /// Failure.
    Error(ErrorReply),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_format() {
        let r: Request = serde_json::from_str(
            r#"{"command":"ADD","containerId":"c1","netns":"/n","ifname":"eth0","tenant":"t"}"#,
        )
        .unwrap();
        assert_eq!(r.tenant.as_deref(), Some("t"));
        assert_eq!(r.network, None);
        let ok = serde_json::to_value(Response::Ok(Reply::default())).unwrap();
        assert!(ok["ok"]["ips"].is_array());
        let e = serde_json::to_string(&Response::Error(ErrorReply::new(3, "m", "d"))).unwrap();
        assert_eq!(e, r#"{"error":{"code":3,"msg":"m","details":"d"}}"#);
        let back: Response = serde_json::from_str(r#"{"ok":{}}"#).unwrap();
        assert_eq!(back, Response::Ok(Reply::default()));
    }
}
