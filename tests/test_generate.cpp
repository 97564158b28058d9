// dn_generate: the default model's greedy continuation against fla's, stop conditions, cancellation
// and what the state holds afterwards, seeded sampling, and bad arguments.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "support/dn_test.h"
#include "support/tokenizer_support.h"
#include "core/error.h"
#include "text/stop_strings.h"

namespace {

using namespace dntest;

// What the callback saw.
struct Stream {
    std::string text;
    std::vector<int32_t> tokens;  // -1 entries: text released at the end
    int cancel_after = -1;        // return 0 once this many tokens were seen
};

int collect(const char *text, size_t len, int32_t token, void *user_data) {
    auto *s = static_cast<Stream *>(user_data);
    s->text.append(text, len);
    s->tokens.push_back(token);
    const auto real = std::count_if(s->tokens.begin(), s->tokens.end(), [](int32_t t) { return t >= 0; });
    return s->cancel_after < 0 || real < s->cancel_after;
}

std::vector<int32_t> real_tokens(const Stream &s) {
    std::vector<int32_t> ids;
    for (int32_t t : s.tokens)
        if (t >= 0) ids.push_back(t);
    return ids;
}

class Generate : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = shared_path("models/kjv-deltanet-6m");
        loaded_ = load(dir_);
        tokenizer_ = load_tokenizer(dir_);
        reference_ = nlohmann::json::parse(read_bytes(dir_ / "reference.json"));
        check(dn_generate_options_init(&options_), "dn_generate_options_init");
        options_.callback = collect;
        options_.user_data = &stream_;
        result_.struct_size = sizeof result_;
    }

    dn_status run(dn_state *state, const std::string &prompt) {
        return dn_generate(loaded_.stream.get(), loaded_.model.get(), tokenizer_.get(), state, prompt.data(),
                           prompt.size(), &options_, &result_);
    }

    fs::path dir_;
    Loaded loaded_;
    TokenizerPtr tokenizer_;
    nlohmann::json reference_;
    dn_generate_options options_{};
    dn_generate_result result_{};
    Stream stream_;
};

TEST_F(Generate, GreedyContinuationMatchesFla) {
    const std::string prompt = reference_["prompt"];
    const auto want = reference_["greedy_ids"].get<std::vector<int32_t>>();
    StatePtr state = make_state(loaded_.model.get());
    options_.max_tokens = int32_t(want.size());
    ASSERT_EQ(run(state.get(), prompt), DN_OK) << dn_last_error();
    EXPECT_EQ(real_tokens(stream_), want);
    EXPECT_EQ(stream_.text, reference_["greedy_text"].get<std::string>());
    EXPECT_EQ(result_.stop_reason, DN_STOP_MAX_TOKENS);
    EXPECT_EQ(result_.prompt_tokens, 3);
    EXPECT_EQ(result_.generated_tokens, int64_t(want.size()));
    // The state holds the prompt and every generated token.
    EXPECT_EQ(position(state.get()), int64_t(3 + want.size()));
    EXPECT_GT(result_.generate_seconds, 0.0);
}

