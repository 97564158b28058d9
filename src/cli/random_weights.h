// Deterministic pseudo-random weights for a config's tensors, independent of the standard library's
// distributions and of the number of threads: the same seed gives the same bytes everywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/dtype.h"
#include "core/weight_manifest.h"

namespace dn::cli {

// How one tensor's values are drawn.
struct WeightInit {
    enum class Kind { Normal, Uniform, ALog, DtBias } kind = Kind::Normal;
    double a = 0;  // Normal: mean; Uniform: low
    double b = 0;  // Normal: standard deviation; Uniform: high
};

// Values that keep a random model's activations finite and varied (see the .cpp for each choice).
WeightInit choose_init(const TensorSpec &spec, const ModelConfig &config, double initializer_range);

// numel values of `init` stored as `dtype` (F32 or BF16), drawn from `seed` and the tensor's name.
// `threads` only changes the speed, never the values.
std::vector<std::byte> random_tensor(const TensorSpec &spec, const WeightInit &init, DType dtype, uint64_t seed,
                                     int threads);

}  // namespace dn::cli
