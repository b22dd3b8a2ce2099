//! Intent service: validation, IPAM, replace, persistence and crash safety.

use netmaster::intent::service::IntentDb;
use netmaster::store::RedbStore;
use northbound_api::model::{
    Encap, Endpoint, EndpointGroup, Global, Host, Kind, Network, Object, Tenant,
};
use northbound_api::service::{Batch, IntentError, IntentService};
use std::path::Path;

fn tenant(name: &str) -> Object {
    Object::Tenant(Tenant::named(name))
}

fn host(name: &str) -> Object {
    Object::Host(Host {
        name: name.into(),
        vtep_ip: Some("192.168.0.1".parse().unwrap()),
        uplinks: vec![],
        dpid: None,
    })
}

fn net(tenant: &str, name: &str, subnet: &str) -> Network {
    Network {
        tenant_name: tenant.into(),
        network_name: name.into(),
        encap: Encap::Vxlan,
        pkt_tag: None,
        subnet: subnet.parse().unwrap(),
        gateway: None,
        ipv6_subnet: None,
        ipv6_gateway: None,
        multicast: Default::default(),
        cfgd_tag: None,
        nw_type: Default::default(),
    }
}

fn group(tenant: &str, name: &str, network: &str, pool: Option<&str>) -> EndpointGroup {
    EndpointGroup {
        tenant_name: tenant.into(),
        group_name: name.into(),
        network_name: network.into(),
        ip_pool: pool.map(|p| p.parse().unwrap()),
        policies: vec![],
        net_profile: None,
        default_deny: false,
        cfgd_tag: None,
        ext_contracts_grps: Vec::new(),
    }
}

fn ep(tenant: &str, name: &str, network: &str) -> Endpoint {
    Endpoint::named(tenant, network, name)
}

fn ups(objects: Vec<Object>) -> Batch {
    Batch {
        upserts: objects,
        ..Batch::default()
    }
}

fn del(kind: Kind, key: &str) -> Batch {
    Batch {
        deletes: vec![(kind, key.into())],
        ..Batch::default()
    }
}

fn endpoint(db: &IntentDb, key: &str) -> Endpoint {
    match db.get(Kind::Endpoint, key) {
        Some(Object::Endpoint(e)) => e,
        other => panic!("{key}: {other:?}"),
    }
}

fn network(db: &IntentDb, key: &str) -> Network {
    match db.get(Kind::Network, key) {
        Some(Object::Network(n)) => n,
        other => panic!("{key}: {other:?}"),
    }
}

/// A database with tenant `t`, host `h1` and network `t:n` (10.1.1.0/24, gateway .1).
fn base() -> IntentDb {
    let db = IntentDb::in_memory();
    let mut n = net("t", "n", "10.1.1.0/24");
    n.gateway = Some("10.1.1.1".parse().unwrap());
    db.apply(ups(vec![tenant("t"), host("h1"), Object::Network(n)]))
        .unwrap();
    db
}

/// The HTTP status the REST layer answers an intent error with.
fn status(err: &IntentError) -> u16 {
    match err {
        IntentError::Invalid(_) => 400,
        IntentError::NotFound(_) => 404,
        IntentError::Conflict(_) => 409,
        IntentError::Store(_) => 500,
        IntentError::Unavailable(_) => 503,
    }
}

/// Applies a batch that must fail with `status` and a message containing `needle`, and
/// checks that nothing changed, including the next allocations.
fn rejected(db: &IntentDb, batch: Batch, status_code: u16, needle: &str) -> IntentError {
    let before = db.snapshot();
    let version = db.version();
    let err = db.apply(batch).expect_err("batch must be rejected");
    assert_eq!(status(&err), status_code, "{err}");
    assert!(err.to_string().contains(needle), "'{err}' lacks '{needle}'");
    assert_eq!(db.snapshot(), before, "a rejected batch changed the state");
    assert_eq!(db.version(), version);
    err
}

/// What the next endpoint (IPv4, MAC) and VLAN network get: applied, then deleted again.
fn probe_next(db: &IntentDb) -> (String, String, u32) {
    let mut n = net("t", "probe", "172.31.0.0/24");
    n.encap = Encap::Vlan;
    let out = db
        .apply(ups(vec![
            Object::Network(n),
            Object::Endpoint(ep("t", "probe", "n")),
        ]))
        .unwrap();
    let (Object::Network(n), Object::Endpoint(e)) = (&out[0], &out[1]) else {
        panic!("{out:?}")
    };
    let r = (
        e.ip_address.unwrap().to_string(),
        e.mac_address.unwrap().to_string(),
        n.pkt_tag.unwrap(),
    );
    db.apply(Batch {
        deletes: vec![
            (Kind::Endpoint, "t:probe".into()),
            (Kind::Network, "t:probe".into()),
        ],
        ..Batch::default()
    })
    .unwrap();
    r
}

