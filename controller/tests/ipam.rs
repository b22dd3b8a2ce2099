//! `netctl ipam import|export` against a running netmaster: 1,000 addresses over three
//! tenants imported in one go; a file with one row at fault is refused whole, naming that row;
//! `--skip-invalid` imports the rest; imported addresses and MACs are never handed to anyone
//! else, and an endpoint that appears later under an imported owner gets them; an export
//! imported into another netmaster gives the same state.

#[path = "support/api_netmaster.rs"]
mod api_netmaster;

use api_netmaster::ApiNetmaster;
use northbound_api::model::{Encap, Endpoint, Network, Object, Tenant};
use northbound_api::service::Batch;
use northbound_client::client::Client;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TENANTS: [&str; 3] = ["alpha", "beta", "gamma"];

fn netctl(nm: &ApiNetmaster, args: &[&str]) -> Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_netmaster")).with_file_name("netctl");
    assert!(
        bin.exists(),
        "{} is missing: build northbound-client",
        bin.display()
    );
    Command::new(bin)
        .args(["--netmaster", &nm.url])
        .args(args)
        .output()
        .expect("run netctl")
}

/// A netmaster over a store in `dir`, with a /22 network `net` in each tenant.
fn start(dir: &Path) -> ApiNetmaster {
    let store = dir.join("intent.redb");
    let nm = ApiNetmaster::start(
        &dir.join("of.sock"),
        &[OsStr::new("--store"), store.as_os_str()],
    );
    let mut upserts = Vec::new();
    for (i, t) in TENANTS.iter().enumerate() {
        upserts.push(Object::Tenant(Tenant::named(*t)));
        upserts.push(Object::Network(Network {
            tenant_name: t.to_string(),
            network_name: "net".into(),
            nw_type: Default::default(),
            encap: Encap::Vxlan,
            pkt_tag: None,
            subnet: format!("10.{i}.0.0/22").parse().unwrap(),
            gateway: None,
            ipv6_subnet: None,
            ipv6_gateway: None,
            multicast: Default::default(),
            cfgd_tag: None,
        }));
    }
    Client::new(&nm.url)
        .apply(&Batch {
            upserts,
            ..Batch::default()
        })
        .expect("tenants and networks");
    nm
}

/// 1,000 rows: owner `cN` of tenant N % 3, addresses from the start of the tenant's network,
/// MACs from the range netmaster allocates from, every third row on host `h1`.
fn rows() -> Vec<String> {
    (0..1000u32)
        .map(|n| {
            let t = n as usize % 3;
            let k = n / 3 + 1;
            let host = if n % 3 == 0 { "h1" } else { "" };
            format!(
                "{},net,10.{t}.{}.{},02:02:00:00:{:02x}:{:02x},c{n},{host}",
                TENANTS[t],
                k / 256,
                k % 256,
                (n + 1) >> 8,
                (n + 1) & 0xff
            )
        })
        .collect()
}

