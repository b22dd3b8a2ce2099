//! The plugin side: the runtime's input (environment, network configuration on stdin), the
//! request to the agent, and the CNI result or error JSON (spec 1.0.0).

use super::args::{self, parse_cni_args, valid_ifname, valid_name};
use super::protocol::{
    code, ErrorReply, Reply, Request, Response, CNI_VERSION, DEFAULT_SOCKET, SUPPORTED_VERSIONS,
};
use serde_json::{json, Map, Value};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// How long the plugin waits for the agent (an ADD waits for the OpenFlow port).
const AGENT_TIMEOUT: Duration = Duration::from_secs(120);

/// A CNI error: printed on stdout as `{"cniVersion","code","msg","details"}`, exit status 1.
pub type CniError = ErrorReply;

/// What the plugin prints on success (`None`: nothing, as for DEL and CHECK).
pub type Output = Option<String>;

/// The parsed network configuration (the fields the plugin uses).
#[derive(Clone, Debug, PartialEq)]
pub struct NetConf {
    /// `cniVersion`.
    pub cni_version: String,
    /// `name`.
    pub name: String,
    /// `type`.
    pub plugin_type: String,
    /// `agentSocket`: the agent's CNI socket.
    pub agent_socket: String,
    /// `dns`, passed through to the result.
    pub dns: Option<Value>,
    /// `prevResult`.
    pub prev_result: Option<Value>,
    /// `netplugin`: where pods intent does not declare go.
    pub placement: Placement,
    /// `ipam.type`: the IPAM plugin the addresses are delegated to ([`super::ipam`]).
    pub ipam: Option<String>,
}

/// The configuration's `netplugin` section: the tenant, network and group of a pod that
/// intent does not declare (its endpoint is created on demand). `CNI_ARGS` win over it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Placement {
    /// The tenant (else `default`).
    #[serde(default)]
    pub tenant: Option<String>,
    /// The pod's Kubernetes namespace (`K8S_POD_NAMESPACE`) is its tenant.
    #[serde(default)]
    pub tenant_from_namespace: bool,
    /// The network (else the tenant's `defaultNetwork`).
    #[serde(default)]
    pub network: Option<String>,
    /// The endpoint group.
    #[serde(default)]
    pub group: Option<String>,
}

fn err(c: u32, msg: &str, details: impl Into<String>) -> CniError {
    ErrorReply::new(c, msg, details)
}

/// Decodes and validates the network configuration.
pub fn parse_config(stdin: &[u8]) -> Result<NetConf, CniError> {
    let v: Value = serde_json::from_slice(stdin).map_err(|e| {
        err(
            code::DECODE_FAILURE,
            "cannot decode the network configuration",
            e.to_string(),
        )
    })?;
    let obj = v.as_object().ok_or_else(|| {
        err(
            code::DECODE_FAILURE,
            "cannot decode the network configuration",
            "not a JSON object",
        )
    })?;
    let string = |k: &str, required: bool| -> Result<Option<String>, CniError> {
        match obj.get(k) {
            None | Some(Value::Null) if !required => Ok(None),
            None | Some(Value::Null) => Err(err(
                code::INVALID_CONFIG,
                "invalid network configuration",
                format!("{k} is missing"),
            )),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(err(
                code::INVALID_CONFIG,
                "invalid network configuration",
                format!("{k} is not a string"),
            )),
        }
    };
    let cni_version = string("cniVersion", true)?.unwrap_or_default();
    let name = string("name", true)?.unwrap_or_default();
    let plugin_type = string("type", true)?.unwrap_or_default();
    let agent_socket = string("agentSocket", false)?.unwrap_or_else(|| DEFAULT_SOCKET.to_string());
    if !valid_name(&name) {
        return Err(err(
            code::INVALID_CONFIG,
            "invalid network configuration",
            format!("name {name:?} is not a valid network name"),
        ));
    }
    if plugin_type.is_empty() {
        return Err(err(
            code::INVALID_CONFIG,
            "invalid network configuration",
            "type is empty",
        ));
    }
    if agent_socket.is_empty() {
        return Err(err(
            code::INVALID_CONFIG,
            "invalid network configuration",
            "agentSocket is empty",
        ));
    }
    let ipam = match obj.get("ipam") {
        None | Some(Value::Null) => None,
        Some(ipam) => match ipam.get("type") {
            Some(Value::String(t)) if !t.is_empty() => Some(t.clone()),
            _ => {
                return Err(err(
                    code::INVALID_CONFIG,
                    "invalid network configuration",
                    "ipam needs a type (the IPAM plugin)",
                ))
            }
        },
    };
    let dns = match obj.get("dns") {
        None | Some(Value::Null) => None,
        Some(d @ Value::Object(_)) => Some(d.clone()),
        Some(_) => {
            return Err(err(
                code::INVALID_CONFIG,
                "invalid network configuration",
                "dns is not an object",
            ))
        }
    };
    let placement = match obj.get("netplugin") {
        None | Some(Value::Null) => Placement::default(),
        Some(p) => serde_json::from_value(p.clone()).map_err(|e| {
            err(
                code::INVALID_CONFIG,
                "invalid network configuration",
                format!("netplugin: {e}"),
            )
        })?,
    };
    Ok(NetConf {
        cni_version,
        name,
        plugin_type,
        agent_socket,
        dns,
        prev_result: obj.get("prevResult").filter(|p| !p.is_null()).cloned(),
        placement,
        ipam,
    })
}

