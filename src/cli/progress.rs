//! Progress of a run on the terminal: trials done, failed and left, and an estimate of the
//! time left. On a terminal, one line on stderr rewritten in place (in colour unless
//! `NO_COLOR`); otherwise a plain line every tenth of the run or every 30 seconds, so that a
//! CI log shows a long run moving without drowning in it.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use colored::Colorize;

use crate::report::{TrialResult, Verdict};

/// How often a plain (non-terminal) progress line is printed at most.
const PLAIN_EVERY: Duration = Duration::from_secs(30);

pub struct Progress {
    total: usize,
    started: Instant,
    tty: bool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    done: usize,
    failed: usize,
    flaky: usize,
    last_plain: Option<Instant>,
    last_step: usize,
}

impl Progress {
    pub fn new(total: usize, tty: bool) -> Self {
        Self {
            total,
            started: Instant::now(),
            tty,
            state: Mutex::default(),
        }
    }

    /// Counts one finished trial and shows the line.
    pub fn trial_done(&self, result: &TrialResult) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.done += 1;
        if result.outcome.is_bad() {
            state.failed += 1;
        }
        if result.outcome == Verdict::Flaky {
            state.flaky += 1;
        }
        let line = self.line(&state);
        if self.tty {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K{line}");
            let _ = err.flush();
        } else {
            // A plain line each tenth of the run, or after PLAIN_EVERY, and at the end.
            let step = state.done * 10 / self.total.max(1);
            let due = state.last_plain.is_none_or(|t| t.elapsed() >= PLAIN_EVERY);
            if step > state.last_step || due || state.done == self.total {
                state.last_step = step;
                state.last_plain = Some(Instant::now());
                eprintln!("{line}");
            }
        }
    }

    /// Clears the line on a terminal, before the summary is printed.
    pub fn finish(&self) {
        if self.tty {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }

    fn line(&self, state: &State) -> String {
        let left = self.total.saturating_sub(state.done);
        let eta = if state.done == 0 || left == 0 {
            String::new()
        } else {
            let per_trial = self.started.elapsed().as_secs_f64() / state.done as f64;
            format!(", about {} left", duration(per_trial * left as f64))
        };
        let failed = format!("{} failed", state.failed);
        let failed = if state.failed > 0 && self.tty {
            failed.red().to_string()
        } else {
            failed
        };
        let flaky = if state.flaky > 0 {
            format!(", {} flaky", state.flaky)
        } else {
            String::new()
        };
        format!(
            "progress: {}/{} trials done, {failed}{flaky}, {left} to go{eta}",
            state.done, self.total
        )
    }
}

/// `1m05s`, `42s`.
fn duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_counts_and_estimates() {
        let p = Progress::new(10, false);
        let state = State {
            done: 4,
            failed: 1,
            ..State::default()
        };
        let line = p.line(&state);
        assert!(
            line.starts_with("progress: 4/10 trials done, 1 failed, 6 to go, about "),
            "{line}"
        );
        assert_eq!(duration(65.2), "1m05s");
        assert_eq!(duration(42.0), "42s");
    }
}
