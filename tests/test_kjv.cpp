// The bundled kjv-deltanet-6m model (bfloat16 weights) against fla's float32 numbers in reference.json:
// held-out negative log-likelihood and a greedy continuation.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/dn_test.h"

namespace {

using namespace dntest;

constexpr double kNllTolerance = 1e-3;  // absolute, in nats

// Mean next-token NLL of ids[1:] from logits [ids.size(), V] (log-softmax in double).
double mean_nll(const std::vector<float> &logits, const std::vector<int32_t> &ids, size_t V) {
    double total = 0;
    for (size_t t = 0; t + 1 < ids.size(); ++t) {
        const float *row = logits.data() + t * V;
        double max = row[0];
        for (size_t j = 1; j < V; ++j) max = std::max(max, double(row[j]));
        double sum = 0;
        for (size_t j = 0; j < V; ++j) sum += std::exp(double(row[j]) - max);
        total += (max + std::log(sum)) - double(row[size_t(ids[t + 1])]);
    }
    return total / double(ids.size() - 1);
}

class Kjv : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = shared_path("models/kjv-deltanet-6m");
        reference_ = nlohmann::json::parse(read_bytes(dir_ / "reference.json"));
        loaded_ = load(dir_);
        ids_ = read_ids(dir_ / "val_ids.safetensors", "val_ids");
        ASSERT_EQ(ids_.size(), 2049u);
        ASSERT_EQ(reference_.at("val_tokens").get<size_t>(), ids_.size());
    }

    dn_stream *stream() { return loaded_.stream.get(); }
    dn_model *model() { return loaded_.model.get(); }

    fs::path dir_;
    nlohmann::json reference_;
    Loaded loaded_;
    std::vector<int32_t> ids_;
};

// Mean next-token NLL over the 2048 predictions of val_ids, from one forward with every position's
// logits, in the default (exact) precision.
TEST_F(Kjv, HeldOutNllMatchesReference) {
    const double expected = reference_.at("val_nll_fp32_recurrent").get<double>();
    StatePtr state = make_state(model());
    const std::vector<float> logits = forward(stream(), model(), state.get(), ids_, DN_LOGITS_ALL);
    ASSERT_EQ(logits.size(), ids_.size() * size_t(loaded_.vocab));
    const double nll = mean_nll(logits, ids_, size_t(loaded_.vocab));
    report("val_nll", nll);
    report("val_nll_minus_reference", nll - expected);
    EXPECT_NEAR(nll, expected, kNllTolerance) << "mean NLL over " << ids_.size() - 1 << " predictions";
}

// DN_PRECISION_FAST (activations rounded to bfloat16 in prefill products) stays close: fla's own
// bfloat16 path is 7.6e-4 nats from the float32 number, so 1e-2 is a loose sanity bound, not a
// precision claim.
TEST_F(Kjv, FastPrecisionNllIsClose) {
    dn_model_options options;
    ASSERT_DN_OK(dn_model_options_init(&options));
    options.precision = DN_PRECISION_FAST;
    dn_model *raw = nullptr;
    ASSERT_DN_OK(dn_model_load(stream(), dir_.string().c_str(), &options, &raw));
    ModelPtr fast(raw);
    StatePtr state = make_state(fast.get());
    const std::vector<float> logits = forward(stream(), fast.get(), state.get(), ids_, DN_LOGITS_ALL);
    const double nll = mean_nll(logits, ids_, size_t(loaded_.vocab));
    report("val_nll_fast", nll);
    EXPECT_NEAR(nll, reference_.at("val_nll_fp32_recurrent").get<double>(), 1e-2);
}

// "In the beginning": 64 greedy tokens, each fed back alone, equal fla's.
TEST_F(Kjv, GreedyContinuationMatchesReference) {
    const std::vector<int32_t> prompt = reference_.at("prompt_ids").get<std::vector<int32_t>>();
    const std::vector<int32_t> expected = reference_.at("greedy_ids").get<std::vector<int32_t>>();
    ASSERT_EQ(prompt, (std::vector<int32_t>{1136, 259, 2101}));
    ASSERT_EQ(expected.size(), 64u);

    StatePtr state = make_state(model());
    std::vector<float> logits = forward(stream(), model(), state.get(), prompt, DN_LOGITS_LAST);
    std::vector<int32_t> ours;
    for (size_t i = 0; i < expected.size(); ++i) {
        ours.push_back(int32_t(argmax(logits.data(), logits.size())));
        if (i + 1 < expected.size()) logits = step(stream(), model(), state.get(), ours.back());
    }
    EXPECT_EQ(ours, expected);
}

// The model's own description: bfloat16, the README's parameter count, tied embeddings.
TEST_F(Kjv, ModelInfo) {
    dn_dtype dtype{};
    uint64_t params = 0, bytes = 0;
    int32_t bos = -5, eos = -5, layers = 0;
    ASSERT_DN_OK(dn_model_weight_dtype(model(), &dtype));
    ASSERT_DN_OK(dn_model_num_params(model(), &params));
    ASSERT_DN_OK(dn_model_weight_bytes(model(), &bytes));
    ASSERT_DN_OK(dn_model_special_tokens(model(), &bos, &eos));
    ASSERT_DN_OK(dn_model_num_layers(model(), &layers));
    EXPECT_EQ(dtype, DN_DTYPE_BF16);
    EXPECT_EQ(params, reference_.at("params").get<uint64_t>());
    EXPECT_EQ(bytes, params * 2) << "bfloat16: 2 bytes a parameter";
    EXPECT_EQ(loaded_.vocab, 4096);
    EXPECT_EQ(layers, 6);
    EXPECT_EQ(bos, 0);
    EXPECT_EQ(eos, 0);
}

}  // namespace
