/*
 * libdeltanet — run DeltaNet-family language models (DeltaNet, Gated DeltaNet and their hybrids with
 * softmax attention) inside your own program.
 *
 * The C API in one page
 * ---------------------
 *   dn_stream  an execution queue on one device ("cpu", "cuda:0"). Work submitted
 *              through a stream runs in order. A stream is used by one thread at a time.
 *   dn_model   weights and configuration loaded from a Hugging Face directory (config.json plus
 *              *.safetensors) for one device. Immutable after loading: any number of threads may use
 *              one model at once, each with its own stream and states.
 *   dn_state   one sequence's memory: the delta-rule matrices, the short-convolution tails and the
 *              key/value cache of softmax-attention layers. Used by one thread at a time.
 *
 * Threads: every function's comment ends with its rule ("Threads: ..."). In short: a model and a
 * tokenizer are immutable and may be used by any number of threads at once; a stream, a state, a
 * detokenizer and a sampler are used by one thread at a time (they may move between threads when
 * the program orders the calls, e.g. with a mutex or by joining a thread); a handle is freed only
 * when no call uses it. Getters, option initialisers and status strings are safe anywhere. The
 * library starts no threads of its own except the OpenMP worker team of CPU calls, which runs
 * inside the call and is done when it returns; callbacks run on the calling thread.
 *
 * Every function returns a dn_status. DN_OK is 0; anything else is an error, explained by
 * dn_status_string() and, in more detail, by dn_last_error() on the calling thread. A failed call
 * leaves its outputs untouched and the objects it was given as they were (a failed forward does not
 * advance the state). Nothing aborts, throws or leaks on error.
 *
 * Options structs carry their own size in `struct_size`: initialise them with the matching
 * dn_*_options_init() so that a program built against this header keeps working with later versions
 * of the library that add fields. Passing NULL for an options pointer means "all defaults".
 *
 * Minimal use:
 *
 *   dn_stream *stream; dn_model *model; dn_state *state;
 *   dn_stream_create("cpu", NULL, &stream);
 *   dn_model_load(stream, "models/kjv-deltanet-6m", NULL, &model);
 *   dn_state_create(model, NULL, &state);
 *   int32_t vocab; dn_model_vocab_size(model, &vocab);
 *   float *logits = malloc(sizeof(float) * vocab);
 *   int32_t prompt[] = {1136, 259, 2101};
 *   dn_forward(stream, model, state, prompt, 3, DN_LOGITS_LAST, logits, vocab);
 *   ... pick the next token, feed it with n_tokens = 1, repeat ...
 *   dn_state_free(state); dn_model_free(model); dn_stream_destroy(stream);
 *
 * This header is C99 and C++ compatible.
 */
#ifndef DELTANET_DELTANET_H
#define DELTANET_DELTANET_H

#include <stddef.h>
#include <stdint.h>

#include "deltanet/export.h"
#include "deltanet/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------------ */
/* Status codes and errors                                                                          */
/* ------------------------------------------------------------------------------------------------ */

/** Result of every call. Values are stable across versions; new codes may be added at the end. */
typedef enum dn_status {
    DN_OK = 0,
    DN_ERR_NULL_ARGUMENT = 1,      /**< a required pointer or handle was NULL */
    DN_ERR_INVALID_ARGUMENT = 2,   /**< a value is out of its allowed range (size, count, enum) */
    DN_ERR_IO = 3,                 /**< a file could not be opened, read, mapped or written */
    DN_ERR_MALFORMED_FILE = 4,     /**< a file is truncated, not valid JSON / safetensors, or inconsistent */
    DN_ERR_MODEL_MISMATCH = 5,     /**< weights do not fit the config: missing tensor, wrong shape or dtype */
    DN_ERR_UNSUPPORTED = 6,        /**< a model type, config value, device or feature this build cannot run */
    DN_ERR_TOKEN_OUT_OF_RANGE = 7, /**< a token id is negative or not below the vocabulary size */
    DN_ERR_BUFFER_TOO_SMALL = 8,   /**< a caller buffer cannot hold the result */
    DN_ERR_STATE_MISMATCH = 9,     /**< a state or state blob belongs to another model, or to another device */
    DN_ERR_STATE_CORRUPT = 10,     /**< a state blob fails its checksum or its format checks */
    DN_ERR_CONTEXT_FULL = 11,      /**< a global-attention layer's key/value cache has no room for the tokens */
    DN_ERR_OUT_OF_MEMORY = 12,     /**< an allocation failed; nothing was changed */
    DN_ERR_DEVICE = 13,            /**< the device or its runtime reported an error */
    DN_ERR_INTERNAL = 14           /**< a bug in the library; please report it with dn_last_error() */
} dn_status;

