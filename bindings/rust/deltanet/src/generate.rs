//! Streaming generation: [`Model::generate`] and its options and result.

use std::ffi::{c_char, c_int, c_void, CString};

use deltanet_sys as sys;

use crate::cstr::{c_string, text_from_raw};
use crate::defaults::c_defaults;
use crate::error::{check, Error, Result, Status};
use crate::flags::EncodeFlags;
use crate::guard::Guarded;
use crate::model::Model;
use crate::sampler::{Sampler, SamplerOptions};
use crate::state::State;
use crate::stream::Stream;
use crate::tokenizer::Tokenizer;

/// How [`Model::generate`] picks tokens.
#[derive(Debug, Default)]
pub enum Sampling<'s> {
    /// Argmax of the logits, ties to the lowest id (the default).
    #[default]
    Greedy,
    /// A fresh sampler with these options for this call.
    Options(SamplerOptions),
    /// The caller's sampler, which keeps its history and generator state across calls.
    Sampler(&'s mut Sampler),
}

/// Options of [`Model::generate`]. [`Default`] gives the library's defaults.
#[derive(Debug)]
pub struct GenerateOptions<'s> {
    /// At most this many new tokens. Default 256.
    pub max_tokens: i32,
    /// How tokens are picked. Default greedy.
    pub sampling: Sampling<'s>,
    /// Stop at the tokenizer's eos id. Default true.
    pub stop_at_eos: bool,
    /// More ids that end generation.
    pub stop_ids: Vec<i32>,
    /// Strings that end generation when they appear in the generated text; they are not passed
    /// to the callback.
    pub stop_strings: Vec<String>,
    /// How the prompt is encoded. Default none.
    pub encode_flags: EncodeFlags,
}

impl Default for GenerateOptions<'_> {
    fn default() -> Self {
        // SAFETY: dn_generate_options is plain data; dn_generate_options_init is its init function.
        let raw = unsafe { c_defaults(sys::dn_generate_options_init) };
        GenerateOptions {
            max_tokens: raw.max_tokens,
            sampling: Sampling::Greedy,
            stop_at_eos: raw.stop_at_eos != 0,
            stop_ids: Vec::new(),
            stop_strings: Vec::new(),
            encode_flags: EncodeFlags::default(),
        }
    }
}

/// Why generation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StopReason {
    /// An end-of-sequence token (or a stop id) was generated.
    Eos,
    /// A stop string appeared in the text.
    StopString,
    /// `max_tokens` tokens were generated.
    MaxTokens,
    /// The callback returned `false`.
    Cancelled,
}

/// What [`Model::generate`] reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenerateResult {
    /// Tokens the prompt encoded to.
    pub prompt_tokens: i64,
    /// Tokens generated (including an eos or stop id).
    pub generated_tokens: i64,
    /// Why generation stopped.
    pub stop_reason: StopReason,
    /// Seconds spent encoding and prefilling the prompt.
    pub prefill_seconds: f64,
    /// Seconds spent in the generation loop.
    pub generate_seconds: f64,
}

