//! The example intent files convert into the expected objects; malformed files are refused
//! with a message naming the problem.

#[path = "../../tests/common/mod.rs"]
mod common;

use northbound_api::model::{Encap, Endpoint, Host, Kind, Network, Object, Tenant};
use northbound_client::intent_file::{self, Existing, IntentFile};
use std::net::Ipv4Addr;

fn load(name: &str) -> IntentFile {
    let text = std::fs::read_to_string(common::example(name)).unwrap();
    intent_file::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The objects of a file, by kind.
struct Objects {
    all: Vec<Object>,
    hosts: Vec<Host>,
    tenants: Vec<Tenant>,
    networks: Vec<Network>,
    endpoints: Vec<Endpoint>,
}

fn objects(file: &IntentFile) -> Objects {
    let all = file.to_objects(&Existing::default()).unwrap();
    let mut o = Objects {
        all: all.clone(),
        hosts: vec![],
        tenants: vec![],
        networks: vec![],
        endpoints: vec![],
    };
    for object in all {
        match object {
            Object::Host(h) => o.hosts.push(h),
            Object::Tenant(t) => o.tenants.push(t),
            Object::Network(n) => o.networks.push(n),
            Object::Endpoint(e) => o.endpoints.push(e),
            other @ (Object::Global(_)
            | Object::EndpointGroup(_)
            | Object::Policy(_)
            | Object::Rule(_)
            | Object::NetProfile(_)) => {
                panic!("no groups or policies in intent files: {other:?}")
            }
        }
    }
    o
}

/// The names of the tenants, and their (VLAN, VXLAN) ranges as text.
fn tenants(o: &Objects) -> Vec<(&str, Option<String>, Option<String>)> {
    o.tenants
        .iter()
        .map(|t| {
            (
                t.tenant_name.as_str(),
                t.vlans.as_ref().map(ToString::to_string),
                t.vxlans.as_ref().map(ToString::to_string),
            )
        })
        .collect()
}

fn network<'a>(o: &'a Objects, key: &str) -> &'a Network {
    o.networks
        .iter()
        .find(|n| format!("{}:{}", n.tenant_name, n.network_name) == key)
        .unwrap_or_else(|| panic!("no network {key}"))
}

/// (key, network, host, ip) of every endpoint.
fn endpoints(o: &Objects) -> Vec<(String, &str, Option<&str>, Option<Ipv4Addr>)> {
    o.endpoints
        .iter()
        .map(|e| {
            (
                format!("{}:{}", e.tenant_name, e.container_name),
                e.network_name.as_str(),
                e.host.as_deref(),
                e.ip_address,
            )
        })
        .collect()
}

/// Parents come before children; endpoints are on the file's networks and hosts, inside their
/// subnets.
fn check_consistent(o: &Objects) {
    let order: Vec<usize> = o
        .all
        .iter()
        .map(|x| Kind::ALL.iter().position(|k| *k == x.kind()).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "{order:?}");
    for e in &o.endpoints {
        let net = network(o, &format!("{}:{}", e.tenant_name, e.network_name));
        if let Some(host) = &e.host {
            assert!(o.hosts.iter().any(|h| &h.name == host), "{host}");
        }
        if let Some(ip) = &e.ip_address {
            assert!(
                net.subnet.net().contains(ip),
                "{e:?} outside {}",
                net.subnet
            );
        }
    }
}

