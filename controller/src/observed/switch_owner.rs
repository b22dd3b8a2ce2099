//! Which host owns a datapath id, for switches that prove a name with a TLS certificate: the
//! host that intent declares with that dpid, else the host whose agent reported it. A switch
//! may be datapath X only if its certificate names X's owner (or names the datapath itself,
//! `dpid-<16 hex digits>`, for a switch of no host).

use super::reports::AgentReports;
use crate::app::{IdentityCheck, IdentityRefusal};
use crate::intent::service::IntentDb;
use std::sync::Arc;

/// The host that owns datapath `dpid`, if any.
pub fn owner(intent: &IntentDb, reports: &AgentReports, dpid: u64) -> Option<String> {
    intent
        .hosts()
        .into_iter()
        .find(|(_, h)| h.dpid == Some(dpid))
        .map(|(name, _)| name)
        .or_else(|| {
            reports
                .hosts()
                .into_iter()
                .find(|(_, h)| h.dpid == dpid)
                .map(|(name, _)| name)
        })
}

/// The check netmaster gives its controller: a certificate naming `name` may be datapath
/// `dpid` if `name` is its owner or `dpid-<dpid>`.
pub fn identity_check(intent: Arc<IntentDb>, reports: Arc<AgentReports>) -> IdentityCheck {
    Box::new(move |dpid, name| {
        if name == format!("dpid-{dpid:016x}") {
            return Ok(());
        }
        match owner(&intent, &reports, dpid) {
            Some(o) if o == name => Ok(()),
            Some(o) => Err(IdentityRefusal::NotOwner(format!(
                "datapath {dpid:016x} is host `{o}`'s, the certificate names `{name}`"
            ))),
            None => Err(IdentityRefusal::NoOwner(format!(
                "no host owns datapath {dpid:016x} (the certificate names `{name}`)"
            ))),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observed::reports::tests::report;
    use crate::store::MemStore;
    use northbound_api::model::{Host, Object};
    use northbound_api::service::{Batch, IntentService};

    #[test]
    fn a_certificate_may_be_only_its_hosts_datapath() {
        let intent = Arc::new(IntentDb::in_memory());
        intent
            .apply(Batch {
                upserts: vec![Object::Host(Host {
                    name: "host1".into(),
                    vtep_ip: None,
                    uplinks: Vec::new(),
                    dpid: Some(1),
                })],
                ..Batch::default()
            })
            .unwrap();
        let reports = Arc::new(AgentReports::open(Arc::new(MemStore::default())).unwrap());
        let mut r = report();
        r.dpid = 2;
        reports.report("host2", &r).unwrap();
        let check = identity_check(intent, reports);
        assert_eq!(check(1, "host1"), Ok(()));
        assert_eq!(
            check(2, "host2"),
            Ok(()),
            "owned through the agent's report"
        );
        assert!(
            matches!(check(1, "host2"), Err(IdentityRefusal::NotOwner(why)) if why.contains("is host `host1`'s"))
        );
        assert!(matches!(
            check(2, "host1"),
            Err(IdentityRefusal::NotOwner(_))
        ));
        assert!(matches!(
            check(3, "host1"),
            Err(IdentityRefusal::NoOwner(_))
        ));
        assert_eq!(check(3, "dpid-0000000000000003"), Ok(()));
        assert!(check(1, "dpid-0000000000000003").is_err());
    }
}
