//! One mistake in a source file: the file as messages name it, the line (0 for the whole
//! file) and the cause, shown the editor's way (`specs/a.yaml:7: cause`).

use std::fmt;

/// One mistake in a spec, catalogue, schema or profile file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            super::assets::location(&self.file, self.line),
            self.message
        )
    }
}

impl std::error::Error for SourceError {}