#[test]
fn one_host_multiple_nets() {
    let o = objects(&load("one_host_multiple_nets.json"));
    check_consistent(&o);
    assert_eq!(o.all.len(), 1 + 1 + 2 + 4);
    // The tenant owns its ranges and pool, as in the original.
    assert_eq!(tenants(&o), [("default", Some("11-28".into()), None)]);
    assert_eq!(
        (
            o.tenants[0].subnet_pool.map(|p| p.to_string()),
            o.tenants[0].alloc_subnet_len
        ),
        (Some("11.1.0.0/16".into()), Some(24))
    );
    assert_eq!(
        o.hosts,
        [Host {
            name: "host1".into(),
            vtep_ip: None,
            uplinks: vec!["eth2".into()],
            dpid: None
        }]
    );
    let orange = network(&o, "default:orange");
    assert_eq!(
        (
            orange.encap,
            orange.pkt_tag,
            orange.subnet.to_string().as_str()
        ),
        (Encap::Vlan, None, "11.1.0.0/24")
    );
    assert_eq!(orange.gateway, None);
    let purple = network(&o, "default:purple");
    assert_eq!(
        (purple.encap, purple.subnet.to_string().as_str()),
        (Encap::Vlan, "11.1.1.0/24")
    );
    assert_eq!(
        endpoints(&o),
        [
            ("default:myContainer1".into(), "orange", Some("host1"), None),
            ("default:myContainer2".into(), "orange", Some("host1"), None),
            ("default:myContainer3".into(), "purple", Some("host1"), None),
            ("default:myContainer4".into(), "purple", Some("host1"), None),
        ]
    );
}

#[test]
fn two_hosts_multiple_tenants_share_a_subnet_pool() {
    let o = objects(&load("two_hosts_multiple_tenants.json"));
    check_consistent(&o);
    assert_eq!(o.all.len(), 2 + 2 + 2 + 4);
    assert_eq!(
        tenants(&o),
        [
            ("tenant-one", None, Some("10001-20000".into())),
            ("tenant-two", None, Some("10001-20000".into()))
        ]
    );
    let vteps: Vec<_> = o
        .hosts
        .iter()
        .map(|h| {
            (
                h.name.as_str(),
                h.vtep_ip.map(|v| v.to_string()),
                h.uplinks.len(),
            )
        })
        .collect();
    assert_eq!(
        vteps,
        [
            ("host1", Some("192.168.2.10".to_string()), 0),
            ("host2", Some("192.168.2.11".to_string()), 0)
        ]
    );
    // Separate address spaces: the same first subnet of the same pool.
    for key in ["tenant-one:orange", "tenant-two:purple"] {
        let n = network(&o, key);
        assert_eq!(
            (n.encap, n.pkt_tag, n.subnet.to_string().as_str()),
            (Encap::Vxlan, None, "11.1.0.0/24"),
            "{key}"
        );
    }
    assert_eq!(
        endpoints(&o),
        [
            (
                "tenant-one:myContainer1".into(),
                "orange",
                Some("host1"),
                None
            ),
            (
                "tenant-one:myContainer3".into(),
                "orange",
                Some("host2"),
                None
            ),
            (
                "tenant-two:myContainer2".into(),
                "purple",
                Some("host1"),
                None
            ),
            (
                "tenant-two:myContainer4".into(),
                "purple",
                Some("host2"),
                None
            ),
        ]
    );
}

#[test]
fn two_hosts_multiple_tenants_mix_vlan_vxlan() {
    let o = objects(&load("two_hosts_multiple_tenants_mix_vlan_vxlan.json"));
    check_consistent(&o);
    assert_eq!(o.all.len(), 2 + 2 + 2 + 4);
    let ranges: Vec<_> = tenants(&o)
        .into_iter()
        .map(|(_, vlans, vxlans)| (vlans, vxlans))
        .collect();
    assert!(
        ranges.iter().any(|r| r.0.as_deref() == Some("200-300")),
        "{ranges:?}"
    );
    assert!(
        ranges.iter().any(|r| r.1.as_deref() == Some("10001-14000")),
        "{ranges:?}"
    );
    for h in &o.hosts {
        assert_eq!(h.uplinks, ["eth2"]);
        assert!(h.vtep_ip.is_some());
    }
    assert_eq!(network(&o, "tenant-one:orange").encap, Encap::Vlan);
    assert_eq!(network(&o, "tenant-two:purple").encap, Encap::Vxlan);
    assert_eq!(
        network(&o, "tenant-two:purple").subnet.to_string(),
        "11.1.0.0/24"
    );
    assert_eq!(o.endpoints.len(), 4);
}

