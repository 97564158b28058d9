//! Handles, enums, options structs and callback types.

use core::ffi::{c_char, c_int, c_uint, c_void};
use core::marker::{PhantomData, PhantomPinned};

/// Declares opaque C handle types: never built, only pointed to.
macro_rules! opaque {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[repr(C)]
        pub struct $name {
            _data: [u8; 0],
            _marker: PhantomData<(*mut u8, PhantomPinned)>,
        }
    )*};
}

opaque! {
    /// An execution queue on one device (`dn_stream`).
    dn_stream;
    /// Weights and configuration of a loaded model (`dn_model`).
    dn_model;
    /// One sequence's memory (`dn_state`).
    dn_state;
    /// A Hugging Face tokenizer (`dn_tokenizer`).
    dn_tokenizer;
    /// A streaming detokenizer (`dn_detokenizer`).
    dn_detokenizer;
    /// A seeded token sampler (`dn_sampler`).
    dn_sampler;
}

/// Declares a C enum as an integer type alias plus one constant per value.
macro_rules! c_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $value:ident = $n:expr,)* }) => {
        $(#[$doc])*
        pub type $name = c_uint;
        $($(#[$vdoc])* pub const $value: $name = $n;)*
    };
}

c_enum! {
    /// Result of every call (`dn_status`).
    dn_status {
        /// Success.
        DN_OK = 0,
        /// A required pointer or handle was NULL.
        DN_ERR_NULL_ARGUMENT = 1,
        /// A value is out of its allowed range.
        DN_ERR_INVALID_ARGUMENT = 2,
        /// A file could not be opened, read, mapped or written.
        DN_ERR_IO = 3,
        /// A file is truncated, not valid JSON / safetensors, or inconsistent.
        DN_ERR_MALFORMED_FILE = 4,
        /// Weights do not fit the config.
        DN_ERR_MODEL_MISMATCH = 5,
        /// A model type, config value, device or feature this build cannot run.
        DN_ERR_UNSUPPORTED = 6,
        /// A token id is negative or not below the vocabulary size.
        DN_ERR_TOKEN_OUT_OF_RANGE = 7,
        /// A caller buffer cannot hold the result.
        DN_ERR_BUFFER_TOO_SMALL = 8,
        /// A state or state blob belongs to another model, or to another device.
        DN_ERR_STATE_MISMATCH = 9,
        /// A state blob fails its checksum or its format checks.
        DN_ERR_STATE_CORRUPT = 10,
        /// A global-attention layer's key/value cache has no room for the tokens.
        DN_ERR_CONTEXT_FULL = 11,
        /// An allocation failed.
        DN_ERR_OUT_OF_MEMORY = 12,
        /// The device or its runtime reported an error.
        DN_ERR_DEVICE = 13,
        /// A bug in the library.
        DN_ERR_INTERNAL = 14,
    }
}

c_enum! {
    /// Model families (`dn_family`).
    dn_family {
        /// "delta_net"
        DN_FAMILY_DELTANET = 0,
        /// "gated_deltanet"
        DN_FAMILY_GATED_DELTANET = 1,
    }
}

c_enum! {
    /// Element types of weights (`dn_dtype`).
    dn_dtype {
        /// float32
        DN_DTYPE_F32 = 0,
        /// bfloat16
        DN_DTYPE_BF16 = 1,
        /// float16
        DN_DTYPE_F16 = 2,
    }
}

c_enum! {
    /// How matrix products round their inputs (`dn_precision`).
    dn_precision {
        /// Activations stay float32.
        DN_PRECISION_EXACT = 0,
        /// Prefill products round activations to bfloat16 where weights are bfloat16.
        DN_PRECISION_FAST = 1,
    }
}

c_enum! {
    /// Where a model's weights live (`dn_weight_memory`).
    dn_weight_memory {
        /// Copied into the model's own memory.
        DN_WEIGHTS_COPY = 0,
        /// CPU only: read in place from the memory-mapped checkpoint.
        DN_WEIGHTS_MAPPED = 1,
    }
}

c_enum! {
    /// Which logits `dn_forward` returns (`dn_logits_mode`).
    dn_logits_mode {
        /// None (prefill only).
        DN_LOGITS_NONE = 0,
        /// The last position's.
        DN_LOGITS_LAST = 1,
        /// Every position's, row-major.
        DN_LOGITS_ALL = 2,
    }
}

c_enum! {
    /// Why generation stopped (`dn_stop_reason`).
    dn_stop_reason {
        /// An end-of-sequence token (or a stop id) was generated.
        DN_STOP_EOS = 0,
        /// A stop string appeared in the text.
        DN_STOP_STRING = 1,
        /// `max_tokens` were generated.
        DN_STOP_MAX_TOKENS = 2,
        /// The callback returned 0.
        DN_STOP_CANCELLED = 3,
    }
}

/// Flag of `dn_tokenizer_encode`: add what the tokenizer's template adds (e.g. a bos token).
pub const DN_ENCODE_ADD_SPECIAL: u32 = 1;
/// Flag of `dn_tokenizer_encode`: match special tokens written in the text.
pub const DN_ENCODE_PARSE_SPECIAL: u32 = 2;
/// Flag of `dn_tokenizer_decode` and `dn_detokenizer_create`: leave out special tokens.
pub const DN_DECODE_SKIP_SPECIAL: u32 = 1;

/// Model-load progress callback (`dn_progress_fn`): return non-zero to cancel.
pub type dn_progress_fn = Option<unsafe extern "C" fn(done: u64, total: u64, user_data: *mut c_void) -> c_int>;

/// Generation callback (`dn_generate_callback`): return non-zero to go on, 0 to stop.
pub type dn_generate_callback =
    Option<unsafe extern "C" fn(text: *const c_char, len: usize, token: i32, user_data: *mut c_void) -> c_int>;

/// Options of `dn_stream_create`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct dn_stream_options {
    /// `sizeof(dn_stream_options)`.
    pub struct_size: usize,
    /// CPU worker threads; 0 = all cores the process may use.
    pub num_threads: i32,
}

/// Options of `dn_model_load`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct dn_model_options {
    /// `sizeof(dn_model_options)`.
    pub struct_size: usize,
    /// Rounding of matrix products.
    pub precision: dn_precision,
    /// Optional progress callback.
    pub progress: dn_progress_fn,
    /// Passed to `progress`.
    pub progress_user_data: *mut c_void,
    /// Where the weights live.
    pub weights: dn_weight_memory,
}

