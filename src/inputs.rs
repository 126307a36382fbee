//! Loading what a run needs before anything is sent: the schemas (compiled once) and the
//! validated scenarios that name them.

use std::path::Path;

use crate::assets;
use crate::schema_set::SchemaSet;
use crate::spec::{self, Suite};

/// Every mistake found, one line each (`file:line: cause`).
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct InputErrors(pub Vec<String>);

/// The suite and its schemas, from the given directories or their defaults.
pub fn load(
    specs: Option<&Path>,
    schemas: Option<&Path>,
) -> Result<(Suite, SchemaSet), InputErrors> {
    let schema_dir = assets::schemas(schemas).map_err(|e| InputErrors(vec![e.to_string()]))?;
    let schema_set = SchemaSet::compile(&schema_dir)
        .map_err(|errors| InputErrors(errors.iter().map(ToString::to_string).collect()))?;
    let spec_dir = assets::specs(specs).map_err(|e| InputErrors(vec![e.to_string()]))?;
    let suite = spec::load_suite(&spec_dir, &schema_set.names())
        .map_err(|errors| InputErrors(errors.iter().map(ToString::to_string).collect()))?;
    Ok((suite, schema_set))
}
