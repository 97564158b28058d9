//! [`State`]: one sequence's memory, borrowed from its [`Model`].

use std::ptr::NonNull;

use deltanet_sys as sys;

use crate::defaults::c_defaults;
use crate::error::{check, non_null, Result};
use crate::model::Model;

/// Options of [`State::with_options`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateOptions {
    /// Tokens the key/value cache of a global attention layer holds; 0 (the default) means the
    /// config's `max_position_embeddings`. Ignored by models without such layers.
    pub max_context: i64,
}

/// One sequence's memory: delta-rule matrices, convolution tails and attention caches.
///
/// A state borrows the model it was made for, so it cannot outlive it. It may move to another
/// thread (`Send`) but not be shared (not `Sync`): calls that change it take `&mut State`. Using
/// it with another model is an error with [`Status::StateMismatch`](crate::Status::StateMismatch).
#[derive(Debug)]
pub struct State<'m> {
    raw: NonNull<sys::dn_state>,
    model: &'m Model,
}

// SAFETY: a dn_state may be used from any thread, one at a time (guaranteed by &mut and !Sync);
// the borrowed model is Sync.
unsafe impl Send for State<'_> {}

impl<'m> State<'m> {
    /// An empty state (no tokens seen) for `model`, with default options.
    pub fn new(model: &'m Model) -> Result<State<'m>> {
        State::with_options(model, &StateOptions::default())
    }

    /// An empty state for `model` with `options`.
    pub fn with_options(model: &'m Model, options: &StateOptions) -> Result<State<'m>> {
        // SAFETY: dn_state_options is plain data; dn_state_options_init is its init function.
        let mut raw_options = unsafe { c_defaults(sys::dn_state_options_init) };
        raw_options.max_context = options.max_context;
        let mut raw = std::ptr::null_mut();
        // SAFETY: valid model, options and output pointer.
        check(unsafe { sys::dn_state_create(model.as_ptr(), &raw_options, &mut raw) })?;
        Ok(State { raw: non_null(raw, "dn_state_create")?, model })
    }

    /// The model this state was made for.
    pub fn model(&self) -> &'m Model {
        self.model
    }

    /// Forgets every token: the state becomes as new.
    pub fn reset(&mut self) -> Result<()> {
        // SAFETY: valid handle.
        check(unsafe { sys::dn_state_reset(self.raw.as_ptr()) })
    }

    /// An independent copy: same model, same tokens seen, bit-identical memory.
    pub fn try_clone(&self) -> Result<State<'m>> {
        let mut raw = std::ptr::null_mut();
        // SAFETY: valid handle and output pointer.
        check(unsafe { sys::dn_state_clone(self.raw.as_ptr(), &mut raw) })?;
        Ok(State { raw: non_null(raw, "dn_state_clone")?, model: self.model })
    }

    /// The number of tokens the state has consumed.
    pub fn position(&self) -> i64 {
        let mut position = 0;
        // SAFETY: valid handle and output pointer.
        let status = unsafe { sys::dn_state_position(self.raw.as_ptr(), &mut position) };
        debug_assert_eq!(status, sys::DN_OK);
        position
    }

    /// Serialises the state: a versioned blob with a fingerprint of the model and a checksum,
    /// for [`State::load`].
    pub fn save(&self) -> Result<Vec<u8>> {
        let mut size = 0;
        // SAFETY: valid handle and output pointer.
        check(unsafe { sys::dn_state_save_size(self.raw.as_ptr(), &mut size) })?;
        let mut blob = vec![0u8; size];
        let mut written = 0;
        // SAFETY: the buffer holds `size` bytes.
        check(unsafe { sys::dn_state_save(self.raw.as_ptr(), blob.as_mut_ptr().cast(), blob.len(), &mut written) })?;
        blob.truncate(written);
        Ok(blob)
    }

    /// Replaces the contents with a blob from [`State::save`] of a state of the same model and
    /// options. On error the state is unchanged: `StateCorrupt` for a damaged blob,
    /// `StateMismatch` for one of another model.
    pub fn load(&mut self, blob: &[u8]) -> Result<()> {
        // SAFETY: valid handle; the slice is readable for its length.
        check(unsafe { sys::dn_state_load(self.raw.as_ptr(), blob.as_ptr().cast(), blob.len()) })
    }

    pub(crate) fn as_ptr(&mut self) -> *mut sys::dn_state {
        self.raw.as_ptr()
    }
}

impl Drop for State<'_> {
    fn drop(&mut self) {
        // SAFETY: owned handle, freed once; the model outlives it (borrowed).
        unsafe { sys::dn_state_free(self.raw.as_ptr()) };
    }
}
