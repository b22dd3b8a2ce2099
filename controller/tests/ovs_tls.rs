//! OpenFlow over mutual TLS with a real Open vSwitch and `ovs-pki` certificates: a bridge
//! whose certificate names its datapath id is programmed over `ssl:` and forwards pings; a
//! bridge whose certificate names another datapath is refused and gets nothing; a certificate
//! from another CA and a plain OpenFlow client never get a session.
//!
//! netmaster runs in the Open vSwitch instance's namespace (its TLS listener on that
//! namespace's loopback). Needs root, iproute2, Open vSwitch (`ovs-pki`) and openssl.

mod common;

use common::*;
use fakeswitch::FakeSwitch;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const BR: &str = "nmtls1";
const DPID: u64 = 0xb1;
const BR2: &str = "nmtls2";
const DPID2: u64 = 0xb2;
const TLS: &str = "127.0.0.1:6654";
const WAIT: Duration = Duration::from_secs(30);

const IP_A: std::net::Ipv4Addr = std::net::Ipv4Addr::new(10, 79, 0, 1);
const IP_B: std::net::Ipv4Addr = std::net::Ipv4Addr::new(10, 79, 0, 2);

/// Port 1 <-> port 2.
const FLOWS: &str = "\
table=0,priority=100,in_port=1,actions=output:2
table=0,priority=100,in_port=2,actions=output:1
";

