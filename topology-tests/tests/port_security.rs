//! Port security on emulated hosts: frames a container forges — another source IP, another
//! source MAC, ARP claiming another address, an 802.1Q tag — never reach another endpoint
//! (captured on the receivers), while its genuine frames do.

use std::net::Ipv4Addr;
use topology_tests::frames::{arp_request, mac, send, udp};
use topology_tests::traffic::{ping, Capture};
use topology_tests::{Fabric, FabricConfig};

#[test]
fn forged_frames_never_reach_another_endpoint() {
    let mut f = Fabric::new(&FabricConfig::hosts(2));
    f.apply_and_attach("examples/two_hosts_multiple_tenants.json");
    let eps = f.endpoints();
    let e = |n: &str| eps.iter().find(|x| x.name == n).unwrap().clone();
    // c1 (host1) and c3 (host2) share tenant-one's orange network.
    let (c1, c3) = (e("myContainer1"), e("myContainer3"));
    let start = std::time::Instant::now();
    while !ping(&c1, &c3, &["-c", "1"]) {
        assert!(start.elapsed().as_secs() < 20, "c1 -> c3");
    }
    let (m1, m3) = (mac(&c1.mac), mac(&c3.mac));
    let stranger_mac = [0x02, 0x66, 0, 0, 0, 0x01];
    let o = c1.ip.octets();
    let stranger_ip = Ipv4Addr::new(o[0], o[1], o[2], 77);
    let unknown = Ipv4Addr::new(o[0], o[1], o[2], 78);

    let dir = f.dir();
    let capture = Capture::start(&c3.ns, "eth0", "udp port 40001 or arp", &dir, "c3");
    send(
        &c1.ns,
        &[
            udp(m1, m3, c1.ip, c3.ip, None, b"GENUINE"),
            udp(m1, m3, stranger_ip, c3.ip, None, b"SPOOFIP"),
            udp(stranger_mac, m3, c1.ip, c3.ip, None, b"SPOOFMAC"),
            udp(m1, m3, c1.ip, c3.ip, Some(1), b"TAGGED"),
            // ARP claiming an address that is not c1's, and ARP with another sender MAC, for
            // an address nobody has (so that a request that got through would be flooded to
            // c3 rather than answered by c1's switch).
            arp_request(m1, m1, stranger_ip, unknown),
            arp_request(m1, stranger_mac, c1.ip, unknown),
            // The control: c1's genuine request for it is flooded to c3.
            arp_request(m1, m1, c1.ip, unknown),
        ],
    );
    let seen = capture.stop();
    eprintln!("c3 captured:\n{seen}");
    assert!(
        seen.contains(&format!("{} > {}", c1.ip, c3.ip))
            || seen.contains(&format!("{}.40000 > {}.40001", c1.ip, c3.ip)),
        "the genuine datagram arrives (the capture works)"
    );
    let udp_lines: Vec<&str> = seen.lines().filter(|l| l.contains(".40001")).collect();
    assert_eq!(
        udp_lines.len(),
        1,
        "only the genuine datagram: {udp_lines:?}"
    );
    assert!(!udp_lines[0].contains("802.1Q") && udp_lines[0].contains(&c1.mac));
    let arps: Vec<&str> = seen.lines().filter(|l| l.contains("ARP")).collect();
    assert_eq!(arps.len(), 1, "only c1's genuine ARP request: {arps:?}");
    assert!(arps[0].contains(&format!("who-has {unknown} tell {}", c1.ip)));
    assert!(
        !seen.contains(&stranger_ip.to_string()),
        "no frame claiming {stranger_ip}"
    );
    assert!(
        !seen.contains("02:66:00:00:00:01"),
        "no frame from the forged MAC"
    );
}
