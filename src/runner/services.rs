//! The services of one run, each a value with one job, shared by every trial:
//!
//! - [`Client`]: the link to the target (HTTP, the limit on requests in flight, secrets,
//!   OAuth tokens, the stop switch);
//! - [`Ledger`]: every record created and setting changed, written through as it happens;
//! - [`SharedFixtures`]: records created once and shared, or leased one trial at a time;
//! - [`Phases`]: the exclusive phases of the trials that change instance-wide settings;
//! - [`Collector`]: every finished trial's result, for the reports.
//!
//! Besides them, what the run was prepared with: the compiled schemas, what the doctor found,
//! how many more attempts a failed trial gets. Everything is set when the run is prepared
//! and only read after.

use super::client::Client;
use super::collector::Collector;
use super::ledger::Ledger;
use super::phase::Phases;
use super::shared::SharedFixtures;
use crate::report::doctor::Diagnosis;
use crate::schemas::SchemaSet;

/// The services of one run.
pub(super) struct Services {
    pub(super) client: Client,
    pub(super) ledger: Ledger,
    pub(super) shared: SharedFixtures,
    pub(super) phases: Phases,
    pub(super) results: Collector,
    pub(super) schemas: SchemaSet,
    /// What the doctor found before the trials, when it ran: failed checks make the trials
    /// that depend on them ignored, with the doctor's reason.
    pub(super) diagnosis: Option<Diagnosis>,
    /// How many more attempts a failed or broken trial gets (`--retries`).
    pub(super) retries: usize,
    /// Part of every fixture name, so runs never collide.
    pub(super) run_id: String,
}

impl Services {
    pub(super) fn new(
        client: Client,
        ledger: Ledger,
        schemas: SchemaSet,
        diagnosis: Option<Diagnosis>,
        retries: usize,
        run_id: String,
    ) -> Self {
        Self {
            client,
            ledger,
            shared: SharedFixtures::default(),
            phases: Phases::default(),
            results: Collector::default(),
            schemas,
            diagnosis,
            retries,
            run_id,
        }
    }
}
