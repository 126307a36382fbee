//! The bottom layer: source files and places in them. Where spec, schema and profile files
//! come from ([`assets`]), the line of any path of a YAML or JSON file ([`lines`]), YAML read
//! into JSON values with merge keys and streamed lists ([`yaml`]), JSON paths, pointers and
//! values in messages ([`json`]), "did you mean" ([`suggest`]), and a map on two threads
//! for loading ([`split`]). The scenario, catalogue,
//! schema and profile loaders and the reports all use it; it uses none of them.

pub mod assets;
mod error;
pub mod json;
pub mod lines;
pub mod split;
pub mod suggest;
pub mod yaml;

pub use error::SourceError;
