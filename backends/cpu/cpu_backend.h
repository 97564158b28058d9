// The CPU backend: host memory, oneDNN for large matrix products, own AVX-512 kernels for the
// memory-bound decode products, OpenMP for everything else. Thread count comes from the calling
// thread's OpenMP setting (the stream sets it before each call).
#pragma once

#include <vector>

#include "backends/backend.h"

namespace dn {

// Host memory of its own for weights: anonymous pages, 2 MB aligned and advised to be transparent
// huge pages. Decode streams every weight once per token; on 4 KB pages of a mapped file the same
// read runs at about two thirds of the rate (page walks, and prefetchers stop at each 4 KB page).
class HugePageBuffer {
public:
    explicit HugePageBuffer(size_t bytes);  // throws DN_ERR_OUT_OF_MEMORY
    ~HugePageBuffer();
    HugePageBuffer(const HugePageBuffer &) = delete;
    HugePageBuffer &operator=(const HugePageBuffer &) = delete;
    void *data() const { return aligned_; }

private:
    void *mapping_ = nullptr;
    size_t mapping_bytes_ = 0;
    void *aligned_ = nullptr;
};

// A weight matrix in host memory: a copy in huge pages (DN_WEIGHTS_COPY), the mapped checkpoint
// bytes (DN_WEIGHTS_MAPPED), or an owned float32 copy when the stored dtype is one the kernels do
// not read directly (F16).
class CpuMatrix : public DeviceMatrix {
public:
    const void *data = nullptr;
    dn_precision precision = DN_PRECISION_EXACT;
    std::unique_ptr<float[]> owned;
    std::unique_ptr<HugePageBuffer> copy;
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
