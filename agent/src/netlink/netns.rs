//! Network namespaces: opening and checking a namespace path, and sockets that live in it.
//!
//! A thread's network namespace decides where the sockets it creates belong; a socket keeps its
//! namespace for life, whichever thread uses it later. So the only work done inside a container
//! namespace is on a dedicated, short-lived thread that enters it with `setns` and opens the
//! sockets (a netlink route socket and a datagram socket for ethtool ioctls); it then ends, never
//! running other work. Everything else happens on the caller's tokio runtime through those
//! sockets.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::sched::{setns, CloneFlags};
use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};
use rtnetlink::sys::{protocols::NETLINK_ROUTE, Socket, TokioSocket};

use super::error::{Context, Error, Result};

// NS_GET_NSTYPE from <linux/nsfs.h>: _IO(0xb7, 0x3).
nix::ioctl_none!(ns_get_nstype, 0xb7, 0x3);

/// An open network namespace, named by a path.
#[derive(Debug)]
pub struct Netns {
    path: PathBuf,
    fd: OwnedFd,
}

/// Sockets that belong to a network namespace.
pub struct NetnsSockets {
    /// A netlink route handle whose connection runs on the caller's runtime.
    pub handle: rtnetlink::Handle,
    /// A datagram socket for interface ioctls (ethtool) in that namespace.
    pub ioctl: OwnedFd,
}

impl Netns {
    /// Opens the namespace at `path` (`/var/run/netns/NAME`, `/proc/PID/ns/net`).
    ///
    /// Fails with [`Error::NamespaceNotFound`] when there is nothing at the path or only a stale
    /// entry that is no namespace, and with [`Error::NotANetworkNamespace`] for another kind of
    /// namespace.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::NamespaceNotFound(path))
            }
            Err(e) => return Err(e).context(|| format!("opening {}", path.display())),
        };
        // SAFETY: NS_GET_NSTYPE takes no argument and only reads the descriptor.
        match unsafe { ns_get_nstype(file.as_raw_fd()) } {
            Ok(kind) if kind == CloneFlags::CLONE_NEWNET.bits() => Ok(Netns {
                path,
                fd: file.into(),
            }),
            Ok(_) => Err(Error::NotANetworkNamespace(path)),
            // Not on nsfs: a regular file, e.g. a netns mount point whose namespace is gone.
            Err(nix::errno::Errno::ENOTTY) | Err(nix::errno::Errno::EINVAL) => {
                Err(Error::NamespaceNotFound(path))
            }
            Err(e) => Err(e).context(|| format!("checking namespace {}", path.display())),
        }
    }

    /// The path the namespace was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` on a new thread that has entered this namespace, and returns its result.
    ///
    /// The thread ends with `work`; it is never reused for anything else.
    pub async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T> + Send + 'static,
    {
        let fd = self
            .fd
            .try_clone()
            .context(|| format!("duplicating the descriptor of {}", self.path.display()))?;
        let path = self.path.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("netns".into())
            .spawn(move || {
                let result = setns(&fd, CloneFlags::CLONE_NEWNET)
                    .context(|| format!("entering namespace {}", path.display()))
                    .and_then(|()| work());
                let _ = tx.send(result);
            })
            .context(|| "spawning a namespace thread".to_string())?;
        rx.await.map_err(|_| Error::Io {
            op: format!("work inside namespace {}", self.path.display()),
            source: io::Error::other("the namespace thread panicked"),
        })?
    }

    /// Opens a netlink route connection and an ioctl socket inside this namespace.
    ///
    /// Must be called within a tokio runtime: the connection task is spawned on it and ends when
    /// the returned handle (and its clones) are dropped.
    pub async fn sockets(&self) -> Result<NetnsSockets> {
        let (netlink, ioctl) = self
            .run(|| {
                let netlink = Socket::new(NETLINK_ROUTE)
                    .context(|| "opening a netlink route socket".to_string())?;
                let ioctl = socket(
                    AddressFamily::Inet,
                    SockType::Datagram,
                    SockFlag::SOCK_CLOEXEC,
                    None,
                )
                .context(|| "opening an ioctl socket".to_string())?;
                Ok((netlink, ioctl))
            })
            .await?;
        // SAFETY: the descriptor is a netlink socket that we own and hand over.
        let socket = unsafe { TokioSocket::from_raw_fd(netlink.into_raw_fd()) };
        let (connection, handle, _) = rtnetlink::from_socket(socket);
        tokio::spawn(connection);
        Ok(NetnsSockets { handle, ioctl })
    }
}

impl AsFd for Netns {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
