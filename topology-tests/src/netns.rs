//! Doing socket work from inside a network namespace: a thread joins the namespace (`setns`)
//! and runs a closure there, so that the test process can, for example, talk to netmaster's
//! REST API in the controller namespace without any address in the root namespace.

use std::fs::File;

/// Runs `f` on a thread that has joined network namespace `ns` (`/var/run/netns/<ns>`).
pub fn run_in<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let path = format!("/var/run/netns/{ns}");
    std::thread::spawn(move || {
        let file = File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
            .unwrap_or_else(|e| panic!("setns {path}: {e}"));
        f()
    })
    .join()
    .unwrap_or_else(|e| std::panic::resume_unwind(e))
}