#[test]
fn three_hosts_vxlan() {
    let o = objects(&load("three_hosts_vxlan.json"));
    check_consistent(&o);
    assert_eq!(o.all.len(), 1 + 3 + 2 + 6);
    assert_eq!(
        o.hosts
            .iter()
            .map(|h| h.vtep_ip.unwrap().to_string())
            .collect::<Vec<_>>(),
        ["192.168.2.10", "192.168.2.11", "192.168.2.12"]
    );
    let orange = network(&o, "tenant-one:orange");
    assert_eq!((orange.encap, orange.pkt_tag), (Encap::Vxlan, Some(10001)));
    assert_eq!(
        (
            orange.subnet.to_string().as_str(),
            orange.gateway.map(|v| v.to_string()).as_deref()
        ),
        ("11.1.1.0/24", Some("11.1.1.254"))
    );
    // Carved around orange's explicit subnet.
    let purple = network(&o, "tenant-one:purple");
    assert_eq!(
        (
            purple.encap,
            purple.pkt_tag,
            purple.subnet.to_string().as_str()
        ),
        (Encap::Vxlan, None, "11.1.0.0/24")
    );
    assert_eq!(
        endpoints(&o),
        [
            (
                "tenant-one:myContainer1".into(),
                "orange",
                Some("host1"),
                Some("11.1.1.1".parse().unwrap())
            ),
            (
                "tenant-one:myContainer2".into(),
                "orange",
                Some("host2"),
                Some("11.1.1.2".parse().unwrap())
            ),
            (
                "tenant-one:myContainer3".into(),
                "orange",
                Some("host3"),
                Some("11.1.1.3".parse().unwrap())
            ),
            (
                "tenant-one:myContainer4".into(),
                "purple",
                Some("host1"),
                None
            ),
            (
                "tenant-one:myContainer5".into(),
                "purple",
                Some("host2"),
                None
            ),
            (
                "tenant-one:myContainer6".into(),
                "purple",
                Some("host3"),
                None
            ),
        ]
    );
}

#[test]
fn late_bindings() {
    let o = objects(&load("late_bindings/multiple_intents.json"));
    check_consistent(&o);
    assert_eq!(o.all.len(), 1 + 2 + 2 + 4);
    assert!(o.endpoints.iter().all(|e| e.host.is_none()));
    assert_eq!(
        network(&o, "tenant-one:orange").subnet.to_string(),
        "11.1.0.0/24"
    );
    assert_eq!(
        network(&o, "tenant-one:purple").subnet.to_string(),
        "11.1.1.0/24"
    );

    let text =
        std::fs::read_to_string(common::example("late_bindings/host_bindings.json")).unwrap();
    let bindings = intent_file::parse_host_bindings(&text).unwrap();
    assert_eq!(bindings.len(), 4);
    let bound = intent_file::bind_hosts(&bindings, &o.endpoints).unwrap();
    let hosts: Vec<_> = bound
        .iter()
        .map(|e| (e.container_name.as_str(), e.host.as_deref().unwrap()))
        .collect();
    assert_eq!(
        hosts,
        [
            ("myContainer1", "host1"),
            ("myContainer3", "host2"),
            ("myContainer2", "host1"),
            ("myContainer4", "host2")
        ]
    );
    assert!(bound
        .iter()
        .zip(&o.endpoints)
        .all(|(b, e)| b.ip_address == e.ip_address && b.network_name == e.network_name));
}

