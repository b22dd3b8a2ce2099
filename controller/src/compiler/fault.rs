//! Deliberately wrong compilations (and answers of the packet-in applications), to prove that
//! the end-to-end tests and ofbench catch what they claim to catch: with a fault injected, the
//! suite that checks the property must turn red.
//!
//! Only debug builds (what the tests run) read `NETMASTER_FAULT`; in a release build
//! [`active`] is `false` and the faults compile to nothing.
//!
//! | `NETMASTER_FAULT` | what the compiler then does wrong |
//! |---|---|
//! | `cross-network-flood` | every flood group of a switch floods to the ports and tunnels of every network |
//! | `tunnel-without-vni` | frames from a tunnel are classified without matching their VNI |
//! | `no-deny-rules` | policy rules that deny are left out |
//! | `echo-wrong` | the gateway echo reply carries a wrong ICMP checksum |
//! | `echo-silent` | every tenth gateway echo request gets no reply |

/// A deliberate compilation error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Flood groups mix every network of the switch.
    CrossNetworkFlood,
    /// The tunnel classifier ignores the VNI, so the networks of a tunnel are not told apart.
    TunnelWithoutVni,
    /// Deny rules are dropped.
    NoDenyRules,
    /// Gateway echo replies are corrupted.
    EchoWrong,
    /// Some gateway echo requests are not answered.
    EchoSilent,
}

impl Fault {
    /// The fault `NETMASTER_FAULT` names.
    #[cfg(debug_assertions)]
    fn from_env() -> Option<Fault> {
        let name = std::env::var("NETMASTER_FAULT").ok()?;
        let fault = match name.as_str() {
            "cross-network-flood" => Fault::CrossNetworkFlood,
            "tunnel-without-vni" => Fault::TunnelWithoutVni,
            "no-deny-rules" => Fault::NoDenyRules,
            "echo-wrong" => Fault::EchoWrong,
            "echo-silent" => Fault::EchoSilent,
            other => panic!("NETMASTER_FAULT={other}: not a known fault"),
        };
        tracing::warn!(fault = %name, "fault injection: the compiler is deliberately wrong");
        Some(fault)
    }
}

/// Whether `fault` is injected (never in a release build).
pub fn active(fault: Fault) -> bool {
    #[cfg(debug_assertions)]
    {
        static FAULT: std::sync::OnceLock<Option<Fault>> = std::sync::OnceLock::new();
        *FAULT.get_or_init(Fault::from_env) == Some(fault)
    }
    #[cfg(not(debug_assertions))]
    {
        let _ = fault;
        false
    }
}

/// [`Fault::CrossNetworkFlood`]: every network flood group of `s` gets the buckets of all of
/// them.
pub(super) fn mix_flood_groups(s: &mut crate::desired::SwitchState, groups: &[u32]) {
    let mut all = Vec::new();
    for g in groups {
        if let Some(entry) = s.groups.get(g) {
            for b in &entry.buckets {
                if !all.contains(b) {
                    all.push(b.clone());
                }
            }
        }
    }
    for g in groups {
        if let Some(entry) = s.groups.get_mut(g) {
            entry.buckets = all.clone();
        }
    }
}
