/*
 * libdeltanet — text in, text out: tokenizers, samplers and streaming generation.
 *
 * Included by deltanet.h; see there for the conventions (status codes, dn_last_error(), options
 * structs with struct_size, NULL options meaning defaults).
 *
 *   dn_tokenizer    a Hugging Face tokenizer.json (byte-level BPE as in GPT-2 / Llama 3 / Qwen, or
 *                   SentencePiece-style BPE as in Llama 2 / Mistral). Immutable: any number of
 *                   threads may use one at once.
 *   dn_detokenizer  turns token ids into text one token at a time for streaming, never splitting
 *                   a UTF-8 character. Used by one thread at a time.
 *   dn_sampler      picks the next token from logits (temperature, top-k, top-p, min-p, penalties,
 *                   logit bias) with a seeded generator: the same seed gives the same tokens on
 *                   every run and platform. Used by one thread at a time.
 *   dn_generate()   prefill a prompt into a state and generate, streaming text to a callback.
 *
 * All text is UTF-8 and passed with an explicit length (it may contain NUL bytes).
 */
#ifndef DELTANET_TEXT_H
#define DELTANET_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "deltanet/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------------ */
/* Tokenizer                                                                                        */
/* ------------------------------------------------------------------------------------------------ */

typedef struct dn_tokenizer dn_tokenizer;

/** Load a tokenizer from `path`: a model directory (its tokenizer.json, plus tokenizer_config.json
 *  when present for the bos/eos names) or a tokenizer.json file. *out_tokenizer is set on success only.
 *  Errors: DN_ERR_NULL_ARGUMENT, DN_ERR_IO (missing file), DN_ERR_MALFORMED_FILE (bad JSON, missing
 *  or inconsistent fields), DN_ERR_UNSUPPORTED (a model, normalizer, pre-tokenizer or decoder type
 *  this library does not implement; the message names it), DN_ERR_OUT_OF_MEMORY.
 *  Threads: safe; any number of threads may load tokenizers at once. */
DN_API dn_status dn_tokenizer_load(const char *path, dn_tokenizer **out_tokenizer);

/** Free a tokenizer. NULL is allowed. Detokenizers made from it must be freed first.
 *  Threads: no call using this tokenizer (or a detokenizer made from it) may be running or follow.
 *  */
DN_API dn_status dn_tokenizer_free(dn_tokenizer *tokenizer);

/** Flags of dn_tokenizer_encode(). */
enum {
    DN_ENCODE_ADD_SPECIAL = 1,  /**< add what the tokenizer's template adds (e.g. a bos token) */
    DN_ENCODE_PARSE_SPECIAL = 2 /**< match special tokens written in the text ("<|endoftext|>");
                                     without it they are encoded as plain text */
};

/** Encode `text_len` bytes of UTF-8 `text` into token ids. Writes at most `capacity` ids to `ids`
 *  (may be NULL when capacity is 0) and the full count to *out_count. If the ids do not fit, returns
 *  DN_ERR_BUFFER_TOO_SMALL with *out_count set to the count needed (call again with that capacity).
 *  Invalid UTF-8 is encoded byte by byte as the tokenizer's byte tokens (byte-level BPE) or byte
 *  fallback tokens; a tokenizer that has neither maps it to U+FFFD. `flags` is a combination of
 *  DN_ENCODE_*. Errors: DN_ERR_NULL_ARGUMENT, DN_ERR_INVALID_ARGUMENT (unknown flags),
 *  DN_ERR_BUFFER_TOO_SMALL, DN_ERR_OUT_OF_MEMORY.
 *  Threads: safe; any number of threads may use one tokenizer at once. */
DN_API dn_status dn_tokenizer_encode(const dn_tokenizer *tokenizer, const char *text, size_t text_len,
                                     uint32_t flags, int32_t *ids, size_t capacity, size_t *out_count);

/** Flags of dn_tokenizer_decode() and dn_detokenizer_create(). */
enum {
    DN_DECODE_SKIP_SPECIAL = 1 /**< leave out special tokens (bos, eos, ...) */
};