/** A short, static English description of a status ("token id out of range"). Never NULL; an unknown
 *  value gives "unknown status". Threads: safe from any thread at any time. */
DN_API const char *dn_status_string(dn_status status);

/** The message of the last failed call made on the calling thread, naming what was wrong (a file, a
 *  tensor, a field, a value). Empty string if the thread's last call succeeded or none was made. The
 *  pointer stays valid until the thread's next call into the library. Threads: safe; each thread
 *  has its own message (thread-local). */
DN_API const char *dn_last_error(void);

/* ------------------------------------------------------------------------------------------------ */
/* Version                                                                                          */
/* ------------------------------------------------------------------------------------------------ */

/** The library's version at run time (compare with DN_VERSION_MAJOR/MINOR/PATCH from version.h, the
 *  header's). Any output pointer may be NULL. Always DN_OK.
 *  Threads: safe from any thread at any time. */
DN_API dn_status dn_version(int32_t *major, int32_t *minor, int32_t *patch);

/** The run-time version as "MAJOR.MINOR.PATCH". Never NULL, static storage.
 *  Threads: safe from any thread at any time. */
DN_API const char *dn_version_string(void);

/* ------------------------------------------------------------------------------------------------ */
/* Streams                                                                                          */
/* ------------------------------------------------------------------------------------------------ */

typedef struct dn_stream dn_stream;

typedef struct dn_stream_options {
    size_t struct_size;  /**< sizeof(dn_stream_options); set by dn_stream_options_init() */
    int32_t num_threads; /**< CPU worker threads; 0 (default) = all cores the process may use */
} dn_stream_options;

/** Fill `options` with defaults and set its struct_size. DN_ERR_NULL_ARGUMENT if NULL.
 *  Threads: safe; touches only *options. */
DN_API dn_status dn_stream_options_init(dn_stream_options *options);

/** Create an execution stream on `device`: "cpu", or "cuda:N" for NVIDIA GPU N. GPU backends are
 *  plugins (libdeltanet-cuda.so) loaded on first use from $DN_BACKEND_DIR, else from the folder
 *  deltanet/backends beside libdeltanet.so; a CUDA stream maps to its own CUDA stream, and streams of
 *  one GPU run concurrently (one thread each). "hip:N" is recognised; no HIP plugin exists yet.
 *  `options` may be NULL. On success *out_stream owns a new stream; free it with dn_stream_destroy().
 *  On error *out_stream is left unchanged. Errors: DN_ERR_NULL_ARGUMENT, DN_ERR_INVALID_ARGUMENT
 *  (unparsable device, negative thread count, struct_size too small), DN_ERR_UNSUPPORTED (no plugin
 *  for that kind of device is installed, or one of another libdeltanet version), DN_ERR_DEVICE (no
 *  driver or no such device), DN_ERR_OUT_OF_MEMORY.
 *  Threads: safe; any number of threads may create streams at once. */
DN_API dn_status dn_stream_create(const char *device, const dn_stream_options *options,
                                  dn_stream **out_stream);

/** Wait until all work submitted to the stream has finished. Every call that reads or writes host
 *  memory (forward, decode, state save/load) has finished when it returns, on every device, so this
 *  only matters for future asynchronous calls. Errors: DN_ERR_NULL_ARGUMENT, DN_ERR_DEVICE.
 *  Threads: `stream` is used by one thread at a time (calls on one stream must not overlap; it may
 *  pass between threads with the caller's synchronization). */
DN_API dn_status dn_stream_synchronize(dn_stream *stream);

/** The device string the stream was created for ("cpu"). *out_device points into the stream and is
 *  valid while it lives. Errors: DN_ERR_NULL_ARGUMENT.
 *  Threads: safe while the stream lives (it only reads the device string). */
DN_API dn_status dn_stream_device(const dn_stream *stream, const char **out_device);

