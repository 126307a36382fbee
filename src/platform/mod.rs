//! What the platform's wire looks like, shared by the runner and the mock: sys_ids
//! ([`sys_id`]) and the XML form of its JSON bodies ([`xml`]).

pub mod sys_id;
pub mod xml;