#[test]
fn allocates_ips_macs_tags_and_ids() {
    let db = base();
    let n = network(&db, "t:n");
    assert_eq!(n.pkt_tag, Some(1));
    db.apply(ups(vec![
        Object::Endpoint(ep("t", "a", "n")),
        Object::Endpoint(ep("t", "b", "n")),
    ]))
    .unwrap();
    let (a, b) = (endpoint(&db, "t:a"), endpoint(&db, "t:b"));
    assert_eq!(
        a.ip_address.map(|v| v.to_string()).as_deref(),
        Some("10.1.1.2"),
        "gateway .1 is skipped"
    );
    assert_eq!(
        b.ip_address.map(|v| v.to_string()).as_deref(),
        Some("10.1.1.3")
    );
    assert_eq!(
        a.mac_address.map(|v| v.to_string()).as_deref(),
        Some("02:02:00:00:00:01")
    );
    assert_eq!(
        b.mac_address.map(|v| v.to_string()).as_deref(),
        Some("02:02:00:00:00:02")
    );
    let s = db.snapshot();
    assert_eq!(s.network_ids["t:n"], 1);
    assert_eq!((s.endpoint_ids["t:a"], s.endpoint_ids["t:b"]), (1, 2));

    // Release and reuse: the address comes back, the MAC counter and ids do not.
    db.apply(del(Kind::Endpoint, "t:a")).unwrap();
    db.apply(ups(vec![Object::Endpoint(ep("t", "c", "n"))]))
        .unwrap();
    let c = endpoint(&db, "t:c");
    assert_eq!(
        c.ip_address.map(|v| v.to_string()).as_deref(),
        Some("10.1.1.2")
    );
    assert_eq!(
        c.mac_address.map(|v| v.to_string()).as_deref(),
        Some("02:02:00:00:00:03")
    );
    assert_eq!(db.snapshot().endpoint_ids["t:c"], 3);

    // Re-applying an endpoint without addresses keeps them.
    db.apply(ups(vec![Object::Endpoint(ep("t", "c", "n"))]))
        .unwrap();
    assert_eq!(endpoint(&db, "t:c"), c);

    // Network ids are never reused; VLANs and VNIs are separate spaces.
    db.apply(del(Kind::Endpoint, "t:b")).unwrap();
    db.apply(del(Kind::Endpoint, "t:c")).unwrap();
    db.apply(del(Kind::Network, "t:n")).unwrap();
    let mut v = net("t", "v", "10.2.0.0/24");
    v.encap = Encap::Vlan;
    db.apply(ups(vec![
        Object::Network(v),
        Object::Network(net("t", "x", "10.3.0.0/24")),
    ]))
    .unwrap();
    let s = db.snapshot();
    assert_eq!((s.network_ids["t:v"], s.network_ids["t:x"]), (2, 3));
    assert_eq!(s.networks["t:v"].pkt_tag, Some(1));
    assert_eq!(s.networks["t:x"].pkt_tag, Some(1), "VNI 1 is free again");
}

