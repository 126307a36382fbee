//! sn-conform: a conformance harness for ServiceNow's Conversation Member, Interaction
//! Management and AWA Inbox Actions REST APIs, with a faithful mock instance of them.
//!
//! # Layout
//! - [`mock`]: the mock instance (axum), its in-memory tables and its fault switch.
pub mod assets;
pub mod cli;
pub mod inputs;
pub mod mock;
pub mod report;
pub mod runner;
pub mod schema_set;
pub mod spec;
pub mod sys_id;
