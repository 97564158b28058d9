// The float math of the activations and gates, shared by every kernel that applies them (separate
// elementwise kernels, the fused decode kernels and the fused-SwiGLU product), so that fused and
// unfused paths give the same numbers. Mirrors backends/cpu's expressions.
#pragma once

#include "backends/cuda/gpu_runtime.h"

#include "backends/backend.h"

namespace dn::cuda {

__device__ __forceinline__ float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

// short_conv's SiLU; x * sigmoid(x) is the same expression.
__device__ __forceinline__ float silu(float x) { return x * (1.0f / (1.0f + expf(-x))); }

// log(1 + exp(x)), linear above 20 as fla's softplus.
__device__ __forceinline__ float softplus(float x) { return x > 20.0f ? x : log1pf(expf(x)); }

__device__ __forceinline__ float qk_activation(float v, QKActivation act) {
    switch (act) {
        case QKActivation::Relu: return v > 0.0f ? v : 0.0f;
        case QKActivation::Elu: return v > 0.0f ? v + 1.0f : expf(v);  // elu(x) + 1
        case QKActivation::Silu: return v * sigmoid(v);
        case QKActivation::Identity: break;
    }
    return v;
}

// act(gate) * up: SwiGLU, or fla's PowGLU: x^(3 / (sqrt(x) + 1)) * sigmoid(x) for x > 0, silu(x)
// otherwise.
__device__ __forceinline__ float glu_value(float gate, float up, MlpActivation act) {
    const float s = sigmoid(gate);
    if (act == MlpActivation::Swish) return gate * s * up;
    const float g = gate > 0.0f ? expf(3.0f / (sqrtf(gate) + 1.0f) * logf(gate)) * s : gate * s;
    return g * up;
}

}  // namespace dn::cuda
