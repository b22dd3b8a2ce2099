//! The wire types of netplugin's northbound API (`/api/v1`) and of the agent protocol: plain
//! serde types, no HTTP, no async runtime, so that every client (netctl, the per-host agent)
//! and the server share them without linking each other.
//!
//! * [`addr`]: the typed addresses, subnets and ranges of the model's fields.
//! * [`model`]: the intent objects (Contiv netmaster semantics and JSON field names).
//! * [`wire`]: one object's JSON body on the REST API (its fields, without the kind tag).
//! * [`batch`]: the all-or-nothing [`batch::Batch`] of changes.
//! * [`error`]: the [`error::ApiError`] of a refused request.
//! * [`oper`]: the operational state Contiv's inspect shows beside an object's intent.
//! * [`audit`]: the sync state of every switch ([`audit::Audit`]).
//! * [`console`]: what the web console shows ([`console::ConsoleState`]).
//! * [`flows`]: a switch's flows with their owners ([`flows::SwitchFlows`]).
//! * [`trace`]: a packet traced through the compiled pipeline ([`trace::TraceReport`]).
//! * [`live_trace`]: the same packet traced by Open vSwitch, through the host's agent.
//! * [`agent`]: the [`agent::HostReport`] a host's agent sends, and the
//!   [`agent::HostDirectives`] netmaster answers with.
//! * `go_flags` (feature `cli`): the original's single-dash long options (`-host-label`).
//! * [`info`]: what netmaster says about itself (`GET /version`, `GET /info`).
//! * [`name`]: what a name may be.
//! * [`path`]: the paths of those resources, as a client asks for them.
//! * [`token`]: the [`token::BearerToken`] a client presents.
//! * `tls` (feature `tls`): the TLS configuration of the API's clients.
//!
//! With the feature `openapi`, every wire type also has its OpenAPI schema
//! (`utoipa::ToSchema`), from which the server generates its OpenAPI document.

pub mod addr;
pub mod agent;
pub mod audit;
pub mod batch;
pub mod console;
pub mod error;
pub mod flows;
#[cfg(feature = "cli")]
pub mod go_flags;
pub mod info;
pub mod live_trace;
pub mod model;
pub mod name;
#[cfg(feature = "openapi")]
mod openapi;
pub mod oper;
pub mod path;
#[cfg(feature = "tls")]
pub mod tls;
pub mod token;
pub mod trace;
pub mod wire;
