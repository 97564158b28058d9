#include "cli/random_weights.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string_view>

namespace dn::cli {

namespace {

uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t fnv1a(std::string_view text) {
    uint64_t hash = 0xcbf29ce484222325ull;
    for (char c : text) hash = (hash ^ uint8_t(c)) * 0x100000001b3ull;
    return hash;
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Uniform in [0, 1) from the top 53 bits.
double uniform01(std::mt19937_64 &rng) { return double(rng() >> 11) * 0x1.0p-53; }

// Draws `count` values into `out`. Box-Muller gives normals in pairs.
void draw(const WeightInit &init, std::mt19937_64 &rng, float *out, size_t count) {
    using K = WeightInit::Kind;
    constexpr double kTwoPi = 6.283185307179586;
    switch (init.kind) {
        case K::Normal:
            for (size_t i = 0; i < count; i += 2) {
                const double radius = std::sqrt(-2.0 * std::log(1.0 - uniform01(rng)));  // 1 - u avoids log(0)
                const double angle = kTwoPi * uniform01(rng);
                out[i] = float(init.a + init.b * radius * std::cos(angle));
                if (i + 1 < count) out[i + 1] = float(init.a + init.b * radius * std::sin(angle));
            }
            break;
        case K::Uniform:
            for (size_t i = 0; i < count; ++i) out[i] = float(init.a + (init.b - init.a) * uniform01(rng));
            break;
        case K::ALog:  // decay rates A in [1, 16), as fla initialises them
            for (size_t i = 0; i < count; ++i) out[i] = float(std::log(1.0 + 15.0 * uniform01(rng)));
            break;
        case K::DtBias:  // softplus(dt_bias) = dt, log-uniform in [0.001, 0.1], as fla initialises it
            for (size_t i = 0; i < count; ++i) {
                const double dt = std::exp(std::log(0.001) + (std::log(0.1) - std::log(0.001)) * uniform01(rng));
                out[i] = float(dt + std::log(-std::expm1(-dt)));
            }
            break;
    }
}

constexpr size_t kBlock = size_t(1) << 20;  // elements per independently seeded block

}  // namespace

WeightInit choose_init(const TensorSpec &spec, const ModelConfig &config, double initializer_range) {
    using K = WeightInit::Kind;
    const std::string_view name = spec.name;
    switch (spec.role) {
        case TensorRole::Matrix:
            // Projections back into the residual stream are scaled down by sqrt(2 * layers) (GPT-2's
            // rule, which fla's rescaled init follows) so the stream does not grow with depth.
            if (ends_with(name, "o_proj.weight") || ends_with(name, "down_proj.weight"))
                return {K::Normal, 0.0, initializer_range / std::sqrt(2.0 * config.num_layers)};
            return {K::Normal, 0.0, initializer_range};
        case TensorRole::Conv: {
            // PyTorch's Conv1d default: uniform within 1/sqrt(fan_in), fan_in = kernel width here.
            const double bound = 1.0 / std::sqrt(double(spec.shape.back()));
            return {K::Uniform, -bound, bound};
        }
        case TensorRole::Vector:
            if (ends_with(name, "A_log")) return {K::ALog};
            if (ends_with(name, "dt_bias")) return {K::DtBias};
            if (ends_with(name, ".bias")) return {K::Normal, 0.0, 0.02};
            // Norm weights: near 1, but not exactly, so a loader that ignored them would show.
            return {K::Uniform, 0.9, 1.1};
    }
    return {K::Normal, 0.0, initializer_range};
}

std::vector<std::byte> random_tensor(const TensorSpec &spec, const WeightInit &init, DType dtype, uint64_t seed,
                                     int threads) {
    size_t numel = 1;
    for (int64_t d : spec.shape) numel *= size_t(d);
    const size_t element = dtype_size(dtype);
    std::vector<std::byte> bytes(numel * element);
    const uint64_t tensor_seed = splitmix64(seed ^ fnv1a(spec.name));
    const int64_t blocks = int64_t((numel + kBlock - 1) / kBlock);
#pragma omp parallel num_threads(threads)
    {
        std::vector<float> values(kBlock);
#pragma omp for schedule(dynamic)
        for (int64_t block = 0; block < blocks; ++block) {
            const size_t begin = size_t(block) * kBlock;
            const size_t count = std::min(kBlock, numel - begin);
            std::mt19937_64 rng(splitmix64(tensor_seed + uint64_t(block)));
            draw(init, rng, values.data(), count);
            if (dtype == DType::BF16) {
                auto *out = reinterpret_cast<uint16_t *>(bytes.data()) + begin;
                for (size_t i = 0; i < count; ++i) out[i] = f32_to_bf16(values[i]);
            } else {
                std::memcpy(bytes.data() + begin * element, values.data(), count * element);
            }
        }
    }
    return bytes;
}

}  // namespace dn::cli
