//! Errors of the container plumbing.

use std::path::PathBuf;

/// The result type of the plumbing.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong while plumbing an endpoint.
///
/// The CNI plugin maps these to its error codes: [`Error::NamespaceNotFound`] and
/// [`Error::NotANetworkNamespace`] are problems of the caller's namespace path,
/// [`Error::InvalidSpec`] and [`Error::InterfaceExists`] of the request, the rest are
/// failures of the kernel operations.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Nothing at the path is a namespace: it does not exist, or it is a stale
    /// `/var/run/netns` entry whose namespace is gone.
    #[error("no network namespace at {0}")]
    NamespaceNotFound(PathBuf),
    /// The path names a namespace of another kind (mount, uts, ...).
    #[error("{0} is not a network namespace")]
    NotANetworkNamespace(PathBuf),
    /// The endpoint specification is not usable (names, MTU, MAC, prefixes).
    #[error("invalid endpoint spec: {0}")]
    InvalidSpec(String),
    /// An interface of that name already exists where the endpoint wants it.
    #[error("interface {0} already exists")]
    InterfaceExists(String),
    /// The interface is not there (e.g. the container end, when inspecting an endpoint).
    #[error("interface {0} not found")]
    InterfaceNotFound(String),
    /// The interface to delete exists but is not a veth, so it is not ours.
    #[error("interface {0} is not a veth")]
    NotAVeth(String),
    /// A netlink request failed.
    #[error("{op}: {source}")]
    Netlink {
        /// What we were doing.
        op: String,
        /// The netlink error.
        #[source]
        source: rtnetlink::Error,
    },
    /// A system call (namespace switch, socket, ioctl) failed.
    #[error("{op}: {source}")]
    Io {
        /// What we were doing.
        op: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The positive errno of a failed netlink or system call, if there is one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Netlink { source, .. } => netlink_errno(source),
            Error::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }
}

/// The positive errno carried by a netlink error reply.
pub(crate) fn netlink_errno(err: &rtnetlink::Error) -> Option<i32> {
    match err {
        rtnetlink::Error::NetlinkError(msg) if msg.raw_code() != 0 => Some(msg.raw_code().abs()),
        _ => None,
    }
}

/// Adds a description of the operation to low-level errors.
pub(crate) trait Context<T> {
    /// Wraps the error with `op`, which says what was being done.
    fn context(self, op: impl FnOnce() -> String) -> Result<T>;
}

impl<T> Context<T> for Result<T, rtnetlink::Error> {
    fn context(self, op: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Netlink { op: op(), source })
    }
}

impl<T> Context<T> for Result<T, std::io::Error> {
    fn context(self, op: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Io { op: op(), source })
    }
}

impl<T> Context<T> for Result<T, nix::errno::Errno> {
    fn context(self, op: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|errno| Error::Io {
            op: op(),
            source: errno.into(),
        })
    }
}
