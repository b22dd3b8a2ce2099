//! The API over TLS (`netmaster --api-tls-cert FILE --api-tls-key FILE`): rustls with *ring*,
//! the server's certificate chain and key from PEM files. Clients check the certificate
//! against the CA they are given (`netctl --ca-cert`, the agent's `--ca-cert`).

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;
pub use tokio_rustls::TlsAcceptor;

/// Why the API's TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ApiTlsError {
    /// A file is missing, unreadable or holds no usable PEM item.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The certificate and key do not make a TLS configuration.
    #[error("API TLS set-up: {0}")]
    Config(#[from] rustls::Error),
}

fn file_error(path: &Path, reason: impl ToString) -> ApiTlsError {
    ApiTlsError::File {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// The acceptor of TLS connections with the certificate chain in `cert` and the key in `key`.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, ApiTlsError> {
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| file_error(cert, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(cert, e))?;
    if chain.is_empty() {
        return Err(file_error(cert, "no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| file_error(key, e))?;
    // *ring* rather than aws-lc-rs: it builds without CMake (its deprecation is about
    // post-quantum key exchange).
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
