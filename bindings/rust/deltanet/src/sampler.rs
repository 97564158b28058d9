//! [`Sampler`] and [`SamplerOptions`]: choosing the next token from logits.

use std::ptr::NonNull;

use deltanet_sys as sys;

use crate::defaults::c_defaults;
use crate::error::{check, invalid, non_null, Result};

/// A fixed additive bias for one token's logit (`f32::NEG_INFINITY` bans the token).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogitBias {
    /// The token id.
    pub token: i32,
    /// Added to its logit.
    pub bias: f32,
}

/// How the next token is chosen. The steps run in this order: logit bias; repetition, presence
/// and frequency penalties over the last `penalty_last_n` accepted tokens; then greedy if
/// `temperature` is 0, else top-k, top-p, min-p (each skipped at its neutral value),
/// temperature, and a seeded draw. [`Default`] gives the library's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplerOptions {
    /// 0: greedy (argmax; ties go to the lowest id). Default 0.8.
    pub temperature: f32,
    /// Keep the k most likely; 0 = off. Default 40.
    pub top_k: i32,
    /// Keep the smallest set with probability >= p; 1 = off. Default 0.95.
    pub top_p: f32,
    /// Drop tokens below min_p × the top probability; 0 = off. Default 0.05.
    pub min_p: f32,
    /// CTRL-style: positive logits / r, negative × r; 1 = off (default).
    pub repetition_penalty: f32,
    /// Subtracted once from a seen token's logit; 0 = off (default).
    pub presence_penalty: f32,
    /// Subtracted per occurrence; 0 = off (default).
    pub frequency_penalty: f32,
    /// How many recent tokens the penalties look at; -1 = all. Default 64.
    pub penalty_last_n: i32,
    /// The generator's seed. Default 0.
    pub seed: u64,
    /// Fixed biases of single tokens.
    pub logit_bias: Vec<LogitBias>,
}

impl Default for SamplerOptions {
    fn default() -> SamplerOptions {
        // SAFETY: dn_sampler_options is plain data; dn_sampler_options_init is its init function.
        let raw = unsafe { c_defaults(sys::dn_sampler_options_init) };
        SamplerOptions {
            temperature: raw.temperature,
            top_k: raw.top_k,
            top_p: raw.top_p,
            min_p: raw.min_p,
            repetition_penalty: raw.repetition_penalty,
            presence_penalty: raw.presence_penalty,
            frequency_penalty: raw.frequency_penalty,
            penalty_last_n: raw.penalty_last_n,
            seed: raw.seed,
            logit_bias: Vec::new(),
        }
    }
}

impl SamplerOptions {
    /// Greedy decoding: temperature 0, everything else at its default.
    pub fn greedy() -> SamplerOptions {
        SamplerOptions { temperature: 0.0, ..SamplerOptions::default() }
    }

    /// The C struct for these options. `biases` must be `self.raw_biases()` and outlive its use.
    pub(crate) fn to_raw(&self, biases: &[sys::dn_logit_bias]) -> sys::dn_sampler_options {
        // SAFETY: as in Default.
        let mut raw = unsafe { c_defaults(sys::dn_sampler_options_init) };
        raw.temperature = self.temperature;
        raw.top_k = self.top_k;
        raw.top_p = self.top_p;
        raw.min_p = self.min_p;
        raw.repetition_penalty = self.repetition_penalty;
        raw.presence_penalty = self.presence_penalty;
        raw.frequency_penalty = self.frequency_penalty;
        raw.penalty_last_n = self.penalty_last_n;
        raw.seed = self.seed;
        if !biases.is_empty() {
            raw.logit_bias = biases.as_ptr();
            raw.n_logit_bias = biases.len();
        }
        raw
    }

    /// The logit biases in C form.
    pub(crate) fn raw_biases(&self) -> Vec<sys::dn_logit_bias> {
        self.logit_bias.iter().map(|b| sys::dn_logit_bias { token: b.token, bias: b.bias }).collect()
    }
}

/// Picks tokens from logits with a seeded generator: the same seed gives the same tokens on every
/// run and platform. `Send`, not `Sync`.
#[derive(Debug)]
pub struct Sampler {
    raw: NonNull<sys::dn_sampler>,
}

// SAFETY: used by one thread at a time (mutating methods take &mut self; not Sync).
unsafe impl Send for Sampler {}

impl Sampler {
    /// A sampler for a vocabulary of `vocab_size` ids.
    pub fn new(options: &SamplerOptions, vocab_size: usize) -> Result<Sampler> {
        let vocab = i32::try_from(vocab_size).map_err(|_| invalid(format!("vocab_size {vocab_size} is too large")))?;
        let biases = options.raw_biases();
        let raw_options = options.to_raw(&biases);
        let mut raw = std::ptr::null_mut();
        // SAFETY: valid options (biases alive) and output pointer.
        check(unsafe { sys::dn_sampler_create(&raw_options, vocab, &mut raw) })?;
        Ok(Sampler { raw: non_null(raw, "dn_sampler_create")? })
    }

    /// Chooses a token from `logits` (exactly the vocabulary size). The token is not accepted:
    /// call [`Sampler::accept`] for it.
    pub fn sample(&mut self, logits: &[f32]) -> Result<i32> {
        let mut token = -1;
        // SAFETY: valid handle; logits valid for its length.
        check(unsafe { sys::dn_sampler_sample(self.raw.as_ptr(), logits.as_ptr(), logits.len(), &mut token) })?;
        Ok(token)
    }

    /// Records tokens as seen, for the penalties.
    pub fn accept(&mut self, tokens: &[i32]) -> Result<()> {
        // SAFETY: valid handle; tokens valid for its length.
        check(unsafe { sys::dn_sampler_accept(self.raw.as_ptr(), tokens.as_ptr(), tokens.len()) })
    }

    /// Forgets the accepted tokens and restarts the generator from `seed`.
    pub fn reset(&mut self, seed: u64) -> Result<()> {
        // SAFETY: valid handle.
        check(unsafe { sys::dn_sampler_reset(self.raw.as_ptr(), seed) })
    }

    pub(crate) fn as_ptr(&self) -> *mut sys::dn_sampler {
        self.raw.as_ptr()
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        // SAFETY: owned handle, freed once.
        unsafe { sys::dn_sampler_free(self.raw.as_ptr()) };
    }
}
