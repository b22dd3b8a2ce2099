//! Many emulated switches connected to one controller: each connects, serves its connection
//! and, when the controller closes it or cannot be reached, connects again after a pause (as
//! Open vSwitch does). The fleet's clock starts when the switches are told their controller.

use crate::switch::{Notes, Switch};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Where the controller listens: `tcp:HOST:PORT` or `unix:PATH`.
#[derive(Debug, Clone)]
pub enum Target {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A unix socket.
    Unix(PathBuf),
}

/// A target that is neither.
#[derive(Debug, thiserror::Error)]
#[error("controller `{0}` is not tcp:HOST:PORT or unix:PATH")]
pub struct BadTarget(String);

impl FromStr for Target {
    type Err = BadTarget;

    fn from_str(s: &str) -> Result<Target, BadTarget> {
        if let Some(path) = s.strip_prefix("unix:") {
            return Ok(Target::Unix(path.into()));
        }
        s.strip_prefix("tcp:")
            .and_then(|a| a.parse().ok())
            .map(Target::Tcp)
            .ok_or_else(|| BadTarget(s.to_string()))
    }
}

/// Why the fleet did not get where it was waiting to go.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// Some switches were not programmed in time.
    #[error("{missing} of {total} switches not programmed after {waited:?} (first: {first:#x}: {notes})")]
    NotProgrammed {
        /// How many.
        missing: usize,
        /// Of how many.
        total: usize,
        /// How long the fleet waited.
        waited: Duration,
        /// The first such switch's datapath id.
        first: u64,
        /// What it noted.
        notes: String,
    },
    /// Some switches were not connected again, or not read back, in time.
    #[error("{missing} of {total} switches not reconnected and read back after {waited:?}")]
    NotReconnected {
        /// How many.
        missing: usize,
        /// Of how many.
        total: usize,
        /// How long the fleet waited.
        waited: Duration,
    },
}

/// The fleet.
pub struct Fleet {
    switches: Vec<Switch>,
    /// When the switches were told their controller.
    pub started: Instant,
    _tasks: JoinSet<()>,
}

impl Fleet {
    /// Starts `n` switches with datapath ids `first_dpid..`, connecting to `target` (again
    /// after `pause` whenever a connection ends or fails).
    pub fn start(target: &Target, n: usize, first_dpid: u64, pause: Duration) -> Fleet {
        let started = Instant::now();
        let mut tasks = JoinSet::new();
        let switches: Vec<Switch> = (0..n as u64).map(|i| Switch::new(first_dpid + i)).collect();
        for sw in &switches {
            let (sw, target) = (sw.clone(), target.clone());
            tasks.spawn(async move {
                loop {
                    match &target {
                        Target::Tcp(addr) => {
                            if let Ok(s) = tokio::net::TcpStream::connect(addr).await {
                                let _ = s.set_nodelay(true);
                                sw.serve(s).await;
                            }
                        }
                        Target::Unix(path) => {
                            if let Ok(s) = tokio::net::UnixStream::connect(path).await {
                                sw.serve(s).await;
                            }
                        }
                    }
                    tokio::time::sleep(pause).await;
                }
            });
        }
        Fleet {
            switches,
            started,
            _tasks: tasks,
        }
    }

    /// Every switch's notes, in datapath id order.
    pub fn notes(&self) -> Vec<Notes> {
        self.switches.iter().map(Switch::notes).collect()
    }

    /// Every switch keeps `window` echo requests in flight from now on (`None`: no more).
    pub fn set_load(&self, window: Option<usize>) {
        for sw in &self.switches {
            sw.set_load(window);
        }
    }

    /// Every switch's flow, group and meter counts.
    pub fn counts(&self) -> Vec<(usize, usize, usize)> {
        self.switches.iter().map(Switch::counts).collect()
    }

    /// Waits until every switch is programmed — it holds `expect_flows` flows (when given;
    /// else any write) — and nothing was written anywhere for `quiet`; the notes then.
    pub async fn wait_programmed(
        &self,
        expect_flows: Option<usize>,
        quiet: Duration,
        timeout: Duration,
    ) -> Result<Vec<Notes>, FleetError> {
        let since = Instant::now();
        loop {
            let notes = self.notes();
            let counts = self.counts();
            let unprogrammed: Vec<usize> = (0..notes.len())
                .filter(|i| match expect_flows {
                    Some(n) => counts[*i].0 != n,
                    None => notes[*i].writes() == 0,
                })
                .collect();
            let last_write = notes.iter().filter_map(|n| n.last_write_at).max();
            if unprogrammed.is_empty() && last_write.is_some_and(|t| t.elapsed() >= quiet) {
                return Ok(notes);
            }
            if since.elapsed() > timeout {
                let first = unprogrammed.first().copied().unwrap_or(0);
                return Err(FleetError::NotProgrammed {
                    missing: unprogrammed.len(),
                    total: notes.len(),
                    waited: timeout,
                    first: self.switches[first].dpid,
                    notes: format!("{:?}, flows {}", notes[first], counts[first].0),
                });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until every switch has made a connection after `before` (its notes then) and
    /// answered a full read-back on it, then for `quiet` more; the notes then.
    pub async fn wait_read_back_again(
        &self,
        before: &[Notes],
        quiet: Duration,
        timeout: Duration,
    ) -> Result<Vec<Notes>, FleetError> {
        let since = Instant::now();
        loop {
            let notes = self.notes();
            let missing = notes
                .iter()
                .zip(before)
                .filter(|(now, then)| now.connects <= then.connects || now.read_back_at.is_none())
                .count();
            let last = notes.iter().filter_map(|n| n.read_back_at).max();
            if missing == 0 && last.is_some_and(|t| t.elapsed() >= quiet) {
                return Ok(notes);
            }
            if since.elapsed() > timeout {
                return Err(FleetError::NotReconnected {
                    missing,
                    total: notes.len(),
                    waited: timeout,
                });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