/// The prompt of one generation.
#[derive(Clone, Copy)]
enum Prompt<'p> {
    Text(&'p str),
    Ids(&'p [i32]),
}

unsafe extern "C" fn piece_trampoline<F: FnMut(&str, i32) -> bool>(
    text: *const c_char,
    len: usize,
    token: i32,
    user_data: *mut c_void,
) -> c_int {
    // SAFETY: user_data is the &mut Guarded<F> that generate_raw passed, alive during the call.
    let guard = unsafe { &mut *user_data.cast::<Guarded<F>>() };
    // SAFETY: `len` bytes at `text`, valid during this callback.
    let text = unsafe { text_from_raw(text, len) };
    c_int::from(guard.call(false, |f| f(&text, token)))
}

impl Model {
    /// Encodes `prompt`, feeds it into `state` (new, or holding earlier turns) and generates,
    /// calling `on_piece(text, token)` with each new piece of text (complete UTF-8, possibly
    /// empty) and the token just generated; it returns `true` to go on, `false` to stop
    /// ([`StopReason::Cancelled`]). Afterwards the state holds the prompt and every generated
    /// token, so a later call continues the same sequence.
    ///
    /// A panic in `on_piece` stops generation (as if it returned `false`) and then continues
    /// unwinding in the caller once the library has returned; the state stays usable.
    pub fn generate<F>(
        &self,
        stream: &mut Stream,
        tokenizer: &Tokenizer,
        state: &mut State<'_>,
        prompt: &str,
        options: &GenerateOptions<'_>,
        on_piece: F,
    ) -> Result<GenerateResult>
    where
        F: FnMut(&str, i32) -> bool,
    {
        self.generate_raw(stream, tokenizer, state, Prompt::Text(prompt), options, on_piece)
    }

    /// As [`Model::generate`], with the prompt given as token ids (at least one).
    pub fn generate_ids<F>(
        &self,
        stream: &mut Stream,
        tokenizer: &Tokenizer,
        state: &mut State<'_>,
        prompt: &[i32],
        options: &GenerateOptions<'_>,
        on_piece: F,
    ) -> Result<GenerateResult>
    where
        F: FnMut(&str, i32) -> bool,
    {
        self.generate_raw(stream, tokenizer, state, Prompt::Ids(prompt), options, on_piece)
    }

    fn generate_raw<F>(
        &self,
        stream: &mut Stream,
        tokenizer: &Tokenizer,
        state: &mut State<'_>,
        prompt: Prompt<'_>,
        options: &GenerateOptions<'_>,
        on_piece: F,
    ) -> Result<GenerateResult>
    where
        F: FnMut(&str, i32) -> bool,
    {
        // Everything the C options point to lives in these locals until the call returns.
        let stop_strings: Vec<CString> =
            options.stop_strings.iter().map(|s| c_string(s, "stop string")).collect::<Result<_>>()?;
        let stop_string_ptrs: Vec<*const c_char> = stop_strings.iter().map(|s| s.as_ptr()).collect();
        let (sampler_options, biases) = match &options.sampling {
            Sampling::Options(sampling) => (Some(sampling), sampling.raw_biases()),
            _ => (None, Vec::new()),
        };
        let raw_sampling = sampler_options.map(|sampling| sampling.to_raw(&biases));
        let mut guard = Guarded::new(on_piece);

        // SAFETY: dn_generate_options is plain data; dn_generate_options_init is its init function.
        let mut raw = unsafe { c_defaults(sys::dn_generate_options_init) };
        raw.max_tokens = options.max_tokens;
        if let Some(sampling) = &raw_sampling {
            raw.sampling = sampling;
        }
        if let Sampling::Sampler(sampler) = &options.sampling {
            // The options hold the sampler's only (mutable) borrow for as long as they live, so
            // nothing else can use it during this call.
            raw.sampler = sampler.as_ptr();
        }
        raw.stop_at_eos = c_int::from(options.stop_at_eos);
        if !options.stop_ids.is_empty() {
            raw.stop_ids = options.stop_ids.as_ptr();
            raw.n_stop_ids = options.stop_ids.len();
        }
        if !stop_string_ptrs.is_empty() {
            raw.stop_strings = stop_string_ptrs.as_ptr();
            raw.n_stop_strings = stop_string_ptrs.len();
        }
        raw.encode_flags = options.encode_flags.bits();
        raw.callback = Some(piece_trampoline::<F>);
        raw.user_data = std::ptr::addr_of_mut!(guard).cast::<c_void>();

        let mut result = sys::dn_generate_result {
            struct_size: std::mem::size_of::<sys::dn_generate_result>(),
            prompt_tokens: 0,
            generated_tokens: 0,
            stop_reason: sys::DN_STOP_MAX_TOKENS,
            prefill_seconds: 0.0,
            generate_seconds: 0.0,
        };
        // SAFETY: valid handles; the prompt, options and everything they point to (including the
        // guard behind user_data) outlive the call.
        let status = unsafe {
            match prompt {
                Prompt::Text(text) => sys::dn_generate(
                    stream.as_ptr(),
                    self.as_ptr(),
                    tokenizer.as_ptr(),
                    state.as_ptr(),
                    text.as_ptr().cast(),
                    text.len(),
                    &raw,
                    &mut result,
                ),
                Prompt::Ids(ids) => sys::dn_generate_ids(
                    stream.as_ptr(),
                    self.as_ptr(),
                    tokenizer.as_ptr(),
                    state.as_ptr(),
                    ids.as_ptr(),
                    ids.len(),
                    &raw,
                    &mut result,
                ),
            }
        };
        let checked = check(status);
        guard.resume_panic();
        checked?;
        let stop_reason = match result.stop_reason {
            sys::DN_STOP_EOS => StopReason::Eos,
            sys::DN_STOP_STRING => StopReason::StopString,
            sys::DN_STOP_MAX_TOKENS => StopReason::MaxTokens,
            sys::DN_STOP_CANCELLED => StopReason::Cancelled,
            other => {
                return Err(Error::new(Status::Unsupported, format!("stop reason {other} is unknown to this binding")))
            }
        };
        Ok(GenerateResult {
            prompt_tokens: result.prompt_tokens,
            generated_tokens: result.generated_tokens,
            stop_reason,
            prefill_seconds: result.prefill_seconds,
            generate_seconds: result.generate_seconds,
        })
    }
}