/** Destroy a stream (waiting for its work first). NULL is allowed and does nothing. Models and states
 *  created through it stay valid: they belong to the device, not the stream. Always DN_OK.
 *  Threads: no other call may be using the stream or follow on it. */
DN_API dn_status dn_stream_destroy(dn_stream *stream);

/* ------------------------------------------------------------------------------------------------ */
/* Models                                                                                           */
/* ------------------------------------------------------------------------------------------------ */

typedef struct dn_model dn_model;

/** Model families (the `model_type` of config.json). */
typedef enum dn_family {
    DN_FAMILY_DELTANET = 0,      /**< "delta_net" */
    DN_FAMILY_GATED_DELTANET = 1 /**< "gated_deltanet" */
} dn_family;

/** Element types of weights. */
typedef enum dn_dtype {
    DN_DTYPE_F32 = 0,
    DN_DTYPE_BF16 = 1,
    DN_DTYPE_F16 = 2
} dn_dtype;

/** How matrix products round their inputs. */
typedef enum dn_precision {
    /** Activations stay float32; bfloat16 weights are widened exactly. Matches fla's float32 path. */
    DN_PRECISION_EXACT = 0,
    /** Where weights are bfloat16, prefill matrix products also round activations to bfloat16 (twice
     *  the matrix throughput on CPUs with AVX512-BF16; about fla's own bfloat16 accuracy). */
    DN_PRECISION_FAST = 1
} dn_precision;

/** Where a model's weights live. */
typedef enum dn_weight_memory {
    /** Copied into the model's own memory (on the CPU: backed by transparent huge pages where the
     *  system allows, so that decode streams them at the full memory bandwidth; GPUs: device memory).
     *  Costs the weights' size in resident memory. */
    DN_WEIGHTS_COPY = 0,
    /** CPU only: read in place from the memory-mapped checkpoint. No copy: pages are loaded lazily
     *  and shared with the page cache and with other processes that map the same files, but decode
     *  reads them more slowly (small pages). GPU devices copy regardless. */
    DN_WEIGHTS_MAPPED = 1
} dn_weight_memory;

/** Called while a model loads: `done` of `total` bytes processed. Return non-zero to cancel the load
 *  (dn_model_load then fails with DN_ERR_INVALID_ARGUMENT and "cancelled"). Always called on the
 *  thread that called dn_model_load(), before that call returns. */
typedef int (*dn_progress_fn)(uint64_t done, uint64_t total, void *user_data);

typedef struct dn_model_options {
    size_t struct_size;         /**< sizeof(dn_model_options); set by dn_model_options_init() */
    dn_precision precision;     /**< default DN_PRECISION_EXACT */
    dn_progress_fn progress;    /**< optional progress callback, NULL for none */
    void *progress_user_data;   /**< passed to `progress` */
    dn_weight_memory weights;   /**< default DN_WEIGHTS_COPY (a struct_size that ends before this
                                     field, from a program built against an older header, means the default) */
} dn_model_options;

/** Fill `options` with defaults and set its struct_size. DN_ERR_NULL_ARGUMENT if NULL.
 *  Threads: safe; touches only *options. */
DN_API dn_status dn_model_options_init(dn_model_options *options);

/** Load a model from a Hugging Face directory `path` holding config.json and either
 *  model.safetensors or shards listed by model.safetensors.index.json, for the device of `stream`.
 *  The files are memory-mapped and read in place or copied, as `options->weights` says; either
 *  way they must not be changed while the model lives. float32 and bfloat16 checkpoints are accepted.
 *  Every config field that changes the math is honoured; one this version cannot honour gives
 *  DN_ERR_UNSUPPORTED with a message naming the field.
 *  On success *out_model owns the new model (free with dn_model_free()); on error it is unchanged.
 *  Errors: DN_ERR_NULL_ARGUMENT, DN_ERR_IO (missing or unreadable file), DN_ERR_MALFORMED_FILE
 *  (bad JSON, truncated or inconsistent safetensors), DN_ERR_MODEL_MISMATCH (tensor missing, wrong
 *  shape or dtype for the config), DN_ERR_UNSUPPORTED (model_type, field value), DN_ERR_OUT_OF_MEMORY.
 *  Threads: safe; different threads may load models at once, each with its own stream (the stream
 *  is in use for the call, as for every call taking a stream). The progress callback runs on the
 *  calling thread. */
