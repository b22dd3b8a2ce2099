//! The web console (`/ui/`) in a real browser: Debian's chromium, headless, driven by
//! Playwright (`console.py`, run in the controller's namespace) against netmaster on a
//! three-host fabric. Without a token (or with a wrong one) the page and its data are
//! refused; with the admin token the page loads without console errors, draws every host and
//! every tunnel (and nothing else), shows every switch in sync, shows an endpoint created
//! through the REST API within a second without a reload, traces a packet from its form, and
//! lists the switches' connections among its events.

use std::process::Command;
use topology_tests::host::api_url;
use topology_tests::{Fabric, FabricConfig};

/// The venv's python with Playwright (`scripts/setup-debian.sh` installs it).
fn python() -> String {
    let path = std::env::var("NETPLUGIN_PYTHON")
        .unwrap_or_else(|_| "/var/tmp/netplugin-venv/bin/python".into());
    assert!(
        std::path::Path::new(&path).exists(),
        "{path} is missing: run scripts/setup-debian.sh (it installs Playwright in a venv) or set NETPLUGIN_PYTHON"
    );
    path
}

#[test]
fn the_console_shows_the_fabric_live_to_admins_only() {
    let python = python();
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "chromium is missing: run scripts/setup-debian.sh"
    );
    let mut f = Fabric::new(&FabricConfig::hosts(3));
    f.apply_and_attach("examples/three_hosts_vxlan.json");
    f.wait_settled();
    let cfg = serde_json::json!({
        "url": api_url(),
        "token": f.wiring.tokens.admin,
        "chromium": "/usr/bin/chromium",
        "hosts": ["host1", "host2", "host3"],
        "links": [["host1", "host2"], ["host1", "host3"], ["host2", "host3"]],
        "endpoint": {
            "key": "tenant-one:console-new",
            "path": "/api/v1/endpoints/tenant-one:console-new/",
            "body": {"tenantName": "tenant-one", "networkName": "orange", "containerName": "console-new"},
        },
        "trace": {
            "tenant": "tenant-one",
            "from": "myContainer1",
            "to": "myContainer2",
            "expect": "verdict: delivered to tenant-one:myContainer2",
        },
    });
    // NETPLUGIN_CONSOLE_SCREENSHOT=FILE keeps a picture of the page at the end.
    let mut cfg = cfg;
    if let Ok(path) = std::env::var("NETPLUGIN_CONSOLE_SCREENSHOT") {
        cfg["screenshot"] = path.into();
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/console.py");
    let out = Command::new("ip")
        .args(["netns", "exec", &f.wiring.ctl_ns, &python, script])
        .arg(cfg.to_string())
        .output()
        .expect("run the browser test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("console.py: {stdout}");
    assert!(
        out.status.success(),
        "the console failed in the browser: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
