//! The web console's side in netmaster: the events and change version it follows
//! ([`feed`]) and the document it draws ([`state`]). The console itself (pages, routes,
//! authentication) is `northbound-api`'s `console` module.

pub mod feed;
pub mod state;
