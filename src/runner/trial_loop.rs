//! Each trial thread's own event loop and HTTP client.
//!
//! Trials run on threads of their own and wait for their requests with `block_on`. On the
//! run's shared runtime that costs two hand-offs between threads per request: the trial's
//! future runs on the trial thread while the connection it writes to is driven by a worker of
//! the runtime. A trial thread with a current-thread runtime and a client of its own drives
//! its connections itself: the request and its connection run on one thread, and the shared
//! runtime is left to the run's own work (the embedded mock, Ctrl-C, the final clean-up).
//!
//! The loop's client is used only inside its `block_on` ([`client`]): a connection the client
//! opened is driven only by that loop, so any other request (the clean-up at the end of a run,
//! on the main thread) goes through the run's client.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use crate::target::Target;

/// A current-thread runtime and the client whose connections it drives.
struct TrialLoop {
    /// Always `Some` until dropped; taken to shut down without waiting.
    runtime: Option<tokio::runtime::Runtime>,
    client: reqwest::Client,
}

impl Drop for TrialLoop {
    fn drop(&mut self) {
        // Idle pooled connections are all that may be left: nothing to wait for, and dropping
        // a runtime the ordinary way inside another runtime's task would panic.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

thread_local! {
    /// The loop installed on this thread, and the run it was made for.
    static INSTALLED: RefCell<Option<(String, Rc<TrialLoop>)>> = const { RefCell::new(None) };
    /// Whether this thread is inside its loop's `block_on` (where its client may be used).
    static DRIVING: Cell<bool> = const { Cell::new(false) };
}

/// Makes sure this thread has a loop for run `run_id` (a client for `target`), made the first
/// time one of the run's trials runs on it and kept until the thread ends or a trial of
/// another run replaces it. When the runtime or the client cannot be built, the thread has
/// none, and its trials go through the run's runtime and client.
pub(super) fn ensure(run_id: &str, target: &Target) {
    let current = INSTALLED.with(|cell| {
        cell.borrow()
            .as_ref()
            .is_some_and(|(installed_for, _)| installed_for == run_id)
    });
    if current {
        return;
    }
    let built = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()
        .zip(target.client_builder().build().ok());
    let installed = built.map(|(runtime, client)| {
        let made = TrialLoop {
            runtime: Some(runtime),
            client,
        };
        (run_id.to_string(), Rc::new(made))
    });
    INSTALLED.with(|cell| *cell.borrow_mut() = installed);
}

/// Runs `future` to completion on this thread: on its loop when one is installed, otherwise
/// on `shared` (the run's runtime).
pub(super) fn block_on<F: Future>(shared: &tokio::runtime::Handle, future: F) -> F::Output {
    let installed = INSTALLED.with(|cell| cell.borrow().as_ref().map(|(_, l)| Rc::clone(l)));
    let Some(installed) = installed.filter(|_| !DRIVING.get()) else {
        return shared.block_on(future);
    };
    let Some(runtime) = installed.runtime.as_ref() else {
        return shared.block_on(future);
    };
    /// Clears the flag again, whether the future completes or panics.
    struct Driving;
    impl Drop for Driving {
        fn drop(&mut self) {
            DRIVING.set(false);
        }
    }
    DRIVING.set(true);
    let _driving = Driving;
    runtime.block_on(future)
}

/// The client of this thread's loop, while the loop is driving a future.
pub(super) fn client() -> Option<reqwest::Client> {
    if !DRIVING.get() {
        return None;
    }
    INSTALLED.with(|cell| cell.borrow().as_ref().map(|(_, l)| l.client.clone()))
}
