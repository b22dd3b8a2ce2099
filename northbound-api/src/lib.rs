//! netplugin's northbound interface, server side: the `/api/v1` router over the service traits
//! the controller implements. The wire types live in [`northbound_model`] (serde only, what the
//! agent links); [`addr`], [`model`] and [`wire`] are that crate's modules, re-exported. The
//! client, the intent files and `netctl` are the `northbound-client` crate.
//!
//! * [`model`]: the intent objects (Contiv netmaster semantics and JSON field names).
//! * [`agent`]: the [`agent::HostReport`] a host's agent sends, and the [`agent::AgentService`]
//!   trait the controller implements to receive it.
//! * [`service`]: the [`service::IntentService`] trait the controller implements, with the
//!   all-or-nothing [`service::Batch`].
//! * [`wire`]: one object's JSON body on the REST API (its fields, without the kind tag).
//! * [`rest`]: the `/api/v1` axum router over an [`service::IntentService`], an
//!   [`agent::AgentService`] and an [`oper::OperService`].
//! * [`auth`]: bearer tokens and what each role may do.
//! * [`serve`]: serving the API on TCP within [`serve::Limits`] (timeouts, a connection cap),
//!   over TLS when given [`tls::acceptor`].
//! * [`oper`]: operational state (multicast memberships), the [`oper::OperService`] trait.
//! * [`console`]: the web console at `/ui/` (its wire types are [`northbound_model::console`]'s).

pub use northbound_model::{addr, audit, flows, live_trace, model, name, trace, wire};

pub mod agent;
pub mod auth;
pub mod console;
pub mod oper;
pub mod rest;
pub mod serve;
pub mod service;
pub mod tls;
