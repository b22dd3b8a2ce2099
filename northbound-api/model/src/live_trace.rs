//! Live traces: Open vSwitch itself asked where a packet goes (`ovs-appctl ofproto/trace`),
//! by the agent of the host whose bridge it is, for `POST /api/v1/trace` with `live`.
//!
//! netmaster never connects to an agent: the agent long-polls `GET
//! /api/v1/agents/{host}/traces/?waitS=S` for the [`TraceJob`]s queued for its host (each
//! handed out once; the answer comes as soon as there is one, or after `S` seconds, at most
//! [`crate::agent::MAX_WAIT_S`], empty), runs each and answers with `PUT
//! /api/v1/agents/{host}/traces/{id}/` and a [`TraceAnswer`].

use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest answer taken, in bytes of `output`.
pub const MAX_TRACE_OUTPUT: usize = 128 * 1024;

/// A packet in `ovs-ofctl` flow syntax (`in_port=3,tcp,dl_src=...,tcp_dst=80`), as
/// `ofproto/trace` takes it: comma-separated `field=value` pairs and protocol keywords, made
/// only of ASCII letters, digits and `_=,:./`, at most [`OfprotoFlow::MAX_LEN`] characters,
/// never starting with `-` (it is passed to `ovs-appctl` as an argument).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OfprotoFlow(String);

/// Why a text is no [`OfprotoFlow`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowTextError {
    /// It is empty.
    #[error("the flow is empty")]
    Empty,
    /// It is longer than [`OfprotoFlow::MAX_LEN`].
    #[error("the flow is longer than {} characters", OfprotoFlow::MAX_LEN)]
    TooLong,
    /// It holds a character flow syntax does not use.
    #[error("the flow holds {0:?}, which flow syntax does not use")]
    Character(char),
}

impl OfprotoFlow {
    /// Longest flow taken.
    pub const MAX_LEN: usize = 1024;

    /// `text` if it is made of what flow syntax uses.
    pub fn new(text: &str) -> Result<OfprotoFlow, FlowTextError> {
        if text.is_empty() {
            return Err(FlowTextError::Empty);
        }
        if text.len() > OfprotoFlow::MAX_LEN {
            return Err(FlowTextError::TooLong);
        }
        if let Some(c) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "_=,:./".contains(*c)))
        {
            return Err(FlowTextError::Character(c));
        }
        Ok(OfprotoFlow(text.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OfprotoFlow {
    type Error = FlowTextError;
    fn try_from(text: String) -> Result<OfprotoFlow, FlowTextError> {
        OfprotoFlow::new(&text)
    }
}

impl From<OfprotoFlow> for String {
    fn from(f: OfprotoFlow) -> String {
        f.0
    }
}

impl fmt::Display for OfprotoFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A packet for a host's agent to trace through its integration bridge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceJob {
    /// Its id (the answer's path names it).
    pub id: u64,
    /// The packet.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[A-Za-z0-9_=,:./]{1,1024}$"))]
    pub flow: OfprotoFlow,
}

/// What `ofproto/trace` printed for a [`TraceJob`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceAnswer {
    /// Its standard output, or why it failed (at most [`MAX_TRACE_OUTPUT`] bytes).
    #[cfg_attr(feature = "openapi", schema(max_length = 131072))]
    pub output: String,
    /// It failed (`output` says why).
    #[serde(default)]
    pub failed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flows_hold_only_flow_syntax() {
        let ok = "in_port=3,tcp,tun_id=0x1b59,dl_src=02:02:0a:01:00:01,nw_dst=10.1.0.2,tcp_dst=80";
        assert_eq!(OfprotoFlow::new(ok).unwrap().as_str(), ok);
        assert_eq!(OfprotoFlow::new(""), Err(FlowTextError::Empty));
        assert_eq!(OfprotoFlow::new("-t"), Err(FlowTextError::Character('-')));
        assert_eq!(
            OfprotoFlow::new("ip nw_src=1.2.3.4"),
            Err(FlowTextError::Character(' '))
        );
        assert_eq!(
            OfprotoFlow::new("ip;reboot"),
            Err(FlowTextError::Character(';'))
        );
        assert_eq!(
            OfprotoFlow::new(&"a".repeat(1025)),
            Err(FlowTextError::TooLong)
        );
        let job: Result<TraceJob, _> = serde_json::from_str(r#"{"id":1,"flow":"ip $(x)"}"#);
        assert!(job
            .unwrap_err()
            .to_string()
            .contains("flow syntax does not use"));
    }
}
