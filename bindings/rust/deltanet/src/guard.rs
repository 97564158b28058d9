//! Calling user closures from C callbacks without letting a panic unwind through C frames.

use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

/// A closure called from C, with the panic it raised (if any) kept for later. After a panic the
/// closure is not called again; the C callback reports "stop" instead, and the caller re-raises
/// the panic with [`Guarded::resume_panic`] once the C function has returned.
pub(crate) struct Guarded<F> {
    f: F,
    panic: Option<Box<dyn Any + Send + 'static>>,
}

impl<F> Guarded<F> {
    pub(crate) fn new(f: F) -> Guarded<F> {
        Guarded { f, panic: None }
    }

    /// Runs `call` on the closure; returns `on_panic` if it panics now or panicked before.
    pub(crate) fn call<R>(&mut self, on_panic: R, call: impl FnOnce(&mut F) -> R) -> R {
        if self.panic.is_some() {
            return on_panic;
        }
        let f = &mut self.f;
        match catch_unwind(AssertUnwindSafe(|| call(f))) {
            Ok(result) => result,
            Err(payload) => {
                self.panic = Some(payload);
                on_panic
            }
        }
    }

    /// Continues unwinding the closure's panic in the caller's frame, if there was one.
    pub(crate) fn resume_panic(&mut self) {
        if let Some(payload) = self.panic.take() {
            resume_unwind(payload);
        }
    }
}
