//! Live traces: the packets of a trace handed to the agents of the hosts on the way, which
//! run Open vSwitch's own `ofproto/trace` on their bridge ([`LiveTraces`] queues them and
//! routes the answers back), and what Open vSwitch printed, parsed ([`parse`]) and compared
//! with the trace of the compiled pipeline ([`compare`]).

use northbound_api::agent::{TraceAnswer, TraceJob};
use northbound_api::live_trace::OfprotoFlow;
use northbound_api::trace::{LiveHop, LiveStep, TraceHop};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{oneshot, watch};

/// Live traces awaiting an answer at once, over all hosts.
pub const MAX_PENDING: usize = 256;

/// Why a live trace could not be queued.
#[derive(Debug, thiserror::Error)]
#[error("{MAX_PENDING} live traces are already awaiting their agents: try again in a moment")]
pub struct Busy;

/// Why an answer was not taken.
#[derive(Debug, thiserror::Error)]
#[error("no live trace {id} of host `{host}` is awaited")]
pub struct NotAwaited {
    /// The host that answered.
    pub host: String,
    /// The id it answered.
    pub id: u64,
}

struct Pending {
    host: String,
    flow: OfprotoFlow,
    handed_out: bool,
    reply: oneshot::Sender<TraceAnswer>,
}

#[derive(Default)]
struct Jobs {
    next: u64,
    pending: BTreeMap<u64, Pending>,
}

/// The live traces awaiting the agents.
pub struct LiveTraces {
    jobs: Mutex<Jobs>,
    queued: watch::Sender<u64>,
}

impl Default for LiveTraces {
    fn default() -> LiveTraces {
        LiveTraces {
            jobs: Mutex::default(),
            queued: watch::channel(0).0,
        }
    }
}

/// A queued live trace: its answer, once the agent gives it. Dropping it (the trace gave up
/// waiting) withdraws the job.
pub struct Asked {
    traces: Arc<LiveTraces>,
    id: u64,
    /// The agent's answer.
    pub answer: oneshot::Receiver<TraceAnswer>,
}

impl Drop for Asked {
    fn drop(&mut self) {
        self.traces.lock().pending.remove(&self.id);
    }
}

impl LiveTraces {
    fn lock(&self) -> std::sync::MutexGuard<'_, Jobs> {
        self.jobs.lock().expect("live traces lock")
    }

    /// Queues `flow` for `host`'s agent.
    pub fn ask(self: &Arc<Self>, host: &str, flow: OfprotoFlow) -> Result<Asked, Busy> {
        let (tx, rx) = oneshot::channel();
        let id = {
            let mut jobs = self.lock();
            if jobs.pending.len() >= MAX_PENDING {
                return Err(Busy);
            }
            jobs.next += 1;
            let id = jobs.next;
            jobs.pending.insert(
                id,
                Pending {
                    host: host.to_string(),
                    flow,
                    handed_out: false,
                    reply: tx,
                },
            );
            id
        };
        self.queued.send_modify(|n| *n += 1);
        Ok(Asked {
            traces: self.clone(),
            id,
            answer: rx,
        })
    }

    /// The jobs of `host` not handed out yet; they are handed out now.
    pub fn jobs(&self, host: &str) -> Vec<TraceJob> {
        let mut jobs = self.lock();
        jobs.pending
            .iter_mut()
            .filter(|(_, p)| p.host == host && !p.handed_out)
            .map(|(id, p)| {
                p.handed_out = true;
                TraceJob {
                    id: *id,
                    flow: p.flow.clone(),
                }
            })
            .collect()
    }

    /// A receiver that changes whenever a job is queued.
    pub fn queued(&self) -> watch::Receiver<u64> {
        self.queued.subscribe()
    }

    /// `host`'s answer to job `id`.
    pub fn answer(&self, host: &str, id: u64, answer: TraceAnswer) -> Result<(), NotAwaited> {
        let mut jobs = self.lock();
        match jobs.pending.get(&id) {
            Some(p) if p.host == host && p.handed_out => {
                let p = jobs.pending.remove(&id).expect("present");
                // The trace may have stopped waiting just now; nothing to do then.
                let _ = p.reply.send(answer);
                Ok(())
            }
            _ => Err(NotAwaited {
                host: host.to_string(),
                id,
            }),
        }
    }
}

