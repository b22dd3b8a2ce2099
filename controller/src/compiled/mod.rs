//! The one compiled snapshot: [`compile`] turns explicit [`Inputs`] (the intent, the agents'
//! reports, the multicast memberships, the capabilities of the connected switches, the fixed
//! flows every switch gets) into one immutable [`Compiled`], which [`publisher`] publishes on
//! one `watch` channel. Its readers — the reconcilers, the agents' directives, the IGMP
//! snooping application and querier — only read it; nothing derived from it is written back
//! into an input.

pub mod publisher;
mod recompile;

pub use recompile::Compiler;

use crate::compiler::{GroupMembers, HostPorts, MulticastPlan, Topology};
use crate::desired::SwitchState;
use crate::intent::Snapshot;
use northbound_api::agent::BoundEndpoint;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::sync::Arc;

/// What a switch can take, as far as the compiled state is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// It speaks Open vSwitch's Nicira extensions (conntrack, register moves, `tun_dst`).
    pub nicira: bool,
}

impl Capabilities {
    /// Open vSwitch: everything the compiler emits. Switches are compiled for it until they
    /// connect and say otherwise.
    pub const OPEN_VSWITCH: Capabilities = Capabilities { nicira: true };
}

/// Everything a compile depends on.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The intent.
    pub intent: Arc<Snapshot>,
    /// What the agents reported, by host name.
    pub reports: imbl::OrdMap<String, HostPorts>,
    /// Multicast groups with members, by network id and group address.
    pub memberships: BTreeMap<u32, BTreeMap<Ipv4Addr, GroupMembers>>,
    /// The capabilities of the connected switches, by datapath id.
    pub capabilities: BTreeMap<u64, Capabilities>,
    /// What every switch holds besides its compiled intent: the base pipeline and the static
    /// flows of `--flows`.
    pub fixed: Arc<SwitchState>,
}

/// The versions of the inputs that change at run time (each counts its changes): a snapshot
/// compiled from versions equal to the current ones has every change in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputVersions {
    /// The intent's.
    pub intent: u64,
    /// The agents' reports'.
    pub reports: u64,
    /// The multicast memberships'.
    pub memberships: u64,
}

/// One switch's desired state, fitted to its capabilities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fitted {
    /// The capabilities it was fitted to.
    pub capabilities: Capabilities,
    /// What the switch should hold.
    pub state: Arc<SwitchState>,
    /// How many flows and groups were left out or changed because the switch lacks a
    /// capability.
    pub left_out: usize,
}

impl Fitted {
    /// `own` plus what of `fixed` it does not replace (an entry of `own` wins over the fixed
    /// one with the same key), fitted to `capabilities`. `own` is taken, not copied: only the
    /// small fixed part is.
    pub fn new(fixed: &SwitchState, own: SwitchState, capabilities: Capabilities) -> Fitted {
        let mut state = own;
        for (k, v) in &fixed.flows {
            state.flows.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in &fixed.groups {
            state.groups.entry(*k).or_insert_with(|| v.clone());
        }
        for (k, v) in &fixed.meters {
            state.meters.entry(*k).or_insert_with(|| v.clone());
        }
        let left_out = if capabilities.nicira {
            0
        } else {
            state.strip_extensions()
        };
        Fitted {
            capabilities,
            state: Arc::new(state),
            left_out,
        }
    }
}

/// What the agents are asked to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directives {
    /// Remote VTEPs each host needs a VXLAN tunnel to, by host name.
    pub tunnels: imbl::OrdMap<String, BTreeSet<Ipv4Addr>>,
    /// The VXLAN UDP port.
    pub vxlan_port: u16,
    /// Uplink interfaces by host name (from intent).
    pub uplinks: BTreeMap<String, Vec<String>>,
    /// The endpoints intent binds to each host (external ones have none), by host name.
    pub endpoints: imbl::OrdMap<String, Vec<BoundEndpoint>>,
}

/// Everything derived from one set of [`Inputs`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compiled {
    /// What every known switch should hold: every host's switch and every connected switch.
    pub switches: BTreeMap<u64, Fitted>,
    /// What the agents are asked to create.
    pub directives: Directives,
    /// Counts the changes of [`Compiled::directives`] (the agents' long polls wait for it);
    /// set by the publisher.
    pub directives_version: u64,
    /// The number of this snapshot: one more than the one published before it; set by the
    /// publisher.
    pub number: u64,
    /// The versions of the inputs it was compiled from; set by the publisher.
    pub inputs: InputVersions,
    /// What the IGMP snooping application and querier need to know about the networks.
    pub multicast: Arc<MulticastPlan>,
    /// The intent it was compiled from (what its cookies' ids name).
    pub intent: Arc<Snapshot>,
    /// The topology it was compiled for: the reported hosts and their ports, the intent hosts
    /// not reported yet, the multicast memberships.
    pub topology: Arc<Topology>,
}

