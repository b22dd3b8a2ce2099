//! The OVSDB client against real Open vSwitch: protocol tests on a private `ovsdb-server`,
//! and the typed `Open_vSwitch` operations with a private `ovs-vswitchd` in its own netns.

mod ovsdb_harness;

use netplugin::ovsdb::vswitch::{
    BridgeConfig, DatapathType, InterfaceType, PortConfig, SslFiles, Vswitch,
};
use netplugin::ovsdb::{
    row, Client, Condition, Datum, Error, MonitorRequest, Mutation, Operation, Uuid,
};
use ovsdb_harness::PrivateOvs;
use serde_json::json;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

const DB: &str = "Open_vSwitch";

/// Runs a test body with a deadline, so a lost reply fails instead of hanging.
async fn within<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("test timed out")
}

fn queue(dscp: i64, owner: &str) -> netplugin::ovsdb::Row {
    row([
        ("dscp", Datum::from(dscp)),
        ("external_ids", Datum::string_map([("owner", owner)])),
    ])
}

#[tokio::test]
async fn echo_list_dbs_and_schema() {
    let ovs = PrivateOvs::db_initialized();
    within(async {
        let c = Client::connect(ovs.db_sock()).await.unwrap();
        let params = json!(["ping", {"n": 1}]);
        assert_eq!(c.echo(params.clone()).await.unwrap(), params);
        assert!(c.list_dbs().await.unwrap().contains(&DB.to_string()));
        let schema = c.get_schema(DB).await.unwrap();
        assert_eq!(schema["name"], DB);
        assert!(schema["tables"]["Bridge"].is_object());
        let err = c.get_schema("No_Such_Db").await.unwrap_err();
        assert!(
            matches!(&err, Error::Rpc { method, error } if method == "get_schema" && error.contains("unknown database")),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn transact_insert_select_update_mutate_delete() {
    let ovs = PrivateOvs::db_initialized();
    within(async {
        let c = Client::connect(ovs.db_sock()).await.unwrap();
        // Queue is a root table: its rows live without references.
        let res = c
            .transact(
                DB,
                &[
                    Operation::comment("netplugin test"),
                    Operation::insert("Queue", &queue(10, "a")).uuid_name("q1"),
                    Operation::insert("Queue", &queue(20, "b")),
                ],
            )
            .await
            .unwrap();
        let q1 = res[1].uuid().expect("uuid of the insert");
        assert_ne!(Some(&q1), res[2].uuid().as_ref());
        // The oracle: ovs-vsctl sees the row.
        assert_eq!(ovs.get("queue", &q1.0, "dscp"), "10");

        let where_a = [Condition::includes(
            "external_ids",
            Datum::string_map([("owner", "a")]),
        )];
        let rows = c
            .transact(DB, &[Operation::select("Queue", &where_a, None)])
            .await
            .unwrap()[0]
            .rows()
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["_uuid"], Datum::from(q1.clone()));
        assert_eq!(rows[0]["dscp"].as_integer(), Some(10));

        let res = c
            .transact(
                DB,
                &[
                    Operation::update("Queue", &where_a, &row([("dscp", Datum::from(11))])),
                    Operation::mutate(
                        "Queue",
                        &[],
                        &[Mutation::insert(
                            "other_config",
                            Datum::string_map([("max-rate", "1000")]),
                        )],
                    ),
                    Operation::wait(
                        "Queue",
                        &[Condition::eq("_uuid", q1.clone())],
                        &["dscp"],
                        true,
                        &[row([("dscp", Datum::from(11))])],
                        Some(0),
                    ),
                ],
            )
            .await
            .unwrap();
        assert_eq!(res[0].count(), Some(1));
        assert_eq!(res[1].count(), Some(2));
        assert_eq!(ovs.get("queue", &q1.0, "dscp"), "11");
        assert_eq!(ovs.get("queue", &q1.0, "other_config:max-rate"), "1000");

        let res = c
            .transact(DB, &[Operation::delete("Queue", &where_a)])
            .await
            .unwrap();
        assert_eq!(res[0].count(), Some(1));
        let left = c
            .transact(DB, &[Operation::select("Queue", &[], Some(&["dscp"]))])
            .await
            .unwrap()[0]
            .rows()
            .unwrap();
        assert_eq!(left, [row([("dscp", Datum::from(20))])]);
    })
    .await;
}

#[tokio::test]
async fn operation_errors_are_surfaced_with_their_text() {
    let ovs = PrivateOvs::db_initialized();
    within(async {
        let c = Client::connect(ovs.db_sock()).await.unwrap();
        // A failed wait aborts the transaction: the insert before it is rolled back.
        let err = c
            .transact(
                DB,
                &[
                    Operation::insert("Queue", &queue(1, "x")),
                    Operation::wait(
                        "Queue",
                        &[],
                        &["dscp"],
                        true,
                        &[row([("dscp", Datum::from(42))])],
                        Some(0),
                    ),
                ],
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Operation { index: 1, op, error, .. } if op == "wait" && error == "timed out"),
            "{err:?}"
        );
        assert!(err.to_string().contains("timed out"), "{err}");
        assert_eq!(ovs.vsctl(&["--columns=dscp", "list", "queue"]), "");

        // A constraint checked at commit: dscp must be 0..=63.
        let err = c
            .transact(DB, &[Operation::insert("Queue", &queue(64, "y"))])
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Operation { error, details: Some(d), .. }
                if error == "constraint violation" && d.contains("64")),
            "{err:?}"
        );

        // A malformed operation (an unknown column) fails that operation.
        let err = c
            .transact(
                DB,
                &[Operation::insert("Queue", &row([("no_such_column", Datum::from(1))]))],
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Operation { index: 0, op, details: Some(d), .. }
                if op == "insert" && d.contains("no_such_column")),
            "{err:?}"
        );
        // The connection is still usable.
        assert_eq!(c.echo(json!([])).await.unwrap(), json!([]));
    })
    .await;
}

