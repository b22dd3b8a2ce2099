//! Attaching an SR-IOV VF, with a stand-in for the hardware: in a private "host" namespace a
//! veth plays the PF and one end of a veth pair plays its VF 0 (a fake sysfs tree
//! says so). The real netlink calls run: the VF settings sent through the PF are refused by the
//! kernel (a veth has no VFs) with nothing moved; the move into the container namespace, the
//! container-side configuration and the move back on detach are real. Needs root.

use netplugin::attach::{Resolved, Target};
use netplugin::attach_vf::{self, VfTarget};
use netplugin::netlink::{EndpointSpec, IpConfig, Plumbing};
use netplugin::sriov::{self, Step, Sysfs, VfExecutor};
use northbound_model::model::{Encap, Endpoint, Network};
use std::fs;
use std::net::Ipv4Addr;
use std::os::unix::fs::symlink;
use std::path::PathBuf;
use std::process::Command;

struct Cleanup {
    namespaces: Vec<String>,
    dir: PathBuf,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for ns in &self.namespaces {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn ip(args: &[&str]) -> String {
    let out = Command::new("ip").args(args).output().expect("ip");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fake sysfs where PF `ens1f0` (legacy mode) has VF 0 with netdev `ens1f0v0`.
fn fake_sysfs(root: &std::path::Path) {
    let pf_dev = root.join("devices/pci0000:00/0000:03:00.0");
    fs::create_dir_all(&pf_dev).unwrap();
    fs::write(pf_dev.join("sriov_totalvfs"), "4\n").unwrap();
    fs::write(pf_dev.join("sriov_numvfs"), "1\n").unwrap();
    let net = root.join("class/net/ens1f0");
    fs::create_dir_all(net.join("compat/devlink")).unwrap();
    fs::write(net.join("compat/devlink/mode"), "legacy\n").unwrap();
    symlink(
        "../../../devices/pci0000:00/0000:03:00.0",
        net.join("device"),
    )
    .unwrap();
    let vf = root.join("devices/pci0000:00/0000:03:00.2");
    fs::create_dir_all(vf.join("net/ens1f0v0")).unwrap();
    symlink("../0000:03:00.2", pf_dev.join("virtfn0")).unwrap();
}

fn resolved(netns: &str) -> Resolved {
    let endpoint = Endpoint {
        host: Some("host1".into()),
        mac_address: Some("02:00:00:00:0a:01".parse().unwrap()),
        ip_address: Some("10.7.0.5".parse().unwrap()),
        ..Endpoint::named("t1", "red", "vm1")
    };
    let network = Network {
        tenant_name: "t1".into(),
        network_name: "red".into(),
        encap: Encap::Vlan,
        pkt_tag: Some(300),
        subnet: "10.7.0.0/24".parse().unwrap(),
        gateway: Some("10.7.0.254".parse().unwrap()),
        ipv6_subnet: None,
        ipv6_gateway: None,
        multicast: Default::default(),
        cfgd_tag: None,
        nw_type: Default::default(),
    };
    let spec = EndpointSpec {
        netns: PathBuf::from(netns),
        host_ifname: "unused".into(),
        container_ifname: "eth0".into(),
        mtu: 1400,
        mac: Some([2, 0, 0, 0, 0x0a, 1]),
        ipv4: IpConfig {
            address: Ipv4Addr::new(10, 7, 0, 5),
            prefix_len: 24,
            gateway: Some(Ipv4Addr::new(10, 7, 0, 254)),
        },
        ipv6: None,
        on_link: Vec::new(),
    };
    Resolved {
        endpoint,
        network,
        spec,
    }
}

#[test]
fn a_vf_moves_into_the_container_configured_and_back() {
    assert!(
        nix::unistd::Uid::effective().is_root(),
        "this test needs root (network namespaces)"
    );
    let tag = std::process::id();
    let (host_ns, ctr_ns) = (format!("sriovh{tag}"), format!("sriovc{tag}"));
    let dir = std::env::temp_dir().join(format!("sriov-attach-{tag}"));
    let _ = fs::remove_dir_all(&dir);
    let _cleanup = Cleanup {
        namespaces: vec![host_ns.clone(), ctr_ns.clone()],
        dir: dir.clone(),
    };
    ip(&["netns", "add", &host_ns]);
    ip(&["netns", "add", &ctr_ns]);
    ip(&[
        "-n", &host_ns, "link", "add", "ens1f0", "type", "veth", "peer", "name", "pfpeer",
    ]);
    ip(&[
        "-n", &host_ns, "link", "add", "ens1f0v0", "type", "veth", "peer", "name", "wire0",
    ]);
    fake_sysfs(&dir);
    let netns_path = format!("/var/run/netns/{ctr_ns}");
    let host_path = format!("/var/run/netns/{host_ns}");

    let target = Target {
        container: "vm1".into(),
        tenant: "t1".into(),
        netns: PathBuf::from(&netns_path),
        netmaster: netplugin::netmaster::Netmaster::new("http://127.0.0.1:1", None, None).unwrap(),
        ovsdb: "unix:/nonexistent".into(),
        bridge: "br-int".into(),
        host_label: "host1".into(),
        ifname: None,
        docker_id: None,
    };
    let vf = VfTarget {
        pf: "ens1f0".into(),
        vf: 0,
        sysfs: Sysfs::new(&dir),
    };
    let res = resolved(&netns_path);

    // Legacy mode: the NIC tags with the network's VLAN; MAC and spoof checking are set.
    let req = attach_vf::vf_request(&target, &res, &vf, false);
    assert_eq!(req.config.mac, Some([2, 0, 0, 0, 0x0a, 1]));
    assert_eq!(req.config.vlan, Some((300, 0)));
    assert_eq!(
        (req.config.spoof_check, req.config.trust),
        (Some(true), Some(false))
    );
    assert_eq!(req.external_ids["endpoint-id"], "t1:vm1");
    // Switchdev: Open vSwitch tags through the representor, the NIC does not.
    assert_eq!(
        attach_vf::vf_request(&target, &res, &vf, true).config.vlan,
        None
    );
    let plan = sriov::plan_endpoint(&vf.sysfs, &req).unwrap();
    assert!(matches!(
        plan.as_slice(),
        [Step::ConfigureVf { .. }, Step::MoveToNetns { .. }]
    ));

    // Everything below runs in the host namespace, as the agent would.
    let (target2, vf2, spec) = (target.clone(), vf.clone(), res.spec.clone());
    std::thread::spawn(move || {
        let f = fs::File::open(&host_path).unwrap();
        nix::sched::setns(&f, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let exec = VfExecutor::connect().unwrap();
            // The PF is a veth: the kernel refuses VF settings, and nothing has moved.
            let err = exec.apply(&plan, None).await.unwrap_err().to_string();
            assert!(err.contains("VF 0 of ens1f0"), "{err}");
            assert!(err.to_lowercase().contains("not supported"), "{err}");
            // The move and the configuration inside the container are real.
            let moves: Vec<Step> = plan
                .iter()
                .filter(|s| matches!(s, Step::MoveToNetns { .. }))
                .cloned()
                .collect();
            exec.apply(&moves, None).await.unwrap();
            let mac = Plumbing::new()
                .unwrap()
                .configure_moved(&spec)
                .await
                .unwrap();
            assert_eq!(mac, [2, 0, 0, 0, 0x0a, 1]);
            // Detach: back to the host as ens1f0v0; a second detach finds nothing.
            assert!(attach_vf::detach(&target2, &vf2).await.unwrap());
            assert!(!attach_vf::detach(&target2, &vf2).await.unwrap());
        });
    })
    .join()
    .unwrap_or_else(|e| std::panic::resume_unwind(e));
    // (Checked from outside after the thread: the VF is back in the host namespace.)
    let back = ip(&["-n", &host_ns, "-br", "link", "show", "ens1f0v0"]);
    assert!(back.starts_with("ens1f0v0"), "{back}");
    let in_ctr = ip(&["-n", &ctr_ns, "-br", "link"]);
    assert!(!in_ctr.contains("eth0"), "{in_ctr}");
}

#[test]
fn the_container_side_of_a_vf_is_configured_like_a_veth_end() {
    assert!(nix::unistd::Uid::effective().is_root(), "needs root");
    let tag = std::process::id();
    let ctr_ns = format!("sriovk{tag}");
    let _cleanup = Cleanup {
        namespaces: vec![ctr_ns.clone()],
        dir: std::env::temp_dir().join(format!("sriov-k-{tag}")),
    };
    ip(&["netns", "add", &ctr_ns]);
    // The "VF", already moved in and named eth0.
    ip(&[
        "-n", &ctr_ns, "link", "add", "eth0", "type", "veth", "peer", "name", "peer0",
    ]);
    let netns_path = format!("/var/run/netns/{ctr_ns}");
    let spec = resolved(&netns_path).spec;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        Plumbing::new()
            .unwrap()
            .configure_moved(&spec)
            .await
            .unwrap();
    });
    let link = ip(&["-n", &ctr_ns, "-j", "link", "show", "eth0"]);
    let link: serde_json::Value = serde_json::from_str(&link).unwrap();
    assert_eq!(link[0]["mtu"], 1400);
    assert_eq!(link[0]["address"], "02:00:00:00:0a:01");
    assert!(link[0]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "UP"));
    let addr = ip(&["-n", &ctr_ns, "-br", "addr", "show", "eth0"]);
    assert!(addr.contains("10.7.0.5/24"), "{addr}");
    let route = ip(&["-n", &ctr_ns, "route", "show", "default"]);
    assert!(route.contains("via 10.7.0.254 dev eth0"), "{route}");
}