#[test]
fn range_subnet_group_pool_requested_address_and_ipv6() {
    let db = base();
    let mut r = net("t", "r", "10.9.0.10-10.9.0.11/24");
    r.ipv6_subnet = Some("2001:db8::/64".parse().unwrap());
    r.ipv6_gateway = Some("2001:db8::1".parse().unwrap());
    db.apply(ups(vec![
        Object::Network(r),
        Object::EndpointGroup(group("t", "g", "n", Some("10.1.1.100-10.1.1.101"))),
    ]))
    .unwrap();
    db.apply(ups(vec![
        Object::Endpoint(ep("t", "r1", "r")),
        Object::Endpoint(ep("t", "r2", "r")),
    ]))
    .unwrap();
    let (r1, r2) = (endpoint(&db, "t:r1"), endpoint(&db, "t:r2"));
    assert_eq!(
        r1.ip_address.map(|v| v.to_string()).as_deref(),
        Some("10.9.0.10")
    );
    assert_eq!(
        r2.ip_address.map(|v| v.to_string()).as_deref(),
        Some("10.9.0.11")
    );
    assert_eq!(
        r1.ipv6_address.map(|v| v.to_string()).as_deref(),
        Some("2001:db8::2"),
        ":: and the gateway skipped"
    );
    assert_eq!(
        r2.ipv6_address.map(|v| v.to_string()).as_deref(),
        Some("2001:db8::3")
    );
    rejected(
        &db,
        ups(vec![Object::Endpoint(ep("t", "r3", "r"))]),
        409,
        "no free address",
    );

    let mut g1 = ep("t", "g1", "n");
    g1.group_name = Some("g".into());
    let mut g2 = g1.clone();
    g2.container_name = "g2".into();
    g2.ip_address = Some("10.1.1.100".parse().unwrap());
    db.apply(ups(vec![Object::Endpoint(g2), Object::Endpoint(g1)]))
        .unwrap();
    assert_eq!(
        endpoint(&db, "t:g2")
            .ip_address
            .map(|v| v.to_string())
            .as_deref(),
        Some("10.1.1.100")
    );
    assert_eq!(
        endpoint(&db, "t:g1")
            .ip_address
            .map(|v| v.to_string())
            .as_deref(),
        Some("10.1.1.101")
    );

    let mut req = ep("t", "q", "n");
    req.ip_address = Some("10.1.1.50".parse().unwrap());
    req.mac_address = Some("02:AA:00:00:00:01".parse().unwrap());
    req.ipv6_address = None;
    db.apply(ups(vec![Object::Endpoint(req)])).unwrap();
    let q = endpoint(&db, "t:q");
    assert_eq!(
        q.ip_address.map(|v| v.to_string()).as_deref(),
        Some("10.1.1.50")
    );
    assert_eq!(
        q.mac_address.map(|v| v.to_string()).as_deref(),
        Some("02:aa:00:00:00:01")
    );
}

#[test]
fn rejections_leave_no_trace() {
    let db = base();
    db.apply(ups(vec![Object::Endpoint(ep("t", "a", "n"))]))
        .unwrap();
    let next = probe_next(&db);
    let n = |f: &dyn Fn(&mut Network)| {
        let mut n = net("t", "m", "10.5.0.0/24");
        f(&mut n);
        ups(vec![Object::Network(n)])
    };
    // A failing batch that allocated before failing.
    let mut bad = ep("t", "z", "n");
    bad.host = Some("nohost".into());
    let batch = ups(vec![
        Object::Endpoint(ep("t", "y", "n")),
        Object::Endpoint(bad),
    ]);
    rejected(&db, batch, 404, "endpoint t:z: host 'nohost'");
    for vtep in ["0.0.1.0", "127.0.0.1", "239.0.0.1", "255.255.255.255"] {
        let Object::Host(mut h) = host("h9") else {
            unreachable!()
        };
        h.vtep_ip = Some(vtep.parse().unwrap());
        rejected(
            &db,
            ups(vec![Object::Host(h)]),
            400,
            &format!("host h9: vtepIp {vtep} is not a host's unicast address"),
        );
    }

    rejected(
        &db,
        n(&|n| n.subnet = "10.1.0.0/16".parse().unwrap()),
        409,
        "overlaps subnet 10.1.1.0/24 of network t:n",
    );
    for bad in [0, 3601] {
        rejected(
            &db,
            n(&|n| n.multicast.query_interval_s = bad),
            400,
            &format!("network t:m: multicast.queryIntervalS: {bad} is not in 1..=3600 seconds"),
        );
    }
    // A subnet, address or range that does not parse cannot be in a batch at all: it is
    // refused where the body is decoded (northbound-api's
    // `bad_addresses_are_400_naming_the_field`).
    rejected(
        &db,
        n(&|n| n.gateway = Some("10.6.0.1".parse().unwrap())),
        400,
        "network t:m: gateway",
    );
    rejected(
        &db,
        n(&|n| n.gateway = Some("10.5.0.255".parse().unwrap())),
        400,
        "gateway",
    );
    rejected(
        &db,
        n(&|n| n.pkt_tag = Some(20000)),
        400,
        "pktTag 20000 is outside the global vxlans range",
    );
    rejected(
        &db,
        n(&|n| n.pkt_tag = Some(1)),
        409,
        "VNI 1 is already used by network t:n",
    );
    rejected(
        &db,
        n(&|n| {
            n.encap = Encap::Vlan;
            n.pkt_tag = Some(4095)
        }),
        400,
        "vlans",
    );
    rejected(
        &db,
        n(&|n| n.tenant_name = "nobody".into()),
        404,
        "tenantName 'nobody'",
    );
    rejected(
        &db,
        n(&|n| {
            n.ipv6_subnet = Some("2001:db8::/64".parse().unwrap());
            n.ipv6_gateway = Some("2001:db9::1".parse().unwrap())
        }),
        400,
        "ipv6Gateway",
    );
    let g = |pool: &str| {
        ups(vec![Object::EndpointGroup(group(
            "t",
            "g",
            "n",
            Some(pool),
        ))])
    };
    rejected(
        &db,
        g("10.1.2.1-10.1.2.5"),
        400,
        "endpoint group t:g: ipPool 10.1.2.1-10.1.2.5 is outside",
    );
    rejected(&db, g("10.1.1.0-10.1.1.5"), 400, "outside");
    rejected(
        &db,
        ups(vec![Object::EndpointGroup(group("t", "g", "nonet", None))]),
        404,
        "networkName 'nonet'",
    );
    let e = |f: &dyn Fn(&mut Endpoint)| {
        let mut e = ep("t", "e", "n");
        f(&mut e);
        ups(vec![Object::Endpoint(e)])
    };
    rejected(
        &db,
        e(&|e| e.network_name = "nonet".into()),
        404,
        "endpoint t:e: networkName 'nonet'",
    );
    rejected(
        &db,
        e(&|e| e.group_name = Some("nogroup".into())),
        404,
        "groupName 'nogroup'",
    );
    rejected(
        &db,
        e(&|e| e.ip_address = Some("10.1.2.9".parse().unwrap())),
        400,
        "ipAddress 10.1.2.9 is outside",
    );
    rejected(
        &db,
        e(&|e| e.ip_address = Some("10.1.1.1".parse().unwrap())),
        400,
        "gateway",
    );
    rejected(
        &db,
        e(&|e| e.ip_address = Some("10.1.1.2".parse().unwrap())),
        409,
        "already used by endpoint t:a",
    );
    rejected(
        &db,
        e(&|e| e.mac_address = Some("02:02:00:00:00:01".parse().unwrap())),
        409,
        "macAddress",
    );
    rejected(
        &db,
        e(&|e| e.ipv6_address = Some("2001:db8::5".parse().unwrap())),
        400,
        "no ipv6Subnet",
    );
    rejected(
        &db,
        ups(vec![tenant("t2"), tenant("t2")]),
        400,
        "tenant t2: appears twice",
    );
    rejected(
        &db,
        Batch {
            upserts: vec![tenant("t")],
            deletes: vec![(Kind::Tenant, "t".into())],
            replace: false,
        },
        400,
        "both upserted and deleted",
    );
    rejected(
        &db,
        del(Kind::Network, "t:nonet"),
        404,
        "network t:nonet: does not exist",
    );
    rejected(
        &db,
        del(Kind::Network, "t:n"),
        409,
        "cannot delete network t:n: endpoint t:a",
    );
    rejected(
        &db,
        del(Kind::Tenant, "t"),
        409,
        "cannot delete tenant t: network t:n",
    );
    let after = probe_next(&db);
    assert_eq!(next.1, "02:02:00:00:00:02");
    assert_eq!(
        (after.0, after.1.as_str(), after.2),
        (next.0, "02:02:00:00:00:03", next.2),
        "the failed batches allocated nothing"
    );
}

