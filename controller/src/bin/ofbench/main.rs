//! `ofbench`: emulates many OpenFlow 1.3 switches against a controller and measures it from
//! the switches' side (each switch's own clock) and from outside its process (`/proc`).
//!
//! * `ofbench scale --controller tcp:H:P|unix:PATH --switches N`: connects N switches, waits
//!   until every one is programmed (holds `--expect-flows` flows, or got any write, and no write
//!   arrived anywhere for `--quiet-ms`), then reports the connect time (told the controller ->
//!   asked for its features), the time to full programming (-> the last switch's last write),
//!   the writes received, and with `--netmaster-pid` the controller's RSS (before and after,
//!   per switch) and idle CPU.
//! * `ofbench restart ...`: programs the switches the same way, prints `ofbench: programmed`
//!   on stderr and waits for the controller to restart (every switch connected again and read
//!   back); reports the time from each new connection to its full read-back (in sync) and the
//!   writes received after it, which must be none.
//!
//! * `ofbench packet-in ...`: programs the switches, then every switch keeps `--window` ICMP
//!   echo requests to a gateway in flight as PACKET_INs of netmaster's gateway echo flow for
//!   `--duration-s`, and checks every PACKET_OUT it gets back; reports replies per second and
//!   their latency (p50, p99), wrong and missing replies (unanswered for 1 s, or lost with a
//!   connection the controller closed).
//!
//! It exits 1, saying why, when a switch is not programmed in time, when a restarted
//! controller writes to a switch, when a switch refused a write, when a reply is wrong or
//! missing, or when the controller closes a switch's connection under the packet-in load.

mod echo;
mod fleet;
mod process;
mod switch;
mod tables;

use clap::{Args, Parser, Subcommand};
use fleet::{Fleet, Target};
use serde_json::{json, Value};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use switch::Notes;

#[derive(Parser)]
#[command(version, about = "Emulated OpenFlow 1.3 switches against a controller")]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Connect many switches, wait until all are programmed, report.
    Scale(Common),
    /// Program the switches, wait for the controller to restart, report what it wrote then.
    Restart(Common),
    /// Program the switches, then load the controller with packet-ins and check its answers.
    PacketIn(PacketInArgs),
}

#[derive(Args)]
struct PacketInArgs {
    #[command(flatten)]
    common: Common,
    /// Echo requests each switch keeps in flight.
    #[arg(long, default_value_t = 1)]
    window: usize,
    /// How long the load lasts (s).
    #[arg(long, default_value_t = 5)]
    duration_s: u64,
}