#[tokio::test]
async fn monitor_delivers_initial_rows_and_updates() {
    let ovs = PrivateOvs::db_initialized();
    within(async {
        let c = Client::connect(ovs.db_sock()).await.unwrap();
        let first = c
            .transact(DB, &[Operation::insert("Queue", &queue(1, "m"))])
            .await
            .unwrap()[0]
            .uuid()
            .unwrap();
        let mut mon = c
            .monitor(
                DB,
                &[("Queue", MonitorRequest::columns(&["dscp", "external_ids"]))],
            )
            .await
            .unwrap();
        let initial = &mon.initial["Queue"][&first];
        assert_eq!(initial.old, None);
        assert_eq!(initial.new.as_ref().unwrap()["dscp"].as_integer(), Some(1));

        // Changes made by someone else (ovs-vsctl) arrive as notifications.
        let second = Uuid(ovs.vsctl(&["create", "queue", "dscp=2"]));
        let up = mon.next().await.unwrap();
        let ins = &up["Queue"][&second];
        assert_eq!(
            (
                ins.old.as_ref(),
                ins.new.as_ref().unwrap()["dscp"].as_integer()
            ),
            (None, Some(2))
        );

        ovs.vsctl(&["set", "queue", &first.0, "dscp=5"]);
        let up = mon.next().await.unwrap();
        let m = &up["Queue"][&first];
        assert_eq!(m.old.as_ref().unwrap()["dscp"].as_integer(), Some(1));
        assert_eq!(m.new.as_ref().unwrap()["dscp"].as_integer(), Some(5));
        assert_eq!(
            m.new.as_ref().unwrap()["external_ids"].to_string_map(),
            BTreeMap::from([("owner".to_string(), "m".to_string())])
        );

        ovs.vsctl(&["destroy", "queue", &second.0]);
        let up = mon.next().await.unwrap();
        let del = &up["Queue"][&second];
        assert_eq!(del.new, None);
        assert_eq!(del.old.as_ref().unwrap()["dscp"].as_integer(), Some(2));

        mon.cancel().await.unwrap();
        // After the cancel, the connection keeps working and nothing more is routed.
        ovs.vsctl(&["destroy", "queue", &first.0]);
        assert_eq!(c.echo(json!(["after"])).await.unwrap(), json!(["after"]));
    })
    .await;
}