fn write(dir: &Path, name: &str, rows: &[String]) -> PathBuf {
    let path = dir.join(name);
    let mut text = String::from("tenant,network,address,mac,owner,host\n");
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn endpoints(nm: &ApiNetmaster) -> Vec<Endpoint> {
    Client::new(&nm.url).endpoints().expect("endpoints")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn import_refuse_skip_allocate_around_and_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let nm = start(dir.path());
    let good = rows();

    // One row at fault (its address is row 7's) in 1,001: nothing is imported, that row is named.
    let mut bad = good.clone();
    bad.push("beta,net,10.1.0.3,,intruder,".into());
    let path = write(dir.path(), "bad.csv", &bad);
    let out = netctl(&nm, &["ipam", "import", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nothing imported: 1 of 1001 rows cannot be"),
        "{err}"
    );
    assert!(
        err.contains("row 1001 (beta,net,10.1.0.3,,intruder,,): 10.1.0.3 is row 8's"),
        "{err}"
    );
    assert_eq!(err.matches("  row ").count(), 1, "{err}");
    assert!(endpoints(&nm).is_empty(), "a refused file changes nothing");

    // The good file: 1,000 endpoints, host h1 created.
    let path = write(dir.path(), "good.csv", &good);
    assert_eq!(
        ok(netctl(&nm, &["ipam", "import", path.to_str().unwrap()])),
        "imported 1000 rows\n"
    );
    let eps = endpoints(&nm);
    assert_eq!(eps.len(), 1000);
    let c3 = eps
        .iter()
        .find(|e| e.tenant_name == "alpha" && e.container_name == "c3")
        .unwrap();
    assert_eq!(
        (
            c3.ip_address.map(|a| a.to_string()),
            c3.mac_address.map(|m| m.to_string()),
            c3.host.as_deref()
        ),
        (
            Some("10.0.0.2".into()),
            Some("02:02:00:00:00:04".into()),
            Some("h1")
        )
    );
    // Importing the same file again changes nothing; two faults are both named.
    assert_eq!(
        ok(netctl(&nm, &["ipam", "import", path.to_str().unwrap()])),
        "imported 1000 rows\n"
    );
    let two = write(
        dir.path(),
        "two.csv",
        &[
            "gamma,net,10.2.3.9,02:02:00:00:00:01,x1,".into(),
            "gamma,nope,10.2.3.10,,x2,".into(),
        ],
    );
    let err =
        String::from_utf8_lossy(&netctl(&nm, &["ipam", "import", two.to_str().unwrap()]).stderr)
            .into_owned();
    assert!(err.contains("row 1 (gamma,net,10.2.3.9,02:02:00:00:00:01,x1,,): MAC 02:02:00:00:00:01 is endpoint alpha:c0's"), "{err}");
    assert!(
        err.contains("row 2 (gamma,nope,10.2.3.10,,x2,,): network gamma:nope does not exist"),
        "{err}"
    );
    // --skip-invalid imports the rest and lists what it skipped.
    let mixed = write(
        dir.path(),
        "mixed.csv",
        &[
            "gamma,net,10.2.3.9,,x1,".into(),
            "gamma,nope,10.2.3.10,,x2,".into(),
        ],
    );
    let out = ok(netctl(
        &nm,
        &["ipam", "import", "--skip-invalid", mixed.to_str().unwrap()],
    ));
    assert!(
        out.starts_with("imported 1 rows\nskipped 1:\n  row 2 "),
        "{out}"
    );

    // Imported addresses and MACs are never handed to anyone else; an owner appearing later
    // (an intent batch naming it without addresses) gets its own.
    let client = Client::new(&nm.url);
    let fresh = |tenant: &str, name: &str| Object::Endpoint(Endpoint::named(tenant, "net", name));
    let stored = client
        .apply(&Batch {
            upserts: vec![fresh("alpha", "newcomer"), fresh("alpha", "c3")],
            ..Batch::default()
        })
        .unwrap();
    let (Object::Endpoint(newcomer), Object::Endpoint(c3)) = (&stored[0], &stored[1]) else {
        panic!("{stored:?}")
    };
    let imported: std::collections::BTreeSet<(String, String)> = eps
        .iter()
        .map(|e| {
            (
                e.ip_address.unwrap().to_string(),
                e.mac_address.unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        newcomer.ip_address.map(|a| a.to_string()).as_deref(),
        Some("10.0.1.79"),
        "after alpha's 334"
    );
    assert!(!imported
        .iter()
        .any(|(_, mac)| Some(mac.clone()) == newcomer.mac_address.map(|m| m.to_string())));
    assert_eq!(
        c3.ip_address.map(|a| a.to_string()).as_deref(),
        Some("10.0.0.2")
    );
    assert_eq!(
        c3.mac_address.map(|m| m.to_string()).as_deref(),
        Some("02:02:00:00:00:04")
    );

    // Export, import into another netmaster with the same networks: the same state.
    let export = ok(netctl(&nm, &["ipam", "export"]));
    assert_eq!(
        export.lines().count(),
        1 + 1000 + 1 + 1,
        "header, rows, x1, newcomer"
    );
    let other_dir = tempfile::tempdir().unwrap();
    let other = start(other_dir.path());
    let exported = other_dir.path().join("export.csv");
    std::fs::write(&exported, &export).unwrap();
    assert_eq!(
        ok(netctl(
            &other,
            &["ipam", "import", exported.to_str().unwrap()]
        )),
        "imported 1002 rows\n"
    );
    assert_eq!(ok(netctl(&other, &["ipam", "export"])), export);
    let json = ok(netctl(&other, &["ipam", "export", "--json", "-t", "beta"]));
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(rows.as_array().map(Vec::len), Some(333));
}
