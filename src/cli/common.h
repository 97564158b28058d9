// Helpers shared by the subcommands: error checks, owning handles, model loading, ids files and
// number formatting.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "deltanet/deltanet.h"

namespace CLI {
class App;
}

namespace dn::cli {

// Options of the root command that every model-running subcommand honours.
struct GlobalOptions {
    int threads = 0;  // dn_stream_options.num_threads; 0 = all cores
    bool mapped_weights = false;  // dn_model_options.weights = DN_WEIGHTS_MAPPED

    // The thread count for the tool's own OpenMP work: `threads`, or OpenMP's default when 0.
    int resolved_threads() const;
};

// Throws dn::Error(status, dn_last_error()) when `status` is not DN_OK. Call it right after the
// failing call: the message is per thread and replaced by the next library call.
void check(dn_status status);

struct StreamDeleter {
    void operator()(dn_stream *stream) const { dn_stream_destroy(stream); }
};
struct ModelDeleter {
    void operator()(dn_model *model) const { dn_model_free(model); }
};
struct StateDeleter {
    void operator()(dn_state *state) const { dn_state_free(state); }
};
using StreamPtr = std::unique_ptr<dn_stream, StreamDeleter>;
using ModelPtr = std::unique_ptr<dn_model, ModelDeleter>;
using StatePtr = std::unique_ptr<dn_state, StateDeleter>;
struct TokenizerDeleter {
    void operator()(dn_tokenizer *tokenizer) const { dn_tokenizer_free(tokenizer); }
};
using TokenizerPtr = std::unique_ptr<dn_tokenizer, TokenizerDeleter>;

// The tokenizer of a model directory (its tokenizer.json).
TokenizerPtr load_tokenizer(const std::string &dir);
// `text` as token ids (flags: DN_ENCODE_*).
std::vector<int32_t> encode(const dn_tokenizer *tokenizer, const std::string &text, uint32_t flags);

// A model and the stream it runs on.
struct LoadedModel {
    StreamPtr stream;
    ModelPtr model;
    double load_seconds = 0;
};

// Creates a CPU stream with `threads` workers and loads `dir`, drawing a progress bar on stderr when
// it is a terminal, then prints the load time on stderr.
LoadedModel load_model(const std::string &dir, const GlobalOptions &global, dn_precision precision = DN_PRECISION_EXACT);

// A fresh state. `max_context` > 0 sizes the key/value cache of global attention layers for exactly
// that many tokens (what eval/generate/bench know they need); 0 keeps the library's default.
StatePtr new_state(const dn_model *model, int64_t max_context = 0);

struct ModelInfo {
    dn_family family = DN_FAMILY_DELTANET;
    int32_t vocab_size = 0;
    int32_t num_layers = 0;
    int32_t num_attention_layers = 0;
    int32_t hidden_size = 0;
    dn_dtype weight_dtype = DN_DTYPE_F32;
    uint64_t params = 0;
    uint64_t weight_bytes = 0;
    uint64_t state_bytes = 0;
    int32_t bos = -1;
    int32_t eos = -1;
};
ModelInfo describe(const dn_model *model);

const char *family_name(dn_family family);
const char *dtype_name(dn_dtype dtype);

// A whole file's bytes; "-" reads standard input. Throws DN_ERR_IO.
std::string read_all(const std::string &path);

// Token ids separated by any whitespace. `path` "-" reads standard input. Throws DN_ERR_IO (cannot
// read) or DN_ERR_MALFORMED_FILE (a token that is not an integer, one outside int32, no ids at all).
std::vector<int32_t> read_ids_file(const std::string &path);

// Index of the largest value (the first one on ties).
size_t argmax(const float *values, size_t count);

// Adds `--precision exact|fast` to a subcommand.
void add_precision_option(CLI::App &command, dn_precision &precision);

double now_seconds();  // a monotonic clock

// printf into a std::string.
std::string format(const char *pattern, ...) __attribute__((format(printf, 1, 2)));
std::string human_bytes(double bytes);    // "2.74 GB" (decimal units, as bandwidths are quoted)
std::string human_count(double count);    // "1.37 G"
std::string with_commas(uint64_t value);  // "1,365,239,808"

}  // namespace dn::cli
