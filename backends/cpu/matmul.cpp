// Prefill-time matrix products through oneDNN. Weights are used where they lie in the mapped
// checkpoint, [N, K] row-major, which oneDNN reads as the transposed [K, N] operand.
//
//  - float32 weights: one float32 matmul.
//  - bfloat16 weights, DN_PRECISION_FAST: activations rounded to bfloat16, one bf16 matmul.
//  - bfloat16 weights, DN_PRECISION_EXACT: oneDNN 2.6 has no f32 x bf16 product, so panels of weight
//    rows are widened to float32 (exactly) into a cache-sized buffer and multiplied in float32. The
//    widening costs O(N K), small next to the O(M N K) product at prefill sizes.
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "core/error.h"

namespace dn::cpu {

namespace {

using dnnl::memory;
using tag_dims = memory::dims;

dnnl::engine &engine() {
    static dnnl::engine e(dnnl::engine::kind::cpu, 0);
    return e;
}

// y[M, N] (row stride y_stride) = x[M, K] (row stride x_stride) * W^T, W [N, K] with row stride w_stride.
void run_matmul(memory::data_type type, const void *x, int64_t x_stride, int64_t M, int64_t K, const void *w,
                int64_t w_stride, int64_t N, float *y, int64_t y_stride) {
    memory::desc x_md({M, K}, type, tag_dims{x_stride, 1});
    memory::desc w_md({K, N}, type, tag_dims{1, w_stride});
    memory::desc y_md({M, N}, memory::data_type::f32, tag_dims{y_stride, 1});
    // oneDNN's primitive cache makes repeated creation for the same shapes cheap.
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(x_md, w_md, y_md), engine());
    dnnl::matmul prim(pd);
    memory x_mem(x_md, engine(), const_cast<void *>(x));
    memory w_mem(w_md, engine(), const_cast<void *>(w));
    memory y_mem(y_md, engine(), y);
    dnnl::stream stream(engine());
    prim.execute(stream, {{DNNL_ARG_SRC, x_mem}, {DNNL_ARG_WEIGHTS, w_mem}, {DNNL_ARG_DST, y_mem}});
    stream.wait();
}

void matmul_bf16_exact(const float *x, int64_t x_stride, int64_t M, const CpuMatrix &w, float *y,
                       int64_t y_stride) {
    const int64_t N = w.rows, K = w.cols;
    // Panels of about 4 MB of float32, a multiple of 64 rows.
    const int64_t panel = std::max<int64_t>(64, (int64_t(1) << 20) / K / 64 * 64);
    thread_local std::vector<float> widened;
    widened.resize(size_t(std::min(panel, N) * K));
    const auto *W = static_cast<const uint16_t *>(w.data);
    for (int64_t n0 = 0; n0 < N; n0 += panel) {
        const int64_t rows = std::min(panel, N - n0);
        float *dst = widened.data();
#pragma omp parallel for schedule(static)
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t k = 0; k < K; ++k) dst[r * K + k] = bf16_to_f32(W[(n0 + r) * K + k]);
        run_matmul(memory::data_type::f32, x, x_stride, M, K, dst, K, rows, y + n0, y_stride);
    }
}

void matmul_bf16_fast(const float *x, int64_t x_stride, int64_t M, const CpuMatrix &w, float *y,
                      int64_t y_stride) {
    const int64_t K = w.cols;
    thread_local std::vector<uint16_t> rounded;
    rounded.resize(size_t(M * K));
    uint16_t *dst = rounded.data();  // the calling thread's buffer, shared with the team
#pragma omp parallel for schedule(static)
    for (int64_t m = 0; m < M; ++m)
        for (int64_t k = 0; k < K; ++k) dst[m * K + k] = f32_to_bf16(x[m * x_stride + k]);
    run_matmul(memory::data_type::bf16, dst, K, M, K, w.data, K, w.rows, y, y_stride);
}

}  // namespace

void matmul_onednn(const float *x, int64_t x_stride, int64_t M, const CpuMatrix &w, float *y, int64_t y_stride) {
    try {
        if (w.dtype == DType::F32)
            run_matmul(memory::data_type::f32, x, x_stride, M, w.cols, w.data, w.cols, w.rows, y, y_stride);
        else if (w.precision == DN_PRECISION_FAST)
            matmul_bf16_fast(x, x_stride, M, w, y, y_stride);
        else
            matmul_bf16_exact(x, x_stride, M, w, y, y_stride);
    } catch (const dnnl::error &e) {
        fail(e.status == dnnl_out_of_memory ? DN_ERR_OUT_OF_MEMORY : DN_ERR_DEVICE, "oneDNN matmul failed: ",
             e.what());
    }
}

}  // namespace dn::cpu
