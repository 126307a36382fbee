//! What the loader carries while it checks one spec file: the file, its line index, the
//! schemas and catalogue the file may name, and every mistake found so far, each at its line.
//! The checks themselves are functions over it, in `load.rs` (files and scenarios) and
//! `steps.rs` (steps).

use std::collections::BTreeSet;

use super::catalogue::Catalogue;
use crate::source::assets::AssetFile;
use crate::source::lines::LineIndex;
use crate::source::SourceError;

/// Variables every trial defines, whatever its fixtures.
pub const BUILT_IN_VARS: &[&str] = &["run_id", "api", "unknown_id", "user_name", "base_url"];

pub(super) struct Checker<'a> {
    pub(super) file: &'a AssetFile,
    pub(super) lines: LineIndex,
    pub(super) schema_names: BTreeSet<String>,
    pub(super) catalogue: &'a Catalogue,
    pub(super) errors: Vec<SourceError>,
}

impl Checker<'_> {
    pub(super) fn error(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(SourceError {
            file: self.file.display.clone(),
            line: self.lines.line(path),
            message: message.into(),
        });
    }
}

pub(super) fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

pub(super) fn is_method(s: &str) -> bool {
    matches!(
        s,
        "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS"
    )
}