#[tokio::test]
async fn open_vswitch_row_and_hw_offload() {
    let ovs = PrivateOvs::db_only();
    within(async {
        let vs = Vswitch::connect(ovs.db_sock()).await.unwrap();
        let cfg = BridgeConfig {
            name: "br-x".into(),
            datapath_type: Some(DatapathType::Netdev),
            datapath_id: 1,
            controllers: vec!["tcp:127.0.0.1:6653".into()],
            external_ids: Default::default(),
        };
        // Nothing can be attached before the Open_vSwitch row exists.
        assert!(matches!(
            vs.ensure_bridge(&cfg).await,
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            vs.set_hw_offload(true).await,
            Err(Error::NotFound(_))
        ));
        let bridges = Operation::select("Bridge", &[], Some(&["name"]));
        let res = vs.client().transact(DB, &[bridges]).await.unwrap();
        assert_eq!(res[0].rows().unwrap(), []);

        let init = vs.ensure_initialized().await.unwrap();
        assert!(init.changed);
        let again = vs.ensure_initialized().await.unwrap();
        assert_eq!((again.uuid, again.changed), (init.uuid, false));

        vs.set_hw_offload(true).await.unwrap();
        assert_eq!(
            ovs.get("open_vswitch", ".", "other_config:hw-offload"),
            "true"
        );
        vs.set_hw_offload(false).await.unwrap();
        assert_eq!(
            ovs.get("open_vswitch", ".", "other_config:hw-offload"),
            "false"
        );
    })
    .await;
}

#[tokio::test]
async fn ssl_credentials_as_set_ssl_writes_them() {
    let ovs = PrivateOvs::db_only();
    within(async {
        let vs = Vswitch::connect(ovs.db_sock()).await.unwrap();
        let files = SslFiles {
            private_key: "/etc/np/host1-privkey.pem".into(),
            certificate: "/etc/np/host1-cert.pem".into(),
            ca_cert: "/etc/np/controllerca.pem".into(),
        };
        assert!(matches!(
            vs.ensure_ssl(&files).await,
            Err(Error::NotFound(_))
        ));
        vs.ensure_initialized().await.unwrap();
        let first = vs.ensure_ssl(&files).await.unwrap();
        assert!(first.changed);
        let shown = ovs.vsctl(&["get-ssl"]);
        for line in [
            "Private key: /etc/np/host1-privkey.pem",
            "Certificate: /etc/np/host1-cert.pem",
            "CA Certificate: /etc/np/controllerca.pem",
            "Bootstrap: false",
        ] {
            assert!(shown.contains(line), "{line} missing from:\n{shown}");
        }
        let again = vs.ensure_ssl(&files).await.unwrap();
        assert_eq!((again.uuid, again.changed), (first.uuid.clone(), false));
        // Other files: a new row replaces the old one, which goes with it.
        let other = SslFiles {
            ca_cert: "/etc/np/other-ca.pem".into(),
            ..files
        };
        let changed = vs.ensure_ssl(&other).await.unwrap();
        assert!(changed.changed);
        assert_ne!(changed.uuid, first.uuid);
        assert!(ovs
            .vsctl(&["get-ssl"])
            .contains("CA Certificate: /etc/np/other-ca.pem"));
        let rows = ovs.vsctl(&["--columns=_uuid", "list", "SSL"]);
        assert_eq!(rows.matches("_uuid").count(), 1, "{rows}");
    })
    .await;
}

fn bridge(dpid: u64, controller: &str) -> BridgeConfig {
    BridgeConfig {
        name: "br-int".into(),
        datapath_type: Some(DatapathType::Netdev),
        datapath_id: dpid,
        controllers: vec![controller.into()],
        external_ids: [("netplugin-vtep-ip".to_string(), "10.0.0.1".to_string())].into(),
    }
}

