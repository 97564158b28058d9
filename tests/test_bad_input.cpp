// Bad arguments to the C API: every error has its status, a message naming what was wrong, and leaves
// states, buffers and output pointers as they were. Nothing crashes (these also run under ASan/UBSan).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "support/dn_test.h"
#include "support/model_files.h"
#include "support/raw_enum_calls.h"

namespace {

using namespace dntest;

constexpr float kSentinel = -12345.0f;

class BadInput : public ::testing::Test {
protected:
    void SetUp() override {
        loaded_ = load(fixture_dir("deltanet-tiny"));
        state_ = make_state(model());
        forward(stream(), model(), state_.get(), some_tokens(12, loaded_.vocab, 3), DN_LOGITS_NONE);
        blob_ = save_state(state_.get());
    }

    dn_stream *stream() { return loaded_.stream.get(); }
    dn_model *model() { return loaded_.model.get(); }
    dn_state *state() { return state_.get(); }
    size_t vocab() const { return size_t(loaded_.vocab); }

    // The state is exactly as SetUp left it.
    void expect_state_unchanged(const std::string &context) {
        EXPECT_EQ(position(state()), 12) << context << ": the state advanced";
        EXPECT_TRUE(save_state(state()) == blob_) << context << ": the state's contents changed";
    }

