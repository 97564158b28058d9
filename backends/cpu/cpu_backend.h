// The CPU backend: host memory, oneDNN for large matrix products, own AVX-512 kernels for the
// memory-bound decode products, OpenMP for everything else. Thread count comes from the calling
// thread's OpenMP setting (the stream sets it before each call).
#pragma once

#include <vector>

#include "backends/backend.h"

namespace dn {

// A weight matrix in host memory: the mapped checkpoint bytes, or an owned float32 copy when the
// stored dtype is one the kernels do not read directly (F16).
class CpuMatrix : public DeviceMatrix {
public:
    const void *data = nullptr;
    dn_precision precision = DN_PRECISION_EXACT;
    std::unique_ptr<float[]> owned;
};

Backend &cpu_backend();

namespace cpu {

// y[m, n] = sum_k x[m, k] * W[n, k] for m < M (<= kGemvMaxRows), reading W once. W is F32 or BF16.
constexpr int64_t kGemvMaxRows = 8;
void gemv(const float *x, int64_t x_stride, int64_t M, const CpuMatrix &w, float *y, int64_t y_stride);

// The GEMV kernel families; gemv() uses the best this CPU runs (tests run every one).
enum class GemvIsa { Avx512, Avx2, Portable };
const std::vector<GemvIsa> &gemv_isas();  // supported here, best first
const char *gemv_isa_name(GemvIsa isa);
void gemv(const float *x, int64_t x_stride, int64_t M, const CpuMatrix &w, float *y, int64_t y_stride, GemvIsa isa);

// The same product for any M, through oneDNN.
void matmul_onednn(const float *x, int64_t x_stride, int64_t M, const CpuMatrix &w, float *y, int64_t y_stride);

}  // namespace cpu
}  // namespace dn
