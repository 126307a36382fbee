//! What `sn-conform doctor` found: every assumption the scenarios make about an instance
//! (reachable, accounts and roles, plugins, tables, fields, choice values, the AWA switch,
//! permission to create and delete), each passed, failed or "could not check", with what to
//! do and which scenarios depend on it. The checks run in [`crate::runner`]; `run` turns a
//! failed check into ignored trials carrying its reason.
//!
//! The platform hides rows an account may not read without saying so, so a check fails only
//! on positive evidence (the dictionary lists the table's fields and this one is missing);
//! an empty answer makes it "could not check", never a pass.
//!
//! ```text
//! sn-conform doctor: http://127.0.0.1:8080
//!   ok       connection                     reachable; the main account is authenticated
//!   FAILED   field awa_work_item.rejected   the dictionary lists 7 fields of awa_work_item (and its parents), not this one
//!            what to do: add the field, or skip the 6 scenarios that need it: ...
//!   ?        plugin com.glide.awa           could not check: v_plugin and sys_plugins list nothing
//! 41 checks: 39 passed, 1 failed, 1 could not check
//! ```

use serde::{Deserialize, Serialize};

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Passed,
    Failed,
    /// No evidence either way; never counts as a pass or a failure.
    CouldNotCheck,
    /// Failed, but every scenario that needs it is skipped by the target profile: shown, and
    /// fails neither the doctor nor the run.
    Skipped,
}

impl CheckStatus {
    fn mark(self) -> &'static str {
        match self {
            CheckStatus::Passed => "ok",
            CheckStatus::Failed => "FAILED",
            CheckStatus::CouldNotCheck => "?",
            CheckStatus::Skipped => "skipped",
        }
    }
}

/// One assumption and what the instance showed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    /// Stable id, e.g. `field:awa_work_item.rejected`.
    pub id: String,
    pub title: String,
    pub status: CheckStatus,
    pub detail: String,
    /// What to do about a failed check or one that could not be made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
    /// The scenarios (`api/operation::name`) that depend on it.
    pub scenarios: Vec<String>,
    /// A failure here makes every trial pointless (unreachable, credentials refused).
    pub blocks_run: bool,
}

impl Check {
    pub fn passed(id: String, title: String, detail: String, scenarios: Vec<String>) -> Self {
        Self {
            id,
            title,
            status: CheckStatus::Passed,
            detail,
            advice: None,
            scenarios,
            blocks_run: false,
        }
    }

    pub fn failed(
        id: String,
        title: String,
        detail: String,
        advice: String,
        scenarios: Vec<String>,
    ) -> Self {
        Self {
            status: CheckStatus::Failed,
            advice: Some(advice),
            ..Self::passed(id, title, detail, scenarios)
        }
    }

    pub fn unknown(
        id: String,
        title: String,
        reason: String,
        advice: String,
        scenarios: Vec<String>,
    ) -> Self {
        Self {
            status: CheckStatus::CouldNotCheck,
            detail: format!("could not check: {reason}"),
            advice: Some(advice),
            ..Self::passed(id, title, String::new(), scenarios)
        }
    }
}

/// Every check made against one instance.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Diagnosis {
    pub base_url: String,
    pub checks: Vec<Check>,
}

impl Diagnosis {
    pub fn count(&self, status: CheckStatus) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }

    pub fn has_failures(&self) -> bool {
        self.count(CheckStatus::Failed) > 0
    }

    /// The failed check that makes every trial pointless, if any.
    pub fn blocking(&self) -> Option<&Check> {
        self.checks
            .iter()
            .find(|c| c.blocks_run && c.status == CheckStatus::Failed)
    }

    /// Why the scenario `key` should not run: the first failed check it depends on.
    pub fn ignore_reason(&self, key: &str) -> Option<String> {
        self.checks
            .iter()
            .find(|c| c.status == CheckStatus::Failed && c.scenarios.iter().any(|s| s == key))
            .map(|c| format!("doctor: {}: {}", c.title, c.detail))
    }

    /// A failed check whose scenarios are all skipped by the target profile (`skipped` says
    /// which are) becomes [`CheckStatus::Skipped`]: what it would have left out is not run
    /// anyway. A check that makes every trial pointless stays failed.
    pub fn excuse_skipped(&mut self, skipped: impl Fn(&str) -> bool) {
        for check in &mut self.checks {
            if check.status == CheckStatus::Failed
                && !check.blocks_run
                && !check.scenarios.is_empty()
                && check.scenarios.iter().all(|s| skipped(s))
            {
                check.status = CheckStatus::Skipped;
                check.detail = format!(
                    "{} (every scenario that needs it is skipped by the target profile)",
                    check.detail
                );
                check.advice = None;
            }
        }
    }

    /// `N checks: P passed, F failed, U could not check` (and `S skipped by the profile`).
    pub fn counts_line(&self) -> String {
        let skipped = self.count(CheckStatus::Skipped);
        format!(
            "{} checks: {} passed, {} failed, {} could not check{}",
            self.checks.len(),
            self.count(CheckStatus::Passed),
            self.count(CheckStatus::Failed),
            self.count(CheckStatus::CouldNotCheck),
            if skipped > 0 {
                format!(", {skipped} failed but skipped by the profile")
            } else {
                String::new()
            }
        )
    }

    /// The table printed by `doctor` (every check) or by `run` (`all: false`: only what did
    /// not pass).
    pub fn text(&self, all: bool) -> String {
        let width = self
            .checks
            .iter()
            .map(|c| c.title.chars().count())
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        for check in &self.checks {
            if !all && check.status == CheckStatus::Passed {
                continue;
            }
            out.push_str(&format!(
                "  {:8} {:width$}  {}\n",
                check.status.mark(),
                check.title,
                check.detail
            ));
            if let Some(advice) = &check.advice {
                out.push_str(&format!("  {:8} {:width$}  what to do: {advice}\n", "", ""));
            }
            if check.status == CheckStatus::Failed && !check.scenarios.is_empty() {
                out.push_str(&format!(
                    "  {:8} {:width$}  needed by {} scenario(s): {}\n",
                    "",
                    "",
                    check.scenarios.len(),
                    shorten(&check.scenarios)
                ));
            }
        }
        out.push_str(&self.counts_line());
        out.push('\n');
        out
    }
}

/// The first few names, and how many more.
fn shorten(names: &[String]) -> String {
    const SHOWN: usize = 6;
    let mut text = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if names.len() > SHOWN {
        text.push_str(&format!("; and {} more", names.len() - SHOWN));
    }
    text
}