    Loaded loaded_;
    StatePtr state_;
    std::vector<unsigned char> blob_;
};

bool all_sentinel(const std::vector<float> &v) {
    return std::all_of(v.begin(), v.end(), [](float x) { return x == kSentinel; });
}

// --- Tokens -------------------------------------------------------------------------------------

TEST_F(BadInput, TokenOutOfRangeDoesNotAdvance) {
    const int32_t V = loaded_.vocab;
    struct Case {
        std::vector<int32_t> tokens;
        std::string bad;
    };
    const std::vector<Case> cases = {
        {{V}, std::to_string(V)},
        {{-1}, "-1"},
        {{5, 6, V + 100, 7}, std::to_string(V + 100)},
        {{5, 6, 7, -2147483647 - 1}, "-2147483648"},
        {{1, 2, 3, 4, 5, 6, 7, 8, V}, std::to_string(V)},  // the bad one last
    };
    for (const Case &c : cases) {
        for (dn_logits_mode mode : {DN_LOGITS_NONE, DN_LOGITS_LAST, DN_LOGITS_ALL}) {
            std::vector<float> logits(c.tokens.size() * vocab(), kSentinel);
            const std::string context = "tokens with " + c.bad + ", mode " + std::to_string(int(mode));
            EXPECT_DN_ERROR(dn_forward(stream(), model(), state(), c.tokens.data(), c.tokens.size(), mode,
                                       logits.data(), logits.size()),
                            DN_ERR_TOKEN_OUT_OF_RANGE, c.bad)
                << context;
            EXPECT_TRUE(all_sentinel(logits)) << context << ": logits were written";
            expect_state_unchanged(context);
        }
    }
}

TEST_F(BadInput, DecodeBatchTokenOutOfRangeAdvancesNoState) {
    StatePtr other = make_state(model());
    const std::vector<unsigned char> other_blob = save_state(other.get());
    dn_state *states[2] = {state(), other.get()};
    const int32_t tokens[2] = {3, int32_t(vocab())};
    std::vector<float> logits(2 * vocab(), kSentinel);
    EXPECT_DN_ERROR(dn_decode_batch(stream(), model(), states, tokens, 2, logits.data(), logits.size()),
                    DN_ERR_TOKEN_OUT_OF_RANGE, std::to_string(vocab()));
    EXPECT_TRUE(all_sentinel(logits));
    expect_state_unchanged("decode_batch");
    EXPECT_EQ(position(other.get()), 0);
    EXPECT_TRUE(save_state(other.get()) == other_blob);
}

// --- Buffers and counts -------------------------------------------------------------------------

TEST_F(BadInput, LogitsBufferTooSmallDoesNotAdvance) {
    const std::vector<int32_t> tokens = {1, 2, 3, 4};
    struct Case {
        dn_logits_mode mode;
        size_t capacity;
    };
    for (const Case &c : {Case{DN_LOGITS_LAST, vocab() - 1}, Case{DN_LOGITS_LAST, 0},
                          Case{DN_LOGITS_ALL, tokens.size() * vocab() - 1}, Case{DN_LOGITS_ALL, vocab()}}) {
        std::vector<float> logits(tokens.size() * vocab(), kSentinel);
        const std::string context = "mode " + std::to_string(int(c.mode)) + ", capacity " + std::to_string(c.capacity);
        EXPECT_DN_ERROR(dn_forward(stream(), model(), state(), tokens.data(), tokens.size(), c.mode, logits.data(),
                                   c.capacity),
                        DN_ERR_BUFFER_TOO_SMALL, "logits")
            << context;
        EXPECT_TRUE(all_sentinel(logits)) << context;
        expect_state_unchanged(context);
    }
    // Single-token decode too.
    std::vector<float> logits(vocab(), kSentinel);
    const int32_t token = 9;
    EXPECT_DN_ERROR(dn_forward(stream(), model(), state(), &token, 1, DN_LOGITS_LAST, logits.data(), vocab() - 1),
                    DN_ERR_BUFFER_TOO_SMALL, "logits");
    EXPECT_TRUE(all_sentinel(logits));
    expect_state_unchanged("decode");

    // And a batch.
    StatePtr other = make_state(model());
    dn_state *states[2] = {state(), other.get()};
    const int32_t tokens2[2] = {3, 4};
    std::vector<float> batch_logits(2 * vocab(), kSentinel);
    EXPECT_DN_ERROR(dn_decode_batch(stream(), model(), states, tokens2, 2, batch_logits.data(), 2 * vocab() - 1),
                    DN_ERR_BUFFER_TOO_SMALL, "logits");
    EXPECT_TRUE(all_sentinel(batch_logits));
    expect_state_unchanged("decode_batch");
    EXPECT_EQ(position(other.get()), 0);
}

TEST_F(BadInput, ZeroTokensIsInvalid) {
    const int32_t token = 1;
    std::vector<float> logits(vocab(), kSentinel);
    for (dn_logits_mode mode : {DN_LOGITS_NONE, DN_LOGITS_LAST, DN_LOGITS_ALL}) {
        EXPECT_DN_ERROR(dn_forward(stream(), model(), state(), &token, 0, mode, logits.data(), logits.size()),
                        DN_ERR_INVALID_ARGUMENT, "n_tokens");
    }
    EXPECT_TRUE(all_sentinel(logits));
    dn_state *states[1] = {state()};
    EXPECT_DN_ERROR(dn_decode_batch(stream(), model(), states, &token, 0, logits.data(), logits.size()),
                    DN_ERR_INVALID_ARGUMENT, "batch");
    EXPECT_TRUE(all_sentinel(logits));
    expect_state_unchanged("zero tokens");
}

TEST_F(BadInput, BadLogitsModeIsInvalid) {
    const int32_t token = 1;
    std::vector<float> logits(vocab(), kSentinel);
    // 3: in the range of the C++ enum's values but no dn_logits_mode.
    EXPECT_DN_ERROR(dn_forward(stream(), model(), state(), &token, 1, static_cast<dn_logits_mode>(3), logits.data(),
                               logits.size()),
                    DN_ERR_INVALID_ARGUMENT, "mode");
    EXPECT_TRUE(all_sentinel(logits));
    expect_state_unchanged("bad mode");
}

// Modes a C program may pass, outside the C++ enum's range (formed in C: support/raw_enum_calls.c).
// The library must check them without reading them as a dn_logits_mode (UBSan reports that).
TEST_F(BadInput, BadLogitsModeFromC) {
    const int32_t token = 1;
    std::vector<float> logits(vocab(), kSentinel);
    for (int mode : {7, -1, 1000}) {
        EXPECT_DN_ERROR(dntest_forward_raw_mode(stream(), model(), state(), &token, 1, mode, logits.data(), logits.size()),
                        DN_ERR_INVALID_ARGUMENT, "mode")
            << "mode " << mode;
    }
    EXPECT_TRUE(all_sentinel(logits));
    expect_state_unchanged("bad mode");
}

TEST_F(BadInput, DecodeBatchWithTheSameStateTwice) {
    StatePtr other = make_state(model());
    dn_state *states[3] = {state(), other.get(), state()};
    const int32_t tokens[3] = {1, 2, 3};
    std::vector<float> logits(3 * vocab(), kSentinel);
    EXPECT_DN_ERROR(dn_decode_batch(stream(), model(), states, tokens, 3, logits.data(), logits.size()),
                    DN_ERR_INVALID_ARGUMENT, "twice");
    EXPECT_TRUE(all_sentinel(logits));
    expect_state_unchanged("duplicate state");
    EXPECT_EQ(position(other.get()), 0);
}

// --- Devices and options ------------------------------------------------------------------------

TEST_F(BadInput, Devices) {
    dn_stream *const kUntouched = reinterpret_cast<dn_stream *>(0x1);
    dn_stream *out = kUntouched;
    EXPECT_DN_ERROR(dn_stream_create("gpu:7", nullptr, &out), DN_ERR_INVALID_ARGUMENT, "gpu:7");
    EXPECT_EQ(out, kUntouched);
    EXPECT_DN_ERROR(dn_stream_create("", nullptr, &out), DN_ERR_INVALID_ARGUMENT);
    EXPECT_DN_ERROR(dn_stream_create("banana", nullptr, &out), DN_ERR_INVALID_ARGUMENT, "banana");
    EXPECT_EQ(out, kUntouched);
    // A GPU device: a stream where the plugin and the device are there; else DN_ERR_UNSUPPORTED (no
    // plugin installed) or DN_ERR_DEVICE (no driver or device), saying which, and nothing written.
    for (const char *gpu : {"cuda:0", "hip:0"}) {
        const dn_status status = dn_stream_create(gpu, nullptr, &out);
        if (status == DN_OK) {
            StreamPtr owned(out);
            out = kUntouched;
            continue;
        }
        const std::string kind = std::string(gpu).substr(0, std::string(gpu).find(':'));
        EXPECT_TRUE(IsError(status, status == DN_ERR_DEVICE ? DN_ERR_DEVICE : DN_ERR_UNSUPPORTED, {kind})) << gpu;
        EXPECT_EQ(out, kUntouched);
    }
    EXPECT_DN_ERROR(dn_stream_create("cuda:x", nullptr, &out), DN_ERR_INVALID_ARGUMENT, "cuda:x");
    EXPECT_DN_ERROR(dn_stream_create("cuda:", nullptr, &out), DN_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(out, kUntouched);

    // The one device of this build works, and says what it is.
    ASSERT_DN_OK(dn_stream_create("cpu", nullptr, &out));
    StreamPtr cpu(out);
    const char *device = nullptr;
    ASSERT_DN_OK(dn_stream_device(cpu.get(), &device));
    EXPECT_STREQ(device, "cpu");
    EXPECT_DN_OK(dn_stream_synchronize(cpu.get()));
}

TEST_F(BadInput, OptionsWithStructSizeZero) {
    dn_stream_options so;
    ASSERT_DN_OK(dn_stream_options_init(&so));
    EXPECT_EQ(so.struct_size, sizeof(dn_stream_options));
    so.struct_size = 0;
    dn_stream *stream_out = nullptr;
    EXPECT_DN_ERROR(dn_stream_create("cpu", &so, &stream_out), DN_ERR_INVALID_ARGUMENT, "struct_size");
    EXPECT_EQ(stream_out, nullptr);

    dn_model_options mo;
    ASSERT_DN_OK(dn_model_options_init(&mo));
    EXPECT_EQ(mo.struct_size, sizeof(dn_model_options));
    EXPECT_EQ(mo.precision, DN_PRECISION_EXACT);
    mo.struct_size = 0;
    dn_model *model_out = nullptr;
    const std::string dir = fixture_dir("deltanet-tiny").string();
    EXPECT_DN_ERROR(dn_model_load(stream(), dir.c_str(), &mo, &model_out), DN_ERR_INVALID_ARGUMENT, "struct_size");
    EXPECT_EQ(model_out, nullptr);

    // A weight placement outside the enum is refused; a struct_size from before the field existed
    // means the default.
    ASSERT_DN_OK(dn_model_options_init(&mo));
    std::memset(static_cast<void *>(&mo.weights), 0x7f, sizeof mo.weights);
    EXPECT_DN_ERROR(dn_model_load(stream(), dir.c_str(), &mo, &model_out), DN_ERR_INVALID_ARGUMENT, "weights");
    EXPECT_EQ(model_out, nullptr);
    mo.struct_size = offsetof(dn_model_options, weights);
    ASSERT_DN_OK(dn_model_load(stream(), dir.c_str(), &mo, &model_out));
    dn_model_free(model_out);
    model_out = nullptr;

    dn_state_options sto;
    ASSERT_DN_OK(dn_state_options_init(&sto));
    EXPECT_EQ(sto.struct_size, sizeof(dn_state_options));
    sto.struct_size = 0;
    dn_state *state_out = nullptr;
    EXPECT_DN_ERROR(dn_state_create(model(), &sto, &state_out), DN_ERR_INVALID_ARGUMENT, "struct_size");
    EXPECT_EQ(state_out, nullptr);
}

TEST_F(BadInput, OptionValuesOutOfRange) {
    dn_stream_options so;
    ASSERT_DN_OK(dn_stream_options_init(&so));
    so.num_threads = -1;
    dn_stream *stream_out = nullptr;
    EXPECT_DN_ERROR(dn_stream_create("cpu", &so, &stream_out), DN_ERR_INVALID_ARGUMENT, "num_threads");
    EXPECT_EQ(stream_out, nullptr);

    dn_state_options sto;
    ASSERT_DN_OK(dn_state_options_init(&sto));
    sto.max_context = -5;
    dn_state *state_out = nullptr;
    EXPECT_DN_ERROR(dn_state_create(model(), &sto, &state_out), DN_ERR_INVALID_ARGUMENT, "max_context");
    EXPECT_EQ(state_out, nullptr);
}

// A precision no dn_precision has, as a C program may set it (formed in C: support/raw_enum_calls.c).
TEST_F(BadInput, BadPrecisionFromC) {
    dn_model *model_out = nullptr;
    const std::string dir = fixture_dir("deltanet-tiny").string();
    for (int precision : {42, -1, 2}) {
        EXPECT_DN_ERROR(dntest_model_load_raw_precision(stream(), dir.c_str(), precision, &model_out),
                        DN_ERR_INVALID_ARGUMENT, "precision")
            << "precision " << precision;
        EXPECT_EQ(model_out, nullptr);
    }
}

// A progress callback that returns non-zero cancels the load.
TEST_F(BadInput, CancelledLoad) {
    dn_model_options mo;
    ASSERT_DN_OK(dn_model_options_init(&mo));
    int calls = 0;
    mo.progress = [](uint64_t, uint64_t, void *user) -> int { return ++*static_cast<int *>(user) >= 2; };
    mo.progress_user_data = &calls;
    dn_model *model_out = nullptr;
    const std::string dir = fixture_dir("deltanet-tiny").string();
    EXPECT_DN_ERROR(dn_model_load(stream(), dir.c_str(), &mo, &model_out), DN_ERR_INVALID_ARGUMENT, "cancel");
    EXPECT_EQ(model_out, nullptr);
    EXPECT_GE(calls, 2);
}

// --- Pairing ------------------------------------------------------------------------------------

TEST_F(BadInput, StateOfAnotherModel) {
    ModelPtr gated = load_model(stream(), fixture_dir("gated-deltanet-tiny"));
    std::vector<float> logits(vocab(), kSentinel);
    const int32_t token = 1;
    EXPECT_DN_ERROR(dn_forward(stream(), gated.get(), state(), &token, 1, DN_LOGITS_LAST, logits.data(), logits.size()),
                    DN_ERR_STATE_MISMATCH, "model");
    EXPECT_TRUE(all_sentinel(logits));
    expect_state_unchanged("state of another model");

    dn_state *states[1] = {state()};
    EXPECT_DN_ERROR(dn_decode_batch(stream(), gated.get(), states, &token, 1, logits.data(), logits.size()),
                    DN_ERR_STATE_MISMATCH);
    expect_state_unchanged("decode_batch with a state of another model");
}

// A global-attention layer's cache full: DN_ERR_CONTEXT_FULL, nothing advanced. (The hybrid fixture's
// attention is windowed; a copy of its config without window_size makes it global.)
TEST_F(BadInput, ContextFull) {
    TempDir tmp;
    nlohmann::json config = read_json(fixture_dir("deltanet-hybrid-tiny") / "config.json");
    config["attn"].erase("window_size");
    const fs::path dir = model_dir_with_config(tmp, "global", "deltanet-hybrid-tiny", config);
    ModelPtr global = load_model(stream(), dir);

    dn_state_options so;
    ASSERT_DN_OK(dn_state_options_init(&so));
    so.max_context = 16;
    dn_state *raw = nullptr;
    ASSERT_DN_OK(dn_state_create(global.get(), &so, &raw));
    StatePtr small(raw);
    forward(stream(), global.get(), small.get(), some_tokens(10, 512, 1), DN_LOGITS_NONE);
    const std::vector<unsigned char> before = save_state(small.get());

    const std::vector<int32_t> seven = some_tokens(7, 512, 2);
    std::vector<float> logits(7 * 512, kSentinel);
    EXPECT_DN_ERROR(dn_forward(stream(), global.get(), small.get(), seven.data(), seven.size(), DN_LOGITS_ALL,
                               logits.data(), logits.size()),
                    DN_ERR_CONTEXT_FULL);
    EXPECT_TRUE(all_sentinel(logits));
    EXPECT_EQ(position(small.get()), 10);
    EXPECT_TRUE(save_state(small.get()) == before);

    // Exactly filling it works; one more token does not.
    forward(stream(), global.get(), small.get(), std::vector<int32_t>(seven.begin(), seven.begin() + 6), DN_LOGITS_LAST);
    EXPECT_EQ(position(small.get()), 16);
    EXPECT_DN_ERROR(dn_forward(stream(), global.get(), small.get(), seven.data(), 1, DN_LOGITS_LAST, logits.data(),
                               logits.size()),
                    DN_ERR_CONTEXT_FULL);
    EXPECT_EQ(position(small.get()), 16);
}

}  // namespace