#[test]
fn more_conflicts() {
    let db = base();
    let mut a = ep("t", "a", "n");
    a.host = Some("h1".into());
    a.group_name = Some("g".into());
    db.apply(ups(vec![
        Object::EndpointGroup(group("t", "g", "n", None)),
        Object::Endpoint(a),
    ]))
    .unwrap();
    rejected(
        &db,
        del(Kind::Host, "h1"),
        409,
        "cannot delete host h1: endpoint t:a",
    );
    rejected(
        &db,
        del(Kind::EndpointGroup, "t:g"),
        409,
        "cannot delete endpoint group t:g: endpoint t:a",
    );
    let mut moved = group("t", "g", "n", Some("10.1.1.200-10.1.1.210"));
    rejected(
        &db,
        ups(vec![Object::EndpointGroup(moved.clone())]),
        409,
        "endpoint t:a would be outside ipPool",
    );
    moved.ip_pool = None;
    moved.network_name = "other".into();
    rejected(
        &db,
        ups(vec![Object::EndpointGroup(moved)]),
        404,
        "networkName 'other'",
    );
    let mut changed = net("t", "n", "10.1.0.0/16");
    changed.gateway = Some("10.1.1.1".parse().unwrap());
    rejected(
        &db,
        ups(vec![Object::Network(changed)]),
        409,
        "subnet cannot change while endpoint t:a",
    );
    let global = Global {
        vxlans: "100-200".parse().unwrap(),
        ..Global::default()
    };
    rejected(
        &db,
        ups(vec![Object::Global(global)]),
        409,
        "leaves out VNI 1 of network t:n",
    );
    let bad_range = Global {
        vlans: "1-5000".parse().unwrap(),
        ..Global::default()
    };
    rejected(
        &db,
        ups(vec![Object::Global(bad_range)]),
        400,
        "global: vlans",
    );
    // The DNS address is no endpoint's: link-local only.
    let routable_dns = Global {
        dns_address: Some("10.1.0.53".parse().unwrap()),
        ..Global::default()
    };
    rejected(
        &db,
        ups(vec![Object::Global(routable_dns)]),
        400,
        "dnsAddress 10.1.0.53 is not link-local",
    );
    // Network-level delete with groups only.
    db.apply(del(Kind::Endpoint, "t:a")).unwrap();
    rejected(&db, del(Kind::Network, "t:n"), 409, "endpoint group t:g");
}

