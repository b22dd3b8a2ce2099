//! The REST API and netctl against a running netmaster with its redb intent store: every
//! example uploads and reads back with allocations; bad files are refused with a message that
//! names the problem and change nothing; a restart keeps every object and allocation.

#[path = "support/api_netmaster.rs"]
mod api_netmaster;

use api_netmaster::ApiNetmaster;
use northbound_api::model::{Kind, Object};
use northbound_client::client::Client;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EXAMPLES: [&str; 5] = [
    "one_host_multiple_nets.json",
    "two_hosts_multiple_tenants.json",
    "two_hosts_multiple_tenants_mix_vlan_vxlan.json",
    "three_hosts_vxlan.json",
    "late_bindings/multiple_intents.json",
];

/// The netctl binary, built beside netmaster by `cargo test --workspace` (it belongs to the
/// northbound-client package).
fn netctl() -> PathBuf {
    let p = Path::new(env!("CARGO_BIN_EXE_netmaster")).with_file_name("netctl");
    assert!(
        p.exists(),
        "{} is missing: run `cargo build -p northbound-client --bin netctl` or `cargo test --workspace`",
        p.display()
    );
    p
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// A netmaster process over the store file `store`, killed on drop.
struct Netmaster(ApiNetmaster);

impl Netmaster {
    fn start(store: &Path) -> Netmaster {
        let sock = store.with_extension("sock");
        Netmaster(ApiNetmaster::start(
            &sock,
            &[OsStr::new("--store"), store.as_os_str()],
        ))
    }

    fn netctl(&self, args: &[&str]) -> Output {
        Command::new(netctl())
            .args(["--netmaster", &self.0.url])
            .args(args)
            .output()
            .expect("run netctl")
    }

    fn everything(&self) -> Vec<Object> {
        let c = Client::new(&self.0.url);
        Kind::ALL
            .iter()
            .flat_map(|k| c.list(*k).expect("list"))
            .collect()
    }
}

fn temp_store(name: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("nm-api-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let store = dir.join("intent.redb");
    (dir, store)
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "netctl failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_example_uploads_and_reads_back_with_allocations() {
    for (i, ex) in EXAMPLES.iter().enumerate() {
        let (dir, store) = temp_store(&format!("example{i}"));
        let nm = Netmaster::start(&store);
        let path = examples().join(ex);
        ok(&nm.netctl(&["-cfg", path.to_str().expect("path")]));
        let c = Client::new(&nm.0.url);
        let networks = c.list(Kind::Network).expect("networks");
        assert!(!networks.is_empty(), "{ex}: no networks");
        for n in &networks {
            let Object::Network(n) = n else { panic!() };
            assert!(
                n.pkt_tag.is_some(),
                "{ex}: {} has no VLAN/VNI",
                n.network_name
            );
        }
        let endpoints = c.list(Kind::Endpoint).expect("endpoints");
        assert!(!endpoints.is_empty(), "{ex}: no endpoints");
        for e in &endpoints {
            let Object::Endpoint(e) = e else { panic!() };
            assert!(
                e.ip_address.is_some(),
                "{ex}: {} has no IP",
                e.container_name
            );
            assert!(
                e.mac_address.is_some(),
                "{ex}: {} has no MAC",
                e.container_name
            );
        }
        if ex.starts_with("late_bindings/") {
            // The late-binding pair: hosts are bound afterwards.
            let bindings = examples().join("late_bindings/host_bindings.json");
            ok(&nm.netctl(&["-host-bindings-cfg", bindings.to_str().expect("path")]));
            let bound = c.list(Kind::Endpoint).expect("endpoints");
            assert!(bound
                .iter()
                .all(|e| matches!(e, Object::Endpoint(e) if e.host.is_some())));
        }
        drop(nm);
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn bad_files_are_refused_and_change_nothing() {
    let (dir, store) = temp_store("bad");
    let nm = Netmaster::start(&store);
    let good = examples().join("two_hosts_multiple_tenants.json");
    ok(&nm.netctl(&["-cfg", good.to_str().expect("path")]));
    let before = nm.everything();

    let cases = [
        ("malformed.json", "{ \"Tenants\": [ {\"Name\": ", "line"),
        (
            "overlap.json",
            r#"{"Tenants":[{"Name":"t","Networks":[
                {"Name":"a","PktTagType":"vxlan","SubnetCIDR":"10.9.0.0/16"},
                {"Name":"b","PktTagType":"vxlan","SubnetCIDR":"10.9.1.0/24"}]}]}"#,
            "overlap",
        ),
        (
            "vlan.json",
            r#"{"Tenants":[{"Name":"t","Vlans":"100-200","Networks":[
                {"Name":"a","PktTagType":"vlan","PktTag":"300","SubnetCIDR":"10.8.0.0/24"}]}]}"#,
            "300",
        ),
    ];
    for (name, text, needle) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        let out = nm.netctl(&["-add-cfg", path.to_str().expect("path")]);
        let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
        assert!(!out.status.success(), "{name} was accepted");
        assert!(
            err.contains(needle),
            "{name}: message {err:?} lacks {needle:?}"
        );
        assert_eq!(nm.everything(), before, "{name} changed the intent");
    }
    drop(nm);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_restart_keeps_objects_and_allocations() {
    let (dir, store) = temp_store("restart");
    let nm = Netmaster::start(&store);
    let f = examples().join("two_hosts_multiple_tenants_mix_vlan_vxlan.json");
    ok(&nm.netctl(&["-cfg", f.to_str().expect("path")]));
    let before = nm.everything();
    drop(nm);
    let nm = Netmaster::start(&store);
    assert_eq!(nm.everything(), before);
    // Re-applying the same file keeps every allocated address.
    ok(&nm.netctl(&["-cfg", f.to_str().expect("path")]));
    assert_eq!(nm.everything(), before);
    drop(nm);
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs netctl against `url` with `token` in `NETMASTER_TOKEN` (none: the variable unset).
fn netctl_with(url: &str, token: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(netctl());
    cmd.args(["--netmaster", url]).args(args);
    match token {
        Some(t) => cmd.env("NETMASTER_TOKEN", t),
        None => cmd.env_remove("NETMASTER_TOKEN"),
    };
    cmd.output().expect("run netctl")
}

fn tokens_file(path: &Path, admin: &str) {
    std::fs::write(
        path,
        format!(r#"{{"tokens":[{{"token":"{admin}","role":"admin"}}]}}"#),
    )
    .expect("token file");
}

#[test]
fn with_a_token_file_the_api_wants_a_token_and_reloads_it_on_sighup() {
    let (dir, _) = temp_store("tokens");
    let file = dir.join("tokens.json");
    tokens_file(&file, "first-admin-token-0123");
    let nm = ApiNetmaster::start(
        &dir.join("of.sock"),
        &[OsStr::new("--api-tokens"), file.as_os_str()],
    );
    let refused = netctl_with(&nm.url, None, &["tenant", "ls"]);
    assert!(!refused.status.success());
    let text = String::from_utf8_lossy(&refused.stderr);
    assert!(text.contains("bearer token"), "{text}");
    ok(&netctl_with(
        &nm.url,
        Some("first-admin-token-0123"),
        &["tenant", "create", "t1"],
    ));
    let listed = netctl_with(&nm.url, Some("first-admin-token-0123"), &["tenant", "ls"]);
    ok(&listed);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("t1"));

    // A new file takes effect on SIGHUP; a broken one is refused and the tokens stay.
    let hup = |pid: u32| {
        let status = Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    };
    tokens_file(&file, "second-admin-token-0123");
    hup(nm.pid());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while netctl_with(&nm.url, Some("second-admin-token-0123"), &["tenant", "ls"])
        .status
        .code()
        != Some(0)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the new token never worked"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let old = netctl_with(&nm.url, Some("first-admin-token-0123"), &["tenant", "ls"]);
    assert!(!old.status.success(), "the replaced token still works");
    std::fs::write(&file, "{not json").expect("write");
    hup(nm.pid());
    // The signal is handled within a millisecond; requests over the next ~0.3 s all pass.
    for _ in 0..20 {
        ok(&netctl_with(
            &nm.url,
            Some("second-admin-token-0123"),
            &["tenant", "ls"],
        ));
    }
    drop(nm);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn without_tokens_the_api_serves_only_loopback() {
    let out = Command::new(env!("CARGO_BIN_EXE_netmaster"))
        .args(["--no-tcp", "--of-unix", "/nonexistent/of.sock"])
        .args(["--api-listen", "0.0.0.0:0"])
        .output()
        .expect("run netmaster");
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("is not a loopback address: give --api-tokens FILE"),
        "{text}"
    );
}
