//! netplugin's northbound interface: the server side of `/api/v1`, its blocking client and the
//! intent files. The wire types live in [`northbound_model`] (serde only, what the agent
//! links); [`model`] and [`wire`] are that crate's modules, re-exported.
//!
//! * [`model`]: the intent objects (Contiv netmaster semantics and JSON field names).
//! * [`agent`]: the [`agent::HostReport`] a host's agent sends, and the [`agent::AgentService`]
//!   trait the controller implements to receive it.
//! * [`service`]: the [`service::IntentService`] trait the controller implements, with the
//!   all-or-nothing [`service::Batch`].
//! * [`wire`]: one object's JSON body on the REST API (its fields, without the kind tag).
//! * [`rest`]: the `/api/v1` axum router over an [`service::IntentService`], an
//!   [`agent::AgentService`] and an [`oper::OperService`].
//! * [`oper`]: operational state (multicast memberships), the [`oper::OperService`] trait.
//! * [`client`]: a blocking HTTP client of that API (used by `netctl`).
//! * [`intent_file`]: the intent files of the original netplugin (`netctl -cfg FILE`),
//!   converted into a [`service::Batch`].

pub use northbound_model::{model, wire};

pub mod agent;
pub mod client;
pub mod intent_file;
pub mod oper;
pub mod rest;
pub mod service;
