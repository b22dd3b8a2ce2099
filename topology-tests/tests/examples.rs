//! The example intents on emulated hosts: for each, every ordered pair of endpoints is pinged
//! and the matrix must be exactly "same tenant and same network reach each other, nothing
//! else does".

use std::time::Duration;
use topology_tests::{Fabric, FabricConfig, Matrix};

/// Applies `file` on `hosts` hosts, attaches its containers and asserts the matrix.
fn assert_example(hosts: u8, file: &str) -> Fabric {
    let mut f = Fabric::new(&FabricConfig::hosts(hosts));
    f.apply_and_attach(file);
    let eps = f.endpoints();
    let expected = Matrix::expected(&eps, |a, b| a.tenant == b.tenant && a.network == b.network);
    let got = Matrix::measure(&eps, &expected, Duration::from_secs(20));
    eprintln!(
        "{file}: {} endpoints, measured after {:.1?}:\n{got}",
        eps.len(),
        f.age()
    );
    assert_eq!(got, expected, "{file}");
    assert!(got.reachable_pairs() > 0);
    f
}

#[test]
fn two_hosts_multiple_tenants() {
    assert_example(2, "examples/two_hosts_multiple_tenants.json");
}
