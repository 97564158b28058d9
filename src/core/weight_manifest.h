// The tensors a checkpoint must hold for a config: names and shapes, in fla's HF layout.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model_config.h"

namespace dn {

enum class TensorRole {
    Matrix,     // a Linear weight [out, in] (also embeddings and lm_head)
    Vector,     // norm weights, biases, A_log, dt_bias
    Conv,       // short-convolution weight [channels, 1, width]
};

struct TensorSpec {
    std::string name;
    std::vector<int64_t> shape;
    TensorRole role = TensorRole::Matrix;
};

std::vector<TensorSpec> weight_manifest(const ModelConfig &config);

// Name helpers shared by the loader and the manifest.
std::string layer_prefix(int layer);  // "model.layers.<i>."

}  // namespace dn