/// The transaction record (in `ovsdb-tool -m show-log`) whose comment is `comment`.
fn log_record(ovs: &PrivateOvs, comment: &str) -> String {
    let log = ovs.show_log();
    let records: Vec<&str> = log.split("\nrecord ").collect();
    let found: Vec<&&str> = records.iter().filter(|r| r.contains(comment)).collect();
    assert_eq!(found.len(), 1, "one record with {comment:?} in:\n{log}");
    found[0].to_string()
}

#[tokio::test]
async fn bridge_with_controller_in_one_transaction() {
    let ovs = PrivateOvs::with_vswitchd();
    within(async {
        let vs = Vswitch::connect(ovs.db_sock()).await.unwrap();
        let target = format!("unix:{}/ctl.sock", ovs.dir.display());
        let created = vs.ensure_bridge(&bridge(0xabc, &target)).await.unwrap();
        assert!(created.changed);

        let get = |col: &str| ovs.get("bridge", "br-int", col);
        assert_eq!(get("_uuid"), created.uuid.0);
        assert_eq!(get("datapath_type"), "netdev");
        assert_eq!(get("protocols"), "[OpenFlow13]");
        assert_eq!(get("fail_mode"), "secure");
        assert_eq!(get("other_config:datapath-id"), "0000000000000abc");
        assert_eq!(get("external_ids:netplugin-vtep-ip"), "10.0.0.1");
        assert_eq!(get("other_config:disable-in-band"), "true");
        let controllers = ovs.vsctl(&["--columns=_uuid,target", "list", "controller"]);
        assert!(
            controllers.contains(&format!("\"{target}\"")),
            "{controllers}"
        );
        let ctl_uuid = get("controller").trim_matches(['[', ']']).to_string();
        assert!(
            controllers.contains(&ctl_uuid),
            "{ctl_uuid} in {controllers}"
        );
        assert_eq!(ovs.vsctl(&["get-controller", "br-int"]), target);

        // The database log proves that Bridge and Controller were committed together.
        let record = log_record(&ovs, "netplugin: create bridge br-int");
        for table in ["table Bridge", "table Controller", "table Open_vSwitch"] {
            assert!(record.contains(table), "{table} in {record}");
        }

        // ovs-vswitchd runs the bridge: the datapath id reaches OpenFlow.
        let dpid = (0..200)
            .find_map(|_| {
                let id = get("datapath_id");
                if id.contains("abc") {
                    Some(id)
                } else {
                    std::thread::sleep(Duration::from_millis(50));
                    None
                }
            })
            .expect("ovs-vswitchd did not configure br-int");
        assert_eq!(dpid, "0000000000000abc");

        // Idempotent: the same request changes nothing (no new transaction either).
        let log_len = ovs.show_log().len();
        let again = vs.ensure_bridge(&bridge(0xabc, &target)).await.unwrap();
        assert_eq!((&again.uuid, again.changed), (&created.uuid, false));
        assert_eq!(ovs.show_log().len(), log_len);

        // A new target and dpid: the same Controller row is retargeted, nothing else moves.
        let target2 = format!("unix:{}/ctl2.sock", ovs.dir.display());
        let changed = vs.ensure_bridge(&bridge(0xdef, &target2)).await.unwrap();
        assert_eq!((&changed.uuid, changed.changed), (&created.uuid, true));
        assert_eq!(ovs.vsctl(&["get-controller", "br-int"]), target2);
        assert_eq!(get("controller").trim_matches(['[', ']']), ctl_uuid);
        assert_eq!(get("other_config:datapath-id"), "0000000000000def");
        assert_eq!(get("other_config:disable-in-band"), "true");

        // Three replicas: the row of the target kept stays, two rows are added; back to one,
        // the others go.
        let replicas: Vec<String> = (2..=4)
            .map(|i| format!("unix:{}/ctl{i}.sock", ovs.dir.display()))
            .collect();
        let three = BridgeConfig {
            controllers: replicas.clone(),
            ..bridge(0xdef, &target2)
        };
        assert!(vs.ensure_bridge(&three).await.unwrap().changed);
        assert_eq!(
            ovs.vsctl(&["get-controller", "br-int"]),
            replicas.join("\n")
        );
        assert!(get("controller").contains(&ctl_uuid));
        assert!(!vs.ensure_bridge(&three).await.unwrap().changed);
        assert!(
            vs.ensure_bridge(&bridge(0xdef, &target2))
                .await
                .unwrap()
                .changed
        );
        assert_eq!(ovs.vsctl(&["get-controller", "br-int"]), target2);
        assert_eq!(get("controller").trim_matches(['[', ']']), ctl_uuid);

        // Settings changed by hand are repaired; external ids of others stay.
        ovs.vsctl(&[
            "set",
            "bridge",
            "br-int",
            "fail_mode=standalone",
            "protocols=OpenFlow10",
            "external_ids:netplugin-vtep-ip=10.9.9.9",
            "external_ids:theirs=x",
        ]);
        assert!(
            vs.ensure_bridge(&bridge(0xdef, &target2))
                .await
                .unwrap()
                .changed
        );
        assert_eq!(
            (get("fail_mode"), get("protocols")),
            ("secure".into(), "[OpenFlow13]".into())
        );
        assert_eq!(get("external_ids:netplugin-vtep-ip"), "10.0.0.1");
        assert_eq!(get("external_ids:theirs"), "x");

        assert!(vs.delete_bridge("br-int").await.unwrap());
        assert!(!vs.delete_bridge("br-int").await.unwrap());
        assert_eq!(ovs.vsctl(&["list-br"]), "");
        assert_eq!(ovs.vsctl(&["--columns=target", "list", "controller"]), "");
    })
    .await;
}

