//! Compiler tests: intent + topology built in code, compiled, installed into fake switches,
//! and frames traced through them.

mod fixture;
mod incremental;
pub(super) mod isolation;
mod multicast;
mod policy;
mod qos;
mod recompile;
mod routing;
mod tunnels;
