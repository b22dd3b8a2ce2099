//! An OVSDB client (RFC 7047) over a unix socket, and typed Open vSwitch operations.
//!
//! * [`Client`]: JSON-RPC 1.0 (`transact`, `monitor`, `echo`, `get_schema`, `list_dbs`), with
//!   the server's `echo` probes answered in the background.
//! * [`Operation`], [`Condition`], [`Mutation`]: the operations of a `transact`.
//! * [`Datum`], [`Atom`], [`Row`]: values in OVSDB's JSON encoding.
//! * [`vswitch`]: bridges with their controller, ports and interfaces of `Open_vSwitch`.

mod client;
mod error;
mod framing;
mod monitor;
mod ops;
mod value;
pub mod vswitch;

pub use client::{Client, Monitor};
pub use error::{Error, Result};
pub use monitor::{MonitorRequest, RowUpdate, TableUpdates};
pub use ops::{Condition, Mutation, OpResult, Operation};
pub use value::{row, Atom, Datum, Row, Uuid};
