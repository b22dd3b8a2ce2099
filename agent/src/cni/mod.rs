//! CNI (spec 1.0.0) for netplugin: the plugin binary `netplugin-cni` and the agent's side.
//!
//! The plugin does no plumbing itself. It checks the runtime's input (environment variables,
//! network configuration on stdin), sends one JSON request over the agent daemon's unix socket
//! (`--cni-socket`, default [`protocol::DEFAULT_SOCKET`]) and turns the answer into the CNI
//! result or error:
//!
//! ```text
//! runtime --env+stdin--> netplugin-cni --{"command":"ADD",...}--> netplugin daemon (server)
//!         <--result----               <--{"ok":{...}} | {"error":{...}}--   attach/detach
//! ```
//!
//! * [`protocol`]: the request/response messages of the socket and the error codes.
//! * [`args`]: `CNI_ARGS` parsing and the spec's name rules.
//! * [`plugin`]: the plugin's commands (ADD, DEL, CHECK, VERSION) and its result JSON.
//! * [`ipam`]: delegation of the addresses to a CNI IPAM plugin (`ipam` in the configuration).
//! * [`server`]: the daemon's socket, on top of [`crate::attach`].

pub mod args;
pub mod ipam;
pub mod plugin;
pub mod protocol;
pub mod server;
