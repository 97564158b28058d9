// Row-wise and element-wise CPU kernels of the model (norms, short convolution, activations,
// gates). Each is parallel over rows or channels with OpenMP.
#pragma once

#include <cstddef>
#include <cstdint>

#include "backends/backend.h"

namespace dn::cpu {

void rms_norm(const float *x, int64_t x_stride, const float *weight, const float *gate, int64_t gate_stride,
              float *y, int64_t y_stride, int64_t rows, int dim, float eps);
void add_rms_norm(float *residual, const float *delta, const float *weight, float *y, int64_t rows, int dim,
                  float eps);
void add(float *y, const float *x, size_t count);
void short_conv(const ConvArgs &args);
// norm: 0 none, 1 L2, 2 sum (Backend::Norm).
void qk_transform(float *x, int64_t stride, int64_t rows, int heads, int dim, QKActivation act, int norm,
                  float scale);
void beta(float *b, int64_t stride, int64_t rows, int heads, float factor, bool b_is_one);
void gated_decay(float *a, int64_t stride, int64_t rows, int heads, const float *A_log, const float *dt_bias);
void glu(const float *gate, const float *up, float *out, int64_t rows, int dim, MlpActivation act);
void add_bias(float *y, int64_t stride, int64_t rows, const float *bias, int dim);

}  // namespace dn::cpu
