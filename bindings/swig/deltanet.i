/* SWIG interface of libdeltanet, shared by the Java and C# bindings.
 *
 * SWIG generates a low-level module (DeltaNetNative, package-private / internal) from the public
 * headers; each language then has small hand-written classes on top (Stream, Model, State, ...).
 * The language files (deltanet_java.i, deltanet_csharp.i) supply the typemaps: handles cross as
 * integers, a non-OK dn_status throws DeltaNetException, (pointer, length) pairs cross as arrays,
 * out-parameters as one-element arrays (Java) or `out` arguments (C#). */

%module DeltaNetNative

%{
#include <stdlib.h>
#include <string.h>
#include "deltanet/deltanet.h"
%}

%include <stdint.i>

/* The headers' export macro: SWIG only needs the declarations. */
#define DN_API

/* C enums cross as plain ints; each language maps them to its own enum types. */
#if defined(SWIGJAVA)
%include "enumtypeunsafe.swg"
%javaconst(1);
%include "deltanet_java.i"
#elif defined(SWIGCSHARP)
%include "enumsimple.swg"
%csconst(1);
%include "deltanet_csharp.i"
#else
#error "bindings/swig/deltanet.i: only Java and C# are supported"
#endif

/* ---- (pointer, count) pairs that cross as one array (typemaps in the language files) ----------- */
%apply (const int32_t *IN_ARRAY, size_t LENGTH) {
    (const int32_t *tokens, size_t n_tokens), (const int32_t *ids, size_t n_ids),
    (const int32_t *prompt_ids, size_t n_prompt_ids), (const int32_t *stop_ids, size_t n_stop_ids),
    (const int32_t *bias_tokens, size_t n_bias_tokens) }
%apply (const float *IN_ARRAY, size_t LENGTH) {
    (const float *logits, size_t n_logits), (const float *bias_values, size_t n_bias_values) }
%apply (const long long *IN_ARRAY, size_t LENGTH) { (const long long *states, size_t n_states) }
%apply (const char *IN_ARRAY, size_t LENGTH) {
    (const char *text, size_t text_len), (const char *prompt, size_t prompt_len),
    (const char *stop_strings, size_t stop_strings_len) }
%apply (const void *IN_ARRAY, size_t LENGTH) { (const void *buffer, size_t size) }
%apply (int32_t *OUT_ARRAY, size_t LENGTH) { (int32_t *ids, size_t capacity) }
%apply (float *OUT_ARRAY, size_t LENGTH) { (float *logits, size_t logits_capacity) }
%apply (char *OUT_ARRAY, size_t LENGTH) { (char *text, size_t capacity) }
%apply (void *OUT_ARRAY, size_t LENGTH) { (void *buffer, size_t capacity) }
/* The detokenizer's (text, length) results (typemaps in the language files: the bytes, copied). */
%apply (const char **OUT_TEXT, size_t *OUT_LEN) { (const char **out_text, size_t *out_len) }

/* ---- What is not wrapped as declared ----------------------------------------------------------- */
/* Takes a dn_status argument, which the typemaps reserve for results: see dn_swig_status_string. */
%ignore dn_status_string;
/* Their callback needs per-language glue: see dn_swig_generate below. */
%ignore dn_generate;
%ignore dn_generate_ids;
%ignore dn_generate_options::sampling;
%ignore dn_generate_options::sampler;
%ignore dn_generate_options::stop_ids;
%ignore dn_generate_options::n_stop_ids;
%ignore dn_generate_options::stop_strings;
%ignore dn_generate_options::n_stop_strings;
%ignore dn_generate_options::callback;
%ignore dn_generate_options::user_data;
/* The progress callback needs per-language glue too: see dn_swig_model_load. */
%ignore dn_model_load;
%ignore dn_model_options::progress;
%ignore dn_model_options::progress_user_data;
/* Logit biases cross as two arrays (tokens, biases): see dn_swig_sampler_create, dn_swig_generate. */
%ignore dn_sampler_create;
%ignore dn_sampler_options::logit_bias;
%ignore dn_sampler_options::n_logit_bias;
%ignore dn_logit_bias;
/* The states cross as an array of handles: see dn_swig_decode_batch. */
%ignore dn_decode_batch;
/* Filled by the dn_*_options_init functions, never by the caller. */
%immutable struct_size;