impl Compiled {
    /// What switch `dpid` with `capabilities` should hold; `None` while this snapshot has no
    /// state fitted to them (the switch just connected and told netmaster what it is: the
    /// next snapshot has it).
    pub fn fitted(&self, dpid: u64, capabilities: Capabilities) -> Option<&Fitted> {
        self.switches
            .get(&dpid)
            .filter(|f| f.capabilities == capabilities)
    }

    /// A snapshot of given switch states, without intent: `fixed` for every switch of
    /// `switches` plus its own part (reconciler tests, switches driven by hand).
    pub fn fixed(
        fixed: &SwitchState,
        switches: impl IntoIterator<Item = (u64, Capabilities, SwitchState)>,
    ) -> Compiled {
        Compiled {
            switches: switches
                .into_iter()
                .map(|(dpid, caps, own)| (dpid, Fitted::new(fixed, own, caps)))
                .collect(),
            ..Compiled::default()
        }
    }
}

/// The topology to compile with: the reported hosts, plus every intent host with a dpid
/// whose agent has not reported yet (compiled from its intent alone), and the memberships.
fn effective_topology(inputs: &Inputs) -> Topology {
    let mut topo = Topology {
        hosts: inputs.reports.clone(),
        multicast: inputs.memberships.clone(),
    };
    for (name, host) in &inputs.intent.hosts {
        if let (false, Some(dpid)) = (topo.hosts.contains_key(name), host.dpid) {
            let mut h = HostPorts::new(dpid);
            h.vtep_ip = host.vtep_ip;
            topo.hosts.insert(name.clone(), h);
        }
    }
    topo
}

/// Compiles `inputs` from scratch (a pure function): every host's switch state fitted to its
/// switch's capabilities (Open vSwitch until it connects), the fixed state for connected
/// switches of no host, the agents' directives and the multicast plan.
pub fn compile(inputs: &Inputs) -> Compiled {
    Compiler::default().compile(inputs)
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::base_pipeline;
    use ofproto::{Action, Instruction, Match, OxmField};

    /// A state with one flow that uses a vendor extension action and one that does not.
    fn with_extension() -> SwitchState {
        let mut s = SwitchState::default();
        let set_tun = Action::Experimenter {
            experimenter: 0x2320,
            data: vec![0; 10],
        };
        s.add_flow(
            60,
            100,
            &Match::new().with(OxmField::InPort(1)),
            crate::cookie::Cookie::new(crate::cookie::OwnerKind::Network, 1),
            vec![Instruction::ApplyActions(vec![set_tun, Action::output(2)])],
        );
        s.add_flow(
            60,
            100,
            &Match::new().with(OxmField::InPort(2)),
            crate::cookie::Cookie::new(crate::cookie::OwnerKind::Network, 1),
            vec![Instruction::ApplyActions(vec![Action::output(1)])],
        );
        s
    }

    #[test]
    fn switches_are_fitted_to_their_capabilities() {
        let fixed = base_pipeline();
        let other = Capabilities { nicira: false };
        let c = Compiled::fixed(
            &fixed,
            [
                (1, Capabilities::OPEN_VSWITCH, with_extension()),
                (2, other, with_extension()),
            ],
        );
        let ovs = c.fitted(1, Capabilities::OPEN_VSWITCH).unwrap();
        assert_eq!(ovs.state.flows.len(), fixed.flows.len() + 2);
        assert_eq!(ovs.left_out, 0);
        let plain = c.fitted(2, other).unwrap();
        assert_eq!(
            plain.state.flows.len(),
            fixed.flows.len() + 1,
            "extension left out"
        );
        assert_eq!(plain.left_out, 1);
        assert!(c.fitted(2, Capabilities::OPEN_VSWITCH).is_none());
        assert!(c.fitted(3, Capabilities::OPEN_VSWITCH).is_none());
    }

    #[test]
    fn connected_switches_of_no_host_get_the_fixed_state() {
        let inputs = Inputs {
            capabilities: [(9, Capabilities::OPEN_VSWITCH)].into(),
            fixed: Arc::new(base_pipeline()),
            ..Inputs::default()
        };
        let c = compile(&inputs);
        assert_eq!(
            c.fitted(9, Capabilities::OPEN_VSWITCH)
                .unwrap()
                .state
                .as_ref(),
            &base_pipeline()
        );
        assert_eq!(c.switches.len(), 1);
    }
}
