//! Live traces: netmaster asks this host's Open vSwitch where a packet goes. The agent
//! long-polls netmaster for the [`TraceJob`]s of its host ([`follow`]), runs `ovs-appctl
//! ofproto/trace BRIDGE FLOW` for each ([`Tracer::run`]) and answers with what it printed. netmaster
//! never connects to the agent: no listener is added.

use crate::netmaster::Netmaster;
use northbound_model::live_trace::{TraceAnswer, TraceJob, MAX_TRACE_OUTPUT};
use std::path::PathBuf;
use std::time::Duration;
use tokio::process::Command;

/// How long one jobs long poll waits at netmaster.
const LONG_POLL: Duration = Duration::from_secs(25);
/// How long `ovs-appctl` may take.
const APPCTL_TIMEOUT: Duration = Duration::from_secs(5);

/// Where and how to trace.
#[derive(Debug, Clone)]
pub struct Tracer {
    /// The integration bridge.
    pub bridge: String,
    /// ovs-vswitchd's control socket (`ovs-appctl -t`); `None`: ovs-appctl's default.
    pub vswitchd_ctl: Option<PathBuf>,
}

impl Tracer {
    /// What `ofproto/trace` prints for `job` (or why it failed), at most
    /// [`MAX_TRACE_OUTPUT`] bytes.
    pub async fn run(&self, job: &TraceJob) -> TraceAnswer {
        let mut cmd = Command::new("ovs-appctl");
        if let Some(ctl) = &self.vswitchd_ctl {
            cmd.arg("-t").arg(ctl);
        }
        // The flow is checked to hold flow syntax only (never an option).
        cmd.args(["ofproto/trace", &self.bridge, job.flow.as_str()])
            .kill_on_drop(true);
        let answer = |output: String, failed: bool| TraceAnswer {
            output: truncate(output),
            failed,
        };
        match tokio::time::timeout(APPCTL_TIMEOUT, cmd.output()).await {
            Err(_) => answer(
                format!("ovs-appctl took longer than {} s", APPCTL_TIMEOUT.as_secs()),
                true,
            ),
            Ok(Err(e)) => answer(format!("ovs-appctl: {e}"), true),
            Ok(Ok(out)) if out.status.success() => {
                answer(String::from_utf8_lossy(&out.stdout).into_owned(), false)
            }
            Ok(Ok(out)) => answer(
                format!(
                    "ovs-appctl {}: {}{}",
                    out.status,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
                true,
            ),
        }
    }
}

/// `text` cut to at most [`MAX_TRACE_OUTPUT`] bytes, on a character boundary.
fn truncate(mut text: String) -> String {
    if text.len() > MAX_TRACE_OUTPUT {
        let mut end = MAX_TRACE_OUTPUT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// Takes the live traces of `host` from netmaster, one long poll after another, runs each
/// and answers. After an error (netmaster restarting, say) it waits a second and asks again.
pub async fn follow(netmaster: Netmaster, host: String, tracer: Tracer) {
    let mut warned = false;
    loop {
        match netmaster.trace_jobs(&host, LONG_POLL).await {
            Ok(jobs) => {
                warned = false;
                for job in jobs {
                    let answer = tracer.run(&job).await;
                    if let Err(e) = netmaster.trace_answer(&host, job.id, &answer).await {
                        tracing::warn!(error = %e, id = job.id, "live trace answer not taken");
                    }
                }
            }
            Err(e) => {
                if !warned {
                    tracing::warn!(error = %e, "live traces not available; retrying");
                    warned = true;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_output_is_cut_on_a_character_boundary() {
        let text = "é".repeat(MAX_TRACE_OUTPUT);
        let cut = truncate(text);
        assert!(cut.len() <= MAX_TRACE_OUTPUT && cut.len() >= MAX_TRACE_OUTPUT - 1);
        assert_eq!(truncate("short".into()), "short");
    }
}
