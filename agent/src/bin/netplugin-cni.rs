//! `netplugin-cni`: the CNI plugin (spec 1.0.0). Run by the container runtime with `CNI_*`
//! environment variables and the network configuration on stdin; asks the netplugin agent
//! over its unix socket (`agentSocket`, default `/run/netplugin/cni.sock`) to do the work.

use netplugin::cni::plugin;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let env = |k: &str| std::env::var(k).ok();
    let (version, result) = match plugin::read_input(std::io::stdin().lock()) {
        Ok(stdin) => plugin::run(&env, &stdin),
        Err(e) => (netplugin::cni::protocol::CNI_VERSION.to_string(), Err(e)),
    };
    let mut out = std::io::stdout().lock();
    match result {
        Ok(output) => {
            if let Some(s) = output {
                let _ = writeln!(out, "{s}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(out, "{}", plugin::error_json(&version, &e));
            eprintln!("netplugin-cni: {} ({}): {}", e.msg, e.code, e.details);
            ExitCode::FAILURE
        }
    }
}
