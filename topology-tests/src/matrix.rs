//! Connectivity matrices: every ordered pair of endpoints, measured with real pings from one
//! container namespace to another, and compared with the expected one.
//!
//! "`a` reaches `b`" means, for a pair that should: a ping from `a` to `b`'s address is
//! answered, **and** `a` resolved that address to `b`'s MAC (when tenants reuse addresses, a
//! reply from another endpoint with the same IP is not `b` answering). For a pair that should
//! not, it means that `b` received any frame from `a`: the check is made on the receiving side,
//! with frames sent straight onto `a`'s wire (see [`Fabric::measure`]).

use crate::cmd::output;
use crate::fabric::Fabric;
use crate::frames;
use crate::traffic::Capture;
use northbound_api::model::{Kind, Object};
use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// An attached container with its allocated addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Container name.
    pub name: String,
    /// Tenant.
    pub tenant: String,
    /// Network.
    pub network: String,
    /// Host.
    pub host: String,
    /// Its namespace.
    pub ns: String,
    /// IPv4 address.
    pub ip: Ipv4Addr,
    /// MAC address (lower case).
    pub mac: String,
}

impl Fabric {
    /// Asserts that the measured matrix over every attached container is exactly "same tenant
    /// and same network" (and reaches some pair); the matrix, printed under `what`.
    pub fn assert_same_network_matrix(&self, what: &str) -> Matrix {
        let eps = self.endpoints();
        let expected =
            Matrix::expected(&eps, |a, b| a.tenant == b.tenant && a.network == b.network);
        let got = self.measure(&eps, &expected, Duration::from_secs(20));
        eprintln!(
            "{what}: {} endpoints, measured after {:.1?}:\n{got}",
            eps.len(),
            self.age()
        );
        assert_eq!(got, expected, "{what}: the matrix differs");
        assert!(got.reachable_pairs() > 0);
        got
    }

    /// Every attached container, with its addresses from netmaster, by container name.
    pub fn endpoints_by_name(&self) -> std::collections::BTreeMap<String, Endpoint> {
        self.endpoints()
            .into_iter()
            .map(|e| (e.name.clone(), e))
            .collect()
    }

    /// Every attached container, with its addresses from netmaster, in name order.
    pub fn endpoints(&self) -> Vec<Endpoint> {
        let objects = self
            .api(|c| c.list(Kind::Endpoint))
            .expect("listing endpoints");
        let mut eps = Vec::new();
        for o in objects {
            let Object::Endpoint(e) = o else { continue };
            let Some(c) = self.containers.get(&e.container_name) else {
                continue;
            };
            if c.tenant != e.tenant_name {
                continue;
            }
            let ip = e
                .ip_address
                .unwrap_or_else(|| panic!("endpoint {} has no IPv4 address", e.container_name));
            eps.push(Endpoint {
                name: e.container_name.clone(),
                tenant: e.tenant_name.clone(),
                network: e.network_name.clone(),
                host: c.host.clone(),
                ns: c.ns.clone(),
                ip,
                mac: e.mac_address.map(|m| m.to_string()).unwrap_or_default(),
            });
        }
        eps.sort_by(|a, b| a.name.cmp(&b.name));
        eps
    }
}

/// Whether `a` reaches `b` now (one ping, `wait_s` to answer).
pub fn reaches(a: &Endpoint, b: &Endpoint, count: u32, wait_s: u32) -> bool {
    let ip = b.ip.to_string();
    let (count, wait) = (count.to_string(), wait_s.to_string());
    let ping = output(&[
        "ip", "netns", "exec", &a.ns, "ping", "-n", "-q", "-c", &count, "-i", "0.2", "-W", &wait,
        &ip,
    ]);
    ping.status.success() && neighbor_mac(a, b.ip).as_deref() == Some(b.mac.as_str())
}

