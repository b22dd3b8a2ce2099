//! SR-IOV without hardware: a fake sysfs tree in a temporary directory, and the VF netlink
//! messages checked as bytes. Nothing here touches the kernel (see `docs/sriov.md`).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use netplugin::ovsdb::vswitch::InterfaceType;
use netplugin::sriov::vf::{
    set_vf_mac_message, set_vf_spoofchk_message, set_vf_trust_message, set_vf_vlan_message,
};
use netplugin::sriov::{
    plan_endpoint, set_vf_message, setlink_bytes, Error, EswitchMode, Representor, Step, Sysfs,
    VfConfig, VfDevice, VfEndpointRequest,
};
use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_REQUEST};
use rtnetlink::packet_route::link::{LinkAttribute, VfInfo};
use rtnetlink::packet_route::RouteNetlinkMessage;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

const PF: &str = "ens1f0";
const SWITCH_ID: &str = "8c2a8e0003bd9a0c";

/// A fake sysfs root, removed on drop.
struct FakeSys {
    root: PathBuf,
}

impl Drop for FakeSys {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn write(path: impl AsRef<Path>, contents: &str) {
    let path = path.as_ref();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

impl FakeSys {
    /// PF `ens1f0` (0000:03:00.0, totalvfs 8) with `numvfs` VFs 0000:03:00.{2+N}, VF netdevs
    /// `ens1f0vN` (except VF 3, left without a driver when it exists), a non-SR-IOV `eth9`, and
    /// with `switchdev` the representors `ens1f0_N` (`pf0vfN`) plus a decoy on another
    /// switch. `mode` writes the `compat/devlink/mode` hint.
    fn new(numvfs: u32, switchdev: bool, mode: Option<&str>) -> FakeSys {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("sriov-test-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let fake = FakeSys { root };
        let root = &fake.root;
        let devices = root.join("devices/pci0000:00");
        let pf_dev = devices.join("0000:03:00.0");
        write(pf_dev.join("sriov_totalvfs"), "8\n");
        write(pf_dev.join("sriov_numvfs"), &format!("{numvfs}\n"));
        let net = root.join("class/net");
        fs::create_dir_all(net.join(PF)).unwrap();
        symlink(
            "../../../devices/pci0000:00/0000:03:00.0",
            net.join(PF).join("device"),
        )
        .unwrap();
        write(net.join(PF).join("phys_port_name"), "p0\n");
        if switchdev {
            write(
                net.join(PF).join("phys_switch_id"),
                &format!("{SWITCH_ID}\n"),
            );
        }
        if let Some(mode) = mode {
            write(
                net.join(PF).join("compat/devlink/mode"),
                &format!("{mode}\n"),
            );
        }
        for vf in 0..numvfs {
            let addr = format!("0000:03:00.{}", vf + 2);
            fs::create_dir_all(devices.join(&addr)).unwrap();
            symlink(format!("../{addr}"), pf_dev.join(format!("virtfn{vf}"))).unwrap();
            if vf != 3 {
                fs::create_dir_all(devices.join(&addr).join(format!("net/{PF}v{vf}"))).unwrap();
            }
            if switchdev {
                let rep = net.join(format!("{PF}_{vf}"));
                write(rep.join("phys_switch_id"), &format!("{SWITCH_ID}\n"));
                write(rep.join("phys_port_name"), &format!("pf0vf{vf}\n"));
            }
        }
        if switchdev {
            // Same port name, other switch: not ours.
            let decoy = net.join("ens2f0_0");
            write(decoy.join("phys_switch_id"), "ffff000000000000\n");
            write(decoy.join("phys_port_name"), "pf0vf0\n");
            // Same switch, PF 1's VF: not ours either.
            let other_pf = net.join("ens1f1_0");
            write(other_pf.join("phys_switch_id"), &format!("{SWITCH_ID}\n"));
            write(other_pf.join("phys_port_name"), "pf1vf0\n");
        }
        // A NIC without SR-IOV.
        let eth9_dev = devices.join("0000:05:00.0");
        fs::create_dir_all(&eth9_dev).unwrap();
        fs::create_dir_all(net.join("eth9")).unwrap();
        symlink(
            "../../../devices/pci0000:00/0000:05:00.0",
            net.join("eth9/device"),
        )
        .unwrap();
        fake
    }

    fn sysfs(&self) -> Sysfs {
        Sysfs::new(&self.root)
    }

    fn numvfs_file(&self) -> String {
        fs::read_to_string(
            self.root
                .join("devices/pci0000:00/0000:03:00.0/sriov_numvfs"),
        )
        .unwrap()
    }
}

#[test]
fn default_root_is_sys() {
    assert_eq!(Sysfs::default().root(), Path::new("/sys"));
}

#[test]
fn reads_vf_counts() {
    let fake = FakeSys::new(2, false, None);
    let sys = fake.sysfs();
    assert_eq!(sys.total_vfs(PF).unwrap(), 8);
    assert_eq!(sys.num_vfs(PF).unwrap(), 2);
}

#[test]
fn creating_vfs_from_zero_writes_n_only() {
    let fake = FakeSys::new(0, false, None);
    let sys = fake.sysfs();
    assert_eq!(sys.set_num_vfs(PF, 4).unwrap(), vec![4]);
    assert_eq!(fake.numvfs_file(), "4\n");
    assert_eq!(sys.num_vfs(PF).unwrap(), 4);
}

#[test]
fn changing_a_nonzero_count_writes_zero_first() {
    let fake = FakeSys::new(2, false, None);
    let sys = fake.sysfs();
    assert_eq!(sys.set_num_vfs(PF, 6).unwrap(), vec![0, 6]);
    assert_eq!(fake.numvfs_file(), "6\n");
    // Same count again: nothing written.
    assert_eq!(sys.set_num_vfs(PF, 6).unwrap(), Vec::<u32>::new());
    // Down to zero: just 0.
    assert_eq!(sys.set_num_vfs(PF, 0).unwrap(), vec![0]);
    assert_eq!(fake.numvfs_file(), "0\n");
    // Up to the maximum is allowed.
    assert_eq!(sys.set_num_vfs(PF, 8).unwrap(), vec![8]);
}

#[test]
fn too_many_vfs_is_refused_without_writing() {
    let fake = FakeSys::new(2, false, None);
    match fake.sysfs().set_num_vfs(PF, 9) {
        Err(Error::TooManyVfs {
            pf,
            requested: 9,
            total: 8,
        }) => assert_eq!(pf, PF),
        other => panic!("expected TooManyVfs, got {other:?}"),
    }
    assert_eq!(fake.numvfs_file(), "2\n");
}

#[test]
fn non_sriov_and_missing_devices_are_errors() {
    let fake = FakeSys::new(2, false, None);
    let sys = fake.sysfs();
    assert!(matches!(sys.total_vfs("eth9"), Err(Error::NotSriov(d)) if d == "eth9"));
    assert!(matches!(
        sys.set_num_vfs("eth9", 1),
        Err(Error::NotSriov(_))
    ));
    assert!(matches!(sys.vfs("eth9"), Err(Error::NotSriov(_))));
    assert!(matches!(sys.num_vfs("nope0"), Err(Error::NoSuchDevice(d)) if d == "nope0"));
    assert!(matches!(sys.total_vfs("../x"), Err(Error::Invalid(_))));
}

#[test]
fn garbage_in_a_count_is_a_parse_error() {
    let fake = FakeSys::new(2, false, None);
    write(
        fake.root
            .join("devices/pci0000:00/0000:03:00.0/sriov_totalvfs"),
        "lots\n",
    );
    assert!(matches!(
        fake.sysfs().total_vfs(PF),
        Err(Error::Parse { .. })
    ));
}

#[test]
fn lists_vfs_with_pci_addresses_and_netdevs() {
    let fake = FakeSys::new(4, false, None);
    let vfs = fake.sysfs().vfs(PF).unwrap();
    let expected: Vec<VfDevice> = (0..4)
        .map(|i| VfDevice {
            index: i,
            pci_address: format!("0000:03:00.{}", i + 2),
            netdev: (i != 3).then(|| format!("{PF}v{i}")),
        })
        .collect();
    assert_eq!(vfs, expected);
    assert_eq!(fake.sysfs().vf(PF, 1).unwrap(), expected[1]);
    assert!(matches!(
        fake.sysfs().vf(PF, 7),
        Err(Error::NoSuchVf { vf: 7, .. })
    ));
}

#[test]
fn more_than_ten_vfs_sort_numerically() {
    let fake = FakeSys::new(0, false, None);
    let pf_dev = fake.root.join("devices/pci0000:00/0000:03:00.0");
    write(pf_dev.join("sriov_totalvfs"), "16\n");
    for vf in [10u32, 2, 1] {
        let addr = format!("0000:03:01.{vf}");
        fs::create_dir_all(fake.root.join("devices/pci0000:00").join(&addr)).unwrap();
        symlink(format!("../{addr}"), pf_dev.join(format!("virtfn{vf}"))).unwrap();
    }
    let indexes: Vec<u32> = fake
        .sysfs()
        .vfs(PF)
        .unwrap()
        .iter()
        .map(|v| v.index)
        .collect();
    assert_eq!(indexes, vec![1, 2, 10]);
}

#[test]
fn finds_switchdev_representors() {
    let fake = FakeSys::new(3, true, Some("switchdev"));
    let sys = fake.sysfs();
    assert_eq!(sys.eswitch_mode(PF).unwrap(), Some(EswitchMode::Switchdev));
    assert_eq!(sys.phys_switch_id(PF).unwrap().as_deref(), Some(SWITCH_ID));
    let reps = sys.representors(PF).unwrap();
    assert_eq!(
        reps,
        (0..3)
            .map(|vf| Representor {
                vf,
                netdev: format!("{PF}_{vf}"),
            })
            .collect::<Vec<_>>()
    );
    assert_eq!(
        sys.representor(PF, 2).unwrap().map(|r| r.netdev),
        Some(format!("{PF}_2"))
    );
    assert_eq!(sys.representor(PF, 5).unwrap(), None);
}

#[test]
fn legacy_mode_has_no_representors() {
    let fake = FakeSys::new(3, false, Some("legacy"));
    let sys = fake.sysfs();
    assert_eq!(sys.eswitch_mode(PF).unwrap(), Some(EswitchMode::Legacy));
    assert_eq!(sys.representors(PF).unwrap(), vec![]);
    let no_hint = FakeSys::new(1, false, None);
    assert_eq!(no_hint.sysfs().eswitch_mode(PF).unwrap(), None);
}

#[test]
fn representor_port_names_parse() {
    use netplugin::sriov::sysfs::parse_vf_port_name;
    assert_eq!(parse_vf_port_name("pf0vf3"), Some((0, 3)));
    assert_eq!(parse_vf_port_name("pf1vf12"), Some((1, 12)));
    for bad in [
        "p0", "pf0", "pf0vf", "vf0", "pf0sf1", "pfxvf1", "pf0vf1x", "",
    ] {
        assert_eq!(parse_vf_port_name(bad), None, "{bad}");
    }
}

// ---- netlink messages ----

const MAC: [u8; 6] = [0x02, 0x42, 0xac, 0x11, 0x00, 0x07];
const IFLA_VFINFO_LIST: u16 = 22;
const IFLA_VF_INFO: u16 = 1;
const RTM_SETLINK: u16 = 19;

/// The attributes (type without the nested/byte-order flags, value) of a netlink attribute
/// stream, walked by hand.
fn attrs(mut bytes: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    while bytes.len() >= 4 {
        let len = u16::from_ne_bytes([bytes[0], bytes[1]]) as usize;
        let kind = u16::from_ne_bytes([bytes[2], bytes[3]]) & 0x3fff;
        assert!(len >= 4 && len <= bytes.len(), "bad attribute length {len}");
        out.push((kind, bytes[4..len].to_vec()));
        let padded = (len + 3) & !3;
        bytes = &bytes[padded.min(bytes.len())..];
    }
    assert!(bytes.is_empty(), "trailing bytes {bytes:?}");
    out
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap())
}

/// The `IFLA_VF_*` attributes inside the single `IFLA_VF_INFO` of a `RTM_SETLINK` on ifindex
/// `pf_index`, checking the headers and the nesting on the way.
fn vf_attrs(bytes: &[u8], pf_index: u32, seq: u32) -> Vec<(u16, Vec<u8>)> {
    // nlmsghdr: len, type, flags, seq, pid.
    assert_eq!(u32_at(bytes, 0) as usize, bytes.len());
    assert_eq!(u16::from_ne_bytes([bytes[4], bytes[5]]), RTM_SETLINK);
    assert_eq!(
        u16::from_ne_bytes([bytes[6], bytes[7]]),
        NLM_F_REQUEST | NLM_F_ACK
    );
    assert_eq!(u32_at(bytes, 8), seq);
    // ifinfomsg: family, pad, type, index, flags, change.
    let ifinfo = &bytes[16..32];
    assert_eq!(ifinfo[0], 0, "AF_UNSPEC");
    assert_eq!(u32_at(ifinfo, 4), pf_index);
    let top = attrs(&bytes[32..]);
    assert_eq!(top.len(), 1, "only IFLA_VFINFO_LIST: {top:?}");
    assert_eq!(top[0].0, IFLA_VFINFO_LIST);
    let list = attrs(&top[0].1);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].0, IFLA_VF_INFO);
    attrs(&list[0].1)
}

