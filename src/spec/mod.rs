//! Scenario files: the raw YAML shape, the validated model, and the loader between them.

pub mod catalogue;
mod load;
pub mod matcher;
mod model;
mod raw;
pub mod scope;
mod steps;
pub mod template;

pub use load::{load_file, load_suite, BUILT_IN_VARS, SCENARIO_SCHEMA};
pub use model::*;
