//! Scenario files: the raw YAML shape, the validated model, and the loader between them.

pub mod lines;
mod load;
pub mod matcher;
mod model;
mod raw;
pub mod scope;
mod steps;
pub mod template;
pub(crate) mod yaml;

pub use load::{load_file, load_suite, SpecError, BUILT_IN_VARS, SCENARIO_SCHEMA};
pub use model::*;
