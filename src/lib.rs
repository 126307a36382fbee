//! sn-conform: a conformance harness for ServiceNow's Conversation Member, Interaction
//! Management and AWA Inbox Actions REST APIs, with a faithful mock instance of them.
//!
//! Data flows one way: spec files -> validated scenarios -> libtest-mimic trials -> HTTP
//! exchanges -> check results -> one run result model -> reporters. The modules are layered
//! the same way: each uses only the ones listed before it (no module uses one after it, and
//! no two use each other).
//!
//! # Layout
//! - [`source`]: the bottom layer: where files come from (a directory or the built-in
//!   copies), lines of paths in YAML and JSON, YAML read into JSON values, JSON paths, "did
//!   you mean".
//! - [`platform`]: the platform's wire formats both sides share: sys_ids, the XML form.
//! - [`schemas`]: the JSON Schemas of `schemas/`, compiled once per run.
//! - [`spec`]: the scenario format (raw YAML, the validated model, templates, matchers, which
//!   fixtures a run shares) and the catalogue of documented cases.
//! - [`inputs`]: loading specs, schemas and catalogue before anything is sent; the checks of
//!   `openapi.yaml`.
//! - [`report`]: the one result model (trials, checks, exchanges, the doctor's diagnosis, the
//!   coverage matrix), its reporters (JSON, JUnit, Markdown, HTML), and what reads reports
//!   back (diff, compare, history).
//! - [`mock`]: the mock instance (axum), its in-memory tables and its fault switch.
//! - [`target`]: what a run talks to: the target, its accounts, target profiles, and the
//!   options that resolve to them.
//! - [`runner`]: a run: its services (the link to the target, the ledger, secrets, shared
//!   records, phases), its trials, the doctor's checks and the clean-up.
//! - [`cli`]: the command line (`run`, `mock`, `lint`, `diff`, `compare`, `history`, ...) and
//!   its exit codes.

// Data from an instance or a file never reaches `unwrap`/`expect`: outside unit tests both are
// errors (clippy runs with -D warnings in CI), so a bad answer or file is an error message,
// never a panic.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

/// This release's version and, when built from a git checkout, the commit and its date:
/// `0.2.0 (abc1234 2026-12-10)` (see `build.rs`).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), env!("SN_CONFORM_BUILT_FROM"));

pub mod cli;
pub mod inputs;
pub mod mock;
pub mod platform;
pub mod report;
pub mod runner;
pub mod schemas;
pub mod source;
pub mod spec;
pub mod target;
