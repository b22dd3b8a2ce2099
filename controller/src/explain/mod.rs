//! Turning what the switches hold back into intent, for operators: every cookie decoded to the
//! object it was compiled from ([`owners`]), a switch's flows read live with their owners
//! ([`switch_flows`]), and packets traced through the compiled pipeline ([`trace`]).

pub mod live;
pub mod owners;
pub mod switch_flows;
pub mod trace;