/* The caller sets a result's struct_size: a new one comes with it set. */
%extend dn_generate_result {
    dn_generate_result() {
        dn_generate_result *r = (dn_generate_result *)calloc(1, sizeof *r);
        if (r) r->struct_size = sizeof *r;
        return r;
    }
}

%include "deltanet/deltanet.h"
%include "deltanet/text.h"

/* ---- Glue functions, part of the generated module ---------------------------------------------- */
%{
/* The callback and its user_data, as one language's typemap fills them in. */
typedef struct dn_swig_sink {
    dn_generate_callback fn;
    void *user_data;
} dn_swig_sink;
%}
typedef struct dn_swig_sink dn_swig_sink;

%{
/* A load's progress callback and its user_data, as one language's typemap fills them in. */
typedef struct dn_swig_progress {
    dn_progress_fn fn;
    void *user_data;
} dn_swig_progress;

/* Sampler options with the logit biases given as two arrays of one length. On success *storage
 * (free it after the call) holds the biases that out->logit_bias points to. */
static dn_status dn_swig_biased(const dn_sampler_options *options, const int32_t *bias_tokens,
                                size_t n_bias_tokens, const float *bias_values, size_t n_bias_values,
                                dn_sampler_options *out, dn_logit_bias **storage) {
    size_t i;
    *storage = NULL;
    *out = *options;
    out->logit_bias = NULL;
    out->n_logit_bias = 0;
    if (n_bias_tokens != n_bias_values || (n_bias_tokens && (!bias_tokens || !bias_values)))
        return DN_ERR_INVALID_ARGUMENT; /* the public classes pass matching arrays */
    if (!n_bias_tokens) return DN_OK;
    if (!(*storage = (dn_logit_bias *)malloc(n_bias_tokens * sizeof **storage))) return DN_ERR_OUT_OF_MEMORY;
    for (i = 0; i < n_bias_tokens; ++i) {
        (*storage)[i].token = bias_tokens[i];
        (*storage)[i].bias = bias_values[i];
    }
    out->logit_bias = *storage;
    out->n_logit_bias = n_bias_tokens;
    return DN_OK;
}
%}
typedef struct dn_swig_progress dn_swig_progress;

