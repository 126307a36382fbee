//! sn-conform: a conformance harness for ServiceNow's Conversation Member, Interaction
//! Management and AWA Inbox Actions REST APIs, with a faithful mock instance of them.
//!
//! Data flows one way: spec files -> validated scenarios -> libtest-mimic trials -> HTTP
//! exchanges -> check results -> one run result model -> reporters.
//!
//! # Layout
//! - [`cli`]: the command line (`run`, `mock`, `lint`, `diff`, `compare`, `history`, ...) and
//!   its exit codes.
//! - [`assets`]: where spec and schema files come from (a directory or the built-in copies).
//! - [`inputs`]: loading and checking specs and schemas before anything is sent.
//! - [`catalogue`]: the documented cases of every operation, as data.
//! - [`doctor`]: what the pre-flight checks of an instance found, and their reports.
//! - [`coverage`]: the catalogue against the scenarios (and a run's outcomes).
//! - [`spec`]: the scenario format: raw YAML, the validated model, templates, matchers.
//! - [`schema_set`]: the JSON Schemas, compiled once per run.
//! - [`runner`]: trials, fixtures, HTTP exchanges and checks.
//! - [`report`]: the result model and its JSON, JUnit, Markdown and HTML reporters.
//! - [`profile`]: target profiles (`--target FILE`): an instance, its credential variables,
//!   pins, skips and settings.
//! - [`openapi`]: checks of `schemas/openapi.yaml` against the catalogue and the schemas.
//! - [`mock`]: the mock instance (axum), its in-memory tables and its fault switch.
//! - [`suggest`]: "did you mean" for misspelt names.
//! - [`sys_id`]: fresh sys_ids.
//! - [`xml`]: the platform's XML form of JSON bodies, both ways.

// Data from an instance or a file never reaches `unwrap`/`expect`: outside unit tests both are
// errors (clippy runs with -D warnings in CI), so a bad answer or file is an error message,
// never a panic.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod assets;
pub mod catalogue;
pub mod cli;
pub mod coverage;
pub mod doctor;
pub mod inputs;
pub mod mock;
pub mod openapi;
pub mod profile;
pub mod report;
pub mod runner;
pub mod schema_set;
pub mod spec;
pub mod suggest;
pub mod sys_id;
pub mod xml;