fn ids(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn ports_with_options_external_ids_and_ofports() {
    let ovs = PrivateOvs::with_vswitchd();
    within(async {
        let vs = Vswitch::connect(ovs.db_sock()).await.unwrap();
        let target = format!("unix:{}/ctl.sock", ovs.dir.display());
        vs.ensure_bridge(&bridge(1, &target)).await.unwrap();

        let mut internal = PortConfig::new("vp1", InterfaceType::Internal);
        internal.ofport_request = Some(7);
        internal.mtu_request = Some(1400);
        internal.external_ids =
            ids(&[("endpoint-id", "ep-1"), ("tenant", "t1"), ("network", "n1")]);
        let mut vxlan = PortConfig::new("vxlan0", InterfaceType::Vxlan);
        vxlan.ofport_request = Some(100);
        vxlan.options = ids(&[
            ("remote_ip", "flow"),
            ("key", "flow"),
            ("local_ip", "10.200.0.1"),
        ]);
        vxlan.external_ids = ids(&[("role", "tunnel")]);

        let p1 = vs.ensure_port("br-int", &internal).await.unwrap();
        let p2 = vs.ensure_port("br-int", &vxlan).await.unwrap();
        assert!(p1.changed && p2.changed);
        // Port, Interface and the bridge's port list went in together.
        let record = log_record(&ovs, "netplugin: add port vp1 to br-int");
        for table in ["table Port", "table Interface", "table Bridge"] {
            assert!(record.contains(table), "{table} in {record}");
        }

        let wait = Duration::from_secs(20);
        assert_eq!(vs.wait_ofport("vp1", wait).await.unwrap(), 7);
        assert_eq!(vs.wait_ofport("vxlan0", wait).await.unwrap(), 100);

        // The oracle agrees.
        let iface = |name: &str, col: &str| ovs.get("interface", name, col);
        assert_eq!(iface("vp1", "ofport"), "7");
        assert_eq!(iface("vp1", "type"), "internal");
        assert_eq!(iface("vp1", "mtu_request"), "1400");
        assert_eq!(iface("vp1", "external_ids:endpoint-id"), "ep-1");
        assert_eq!(ovs.get("port", "vp1", "external_ids:tenant"), "t1");
        assert_eq!(iface("vxlan0", "ofport"), "100");
        assert_eq!(iface("vxlan0", "type"), "vxlan");
        assert_eq!(
            iface("vxlan0", "options"),
            "{key=flow, local_ip=\"10.200.0.1\", remote_ip=flow}"
        );
        let mut listed = ovs
            .vsctl(&["list-ports", "br-int"])
            .lines()
            .map(String::from)
            .collect::<Vec<_>>();
        listed.sort();
        assert_eq!(listed, ["vp1", "vxlan0"]);

        let ports = vs.list_ports("br-int").await.unwrap();
        let names: Vec<_> = ports.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["br-int", "vp1", "vxlan0"]);
        assert_eq!(ports[1].uuid, p1.uuid);
        assert_eq!(ports[1].ofport, Some(7));
        assert_eq!(ports[1].interface_type, "internal");
        assert_eq!(ports[1].external_ids, internal.external_ids);
        assert_eq!(
            (ports[2].ofport, ports[2].interface_type.as_str()),
            (Some(100), "vxlan")
        );
        assert_eq!(ports[0].ofport, Some(65534), "the bridge's local port");

        // Idempotent, and a changed request updates in place.
        assert!(!vs.ensure_port("br-int", &internal).await.unwrap().changed);
        assert!(!vs.ensure_port("br-int", &vxlan).await.unwrap().changed);
        internal.external_ids.insert("tenant".into(), "t2".into());
        let again = vs.ensure_port("br-int", &internal).await.unwrap();
        assert_eq!((&again.uuid, again.changed), (&p1.uuid, true));
        assert_eq!(ovs.get("port", "vp1", "external_ids:tenant"), "t2");
        assert_eq!(iface("vp1", "external_ids:tenant"), "t2");

        // A name taken on another bridge is a conflict, not a move.
        let other = BridgeConfig {
            name: "br-other".into(),
            ..bridge(2, &target)
        };
        vs.ensure_bridge(&other).await.unwrap();
        let err = vs.ensure_port("br-other", &internal).await.unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err:?}");
        assert!(matches!(
            vs.delete_port("br-other", "vp1").await,
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            vs.ensure_port("br-none", &internal).await,
            Err(Error::NotFound(_))
        ));

        assert!(vs.delete_bridge("br-other").await.unwrap());

        assert!(vs.delete_port("br-int", "vp1").await.unwrap());
        assert!(vs.delete_port("br-int", "vxlan0").await.unwrap());
        assert!(!vs.delete_port("br-int", "vxlan0").await.unwrap());
        assert_eq!(ovs.vsctl(&["list-ports", "br-int"]), "");
        // The Port and Interface rows went with it (garbage-collected).
        assert_eq!(
            ovs.vsctl(&["--bare", "--columns=name", "list", "interface"]),
            "br-int"
        );
        assert_eq!(
            ovs.vsctl(&["--bare", "--columns=name", "list", "port"]),
            "br-int"
        );
    })
    .await;
}

#[tokio::test]
async fn interface_errors_and_deadlines() {
    let ovs = PrivateOvs::with_vswitchd();
    within(async {
        let vs = Vswitch::connect(ovs.db_sock()).await.unwrap();
        let target = format!("unix:{}/ctl.sock", ovs.dir.display());
        vs.ensure_bridge(&bridge(3, &target)).await.unwrap();
        // A system port for a device that does not exist: ovs-vswitchd reports the error.
        let missing = PortConfig::new("nodev0", InterfaceType::System);
        vs.ensure_port("br-int", &missing).await.unwrap();
        let err = vs.wait_ofport("nodev0", Duration::from_secs(20)).await.unwrap_err();
        assert!(
            matches!(&err, Error::Interface { name, error } if name == "nodev0" && error.contains("nodev0")),
            "{err:?}"
        );
        // An interface nobody creates: the deadline.
        let err = vs.wait_ofport("ghost", Duration::from_millis(300)).await.unwrap_err();
        assert!(matches!(err, Error::Timeout(_)), "{err:?}");
        // The connection survives the cancelled monitors.
        assert_eq!(vs.client().echo(json!([1])).await.unwrap(), json!([1]));
    })
    .await;
}