#[derive(Args)]
struct Common {
    /// The controller: tcp:HOST:PORT or unix:PATH.
    #[arg(long)]
    controller: Target,
    /// How many switches.
    #[arg(long, default_value_t = 1)]
    switches: usize,
    /// The first datapath id (the others follow).
    #[arg(long, default_value_t = 1)]
    first_dpid: u64,
    /// A switch is programmed when it holds this many flows (default: any write).
    #[arg(long)]
    expect_flows: Option<usize>,
    /// Programmed: no write anywhere for this long (ms).
    #[arg(long, default_value_t = 1000)]
    quiet_ms: u64,
    /// Give up after this long (s).
    #[arg(long, default_value_t = 120)]
    timeout_s: u64,
    /// Pause before a switch connects again (ms).
    #[arg(long, default_value_t = 100)]
    reconnect_ms: u64,
    /// The controller's process id: its memory and CPU are read from /proc.
    #[arg(long)]
    netmaster_pid: Option<u32>,
    /// Idle CPU is measured over this long once programmed (s).
    #[arg(long, default_value_t = 5)]
    idle_s: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// The `q` quantile (0..=1) of `values`, in ms.
fn quantile(values: &mut [Duration], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort();
    let i = ((values.len() - 1) as f64 * q).round() as usize;
    values[i].as_secs_f64() * 1e3
}

fn sum(notes: &[Notes], f: impl Fn(&Notes) -> u64) -> u64 {
    notes.iter().map(f).sum()
}

/// Connects the fleet and waits until it is programmed; the report so far.
async fn program(
    c: &Common,
) -> Result<(Fleet, Vec<Notes>, serde_json::Map<String, Value>), String> {
    let rss_before = c
        .netmaster_pid
        .map(process::rss_kib)
        .transpose()
        .map_err(|e| e.to_string())?;
    let fleet = Fleet::start(
        &c.controller,
        c.switches,
        c.first_dpid,
        Duration::from_millis(c.reconnect_ms),
    );
    let notes = fleet
        .wait_programmed(
            c.expect_flows,
            Duration::from_millis(c.quiet_ms),
            Duration::from_secs(c.timeout_s),
        )
        .await
        .map_err(|e| e.to_string())?;
    let start = fleet.started;
    let mut connect: Vec<Duration> = notes
        .iter()
        .filter_map(|n| n.features_at.map(|t| t - start))
        .collect();
    let programmed = notes
        .iter()
        .filter_map(|n| n.last_write_at)
        .max()
        .map_or(0.0, |t| (t - start).as_secs_f64() * 1e3);
    let flows: Vec<usize> = fleet.counts().iter().map(|c| c.0).collect();
    let mut r = serde_json::Map::new();
    r.insert("switches".into(), json!(c.switches));
    r.insert("connect_p50_ms".into(), json!(quantile(&mut connect, 0.5)));
    r.insert("connect_max_ms".into(), json!(quantile(&mut connect, 1.0)));
    r.insert("programmed_ms".into(), json!(programmed));
    r.insert("flows_min".into(), json!(flows.iter().min()));
    r.insert("flows_max".into(), json!(flows.iter().max()));
    r.insert("flow_mods".into(), json!(sum(&notes, |n| n.flow_mods)));
    r.insert("group_mods".into(), json!(sum(&notes, |n| n.group_mods)));
    r.insert("meter_mods".into(), json!(sum(&notes, |n| n.meter_mods)));
    r.insert("bundles".into(), json!(sum(&notes, |n| n.bundles)));
    r.insert("refused".into(), json!(sum(&notes, |n| n.refused)));
    if let Some(pid) = c.netmaster_pid {
        let after = process::rss_kib(pid).map_err(|e| e.to_string())?;
        let before = rss_before.unwrap_or(0);
        r.insert("rss_before_kib".into(), json!(before));
        r.insert("rss_after_kib".into(), json!(after));
        r.insert(
            "rss_per_switch_kib".into(),
            json!(after.saturating_sub(before) as f64 / c.switches.max(1) as f64),
        );
        let idle = process::cpu_percent(pid, Duration::from_secs(c.idle_s))
            .await
            .map_err(|e| e.to_string())?;
        r.insert("idle_cpu_percent".into(), json!(idle));
    }
    if sum(&notes, |n| n.refused) > 0 {
        return Err(format!("switches refused writes: {}", Value::Object(r)));
    }
    Ok((fleet, notes, r))
}

async fn restart(c: &Common) -> Result<Value, String> {
    let (fleet, before, mut r) = program(c).await?;
    eprintln!("ofbench: programmed");
    let waited = Instant::now();
    let after = fleet
        .wait_read_back_again(
            &before,
            Duration::from_millis(c.quiet_ms),
            Duration::from_secs(c.timeout_s),
        )
        .await
        .map_err(|e| e.to_string())?;
    let mut in_sync: Vec<Duration> = after
        .iter()
        .filter_map(|n| Some(n.read_back_at? - n.connected_at?))
        .collect();
    let writes = sum(&after, Notes::writes) - sum(&before, Notes::writes);
    r.insert(
        "restart_wait_ms".into(),
        json!(waited.elapsed().as_secs_f64() * 1e3),
    );
    r.insert("in_sync_p50_ms".into(), json!(quantile(&mut in_sync, 0.5)));
    r.insert("in_sync_max_ms".into(), json!(quantile(&mut in_sync, 1.0)));
    r.insert("writes_after_restart".into(), json!(writes));
    let report = Value::Object(r);
    if writes > 0 {
        return Err(format!(
            "the restarted controller wrote {writes} times to switches that were in sync: {report}"
        ));
    }
    Ok(report)
}

async fn packet_in(a: &PacketInArgs) -> Result<Value, String> {
    let (fleet, _, mut r) = program(&a.common).await?;
    let duration = Duration::from_secs(a.duration_s);
    let started = Instant::now();
    fleet.set_load(Some(a.window.max(1)));
    tokio::time::sleep(duration).await;
    fleet.set_load(None);
    let elapsed = started.elapsed();
    let answered_in_time = sum(&fleet.notes(), |n| n.echo_answered.len() as u64);
    // Stragglers: answered late, or given up as missing.
    tokio::time::sleep(echo::PATIENCE + Duration::from_millis(200)).await;
    let notes = fleet.notes();
    let mut latency: Vec<Duration> = notes
        .iter()
        .flat_map(|n| n.echo_answered.iter().copied())
        .collect();
    let wrong = sum(&notes, |n| n.echo_wrong);
    let missing = sum(&notes, |n| n.echo_missing);
    let lost = sum(&notes, |n| n.echo_sessions_lost);
    r.insert("window".into(), json!(a.window));
    r.insert("echo_sent".into(), json!(sum(&notes, |n| n.echo_sent)));
    r.insert("echo_answered".into(), json!(latency.len()));
    r.insert(
        "replies_per_s".into(),
        json!(answered_in_time as f64 / elapsed.as_secs_f64()),
    );
    r.insert("latency_p50_ms".into(), json!(quantile(&mut latency, 0.5)));
    r.insert("latency_p99_ms".into(), json!(quantile(&mut latency, 0.99)));
    r.insert("echo_wrong".into(), json!(wrong));
    r.insert("echo_missing".into(), json!(missing));
    r.insert("sessions_lost".into(), json!(lost));
    let first_wrong = notes.iter().find_map(|n| n.echo_first_wrong);
    let report = Value::Object(r);
    if wrong > 0 {
        return Err(format!(
            "{wrong} wrong replies (the first {}): {report}",
            first_wrong.unwrap_or("?")
        ));
    }
    if lost > 0 {
        return Err(format!(
            "the controller closed {lost} switch connections under the load: {report}"
        ));
    }
    if missing > 0 {
        return Err(format!("{missing} requests got no reply: {report}"));
    }
    Ok(report)
}

fn print(report: &Value, as_json: bool) {
    if as_json {
        println!("{report}");
        return;
    }
    if let Value::Object(m) = report {
        for (k, v) in m {
            println!("{k:>22}  {v}");
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A switch is a connection: as many as the hard limit allows.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("ofbench: cannot raise the open files limit: {e}");
    }
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ofbench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (result, as_json) = match &cli.mode {
        Mode::Scale(c) => (
            rt.block_on(async { program(c).await.map(|(_, _, r)| Value::Object(r)) }),
            c.json,
        ),
        Mode::Restart(c) => (rt.block_on(restart(c)), c.json),
        Mode::PacketIn(a) => (rt.block_on(packet_in(a)), a.common.json),
    };
    match result {
        Ok(report) => {
            print(&report, as_json);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ofbench: {e}");
            ExitCode::FAILURE
        }
    }
}