/** Decode `n_ids` ids into UTF-8 text (not NUL-terminated) in `text` (`capacity` bytes, may be NULL
 *  when 0); *out_len receives the full length. Byte sequences that are not valid UTF-8 become U+FFFD.
 *  DN_ERR_BUFFER_TOO_SMALL with *out_len set to the length needed if it does not fit.
 *  Errors: DN_ERR_NULL_ARGUMENT, DN_ERR_INVALID_ARGUMENT (unknown flags), DN_ERR_TOKEN_OUT_OF_RANGE,
 *  DN_ERR_BUFFER_TOO_SMALL, DN_ERR_OUT_OF_MEMORY.
 *  Threads: safe; any number of threads may use one tokenizer at once. */
DN_API dn_status dn_tokenizer_decode(const dn_tokenizer *tokenizer, const int32_t *ids, size_t n_ids,
                                     uint32_t flags, char *text, size_t capacity, size_t *out_len);

/** Number of token ids (the model vocabulary plus added tokens: one more than the largest id).
 *  Threads: safe (the tokenizer is immutable). */
DN_API dn_status dn_tokenizer_vocab_size(const dn_tokenizer *tokenizer, int32_t *out_size);

/** The vocabulary string of token `id` as written in tokenizer.json (e.g. "Ġthe" or "▁the"), NUL
 *  terminated, valid while the tokenizer lives. Errors: DN_ERR_NULL_ARGUMENT, DN_ERR_TOKEN_OUT_OF_RANGE
 *  (also for an id inside the range that no token has).
 *  Threads: safe (the tokenizer is immutable). */
DN_API dn_status dn_tokenizer_token_text(const dn_tokenizer *tokenizer, int32_t id, const char **out_text);

/** The id of the vocabulary string `text` (NUL terminated), or -1 in *out_id if there is none.
 *  Threads: safe (the tokenizer is immutable). */
DN_API dn_status dn_tokenizer_token_id(const dn_tokenizer *tokenizer, const char *text, int32_t *out_id);

/** Whether token `id` is special (an added token marked special, such as bos/eos): 1 or 0.
 *  Errors: DN_ERR_NULL_ARGUMENT, DN_ERR_TOKEN_OUT_OF_RANGE.
 *  Threads: safe (the tokenizer is immutable). */
DN_API dn_status dn_tokenizer_is_special(const dn_tokenizer *tokenizer, int32_t id, int *out_special);

/** The beginning- and end-of-sequence ids from tokenizer_config.json (or the tokenizer's template),
 *  -1 for one that is not defined. Either output pointer may be NULL.
 *  Threads: safe (the tokenizer is immutable). */
DN_API dn_status dn_tokenizer_bos_eos(const dn_tokenizer *tokenizer, int32_t *out_bos, int32_t *out_eos);

/* ------------------------------------------------------------------------------------------------ */
/* Streaming detokenizer                                                                            */
/* ------------------------------------------------------------------------------------------------ */

typedef struct dn_detokenizer dn_detokenizer;

/** Create a detokenizer for `tokenizer` (which must outlive it). `flags`: DN_DECODE_*. The text it
 *  produces for a sequence of ids, concatenated, equals dn_tokenizer_decode() of the whole sequence.
 *  Errors: DN_ERR_NULL_ARGUMENT, DN_ERR_INVALID_ARGUMENT, DN_ERR_OUT_OF_MEMORY.
 *  Threads: safe; several threads may create detokenizers of one tokenizer at once. */
DN_API dn_status dn_detokenizer_create(const dn_tokenizer *tokenizer, uint32_t flags,
                                       dn_detokenizer **out_detokenizer);

/** Add token `id`; *out_text / *out_len receive the text that is now complete (possibly empty: the
 *  bytes of an unfinished UTF-8 character are held back until it completes). The text stays valid
 *  until the next call on this detokenizer. Errors: DN_ERR_NULL_ARGUMENT, DN_ERR_TOKEN_OUT_OF_RANGE
 *  (nothing is added).
 *  Threads: `detokenizer` is used by one thread at a time; its tokenizer may be in use elsewhere.
 *  */
DN_API dn_status dn_detokenizer_push(dn_detokenizer *detokenizer, int32_t id, const char **out_text,
                                     size_t *out_len);

/** End of the sequence: returns what is held back (an unfinished character becomes U+FFFD) and
 *  resets the detokenizer for a new sequence. Errors: DN_ERR_NULL_ARGUMENT.
 *  Threads: `detokenizer` is used by one thread at a time. */
