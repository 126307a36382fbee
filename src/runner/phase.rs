//! Exclusive phases: the trials that need an instance-wide setting changed (today
//! `glide.awa.enabled` false) run together, in a phase of their own, before every other
//! trial. The first of them to start changes the setting, once; they run in parallel; the
//! last to finish puts it back, once; only then does any other trial start. So the setting is
//! changed twice per run instead of twice per trial, and no exchange of another trial ever
//! overlaps the phase.
//!
//! The trials are ordered so that every phase's trials are handed out before any later
//! trial: a worker that picks up a later trial waits here until the phases before it are
//! closed, and it cannot be waiting on a phase trial nobody has started.
//!
//! A `std::sync::Mutex` and a `Condvar`: trials run on worker threads outside the runtime and
//! wait here before any of their requests; the lock is never held across one.

use std::sync::{Condvar, Mutex};

use super::error::Broken;

/// The settings a phase holds, as `(name, value)`, in the scenario's order.
pub(super) type Settings = Vec<(String, String)>;

/// A setting to put back when its phase ends.
#[derive(Debug, Clone)]
pub(super) struct Restore {
    pub(super) sys_id: String,
    pub(super) name: String,
    pub(super) value: String,
}

#[derive(Debug)]
enum Applied {
    No,
    Applying,
    Done(Result<(), Broken>),
}

#[derive(Debug)]
struct Group {
    settings: Settings,
    /// Trials of the phase not yet finished.
    pending: usize,
    applied: Applied,
    /// What to put back, known before each change is sent (so a change whose answer was
    /// lost is put back too).
    restores: Vec<Restore>,
    closed: bool,
    /// Opened by a trial of a run that armed no phases: each trial joining counts itself.
    lazy: bool,
}

/// The phases of a run, in run order.
#[derive(Default)]
pub(super) struct Phases {
    groups: Mutex<Vec<Group>>,
    changed: Condvar,
}

impl Phases {
    /// Sets up one phase per distinct set of settings, with how many of the run's selected
    /// trials need it (a phase nobody needs is closed at once).
    pub(super) fn arm(&self, phases: Vec<(Settings, usize)>) {
        let mut groups = self.lock();
        *groups = phases
            .into_iter()
            .map(|(settings, pending)| Group {
                settings,
                pending,
                applied: Applied::No,
                restores: Vec::new(),
                closed: pending == 0,
                lazy: false,
            })
            .collect();
        self.changed.notify_all();
    }

    /// The phase of a trial that needs `settings`: the armed one, or, in a run that armed
    /// none for them (a trial run on its own), one opened now that counts each trial joining
    /// it, so the settings are still changed once and put back by the last to leave.
    pub(super) fn phase_for(&self, settings: &Settings) -> usize {
        let mut groups = self.lock();
        // A closed phase is over: a trial that still comes (a run that counted wrong) gets a new
        // one rather than a setting already put back.
        if let Some(i) = groups
            .iter()
            .position(|g| &g.settings == settings && !g.closed)
        {
            if groups[i].lazy {
                groups[i].pending += 1;
            }
            return i;
        }
        groups.push(Group {
            settings: settings.clone(),
            pending: 1,
            applied: Applied::No,
            restores: Vec::new(),
            closed: false,
            lazy: true,
        });
        groups.len() - 1
    }