#[test]
fn mac_message_bytes() {
    let bytes = setlink_bytes(set_vf_mac_message(7, 3, MAC).unwrap(), 42);
    let vf = vf_attrs(&bytes, 7, 42);
    assert_eq!(vf.len(), 1);
    let (kind, value) = &vf[0];
    assert_eq!(*kind, 1, "IFLA_VF_MAC");
    // struct ifla_vf_mac { __u32 vf; __u8 mac[32]; }
    assert_eq!(value.len(), 36);
    assert_eq!(u32_at(value, 0), 3);
    assert_eq!(&value[4..10], &MAC);
    assert!(value[10..].iter().all(|b| *b == 0));
}

#[test]
fn vlan_message_bytes() {
    let bytes = setlink_bytes(set_vf_vlan_message(7, 1, 100, 5).unwrap(), 1);
    let vf = vf_attrs(&bytes, 7, 1);
    assert_eq!(vf.len(), 1);
    let (kind, value) = &vf[0];
    assert_eq!(*kind, 2, "IFLA_VF_VLAN");
    // struct ifla_vf_vlan { __u32 vf; __u32 vlan; __u32 qos; }
    assert_eq!(value.len(), 12);
    assert_eq!(
        (u32_at(value, 0), u32_at(value, 4), u32_at(value, 8)),
        (1, 100, 5)
    );
}

