//! What netmaster observes of the world, beside intent: the agents' reports of their hosts'
//! ports ([`reports`]), when each host last gave a sign of life ([`liveness`]), and the agent
//! protocol that receives the reports and serves the compiled directives ([`agent_api`]);
//! which host owns a datapath, for switches that prove a name over TLS ([`switch_owner`]).
//! The multicast memberships IGMP snooping learns are observed too: see
//! [`crate::multicast::snooping`].

pub mod agent_api;
pub mod liveness;
pub mod readiness;
pub mod reports;
pub mod switch_owner;
