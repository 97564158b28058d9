// Launchers of the CUDA backend's kernels. Every pointer is device memory unless its comment says
// otherwise; every launcher only enqueues work on `stream` (no synchronisation, no allocation), so
// that a sequence of them can be captured into a CUDA graph. Each launcher checks its launches with
// check_launch() (cuda_check.h), which throws dn::Error.
//
// The math of each operation is the CPU backend's (backends/backend.h documents it); the kernels
// keep float32 activations and accumulate in float32.
#pragma once

#include <cstdint>

#include "backends/cuda/gpu_runtime.h"

#include "backends/backend.h"

namespace dn::cuda {

// ---- matrix-vector products (decode) ----
// y[m, n] = sum_k x[m, k] * W[n, k] for m < M (1 <= M <= kGemvMaxRows); W is [N][K] row-major,
// bfloat16 (w_bf16) or float32. Reads W once for all M rows: the memory-bound decode path.
constexpr int kGemvMaxRows = 8;
void gemv(const float *x, int64_t x_stride, int M, const void *W, bool w_bf16, int64_t N, int64_t K, float *y,
          int64_t y_stride, cudaStream_t stream);
// The same for up to kMaxGemvTargets matrices of one dtype and width K at once (one launch).
constexpr int kMaxGemvTargets = 8;
struct GemvTarget {
    const void *W;
    int64_t N;
    float *y;
    int64_t y_stride;
};
void gemv_many(const float *x, int64_t x_stride, int M, const GemvTarget *targets, int count, bool w_bf16, int64_t K,
               cudaStream_t stream);
// out = bf16(act(gate) * up) on [rows][dim], densely packed: the SwiGLU product as the left operand of
// a bfloat16 product.
void glu_to_bf16(const float *gate, const float *up, int64_t rows, int dim, MlpActivation act, uint16_t *out,
                 cudaStream_t stream);

// ---- conversions and gathers ----
// Scatters the columns of src [rows][width] (row stride src_ld) into `count` outputs: columns
// [first_col[j], first_col[j + 1]) go to dst[j] (row stride dst_stride[j]), from its column 0. The
// product of several stacked matrices (prepare_matrices) lands in the caller's separate buffers so.
constexpr int kMaxColumnSlices = 8;
struct ColumnSlices {
    int count;
    int64_t first_col[kMaxColumnSlices + 1];
    float *dst[kMaxColumnSlices];
    int64_t dst_stride[kMaxColumnSlices];
};
void split_columns(const float *src, int64_t src_ld, int64_t rows, const ColumnSlices &slices, cudaStream_t stream);
// out[r][c] (bfloat16, dense [rows][cols]) = x[r * x_stride + c].
void to_bf16(const float *x, int64_t x_stride, int64_t rows, int64_t cols, uint16_t *out, cudaStream_t stream);
// out[i][:] = table[ids[i]][:] widened to float32; table is [*, cols] bf16 or f32; ids on the device.
void embed(const void *table, bool table_bf16, int64_t cols, const int32_t *ids, int64_t n, float *out,
           cudaStream_t stream);

// ---- row-wise elementwise operations (Backend's methods of the same names) ----
void rms_norm(const float *x, int64_t x_stride, const float *weight, const float *gate, int64_t gate_stride, float *y,
              int64_t y_stride, int64_t rows, int dim, float eps, cudaStream_t stream);
void add_rms_norm(float *residual, const float *delta, const float *weight, float *y, int64_t rows, int dim, float eps,
                  cudaStream_t stream);
void add(float *y, const float *x, size_t count, cudaStream_t stream);
void qk_transform(float *x, int64_t stride, int64_t rows, int heads, int dim, QKActivation act, Backend::Norm norm,
                  float scale, cudaStream_t stream);
void beta(float *b, int64_t stride, int64_t rows, int heads, float factor, bool b_is_one, cudaStream_t stream);
void gated_decay(float *a, int64_t stride, int64_t rows, int heads, const float *A_log, const float *dt_bias,
                 cudaStream_t stream);
void glu(const float *gate, const float *up, float *out, int64_t rows, int dim, MlpActivation act,
         cudaStream_t stream);
void add_bias(float *y, int64_t stride, int64_t rows, const float *bias, int dim, cudaStream_t stream);

// ---- sequence operations ----
// Short causal convolution of backends/backend.h's ConvArgs (x may equal y: in place).
void short_conv(const ConvArgs &args, cudaStream_t stream);

// The delta rule of backends/backend.h's DeltaArgs, token by token (decode, and short inputs).
void delta_rule_recurrent(const DeltaArgs &args, cudaStream_t stream);
// The chunkwise-parallel WY/UT-transform form, chunks of 64 tokens (the last may be shorter). Same
// result as delta_rule_recurrent up to float rounding.
// `tc_scratch`: optional device memory of delta_rule_tc_scratch_bytes(args) for the bf16
// tensor-core path's two-kernel form (see delta_rule_tc.h); null runs it as one kernel.
void delta_rule_chunked(const DeltaArgs &args, cudaStream_t stream, void *tc_scratch = nullptr);

// Batched decode (backends/backend.h's ConvRowsArgs / DeltaRowsArgs): one token for each of B
// sequences, each with its own tails / state. `tails` and `states` are HOST arrays of B device
// pointers; the launchers pass them to the kernels by value (in launches of a bounded number of
// sequences each), so that a recorded graph holds them and nothing needs staging.
void short_conv_rows(const ConvRowsArgs &args, cudaStream_t stream);
void delta_rule_rows(const DeltaRowsArgs &args, cudaStream_t stream);

// backends/backend.h's DecodeInputsArgs in one launch (Backend::decode_inputs gives the exact
// sequence of operations it fuses). Tail pointers are host arrays, passed by value as above.
void decode_inputs(const DecodeInputsArgs &args, cudaStream_t stream);

// Softmax attention of backends/backend.h's AttentionArgs: RoPE on q and k in place, causal
// (optionally windowed) attention over the cached and new keys, the newest keys/values written
// into the ring cache.
void attention(const AttentionArgs &args, cudaStream_t stream);

}  // namespace dn::cuda