#[test]
fn spoofchk_and_trust_message_bytes() {
    for (on, setting) in [(true, 1), (false, 0)] {
        let spoof = vf_attrs(
            &setlink_bytes(set_vf_spoofchk_message(9, 2, on).unwrap(), 5),
            9,
            5,
        );
        assert_eq!(spoof.len(), 1);
        assert_eq!(spoof[0].0, 4, "IFLA_VF_SPOOFCHK");
        assert_eq!(spoof[0].1.len(), 8);
        assert_eq!(
            (u32_at(&spoof[0].1, 0), u32_at(&spoof[0].1, 4)),
            (2, setting)
        );

        let trust = vf_attrs(
            &setlink_bytes(set_vf_trust_message(9, 2, on).unwrap(), 6),
            9,
            6,
        );
        assert_eq!(trust.len(), 1);
        assert_eq!(trust[0].0, 9, "IFLA_VF_TRUST");
        assert_eq!(trust[0].1.len(), 8);
        assert_eq!(
            (u32_at(&trust[0].1, 0), u32_at(&trust[0].1, 4)),
            (2, setting)
        );
    }
}

#[test]
fn combined_message_parses_back() {
    let config = VfConfig {
        mac: Some(MAC),
        vlan: Some((4094, 0)),
        spoof_check: Some(true),
        trust: Some(false),
    };
    let bytes = setlink_bytes(set_vf_message(12, 5, &config).unwrap(), 77);

    // By hand: all four, in order, each with VF index 5.
    let vf = vf_attrs(&bytes, 12, 77);
    assert_eq!(
        vf.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        vec![1, 2, 4, 9]
    );
    assert!(vf.iter().all(|(_, v)| u32_at(v, 0) == 5));

    // And through netlink-packet-route's parser.
    let parsed = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&bytes).unwrap();
    assert_eq!(parsed.header.sequence_number, 77);
    let NetlinkPayload::InnerMessage(RouteNetlinkMessage::SetLink(link)) = parsed.payload else {
        panic!("not a SetLink: {:?}", parsed.payload);
    };
    assert_eq!(link.header.index, 12);
    let [LinkAttribute::VfInfoList(list)] = link.attributes.as_slice() else {
        panic!("attributes: {:?}", link.attributes);
    };
    assert_eq!(list.len(), 1);
    let infos = &list[0].0;
    assert_eq!(infos.len(), 4);
    match &infos[0] {
        VfInfo::Mac(m) => {
            assert_eq!(m.vf_id, 5);
            assert_eq!(&m.mac[..6], &MAC);
        }
        other => panic!("{other:?}"),
    }
    match &infos[1] {
        VfInfo::Vlan(v) => assert_eq!((v.vf_id, v.vlan_id, v.qos), (5, 4094, 0)),
        other => panic!("{other:?}"),
    }
    match &infos[2] {
        VfInfo::SpoofCheck(s) => assert_eq!((s.vf_id, s.enabled), (5, true)),
        other => panic!("{other:?}"),
    }
    match &infos[3] {
        VfInfo::Trust(t) => assert_eq!((t.vf_id, t.enabled), (5, false)),
        other => panic!("{other:?}"),
    }
    // Emitting the parsed message again gives the same bytes.
    assert_eq!(
        setlink_bytes(link, 77),
        bytes,
        "round trip through the parser"
    );
}