/// The `VERSION` answer.
pub fn version_json() -> String {
    json!({"cniVersion": CNI_VERSION, "supportedVersions": SUPPORTED_VERSIONS}).to_string()
}

/// The error JSON for `err` in spec version `version`.
pub fn error_json(version: &str, e: &CniError) -> String {
    let mut o = Map::new();
    o.insert("cniVersion".into(), json!(version));
    o.insert("code".into(), json!(e.code));
    o.insert("msg".into(), json!(e.msg));
    if !e.details.is_empty() {
        o.insert("details".into(), json!(e.details));
    }
    Value::Object(o).to_string()
}

/// The CNI result of an ADD (or of the endpoint found by CHECK), with the routes and DNS
/// settings of the delegated IPAM plugin's result (`ipam`), if any. Its `dns` is the
/// configuration's, else the IPAM plugin's, else netmaster's DNS address as name server. Its
/// interfaces are the veth's host end (when the agent named it; no `sandbox`) and the
/// container's interface, which the addresses are on.
pub fn result_json(conf: &NetConf, netns: &str, reply: &Reply, ipam: Option<&Value>) -> Value {
    let pre_1 = conf.cni_version.starts_with("0.");
    let mut interfaces: Vec<Value> = reply
        .host_interface
        .iter()
        .map(|h| json!({"name": h.name, "mac": h.mac}))
        .collect();
    let container = interfaces.len();
    interfaces.push(json!({"name": reply.interface, "mac": reply.mac, "sandbox": netns}));
    let ips: Vec<Value> = reply
        .ips
        .iter()
        .map(|ip| {
            let mut o = Map::new();
            if pre_1 {
                let v = if ip.address.contains(':') { "6" } else { "4" };
                o.insert("version".into(), json!(v));
            }
            o.insert("address".into(), json!(ip.address));
            if let Some(g) = &ip.gateway {
                o.insert("gateway".into(), json!(g));
            }
            o.insert("interface".into(), json!(container));
            Value::Object(o)
        })
        .collect();
    let mut routes: Vec<Value> = reply
        .routes
        .iter()
        .map(|r| match &r.gw {
            Some(gw) => json!({"dst": r.dst, "gw": gw}),
            None => json!({"dst": r.dst}),
        })
        .collect();
    let delegated = |k: &str| ipam.and_then(|r| r.get(k)).filter(|v| !v.is_null());
    for r in delegated("routes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !routes.contains(r) {
            routes.push(r.clone());
        }
    }
    let dns = conf
        .dns
        .clone()
        .or_else(|| delegated("dns").cloned())
        .or_else(|| {
            reply
                .nameserver
                .as_ref()
                .map(|ns| json!({"nameservers": [ns]}))
        })
        .unwrap_or_else(|| json!({}));
    json!({
        "cniVersion": conf.cni_version,
        "interfaces": interfaces,
        "ips": ips,
        "routes": routes,
        "dns": dns,
    })
}

