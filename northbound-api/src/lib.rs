//! netplugin's northbound interface.
//!
//! * [`model`]: the intent objects (Contiv netmaster semantics and JSON field names).
//! * [`service`]: the [`service::IntentService`] trait the controller implements, with the
//!   all-or-nothing [`service::Batch`].

pub mod model;
pub mod service;