#[test]
fn bad_vf_configs_are_refused() {
    assert!(matches!(
        set_vf_vlan_message(1, 0, 4095, 0),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        set_vf_vlan_message(1, 0, 10, 8),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        set_vf_message(1, 0, &VfConfig::default()),
        Err(Error::Invalid(_))
    ));
}

// ---- endpoint plans ----

fn request(vf: u32, config: VfConfig) -> VfEndpointRequest {
    VfEndpointRequest {
        pf: PF.into(),
        vf,
        config,
        netns: "/var/run/netns/c1".into(),
        container_ifname: "eth0".into(),
        bridge: "br-int".into(),
        external_ids: BTreeMap::from([("owner".into(), "netplugin".into())]),
    }
}

#[test]
fn switchdev_plan_adds_the_representor_as_a_system_port() {
    let fake = FakeSys::new(3, true, Some("switchdev"));
    let config = VfConfig {
        mac: Some(MAC),
        spoof_check: Some(true),
        ..VfConfig::default()
    };
    let steps = plan_endpoint(&fake.sysfs(), &request(1, config.clone())).unwrap();
    assert_eq!(steps.len(), 4, "{steps:?}");
    assert_eq!(
        steps[0],
        Step::ConfigureVf {
            pf: PF.into(),
            vf: 1,
            config
        }
    );
    assert_eq!(
        steps[1],
        Step::MoveToNetns {
            netdev: format!("{PF}v1"),
            netns: "/var/run/netns/c1".into(),
            ifname: "eth0".into(),
        }
    );
    assert_eq!(steps[2], Step::EnableHwOffload);
    let Step::AddRepresentor { bridge, port } = &steps[3] else {
        panic!("{:?}", steps[3]);
    };
    assert_eq!(bridge, "br-int");
    assert_eq!(port.name, format!("{PF}_1"));
    assert_eq!(port.kind, InterfaceType::System);
    assert_eq!(port.external_ids["owner"], "netplugin");
}