%inline %{
/** dn_status_string for a status given as an int. */
static const char *dn_swig_status_string(int status) { return dn_status_string((dn_status)status); }

/** dn_model_load, with the progress callback given as an argument (`progress` NULL: none) and
 *  `options` NULL meaning the defaults. */
static dn_status dn_swig_model_load(dn_stream *stream, const char *path, const dn_model_options *options,
                                    dn_swig_progress *progress, dn_model **out_model) {
    dn_model_options o;
    if (options) o = *options; else dn_model_options_init(&o);
    o.progress = progress ? progress->fn : NULL;
    o.progress_user_data = progress ? progress->user_data : NULL;
    return dn_model_load(stream, path, &o, out_model);
}

/** dn_sampler_create, with the logit biases given as two arrays of one length (token ids and their
 *  biases). `options` NULL means the defaults. */
static dn_status dn_swig_sampler_create(const dn_sampler_options *options, const int32_t *bias_tokens,
                                        size_t n_bias_tokens, const float *bias_values, size_t n_bias_values,
                                        int32_t vocab_size, dn_sampler **out_sampler) {
    dn_sampler_options defaults, o;
    dn_logit_bias *biases;
    dn_status s;
    if (!options) {
        dn_sampler_options_init(&defaults);
        options = &defaults;
    }
    s = dn_swig_biased(options, bias_tokens, n_bias_tokens, bias_values, n_bias_values, &o, &biases);
    if (s == DN_OK) s = dn_sampler_create(&o, vocab_size, out_sampler);
    free(biases);
    return s;
}

/** dn_decode_batch with the states given as an array of handles (as integers), one per token. (long
 *  long, not int64_t: SWIG's stdint.i declares int64_t so, and casts to it.) */
static dn_status dn_swig_decode_batch(dn_stream *stream, const dn_model *model, const long long *states,
                                      size_t n_states, const int32_t *tokens, size_t n_tokens, float *logits,
                                      size_t logits_capacity) {
    dn_state *one[1] = {NULL};
    dn_state **handles = one;
    size_t i;
    dn_status s;
    if (n_states != n_tokens) return DN_ERR_INVALID_ARGUMENT; /* the public classes check first */
    if (n_states > 1 && !(handles = (dn_state **)malloc(n_states * sizeof *handles))) return DN_ERR_OUT_OF_MEMORY;
    for (i = 0; i < n_states; ++i) handles[i] = (dn_state *)(intptr_t)states[i];
    s = dn_decode_batch(stream, model, handles, tokens, n_tokens, logits, logits_capacity);
    if (handles != one) free(handles);
    return s;
}

/** dn_generate (prompt_ids NULL) or dn_generate_ids (prompt NULL), with the pointer fields of
 *  `options` given as arguments: `stop_strings` holds the stop strings one after the other, each
 *  ending in a NUL byte; the logit biases of `sampling` come as two arrays of one length. `sink`
 *  supplies the callback (NULL: none). */
static dn_status dn_swig_generate(dn_stream *stream, const dn_model *model, const dn_tokenizer *tokenizer,
                                  dn_state *state, const char *prompt, size_t prompt_len,
                                  const int32_t *prompt_ids, size_t n_prompt_ids,
                                  const dn_generate_options *options, const dn_sampler_options *sampling,
                                  const int32_t *bias_tokens, size_t n_bias_tokens,
                                  const float *bias_values, size_t n_bias_values,
                                  dn_sampler *sampler, const int32_t *stop_ids, size_t n_stop_ids,
                                  const char *stop_strings, size_t stop_strings_len, dn_swig_sink *sink,
                                  dn_generate_result *result) {
    dn_generate_options o;
    dn_sampler_options biased;
    dn_logit_bias *biases = NULL;
    const char **strings = NULL;
    size_t n_strings = 0, i;
    dn_status s;
    if (!options) return dn_generate(stream, model, tokenizer, state, NULL, 0, NULL, result); /* sets the error */
    o = *options;
    o.sampling = sampling;
    if (sampling) {
        s = dn_swig_biased(sampling, bias_tokens, n_bias_tokens, bias_values, n_bias_values, &biased, &biases);
        if (s != DN_OK) return s;
        o.sampling = &biased;
    }
    o.sampler = sampler;
    o.stop_ids = stop_ids;
    o.n_stop_ids = stop_ids ? n_stop_ids : 0;
    for (i = 0; stop_strings && i < stop_strings_len; ++i) n_strings += stop_strings[i] == '\0';
    if (n_strings) {
        const char *p = stop_strings;
        if (!(strings = (const char **)malloc(n_strings * sizeof *strings))) {
            free(biases);
            return DN_ERR_OUT_OF_MEMORY;
        }
        for (i = 0; i < n_strings; ++i, p += strlen(p) + 1) strings[i] = p;
    }
    o.stop_strings = strings;
    o.n_stop_strings = n_strings;
    o.callback = sink ? sink->fn : NULL;
    o.user_data = sink ? sink->user_data : NULL;
    if (prompt_ids)
        s = dn_generate_ids(stream, model, tokenizer, state, prompt_ids, n_prompt_ids, &o, result);
    else
        s = dn_generate(stream, model, tokenizer, state, prompt, prompt_len, &o, result);
    free((void *)strings);
    free(biases);
    return s;
}
%}