DN_API dn_status dn_model_load(dn_stream *stream, const char *path, const dn_model_options *options,
                               dn_model **out_model);

/** Free a model handle. States made from it keep what they need of the model alive, so they may
 *  still be saved, loaded, cloned, reset and freed afterwards; the model's memory goes with the last
 *  of them. (Running one needs a model handle.) NULL is allowed. Always DN_OK.
 *  Threads: no call using this model handle may be running or follow; states of the model may be in
 *  use on other threads (they keep what they need). */
DN_API dn_status dn_model_free(dn_model *model);

/** Getters. Each writes one value to its output pointer; DN_ERR_NULL_ARGUMENT if either pointer is
 *  NULL. Threads (every getter below): safe, also while other threads run the model. */
DN_API dn_status dn_model_family(const dn_model *model, dn_family *out_family);
DN_API dn_status dn_model_vocab_size(const dn_model *model, int32_t *out_vocab_size);
DN_API dn_status dn_model_num_layers(const dn_model *model, int32_t *out_num_layers);
DN_API dn_status dn_model_hidden_size(const dn_model *model, int32_t *out_hidden_size);
/** Number of layers that are softmax attention (hybrid models), 0 for pure (Gated) DeltaNet.
 *  Threads: safe, as the getters above. */
DN_API dn_status dn_model_num_attention_layers(const dn_model *model, int32_t *out_count);
/** The dtype most weights are stored in (the checkpoint's). Threads: safe, as the getters above. */
DN_API dn_status dn_model_weight_dtype(const dn_model *model, dn_dtype *out_dtype);
/** Total bytes of weights as stored. Threads: safe, as the getters above. */
DN_API dn_status dn_model_weight_bytes(const dn_model *model, uint64_t *out_bytes);
/** Number of parameters. Threads: safe, as the getters above. */
DN_API dn_status dn_model_num_params(const dn_model *model, uint64_t *out_params);
/** Bytes of one state created with default options (see dn_state_options.max_context).
 *  Threads: safe, as the getters above. */
DN_API dn_status dn_model_state_bytes(const dn_model *model, uint64_t *out_bytes);
/** config.json's bos_token_id / eos_token_id, or -1 where absent.
 *  Threads: safe, as the getters above. */
DN_API dn_status dn_model_special_tokens(const dn_model *model, int32_t *out_bos, int32_t *out_eos);

/* ------------------------------------------------------------------------------------------------ */
/* States                                                                                           */
/* ------------------------------------------------------------------------------------------------ */

typedef struct dn_state dn_state;

typedef struct dn_state_options {
    size_t struct_size;  /**< sizeof(dn_state_options); set by dn_state_options_init() */
    /** Tokens the key/value cache of a global (unwindowed) attention layer can hold. 0 (default) =
     *  the config's max_position_embeddings. Ignored by models without such layers; sliding-window
     *  layers always keep exactly their window. */
    int64_t max_context;
} dn_state_options;

/** Fill `options` with defaults and set its struct_size. DN_ERR_NULL_ARGUMENT if NULL.
 *  Threads: safe; touches only *options. */
DN_API dn_status dn_state_options_init(dn_state_options *options);

/** Create an empty state (no tokens seen) for `model`, on the model's device. `options` may be NULL.
 *  Errors: DN_ERR_NULL_ARGUMENT, DN_ERR_INVALID_ARGUMENT, DN_ERR_OUT_OF_MEMORY.
 *  Threads: safe; many threads may create states of one model at once (the model is only read). */
DN_API dn_status dn_state_create(const dn_model *model, const dn_state_options *options,
                                 dn_state **out_state);

/** Forget every token: the state becomes as new. Errors: DN_ERR_NULL_ARGUMENT.
 *  Threads: `state` is used by one thread at a time (as by every call taking a state). */
DN_API dn_status dn_state_reset(dn_state *state);

/** Make an independent copy of `state` (same model, same tokens seen, bit-identical memory).
 *  Errors: DN_ERR_NULL_ARGUMENT, DN_ERR_OUT_OF_MEMORY.
 *  Threads: `state` is used by one thread at a time; the clone is independent of it. */
DN_API dn_status dn_state_clone(const dn_state *state, dn_state **out_state);

/** Number of tokens the state has consumed.
 *  Threads: `state` is used by one thread at a time. */