#[test]
fn host_bindings_object_form_aliases_and_tenant_scope() {
    let eps = objects(&load("two_hosts_multiple_tenants.json")).endpoints;
    let text = r#"{"HostBindings": [
        {"ContainerName": "myContainer1", "HostName": "host2", "TenantName": "tenant-one"},
        {"Container": "myContainer4", "Host": "host1", "AttachUUID": "abc"}]}"#;
    let bindings = intent_file::parse_host_bindings(text).unwrap();
    let bound = intent_file::bind_hosts(&bindings, &eps).unwrap();
    let got: Vec<_> = bound
        .iter()
        .map(|e| {
            (
                e.tenant_name.as_str(),
                e.container_name.as_str(),
                e.host.as_deref(),
                e.attach_uuid.as_deref(),
            )
        })
        .collect();
    // AttachUUID: the infra container whose namespace the endpoint goes into.
    assert_eq!(
        got,
        [
            ("tenant-one", "myContainer1", Some("host2"), None),
            ("tenant-two", "myContainer4", Some("host1"), Some("abc"))
        ]
    );

    let wrong_tenant = r#"[{"Container": "myContainer1", "Host": "h", "Tenant": "tenant-two"}]"#;
    let err = intent_file::bind_hosts(
        &intent_file::parse_host_bindings(wrong_tenant).unwrap(),
        &eps,
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "invalid intent file: host binding of container `myContainer1` in tenant `tenant-two`: no such endpoint");
    let empty_host = r#"[{"Container": "myContainer1", "Host": ""}]"#;
    let err = intent_file::bind_hosts(&intent_file::parse_host_bindings(empty_host).unwrap(), &eps)
        .unwrap_err();
    assert!(err.to_string().contains("needs both"), "{err}");
    let err = intent_file::parse_host_bindings(r#"[{"Container": "c"}]"#).unwrap_err();
    assert!(
        err.to_string().contains("missing field `Host` at line 1"),
        "{err}"
    );
}

#[test]
fn host_bindings_in_the_intent_file_and_go_spellings() {
    let text = r#"{
        "Hosts": [{"Name": "h1", "VtepIP": "10.0.0.1", "Intf": ""}],
        "Tenants": [{"Name": "t", "DefaultNetType": "VLAN", "VLANs": "5-9", "VXLANs": "7-8",
            "Networks": [{"Name": "n", "PktTagType": "vxlan", "PktTag": 77, "SubnetCidr": "10.9.0.0/16",
                          "DefaultGw": "10.9.0.1", "Endpoints": [{"Container": "c", "IpAddress": "10.9.3.4", "Host": ""}]}]}],
        "HostBindings": [{"Container": "c", "Host": "h1"}]
    }"#;
    let o = objects(&intent_file::parse(text).unwrap());
    check_consistent(&o);
    assert_eq!(tenants(&o), [("t", Some("5-9".into()), Some("7-8".into()))]);
    assert_eq!(
        o.hosts[0].vtep_ip.map(|v| v.to_string()).as_deref(),
        Some("10.0.0.1")
    );
    assert!(o.hosts[0].uplinks.is_empty());
    let n = network(&o, "t:n");
    assert_eq!(
        (
            n.encap,
            n.pkt_tag,
            n.gateway.map(|v| v.to_string()).as_deref()
        ),
        (Encap::Vxlan, Some(77), Some("10.9.0.1"))
    );
    assert_eq!(
        endpoints(&o),
        [(
            "t:c".into(),
            "n",
            Some("h1"),
            Some("10.9.3.4".parse().unwrap())
        )]
    );
}

#[test]
fn no_ranges_and_delete_batch_is_children_first() {
    let text = r#"{"Hosts": [{"Name": "h"}], "Tenants": [{"Name": "t", "Networks": [
        {"Name": "n", "SubnetCIDR": "10.0.0.0/24", "Endpoints": [{"Container": "c"}]}]}]}"#;
    let file = intent_file::parse(text).unwrap();
    let o = objects(&file);
    assert_eq!(tenants(&o), [("t", None, None)]);
    assert_eq!(network(&o, "t:n").encap, Encap::Vxlan);
    let batch = file.to_batch(true, &Existing::default()).unwrap();
    assert!(batch.replace && batch.deletes.is_empty());
    assert_eq!(batch.upserts, o.all);
    // Deleting a whole file from a netmaster that has just it deletes all of it.
    let three = load("three_hosts_vxlan.json");
    let everything = Existing::new(three.to_objects(&Existing::default()).unwrap());
    let deletes = three.to_delete_batch(&everything).unwrap();
    assert!(deletes.upserts.is_empty() && !deletes.replace);
    let kinds: Vec<Kind> = deletes.deletes.iter().map(|(k, _)| *k).collect();
    assert_eq!(kinds.len(), 6 + 2 + 3 + 1);
    assert!(kinds[..6].iter().all(|k| *k == Kind::Endpoint));
    assert!(kinds[6..8].iter().all(|k| *k == Kind::Network));
    assert!(kinds[8..11].iter().all(|k| *k == Kind::Host));
    assert_eq!(
        deletes.deletes[11],
        (Kind::Tenant, "tenant-one".to_string())
    );
}

