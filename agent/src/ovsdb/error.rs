//! The error type of the OVSDB client.

use serde_json::Value;

/// What can go wrong talking to an OVSDB server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Connecting, reading or writing the socket failed.
    #[error("OVSDB connection: {0}")]
    Io(#[from] std::io::Error),
    /// The connection is closed (by the server, an I/O error or a protocol violation).
    #[error("OVSDB connection closed")]
    Disconnected,
    /// The server's reply carried a non-null `error` member.
    #[error("OVSDB {method} failed: {error}")]
    Rpc {
        /// The request's method.
        method: String,
        /// The `error` member, rendered as text.
        error: String,
    },
    /// An operation of a `transact` failed. `index` equal to the number of operations means
    /// the commit itself failed (e.g. a referential integrity or constraint violation).
    #[error("OVSDB transaction failed at operation {index} ({op}): {error}{}", details.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Operation {
        /// Position of the failed operation.
        index: usize,
        /// Its `op` (`"commit"` for a commit failure).
        op: String,
        /// The `error` string (e.g. `"constraint violation"`).
        error: String,
        /// The `details` string, when the server gave one.
        details: Option<String>,
    },
    /// The server sent something this client does not understand.
    #[error("OVSDB protocol error: {0}")]
    Protocol(String),
    /// A deadline passed.
    #[error("OVSDB: timed out {0}")]
    Timeout(String),
    /// A row the operation needs does not exist.
    #[error("OVSDB: not found: {0}")]
    NotFound(String),
    /// The database holds something that conflicts with the request.
    #[error("OVSDB: conflict: {0}")]
    Conflict(String),
    /// ovs-vswitchd could not set up an interface (`ofport` -1 and the `error` column).
    #[error("interface {name} failed: {error}")]
    Interface {
        /// The interface.
        name: String,
        /// Its `error` column.
        error: String,
    },
}

impl Error {
    /// Renders an RFC 7047 error object (`{"error": ..., "details": ...}`) or any other JSON.
    pub(crate) fn rpc(method: &str, error: &Value) -> Error {
        let error = match (error.get("error"), error.get("details")) {
            (Some(e), Some(d)) => format!("{}: {}", text(e), text(d)),
            (Some(e), None) => text(e),
            _ => text(error),
        };
        Error::Rpc {
            method: method.to_string(),
            error,
        }
    }
}

/// A JSON string without quotes, anything else as JSON.
fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
