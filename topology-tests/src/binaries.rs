//! The workspace binaries the harness runs: netmaster, netplugin (agent and `attach`), netctl,
//! netplugin-cni.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Paths of the binaries.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// The controller.
    pub netmaster: PathBuf,
    /// The agent.
    pub netplugin: PathBuf,
    /// The CLI.
    pub netctl: PathBuf,
    /// The CNI plugin.
    pub netplugin_cni: PathBuf,
}

const NAMES: [&str; 4] = ["netmaster", "netplugin", "netctl", "netplugin-cni"];

/// The binaries: from `NETPLUGIN_BIN_DIR` if set, else next to the test executable (where
/// `cargo test --workspace` puts them); if they are not there, or older than a source file of
/// the workspace (`cargo test -p topology-tests` does not rebuild them), they are built once
/// with `cargo build --bins` for the three packages (`--release` for a benchmark).
pub fn get() -> &'static Binaries {
    static BINS: OnceLock<Binaries> = OnceLock::new();
    BINS.get_or_init(|| {
        let dir = match std::env::var_os("NETPLUGIN_BIN_DIR") {
            Some(d) => PathBuf::from(d),
            None => {
                let exe = std::env::current_exe().expect("the test executable's path");
                // target/<profile>/deps/<test> -> target/<profile>
                let dir = exe
                    .parent()
                    .and_then(Path::parent)
                    .expect("target directory")
                    .to_path_buf();
                if NAMES.iter().any(|n| stale(&dir.join(n))) {
                    build(dir.ends_with("release"));
                }
                dir
            }
        };
        for n in NAMES {
            assert!(
                dir.join(n).is_file(),
                "{} is missing (build the workspace's binaries)",
                dir.join(n).display()
            );
        }
        Binaries {
            netmaster: dir.join("netmaster"),
            netplugin: dir.join("netplugin"),
            netctl: dir.join("netctl"),
            netplugin_cni: dir.join("netplugin-cni"),
        }
    })
}

/// Whether `bin` is missing or older than a Rust source or manifest of the packages it is
/// built from.
fn stale(bin: &Path) -> bool {
    let Ok(built) = bin.metadata().and_then(|m| m.modified()) else {
        return true;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut dirs: Vec<PathBuf> = ["ofproto", "controller", "agent", "northbound-api"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                if !path.ends_with("target") {
                    dirs.push(path);
                }
            } else if path.extension().is_some_and(|x| x == "rs" || x == "toml")
                && e.metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t > built)
            {
                return true;
            }
        }
    }
    false
}

fn build(release: bool) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new(cargo)
        .current_dir(root)
        .args([
            "build",
            "-q",
            "-j2",
            "--bins",
            "-p",
            "netmaster",
            "-p",
            "netplugin",
            "-p",
            "northbound-client",
        ])
        .args(release.then_some("--release"))
        .status()
        .expect("running cargo build");
    assert!(status.success(), "building the binaries failed");
}