#[test]
fn overlapping_subnets_in_different_tenants_are_fine() {
    let db = base();
    db.apply(ups(vec![
        tenant("u"),
        Object::Network(net("u", "n", "10.1.1.0/24")),
        Object::Endpoint(ep("u", "a", "n")),
        Object::Endpoint(ep("t", "a", "n")),
    ]))
    .unwrap();
    assert_eq!(
        endpoint(&db, "u:a")
            .ip_address
            .map(|v| v.to_string())
            .as_deref(),
        Some("10.1.1.1")
    );
    assert_eq!(
        endpoint(&db, "t:a")
            .ip_address
            .map(|v| v.to_string())
            .as_deref(),
        Some("10.1.1.2")
    );
    assert_ne!(
        endpoint(&db, "u:a").mac_address,
        endpoint(&db, "t:a").mac_address
    );
    assert_eq!(network(&db, "u:n").pkt_tag, Some(2), "VNIs are global");
}

#[test]
fn replace_deletes_what_is_missing_children_first() {
    let db = base();
    db.apply(ups(vec![
        tenant("u"),
        Object::Network(net("u", "n", "10.1.1.0/24")),
        Object::EndpointGroup(group("u", "g", "n", None)),
        Object::Endpoint(ep("u", "a", "n")),
        Object::Endpoint(ep("t", "a", "n")),
        Object::Global(Global {
            mtu: 9000,
            ..Global::default()
        }),
    ]))
    .unwrap();
    let keep_net = network(&db, "t:n");
    let keep_ep = endpoint(&db, "t:a");
    let out = db
        .apply(Batch {
            upserts: vec![
                Object::Endpoint(ep("t", "a", "n")),
                tenant("t"),
                Object::Network(net("t", "n", "10.1.1.0/24")),
            ],
            deletes: vec![],
            replace: true,
        })
        .unwrap();
    assert_eq!(out.len(), 3);
    assert_eq!(
        out[0],
        Object::Endpoint(keep_ep.clone()),
        "batch order, allocations kept"
    );
    let s = db.snapshot();
    assert_eq!(s.tenants.keys().collect::<Vec<_>>(), ["t"]);
    assert_eq!(s.networks.keys().collect::<Vec<_>>(), ["t:n"]);
    assert!(s.groups.is_empty() && s.hosts.is_empty());
    assert_eq!(s.endpoints.keys().collect::<Vec<_>>(), ["t:a"]);
    assert_eq!(s.global, Global::default());
    assert_eq!(s.networks["t:n"].pkt_tag, keep_net.pkt_tag);
    assert_eq!(s.network_ids["t:n"], 1);

    // A replace that leaves a child of a deleted parent is refused as a whole.
    rejected(
        &db,
        Batch {
            upserts: vec![tenant("t"), Object::Endpoint(ep("t", "a", "n"))],
            deletes: vec![],
            replace: true,
        },
        404,
        "endpoint t:a: networkName 'n'",
    );
}