DN_API dn_status dn_detokenizer_flush(dn_detokenizer *detokenizer, const char **out_text, size_t *out_len);

/** Free a detokenizer. NULL is allowed.
 *  Threads: no other call may be using the detokenizer or follow on it. */
DN_API dn_status dn_detokenizer_free(dn_detokenizer *detokenizer);

/* ------------------------------------------------------------------------------------------------ */
/* Sampling                                                                                         */
/* ------------------------------------------------------------------------------------------------ */

typedef struct dn_sampler dn_sampler;

/** A fixed additive bias for one token's logit (-INFINITY bans it). */
typedef struct dn_logit_bias {
    int32_t token;
    float bias;
} dn_logit_bias;

/** How the next token is chosen. The steps run in this order: logit bias; repetition, presence and
 *  frequency penalties over the last `penalty_last_n` accepted tokens; then greedy if temperature is
 *  0, else top-k, top-p, min-p (each skipped at its neutral value), temperature, and a draw. */
typedef struct dn_sampler_options {
    size_t struct_size;
    float temperature;        /**< 0: greedy (argmax; ties go to the lowest id). Default 0.8 */
    int32_t top_k;            /**< keep the k most likely; 0 = off. Default 40 */
    float top_p;              /**< keep the smallest set with probability >= p; 1 = off. Default 0.95 */
    float min_p;              /**< drop tokens below min_p x the top probability; 0 = off. Default 0.05 */
    float repetition_penalty; /**< CTRL-style: positive logits / r, negative x r; 1 = off (default) */
    float presence_penalty;   /**< subtracted once from a seen token's logit; 0 = off (default) */
    float frequency_penalty;  /**< subtracted per occurrence; 0 = off (default) */
    int32_t penalty_last_n;   /**< how many recent tokens the penalties look at; -1 = all. Default 64 */
    uint64_t seed;            /**< the generator's seed. Default 0 */
    const dn_logit_bias *logit_bias; /**< copied at creation; may be NULL */
    size_t n_logit_bias;
} dn_sampler_options;

/** Fill `options` with the defaults above and set its struct_size.
 *  Threads: safe; touches only *options. */
DN_API dn_status dn_sampler_options_init(dn_sampler_options *options);

/** Create a sampler for a vocabulary of `vocab_size` ids. Errors: DN_ERR_NULL_ARGUMENT,
 *  DN_ERR_INVALID_ARGUMENT (negative temperature, top_p or min_p outside [0, 1], repetition_penalty
 *  <= 0, a bias token outside the vocabulary, NaN values), DN_ERR_OUT_OF_MEMORY.
 *  Threads: safe from any thread. */
DN_API dn_status dn_sampler_create(const dn_sampler_options *options, int32_t vocab_size,
                                   dn_sampler **out_sampler);

/** Choose a token from `n_logits` logits (must equal the sampler's vocab_size); `logits` is not
 *  modified. The chosen token is not accepted: call dn_sampler_accept() for it (dn_generate() does).
 *  Errors: DN_ERR_NULL_ARGUMENT, DN_ERR_INVALID_ARGUMENT (wrong n_logits, or every token banned).
 *  Threads: `sampler` is used by one thread at a time. */
DN_API dn_status dn_sampler_sample(dn_sampler *sampler, const float *logits, size_t n_logits,
                                   int32_t *out_token);

/** Record tokens as seen, for the penalties (feed the prompt's tokens too, if they should count).
 *  Errors: DN_ERR_NULL_ARGUMENT, DN_ERR_TOKEN_OUT_OF_RANGE (nothing recorded).
 *  Threads: `sampler` is used by one thread at a time. */
DN_API dn_status dn_sampler_accept(dn_sampler *sampler, const int32_t *tokens, size_t n_tokens);

/** Forget the accepted tokens and restart the generator from `seed`.
 *  Threads: `sampler` is used by one thread at a time. */
DN_API dn_status dn_sampler_reset(dn_sampler *sampler, uint64_t seed);

/** Free a sampler. NULL is allowed.
 *  Threads: no other call may be using the sampler or follow on it. */
DN_API dn_status dn_sampler_free(dn_sampler *sampler);

/* ------------------------------------------------------------------------------------------------ */
/* Generation                                                                                       */
/* ------------------------------------------------------------------------------------------------ */

