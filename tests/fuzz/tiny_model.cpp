#include "tiny_model.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include <unistd.h>

#include "core/error.h"
#include "core/model_config.h"
#include "core/safetensors.h"
#include "core/weight_manifest.h"

namespace dnfuzz {

namespace {

std::string config_text(bool attention) {
    return std::string(R"({
  "model_type": "delta_net", "hidden_size": 8, "num_hidden_layers": 2, "num_heads": 2,
  "vocab_size": 16, "intermediate_size": 16, "max_position_embeddings": 8, "conv_size": 4,)") +
           (attention ? R"(
  "attn": {"layers": [1], "num_heads": 2, "num_kv_heads": 1},)" : "") + R"(
  "bos_token_id": 1, "eos_token_id": 2, "tie_word_embeddings": false
})";
}

}  // namespace

void write_tiny_model(const std::string &dir, bool attention) { write_random_model(dir, config_text(attention)); }

std::string scratch_model_dir(const char *name) {
    const char *tmp = std::getenv("TMPDIR");
    return std::string(tmp ? tmp : "/tmp") + "/dn-fuzz-" + name + "-" + std::to_string(long(getpid()));
}

void write_random_model(const std::string &dir, const std::string &config_json) {
    std::filesystem::create_directories(dir);
    {
        std::ofstream out(dir + "/config.json", std::ios::trunc);
        out << config_json;
        if (!out) dn::fail(DN_ERR_IO, "cannot write ", dir, "/config.json");
    }
    const dn::ModelConfig config = dn::parse_model_config(config_json, "generated config");
    const std::vector<dn::TensorSpec> specs = dn::weight_manifest(config);
    std::vector<std::vector<float>> values(specs.size());
    std::vector<dn::TensorToWrite> tensors;
    uint32_t lcg = 12345;
    for (size_t i = 0; i < specs.size(); ++i) {
        int64_t n = 1;
        for (int64_t d : specs[i].shape) n *= d;
        const bool norm = specs[i].name.find("norm") != std::string::npos;
        for (int64_t j = 0; j < n; ++j) {
            lcg = lcg * 1664525u + 1013904223u;
            values[i].push_back(norm ? 1.0f : (float(lcg >> 8) / float(1u << 24) - 0.5f) * 0.5f);
        }
        tensors.push_back({specs[i].name, dn::DType::F32, specs[i].shape, values[i].data()});
    }
    dn::write_safetensors(dir + "/model.safetensors", tensors);
}

}  // namespace dnfuzz
