//! Multicast traffic from containers: receivers that join a group with a real socket (the
//! container's kernel sends the IGMP reports and leaves) and senders, both Debian's python3.

use crate::cmd::output;
use crate::matrix::Endpoint;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Joins the group on the container's address, says so, then prints every datagram.
const RECEIVER: &str = "import socket,sys\n\
g,p,ip=sys.argv[1],int(sys.argv[2]),sys.argv[3]\n\
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n\
s.bind((g,p))\n\
s.setsockopt(socket.IPPROTO_IP,socket.IP_ADD_MEMBERSHIP,socket.inet_aton(g)+socket.inet_aton(ip))\n\
print('joined',flush=True)\n\
while True: d,a=s.recvfrom(2048); print(d.decode(),flush=True)\n";

/// Sends each argument after the third as one datagram, 10 ms apart, TTL 1.
const SENDER: &str = "import socket,sys,time\n\
g,p,ip=sys.argv[1],int(sys.argv[2]),sys.argv[3]\n\
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
s.setsockopt(socket.IPPROTO_IP,socket.IP_MULTICAST_IF,socket.inet_aton(ip))\n\
s.setsockopt(socket.IPPROTO_IP,socket.IP_MULTICAST_TTL,1)\n\
for m in sys.argv[4:]: s.sendto(m.encode(),(g,p)); time.sleep(0.01)\n";

/// A process in a container that is a member of a group and records what it receives.
pub struct Receiver {
    /// The container's name.
    pub name: String,
    child: Option<Child>,
    out: PathBuf,
}

impl Receiver {
    /// Joins `group` (port `port`) in `ep`'s namespace; returns once the socket is a member.
    pub fn start(ep: &Endpoint, group: Ipv4Addr, port: u16, dir: &Path) -> Receiver {
        let out = dir.join(format!("mcast-{}-{group}-{port}.txt", ep.name));
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &ep.ns,
                "/usr/bin/python3",
                "-u",
                "-c",
                RECEIVER,
            ])
            .args([group.to_string(), port.to_string(), ep.ip.to_string()])
            .stdout(std::fs::File::create(&out).expect("receiver file"))
            .stderr(std::fs::File::create(out.with_extension("err")).expect("receiver log"))
            .stdin(Stdio::null())
            .spawn()
            .expect("starting a multicast receiver");
        let r = Receiver {
            name: ep.name.clone(),
            child: Some(child),
            out,
        };
        let start = Instant::now();
        while !r.lines().iter().any(|l| l == "joined") {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{} did not join {group}: {}",
                ep.name,
                std::fs::read_to_string(r.out.with_extension("err")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        r
    }

    fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The datagrams received so far whose payload starts with `prefix`, in arrival order.
    pub fn received(&self, prefix: &str) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|l| l.starts_with(prefix))
            .collect()
    }

    /// Ends the process (SIGTERM): its socket closes, and the container's kernel leaves the
    /// group.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            let _ = child.wait();
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends one datagram per payload from `from` to `group`:`port` (10 ms apart).
pub fn send(from: &Endpoint, group: Ipv4Addr, port: u16, payloads: &[String]) {
    let (g, p, ip) = (group.to_string(), port.to_string(), from.ip.to_string());
    let mut args = vec![
        "ip",
        "netns",
        "exec",
        &from.ns,
        "/usr/bin/python3",
        "-c",
        SENDER,
        &g,
        &p,
        &ip,
    ];
    args.extend(payloads.iter().map(String::as_str));
    let out = output(&args);
    assert!(
        out.status.success(),
        "sending multicast from {}: {}",
        from.name,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Payloads `<tag>-1` .. `<tag>-<n>`.
pub fn payloads(tag: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{tag}-{i}")).collect()
}
