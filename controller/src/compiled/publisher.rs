//! Publishes the compiled snapshot: [`Publisher`] holds the one `watch` channel every reader
//! subscribes to; [`run`] recompiles whenever an input changes (intent, agent reports,
//! multicast memberships, switch capabilities) and publishes the result. It compiles with one
//! [`Compiler`], so each compile after the first compiles only what changed.

use super::{Capabilities, Compiled, Compiler, InputVersions, Inputs};
use crate::desired::SwitchState;
use crate::intent::service::IntentDb;
use crate::multicast::snooping::Snooping;
use crate::observed::reports::AgentReports;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::watch;
use tracing::info;

/// The channel of the compiled snapshot, and of its directives' version.
pub struct Publisher {
    compiled: watch::Sender<Arc<Compiled>>,
    directives_version: watch::Sender<u64>,
}

impl Default for Publisher {
    fn default() -> Publisher {
        Publisher {
            compiled: watch::channel(Arc::default()).0,
            directives_version: watch::channel(0).0,
        }
    }
}

impl Publisher {
    /// A receiver of every snapshot published.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Compiled>> {
        self.compiled.subscribe()
    }

    /// A receiver of the directives' version (it changes only when the directives do).
    pub fn directive_changes(&self) -> watch::Receiver<u64> {
        self.directives_version.subscribe()
    }

    /// The latest snapshot.
    pub fn current(&self) -> Arc<Compiled> {
        self.compiled.borrow().clone()
    }

    /// Publishes `next`: its number is one more than the previous one's, its directives'
    /// version the previous one, plus one if its directives differ.
    pub fn publish(&self, mut next: Compiled) {
        let prev = self.current();
        next.number = prev.number + 1;
        next.directives_version =
            prev.directives_version + u64::from(prev.directives != next.directives);
        let version = next.directives_version;
        self.compiled.send_replace(Arc::new(next));
        if version != prev.directives_version {
            self.directives_version.send_replace(version);
        }
    }
}

/// Where the inputs of a compile come from.
pub struct Sources {
    /// The intent.
    pub intent: Arc<IntentDb>,
    /// The agents' reports.
    pub reports: Arc<AgentReports>,
    /// The multicast memberships.
    pub snooping: Arc<Snooping>,
    /// The capabilities of the connected switches ([`crate::app::Controller::capabilities`]).
    pub capabilities: watch::Receiver<BTreeMap<u64, Capabilities>>,
    /// The base pipeline and static flows.
    pub fixed: Arc<SwitchState>,
    /// The compiler, with the memory of its last compile (each compile after the first
    /// compiles only what changed).
    pub compiler: Compiler,
}

impl Sources {
    /// The inputs as they are now (the capabilities count as seen), with their versions,
    /// read before them: the inputs are at least as new as the versions say.
    fn inputs(&mut self) -> (InputVersions, Inputs) {
        let versions = input_versions(&self.intent, &self.reports, &self.snooping);
        let inputs = Inputs {
            intent: Arc::new(self.intent.snapshot()),
            reports: self.reports.hosts(),
            memberships: self.snooping.view(),
            capabilities: self.capabilities.borrow_and_update().clone(),
            fixed: self.fixed.clone(),
        };
        (versions, inputs)
    }
}

/// The versions of the inputs that change at run time, now.
pub fn input_versions(
    intent: &IntentDb,
    reports: &AgentReports,
    snooping: &Snooping,
) -> InputVersions {
    InputVersions {
        intent: intent.version(),
        reports: reports.version(),
        memberships: snooping.version(),
    }
}

/// Compiles the current inputs and publishes the result. netmaster calls it once before
/// accepting switches, so that a reconnecting switch is compared with its full desired state,
/// never with a partial one.
pub fn compile_now(sources: &mut Sources, publisher: &Publisher) {
    let started = Instant::now();
    let (versions, inputs) = sources.inputs();
    let mut compiled = sources.compiler.compile(&inputs);
    compiled.inputs = versions;
    let switches = compiled.switches.len();
    let flows: usize = compiled
        .switches
        .values()
        .map(|s| s.state.flows.len())
        .sum();
    publisher.publish(compiled);
    info!(
        version = versions.intent,
        switches,
        flows,
        ms = started.elapsed().as_secs_f64() * 1e3,
        "intent compiled"
    );
}

/// Recompiles on every change of an input until one of them ends.
pub async fn run(mut sources: Sources, publisher: Arc<Publisher>) {
    let mut intent = sources.intent.subscribe();
    let mut reports = sources.reports.subscribe();
    let mut memberships = sources.snooping.subscribe();
    loop {
        compile_now(&mut sources, &publisher);
        tokio::select! {
            r = intent.changed() => if r.is_err() { return },
            r = reports.changed() => if r.is_err() { return },
            r = memberships.changed() => if r.is_err() { return },
            r = sources.capabilities.changed() => if r.is_err() { return },
        }
    }
}
