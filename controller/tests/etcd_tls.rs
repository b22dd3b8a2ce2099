//! netmaster on an etcd cluster that serves its clients over TLS only and requires client
//! certificates (Debian's etcd-server; certificates made with openssl): with `--etcd-ca`,
//! `--etcd-cert` and `--etcd-key` a replica leads and its writes are in etcd, as etcdctl reads
//! them; without a client certificate, with one another CA signed, or over plain HTTP, netmaster
//! does not start and says that etcd could not be reached.

#[path = "support/api_netmaster.rs"]
mod api_netmaster;
#[path = "support/etcd.rs"]
mod etcd;

use api_netmaster::ApiNetmaster;
use etcd::{ClientTls, EtcdCluster};
use northbound_api::model::{Object, Tenant};
use northbound_api::oper::ReplicaState;
use northbound_client::client::Client;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs openssl in `dir`; panics when it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl (the set-up installs it)");
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA `name` (`name-ca.pem`, `name-ca.key`), self-signed.
fn ca(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            &format!("/CN={name} test CA"),
            "-keyout",
            &format!("{name}-ca.key"),
            "-out",
            &format!("{name}-ca.pem"),
        ],
    );
}

/// A certificate `name` (`name.pem`, `name.key`) signed by CA `ca`, for 127.0.0.1.
fn certificate(dir: &Path, ca: &str, name: &str) -> (PathBuf, PathBuf) {
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
        ],
    );
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").expect("extensions");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}-ca.pem"),
            "-CAkey",
            &format!("{ca}-ca.key"),
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "san.ext",
            "-out",
            &format!("{name}.pem"),
        ],
    );
    (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.key")),
    )
}

/// Runs netmaster with `args` until it exits (30 s at most); whether it succeeded, and its
/// stderr.
fn netmaster_exit(sock: &Path, args: &[String]) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netmaster"))
        .args(["--no-tcp", "--api-listen=127.0.0.1:0", "--of-unix"])
        .arg(sock)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netmaster");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("netmaster ran on without a usable etcd");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("stderr");
    (status.success(), stderr)
}

#[test]
fn netmaster_reaches_etcd_over_mutual_tls_only_with_its_certificate() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    ca(d, "etcd");
    ca(d, "rogue");
    let (etcd_cert, etcd_key) = certificate(d, "etcd", "member");
    let (client_cert, client_key) = certificate(d, "etcd", "netmaster");
    let (rogue_cert, rogue_key) = certificate(d, "rogue", "intruder");
    let ca_pem = d.join("etcd-ca.pem");
    let etcd = EtcdCluster::start_tls(
        &d.join("etcd"),
        ClientTls {
            ca: ca_pem.clone(),
            cert: etcd_cert,
            key: etcd_key,
        },
    );
    let prefix = format!("/netmaster-tls-{}", std::process::id());
    let common = [
        format!("--store={}", etcd.store_url()),
        format!("--etcd-prefix={prefix}"),
        "--etcd-timeout-s=2".to_string(),
        format!("--etcd-ca={}", ca_pem.display()),
    ];
    let with = |cert: &Path, key: &Path| {
        let mut a = common.to_vec();
        a.push(format!("--etcd-cert={}", cert.display()));
        a.push(format!("--etcd-key={}", key.display()));
        a
    };

    // With its certificate: it leads, and a tenant written through it is in etcd.
    let nm = ApiNetmaster::start(&d.join("of.sock"), &with(&client_cert, &client_key));
    let client = Client::new(&nm.url);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !client
        .info()
        .is_ok_and(|i| i.current_state == ReplicaState::Leader)
    {
        assert!(Instant::now() < deadline, "netmaster never led over TLS");
        std::thread::sleep(Duration::from_millis(50));
    }
    client
        .put(&Object::Tenant(Tenant::named("sealed")))
        .expect("a write over TLS");
    let keys = etcd.etcdctl(&["get", "--prefix", "--keys-only", &format!("{prefix}/")]);
    let keys = String::from_utf8_lossy(&keys.stdout).into_owned();
    assert!(
        keys.lines().any(|k| k.ends_with("/sealed")),
        "the tenant is not in etcd:\n{keys}"
    );
    drop(nm);

    // Refused by etcd: no client certificate, one another CA signed, plain HTTP.
    let no_certificate = common.to_vec();
    let plain: Vec<String> = common[..3].to_vec();
    for (what, args, why) in [
        ("no client certificate", no_certificate, "transport error"),
        // etcd's alert (BadCertificate) may arrive after TLS 1.3's client has finished its
        // handshake: then the stream just breaks.
        (
            "a certificate of another CA",
            with(&rogue_cert, &rogue_key),
            "transport error",
        ),
        ("plain HTTP", plain, "transport error"),
    ] {
        let (ok, stderr) = netmaster_exit(&d.join("refused.sock"), &args);
        assert!(!ok, "netmaster started with {what}:\n{stderr}");
        assert!(
            stderr.contains("--store etcd") && stderr.contains(why),
            "with {what}, netmaster's error does not say why etcd refused it:\n{stderr}"
        );
        eprintln!("{what}: {}", stderr.lines().last().unwrap_or_default());
    }
}
