//! Loading what a run needs before anything is sent: the schemas (compiled once), the
//! catalogue of documented cases, and the validated scenarios that name both.

pub mod openapi;

use std::path::Path;

use crate::schemas::SchemaSet;
use crate::source::assets;
use crate::spec::catalogue::Catalogue;
use crate::spec::{self, Suite};

/// Every mistake found, one line each (`file:line: cause`).
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct InputErrors(pub Vec<String>);

/// Everything loaded from `specs/` and `schemas/`.
pub struct Inputs {
    pub suite: Suite,
    pub schemas: SchemaSet,
    pub catalogue: Catalogue,
}

/// The suite, its schemas and the catalogue, from the given directories or their defaults.
pub fn load(specs: Option<&Path>, schemas: Option<&Path>) -> Result<Inputs, InputErrors> {
    let lines = |errors: Vec<crate::source::SourceError>| {
        InputErrors(errors.iter().map(ToString::to_string).collect())
    };
    let schema_dir = assets::schemas(schemas).map_err(|e| InputErrors(vec![e.to_string()]))?;
    let schema_set = SchemaSet::compile(&schema_dir)
        .map_err(|errors| InputErrors(errors.iter().map(ToString::to_string).collect()))?;
    let spec_dir = assets::specs(specs).map_err(|e| InputErrors(vec![e.to_string()]))?;
    let catalogue = Catalogue::from_dir(&spec_dir).map_err(lines)?;
    let suite = spec::load_suite(&spec_dir, &schema_set, &catalogue).map_err(lines)?;
    Ok(Inputs {
        suite,
        schemas: schema_set,
        catalogue,
    })
}