/// A tenant with its own ranges (the original intent files' per-tenant `Vlans`/`Vxlans`):
/// its networks' tags come from them, other tenants' from the global ranges; two tenants'
/// ranges may overlap but their networks never share a tag; a tag outside the tenant's range,
/// or a new range that leaves a network out, is refused and changes nothing.
#[test]
fn tenants_own_their_tag_ranges() {
    let db = IntentDb::in_memory();
    let owning = |name: &str, vxlans: &str| {
        let Object::Tenant(mut t) = tenant(name) else {
            unreachable!()
        };
        t.vxlans = Some(vxlans.parse().unwrap());
        Object::Tenant(t)
    };
    // One tenant after the other, as `netctl -add-cfg` uploads two tenants' files.
    db.apply(ups(vec![
        owning("blue", "5000-5001"),
        Object::Network(net("blue", "a", "10.0.0.0/24")),
    ]))
    .unwrap();
    db.apply(ups(vec![
        owning("red", "5001-5100"),
        Object::Network(net("red", "a", "10.0.0.0/24")),
    ]))
    .unwrap();
    db.apply(ups(vec![
        tenant("plain"),
        Object::Network(net("plain", "a", "10.0.0.0/24")),
    ]))
    .unwrap();
    assert_eq!(network(&db, "blue:a").pkt_tag, Some(5000));
    assert_eq!(network(&db, "red:a").pkt_tag, Some(5001));
    assert_eq!(network(&db, "plain:a").pkt_tag, Some(1), "the global range");
    // blue's second network: 5001 is red's, so blue's range is exhausted.
    rejected(
        &db,
        ups(vec![Object::Network(net("blue", "b", "10.0.1.0/24"))]),
        409,
        "no free VNI in tenant blue's vxlans range 5000-5001",
    );
    let mut outside = net("blue", "b", "10.0.1.0/24");
    outside.pkt_tag = Some(7);
    rejected(
        &db,
        ups(vec![Object::Network(outside)]),
        400,
        "pktTag 7 is outside tenant blue's vxlans range 5000-5001",
    );
    rejected(
        &db,
        ups(vec![owning("blue", "6000-6010")]),
        409,
        "tenant blue: vxlans: the new range leaves out VNI 5000 of network blue:a",
    );
    rejected(
        &db,
        ups(vec![owning("blue", "1-16777216")]),
        400,
        "goes past the largest VNI",
    );
    // The global range no longer governs a tenant with its own.
    db.apply(ups(vec![Object::Global(Global {
        vxlans: "1-10".parse().unwrap(),
        ..Global::default()
    })]))
    .unwrap();
    assert_eq!(network(&db, "blue:a").pkt_tag, Some(5000));
}

/// A container on two networks: its second interface is an endpoint of its own,
/// `tenant:container:eth1`, with its own address; an interface name Linux would refuse is
/// refused.
#[test]
fn a_container_has_an_endpoint_per_interface() {
    let db = base();
    db.apply(ups(vec![Object::Network(net("t", "m", "10.2.0.0/24"))]))
        .unwrap();
    let mut second = ep("t", "c", "m");
    second.interface = Some("eth1".into());
    let stored = db
        .apply(ups(vec![
            Object::Endpoint(ep("t", "c", "n")),
            Object::Endpoint(second),
        ]))
        .unwrap();
    let keys: Vec<String> = stored.iter().map(Object::key).collect();
    assert_eq!(keys, ["t:c", "t:c:eth1"]);
    assert_eq!(
        endpoint(&db, "t:c:eth1")
            .ip_address
            .map(|a| a.to_string())
            .as_deref(),
        Some("10.2.0.1")
    );
    // `eth0` named explicitly is the container's first endpoint.
    let mut first = ep("t", "c", "n");
    first.interface = Some("eth0".into());
    assert_eq!(
        db.apply(ups(vec![Object::Endpoint(first)])).unwrap()[0].key(),
        "t:c"
    );
    let mut long = ep("t", "c", "m");
    long.interface = Some("a-very-long-ifname".into());
    rejected(
        &db,
        ups(vec![Object::Endpoint(long)]),
        400,
        "longer than an interface name may be",
    );
}

/// Contiv's `default` tenant: created when absent, kept by a desired-state replace.
#[test]
fn the_default_tenant_is_there_and_stays() {
    let db = IntentDb::in_memory();
    assert!(db.ensure_default_tenant().unwrap());
    assert!(!db.ensure_default_tenant().unwrap(), "only once");
    db.apply(Batch {
        upserts: vec![tenant("t")],
        deletes: vec![],
        replace: true,
    })
    .unwrap();
    assert_eq!(
        db.snapshot().tenants.keys().collect::<Vec<_>>(),
        ["default", "t"]
    );
}

#[test]
fn change_notifications() {
    let db = base();
    let mut rx = db.subscribe();
    assert_eq!(*rx.borrow_and_update(), 1);
    db.apply(ups(vec![tenant("u")])).unwrap();
    assert!(rx.has_changed().unwrap());
    assert_eq!(*rx.borrow_and_update(), 2);
    let _ = db.apply(del(Kind::Tenant, "t"));
    assert!(!rx.has_changed().unwrap());
}

fn open(path: &Path) -> IntentDb {
    IntentDb::open(std::sync::Arc::new(RedbStore::open(path).unwrap())).unwrap()
}