/// Sends `req` to the agent at `socket`.
pub fn call_agent(socket: &str, req: &Request) -> Result<Reply, CniError> {
    let unreachable = |e: std::io::Error| {
        err(
            code::TRY_AGAIN,
            "the netplugin agent is unreachable",
            format!("{socket}: {e}"),
        )
    };
    let mut stream = UnixStream::connect(socket).map_err(unreachable)?;
    stream
        .set_read_timeout(Some(AGENT_TIMEOUT))
        .map_err(unreachable)?;
    stream
        .set_write_timeout(Some(AGENT_TIMEOUT))
        .map_err(unreachable)?;
    let mut line =
        serde_json::to_vec(req).map_err(|e| err(code::INTERNAL, "encoding", e.to_string()))?;
    line.push(b'\n');
    stream.write_all(&line).map_err(unreachable)?;
    let mut answer = String::new();
    BufReader::new(&stream)
        .read_line(&mut answer)
        .map_err(unreachable)?;
    match serde_json::from_str::<Response>(&answer) {
        Ok(Response::Ok(r)) => Ok(r),
        Ok(Response::Error(e)) => Err(e),
        Err(e) => Err(err(
            code::INTERNAL,
            "bad answer from the netplugin agent",
            format!("{e}: {answer:?}"),
        )),
    }
}

/// The largest network configuration read from stdin (the runtime's input is a few KiB).
pub const MAX_STDIN: u64 = 1 << 20;

/// Reads the runtime's input from `r`: at most [`MAX_STDIN`] bytes, an error beyond.
pub fn read_input(r: impl std::io::Read) -> Result<Vec<u8>, CniError> {
    use std::io::Read;
    let mut input = Vec::new();
    r.take(MAX_STDIN + 1)
        .read_to_end(&mut input)
        .map_err(|e| err(code::IO_FAILURE, "cannot read stdin", e.to_string()))?;
    if input.len() as u64 > MAX_STDIN {
        return Err(err(
            code::INVALID_CONFIG,
            "network configuration too large",
            format!("more than {MAX_STDIN} bytes on stdin"),
        ));
    }
    Ok(input)
}

/// Runs the plugin: `env` reads environment variables, `stdin` is the runtime's input.
/// Returns the spec version for an error report, and the output or the error.
pub fn run(
    env: &dyn Fn(&str) -> Option<String>,
    stdin: &[u8],
) -> (String, Result<Output, CniError>) {
    let mut version = CNI_VERSION.to_string();
    let r = run_inner(env, stdin, &mut version);
    (version, r)
}

fn required(env: &dyn Fn(&str) -> Option<String>, k: &str) -> Result<String, CniError> {
    env(k).filter(|v| !v.is_empty()).ok_or_else(|| {
        err(
            code::INVALID_ENV,
            "missing environment variable",
            format!("{k} is not set"),
        )
    })
}

