// Resource limits: inputs that claim absurd sizes must get a clear error or run in bounded memory and
// time, never a hang, a crash or an attempt to allocate what they claim. Each test also checks how
// long it took and how much the process grew (peak resident memory).
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "fuzz/tiny_model.h"
#include "support/dn_test.h"
#include "support/model_files.h"

namespace {

using namespace dntest;
using Clock = std::chrono::steady_clock;

// Peak resident memory of the process so far, in MB.
double peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024.0;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Time bounds are for the optimised build; sanitizer builds run several times slower, and use
// smaller sizes there (2^16 prompt tokens, 250,000 merges, a 250,000-token text) to keep CI short:
// the million-sized cases run in the optimised suite, and bounded memory shows either way.
#ifdef DN_TEST_SANITIZED
constexpr double kSlowdown = 6;
constexpr size_t kLongPrompt = size_t(1) << 16;
constexpr int kMergeBase = 500;  // 250,000 merges (the million take ~110 s under ASan)
constexpr int kTextTokens = 250000;
#else
constexpr double kSlowdown = 1;
constexpr size_t kLongPrompt = 1000000;
constexpr int kMergeBase = 1000;  // 1000^2 = a million merges
constexpr int kTextTokens = 1000000;
#endif

class ResourceLimits : public ::testing::Test {
protected:
    dn_status try_load(const fs::path &dir) {
        dn_model *model = nullptr;
        const dn_status status = dn_model_load(stream_.get(), dir.string().c_str(), nullptr, &model);
        if (model) dn_model_free(model);  // (freeing NULL would clear dn_last_error())
        return status;
    }

