//! Where switch connections come from: TCP, TLS ([`tls`]) and unix-socket listeners behind one
//! interface, so that the session code runs over any byte stream. Accepting never waits for a
//! client: a TLS handshake is part of the connection's own task ([`Incoming::connecting`]).

pub mod tls;

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};
use tokio_rustls::TlsAcceptor;

/// A bidirectional byte stream to a switch.
pub trait SwitchStream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> SwitchStream for T {}

/// A boxed switch stream.
pub type BoxedStream = Box<dyn SwitchStream>;

/// A connection ready for the OpenFlow session.
pub struct Connected {
    /// The stream.
    pub stream: BoxedStream,
    /// The name its TLS certificate proves ([`tls::certificate_name`]); `None` without TLS.
    pub identity: Option<String>,
}

/// What is left to do before a connection is [`Connected`] (a TLS handshake, or nothing).
pub type Connecting = Pin<Box<dyn Future<Output = io::Result<Connected>> + Send>>;

/// An accepted connection.
pub struct Incoming {
    /// Its set-up, to run (with a timeout) in the connection's own task.
    pub connecting: Connecting,
    /// The peer as text (`tcp:1.2.3.4:5678`, `tls:1.2.3.4:5678`, `unix`), for logs only:
    /// switches are identified by datapath id.
    pub peer: String,
}

fn ready(stream: BoxedStream) -> Connecting {
    Box::pin(std::future::ready(Ok(Connected {
        stream,
        identity: None,
    })))
}

/// Where to listen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    /// TCP.
    Tcp(SocketAddr),
    /// A unix stream socket at this path (created; an existing socket file is replaced).
    Unix(PathBuf),
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddr::Tcp(a) => write!(f, "tcp:{a}"),
            ListenAddr::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// A bound listener.
pub enum Listener {
    /// TCP listener.
    Tcp(TcpListener),
    /// TLS listener: TCP, then a mutual TLS handshake.
    Tls(TcpListener, TlsAcceptor),
    /// Unix-socket listener.
    Unix(UnixListener, PathBuf),
}

impl Listener {
    /// Binds to `addr`.
    pub async fn bind(addr: &ListenAddr) -> io::Result<Listener> {
        match addr {
            ListenAddr::Tcp(a) => Ok(Listener::Tcp(TcpListener::bind(a).await?)),
            ListenAddr::Unix(p) => {
                if let Ok(meta) = std::fs::symlink_metadata(p) {
                    use std::os::unix::fs::FileTypeExt;
                    if meta.file_type().is_socket() {
                        std::fs::remove_file(p)?;
                    }
                }
                Ok(Listener::Unix(UnixListener::bind(p)?, p.clone()))
            }
        }
    }

    /// Binds a TLS listener to `addr`: connections are served once `acceptor`'s handshake
    /// completes.
    pub async fn bind_tls(addr: SocketAddr, acceptor: TlsAcceptor) -> io::Result<Listener> {
        Ok(Listener::Tls(TcpListener::bind(addr).await?, acceptor))
    }

    /// The address actually bound (the port is filled in for `:0`).
    pub fn local_addr(&self) -> io::Result<ListenAddr> {
        match self {
            Listener::Tcp(l) | Listener::Tls(l, _) => Ok(ListenAddr::Tcp(l.local_addr()?)),
            Listener::Unix(_, p) => Ok(ListenAddr::Unix(p.clone())),
        }
    }

    /// Waits for the next connection.
    pub async fn accept(&self) -> io::Result<Incoming> {
        match self {
            Listener::Tcp(l) => {
                let (s, a) = l.accept().await?;
                s.set_nodelay(true)?;
                Ok(Incoming {
                    connecting: ready(Box::new(s)),
                    peer: format!("tcp:{a}"),
                })
            }
            Listener::Tls(l, acceptor) => {
                let (s, a) = l.accept().await?;
                s.set_nodelay(true)?;
                Ok(Incoming {
                    connecting: Box::pin(tls::handshake(acceptor.clone(), s)),
                    peer: format!("tls:{a}"),
                })
            }
            Listener::Unix(l, _) => {
                let (s, _) = l.accept().await?;
                Ok(Incoming {
                    connecting: ready(Box::new(s)),
                    peer: "unix".to_string(),
                })
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, p) = self {
            let _ = std::fs::remove_file(p);
        }
    }
}
