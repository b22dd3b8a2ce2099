//! OpenFlow over mutual TLS (rustls with *ring*): netmaster presents its certificate and
//! requires one from every switch, signed by the switch CA (`--of-tls-ca`, e.g. `ovs-pki`'s
//! `switchca/cacert.pem`). A switch without such a certificate never gets past the handshake.
//! The certificate's name — the first word of its subject's common name; `ovs-pki req+sign
//! NAME` writes `NAME id:<uuid>` — is the switch's identity, which the controller checks
//! against the datapath id the switch claims ([`crate::app::Controller::set_identity_check`]).

use super::Connected;
use northbound_api::tls;
pub use northbound_api::tls::TlsError;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

/// The files of the OpenFlow TLS listener (PEM).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// netmaster's certificate (chain).
    pub cert: PathBuf,
    /// Its private key.
    pub key: PathBuf,
    /// The CA certificate(s) that sign the switches' certificates.
    pub ca: PathBuf,
}

/// The acceptor of mutual TLS connections with `files`.
pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, TlsError> {
    let provider = tls::provider();
    let mut roots = RootCertStore::empty();
    for ca in tls::certificates(&files.ca)? {
        roots.add(ca).map_err(|e| TlsError::File {
            path: files.ca.display().to_string(),
            reason: e.to_string(),
        })?;
    }
    let config_error = |e: rustls::Error| TlsError::Config(e.to_string());
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(config_error)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            tls::certificates(&files.cert)?,
            tls::private_key(&files.key)?,
        )
        .map_err(config_error)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Runs the TLS handshake on `tcp`; the stream and the name its certificate proves.
pub async fn handshake(acceptor: TlsAcceptor, tcp: TcpStream) -> io::Result<Connected> {
    let tls = acceptor.accept(tcp).await?;
    let identity = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .and_then(|leaf| certificate_name(leaf));
    let Some(identity) = identity else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the switch certificate has no subject common name",
        ));
    };
    Ok(Connected {
        stream: Box::new(tls),
        identity: Some(identity),
    })
}

/// The name a certificate proves: the first word of its subject's common name (`host1` for
/// `CN=host1 id:33c3...`).
pub fn certificate_name(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let cn = cert.subject().iter_common_name().next()?.as_str().ok()?;
    cn.split_whitespace().next().map(str::to_string)
}