/// `ovs-pki --dir=DIR/PKI ARGS`, run in `dir` (where it writes the requested certificates).
fn ovs_pki(dir: &Path, pki: &str, args: &[&str]) {
    let pki = format!("--dir={}", dir.join(pki).display());
    run(Command::new(tool("ovs-pki"))
        .current_dir(dir)
        .args(["--force", &pki])
        .args(args));
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

fn is_dpid(e: &Value, dpid: u64) -> bool {
    field(e, "dpid") == format!("{dpid:016x}")
}

#[test]
fn openflow_over_mutual_tls_binds_datapath_ids_to_certificates() {
    let ovs = Ovs::start();
    let d = ovs.dir.clone();
    let name = format!("dpid-{DPID:016x}");
    ovs_pki(&d, "pki", &["init"]);
    ovs_pki(&d, "pki", &["req+sign", "controller", "controller"]);
    ovs_pki(&d, "pki", &["req+sign", &name, "switch"]);
    ovs_pki(&d, "rogue-pki", &["init"]);
    ovs_pki(&d, "rogue-pki", &["req+sign", "rogue", "switch"]);
    write_file(&d.join("flows.txt"), FLOWS);

    let (cert, key, ca) = (
        path(&d, "controller-cert.pem"),
        path(&d, "controller-privkey.pem"),
        path(&d, "pki/switchca/cacert.pem"),
    );
    let flows = path(&d, "flows.txt");
    let mut nm = Netmaster::start_in_ovs_namespace(
        &ovs,
        &[
            "--of-tls-listen",
            TLS,
            "--of-tls-cert",
            &cert,
            "--of-tls-key",
            &key,
            "--of-tls-ca",
            &ca,
            "--flows",
            &flows,
        ],
    );
    nm.wait_event(WAIT, "the TLS listener", |e| {
        msg(e) == "listening for switches over mutual TLS"
    });

    // The switch's key and certificate, and the CA it checks netmaster's certificate with.
    ovs.vsctl(&[
        "set-ssl",
        &path(&d, &format!("{name}-privkey.pem")),
        &path(&d, &format!("{name}-cert.pem")),
        &path(&d, "pki/controllerca/cacert.pem"),
    ]);
    let target = format!("ssl:{TLS}");
    for (br, dpid) in [(BR, DPID), (BR2, DPID2)] {
        ovs.add_bridge(br, dpid, false);
        ovs.vsctl(&[
            "--",
            "set-controller",
            br,
            &target,
            "--",
            "set",
            "controller",
            br,
            "max_backoff=1000",
            "connection_mode=out-of-band",
        ]);
    }

    // The bridge its certificate names: a session over TLS, its flows, packets forwarded.
    let ev = nm.wait_event(WAIT, "the bridge connected over TLS", |e| {
        msg(e) == "switch connected" && is_dpid(e, DPID)
    });
    assert!(field(&ev, "peer").starts_with("tls:"), "{ev}");
    wait_until(WAIT, "the static flows on the bridge", || {
        let n = ovs
            .dump_flows(BR)
            .iter()
            .filter(|f| f.actions == "output:2" || f.actions == "output:1")
            .count();
        (n == 2).then_some(())
    });
    let a = ovs.add_container(BR, 1, IP_A);
    let b = ovs.add_container(BR, 2, IP_B);
    a.ping_ok(IP_B, 3, WAIT)
        .expect("a -> b over the TLS-programmed bridge");
    b.ping_ok(IP_A, 3, WAIT).expect("b -> a");

    // The other bridge presents the same certificate, which does not name its datapath.
    let refused = nm.wait_event(WAIT, "the other bridge refused", |e| {
        msg(e) == "refused a switch whose certificate does not own the datapath id"
            && is_dpid(e, DPID2)
    });
    assert_eq!(field(&refused, "identity"), name, "{refused}");
    assert!(
        ovs.dump_flows(BR2).is_empty(),
        "the refused bridge got flows"
    );

    // A certificate from another CA: the TLS handshake fails, no session (netmaster logs the
    // first failed set-up of its life).
    run_in_ns(
        &ovs,
        Command::new(tool("openssl")).args([
            "s_client",
            "-connect",
            TLS,
            "-cert",
            &path(&d, "rogue-cert.pem"),
            "-key",
            &path(&d, "rogue-privkey.pem"),
            "-CAfile",
            &path(&d, "pki/controllerca/cacert.pem"),
        ]),
    );
    let failed = nm.wait_event(WAIT, "the foreign certificate refused", |e| {
        msg(e) == "connection set-up failed"
    });
    // ovs-pki names a CA after the second it was made: a rogue CA made in the same second as
    // ours has its name, and the chain fails on the signature instead of the issuer.
    let error = field(&failed, "error");
    assert!(
        error.contains("UnknownIssuer") || error.contains("BadSignature"),
        "{failed}"
    );

    // A plain OpenFlow client on the TLS port: its HELLO is no TLS handshake.
    let ns = ovs.ns.clone();
    let plain = in_netns(&ns, move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let fs = FakeSwitch::new(0xbad);
            fs.connect_tcp(TLS).await.expect("the TCP connection");
            let closed = fs.wait_until(WAIT, |f| f.connections() == 0).await;
            (closed, fs.received())
        })
    })
    .join()
    .expect("plain client thread");
    assert!(plain.0, "netmaster kept a plain connection on its TLS port");
    assert!(
        plain.1.is_empty(),
        "a plain client got OpenFlow: {:?}",
        plain.1
    );

    // Through all of it, only the certified bridge ever had a session.
    let sessions: Vec<Value> = nm
        .events()
        .into_iter()
        .filter(|e| msg(e) == "switch connected")
        .collect();
    assert!(
        sessions
            .iter()
            .all(|e| is_dpid(e, DPID) || is_dpid(e, DPID2)),
        "{sessions:?}"
    );
    assert!(
        !nm.events()
            .iter()
            .any(|e| msg(e) == "reconciled" && is_dpid(e, DPID2)),
        "the refused bridge was reconciled"
    );
    a.ping_ok(IP_B, 3, WAIT).expect("a -> b at the end");
}

/// Runs `cmd` inside `ovs`'s namespace with empty stdin (whatever its outcome).
fn run_in_ns(ovs: &Ovs, cmd: &mut Command) {
    let mut full = Command::new(tool("ip"));
    full.args(["netns", "exec", &ovs.ns])
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdin(std::process::Stdio::null());
    full.output().expect("run in the namespace");
}
