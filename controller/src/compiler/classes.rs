//! Endpoint-group classes: the id written into the metadata's EPG fields. Groups of a tenant
//! with the same set of policies that no rule names and that have no QoS profile behave
//! alike everywhere, so they share one id (the lowest group id among them) and their rules
//! compile to one set of flows instead of one per group. A group a rule names
//! (`fromEndpointGroup`/`toEndpointGroup`), one with a QoS profile or stateful default-deny,
//! or one without policies keeps its own id.

use crate::intent::Snapshot;
use std::collections::{BTreeMap, BTreeSet};

/// The class id of every group with an id, by group key (`tenant:group`).
pub(crate) fn group_classes(snap: &Snapshot) -> BTreeMap<String, u16> {
    let named: BTreeSet<String> = snap
        .rules
        .values()
        .flat_map(|r| {
            [&r.from_endpoint_group, &r.to_endpoint_group]
                .into_iter()
                .flatten()
                .map(move |g| format!("{}:{g}", r.tenant_name))
        })
        .collect();
    // Class key: (tenant, sorted policies) for groups that may share; None keeps the group's
    // own id.
    let mut lowest: BTreeMap<(String, Vec<String>), u16> = BTreeMap::new();
    let mut keyed = Vec::new();
    for (key, g) in &snap.groups {
        let Some(&id) = snap.group_ids.get(key) else {
            continue;
        };
        let shares = !g.policies.is_empty() && g.net_profile.is_none() && !named.contains(key);
        let class = shares.then(|| {
            let mut policies = g.policies.clone();
            policies.sort();
            policies.dedup();
            (g.tenant_name.clone(), policies)
        });
        if let Some(c) = &class {
            let low = lowest.entry(c.clone()).or_insert(id);
            *low = (*low).min(id);
        }
        keyed.push((key.clone(), id, class));
    }
    keyed
        .into_iter()
        .map(|(key, id, class)| (key, class.map_or(id, |c| lowest[&c])))
        .collect()
}
