// The three fla fixtures (DeltaNet, Gated DeltaNet, DeltaNet + sliding-window attention) against the
// logits fla computed in float32 (reference.safetensors; see each fixture's README.md).
#include <algorithm>
#include <string>
#include <vector>

#include "support/dn_test.h"

namespace {

using namespace dntest;

constexpr double kTolerance = 1e-4;  // relative L2 error, every comparison below

class Fixture : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        const fs::path dir = fixture_dir(GetParam());
        loaded_ = load(dir);
        ref_ = load_reference(dir / "reference.safetensors");
        ASSERT_EQ(int64_t(loaded_.vocab), ref_.vocab) << "the model's vocab_size differs from the reference logits'";
        ASSERT_EQ(ref_.input_ids.size(), 150u);
        ASSERT_EQ(ref_.decode_ids.size(), 16u);
    }

    dn_stream *stream() { return loaded_.stream.get(); }
    dn_model *model() { return loaded_.model.get(); }
    size_t vocab() const { return size_t(loaded_.vocab); }
    const float *ref_row(size_t t) const { return ref_.logits.data() + t * vocab(); }
    const float *ref_decode_row(size_t i) const { return ref_.decode_logits.data() + i * vocab(); }

    Loaded loaded_;
    Reference ref_;
};

std::string param_name(const ::testing::TestParamInfo<std::string> &info) {
    std::string name = info.param;
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

// (a) One forward over the prompt, logits at every position.
TEST_P(Fixture, PrefillLogitsMatchReference) {
    StatePtr state = make_state(model());
    const std::vector<float> logits = forward(stream(), model(), state.get(), ref_.input_ids, DN_LOGITS_ALL);
    const double err = rel_l2(logits, ref_.logits);
    report(GetParam() + " prefill_rel_l2", err);
    EXPECT_LT(err, kTolerance) << "relative L2 error of all " << ref_.input_ids.size() << " x " << vocab()
                               << " prefill logits";
    EXPECT_EQ(position(state.get()), int64_t(ref_.input_ids.size()));
}

// (b) After the prefill, decode_ids fed one at a time (teacher forcing), each row against decode_logits.
TEST_P(Fixture, DecodeLogitsMatchReference) {
    StatePtr state = make_state(model());
    forward(stream(), model(), state.get(), ref_.input_ids, DN_LOGITS_NONE);
    double worst = 0;
    for (size_t i = 0; i < ref_.decode_ids.size(); ++i) {
        const std::vector<float> row = step(stream(), model(), state.get(), ref_.decode_ids[i]);
        const double err = rel_l2(row.data(), ref_decode_row(i), vocab());
        worst = std::max(worst, err);
        EXPECT_LT(err, kTolerance) << "decode step " << i << " (token " << ref_.decode_ids[i] << ")";
    }
    report(GetParam() + " worst_decode_rel_l2", worst);
    EXPECT_EQ(position(state.get()), int64_t(ref_.input_ids.size() + ref_.decode_ids.size()));
}

// (c) The argmax of each row is fla's greedy choice: of the prefill's last row decode_ids[0], of our
// (teacher-forced) decode row i decode_ids[i + 1].
TEST_P(Fixture, ArgmaxMatchesReferenceGreedyIds) {
    StatePtr state = make_state(model());
    const std::vector<float> last = forward(stream(), model(), state.get(), ref_.input_ids, DN_LOGITS_LAST);
    EXPECT_EQ(int32_t(argmax(last.data(), vocab())), ref_.decode_ids[0]) << "argmax of the prefill's last logits";
    for (size_t i = 0; i + 1 < ref_.decode_ids.size(); ++i) {
        const std::vector<float> row = step(stream(), model(), state.get(), ref_.decode_ids[i]);
        EXPECT_EQ(int32_t(argmax(row.data(), vocab())), ref_.decode_ids[i + 1]) << "argmax of decode row " << i;
    }
}

// Free-running greedy decoding (our own choices fed back) reproduces fla's continuation.
TEST_P(Fixture, GreedyContinuationMatchesReference) {
    StatePtr state = make_state(model());
    std::vector<float> logits = forward(stream(), model(), state.get(), ref_.input_ids, DN_LOGITS_LAST);
    std::vector<int32_t> ours;
    for (size_t i = 0; i < ref_.decode_ids.size(); ++i) {
        const int32_t next = int32_t(argmax(logits.data(), vocab()));
        ours.push_back(next);
        logits = step(stream(), model(), state.get(), next);
    }
    EXPECT_EQ(ours, ref_.decode_ids);
}

// The prompt in two pieces (state carried) gives the logits of one forward.
TEST_P(Fixture, PrefillInTwoPiecesMatchesOneForward) {
    StatePtr whole = make_state(model());
    const std::vector<float> expected = forward(stream(), model(), whole.get(), ref_.input_ids, DN_LOGITS_ALL);

    StatePtr split = make_state(model());
    const std::vector<int32_t> first(ref_.input_ids.begin(), ref_.input_ids.begin() + 100);
    const std::vector<int32_t> second(ref_.input_ids.begin() + 100, ref_.input_ids.end());
    std::vector<float> got = forward(stream(), model(), split.get(), first, DN_LOGITS_ALL);
    EXPECT_EQ(position(split.get()), 100);
    const std::vector<float> rest = forward(stream(), model(), split.get(), second, DN_LOGITS_ALL);
    got.insert(got.end(), rest.begin(), rest.end());
    EXPECT_EQ(position(split.get()), 150);

    report(GetParam() + " split_prefill_rel_l2", rel_l2(got, expected));
    EXPECT_LT(rel_l2(got, expected), kTolerance) << "100 + 50 tokens vs 150 in one forward, all logits";
    EXPECT_LT(rel_l2(rest.data() + (rest.size() - vocab()), expected.data() + (expected.size() - vocab()), vocab()),
              kTolerance)
        << "last position";
    EXPECT_LT(rel_l2(got, ref_.logits), kTolerance) << "100 + 50 tokens vs the reference";

    // Then both decode the same token the same way.
    const std::vector<float> a = step(stream(), model(), whole.get(), ref_.decode_ids[0]);
    const std::vector<float> b = step(stream(), model(), split.get(), ref_.decode_ids[0]);
    EXPECT_LT(rel_l2(b, a), kTolerance) << "decode after split prefill vs after one prefill";
}

// The prompt fed one token at a time (the recurrent path) ends where the chunked prefill does.
TEST_P(Fixture, TokenByTokenPromptMatchesPrefill) {
    StatePtr prefilled = make_state(model());
    const std::vector<float> expected = forward(stream(), model(), prefilled.get(), ref_.input_ids, DN_LOGITS_ALL);

    StatePtr stepped = make_state(model());
    std::vector<float> last;
    double worst = 0;
    for (size_t t = 0; t < ref_.input_ids.size(); ++t) {
        last = step(stream(), model(), stepped.get(), ref_.input_ids[t]);
        worst = std::max(worst, rel_l2(last.data(), expected.data() + t * vocab(), vocab()));
    }
    EXPECT_EQ(position(stepped.get()), int64_t(ref_.input_ids.size()));
    report(GetParam() + " token_by_token_worst_rel_l2", worst);
    EXPECT_LT(rel_l2(last.data(), expected.data() + (expected.size() - vocab()), vocab()), kTolerance)
        << "last logits: token-by-token vs one prefill";
    EXPECT_LT(worst, kTolerance) << "worst position: token-by-token vs one prefill";

    // And decoding continues identically from either state.
    const std::vector<float> a = step(stream(), model(), prefilled.get(), ref_.decode_ids[0]);
    const std::vector<float> b = step(stream(), model(), stepped.get(), ref_.decode_ids[0]);
    EXPECT_LT(rel_l2(b, a), kTolerance) << "decode after token-by-token prompt vs after prefill";
    EXPECT_LT(rel_l2(b.data(), ref_decode_row(0), vocab()), kTolerance) << "vs the reference's decode row 0";
}

// What the model reports about itself matches config.json.
TEST_P(Fixture, ModelInfoMatchesConfig) {
    int32_t layers = 0, hidden = 0, attention = -1, bos = -5, eos = -5;
    dn_family family{};
    dn_dtype dtype{};
    uint64_t params = 0, bytes = 0, state_bytes = 0;
    ASSERT_DN_OK(dn_model_num_layers(model(), &layers));
    ASSERT_DN_OK(dn_model_hidden_size(model(), &hidden));
    ASSERT_DN_OK(dn_model_num_attention_layers(model(), &attention));
    ASSERT_DN_OK(dn_model_family(model(), &family));
    ASSERT_DN_OK(dn_model_weight_dtype(model(), &dtype));
    ASSERT_DN_OK(dn_model_num_params(model(), &params));
    ASSERT_DN_OK(dn_model_weight_bytes(model(), &bytes));
    ASSERT_DN_OK(dn_model_state_bytes(model(), &state_bytes));
    ASSERT_DN_OK(dn_model_special_tokens(model(), &bos, &eos));
    EXPECT_EQ(vocab(), 512u);
    EXPECT_EQ(layers, 4);
    EXPECT_EQ(hidden, 256);
    EXPECT_EQ(attention, GetParam() == "deltanet-hybrid-tiny" ? 2 : 0);
    EXPECT_EQ(family, GetParam() == "gated-deltanet-tiny" ? DN_FAMILY_GATED_DELTANET : DN_FAMILY_DELTANET);
    EXPECT_EQ(dtype, DN_DTYPE_F32);
    EXPECT_EQ(bytes, params * 4) << "float32 checkpoint: 4 bytes a parameter";
    EXPECT_GT(state_bytes, 0u);
    EXPECT_EQ(bos, 1);
    EXPECT_EQ(eos, 2);
}

// Weights read in place from the mapped checkpoint (DN_WEIGHTS_MAPPED) give the same bits as the
// default copy into huge pages: only where the bytes live differs.
TEST_P(Fixture, MappedWeightsGiveTheSameLogits) {
    dn_model_options options;
    ASSERT_DN_OK(dn_model_options_init(&options));
    EXPECT_EQ(options.weights, DN_WEIGHTS_COPY);
    options.weights = DN_WEIGHTS_MAPPED;
    dn_model *raw = nullptr;
    ASSERT_DN_OK(dn_model_load(stream(), fixture_dir(GetParam()).string().c_str(), &options, &raw));
    ModelPtr mapped(raw);
    StatePtr a = make_state(model()), b = make_state(mapped.get());
    const std::vector<float> copied_logits = forward(stream(), model(), a.get(), ref_.input_ids, DN_LOGITS_ALL);
    const std::vector<float> mapped_logits = forward(stream(), mapped.get(), b.get(), ref_.input_ids, DN_LOGITS_ALL);
    EXPECT_TRUE(bit_equal(copied_logits, mapped_logits));
    EXPECT_TRUE(bit_equal(step(stream(), model(), a.get(), ref_.decode_ids[0]),
                          step(stream(), mapped.get(), b.get(), ref_.decode_ids[0])));
}

INSTANTIATE_TEST_SUITE_P(Fla, Fixture,
                         ::testing::Values("deltanet-tiny", "gated-deltanet-tiny", "deltanet-hybrid-tiny"),
                         param_name);

}  // namespace
