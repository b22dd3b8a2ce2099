//! The agent's error: what it was doing (the context, e.g. "listing the ports of br-int") and
//! what failed (the typed [`Cause`]). Each layer keeps its own error type (OVSDB, netlink,
//! SR-IOV, the netmaster client); this one only adds the context, through [`Context`].

use crate::{netlink, netmaster, ovsdb, sriov};

/// A failed step of the agent and why it failed.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {cause}")]
pub struct Error {
    /// What the agent was doing.
    pub context: String,
    /// What failed (boxed: the causes are large, and errors are rare).
    #[source]
    pub cause: Box<Cause>,
}

/// What failed.
#[derive(Debug, thiserror::Error)]
pub enum Cause {
    /// The OVSDB server refused, or the connection broke.
    #[error(transparent)]
    Ovsdb(#[from] ovsdb::Error),
    /// A netlink request or a namespace failed.
    #[error(transparent)]
    Netlink(#[from] netlink::Error),
    /// netmaster refused, or could not be reached.
    #[error(transparent)]
    Netmaster(#[from] netmaster::Error),
    /// The SR-IOV sysfs interface failed.
    #[error(transparent)]
    Sriov(#[from] sriov::Error),
    /// The Docker driver's state file is unreadable.
    #[error(transparent)]
    DriverState(#[from] crate::docker::driver::state::FileError),
    /// A file or socket operation failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// What the agent found is not what it needs (a bridge without datapath id, a socket
    /// another agent serves).
    #[error("{0}")]
    Found(String),
}

impl Error {
    /// `context`: `found`, for a condition rather than a failed call.
    pub fn found(context: impl Into<String>, found: impl Into<String>) -> Error {
        Error {
            context: context.into(),
            cause: Box::new(Cause::Found(found.into())),
        }
    }
}

/// Adds the context to a lower layer's error.
pub trait Context<T> {
    /// The error with `context()` as what the agent was doing.
    fn context<C: Into<String>>(self, context: impl FnOnce() -> C) -> Result<T, Error>;
}

impl<T, E: Into<Cause>> Context<T> for Result<T, E> {
    fn context<C: Into<String>>(self, context: impl FnOnce() -> C) -> Result<T, Error> {
        self.map_err(|e| Error {
            context: context().into(),
            cause: Box::new(e.into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_context_leads_and_the_cause_is_kept() {
        let r: Result<(), ovsdb::Error> = Err(ovsdb::Error::Disconnected);
        let e = r.context(|| "listing the ports of br0").unwrap_err();
        assert_eq!(
            e.to_string(),
            "listing the ports of br0: OVSDB connection closed"
        );
        assert!(matches!(*e.cause, Cause::Ovsdb(ovsdb::Error::Disconnected)));
        let e = Error::found("bridge br0", "does not exist");
        assert_eq!(e.to_string(), "bridge br0: does not exist");
    }
}
