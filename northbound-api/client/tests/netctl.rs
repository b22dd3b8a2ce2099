//! The `netctl` binary against a real server over the in-memory service.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::{example, spawn_server, MemService};
use northbound_api::model::{Global, Kind, Object};
use northbound_api::service::IntentService;
use northbound_client::batch::Batch;
use std::process::{Command, Output};
use std::sync::Arc;

fn server() -> (Arc<MemService>, String) {
    let svc = Arc::new(MemService::default());
    let url = spawn_server(svc.clone());
    (svc, url)
}

fn netctl(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netctl"))
        .arg("-netmaster")
        .arg(url)
        .args(args)
        .output()
        .unwrap()
}

/// Runs netctl and expects success; its standard output.
fn ok(url: &str, args: &[&str]) -> String {
    let out = netctl(url, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "netctl {args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// Runs netctl and expects failure; its standard error.
fn fails(url: &str, args: &[&str]) -> String {
    let out = netctl(url, args);
    assert!(!out.status.success(), "netctl {args:?} succeeded");
    String::from_utf8(out.stderr).unwrap()
}

/// A file in the temporary directory, removed when dropped.
struct TempFile(String);

impl TempFile {
    fn new(name: &str, text: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("netctl-test-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        TempFile(path.to_string_lossy().into_owned())
    }

    fn path(&self) -> &str {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn cfg_uploads_the_file_and_ls_shows_it() {
    let (svc, url) = server();
    let out = ok(&url, &["-cfg", &example("two_hosts_multiple_tenants.json")]);
    assert_eq!(out, "desired state applied: 10 objects\n");
    assert_eq!(svc.count(Kind::Tenant), 2);
    assert_eq!(svc.count(Kind::Endpoint), 4);

    assert_eq!(
        ok(&url, &["tenant", "ls"]),
        "NAME\ntenant-one\ntenant-two\n"
    );
    // Like Contiv's netctl: one tenant's (`default` unless `-t`), or all with `-a`.
    assert_eq!(
        ok(&url, &["network", "ls"]),
        "TENANT  NETWORK  ENCAP  PKTTAG  SUBNET  GATEWAY\n"
    );
    let nets = ok(&url, &["network", "ls", "-a"]);
    assert_eq!(
        nets,
        "TENANT      NETWORK  ENCAP  PKTTAG  SUBNET       GATEWAY\n\
         tenant-one  orange   vxlan  -       11.1.0.0/24  -\n\
         tenant-two  purple   vxlan  -       11.1.0.0/24  -\n"
    );
    let eps = ok(&url, &["endpoint", "ls", "--all"]);
    assert_eq!(eps.lines().count(), 5, "{eps}");
    assert!(
        eps.lines().any(|l| l
            .starts_with("tenant-one  myContainer3  orange   -      host2  -   02:00:00:00:00:")),
        "{eps}"
    );
    let hosts = ok(&url, &["host", "ls"]);
    assert!(hosts.contains("host2  192.168.2.11  -"), "{hosts}");
    assert_eq!(
        ok(&url, &["group", "ls"]),
        "TENANT  GROUP  NETWORK  IPPOOL  POLICIES\n"
    );

    // Desired state: the next file replaces everything.
    ok(&url, &["--cfg", &example("one_host_multiple_nets.json")]);
    assert_eq!(ok(&url, &["tenant", "ls"]), "NAME\ndefault\n");
    let hosts = ok(&url, &["host", "ls"]);
    assert_eq!(
        hosts,
        "NAME   VTEPIP  UPLINKS  DPID\nhost1  -       eth2     -\n"
    );
}

#[test]
fn add_cfg_del_cfg_and_late_host_bindings() {
    let (svc, url) = server();
    ok(
        &url,
        &["-add-cfg", &example("late_bindings/multiple_intents.json")],
    );
    ok(&url, &["-add-cfg", &example("three_hosts_vxlan.json")]);
    assert_eq!(svc.count(Kind::Network), 2);
    assert_eq!(svc.count(Kind::Host), 3);
    assert_eq!(svc.count(Kind::Endpoint), 6);

    let out = ok(
        &url,
        &[
            "-host-bindings-cfg",
            &example("late_bindings/host_bindings.json"),
        ],
    );
    assert_eq!(out, "endpoints bound: 4 objects\n");
    let ep = svc.get(Kind::Endpoint, "tenant-one:myContainer4").unwrap();
    let Object::Endpoint(ep) = ep else { panic!() };
    assert_eq!(ep.host.as_deref(), Some("host2"));

    let out = ok(&url, &["-del-cfg", &example("three_hosts_vxlan.json")]);
    assert_eq!(out, "12 objects deleted\n");
    for kind in [Kind::Tenant, Kind::Network, Kind::Endpoint, Kind::Host] {
        assert_eq!(svc.count(kind), 0, "{kind:?}");
    }
    assert_eq!(
        svc.count(Kind::Global),
        0,
        "intent files give no global settings"
    );

    let bindings = TempFile::new(
        "bindings.json",
        r#"[{"Container": "nobody", "Host": "host1"}]"#,
    );
    let err = fails(&url, &["-host-bindings-cfg", bindings.path()]);
    assert_eq!(
        err,
        "netctl: invalid intent file: host binding of container `nobody`: no such endpoint\n"
    );
}

#[test]
fn create_inspect_rm() {
    let (_, url) = server();
    ok(&url, &["tenant", "create", "t1"]);
    ok(
        &url,
        &[
            "network",
            "create",
            "--tenant",
            "t1",
            "--encap",
            "vxlan",
            "--subnet",
            "10.1.1.0/24",
            "--gateway",
            "10.1.1.254",
            "net1",
        ],
    );
    ok(
        &url,
        &[
            "group",
            "create",
            "-t",
            "t1",
            "--network",
            "net1",
            "-p",
            "web",
            "-p",
            "db",
            "g1",
        ],
    );
    ok(
        &url,
        &[
            "endpoint", "create", "-t", "t1", "-n", "net1", "--group", "g1", "--host", "h1",
            "--ip", "10.1.1.9", "c1",
        ],
    );
    ok(
        &url,
        &[
            "host",
            "create",
            "--vtep-ip",
            "192.168.2.10",
            "-u",
            "eth2",
            "--dpid",
            "255",
            "h1",
        ],
    );

    let inspect: serde_json::Value =
        serde_json::from_str(&ok(&url, &["network", "inspect", "t1:net1"])).unwrap();
    let net = &inspect["Config"];
    assert_eq!(net["subnet"], "10.1.1.0/24");
    assert_eq!(net["gateway"], "10.1.1.254");
    assert_eq!(net["encap"], "vxlan");
    assert!(
        net.get("multicast").is_none(),
        "defaults are left out: {net}"
    );
    assert_eq!(
        inspect["Oper"]["multicastGroups"][0]["members"][0]["endpoint"], "t1:c1",
        "{inspect}"
    );
    let same = ok(&url, &["net", "inspect", "-t", "t1", "net1"]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&same).unwrap(),
        inspect
    );
    assert!(
        ok(&url, &["group", "ls", "-t", "t1"]).contains("t1      g1     net1     -       web,db")
    );
    assert!(ok(&url, &["ep", "ls", "-t", "t1"])
        .contains("t1      c1         net1     g1     h1    10.1.1.9"));
    assert!(ok(&url, &["host", "ls"]).contains("h1    192.168.2.10  eth2     0xff"));

    ok(
        &url,
        &[
            "network",
            "create",
            "-t",
            "t1",
            "-s",
            "10.2.0.0/24",
            "--igmp-querier",
            "--igmp-query-interval",
            "10",
            "--unregistered-multicast",
            "drop",
            "video",
        ],
    );
    let video: serde_json::Value =
        serde_json::from_str(&ok(&url, &["network", "inspect", "t1:video"])).unwrap();
    assert_eq!(
        video["Config"]["multicast"],
        serde_json::json!({"querier": true, "queryIntervalS": 10, "unregistered": "drop"})
    );
    let err = fails(
        &url,
        &[
            "network",
            "create",
            "-t",
            "t1",
            "-s",
            "10.3.0.0/24",
            "--unregistered-multicast",
            "x",
            "n3",
        ],
    );
    assert!(err.contains("`x` is not flood or drop"), "{err}");

    ok(&url, &["network", "rm", "t1:net1"]);
    let err = fails(&url, &["network", "inspect", "t1:net1"]);
    assert_eq!(err, "netctl: networks `t1:net1` not found (404)\n");
    let err = fails(&url, &["network", "rm", "net1", "--tenant", "t1"]);
    assert_eq!(err, "netctl: networks `t1:net1` not found (404)\n");
}

#[test]
fn errors_exit_non_zero_with_the_message() {
    let (svc, url) = server();
    let bad = TempFile::new(
        "bad.json",
        "{\n  \"Tenants\": [\n    {\"Name\": \"t\", \"Netwroks\": []}\n  ]\n}\n",
    );
    let err = fails(&url, &["-cfg", bad.path()]);
    assert!(
        err.starts_with(&format!(
            "netctl: {}: malformed intent file: unknown field `Netwroks`",
            bad.path()
        )),
        "{err}"
    );
    assert!(err.contains("at line 3 column"), "{err}");
    let broken = TempFile::new("broken.json", "{\"Tenants\": [");
    let err = fails(&url, &["-add-cfg", broken.path()]);
    assert!(
        err.contains("EOF while parsing a list at line 1 column 13"),
        "{err}"
    );
    assert_eq!(svc.count(Kind::Tenant), 0);

    let err = fails(&url, &["-cfg", "/nonexistent/file.json"]);
    assert!(err.starts_with("netctl: /nonexistent/file.json: "), "{err}");
    let err = fails(
        &url,
        &[
            "network", "create", "-t", "t1", "--subnet", "nonsense", "n1",
        ],
    );
    assert!(
        err.starts_with(
            "error: invalid value 'nonsense' for '--subnet <SUBNET>': `nonsense` is not a.b.c.d/len"
        ),
        "{err}"
    );
    let err = fails(
        &url,
        &[
            "network",
            "create",
            "-t",
            "t1",
            "--subnet",
            "10.1.0.0/24",
            "--pkt-tag",
            "0",
            "n1",
        ],
    );
    assert_eq!(
        err,
        "netctl: network `t1:n1`: pktTag 0 is not a tag (400)\n"
    );
    let err = fails(
        &url,
        &[
            "network",
            "create",
            "--encap",
            "gre",
            "--subnet",
            "10.0.0.0/8",
            "n1",
        ],
    );
    assert!(err.contains("`gre` is not vlan or vxlan"), "{err}");
    let err = fails(&url, &["-cfg", bad.path(), "tenant", "ls"]);
    assert!(err.contains("can't be combined with a subcommand"), "{err}");
    let err = fails(&url, &["-cfg", bad.path(), "-add-cfg", bad.path()]);
    assert!(err.contains("cannot be used with"), "{err}");
    let err = fails("http://127.0.0.1:1", &["tenant", "ls"]);
    assert!(
        err.starts_with("netctl: ") && err.contains("127.0.0.1:1"),
        "{err}"
    );
}

/// Contiv netctl's syntax, as its users type it: single-dash long flags, its short flags,
/// `group create NETWORK GROUP`, `policy rule-add/rule-ls/rule-rm`, `netprofile create -b -d
/// -s`, `global set/info`, `ls -q/-j/-a`.
#[test]
fn contiv_netctl_syntax() {
    let (svc, url) = server();
    ok(&url, &["tenant", "create", "t1"]);
    ok(
        &url,
        &[
            "net",
            "create",
            "-tenant",
            "t1",
            "-e",
            "vlan",
            "-p",
            "100",
            "-s",
            "10.1.1.0/24",
            "-g",
            "10.1.1.254",
            "-tag",
            "docker-net",
            "-n",
            "data",
            "contiv-net",
        ],
    );
    ok(
        &url,
        &[
            "netprofile",
            "create",
            "-t",
            "t1",
            "-b",
            "10Mbps",
            "-d",
            "10",
            "-s",
            "200",
            "gold",
        ],
    );
    ok(&url, &["policy", "create", "-t", "t1", "web-policy"]);
    ok(
        &url,
        &[
            "group",
            "create",
            "-t",
            "t1",
            "contiv-net",
            "web",
            "-p",
            "web-policy",
            "-n",
            "gold",
            "-r",
            "10.1.1.10-10.1.1.20",
            "-epg-tag",
            "web-tag",
        ],
    );
    for (id, prio, args) in [
        (
            "1",
            "10",
            &[
                "-d", "in", "-g", "web", "-l", "tcp", "-P", "80", "-j", "allow",
            ][..],
        ),
        (
            "2",
            "1",
            &[
                "-direction",
                "in",
                "-from-ip-address",
                "10.1.1.0/24",
                "-action",
                "deny",
            ],
        ),
        (
            "3",
            "5",
            &["-d", "out", "-o", "contiv-net", "-l", "udp", "-P", "53"],
        ),
    ] {
        let mut cmd = vec![
            "policy",
            "rule-add",
            "-t",
            "t1",
            "web-policy",
            id,
            "-p",
            prio,
        ];
        cmd.extend_from_slice(args);
        ok(&url, &cmd);
    }

    let Some(Object::Network(net)) = svc.get(Kind::Network, "t1:contiv-net") else {
        panic!()
    };
    assert_eq!(
        (net.pkt_tag, net.cfgd_tag.as_deref()),
        (Some(100), Some("docker-net"))
    );
    let Some(Object::EndpointGroup(g)) = svc.get(Kind::EndpointGroup, "t1:web") else {
        panic!()
    };
    assert_eq!(g.network_name, "contiv-net");
    assert_eq!(g.policies, ["web-policy"]);
    assert_eq!(g.net_profile.as_deref(), Some("gold"));
    assert_eq!(g.cfgd_tag.as_deref(), Some("web-tag"));
    let Some(Object::NetProfile(p)) = svc.get(Kind::NetProfile, "t1:gold") else {
        panic!()
    };
    assert_eq!(
        (p.bandwidth.as_deref(), p.dscp, p.burst),
        (Some("10Mbps"), Some(10), Some(200))
    );
    let Some(Object::Rule(r)) = svc.get(Kind::Rule, "t1:web-policy:1") else {
        panic!()
    };
    assert_eq!(
        (r.priority, r.port, r.protocol.as_deref()),
        (10, 80, Some("tcp"))
    );
    assert_eq!(r.from_endpoint_group.as_deref(), Some("web"));
    let Some(Object::Rule(r)) = svc.get(Kind::Rule, "t1:web-policy:2") else {
        panic!()
    };
    assert_eq!(
        r.from_ip_address.map(|ip| ip.to_string()).as_deref(),
        Some("10.1.1.0/24")
    );

    // Listing: -q names, -j the API's JSON (with Contiv's keys), -t one tenant, -a all.
    assert_eq!(ok(&url, &["net", "ls", "-q"]), "");
    assert_eq!(ok(&url, &["net", "ls", "-q", "-t", "t1"]), "contiv-net\n");
    assert_eq!(
        ok(&url, &["network", "list", "-a", "--quiet"]),
        "contiv-net\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(&url, &["group", "ls", "-t", "t1", "-j"])).unwrap();
    assert_eq!(json[0]["key"], "t1:web");
    assert_eq!(json[0]["cfgdTag"], "web-tag");
    assert_eq!(
        ok(&url, &["policy", "rule-ls", "-t", "t1", "web-policy", "-q"]),
        "1\n2\n3\n"
    );
    let rules: serde_json::Value = serde_json::from_str(&ok(
        &url,
        &["policy", "rule-ls", "-t", "t1", "web-policy", "--json"],
    ))
    .unwrap();
    assert_eq!(rules.as_array().map(Vec::len), Some(3));
    assert_eq!(rules[1]["fromIpAddress"], "10.1.1.0/24");
    ok(&url, &["policy", "rule-rm", "-t", "t1", "web-policy", "2"]);
    assert_eq!(
        ok(&url, &["policy", "rule-ls", "-t", "t1", "web-policy", "-q"]),
        "1\n3\n"
    );
    assert!(svc.get(Kind::Rule, "t1:web-policy:2").is_none());
    ok(&url, &["policy", "delete", "-t", "t1", "web-policy"]);
    assert!(svc.get(Kind::Policy, "t1:web-policy").is_none());

    // The group's network comes first in Contiv's form; a lone group needs --network.
    let err = fails(&url, &["group", "create", "-t", "t1", "lonely"]);
    assert!(
        err.contains("name the network: `group create NETWORK GROUP`"),
        "{err}"
    );

    // global set changes only what it is given; info shows Contiv's lines. (netmaster always
    // has its global settings; this in-memory service has what it is given.)
    svc.apply(Batch {
        upserts: vec![Object::Global(Global::default())],
        ..Batch::default()
    })
    .unwrap();
    ok(
        &url,
        &[
            "global",
            "set",
            "-b",
            "routing",
            "-a",
            "flood",
            "-v",
            "100-200",
            "-s",
            "172.20.0.0/16",
            "--dns-address",
            "169.254.0.53",
        ],
    );
    let info = ok(&url, &["global", "info"]);
    for line in [
        "Fabric mode: default",
        "Forward mode: routing",
        "ARP mode: flood",
        "Vlan Range: 100-200",
        "Vxlan range: 1-10000",
        "Private subnet: 172.20.0.0/16",
        "DNS address: 169.254.0.53",
    ] {
        assert!(info.contains(line), "{line} missing from:\n{info}");
    }
    ok(&url, &["global", "set", "-x", "5000-6000"]);
    let global: serde_json::Value =
        serde_json::from_str(&ok(&url, &["global", "inspect"])).unwrap();
    assert_eq!(global["fwdMode"], "routing");
    assert_eq!(global["vxlans"], "5000-6000");
    assert_eq!(global["pvtSubnet"], "172.20.0.0/16");
    assert_eq!(global["dnsAddress"], "169.254.0.53");
    assert_eq!(global["key"], "global");
}

/// `netdcli` is the same program under the original's name.
#[test]
fn netdcli_uploads_intent_like_netctl() {
    let (svc, url) = server();
    let out = Command::new(env!("CARGO_BIN_EXE_netdcli"))
        .args([
            "-netmaster",
            &url,
            "-cfg",
            &example("one_host_multiple_nets.json"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "desired state applied: 8 objects\n"
    );
    assert_eq!(svc.count(Kind::Endpoint), 4);
    let out = Command::new(env!("CARGO_BIN_EXE_netdcli"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: netdcli"));
}
