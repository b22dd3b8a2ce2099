//! What the one-host scripts (`scripts/demo.sh`, `tests/getting-started.sh`) print and leave:
//! the ping matrix of the original's `one_host_multiple_nets.json` (myContainer1 and 2 on one
//! network, 3 and 4 on the other), and no namespace of the run afterwards.

use std::process::Command;

/// Asserts the matrix in `matrix` (the text after its heading): each container reaches the
/// other one of its network and nothing else.
pub fn assert_matrix(matrix: &str, what: &str) {
    let expected = [
        ("myContainer1", [".", "ok", "--", "--"]),
        ("myContainer2", ["ok", ".", "--", "--"]),
        ("myContainer3", ["--", "--", ".", "ok"]),
        ("myContainer4", ["--", "--", "ok", "."]),
    ];
    for (row, cells) in expected {
        let line = matrix
            .lines()
            .find(|l| l.starts_with(row))
            .unwrap_or_else(|| panic!("no row for {row} in {what}"));
        let got: Vec<&str> = line.split_whitespace().skip(1).collect();
        assert_eq!(got, cells, "{what}: row {row}");
    }
}

/// Asserts that no network namespace whose name contains `tag` is left.
pub fn assert_no_namespace_left(tag: &str) {
    let netns = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("ip netns list");
    let netns = String::from_utf8_lossy(&netns.stdout);
    assert!(
        !netns.lines().any(|l| l.contains(tag)),
        "namespaces of this run left behind:\n{netns}"
    );
}