    TempDir tmp_;
    StreamPtr stream_ = make_stream();
};

// --- Safetensors headers that claim absurd sizes ------------------------------------------------

TEST_F(ResourceLimits, SafetensorsHeaderLengthOf2To60) {
    const std::string weights = read_bytes(fixture_dir("deltanet-tiny") / "model.safetensors");
    const double rss = peak_rss_mb();
    EXPECT_DN_ERROR(try_load(model_dir_with_weights(tmp_, "2^60", "deltanet-tiny", with_header_length(weights, 1ull << 60))),
                    DN_ERR_MALFORMED_FILE, "header length");
    EXPECT_LT(peak_rss_mb() - rss, 64.0) << "the header length was believed";
}

TEST_F(ResourceLimits, TensorShapesWhoseProductOverflows) {
    const std::string weights = read_bytes(fixture_dir("deltanet-tiny") / "model.safetensors");
    RawSafetensors raw = split_safetensors(weights);
    const std::string name = raw.header.begin().key() == "__metadata__" ? std::next(raw.header.begin()).key()
                                                                        : raw.header.begin().key();
    // 2^40 * 2^40 overflows int64; 2^21 * 2^21 * 2^21 does too; 2^31 * 2^31 does not, but its bytes
    // run far past the data.
    for (const nlohmann::ordered_json &shape : {nlohmann::ordered_json{1ull << 40, 1ull << 40},
                                                nlohmann::ordered_json{1ull << 21, 1ull << 21, 1ull << 21},
                                                nlohmann::ordered_json{1ull << 31, 1ull << 31},
                                                nlohmann::ordered_json{~0ull, 0}}) {
        RawSafetensors changed = raw;
        changed.header[name]["shape"] = shape;
        EXPECT_DN_ERROR(try_load(model_dir_with_weights(tmp_, "shape" + std::to_string(std::hash<std::string>{}(shape.dump())),
                                                        "deltanet-tiny", join_safetensors(changed.header, changed.data))),
                        DN_ERR_MALFORMED_FILE, name)
            << shape.dump();
    }
}

// --- Configs that claim absurd sizes --------------------------------------------------------------

TEST_F(ResourceLimits, ConfigSizesFarBeyondAnyModel) {
    const nlohmann::json config = read_json(fixture_dir("deltanet-tiny") / "config.json");
    const double rss = peak_rss_mb();
    const auto start = Clock::now();
    for (const auto &[field, value] : std::vector<std::pair<std::string, nlohmann::json>>{
             {"num_hidden_layers", 1ull << 40}, {"num_hidden_layers", 1ull << 32}, {"hidden_size", 1ull << 40},
             {"vocab_size", 1ull << 31}, {"vocab_size", ~0ull}, {"intermediate_size", 1ull << 33},
             {"num_heads", 1ull << 32}, {"conv_size", 1ull << 32}, {"max_position_embeddings", ~0ull},
             {"expand_v", 1e300}, {"hidden_ratio", 1e300}}) {
        nlohmann::json changed = config;
        changed[field] = value;
        changed.erase(field == "hidden_ratio" ? "intermediate_size" : "");
        EXPECT_DN_ERROR(try_load(model_dir_with_config(tmp_, field + std::to_string(changed.dump().size()), "deltanet-tiny",
                                                       changed)),
                        DN_ERR_MALFORMED_FILE, field)
            << field << " = " << value.dump();
    }
    EXPECT_LT(seconds_since(start), 20.0 * kSlowdown);
    EXPECT_LT(peak_rss_mb() - rss, 64.0);
}

// A global-attention cache of 2^40 positions loads (the weights do not depend on it) but its state
// cannot exist: creating one fails at once with DN_ERR_OUT_OF_MEMORY instead of trying.
TEST_F(ResourceLimits, StateOfAnAbsurdContext) {
    nlohmann::json config = read_json(fixture_dir("deltanet-hybrid-tiny") / "config.json");
    config["attn"]["window_size"] = nullptr;
    config["max_position_embeddings"] = 1ull << 40;
    const fs::path dir = model_dir_with_config(tmp_, "huge-context", "deltanet-hybrid-tiny", config);
    ModelPtr model = load_model(stream_.get(), dir);
    uint64_t bytes = 0;
    ASSERT_DN_OK(dn_model_state_bytes(model.get(), &bytes));
    EXPECT_GT(bytes, 1ull << 50);
    const double rss = peak_rss_mb();
    dn_state *state = nullptr;
    EXPECT_DN_ERROR(dn_state_create(model.get(), nullptr, &state), DN_ERR_OUT_OF_MEMORY, "bytes");
    EXPECT_EQ(state, nullptr);
    EXPECT_LT(peak_rss_mb() - rss, 64.0);
    // A context that fits is fine, and a prompt longer than it is refused up front.
    dn_state_options options;
    ASSERT_DN_OK(dn_state_options_init(&options));
    options.max_context = 64;
    ASSERT_DN_OK(dn_state_create(model.get(), &options, &state));
    StatePtr owned(state);
    const std::vector<int32_t> prompt = some_tokens(1000000, vocab_size(model.get()), 3);
    EXPECT_DN_ERROR(dn_forward(stream_.get(), model.get(), state, prompt.data(), prompt.size(), DN_LOGITS_NONE, nullptr, 0),
                    DN_ERR_CONTEXT_FULL);
    EXPECT_EQ(position(state), 0);
}

// --- A tokenizer with a million merges -----------------------------------------------------------

// 1000 base characters (CJK ideographs, 3 UTF-8 bytes each) and every one of their 10^6 pairs as a
// merge: a 27 MB tokenizer.json with 1,001,000 tokens.
std::string million_merges_tokenizer() {
    constexpr int kBase = kMergeBase;
    auto ch = [](int i) {
        const char32_t c = 0x4E00 + char32_t(i);
        std::string s;
        s += char(0xE0 | (c >> 12));
        s += char(0x80 | ((c >> 6) & 0x3F));
        s += char(0x80 | (c & 0x3F));
        return s;
    };
    std::string json = R"({"version":"1.0","added_tokens":[],"normalizer":null,"pre_tokenizer":null,)"
                       R"("post_processor":null,"decoder":null,"model":{"type":"BPE","vocab":{)";
    std::string merges;
    int id = 0;
    for (int i = 0; i < kBase; ++i) json += (i ? ",\"" : "\"") + ch(i) + "\":" + std::to_string(id++);
    for (int i = 0; i < kBase; ++i)
        for (int j = 0; j < kBase; ++j) {
            json += ",\"" + ch(i) + ch(j) + "\":" + std::to_string(id++);
            merges += (merges.empty() ? "\"" : ",\"") + ch(i) + " " + ch(j) + "\"";
        }
    return json + "},\"merges\":[" + merges + "]}}";
}

TEST_F(ResourceLimits, TokenizerWithAMillionMerges) {
    write_bytes(tmp_ / "tokenizer.json", million_merges_tokenizer());
    const double rss = peak_rss_mb();
    const auto start = Clock::now();
    dn_tokenizer *tokenizer = nullptr;
    ASSERT_DN_OK(dn_tokenizer_load((tmp_ / "tokenizer.json").string().c_str(), &tokenizer));
    std::unique_ptr<dn_tokenizer, decltype(&dn_tokenizer_free)> owned(tokenizer, dn_tokenizer_free);
    report("million merges: load seconds", seconds_since(start));
    report("million merges: peak RSS growth MB", peak_rss_mb() - rss);
    int32_t vocab = 0;
    ASSERT_DN_OK(dn_tokenizer_vocab_size(tokenizer, &vocab));
    EXPECT_EQ(vocab, kMergeBase + kMergeBase * kMergeBase);
    // One 200,000-character word (no pre-tokenizer: the whole text is one piece for BPE): pairs merge.
    std::string text;
    for (int i = 0; i < 200000; ++i) text += "\xe4\xb8\x80";  // U+4E00
    std::vector<int32_t> ids(200000);
    size_t n = 0;
    const auto encode_start = Clock::now();
    ASSERT_DN_OK(dn_tokenizer_encode(tokenizer, text.data(), text.size(), 0, ids.data(), ids.size(), &n));
    report("million merges: 200k-character encode seconds", seconds_since(encode_start));
    EXPECT_EQ(n, 100000u);
    EXPECT_LT(seconds_since(start), 120.0 * kSlowdown);
    EXPECT_LT(peak_rss_mb() - rss, 2048.0);
}

// --- A prompt of a million tokens ----------------------------------------------------------------

// A pure DeltaNet has no context limit: a million tokens run through fixed-size blocks, so memory
// stays flat, and the result matches the same tokens fed in two halves.

TEST_F(ResourceLimits, MillionTokenPromptRunsInBoundedMemory) {
    dnfuzz::write_tiny_model((tmp_ / "tiny").string(), /*attention=*/false);
    // One worker thread: with a model this small, OpenMP's per-operation team start-up would be
    // most of the time (and on a busy machine much more).
    stream_ = one_worker_stream();
    ModelPtr model = load_model(stream_.get(), tmp_ / "tiny");
    const std::vector<int32_t> prompt = some_tokens(kLongPrompt, vocab_size(model.get()), 7);
    StatePtr state = make_state(model.get());
    const double rss = peak_rss_mb();
    const auto start = Clock::now();
    const std::vector<float> logits = forward(stream_.get(), model.get(), state.get(), prompt, DN_LOGITS_LAST);
    report("million-token prompt seconds", seconds_since(start));
    report("million-token prompt peak RSS growth MB", peak_rss_mb() - rss);
    EXPECT_EQ(position(state.get()), int64_t(kLongPrompt));
    for (float x : logits) EXPECT_TRUE(std::isfinite(x));
    EXPECT_LT(peak_rss_mb() - rss, 64.0) << "memory grew with the prompt";
    // Every position's logits would need 1M x vocab floats: the caller's buffer decides, clearly.
    std::vector<float> small(16);
    StatePtr other = make_state(model.get());
    EXPECT_DN_ERROR(dn_forward(stream_.get(), model.get(), other.get(), prompt.data(), prompt.size(), DN_LOGITS_ALL,
                               small.data(), small.size()),
                    DN_ERR_BUFFER_TOO_SMALL);
    EXPECT_EQ(position(other.get()), 0);
}

// The text of a million tokens encodes in bounded time (the bundled tokenizer; " the" is one token).
TEST_F(ResourceLimits, MillionTokenTextEncodes) {
    dn_tokenizer *tokenizer = nullptr;
    ASSERT_DN_OK(dn_tokenizer_load(shared_path("models/kjv-deltanet-6m").string().c_str(), &tokenizer));
    std::unique_ptr<dn_tokenizer, decltype(&dn_tokenizer_free)> owned(tokenizer, dn_tokenizer_free);
    std::string text;
    for (int i = 0; i < kTextTokens; ++i) text += " the";
    const auto start = Clock::now();
    size_t n = 0;
    EXPECT_DN_ERROR(dn_tokenizer_encode(tokenizer, text.data(), text.size(), 0, nullptr, 0, &n), DN_ERR_BUFFER_TOO_SMALL);
    EXPECT_EQ(n, size_t(kTextTokens));
    report("million-token text encode seconds", seconds_since(start));
    EXPECT_LT(seconds_since(start), 60.0 * kSlowdown);
}

}  // namespace