/// The MAC `a` resolved `ip` to, if any.
fn neighbor_mac(a: &Endpoint, ip: Ipv4Addr) -> Option<String> {
    let out = output(&[
        "ip",
        "-n",
        &a.ns,
        "-j",
        "neigh",
        "show",
        "to",
        &ip.to_string(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    v.as_array()?
        .iter()
        .find_map(|n| n.get("lladdr")?.as_str().map(str::to_lowercase))
}

/// Which ordered pairs reach each other, and which frames went where they must not.
#[derive(Clone, PartialEq, Eq)]
pub struct Matrix {
    names: Vec<String>,
    reach: BTreeMap<(String, String), bool>,
    /// Frames an endpoint received from one that must not reach it: `"c3 received a frame
    /// from c1 (…)"`. Always empty in an expected matrix.
    leaks: Vec<String>,
}

/// UDP payload prefix of a probe frame: `npprobe <from> <to>`.
const PROBE: &str = "npprobe";
/// UDP payload prefix of a marker frame, sent after the probes to an allowed peer to prove
/// that the datapath has handled what was sent before it: `npmark <from> <to>`.
const MARK: &str = "npmark";

impl Matrix {
    /// The matrix `rule` says, over `eps`.
    pub fn expected(eps: &[Endpoint], rule: impl Fn(&Endpoint, &Endpoint) -> bool) -> Matrix {
        let mut reach = BTreeMap::new();
        for a in eps {
            for b in eps.iter().filter(|b| b.name != a.name) {
                reach.insert((a.name.clone(), b.name.clone()), rule(a, b));
            }
        }
        Matrix {
            names: eps.iter().map(|e| e.name.clone()).collect(),
            reach,
            leaks: Vec::new(),
        }
    }

    /// Whether `a` reaches `b`.
    pub fn get(&self, a: &str, b: &str) -> bool {
        self.reach
            .get(&(a.to_string(), b.to_string()))
            .copied()
            .unwrap_or(false)
    }

    /// How many ordered pairs reach each other.
    pub fn reachable_pairs(&self) -> usize {
        self.reach.values().filter(|r| **r).count()
    }

    /// How many ordered pairs there are.
    pub fn pairs(&self) -> usize {
        self.reach.len()
    }

    /// The frames that reached an endpoint they must not.
    pub fn leaks(&self) -> &[String] {
        &self.leaks
    }
}

impl Fabric {
    /// Measures every ordered pair of `eps` against `expected`.
    ///
    /// * Allowed pairs: `a` pings `b` (all pairs in parallel, each retrying for up to `settle`
    ///   while flows and tunnels may still be on their way) and must have resolved `b`'s
    ///   address to `b`'s MAC.
    /// * Denied pairs cannot be judged by a ping (with reused addresses the sender's own
    ///   kernel may answer; without a route the ping never leaves the container). Instead,
    ///   every endpoint captures what it receives, and every `a` sends, straight onto its
    ///   wire, three UDP frames to each denied `b`'s MAC and address and an ARP request for
    ///   `b`'s address. Then each `a` sends a marker frame to one allowed peer, and the
    ///   markers are awaited: the datapath has handled the probes before them. A denied pair
    ///   counts as reached when `b` received anything from `a`'s MAC; any frame from an
    ///   endpoint that must not reach the receiver is listed as a leak.
    pub fn measure(&self, eps: &[Endpoint], expected: &Matrix, settle: Duration) -> Matrix {
        let allowed = |a: &Endpoint, b: &Endpoint| expected.get(&a.name, &b.name);
        let pairs: Vec<(&Endpoint, &Endpoint)> = eps
            .iter()
            .flat_map(|a| {
                eps.iter()
                    .filter(move |b| b.name != a.name)
                    .map(move |b| (a, b))
            })
            .collect();
        let mut reach = BTreeMap::new();
        std::thread::scope(|s| {
            let handles: Vec<_> = pairs
                .iter()
                .filter(|(a, b)| allowed(a, b))
                .map(|&(a, b)| {
                    s.spawn(move || {
                        let start = Instant::now();
                        loop {
                            if reaches(a, b, 1, 1) {
                                return ((a.name.clone(), b.name.clone()), true);
                            }
                            if start.elapsed() > settle {
                                return ((a.name.clone(), b.name.clone()), false);
                            }
                        }
                    })
                })
                .collect();
            for h in handles {
                let (k, v) = h.join().expect("ping thread");
                reach.insert(k, v);
            }
        });
        let probed = self.probe_denied(eps, &allowed);
        // A marker that never arrived: that allowed pair does not reach after all.
        for (from, to) in probed.lost {
            reach.insert((from, to), false);
        }
        let mut leaks = Vec::new();
        for (receiver, frames) in &probed.received {
            for from in eps.iter().filter(|e| e.name != *receiver) {
                let got: Vec<&String> = frames
                    .iter()
                    .filter(|l| source_mac(l) == Some(from.mac.as_str()))
                    .collect();
                let to = eps.iter().find(|e| e.name == *receiver).expect("receiver");
                if !got.is_empty() && !allowed(from, to) {
                    reach.insert((from.name.clone(), receiver.clone()), true);
                    leaks.push(format!(
                        "{receiver} received {} frame(s) from {}, e.g. {}",
                        got.len(),
                        from.name,
                        got[0]
                    ));
                }
            }
        }
        for (a, b) in &pairs {
            reach
                .entry((a.name.clone(), b.name.clone()))
                .or_insert(false);
        }
        Matrix {
            names: eps.iter().map(|e| e.name.clone()).collect(),
            reach,
            leaks,
        }
    }

    /// Captures at every endpoint while each sends probes to the endpoints it must not reach
    /// (see [`Fabric::measure`]).
    fn probe_denied(
        &self,
        eps: &[Endpoint],
        allowed: &(impl Fn(&Endpoint, &Endpoint) -> bool + Sync),
    ) -> Probed {
        static ROUND: AtomicU32 = AtomicU32::new(0);
        let round = ROUND.fetch_add(1, Ordering::Relaxed);
        let dir = self.dir().join(format!("probes-{round}"));
        std::fs::create_dir_all(&dir).expect("probe directory");
        let captures: Vec<(&Endpoint, Capture)> = eps
            .iter()
            .map(|e| {
                let cap = Capture::start(
                    &e.ns,
                    "eth0",
                    "-A -Q in udp dst port 40001 or arp",
                    &dir,
                    &e.name,
                );
                (e, cap)
            })
            .collect();
        std::thread::scope(|s| {
            for a in eps {
                s.spawn(move || {
                    let mut out = Vec::new();
                    for b in eps.iter().filter(|b| b.name != a.name && !allowed(a, b)) {
                        let (_, udp) = tagged_frame(PROBE, a, b);
                        out.extend([udp.clone(), udp.clone(), udp]);
                        let me = frames::mac(&a.mac);
                        out.push(frames::arp_request(me, me, a.ip, b.ip));
                    }
                    if !out.is_empty() {
                        frames::send(&a.ns, &out);
                    }
                });
            }
        });
        // The markers: after its probes, each endpoint sends one frame to a peer it may
        // reach; once they are all in, the probes before them have been delivered or dropped.
        let mut marks = Vec::new();
        for a in eps {
            if let Some(p) = eps.iter().find(|p| p.name != a.name && allowed(a, p)) {
                let (payload, frame) = tagged_frame(MARK, a, p);
                frames::send(&a.ns, &[frame]);
                marks.push((a.name.clone(), p.name.clone(), payload));
            }
        }
        let mut lost = Vec::new();
        for (from, peer, payload) in marks {
            let (_, cap) = captures
                .iter()
                .find(|(e, _)| e.name == peer)
                .expect("capture of the peer");
            if !cap.wait_for(&payload, Duration::from_secs(30)) {
                lost.push((from, peer));
            }
        }
        let received = captures
            .into_iter()
            .map(|(e, cap)| {
                let lines = frames_of(&cap.stop());
                (e.name.clone(), lines)
            })
            .collect();
        Probed { received, lost }
    }
}

/// What [`Fabric::measure`]'s probing found.
struct Probed {
    /// What each endpoint received, by name: tcpdump lines with the source MAC.
    received: BTreeMap<String, Vec<String>>,
    /// The allowed (from, to) pairs whose marker never arrived.
    lost: Vec<(String, String)>,
}

/// A UDP frame from `a` to `b`'s MAC and address whose payload is `<kind> <a> <b>`: the
/// payload's text and the frame.
fn tagged_frame(kind: &str, a: &Endpoint, b: &Endpoint) -> (String, Vec<u8>) {
    let payload = format!("{kind} {} {}", a.name, b.name);
    let frame = frames::udp(
        frames::mac(&a.mac),
        frames::mac(&b.mac),
        a.ip,
        b.ip,
        None,
        format!("{payload} ").as_bytes(),
    );
    (payload, frame)
}

/// The source MAC of a tcpdump `-e` line (`<time> <src> > <dst>, ...`).
fn source_mac(line: &str) -> Option<&str> {
    line.split_whitespace().nth(1)
}

/// tcpdump `-e -A` output as one line per frame: the header line (with the source MAC)
/// joined with its payload lines.
fn frames_of(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        // A frame's header line starts with its time stamp (`12:34:56.789012 `).
        let is_header = line.len() > 15 && line.as_bytes()[2] == b':' && line.as_bytes()[5] == b':';
        match out.last_mut() {
            Some(last) if !is_header => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => out.push(line.to_string()),
        }
    }
    out
}

impl fmt::Display for Matrix {
    /// One row per source: `ok` reaches, `--` does not, `.` itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self.names.iter().map(String::len).max().unwrap_or(0);
        write!(f, "{:w$}", "")?;
        for n in &self.names {
            write!(f, " {n:>w$}")?;
        }
        writeln!(f)?;
        for a in &self.names {
            write!(f, "{a:w$}")?;
            for b in &self.names {
                let cell = if a == b {
                    "."
                } else if self.get(a, b) {
                    "ok"
                } else {
                    "--"
                };
                write!(f, " {cell:>w$}")?;
            }
            writeln!(f)?;
        }
        for leak in &self.leaks {
            writeln!(f, "leak: {leak}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Matrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\n{self}")
    }
}