#[test]
fn restart_keeps_objects_allocations_and_ids() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("intent.redb");
    let before = {
        let db = open(&path);
        let mut n = net("t", "n", "10.1.1.0/24");
        n.ipv6_subnet = Some("2001:db8::/64".parse().unwrap());
        db.apply(ups(vec![
            tenant("t"),
            host("h1"),
            Object::Network(n),
            Object::EndpointGroup(group("t", "g", "n", Some("10.1.1.50-10.1.1.60"))),
            Object::Endpoint(ep("t", "a", "n")),
            Object::Endpoint(ep("t", "b", "n")),
        ]))
        .unwrap();
        db.apply(del(Kind::Endpoint, "t:a")).unwrap();
        db.snapshot()
    };
    let db = open(&path);
    assert_eq!(db.snapshot(), before);
    db.apply(ups(vec![
        Object::Endpoint(ep("t", "c", "n")),
        Object::Network(net("t", "m", "10.2.0.0/24")),
    ]))
    .unwrap();
    let c = endpoint(&db, "t:c");
    assert_eq!(
        c.ip_address.map(|v| v.to_string()).as_deref(),
        Some("10.1.1.1"),
        "a's released address"
    );
    assert_eq!(
        c.ipv6_address.map(|v| v.to_string()).as_deref(),
        Some("2001:db8::1")
    );
    assert_eq!(
        c.mac_address.map(|v| v.to_string()).as_deref(),
        Some("02:02:00:00:00:03"),
        "MAC counter persisted"
    );
    let s = db.snapshot();
    assert_eq!(
        s.endpoint_ids["t:c"], 3,
        "endpoint ids are not reused after a restart"
    );
    assert_eq!(s.network_ids["t:m"], 2);
    assert_eq!(s.networks["t:m"].pkt_tag, Some(2));
    assert_eq!(s.group_ids["t:g"], 1);
    assert_eq!(
        s.endpoints["t:b"]
            .ip_address
            .map(|v| v.to_string())
            .as_deref(),
        Some("10.1.1.2")
    );
}

const CRASH_DIR: &str = "NETMASTER_INTENT_CRASH_DIR";

/// The child side of `killed_writer_loses_no_acknowledged_batch`: applies batches forever,
/// appending each acknowledged endpoint name to a side file.
#[test]
fn crash_child() {
    use std::io::Write;
    let Some(dir) = std::env::var_os(CRASH_DIR) else {
        return;
    };
    let dir = Path::new(&dir);
    let db = open(&dir.join("intent.redb"));
    let mut acked = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("acked"))
        .unwrap();
    db.apply(ups(vec![
        tenant("t"),
        Object::Network(net("t", "n", "10.0.0.0/8")),
    ]))
    .unwrap();
    for i in 0.. {
        db.apply(ups(vec![Object::Endpoint(ep("t", &format!("e{i}"), "n"))]))
            .unwrap();
        // One write per line: `writeln!` may split it into several, and a kill between them
        // would leave a name cut short.
        acked.write_all(format!("e{i}\n").as_bytes()).unwrap();
    }
}

#[test]
fn killed_writer_loses_no_acknowledged_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CRASH_DIR, dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let acked = dir.path().join("acked");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let n = std::fs::read_to_string(&acked)
            .map(|s| s.lines().count())
            .unwrap_or(0);
        if n >= 30 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "child made no progress"
        );
        assert!(child.try_wait().unwrap().is_none(), "child exited");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let acked = std::fs::read_to_string(&acked).unwrap();
    let db = open(&dir.path().join("intent.redb"));
    let s = db.snapshot();
    // Only whole lines were acknowledged.
    for name in acked
        .split_inclusive('\n')
        .filter_map(|l| l.strip_suffix('\n'))
    {
        assert!(
            s.endpoints.contains_key(&format!("t:{name}")),
            "{name} was acknowledged but lost"
        );
    }
    // The reopened store keeps allocating consistently.
    let n = s.endpoints.len();
    db.apply(ups(vec![Object::Endpoint(ep("t", "after", "n"))]))
        .unwrap();
    assert_eq!(db.snapshot().endpoint_ids["t:after"], n as u64 + 1);
}

fn policy(name: &str) -> Object {
    Object::Policy(northbound_api::model::Policy {
        tenant_name: "t".into(),
        policy_name: name.into(),
    })
}

fn rule(id: &str) -> northbound_api::model::Rule {
    northbound_api::model::Rule {
        tenant_name: "t".into(),
        policy_name: "p".into(),
        rule_id: id.into(),
        direction: northbound_api::model::Direction::In,
        priority: 10,
        from_endpoint_group: Some("web".into()),
        to_endpoint_group: None,
        from_network: None,
        to_network: None,
        from_ip_address: None,
        to_ip_address: None,
        protocol: Some("tcp".into()),
        port: 5432,
        action: northbound_api::model::RuleAction::Allow,
    }
}