    /// Waits until every phase before `phase` (every phase, for `None`) is closed.
    pub(super) fn wait_turn(&self, phase: Option<usize>) {
        let mut groups = self.lock();
        loop {
            let until = phase.unwrap_or(groups.len()).min(groups.len());
            if groups[..until].iter().all(|g| g.closed) {
                return;
            }
            groups = self.changed.wait(groups).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Joins `phase`: the first trial to join applies its settings with `apply` (which pushes
    /// what to put back onto the list it is given before sending each change); the others
    /// wait for that and get its outcome.
    pub(super) fn enter(
        &self,
        phase: usize,
        apply: impl FnOnce(&mut Vec<Restore>) -> Result<(), Broken>,
    ) -> Result<(), Broken> {
        let mut groups = self.lock();
        loop {
            match &groups[phase].applied {
                Applied::Done(outcome) => return outcome.clone(),
                Applied::Applying => {
                    groups = self.changed.wait(groups).unwrap_or_else(|p| p.into_inner());
                }
                Applied::No => break,
            }
        }
        groups[phase].applied = Applied::Applying;
        drop(groups);
        let mut restores = Vec::new();
        let outcome = apply(&mut restores);
        let mut groups = self.lock();
        groups[phase].restores.extend(restores);
        groups[phase].applied = Applied::Done(outcome.clone());
        self.changed.notify_all();
        outcome
    }

    /// A trial of `phase` is done. The last one gets what to put back (newest first) and must
    /// call [`Phases::close`] once it has; `None` when it is not the last, or when nothing
    /// was changed (the phase is then closed here).
    pub(super) fn leave(&self, phase: usize) -> Option<Vec<Restore>> {
        let mut groups = self.lock();
        let group = &mut groups[phase];
        group.pending = group.pending.saturating_sub(1);
        if group.pending > 0 {
            return None;
        }
        let restores: Vec<Restore> = std::mem::take(&mut group.restores)
            .into_iter()
            .rev()
            .collect();
        if restores.is_empty() {
            group.closed = true;
            self.changed.notify_all();
            return None;
        }
        Some(restores)
    }

    /// The last trial of `phase` has put its settings back: later trials may start.
    pub(super) fn close(&self, phase: usize) {
        let mut groups = self.lock();
        groups[phase].closed = true;
        self.changed.notify_all();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Group>> {
        self.groups.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn awa_off() -> Settings {
        vec![("glide.awa.enabled".into(), "false".into())]
    }

    #[test]
    fn settings_are_applied_once_and_put_back_by_the_last_trial() {
        let phases = Arc::new(Phases::default());
        phases.arm(vec![(awa_off(), 8)]);
        let applied = Arc::new(AtomicUsize::new(0));
        let restored = Arc::new(AtomicUsize::new(0));
        std::thread::scope(|scope| {
            for _ in 0..8 {
                let (phases, applied, restored) = (&phases, &applied, &restored);
                scope.spawn(move || {
                    let phase = phases.phase_for(&awa_off());
                    phases.wait_turn(Some(phase));
                    phases
                        .enter(phase, |restores| {
                            applied.fetch_add(1, Ordering::SeqCst);
                            restores.push(Restore {
                                sys_id: "p".into(),
                                name: "glide.awa.enabled".into(),
                                value: "true".into(),
                            });
                            Ok(())
                        })
                        .unwrap();
                    if let Some(back) = phases.leave(phase) {
                        assert_eq!(back.len(), 1);
                        restored.fetch_add(1, Ordering::SeqCst);
                        phases.close(phase);
                    }
                });
            }
        });
        assert_eq!(applied.load(Ordering::SeqCst), 1);
        assert_eq!(restored.load(Ordering::SeqCst), 1);
        // Later trials are no longer held.
        phases.wait_turn(None);
    }

    #[test]
    fn a_later_trial_waits_until_the_phase_is_closed() {
        let phases = Arc::new(Phases::default());
        phases.arm(vec![(awa_off(), 1)]);
        let order = Arc::new(Mutex::new(Vec::new()));
        std::thread::scope(|scope| {
            let (p, o) = (&phases, &order);
            scope.spawn(move || {
                p.wait_turn(None);
                o.lock().unwrap().push("later trial");
            });
            let phase = phases.phase_for(&awa_off());
            phases
                .enter(phase, |r| {
                    r.push(Restore {
                        sys_id: "p".into(),
                        name: "n".into(),
                        value: "v".into(),
                    });
                    Ok(())
                })
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(50));
            let back = phases.leave(phase).unwrap();
            order.lock().unwrap().push("restored");
            assert_eq!(back.len(), 1);
            phases.close(phase);
        });
        assert_eq!(*order.lock().unwrap(), vec!["restored", "later trial"]);
    }

    #[test]
    fn a_failed_change_is_still_put_back_and_shared_with_the_phase() {
        let phases = Phases::default();
        phases.arm(vec![(awa_off(), 2)]);
        let first = phases.enter(0, |r| {
            r.push(Restore {
                sys_id: "p".into(),
                name: "n".into(),
                value: "v".into(),
            });
            Err(Broken::nowhere(
                crate::runner::error::TrialError::SettingRefused { status: 500 },
            ))
        });
        let second = phases.enter(0, |_| unreachable!("applied once"));
        let text = |r: Result<(), Broken>| r.map_err(|e| e.to_string());
        assert_eq!(text(first), Err("setting it answered 500".to_string()));
        assert_eq!(text(second), Err("setting it answered 500".to_string()));
        assert!(phases.leave(0).is_none());
        assert_eq!(phases.leave(0).map(|r| r.len()), Some(1));
    }

    #[test]
    fn a_phase_nobody_needs_holds_nobody_up() {
        let phases = Phases::default();
        phases.arm(vec![(awa_off(), 0)]);
        phases.wait_turn(None);
        let phases = Phases::default();
        phases.arm(vec![(awa_off(), 1)]);
        // Its only trial was ignored: nothing to put back, and the phase closes.
        assert!(phases.leave(0).is_none());
        phases.wait_turn(None);
    }
}
