//! Running the model: [`Model::forward`] and [`Model::decode_batch`].

use deltanet_sys as sys;

use crate::error::{check, invalid, Result};
use crate::model::Model;
use crate::state::State;
use crate::stream::Stream;

/// Which logits [`Model::forward`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Logits {
    /// None (prefill only).
    None,
    /// The last position's: `vocab_size` floats.
    Last,
    /// Every position's: `tokens.len() × vocab_size` floats, row-major.
    All,
}

impl Logits {
    fn raw(self) -> sys::dn_logits_mode {
        match self {
            Logits::None => sys::DN_LOGITS_NONE,
            Logits::Last => sys::DN_LOGITS_LAST,
            Logits::All => sys::DN_LOGITS_ALL,
        }
    }
}

impl Model {
    /// How many floats `mode` returns for `n_tokens` tokens.
    pub fn logits_len(&self, n_tokens: usize, mode: Logits) -> usize {
        match mode {
            Logits::None => 0,
            Logits::Last => self.vocab_size(),
            Logits::All => n_tokens.saturating_mul(self.vocab_size()),
        }
    }

    /// Feeds `tokens` (one sequence) into `state`, advancing it, and returns the logits `mode`
    /// asks for. More than one token runs the chunkwise-parallel prefill, one token the recurrent
    /// step. On error the state is not advanced.
    pub fn forward(
        &self,
        stream: &mut Stream,
        state: &mut State<'_>,
        tokens: &[i32],
        mode: Logits,
    ) -> Result<Vec<f32>> {
        let mut logits = vec![0.0f32; self.logits_len(tokens.len(), mode)];
        self.forward_into(stream, state, tokens, mode, &mut logits)?;
        Ok(logits)
    }

    /// As [`Model::forward`], writing the logits into `logits`, which must hold at least
    /// [`Model::logits_len`] floats (else a `BufferTooSmall` error and nothing is written).
    pub fn forward_into(
        &self,
        stream: &mut Stream,
        state: &mut State<'_>,
        tokens: &[i32],
        mode: Logits,
        logits: &mut [f32],
    ) -> Result<()> {
        let out = if mode == Logits::None { std::ptr::null_mut() } else { logits.as_mut_ptr() };
        let capacity = if mode == Logits::None { 0 } else { logits.len() };
        // SAFETY: valid handles; `tokens` and `logits` are valid for their lengths.
        check(unsafe {
            sys::dn_forward(
                stream.as_ptr(),
                self.as_ptr(),
                state.as_ptr(),
                tokens.as_ptr(),
                tokens.len(),
                mode.raw(),
                out,
                capacity,
            )
        })
    }

    /// Feeds `tokens[i]` into `states[i]` for every i in one pass that reads the weights once,
    /// and returns the logits, `states.len() × vocab_size` floats row-major. Equal to separate
    /// one-token [`Model::forward`] calls. On error no state is advanced.
    pub fn decode_batch(&self, stream: &mut Stream, states: &mut [&mut State<'_>], tokens: &[i32]) -> Result<Vec<f32>> {
        if states.len() != tokens.len() {
            return Err(invalid(format!("{} states but {} tokens", states.len(), tokens.len())));
        }
        let mut raw_states: Vec<*mut sys::dn_state> = states.iter_mut().map(|s| s.as_ptr()).collect();
        let mut logits = vec![0.0f32; self.logits_len(tokens.len(), Logits::All)];
        // SAFETY: valid handles (distinct: each is borrowed mutably); arrays valid for their lengths.
        check(unsafe {
            sys::dn_decode_batch(
                stream.as_ptr(),
                self.as_ptr(),
                raw_states.as_mut_ptr(),
                tokens.as_ptr(),
                tokens.len(),
                logits.as_mut_ptr(),
                logits.len(),
            )
        })?;
        Ok(logits)
    }
}