#[test]
fn policies_and_rules_are_validated_and_kept_consistent() {
    let db = base();
    let mut db_group = group("t", "db", "n", None);
    db_group.policies = vec!["p".into()];
    // A group naming a policy that does not exist.
    rejected(
        &db,
        ups(vec![Object::EndpointGroup(db_group.clone())]),
        404,
        "policy 'p' does not exist",
    );
    db.apply(ups(vec![
        policy("p"),
        Object::EndpointGroup(group("t", "web", "n", None)),
        Object::EndpointGroup(db_group),
        Object::Rule(rule("1")),
    ]))
    .unwrap();
    assert!(db.get(Kind::Rule, "t:p:1").is_some());

    let bad = |f: &dyn Fn(&mut northbound_api::model::Rule)| {
        let mut r = rule("2");
        f(&mut r);
        ups(vec![Object::Rule(r)])
    };
    rejected(
        &db,
        bad(&|r| r.priority = 0),
        400,
        "priority 0 is outside 1..=100",
    );
    rejected(&db, bad(&|r| r.priority = 101), 400, "outside 1..=100");
    rejected(
        &db,
        bad(&|r| r.protocol = Some("gre2".into())),
        400,
        "protocol 'gre2'",
    );
    rejected(
        &db,
        bad(&|r| r.protocol = Some("icmp".into())),
        400,
        "a port needs protocol tcp or udp",
    );
    rejected(
        &db,
        bad(&|r| r.to_endpoint_group = Some("web".into())),
        400,
        "direction in",
    );
    rejected(
        &db,
        bad(&|r| r.from_endpoint_group = Some("nope".into())),
        404,
        "endpoint group 'nope'",
    );
    rejected(
        &db,
        bad(&|r| r.from_network = Some("nope".into())),
        404,
        "network 'nope'",
    );
    rejected(
        &db,
        bad(&|r| r.policy_name = "nope".into()),
        404,
        "policyName 'nope'",
    );

    // What is in use cannot go: the policy (a group and a rule use it), the group (a rule
    // names it), the tenant.
    rejected(&db, del(Kind::Policy, "t:p"), 409, "still uses it");
    rejected(&db, del(Kind::EndpointGroup, "t:web"), 409, "rule t:p:1");
    // Rule first, then the group's policy, then the policy: fine.
    db.apply(del(Kind::Rule, "t:p:1")).unwrap();
    db.apply(del(Kind::EndpointGroup, "t:db")).unwrap();
    db.apply(del(Kind::Policy, "t:p")).unwrap();
    assert!(db.get(Kind::Policy, "t:p").is_none());
}

#[test]
fn values_no_fabric_can_use_are_refused() {
    let db = base();
    // Endpoint MACs must be unicast and non-zero.
    for mac in [
        "ff:ff:ff:ff:ff:ff",
        "01:00:5e:00:00:01",
        "00:00:00:00:00:00",
    ] {
        let mut e = ep("t", "c1", "n");
        e.mac_address = Some(mac.parse().unwrap());
        rejected(
            &db,
            ups(vec![Object::Endpoint(e)]),
            400,
            "not a unicast address",
        );
    }
    // The underlay MTU and the VXLAN port.
    for mtu in [0, 10, 575, 9217, 65535] {
        let g = Global {
            mtu,
            ..Global::default()
        };
        rejected(
            &db,
            ups(vec![Object::Global(g)]),
            400,
            "is outside 576..=9216",
        );
    }
    let g = Global {
        vxlan_port: 0,
        ..Global::default()
    };
    rejected(&db, ups(vec![Object::Global(g)]), 400, "vxlanPort");
    // IPv6 needs 1280 bytes inside VXLAN: an MTU that leaves less is refused either way round.
    let mut v6 = net("t", "v6", "10.6.0.0/24");
    v6.ipv6_subnet = Some("2001:db8:6::/64".parse().unwrap());
    db.apply(ups(vec![Object::Network(v6.clone())])).unwrap();
    let small = Global {
        mtu: 1300,
        ..Global::default()
    };
    rejected(
        &db,
        ups(vec![Object::Global(small.clone())]),
        400,
        "less than 1280 bytes",
    );
    db.apply(del(Kind::Network, "t:v6")).unwrap();
    db.apply(ups(vec![Object::Global(small)])).unwrap();
    rejected(
        &db,
        ups(vec![Object::Network(v6)]),
        400,
        "less than 1280 bytes",
    );
    // Names that could mislead a terminal, a log or a path.
    for name in [
        "a\u{1b}[2J",
        "evil\u{202e}",
        "nul\0",
        "../x",
        &"n".repeat(65),
    ] {
        rejected(&db, ups(vec![tenant(name)]), 400, "tenantName");
    }
}
