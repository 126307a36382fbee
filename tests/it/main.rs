//! The integration tests, one module per area, linked into one test binary (one link instead
//! of one per file; the helpers in `common` are shared without `#[allow(dead_code)]`).

mod common;

mod bad_inputs;
mod cli;
mod compare;
mod compat;
mod concurrency;
mod coverage;
mod dictionary;
mod diff;
mod doctor;
mod envelope;
mod first_hour;
mod foreign_target;
mod fuzz_loader;
mod html;
mod instance_made;
mod ledger;
mod misbehaving;
mod mock;
mod nightly;
mod oauth;
mod openapi;
mod read_only;
mod readme;
mod scenario_schema;
mod scope;
mod secrets;
mod seed;
mod shared_fixtures;
mod spec_errors;
mod stop_early;
mod suite;
mod table_api;
mod tls;
mod warnings;
