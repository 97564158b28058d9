// Shared helpers of the libdeltanet tests: where the ground truth lives, owning handles for the C API,
// throwing wrappers for calls that must succeed, error assertions, and numeric comparisons.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "deltanet/deltanet.h"

// gtest prints dn_status values with their name ("DN_ERR_IO (3: I/O error)").
void PrintTo(dn_status status, std::ostream *os);

namespace dntest {

namespace fs = std::filesystem;

// --- The ground truth ---------------------------------------------------------------------------

// The read-only ground-truth directory: $DN_SHARED_DIR when set, else the DN_SHARED_DIR the tests
// were configured with. Throws std::runtime_error naming the path when it does not exist, so that
// a test needing it fails loudly (never skips).
fs::path shared_dir();
// shared_dir() / relative, which must exist (else std::runtime_error naming it).
fs::path shared_path(const std::string &relative);
// The fixture models: deltanet-tiny, gated-deltanet-tiny, deltanet-hybrid-tiny.
const std::vector<std::string> &fixture_names();
fs::path fixture_dir(const std::string &name);

// --- Owning handles -----------------------------------------------------------------------------

struct StreamDeleter {
    void operator()(dn_stream *s) const { dn_stream_destroy(s); }
};
struct ModelDeleter {
    void operator()(dn_model *m) const { dn_model_free(m); }
};
struct StateDeleter {
    void operator()(dn_state *s) const { dn_state_free(s); }
};
using StreamPtr = std::unique_ptr<dn_stream, StreamDeleter>;
using ModelPtr = std::unique_ptr<dn_model, ModelDeleter>;
using StatePtr = std::unique_ptr<dn_state, StateDeleter>;

// --- Calls that must succeed (each throws std::runtime_error with the status and dn_last_error()) --

std::string describe(dn_status status);  // "DN_ERR_IO (3: I/O error)"
void check(dn_status status, const std::string &what);

StreamPtr make_stream();  // "cpu", default options
// "cpu" with one worker thread: results do not depend on how many cores a call got, and every
// allocation of a call happens on the caller's thread.
StreamPtr one_worker_stream();
ModelPtr load_model(dn_stream *stream, const fs::path &directory);
StatePtr make_state(const dn_model *model);
StatePtr clone_state(const dn_state *state);
int32_t vocab_size(const dn_model *model);
int64_t position(const dn_state *state);
std::vector<unsigned char> save_state(const dn_state *state);
void load_state(dn_state *state, const std::vector<unsigned char> &blob);

// One dn_forward; returns the logits the mode asks for (empty for DN_LOGITS_NONE).
std::vector<float> forward(dn_stream *stream, const dn_model *model, dn_state *state,
                           const std::vector<int32_t> &tokens, dn_logits_mode mode);
// Feeds one token (n_tokens = 1, DN_LOGITS_LAST).
std::vector<float> step(dn_stream *stream, const dn_model *model, dn_state *state, int32_t token);

// A stream, a model and its vocabulary size: what most tests start from.
struct Loaded {
    StreamPtr stream;
    ModelPtr model;
    int32_t vocab = 0;
};
Loaded load(const fs::path &directory);

// --- Reference tensors --------------------------------------------------------------------------

// reference.safetensors of a fixture (see its README.md).
struct Reference {
    std::vector<int32_t> input_ids;   // [T]
    std::vector<float> logits;        // [T, vocab]
    std::vector<int32_t> decode_ids;  // [D]
    std::vector<float> decode_logits; // [D, vocab]
    int64_t vocab = 0;
};
Reference load_reference(const fs::path &file);

// An I64 tensor of a safetensors file as int32 ids (checks dtype, rank 1 and range).
std::vector<int32_t> read_ids(const fs::path &file, const std::string &tensor);

// --- Numbers ------------------------------------------------------------------------------------

// ||ours - ref|| / ||ref|| in double.
double rel_l2(const float *ours, const float *ref, size_t n);
inline double rel_l2(const std::vector<float> &ours, const std::vector<float> &ref) {
    return ours.size() == ref.size() ? rel_l2(ours.data(), ref.data(), ref.size()) : 1e300;
}
// Index of the largest value (the first one on ties).
size_t argmax(const float *x, size_t n);
// Byte-for-byte equality of two float arrays (distinguishes -0 from 0, equal NaNs compare equal).
bool bit_equal(const std::vector<float> &a, const std::vector<float> &b);

// Prints "[ measured ] key = value" (seen with ctest -V or --output-on-failure) and records it as a
// test property (in gtest's XML output).
void report(const std::string &key, double value);

// The first `n` tokens of a deterministic pseudo-random sequence in [0, vocab).
std::vector<int32_t> some_tokens(size_t n, int32_t vocab, uint32_t seed);

// --- Errors -------------------------------------------------------------------------------------

// Succeeds when `got` is `want`, dn_last_error() is non-empty and it contains every string of
// `mentions` (case-insensitive). Call it right after the failing call: the message belongs to the
// thread's last call.
::testing::AssertionResult IsError(dn_status got, dn_status want, const std::vector<std::string> &mentions = {});

// --- Files --------------------------------------------------------------------------------------

// A fresh, uniquely named directory under the system temp directory, removed with its contents.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
    const fs::path &path() const { return path_; }
    fs::path operator/(const std::string &name) const { return path_ / name; }

private:
    fs::path path_;
};

std::string read_bytes(const fs::path &file);
void write_bytes(const fs::path &file, const std::string &bytes);

}  // namespace dntest

// EXPECT_DN_ERROR(dn_call(...), DN_ERR_X, "mention", ...): the status, a message, and what it names.
#define EXPECT_DN_ERROR(call, status, ...) EXPECT_TRUE(::dntest::IsError((call), (status), {__VA_ARGS__}))
#define ASSERT_DN_ERROR(call, status, ...) ASSERT_TRUE(::dntest::IsError((call), (status), {__VA_ARGS__}))
// EXPECT_DN_OK(call): DN_OK, else the message.
#define EXPECT_DN_OK(call)                                                                         \
    do {                                                                                           \
        const dn_status dn_ok_status_ = (call);                                                    \
        EXPECT_EQ(dn_ok_status_, DN_OK) << #call << ": " << dn_last_error();                       \
    } while (0)
#define ASSERT_DN_OK(call)                                                                         \
    do {                                                                                           \
        const dn_status dn_ok_status_ = (call);                                                    \
        ASSERT_EQ(dn_ok_status_, DN_OK) << #call << ": " << dn_last_error();                       \
    } while (0)
