//! The one verdict type: how a trial ended, and how a documented case, a diff, a history and
//! a comparison speak of it. Written as the lower-case names reports have always used
//! (`passed`, `failed`, `error`, `ignored`, `flaky`, `not run`).

use serde::{Deserialize, Serialize};

/// How a trial (or a documented case, over its trials) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every `must` check held (and every `should` check, under `--strict`).
    Passed,
    /// The instance answered, and the answer deviated from the documents.
    Failed,
    /// The harness could not ask: connection refused, timeout, unreadable body, fixture setup.
    Error,
    /// Not run, with the reason (a requirement the target cannot meet, or an interruption).
    Ignored,
    /// Failed or broke, then passed when retried (`--retries`); the attempts are kept.
    Flaky,
    /// A documented case whose trials were all filtered out of the run (never a trial's).
    #[serde(rename = "not run")]
    NotRun,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Error => "error",
            Verdict::Ignored => "ignored",
            Verdict::Flaky => "flaky",
            Verdict::NotRun => "not run",
        }
    }

    /// Failed or broke: the verdicts that fail a run.
    pub fn is_bad(self) -> bool {
        matches!(self, Verdict::Failed | Verdict::Error)
    }

    /// Passed, in the end (a flaky trial passed when retried).
    pub fn is_good(self) -> bool {
        matches!(self, Verdict::Passed | Verdict::Flaky)
    }

    /// Whether anything was run and judged (not ignored, not filtered out).
    pub fn ran(self) -> bool {
        !matches!(self, Verdict::Ignored | Verdict::NotRun)
    }

    /// One character for a row of runs: `.` passed, `F` failed, `E` error, `~` flaky, `-`
    /// not run.
    pub fn mark(verdict: Option<Verdict>) -> char {
        match verdict {
            Some(Verdict::Passed) => '.',
            Some(Verdict::Failed) => 'F',
            Some(Verdict::Error) => 'E',
            Some(Verdict::Flaky) => '~',
            _ => '-',
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verdict on one side that may be missing altogether, written `absent` when it is (the
/// diff, the history and the comparison show it so).
pub mod or_absent {
    use super::Verdict;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Verdict>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(text(*v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Verdict>, D::Error> {
        let text = String::deserialize(d)?;
        if text == "absent" {
            return Ok(None);
        }
        serde_json::from_value(serde_json::Value::String(text))
            .map(Some)
            .map_err(serde::de::Error::custom)
    }

    /// The verdict's name, or `absent`.
    pub fn text(v: Option<Verdict>) -> &'static str {
        v.map_or("absent", Verdict::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_are_written_as_reports_always_wrote_them() {
        for v in [
            Verdict::Passed,
            Verdict::Failed,
            Verdict::Error,
            Verdict::Ignored,
            Verdict::Flaky,
            Verdict::NotRun,
        ] {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{}\"", v.as_str()));
            assert_eq!(serde_json::from_str::<Verdict>(&json).unwrap(), v);
        }
    }
}
