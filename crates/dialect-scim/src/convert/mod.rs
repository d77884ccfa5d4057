//! SCIM resources to core commands and core values back: a request's resource read as the
//! schema has it (`read`), users (`user`), groups and role groups (`groups`), and a filter on
//! users as core's query (`query`).

pub mod groups;
pub mod query;
pub mod read;
pub mod user;
