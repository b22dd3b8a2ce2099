//! The controller's memory and CPU, read from outside it in `/proc`.

use std::time::{Duration, Instant};

/// A process's figure that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("/proc/{pid}/{file}: {why}")]
pub struct ProcError {
    pid: u32,
    file: &'static str,
    why: String,
}

fn read(pid: u32, file: &'static str) -> Result<String, ProcError> {
    std::fs::read_to_string(format!("/proc/{pid}/{file}")).map_err(|e| ProcError {
        pid,
        file,
        why: e.to_string(),
    })
}

/// Its resident set size, KiB.
pub fn rss_kib(pid: u32) -> Result<u64, ProcError> {
    let status = read(pid, "status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| ProcError {
            pid,
            file: "status",
            why: "no VmRSS".into(),
        })
}

/// Its CPU time so far (user and system), in clock ticks.
fn cpu_ticks(pid: u32) -> Result<u64, ProcError> {
    let stat = read(pid, "stat")?;
    // The command name (field 2) may hold spaces: the fields after it follow its `)`.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15, the 12th and 13th after the name.
    let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    match (tick(11), tick(12)) {
        (Some(u), Some(s)) => Ok(u + s),
        _ => Err(ProcError {
            pid,
            file: "stat",
            why: "no utime and stime".into(),
        }),
    }
}

/// The share of one core it used over `window` (percent).
pub async fn cpu_percent(pid: u32, window: Duration) -> Result<f64, ProcError> {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let (t0, c0) = (Instant::now(), cpu_ticks(pid)?);
    tokio::time::sleep(window).await;
    let (t1, c1) = (Instant::now(), cpu_ticks(pid)?);
    Ok((c1 - c0) as f64 / hz / (t1 - t0).as_secs_f64() * 100.0)
}
