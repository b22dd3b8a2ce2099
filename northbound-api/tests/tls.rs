//! The API over TLS, as netmaster serves it with `--api-tls-cert/--api-tls-key`: a client
//! that trusts the API certificate's CA (netctl's `--ca-cert`) is served; one that trusts
//! another CA, or speaks plain HTTP to the TLS port, is not.

mod common;

use common::{serve_on_loopback, FixedOper, MemAgents, MemService};
use northbound_api::auth::Access;
use northbound_api::model::Kind;
use northbound_api::rest::Services;
use northbound_api::serve::Limits;
use northbound_client::client::{Client, ClientError};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A CA and a certificate it signs for 127.0.0.1, as PEM files in `dir`: (ca, cert, key).
fn certificates(dir: &Path, tag: &str) -> (PathBuf, PathBuf, PathBuf) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    let files = (
        dir.join(format!("{tag}-ca.pem")),
        dir.join(format!("{tag}-cert.pem")),
        dir.join(format!("{tag}-key.pem")),
    );
    std::fs::write(&files.0, ca.pem()).unwrap();
    std::fs::write(&files.1, cert.pem()).unwrap();
    std::fs::write(&files.2, key.serialize_pem()).unwrap();
    files
}

#[test]
fn the_api_over_tls_serves_clients_that_trust_its_ca() {
    let dir = std::env::temp_dir().join(format!("np-api-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (ca, cert, key) = certificates(&dir, "api");
    let (other_ca, _, _) = certificates(&dir, "other");
    let services = Services {
        intent: Arc::new(MemService::default()),
        agents: Arc::new(MemAgents::default()),
        oper: Arc::new(FixedOper),
    };
    let tls = northbound_api::tls::acceptor(&cert, &key).unwrap();
    let addr = serve_on_loopback(services, Access::Open, Limits::default(), Some(tls));

    let https = format!("https://{addr}");
    let trusted = Client::new(&https).with_ca_cert(&ca).unwrap();
    assert!(trusted.list(Kind::Tenant).unwrap().is_empty());

    let other = Client::new(&https).with_ca_cert(&other_ca).unwrap();
    match other.list(Kind::Tenant) {
        Err(ClientError::Transport { source, .. }) => {
            assert!(source.to_string().contains("certificate"), "{source}")
        }
        r => panic!("a client trusting another CA was served: {r:?}"),
    }
    let plain = Client::new(&format!("http://{addr}"));
    assert!(
        matches!(plain.list(Kind::Tenant), Err(ClientError::Transport { .. })),
        "plain HTTP was answered on the TLS port"
    );
    assert!(Client::new(&https)
        .with_ca_cert(&dir.join("nothing.pem"))
        .is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
