//! Tests of the text syntax: round trips, errors, message summaries, property tests, and
//! Open vSwitch's `ovs-ofctl` as the oracle.

mod errors;
mod messages;
mod oracle;
mod props;
mod roundtrip;

use crate::msg::FlowMod;
use crate::{Match, OxmField};

/// True when both matches hold the same fields, in any order.
pub(super) fn same_fields(a: &Match, b: &Match) -> bool {
    let mut rest: Vec<&OxmField> = b.fields.iter().collect();
    a.fields.len() == b.fields.len()
        && a.fields
            .iter()
            .all(|f| match rest.iter().position(|g| *g == f) {
                Some(i) => {
                    rest.swap_remove(i);
                    true
                }
                None => false,
            })
}

/// Asserts that two flow mods are equal up to the order of their match fields.
pub(super) fn assert_flow_eq(a: &FlowMod, b: &FlowMod) {
    assert!(
        same_fields(&a.r#match, &b.r#match),
        "matches differ:\n{:?}\n{:?}",
        a.r#match,
        b.r#match
    );
    let (mut a, mut b) = (a.clone(), b.clone());
    a.r#match = Match::new();
    b.r#match = Match::new();
    assert_eq!(a, b);
}