DN_API dn_status dn_state_position(const dn_state *state, int64_t *out_position);

/** Bytes dn_state_save() needs for this state.
 *  Threads: `state` is used by one thread at a time. */
DN_API dn_status dn_state_save_size(const dn_state *state, size_t *out_size);

/** Serialise the state into `buffer` (`capacity` bytes): a versioned blob with a fingerprint of the
 *  model and a checksum. *out_written (may be NULL) receives the size. Errors: DN_ERR_NULL_ARGUMENT,
 *  DN_ERR_BUFFER_TOO_SMALL (nothing written; dn_state_save_size() tells the size).
 *  Threads: `state` is used by one thread at a time. */
DN_API dn_status dn_state_save(const dn_state *state, void *buffer, size_t capacity, size_t *out_written);

/** Replace the contents of `state` with a blob from dn_state_save(). The blob must come from the
 *  same model (same config and weight shapes) and the same state options. On any error the state is
 *  unchanged. Errors: DN_ERR_NULL_ARGUMENT, DN_ERR_STATE_CORRUPT (bad magic, version, size or
 *  checksum), DN_ERR_STATE_MISMATCH (another model or other options).
 *  Threads: `state` is used by one thread at a time; the blob is only read. */
DN_API dn_status dn_state_load(dn_state *state, const void *buffer, size_t size);

/** Free a state. NULL is allowed. Always DN_OK.
 *  Threads: no other call may be using the state or follow on it. */
DN_API dn_status dn_state_free(dn_state *state);

/* ------------------------------------------------------------------------------------------------ */
/* Running the model                                                                                */
/* ------------------------------------------------------------------------------------------------ */

/** Which logits dn_forward() returns. */
typedef enum dn_logits_mode {
    DN_LOGITS_NONE = 0, /**< none (prefill only); `logits` may be NULL */
    DN_LOGITS_LAST = 1, /**< the last position's: vocab_size floats */
    DN_LOGITS_ALL = 2   /**< every position's: n_tokens x vocab_size floats, row-major */
} dn_logits_mode;

/** Feed `n_tokens` tokens of one sequence into `state` (advancing it) and write the requested logits
 *  (float32) into `logits`, which holds `logits_capacity` floats. n_tokens > 1 runs the
 *  chunkwise-parallel prefill, n_tokens == 1 the recurrent step; both give the same numbers up to
 *  float rounding. The stream's device must be the model's. On error the state is not advanced and
 *  `logits` is untouched.
 *  Errors: DN_ERR_NULL_ARGUMENT, DN_ERR_INVALID_ARGUMENT (n_tokens == 0, bad mode),
 *  DN_ERR_TOKEN_OUT_OF_RANGE, DN_ERR_BUFFER_TOO_SMALL, DN_ERR_STATE_MISMATCH (state of another model
 *  or stream of another device), DN_ERR_CONTEXT_FULL, DN_ERR_OUT_OF_MEMORY, DN_ERR_DEVICE.
 *  Threads: `stream` and `state` are used by this call alone while it runs; `model` may be used by
 *  any number of other threads at once (each with its own stream and states). */
DN_API dn_status dn_forward(dn_stream *stream, const dn_model *model, dn_state *state,
                            const int32_t *tokens, size_t n_tokens, dn_logits_mode mode,
                            float *logits, size_t logits_capacity);

/** Batched decode: feed one token to each of `batch` distinct states (tokens[i] into states[i]) in one
 *  pass that reads the weights once, and write logits [batch x vocab_size] row-major into `logits`
 *  (`logits_capacity` floats). Equal to `batch` separate dn_forward() calls with n_tokens = 1. On
 *  error no state is advanced. Errors: as dn_forward(), plus DN_ERR_INVALID_ARGUMENT when a state
 *  appears twice.
 *  Threads: as dn_forward(): `stream` and every state are this call's alone while it runs; `model`
 *  is shared. */
DN_API dn_status dn_decode_batch(dn_stream *stream, const dn_model *model, dn_state *const *states,
                                 const int32_t *tokens, size_t batch, float *logits,
                                 size_t logits_capacity);

#ifdef __cplusplus
} /* extern "C" */
#endif

#include "deltanet/text.h" /* tokenizers, samplers, streaming generation */

#endif /* DELTANET_DELTANET_H */
