//! TLS for the API's clients (feature `tls`): a client configuration that trusts only the CA
//! certificate netmaster's API certificate is signed with (`netctl --ca-cert`, the agent's
//! `--ca-cert`). rustls with *ring*, as the server.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use std::path::Path;
use std::sync::Arc;

/// Why the CA certificate for an `https://` netmaster could not be used.
#[derive(Debug, thiserror::Error)]
#[error("CA certificate {path}: {reason}")]
pub struct CaError {
    /// The file.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A TLS client configuration that trusts only the CA certificate(s) in the PEM file `path`.
pub fn trusting(path: &Path) -> Result<rustls::ClientConfig, CaError> {
    let error = |reason: String| CaError {
        path: path.display().to_string(),
        reason,
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| error(e.to_string()))? {
        roots
            .add(cert.map_err(|e| error(e.to_string()))?)
            .map_err(|e| error(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(error("no certificate in the file".into()));
    }
    Ok(with_roots(roots))
}

/// A TLS client configuration that trusts nobody: what a client without a CA certificate
/// uses, so that an `https://` netmaster fails verification instead of being trusted.
pub fn trusting_nobody() -> rustls::ClientConfig {
    with_roots(rustls::RootCertStore::empty())
}

/// The crypto provider of every TLS end of the project (the API's clients, netmaster's API
/// and OpenFlow listeners): *ring*, rather than aws-lc-rs: it builds without CMake, and its
/// deprecation (rustls 0.23.48) is about post-quantum key exchange, which the peers here (Open
/// vSwitch with Debian 12's OpenSSL 3.0) do not offer either.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    #[allow(deprecated)]
    Arc::new(rustls::crypto::ring::default_provider())
}

fn with_roots(roots: rustls::RootCertStore) -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}