TEST_F(Generate, IdsEntryPointEqualsText) {
    const auto prompt_ids = reference_["prompt_ids"].get<std::vector<int32_t>>();
    StatePtr state = make_state(loaded_.model.get());
    options_.max_tokens = 16;
    ASSERT_EQ(dn_generate_ids(loaded_.stream.get(), loaded_.model.get(), tokenizer_.get(), state.get(),
                              prompt_ids.data(), prompt_ids.size(), &options_, &result_),
              DN_OK)
        << dn_last_error();
    const auto want = reference_["greedy_ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(real_tokens(stream_), std::vector<int32_t>(want.begin(), want.begin() + 16));
}

// The greedy text repeats ", and the king's house"; stop there, without showing the stop string.
TEST_F(Generate, StopStringEndsGenerationAndIsNotShown) {
    const char *stops[] = {"king's"};
    options_.stop_strings = stops;
    options_.n_stop_strings = 1;
    options_.max_tokens = 64;
    StatePtr state = make_state(loaded_.model.get());
    ASSERT_EQ(run(state.get(), reference_["prompt"]), DN_OK) << dn_last_error();
    EXPECT_EQ(result_.stop_reason, DN_STOP_STRING);
    const std::string full = reference_["greedy_text"];
    const size_t at = full.find("king's");
    ASSERT_NE(at, std::string::npos);
    EXPECT_EQ(stream_.text, full.substr(0, at));
    EXPECT_LT(result_.generated_tokens, 64);
    EXPECT_EQ(position(state.get()), 3 + result_.generated_tokens);
}

// A stop string that never appears costs nothing: held-back text comes out at the end.
TEST_F(Generate, UnmatchedStopStringReleasesHeldText) {
    const char *stops[] = {"house of Zion"};
    options_.stop_strings = stops;
    options_.n_stop_strings = 1;
    options_.max_tokens = 64;
    StatePtr state = make_state(loaded_.model.get());
    ASSERT_EQ(run(state.get(), reference_["prompt"]), DN_OK) << dn_last_error();
    EXPECT_EQ(result_.stop_reason, DN_STOP_MAX_TOKENS);
    EXPECT_EQ(stream_.text, reference_["greedy_text"].get<std::string>());
}

TEST_F(Generate, StopIdEndsGeneration) {
    const auto want = reference_["greedy_ids"].get<std::vector<int32_t>>();
    const int32_t comma = want[3 - 1];  // the third greedy token (",")
    options_.stop_ids = &comma;
    options_.n_stop_ids = 1;
    StatePtr state = make_state(loaded_.model.get());
    ASSERT_EQ(run(state.get(), reference_["prompt"]), DN_OK) << dn_last_error();
    EXPECT_EQ(result_.stop_reason, DN_STOP_EOS);
    EXPECT_EQ(result_.generated_tokens, 3);
    EXPECT_EQ(real_tokens(stream_), std::vector<int32_t>(want.begin(), want.begin() + 2));
    EXPECT_EQ(position(state.get()), 3 + 3);
}

// Cancelling leaves the state holding exactly what was generated: it equals a state fed the same ids.
TEST_F(Generate, CancelLeavesStateConsistent) {
    stream_.cancel_after = 5;
    StatePtr state = make_state(loaded_.model.get());
    ASSERT_EQ(run(state.get(), reference_["prompt"]), DN_OK) << dn_last_error();
    EXPECT_EQ(result_.stop_reason, DN_STOP_CANCELLED);
    EXPECT_EQ(result_.generated_tokens, 5);
    ASSERT_EQ(position(state.get()), 3 + 5);

    std::vector<int32_t> fed = reference_["prompt_ids"].get<std::vector<int32_t>>();
    StatePtr manual = make_state(loaded_.model.get());
    forward(loaded_.stream.get(), loaded_.model.get(), manual.get(), fed, DN_LOGITS_NONE);
    for (int32_t t : real_tokens(stream_)) step(loaded_.stream.get(), loaded_.model.get(), manual.get(), t);
    const int32_t next = 259;  // any token: both states must predict the same from here
    EXPECT_TRUE(bit_equal(step(loaded_.stream.get(), loaded_.model.get(), state.get(), next),
                          step(loaded_.stream.get(), loaded_.model.get(), manual.get(), next)));

    // And generation goes on from it.
    stream_ = Stream{};
    options_.max_tokens = 4;
    EXPECT_EQ(run(state.get(), " and"), DN_OK) << dn_last_error();
    EXPECT_EQ(result_.generated_tokens, 4);
}

TEST_F(Generate, SeededSamplingIsReproducibleAndTopK1IsGreedy) {
    dn_sampler_options sampling;
    check(dn_sampler_options_init(&sampling), "dn_sampler_options_init");
    sampling.temperature = 1.0f;
    sampling.top_k = 0;
    sampling.top_p = 1.0f;
    sampling.min_p = 0.0f;
    sampling.seed = 7;
    options_.sampling = &sampling;
    options_.max_tokens = 40;
    auto text_for = [&](uint64_t seed) {
        sampling.seed = seed;
        stream_ = Stream{};
        StatePtr state = make_state(loaded_.model.get());
        EXPECT_EQ(run(state.get(), "And God said"), DN_OK) << dn_last_error();
        return stream_.text;
    };
    const std::string a = text_for(7), b = text_for(7), c = text_for(8);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);

    sampling.top_k = 1;
    const std::string top1 = text_for(123);
    options_.sampling = nullptr;  // greedy
    EXPECT_EQ(top1, text_for(0));
}

// A cloned prefix continues exactly as the original would.
TEST_F(Generate, ClonedPrefixContinuesLikeTheOriginal) {
    StatePtr state = make_state(loaded_.model.get());
    options_.max_tokens = 8;
    ASSERT_EQ(run(state.get(), "In the beginning"), DN_OK) << dn_last_error();
    StatePtr copy = clone_state(state.get());
    stream_ = Stream{};
    ASSERT_EQ(run(state.get(), " And the"), DN_OK) << dn_last_error();
    const std::string first = stream_.text;
    stream_ = Stream{};
    ASSERT_EQ(run(copy.get(), " And the"), DN_OK) << dn_last_error();
    EXPECT_EQ(stream_.text, first);
}

TEST_F(Generate, ZeroTokensOnlyPrefills) {
    options_.max_tokens = 0;
    StatePtr state = make_state(loaded_.model.get());
    ASSERT_EQ(run(state.get(), "In the beginning"), DN_OK) << dn_last_error();
    EXPECT_EQ(result_.generated_tokens, 0);
    EXPECT_EQ(position(state.get()), 3);
    EXPECT_TRUE(stream_.tokens.empty());
}

