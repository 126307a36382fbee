//! Scenario files: the raw YAML shape, the validated model (expectations and templates
//! compiled at load), the loader between them, which fixtures a run shares, and the catalogue
//! of documented cases the scenarios cover.

pub mod catalogue;
mod checker;
mod load;
pub mod matcher;
mod model;
mod raw;
pub mod scope;
mod steps;
pub mod template;

pub use checker::BUILT_IN_VARS;
pub use load::{load_file, load_suite, SCENARIO_SCHEMA};
pub use model::*;
