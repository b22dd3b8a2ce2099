//! The paths of the `/api/v1` resources a client asks for, keys percent-encoded for one path
//! segment (keeping `:`, which keys use). Append them to the server's base URL.

use crate::flows::SwitchSelector;
use crate::model::Kind;

/// Batches: `POST` applies one all-or-nothing.
pub const BATCH: &str = "/api/v1/batch";

/// The sync state of every switch.
pub const AUDIT: &str = "/api/v1/audit/";

/// Packet traces: `POST` a [`crate::trace::TraceRequest`].
pub const TRACE: &str = "/api/v1/trace";

/// The flows of the switch with datapath id `dpid` (or of `host`'s switch), only those of
/// `owner` when given.
pub fn flows(switch: &SwitchSelector, owner: Option<&str>) -> String {
    let mut path = match switch {
        SwitchSelector::Dpid(dpid) => format!("/api/v1/flows/?switch={dpid:#x}"),
        SwitchSelector::Host(host) => format!("/api/v1/flows/?host={}", encode_segment(host)),
    };
    if let Some(owner) = owner {
        path.push_str("&owner=");
        path.push_str(&encode_segment(owner));
    }
    path
}

/// What the web console draws ([`crate::console::ConsoleState`]).
pub const CONSOLE_STATE: &str = "/ui/api/state";

/// The OpenAPI document of the API.
pub const OPENAPI: &str = "/api/v1/openapi.json";

/// Every host's latest report.
pub const AGENTS: &str = "/api/v1/agents/";

/// Every object of `kind`.
pub fn collection(kind: Kind) -> String {
    format!("/api/v1/{}/", kind.collection())
}

/// The object of `kind` with `key`.
pub fn object(kind: Kind, key: &str) -> String {
    format!("/api/v1/{}/{}/", kind.collection(), encode_segment(key))
}

/// An object's intent and operational state (Contiv's inspect).
pub fn inspect(kind: Kind, key: &str) -> String {
    format!(
        "/api/v1/inspect/{}/{}/",
        kind.collection(),
        encode_segment(key)
    )
}

/// netmaster's version (Contiv's `GET /version`).
pub const VERSION: &str = "/version";

/// This netmaster and the agents it hears from (Contiv's `GET /info`).
pub const INFO: &str = "/info";

/// The report of `host`.
pub fn agent(host: &str) -> String {
    format!("/api/v1/agents/{}/", encode_segment(host))
}

/// What netmaster wants on `host`'s bridge; with `after`, a long poll of at most `wait_s`
/// seconds until the directives' version is past it.
pub fn directives(host: &str, after: Option<u64>, wait_s: u64) -> String {
    let mut path = format!("/api/v1/agents/{}/directives/", encode_segment(host));
    if let Some(after) = after {
        path.push_str(&format!("?after={after}&waitS={wait_s}"));
    }
    path
}

/// Whether endpoint `key` on `host` is usable: a long poll of at most `wait_ms` milliseconds.
pub fn ready(host: &str, key: &str, wait_ms: u64) -> String {
    format!(
        "/api/v1/agents/{}/ready/?endpoint={}&waitMs={wait_ms}",
        encode_segment(host),
        encode_segment(key)
    )
}

/// The live traces queued for `host`'s agent: a long poll of at most `wait_s` seconds.
pub fn trace_jobs(host: &str, wait_s: u64) -> String {
    format!(
        "/api/v1/agents/{}/traces/?waitS={wait_s}",
        encode_segment(host)
    )
}

/// The answer to live trace `id` of `host`.
pub fn trace_answer(host: &str, id: u64) -> String {
    format!("/api/v1/agents/{}/traces/{id}/", encode_segment(host))
}

/// Percent-encodes a key for one path segment (keeping `:`, which keys use).
fn encode_segment(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode_segment("t1:net-1"), "t1:net-1");
        assert_eq!(encode_segment("a b/c"), "a%20b%2Fc");
    }

    #[test]
    fn paths_name_the_resource() {
        assert_eq!(
            object(Kind::Network, "t1:a b"),
            "/api/v1/networks/t1:a%20b/"
        );
        assert_eq!(collection(Kind::EndpointGroup), "/api/v1/endpointGroups/");
        assert_eq!(agent("host-1"), "/api/v1/agents/host-1/");
        assert_eq!(
            directives("h", Some(7), 25),
            "/api/v1/agents/h/directives/?after=7&waitS=25"
        );
        assert_eq!(directives("h", None, 25), "/api/v1/agents/h/directives/");
        assert_eq!(
            flows(&SwitchSelector::Dpid(0x2a), None),
            "/api/v1/flows/?switch=0x2a"
        );
        assert_eq!(
            flows(&SwitchSelector::Host("h 1".into()), Some("blue:web")),
            "/api/v1/flows/?host=h%201&owner=blue:web"
        );
    }
}
