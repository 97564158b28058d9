// Every config field that changes the math, exercised on small random checkpoints and compared with
// an independent float64 implementation (support/reference_model.cpp): the chunked prefill over
// 150 tokens (two full chunks and a partial one) and the recurrent decode, token by token.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "core/model_config.h"
#include "core/safetensors.h"
#include "core/weight_manifest.h"
#include "support/dn_test.h"
#include "support/reference_model.h"

namespace {

using nlohmann::json;
using namespace dntest;

json base_config(const std::string &model_type) {
    json c = {{"model_type", model_type}, {"hidden_size", 64}, {"num_hidden_layers", 2}, {"num_heads", 2},
              {"vocab_size", 97}, {"intermediate_size", 96}, {"norm_eps", 1e-6}, {"conv_size", 4},
              {"hidden_act", "swish"}, {"tie_word_embeddings", false}, {"max_position_embeddings", 512}};
    if (model_type == "gated_deltanet") {
        c["head_dim"] = 32;
        c["expand_v"] = 1.0;
    }
    return c;
}

// Values that keep a random model's activations in a useful range (uniform, so no library RNG
// distribution is involved: the same bytes on every platform).
std::vector<float> random_values(const dn::TensorSpec &spec, std::mt19937 &rng) {
    int64_t n = 1;
    for (int64_t d : spec.shape) n *= d;
    auto uniform = [&](double lo, double hi) { return float(lo + (hi - lo) * (double(rng()) / 4294967296.0)); };
    std::vector<float> v(static_cast<size_t>(n));
    const std::string &name = spec.name;
    auto ends_with = [&](const std::string &s) { return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0; };
    for (float &x : v) {
        if (ends_with("A_log")) x = std::log(uniform(1.0, 16.0));
        else if (ends_with("dt_bias")) x = uniform(-5.0, -2.0);
        else if (ends_with("norm.weight")) x = uniform(0.8, 1.2);
        else if (ends_with(".bias")) x = uniform(-0.2, 0.2);
        else if (spec.role == dn::TensorRole::Conv) x = uniform(-0.5, 0.5);
        else if (ends_with("embeddings.weight")) x = uniform(-1.0, 1.0);
        else x = uniform(-0.25, 0.25);
    }
    return v;
}

fs::path write_model(const TempDir &tmp, const std::string &name, const json &config, dn::DType dtype) {
    const fs::path dir = tmp.path() / name;
    fs::create_directories(dir);
    write_bytes(dir / "config.json", config.dump(2));
    const dn::ModelConfig parsed = dn::parse_model_config(config.dump(), name);
    std::mt19937 rng(1234);
    std::vector<std::vector<uint16_t>> halves;
    std::vector<std::vector<float>> floats;
    std::vector<dn::TensorToWrite> tensors;
    for (const dn::TensorSpec &spec : dn::weight_manifest(parsed)) {
        floats.push_back(random_values(spec, rng));
        const void *data = floats.back().data();
        if (dtype == dn::DType::BF16) {
            halves.emplace_back();
            for (float f : floats.back()) halves.back().push_back(dn::f32_to_bf16(f));
            data = halves.back().data();
        }
        tensors.push_back({spec.name, dtype, spec.shape, data});
    }
    dn::write_safetensors((dir / "model.safetensors").string(), tensors);
    return dir;
}

struct Variant {
    std::string name;
    std::string model_type;
    json overrides;
    dn::DType dtype = dn::DType::F32;
};

void PrintTo(const Variant &v, std::ostream *os) { *os << v.name; }

class ConfigVariant : public ::testing::TestWithParam<Variant> {};

TEST_P(ConfigVariant, MatchesFloat64ReferenceInPrefillAndDecode) {
    const Variant &variant = GetParam();
    json config = base_config(variant.model_type);
    config.update(variant.overrides);
    TempDir tmp;
    const fs::path dir = write_model(tmp, variant.name, config, variant.dtype);

    const std::vector<int32_t> tokens = some_tokens(150, 97, 7);
    const std::vector<double> ref = reference_logits(dir, tokens);
    const std::vector<float> ref_f(ref.begin(), ref.end());
    const size_t V = 97;

    StreamPtr stream = make_stream();
    ModelPtr model = load_model(stream.get(), dir);
    StatePtr state = make_state(model.get());
    const std::vector<float> prefill = forward(stream.get(), model.get(), state.get(), tokens, DN_LOGITS_ALL);
    const double prefill_err = rel_l2(prefill, ref_f);
    EXPECT_LT(prefill_err, 1e-4) << "prefill vs float64 reference";
    report(variant.name + ".prefill_rel_l2", prefill_err);

    StatePtr decode_state = make_state(model.get());
    double worst = 0;
    for (size_t t = 0; t < tokens.size(); ++t) {
        const std::vector<float> row = step(stream.get(), model.get(), decode_state.get(), tokens[t]);
        worst = std::max(worst, rel_l2(row.data(), ref_f.data() + t * V, V));
    }
    EXPECT_LT(worst, 1e-4) << "recurrent decode vs float64 reference (worst position)";
    report(variant.name + ".decode_worst_rel_l2", worst);
}

const Variant kVariants[] = {
    {"deltanet_defaults", "delta_net", json::object()},
    {"deltanet_relu_l2", "delta_net", {{"qk_activation", "relu"}}},
    {"deltanet_elu_sum", "delta_net", {{"qk_activation", "elu"}, {"qk_norm", "sum"}}},
    {"deltanet_identity", "delta_net", {{"qk_activation", "identity"}}},
    {"deltanet_no_beta_neg_eigval", "delta_net", {{"use_beta", false}, {"allow_neg_eigval", true}}},
    {"deltanet_beta_neg_eigval", "delta_net", {{"allow_neg_eigval", true}}},
    {"deltanet_gate_expand", "delta_net", {{"use_gate", true}, {"expand_k", 0.5}, {"expand_v", 2.0}}},
    {"deltanet_no_short_conv", "delta_net", {{"use_short_conv", false}}},
    {"deltanet_no_conv_relu", "delta_net", {{"use_short_conv", false}, {"qk_activation", "relu"}}},
    {"deltanet_conv3_eps", "delta_net", {{"conv_size", 3}, {"norm_eps", 1e-3}}},
    {"deltanet_hidden_ratio_tied", "delta_net",
     {{"intermediate_size", nullptr}, {"hidden_ratio", 2}, {"tie_word_embeddings", true}}},
    {"deltanet_powlu", "delta_net", {{"hidden_act", "powlu"}}},
    {"deltanet_bf16", "delta_net", json::object(), dn::DType::BF16},
    {"gated_defaults", "gated_deltanet", json::object()},
    {"gated_num_v_heads", "gated_deltanet", {{"num_v_heads", 4}, {"expand_v", 1.5}}},
    {"gated_no_gate_neg_eigval", "gated_deltanet", {{"use_gate", false}, {"allow_neg_eigval", true}}},
    {"gated_no_short_conv", "gated_deltanet", {{"use_short_conv", false}}},
    {"hybrid_global_bias_gqa", "delta_net",
     {{"attn", {{"layers", {1}}, {"num_heads", 4}, {"num_kv_heads", 1}, {"qkv_bias", true}, {"rope_theta", 500.0}}}}},
    {"hybrid_window_list", "gated_deltanet",
     {{"num_hidden_layers", 3},
      {"attn", json::array({{{"layers", {0}}, {"num_heads", 2}, {"window_size", 7}},
                            {{"layers", {2}}, {"num_heads", 4}, {"num_kv_heads", 2}, {"window_size", 64}}})}}},
};

INSTANTIATE_TEST_SUITE_P(AllFields, ConfigVariant, ::testing::ValuesIn(kVariants),
                         [](const ::testing::TestParamInfo<Variant> &info) { return info.param.name; });

}  // namespace
