//! Proof that a test can fail: run it against a deliberately broken netmaster
//! (`NETMASTER_FAULT`, honoured by debug builds only; see `controller/src/compiler/fault.rs`).

/// Runs `scenario` with `fault` injected into netmaster's compiler; it must fail (panic), with
/// a message containing `because`, so that it is known to fail for the right reason.
pub fn fails_with(
    fault: &'static str,
    because: &str,
    scenario: impl FnOnce(Option<&'static str>) + std::panic::UnwindSafe,
) {
    let outcome = std::panic::catch_unwind(|| scenario(Some(fault)));
    let Err(panic) = outcome else {
        panic!("with NETMASTER_FAULT={fault} the test still passed: it cannot fail");
    };
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(
        message.contains(because),
        "with NETMASTER_FAULT={fault} the test failed, but not because of {because:?}: {message}"
    );
}
