//! Connectivity matrices: every ordered pair of endpoints, measured with real pings from one
//! container namespace to another, and compared with the expected one.
//!
//! "`a` reaches `b`" means: a ping from `a` to `b`'s address is answered, **and** `a` resolved
//! that address to `b`'s MAC. The second half matters when tenants reuse addresses: a reply
//! from another endpoint with the same IP is not `b` answering.

use crate::cmd::output;
use crate::fabric::Fabric;
use northbound_api::model::{Kind, Object};
use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;
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

/// Which ordered pairs reach each other.
#[derive(Clone, PartialEq, Eq)]
pub struct Matrix {
    names: Vec<String>,
    reach: BTreeMap<(String, String), bool>,
}

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
        }
    }

    /// Measures every ordered pair of `eps`, all in parallel: the pairs `expected` allows get
    /// up to `settle` to start answering (flows and tunnels may still be on their way); then
    /// every other pair gets two pings that must both go unanswered (by the right endpoint).
    pub fn measure(eps: &[Endpoint], expected: &Matrix, settle: Duration) -> Matrix {
        let allowed = |a: &Endpoint, b: &Endpoint| expected.get(&a.name, &b.name);
        let mut reach = BTreeMap::new();
        let pairs: Vec<(&Endpoint, &Endpoint)> = eps
            .iter()
            .flat_map(|a| {
                eps.iter()
                    .filter(move |b| b.name != a.name)
                    .map(move |b| (a, b))
            })
            .collect();
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
        std::thread::scope(|s| {
            let handles: Vec<_> = pairs
                .iter()
                .filter(|(a, b)| !allowed(a, b))
                .map(|&(a, b)| {
                    s.spawn(move || ((a.name.clone(), b.name.clone()), reaches(a, b, 2, 1)))
                })
                .collect();
            for h in handles {
                let (k, v) = h.join().expect("ping thread");
                reach.insert(k, v);
            }
        });
        Matrix {
            names: eps.iter().map(|e| e.name.clone()).collect(),
            reach,
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
        Ok(())
    }
}

impl fmt::Debug for Matrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\n{self}")
    }
}
