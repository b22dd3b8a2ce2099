//! The client side of netplugin's northbound API, over the wire types of [`northbound_model`]
//! (re-exported as [`model`], [`addr`] and [`wire`]); it links no server code.
//!
//! * [`client`]: a blocking HTTP client of `/api/v1` (used by `netctl` and the tests).
//! * [`intent_file`]: the intent files of the original netplugin (`netctl -cfg FILE`),
//!   converted into a [`northbound_model::batch::Batch`].
//! * [`ipam_file`]: addresses managed elsewhere, imported and exported (`netctl ipam`).
//! * [`audit_report`]: `netctl audit`'s table of the switches' sync state.
//! * [`flows_report`]: `netctl flows`'s flows with their owners.
//! * [`trace_report`]: `netctl trace`'s packet trace.
//! * [`text`]: server text made safe to print.
//! * [`netctl`]: the command line of the binaries `netctl` and `netdcli` (the original's name).

pub use northbound_model::{
    addr, audit, batch, console, flows, info, model, name, token, trace, wire,
};

pub mod audit_report;
pub mod client;
pub mod flows_report;
pub mod intent_file;
pub mod ipam_file;
pub mod netctl;
pub mod text;
pub mod trace_report;