TEST_F(Generate, BadArguments) {
    StatePtr state = make_state(loaded_.model.get());
    dn_stream *s = loaded_.stream.get();
    const dn_model *m = loaded_.model.get();
    const dn_tokenizer *t = tokenizer_.get();
    EXPECT_DN_ERROR(dn_generate(nullptr, m, t, state.get(), "a", 1, &options_, &result_), DN_ERR_NULL_ARGUMENT, "stream");
    EXPECT_DN_ERROR(dn_generate(s, nullptr, t, state.get(), "a", 1, &options_, &result_), DN_ERR_NULL_ARGUMENT, "model");
    EXPECT_DN_ERROR(dn_generate(s, m, nullptr, state.get(), "a", 1, &options_, &result_), DN_ERR_NULL_ARGUMENT,
                    "tokenizer");
    EXPECT_DN_ERROR(dn_generate(s, m, t, nullptr, "a", 1, &options_, &result_), DN_ERR_NULL_ARGUMENT, "state");
    EXPECT_DN_ERROR(dn_generate(s, m, t, state.get(), nullptr, 1, &options_, &result_), DN_ERR_NULL_ARGUMENT, "prompt");
    EXPECT_DN_ERROR(dn_generate(s, m, t, state.get(), "", 0, &options_, &result_), DN_ERR_INVALID_ARGUMENT, "prompt");
    EXPECT_DN_ERROR(dn_generate_ids(s, m, t, state.get(), nullptr, 0, &options_, &result_), DN_ERR_NULL_ARGUMENT,
                    "prompt");

    dn_generate_options bad = options_;
    bad.max_tokens = -1;
    EXPECT_DN_ERROR(dn_generate(s, m, t, state.get(), "a", 1, &bad, &result_), DN_ERR_INVALID_ARGUMENT, "max_tokens");
    bad = options_;
    const char *empty_stop[] = {""};
    bad.stop_strings = empty_stop;
    bad.n_stop_strings = 1;
    EXPECT_DN_ERROR(dn_generate(s, m, t, state.get(), "a", 1, &bad, &result_), DN_ERR_INVALID_ARGUMENT, "stop string");
    const char *invalid_stop[] = {"\xff\xfe"};
    bad.stop_strings = invalid_stop;
    EXPECT_DN_ERROR(dn_generate(s, m, t, state.get(), "a", 1, &bad, &result_), DN_ERR_INVALID_ARGUMENT, "UTF-8");
    bad = options_;
    bad.struct_size = 3;
    EXPECT_DN_ERROR(dn_generate(s, m, t, state.get(), "a", 1, &bad, &result_), DN_ERR_INVALID_ARGUMENT, "struct_size");
    bad = options_;
    bad.encode_flags = 1u << 7;
    EXPECT_DN_ERROR(dn_generate(s, m, t, state.get(), "a", 1, &bad, &result_), DN_ERR_INVALID_ARGUMENT, "flags");
    const int32_t out_of_range = 1 << 20;
    EXPECT_DN_ERROR(dn_generate_ids(s, m, t, state.get(), &out_of_range, 1, &options_, &result_),
                    DN_ERR_TOKEN_OUT_OF_RANGE);

    // A sampler made for another vocabulary size.
    dn_sampler *sampler = nullptr;
    check(dn_sampler_create(nullptr, 10, &sampler), "dn_sampler_create");
    bad = options_;
    bad.sampler = sampler;
    EXPECT_DN_ERROR(dn_generate(s, m, t, state.get(), "a", 1, &bad, &result_), DN_ERR_INVALID_ARGUMENT, "sampler");
    dn_sampler_free(sampler);

    // None of the failures fed anything.
    EXPECT_EQ(position(state.get()), 0);
}

// The stop-string matcher on its own: pieces that split a stop string, near misses, several strings.
TEST(StopStrings, HoldsBackOnlyWhatCouldStartAStopString) {
    dn::text::StopStrings stops({"</s>", "STOP"});
    EXPECT_EQ(stops.push("Hello <"), "Hello ");  // "<" may begin "</s>"
    EXPECT_EQ(stops.push("/"), "");
    EXPECT_EQ(stops.push("x"), "</x");           // not a stop string after all
    EXPECT_EQ(stops.push(" ST"), " ");
    EXPECT_EQ(stops.push("O"), "");
    EXPECT_FALSE(stops.stopped());
    EXPECT_EQ(stops.flush(), "STO");             // the stream ended: release the rest
}

TEST(StopStrings, StopsAtTheEarliestMatchAcrossPieces) {
    dn::text::StopStrings stops({"bc", "abcd"});
    EXPECT_EQ(stops.push("xa"), "x");
    EXPECT_EQ(stops.push("bcd and more"), "");  // "abcd" starts before "bc": nothing after "x" is shown
    EXPECT_TRUE(stops.stopped());
    EXPECT_EQ(stops.push("later"), "");
    EXPECT_EQ(stops.flush(), "");
}

TEST(StopStrings, RefusesEmptyStrings) {
    EXPECT_THROW(dn::text::StopStrings({"a", ""}), dn::Error);
}

// The bundled copy of the default model is the ground truth's, byte for byte.
TEST(BundledModel, IsTheGroundTruthModel) {
    const fs::path bundled = fs::path(DN_SOURCE_DIR) / "models/kjv-deltanet-6m";
    for (const char *name : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"}) {
        SCOPED_TRACE(name);
        EXPECT_TRUE(read_bytes(bundled / name) == read_bytes(shared_path("models/kjv-deltanet-6m") / name));
    }
    EXPECT_TRUE(fs::is_regular_file(bundled / "README.md"));
}

}  // namespace