#[test]
fn malformed_files_name_the_problem() {
    let syntax = |text: &str| intent_file::parse(text).unwrap_err().to_string();
    let err = syntax("{\n  \"Tenants\": [ {\"Name\": \"t\",, } ]\n}");
    assert!(
        err.starts_with("malformed intent file: ") && err.contains("line 2 column"),
        "{err}"
    );
    let err = syntax(r#"{"Tenants": [{"Name": "t", "Netwroks": []}]}"#);
    assert!(
        err.contains("unknown field `Netwroks`") && err.contains("line 1 column"),
        "{err}"
    );
    let err = syntax(r#"{"Tenants": [{"DefaultNetType": "vlan"}]}"#);
    assert!(err.contains("missing field `Name`"), "{err}");
    let err = syntax(r#"{"Tenants": [{"Name": "t", "AllocSubnetLen": "24"}]}"#);
    assert!(
        err.contains("invalid type: string \"24\", expected u8"),
        "{err}"
    );
    let err = syntax(r#"{"Hosts": {"Name": "h"}}"#);
    assert!(err.contains("expected a sequence"), "{err}");

    let invalid = |text: &str| {
        intent_file::parse(text)
            .unwrap()
            .to_objects(&Existing::default())
            .unwrap_err()
            .to_string()
    };
    let err = invalid(
        r#"{"Tenants": [{"Name": "t", "DefaultNetType": "gre", "Networks": [{"Name": "n"}]}]}"#,
    );
    assert_eq!(
        err,
        "invalid intent file: tenant `t`: DefaultNetType `gre` is neither `vlan` nor `vxlan`"
    );
    let err = invalid(r#"{"Tenants": [{"Name": "t", "Networks": [{"Name": "n"}]}]}"#);
    assert_eq!(err, "invalid intent file: network `t:n`: no SubnetCIDR, and the tenant has no SubnetPool to carve one from");
    let err = invalid(r#"{"Tenants": [{"Name": "t"}, {"Name": "t"}]}"#);
    assert_eq!(err, "invalid intent file: tenant `t` is defined twice");
    let err = invalid(r#"{"Hosts": [{"Name": "h"}, {"Name": "h"}]}"#);
    assert_eq!(err, "invalid intent file: host `h` is defined twice");
    let err = invalid(
        r#"{"Tenants": [{"Name": "t", "SubnetPool": "10.0.0.0/8", "Networks": [{"Name": "n"}, {"Name": "n"}]}]}"#,
    );
    assert_eq!(
        err,
        "invalid intent file: network `n` is defined twice in tenant `t`"
    );
    let err = invalid(
        r#"{"Tenants": [{"Name": "t", "Networks": [{"Name": "n", "SubnetCIDR": "10.0.0.0"}]}]}"#,
    );
    assert!(
        err.contains("network `t:n`: SubnetCIDR `10.0.0.0` is not a.b.c.d/len"),
        "{err}"
    );
    let err = invalid(r#"{"Hosts": [{"Name": "h", "VtepIp": "10.0.0"}], "Tenants": []}"#);
    assert_eq!(
        err,
        "invalid intent file: host `h`: VtepIp `10.0.0`: invalid IPv4 address syntax"
    );
    let err = invalid(
        r#"{"Tenants": [{"Name": "t", "Networks": [{"Name": "n", "SubnetCIDR": "10.0.0.0/24", "Endpoints": [{"Container": "c", "MacAddress": "zz"}]}]}]}"#,
    );
    assert!(
        err.contains("endpoint `t:c`: MacAddress `zz` is not a MAC address"),
        "{err}"
    );
    let err = invalid(r#"{"HostBindings": [{"Container": "ghost", "Host": "h"}]}"#);
    assert!(err.contains("container `ghost`: no such endpoint"), "{err}");
}

/// A delta file against what netmaster has: the tenant and network it only names are left
/// alone, a new network is carved from the tenant's pool netmaster keeps (around its
/// networks), implicit hosts netmaster has are not created again; `-del-cfg` of the delta
/// deletes its endpoint only, and of the whole file everything it emptied.
#[test]
fn delta_files_against_what_netmaster_has() {
    let blue = load("migration/blue.json");
    let server = Existing::new(blue.to_objects(&Existing::default()).unwrap());
    let delta = intent_file::parse(
        r#"{"Tenants": [{"Name": "blue", "Networks": [
            {"Name": "web", "Endpoints": [{"Container": "blueWeb3", "Host": "host2"}]},
            {"Name": "cache", "Endpoints": [{"Container": "blueCache1", "Host": "host3"}]}]}]}"#,
    )
    .unwrap();
    let added = delta.to_objects(&server).unwrap();
    let keys: Vec<String> = added
        .iter()
        .map(|o| format!("{:?} {}", o.kind(), o.key()))
        .collect();
    assert_eq!(
        keys,
        [
            "Host host3",
            "Network blue:cache",
            "Endpoint blue:blueWeb3",
            "Endpoint blue:blueCache1"
        ]
    );
    let Object::Network(cache) = &added[1] else {
        panic!()
    };
    assert_eq!(
        cache.subnet.to_string(),
        "10.20.2.0/24",
        "after web's and db's"
    );
    // Without netmaster's state, the delta has no pool to carve from.
    let err = delta
        .to_objects(&Existing::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no SubnetPool"), "{err}");

    let deletes = |file: &IntentFile| -> Vec<String> {
        file.to_delete_batch(&server)
            .unwrap()
            .deletes
            .iter()
            .map(|(k, key)| format!("{k:?} {key}"))
            .collect()
    };
    let one = intent_file::parse(
        r#"{"Tenants": [{"Name": "blue", "Networks": [{"Name": "db", "Endpoints": [{"Container": "blueDb1"}]}]}]}"#,
    )
    .unwrap();
    // db had only blueDb1: it goes too; the tenant keeps web.
    assert_eq!(deletes(&one), ["Endpoint blue:blueDb1", "Network blue:db"]);
    assert_eq!(
        deletes(&blue),
        [
            "Endpoint blue:blueWeb1",
            "Endpoint blue:blueWeb2",
            "Endpoint blue:blueDb1",
            "Network blue:web",
            "Network blue:db",
            "Tenant blue"
        ]
    );
}

/// The original's `multiple_eps_in_container.json`: a container on two networks gets `eth0` on
/// the first and `eth1` on the second (its own endpoint, `tenant:container:eth1`).
#[test]
fn a_container_on_two_networks() {
    let o = objects(&load("multiple_eps_in_container.json"));
    check_consistent(&o);
    let keys: Vec<(String, &str, &str)> = o
        .endpoints
        .iter()
        .map(|e| (e.key(), e.network_name.as_str(), e.ifname()))
        .collect();
    assert_eq!(
        keys,
        [
            ("tenant-one:myContainer1".into(), "orange", "eth0"),
            ("tenant-one:myContainer2".into(), "orange", "eth0"),
            ("tenant-one:myContainer3".into(), "orange", "eth0"),
            ("tenant-one:myContainer2:eth1".into(), "purple", "eth1"),
            ("tenant-one:myContainer4".into(), "purple", "eth0"),
        ]
    );
    let twice = intent_file::parse(
        r#"{"Tenants": [{"Name": "t", "SubnetPool": "10.0.0.0/16", "Networks": [
            {"Name": "n", "Endpoints": [{"Container": "c"}, {"Container": "c"}]}]}]}"#,
    )
    .unwrap();
    let err = twice
        .to_objects(&Existing::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("container `c` is on network `n` of tenant `t` twice"),
        "{err}"
    );
}
