//! `netplugin-cni`: the CNI plugin (spec 1.0.0). Run by the container runtime with `CNI_*`
//! environment variables and the network configuration on stdin; asks the netplugin agent
//! over its unix socket (`agentSocket`, default `/run/netplugin/cni.sock`) to do the work.

use netplugin::cni::plugin;
use std::io::{Read, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut stdin = Vec::new();
    let read = std::io::stdin().read_to_end(&mut stdin);
    let env = |k: &str| std::env::var(k).ok();
    let (version, result) = match read {
        Ok(_) => plugin::run(&env, &stdin),
        Err(e) => (
            netplugin::cni::protocol::CNI_VERSION.to_string(),
            Err(plugin::CniError::new(
                netplugin::cni::protocol::code::IO_FAILURE,
                "cannot read stdin",
                e.to_string(),
            )),
        ),
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