/// Options of `dn_state_create`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct dn_state_options {
    /// `sizeof(dn_state_options)`.
    pub struct_size: usize,
    /// Tokens a global attention layer's cache holds; 0 = max_position_embeddings.
    pub max_context: i64,
}

/// A fixed additive bias for one token's logit.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct dn_logit_bias {
    /// The token id.
    pub token: i32,
    /// Added to its logit (-infinity bans it).
    pub bias: f32,
}

/// Options of `dn_sampler_create`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct dn_sampler_options {
    /// `sizeof(dn_sampler_options)`.
    pub struct_size: usize,
    /// 0: greedy.
    pub temperature: f32,
    /// Keep the k most likely; 0 = off.
    pub top_k: i32,
    /// Nucleus threshold; 1 = off.
    pub top_p: f32,
    /// Relative probability floor; 0 = off.
    pub min_p: f32,
    /// CTRL-style repetition penalty; 1 = off.
    pub repetition_penalty: f32,
    /// Subtracted once from a seen token's logit.
    pub presence_penalty: f32,
    /// Subtracted per occurrence.
    pub frequency_penalty: f32,
    /// Recent tokens the penalties look at; -1 = all.
    pub penalty_last_n: i32,
    /// The generator's seed.
    pub seed: u64,
    /// Biases, copied at creation; may be NULL.
    pub logit_bias: *const dn_logit_bias,
    /// Number of entries in `logit_bias`.
    pub n_logit_bias: usize,
}

/// Options of `dn_generate` and `dn_generate_ids`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct dn_generate_options {
    /// `sizeof(dn_generate_options)`.
    pub struct_size: usize,
    /// At most this many new tokens.
    pub max_tokens: i32,
    /// NULL: greedy. Ignored when `sampler` is set.
    pub sampling: *const dn_sampler_options,
    /// A caller's sampler; may be NULL.
    pub sampler: *mut dn_sampler,
    /// Stop at the tokenizer's eos id.
    pub stop_at_eos: c_int,
    /// More ids that end generation; may be NULL.
    pub stop_ids: *const i32,
    /// Number of entries in `stop_ids`.
    pub n_stop_ids: usize,
    /// NUL-terminated strings that end generation.
    pub stop_strings: *const *const c_char,
    /// Number of entries in `stop_strings`.
    pub n_stop_strings: usize,
    /// `DN_ENCODE_*` for the prompt.
    pub encode_flags: u32,
    /// Called with each piece of text; may be NULL.
    pub callback: dn_generate_callback,
    /// Passed to `callback`.
    pub user_data: *mut c_void,
}

/// What `dn_generate` reports.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct dn_generate_result {
    /// `sizeof(dn_generate_result)`, set by the caller.
    pub struct_size: usize,
    /// Tokens the prompt encoded to.
    pub prompt_tokens: i64,
    /// Tokens generated (including an eos or stop id).
    pub generated_tokens: i64,
    /// Why generation stopped.
    pub stop_reason: dn_stop_reason,
    /// Encoding and prefilling the prompt.
    pub prefill_seconds: f64,
    /// The generation loop.
    pub generate_seconds: f64,
}