/** Called with each new piece of text as it is generated. `text` (`len` bytes, valid only during the
 *  call) is complete UTF-8, possibly empty when a token completes no character yet; `token` is the id
 *  just generated. Return nonzero to go on, 0 to stop (dn_generate() then returns DN_OK with
 *  DN_STOP_CANCELLED). It is always called on the thread that called dn_generate(), before that
 *  call returns, and must not call back into the library with the same state or stream. */
typedef int (*dn_generate_callback)(const char *text, size_t len, int32_t token, void *user_data);

/** Why generation stopped. */
typedef enum dn_stop_reason {
    DN_STOP_EOS = 0,         /**< an end-of-sequence token (or a stop id) was generated */
    DN_STOP_STRING = 1,      /**< a stop string appeared in the text */
    DN_STOP_MAX_TOKENS = 2,  /**< max_tokens were generated */
    DN_STOP_CANCELLED = 3    /**< the callback returned 0 */
} dn_stop_reason;

typedef struct dn_generate_options {
    size_t struct_size;
    int32_t max_tokens;             /**< at most this many new tokens (>= 0). Default 256 */
    const dn_sampler_options *sampling; /**< NULL: greedy. Ignored when `sampler` is set */
    dn_sampler *sampler;            /**< a caller's sampler (keeps its history and generator); may be NULL */
    int stop_at_eos;                /**< stop at the tokenizer's eos id. Default 1 */
    const int32_t *stop_ids;        /**< more ids that end generation; may be NULL */
    size_t n_stop_ids;
    const char *const *stop_strings; /**< NUL-terminated strings that end generation when they appear
                                          in the generated text; they are not passed to the callback */
    size_t n_stop_strings;
    uint32_t encode_flags;          /**< DN_ENCODE_* for the prompt. Default 0 */
    dn_generate_callback callback;  /**< may be NULL (then only the counts are reported) */
    void *user_data;                /**< passed to callback */
} dn_generate_options;

/** Fill `options` with the defaults above and set its struct_size.
 *  Threads: safe; touches only *options. */
DN_API dn_status dn_generate_options_init(dn_generate_options *options);

typedef struct dn_generate_result {
    size_t struct_size;             /**< set by the caller (sizeof), like an options struct */
    int64_t prompt_tokens;          /**< tokens the prompt encoded to */
    int64_t generated_tokens;       /**< tokens generated (including an eos or stop id) */
    dn_stop_reason stop_reason;
    double prefill_seconds;         /**< encoding and prefilling the prompt */
    double generate_seconds;        /**< the generation loop */
} dn_generate_result;

/** Encode `prompt` (`prompt_len` bytes, which must encode to at least one token), feed it into
 *  `state` (new, or already holding a conversation or a cloned prefix), then generate up to
 *  max_tokens tokens, streaming their text to the callback. Stop strings are matched across token
 *  boundaries; text that might begin one is held back until it is known not to.
 *  When it returns DN_OK the state holds the prompt and every generated token, whatever the stop
 *  reason (cancelled included), so a later call with the next prompt continues the same sequence.
 *  On error the state holds what was fed before the failure. `result` may be NULL.
 *  Errors: DN_ERR_NULL_ARGUMENT, DN_ERR_INVALID_ARGUMENT (empty prompt, bad options),
 *  DN_ERR_TOKEN_OUT_OF_RANGE (tokenizer and model vocabularies disagree), DN_ERR_STATE_MISMATCH,
 *  DN_ERR_CONTEXT_FULL, DN_ERR_OUT_OF_MEMORY, DN_ERR_DEVICE.
 *  Threads: `stream`, `state` and `options->sampler` are this call's alone while it runs; `model`
 *  and `tokenizer` may be in use by other threads at once. */
DN_API dn_status dn_generate(dn_stream *stream, const dn_model *model, const dn_tokenizer *tokenizer,
                             dn_state *state, const char *prompt, size_t prompt_len,
                             const dn_generate_options *options, dn_generate_result *result);

/** As dn_generate(), with the prompt given as token ids (`n_prompt` >= 1). */
DN_API dn_status dn_generate_ids(dn_stream *stream, const dn_model *model, const dn_tokenizer *tokenizer,
                                 dn_state *state, const int32_t *prompt, size_t n_prompt,
                                 const dn_generate_options *options, dn_generate_result *result);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DELTANET_TEXT_H */