/// What `ofproto/trace` printed, parsed: the table of every flow it matched (or found no
/// match in) on the traced bridge, and the datapath actions. Only the first `bridge(...)`
/// section counts: after it come the bridges a tunnelled copy continues through (the
/// underlay bridge of native tunnelling) and the passes after a recirculation (connection
/// tracking), neither of which the compiled pipeline's trace follows.
pub fn parse(output: &str) -> Result<(Vec<LiveStep>, Option<String>), String> {
    let mut steps = Vec::new();
    let mut actions = None;
    let mut bridges = 0;
    for line in output.lines() {
        if let Some(a) = line.strip_prefix("Datapath actions: ") {
            actions = Some(a.trim().to_string());
            continue;
        }
        if line.starts_with("bridge(\"") {
            bridges += 1;
            continue;
        }
        if bridges != 1 {
            continue;
        }
        let trimmed = line.trim_start();
        let Some((table, rest)) = trimmed.split_once(". ") else {
            continue;
        };
        let Ok(table) = table.parse::<u8>() else {
            continue;
        };
        if rest.trim_end() == "No match." {
            steps.push(LiveStep {
                table,
                priority: None,
                cookie: 0,
            });
            continue;
        }
        let mut priority = None;
        let mut cookie = 0;
        for part in rest.split(", ") {
            if let Some(p) = part.strip_prefix("priority ") {
                priority = p.trim().parse().ok();
            } else if let Some(c) = part.strip_prefix("cookie 0x") {
                cookie = u64::from_str_radix(c.trim(), 16)
                    .map_err(|_| format!("bad cookie in `{line}`"))?;
            }
        }
        if priority.is_none() {
            return Err(format!("no priority in `{line}`"));
        }
        steps.push(LiveStep {
            table,
            priority,
            cookie,
        });
    }
    if steps.is_empty() {
        return Err(format!("no table in Open vSwitch's trace:\n{output}"));
    }
    Ok((steps, actions))
}