#[test]
fn representors_without_a_mode_hint_mean_switchdev() {
    let fake = FakeSys::new(2, true, None);
    let steps = plan_endpoint(&fake.sysfs(), &request(0, VfConfig::default())).unwrap();
    assert_eq!(steps.len(), 3, "{steps:?}");
    assert!(matches!(&steps[0], Step::MoveToNetns { netdev, .. } if netdev == "ens1f0v0"));
    assert!(matches!(&steps[2], Step::AddRepresentor { port, .. } if port.name == "ens1f0_0"));
}

#[test]
fn legacy_plan_only_configures_and_moves() {
    let fake = FakeSys::new(3, false, Some("legacy"));
    let config = VfConfig {
        vlan: Some((20, 0)),
        ..VfConfig::default()
    };
    let steps = plan_endpoint(&fake.sysfs(), &request(2, config)).unwrap();
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert!(matches!(steps[0], Step::ConfigureVf { vf: 2, .. }));
    assert!(matches!(&steps[1], Step::MoveToNetns { netdev, .. } if netdev == "ens1f0v2"));
}

#[test]
fn plan_errors() {
    let fake = FakeSys::new(4, false, Some("switchdev"));
    let sys = fake.sysfs();
    // VF 3 has no netdev (no network driver).
    assert!(matches!(
        plan_endpoint(&sys, &request(3, VfConfig::default())),
        Err(Error::VfWithoutNetdev { vf: 3, .. })
    ));
    // No such VF.
    assert!(matches!(
        plan_endpoint(&sys, &request(6, VfConfig::default())),
        Err(Error::NoSuchVf { vf: 6, .. })
    ));
    // Switchdev hint but no representor found.
    assert!(matches!(
        plan_endpoint(&sys, &request(0, VfConfig::default())),
        Err(Error::NoRepresentor { vf: 0, .. })
    ));
    // Bad container interface name.
    let mut bad = request(0, VfConfig::default());
    bad.container_ifname = "a-name-much-too-long".into();
    assert!(matches!(plan_endpoint(&sys, &bad), Err(Error::Invalid(_))));
    // Not SR-IOV.
    let mut eth9 = request(0, VfConfig::default());
    eth9.pf = "eth9".into();
    assert!(matches!(
        plan_endpoint(&sys, &eth9),
        Err(Error::NotSriov(_))
    ));
}

#[test]
fn the_agent_configuration_prepares_the_pf() {
    use netplugin::sriov::{prepare_pf, PfConfig};
    let fake = FakeSys::new(4, false, None);
    let cfg = PfConfig {
        pf: PF.to_string(),
        vfs: 4,
    };
    let vfs = prepare_pf(&fake.sysfs(), &cfg).unwrap();
    assert_eq!(vfs.len(), 4);
    assert_eq!(fake.numvfs_file(), "4\n");
    let too_many = PfConfig {
        pf: PF.to_string(),
        vfs: 9,
    };
    assert!(matches!(
        prepare_pf(&fake.sysfs(), &too_many),
        Err(Error::TooManyVfs { .. })
    ));
    assert_eq!(
        fake.numvfs_file(),
        "4\n",
        "nothing written on a refused count"
    );
}