fn run_inner(
    env: &dyn Fn(&str) -> Option<String>,
    stdin: &[u8],
    version: &mut String,
) -> Result<Output, CniError> {
    let command = required(env, "CNI_COMMAND")?;
    if command == "VERSION" {
        return Ok(Some(version_json()));
    }
    if !matches!(command.as_str(), "ADD" | "DEL" | "CHECK") {
        return Err(err(
            code::INVALID_ENV,
            "unsupported command",
            format!("CNI_COMMAND={command} (supported: ADD, DEL, CHECK, VERSION)"),
        ));
    }
    let conf = parse_config(stdin)?;
    if !SUPPORTED_VERSIONS.contains(&conf.cni_version.as_str()) {
        return Err(err(
            code::INCOMPATIBLE_VERSION,
            "incompatible CNI version",
            format!(
                "cniVersion {} is not one of {}",
                conf.cni_version,
                SUPPORTED_VERSIONS.join(", ")
            ),
        ));
    }
    *version = conf.cni_version.clone();
    let container_id = required(env, "CNI_CONTAINERID")?;
    if !valid_name(&container_id) {
        return Err(err(
            code::INVALID_ENV,
            "invalid CNI_CONTAINERID",
            format!("{container_id:?}: must be alphanumerics, '_', '.', '-'"),
        ));
    }
    let ifname = required(env, "CNI_IFNAME")?;
    if !valid_ifname(&ifname) {
        return Err(err(
            code::INVALID_ENV,
            "invalid CNI_IFNAME",
            format!("{ifname:?}"),
        ));
    }
    let netns = if command == "DEL" {
        env("CNI_NETNS").unwrap_or_default()
    } else {
        required(env, "CNI_NETNS")?
    };
    let cni_args = parse_cni_args(&env("CNI_ARGS").unwrap_or_default())
        .map_err(|e| err(code::INVALID_ENV, "invalid CNI_ARGS", e.to_string()))?;
    if command != "DEL" && !Path::new(&netns).exists() {
        return Err(err(
            code::UNKNOWN_CONTAINER,
            "no such network namespace",
            format!("CNI_NETNS {netns} does not exist"),
        ));
    }
    let get = |k: &str| cni_args.get(k).filter(|v| !v.is_empty()).cloned();
    let p = &conf.placement;
    let namespace = get(args::K8S_POD_NAMESPACE).filter(|_| p.tenant_from_namespace);
    let req = Request {
        command: command.clone(),
        container_id,
        netns: netns.clone(),
        ifname,
        tenant: get(args::TENANT).or(namespace).or_else(|| p.tenant.clone()),
        network: get(args::NETWORK),
        group: get(args::GROUP),
        container: get(args::K8S_POD_NAME).or_else(|| get(args::CONTAINER)),
        default_network: p.network.clone(),
        default_group: p.group.clone(),
        address: None,
    };
    let Some(ipam_type) = &conf.ipam else {
        let reply = call_agent(&conf.agent_socket, &req)?;
        return match command.as_str() {
            "ADD" => Ok(Some(result_json(&conf, &netns, &reply, None).to_string())),
            "CHECK" => check_prev_result(&conf, &reply).map(|()| None),
            _ => Ok(None),
        };
    };
    // Delegated IPAM: the plugin's address for ADD (released again if the ADD fails), its
    // CHECK after ours, its DEL after the interface is gone.
    let ipam = super::ipam::find(ipam_type, &env("CNI_PATH").unwrap_or_default())?;
    match command.as_str() {
        "ADD" => {
            let delegated = super::ipam::run(&ipam, "ADD", env, stdin)?;
            let added = super::ipam::ipv4_address(&delegated).and_then(|a| {
                call_agent(
                    &conf.agent_socket,
                    &Request {
                        address: Some(a),
                        ..req
                    },
                )
            });
            match added {
                Ok(reply) => Ok(Some(
                    result_json(&conf, &netns, &reply, Some(&delegated)).to_string(),
                )),
                Err(e) => {
                    let _ = super::ipam::run(&ipam, "DEL", env, stdin);
                    Err(e)
                }
            }
        }
        "CHECK" => {
            let reply = call_agent(&conf.agent_socket, &req)?;
            check_prev_result(&conf, &reply)?;
            super::ipam::run(&ipam, "CHECK", env, stdin)?;
            Ok(None)
        }
        _ => {
            call_agent(&conf.agent_socket, &req)?;
            super::ipam::run(&ipam, "DEL", env, stdin)?;
            Ok(None)
        }
    }
}

/// CHECK: the addresses of the previous result must be the endpoint's.
fn check_prev_result(conf: &NetConf, reply: &Reply) -> Result<(), CniError> {
    let Some(prev) = &conf.prev_result else {
        return Ok(());
    };
    let prev_ips: Vec<&str> = prev
        .get("ips")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|ip| ip.get("address")?.as_str())
                .collect()
        })
        .unwrap_or_default();
    for ip in &reply.ips {
        if !prev_ips.contains(&ip.address.as_str()) {
            return Err(err(
                code::CHECK_FAILED,
                "check failed",
                format!("prevResult lacks the endpoint's address {}", ip.address),
            ));
        }
    }
    Ok(())
}
