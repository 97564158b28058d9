//! The functions of the C API, in the headers' order. See the headers for what each one does.
//! tests/functions.rs checks that this list is complete and that every signature matches the C one.

use core::ffi::{c_char, c_int, c_void};

use crate::types::*;

extern "C" {
    // ---- status codes and errors (deltanet.h)
    /// A static description of a status; never NULL.
    pub fn dn_status_string(status: dn_status) -> *const c_char;
    /// The calling thread's last error message; empty after a success.
    pub fn dn_last_error() -> *const c_char;

    // ---- version
    /// The run-time version; any pointer may be NULL.
    pub fn dn_version(major: *mut i32, minor: *mut i32, patch: *mut i32) -> dn_status;
    /// The run-time version as "MAJOR.MINOR.PATCH".
    pub fn dn_version_string() -> *const c_char;

    // ---- streams
    /// Fills stream options with defaults.
    pub fn dn_stream_options_init(options: *mut dn_stream_options) -> dn_status;
    /// Creates an execution stream on a device ("cpu", "cuda:N").
    pub fn dn_stream_create(
        device: *const c_char,
        options: *const dn_stream_options,
        out_stream: *mut *mut dn_stream,
    ) -> dn_status;
    /// Waits for the stream's work.
    pub fn dn_stream_synchronize(stream: *mut dn_stream) -> dn_status;
    /// The device string of a stream.
    pub fn dn_stream_device(stream: *const dn_stream, out_device: *mut *const c_char) -> dn_status;
    /// Destroys a stream; NULL allowed.
    pub fn dn_stream_destroy(stream: *mut dn_stream) -> dn_status;

    // ---- models
    /// Fills model options with defaults.
    pub fn dn_model_options_init(options: *mut dn_model_options) -> dn_status;
    /// Loads a model from a Hugging Face directory.
    pub fn dn_model_load(
        stream: *mut dn_stream,
        path: *const c_char,
        options: *const dn_model_options,
        out_model: *mut *mut dn_model,
    ) -> dn_status;
    /// Frees a model; NULL allowed.
    pub fn dn_model_free(model: *mut dn_model) -> dn_status;
    /// The model family.
    pub fn dn_model_family(model: *const dn_model, out_family: *mut dn_family) -> dn_status;
    /// The vocabulary size.
    pub fn dn_model_vocab_size(model: *const dn_model, out_vocab_size: *mut i32) -> dn_status;
    /// The number of layers.
    pub fn dn_model_num_layers(model: *const dn_model, out_num_layers: *mut i32) -> dn_status;
    /// The hidden size.
    pub fn dn_model_hidden_size(model: *const dn_model, out_hidden_size: *mut i32) -> dn_status;
    /// The number of softmax-attention layers.
    pub fn dn_model_num_attention_layers(model: *const dn_model, out_count: *mut i32) -> dn_status;
    /// The dtype most weights are stored in.
    pub fn dn_model_weight_dtype(model: *const dn_model, out_dtype: *mut dn_dtype) -> dn_status;
    /// Total bytes of weights as stored.
    pub fn dn_model_weight_bytes(model: *const dn_model, out_bytes: *mut u64) -> dn_status;
    /// Number of parameters.
    pub fn dn_model_num_params(model: *const dn_model, out_params: *mut u64) -> dn_status;
    /// Bytes of one state with default options.
    pub fn dn_model_state_bytes(model: *const dn_model, out_bytes: *mut u64) -> dn_status;
    /// config.json's bos / eos ids, -1 where absent.
    pub fn dn_model_special_tokens(model: *const dn_model, out_bos: *mut i32, out_eos: *mut i32) -> dn_status;

    // ---- states
    /// Fills state options with defaults.
    pub fn dn_state_options_init(options: *mut dn_state_options) -> dn_status;
    /// Creates an empty state for a model.
    pub fn dn_state_create(
        model: *const dn_model,
        options: *const dn_state_options,
        out_state: *mut *mut dn_state,
    ) -> dn_status;
    /// Forgets every token.
    pub fn dn_state_reset(state: *mut dn_state) -> dn_status;
    /// Copies a state.
    pub fn dn_state_clone(state: *const dn_state, out_state: *mut *mut dn_state) -> dn_status;
    /// Tokens the state has consumed.
    pub fn dn_state_position(state: *const dn_state, out_position: *mut i64) -> dn_status;
    /// Bytes `dn_state_save` needs.
    pub fn dn_state_save_size(state: *const dn_state, out_size: *mut usize) -> dn_status;
    /// Serialises a state.
    pub fn dn_state_save(
        state: *const dn_state,
        buffer: *mut c_void,
        capacity: usize,
        out_written: *mut usize,
    ) -> dn_status;
    /// Replaces a state's contents with a saved blob.
    pub fn dn_state_load(state: *mut dn_state, buffer: *const c_void, size: usize) -> dn_status;
    /// Frees a state; NULL allowed.
    pub fn dn_state_free(state: *mut dn_state) -> dn_status;

    // ---- running the model
    /// Feeds tokens into a state and writes logits.
    pub fn dn_forward(
        stream: *mut dn_stream,
        model: *const dn_model,
        state: *mut dn_state,
        tokens: *const i32,
        n_tokens: usize,
        mode: dn_logits_mode,
        logits: *mut f32,
        logits_capacity: usize,
    ) -> dn_status;
    /// Feeds one token to each of several states in one pass.
    pub fn dn_decode_batch(
        stream: *mut dn_stream,
        model: *const dn_model,
        states: *const *mut dn_state,
        tokens: *const i32,
        batch: usize,
        logits: *mut f32,
        logits_capacity: usize,
    ) -> dn_status;

    // ---- tokenizer (text.h)
    /// Loads a tokenizer from a model directory or a tokenizer.json.
    pub fn dn_tokenizer_load(path: *const c_char, out_tokenizer: *mut *mut dn_tokenizer) -> dn_status;
    /// Frees a tokenizer; NULL allowed.
    pub fn dn_tokenizer_free(tokenizer: *mut dn_tokenizer) -> dn_status;
    /// Encodes UTF-8 text into ids.
    pub fn dn_tokenizer_encode(
        tokenizer: *const dn_tokenizer,
        text: *const c_char,
        text_len: usize,
        flags: u32,
        ids: *mut i32,
        capacity: usize,
        out_count: *mut usize,
    ) -> dn_status;
    /// Decodes ids into UTF-8 text.
    pub fn dn_tokenizer_decode(
        tokenizer: *const dn_tokenizer,
        ids: *const i32,
        n_ids: usize,
        flags: u32,
        text: *mut c_char,
        capacity: usize,
        out_len: *mut usize,
    ) -> dn_status;
    /// Number of token ids.
    pub fn dn_tokenizer_vocab_size(tokenizer: *const dn_tokenizer, out_size: *mut i32) -> dn_status;
    /// The vocabulary string of a token.
    pub fn dn_tokenizer_token_text(tokenizer: *const dn_tokenizer, id: i32, out_text: *mut *const c_char) -> dn_status;
    /// The id of a vocabulary string, or -1.
    pub fn dn_tokenizer_token_id(tokenizer: *const dn_tokenizer, text: *const c_char, out_id: *mut i32) -> dn_status;
    /// Whether a token is special.
    pub fn dn_tokenizer_is_special(tokenizer: *const dn_tokenizer, id: i32, out_special: *mut c_int) -> dn_status;
    /// The bos / eos ids, -1 where undefined.
    pub fn dn_tokenizer_bos_eos(tokenizer: *const dn_tokenizer, out_bos: *mut i32, out_eos: *mut i32) -> dn_status;

    // ---- streaming detokenizer
    /// Creates a detokenizer.
    pub fn dn_detokenizer_create(
        tokenizer: *const dn_tokenizer,
        flags: u32,
        out_detokenizer: *mut *mut dn_detokenizer,
    ) -> dn_status;
    /// Adds a token and returns the text now complete.
    pub fn dn_detokenizer_push(
        detokenizer: *mut dn_detokenizer,
        id: i32,
        out_text: *mut *const c_char,
        out_len: *mut usize,
    ) -> dn_status;
    /// Returns what is held back and resets.
    pub fn dn_detokenizer_flush(
        detokenizer: *mut dn_detokenizer,
        out_text: *mut *const c_char,
        out_len: *mut usize,
    ) -> dn_status;
    /// Frees a detokenizer; NULL allowed.
    pub fn dn_detokenizer_free(detokenizer: *mut dn_detokenizer) -> dn_status;

    // ---- sampling
    /// Fills sampler options with defaults.
    pub fn dn_sampler_options_init(options: *mut dn_sampler_options) -> dn_status;
    /// Creates a sampler.
    pub fn dn_sampler_create(
        options: *const dn_sampler_options,
        vocab_size: i32,
        out_sampler: *mut *mut dn_sampler,
    ) -> dn_status;
    /// Chooses a token from logits.
    pub fn dn_sampler_sample(
        sampler: *mut dn_sampler,
        logits: *const f32,
        n_logits: usize,
        out_token: *mut i32,
    ) -> dn_status;
    /// Records tokens as seen.
    pub fn dn_sampler_accept(sampler: *mut dn_sampler, tokens: *const i32, n_tokens: usize) -> dn_status;
    /// Forgets the history and reseeds.
    pub fn dn_sampler_reset(sampler: *mut dn_sampler, seed: u64) -> dn_status;
    /// Frees a sampler; NULL allowed.
    pub fn dn_sampler_free(sampler: *mut dn_sampler) -> dn_status;

    // ---- generation
    /// Fills generate options with defaults.
    pub fn dn_generate_options_init(options: *mut dn_generate_options) -> dn_status;
    /// Encodes a prompt, prefills it and generates, streaming text.
    pub fn dn_generate(
        stream: *mut dn_stream,
        model: *const dn_model,
        tokenizer: *const dn_tokenizer,
        state: *mut dn_state,
        prompt: *const c_char,
        prompt_len: usize,
        options: *const dn_generate_options,
        result: *mut dn_generate_result,
    ) -> dn_status;
    /// As `dn_generate`, with the prompt as token ids.
    pub fn dn_generate_ids(
        stream: *mut dn_stream,
        model: *const dn_model,
        tokenizer: *const dn_tokenizer,
        state: *mut dn_state,
        prompt: *const i32,
        n_prompt: usize,
        options: *const dn_generate_options,
        result: *mut dn_generate_result,
    ) -> dn_status;
}