/// The live record of `hop` from an agent's answer (or the reason there is none).
pub fn compare(hop: &TraceHop, answer: Result<TraceAnswer, String>) -> LiveHop {
    let failed = |error: String| LiveHop {
        steps: Vec::new(),
        datapath_actions: None,
        agrees: false,
        error: Some(error),
    };
    let answer = match answer {
        Ok(a) if a.failed => return failed(format!("ofproto/trace failed: {}", a.output)),
        Ok(a) => a,
        Err(why) => return failed(why),
    };
    let (steps, datapath_actions) = match parse(&answer.output) {
        Ok(parsed) => parsed,
        Err(why) => return failed(why),
    };
    let mut compiled: Vec<LiveStep> = hop
        .steps
        .iter()
        .map(|s| LiveStep {
            table: s.table,
            priority: Some(s.priority),
            cookie: s.cookie,
        })
        .collect();
    if let Some(table) = hop.table_miss {
        compiled.push(LiveStep {
            table,
            priority: None,
            cookie: 0,
        });
    }
    LiveHop {
        agrees: steps == compiled,
        steps,
        datapath_actions,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Printed by Open vSwitch 3.1's `ofproto/trace` for a packet a policy rule drops.
    const DROPPED: &str = "\
Flow: tcp,in_port=1,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=49152,tp_dst=80,tcp_flags=0

bridge(\"brt\")
-------------
 0. ip,in_port=1, priority 100, cookie 0x4e50040000000001
    write_metadata:0x100/0xff00
    goto_table:10
10. priority 0, cookie 0x4e50010000000a00
    goto_table:30
30. tcp,tp_dst=80, priority 1003, cookie 0x4e50060000000001
    drop

Final flow: unchanged
Megaflow: recirc_id=0,eth,tcp,in_port=1,nw_frag=no,tp_dst=80
Datapath actions: drop
";

    /// A copy into a VXLAN tunnel, which the trace follows through the underlay bridge.
    const TUNNELLED: &str = "\
Flow: icmp,in_port=1,vlan_tci=0x0000,dl_src=02:02:00:00:00:01,dl_dst=02:02:00:00:00:02,nw_src=11.1.0.1,nw_dst=11.1.0.2,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,icmp_type=8,icmp_code=0

bridge(\"br-int\")
----------------
 0. ip,in_port=1,vlan_tci=0x0000/0x1fff,dl_src=02:02:00:00:00:01,nw_src=11.1.0.1, priority 100, cookie 0x4e50040000000001
    write_metadata:0x10000000000/0xffffffffff000000
    goto_table:10
60. metadata=0x10000000000/0xffffff0000000000,dl_dst=02:02:00:00:00:02, priority 100, cookie 0x4e50040000000002
    set_field:0x2711->tun_id
    output:2
     -> output to native tunnel
     -> tunneling to 192.168.2.11 via br-phy
     -> tunneling from 02:ff:00:00:00:01 192.168.2.10 to 02:ff:00:00:00:02 192.168.2.11

bridge(\"br-phy\")
----------------
 0. priority 0
    NORMAL
     -> forwarding to learned port

Final flow: unchanged
Megaflow: recirc_id=0,eth,icmp,in_port=1,dl_src=02:02:00:00:00:01,dl_dst=02:02:00:00:00:02,nw_src=11.1.0.1,nw_frag=no
Datapath actions: tnl_push(tnl_port(6),header(size=50,type=4),out_port(2)),1
";

    /// The same for a frame no flow of table 0 takes.
    const NO_MATCH: &str = "\
Flow: ip,in_port=2,vlan_tci=0x0000,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,nw_src=0.0.0.0,nw_dst=0.0.0.0,nw_proto=0,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no

bridge(\"brt\")
-------------
 0. No match.
    drop

Final flow: unchanged
Megaflow: recirc_id=0,eth,ip,in_port=2,nw_frag=no
Datapath actions: drop
";

    fn step(table: u8, priority: Option<u16>, cookie: u64) -> LiveStep {
        LiveStep {
            table,
            priority,
            cookie,
        }
    }

    #[test]
    fn tables_priorities_cookies_and_actions_are_read() {
        let (steps, actions) = parse(DROPPED).unwrap();
        assert_eq!(
            steps,
            [
                step(0, Some(100), 0x4e50_0400_0000_0001),
                step(10, Some(0), 0x4e50_0100_0000_0a00),
                step(30, Some(1003), 0x4e50_0600_0000_0001),
            ]
        );
        assert_eq!(actions.as_deref(), Some("drop"));
        let (steps, _) = parse(NO_MATCH).unwrap();
        assert_eq!(steps, [step(0, None, 0)]);
        let (steps, actions) = parse(TUNNELLED).unwrap();
        assert_eq!(
            steps,
            [
                step(0, Some(100), 0x4e50_0400_0000_0001),
                step(60, Some(100), 0x4e50_0400_0000_0002),
            ],
            "the underlay bridge is not the traced one"
        );
        assert!(actions.unwrap().starts_with("tnl_push("));
        assert!(parse("ovs-appctl: cannot connect").is_err());
        assert!(parse(" 0. ip, cookie 0x1").is_err());
    }

    #[test]
    fn jobs_are_handed_out_once_and_answered_by_their_host_only() {
        let traces = Arc::new(LiveTraces::default());
        let queued = traces.queued();
        let flow = OfprotoFlow::new("in_port=1,ip").unwrap();
        let mut asked = traces.ask("h1", flow.clone()).unwrap();
        assert!(queued.has_changed().unwrap());
        assert!(traces.jobs("h2").is_empty());
        let jobs = traces.jobs("h1");
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].flow, flow);
        assert!(traces.jobs("h1").is_empty(), "handed out once");
        let answer = TraceAnswer {
            output: DROPPED.into(),
            failed: false,
        };
        assert!(traces.answer("h2", jobs[0].id, answer.clone()).is_err());
        assert!(traces.answer("h1", jobs[0].id + 1, answer.clone()).is_err());
        traces.answer("h1", jobs[0].id, answer.clone()).unwrap();
        assert_eq!(asked.answer.try_recv().unwrap(), answer);
        assert!(
            traces.answer("h1", jobs[0].id, answer).is_err(),
            "answered once"
        );
    }

    #[test]
    fn a_trace_that_gives_up_withdraws_its_job_and_the_queue_is_bounded() {
        let traces = Arc::new(LiveTraces::default());
        let flow = OfprotoFlow::new("ip").unwrap();
        let asked: Vec<Asked> = (0..MAX_PENDING)
            .map(|_| traces.ask("h1", flow.clone()).unwrap())
            .collect();
        assert!(traces.ask("h1", flow.clone()).is_err());
        drop(asked);
        assert!(traces.jobs("h1").is_empty());
        assert!(traces.ask("h1", flow).is_ok());
    }
}
