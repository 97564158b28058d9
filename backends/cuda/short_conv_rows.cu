// Batched decode of the short causal convolution (backends/backend.h's ConvRowsArgs): row b of x is
// one token of sequence b, convolved with that sequence's own tail ([W-1][D], the last W-1 inputs):
//   y[b, c] = act(sum_{j < W-1} w[c, j] * tail_b[j, c] + w[c, W-1] * x[b, c]),
// after which tail_b shifts up one row and its last row becomes x[b]. This is short_conv.cu's T = 1
// case, for B sequences in one launch.
//
// A thread owns VW adjacent channels of one sequence: it reads their W-1 tail rows and x into
// registers, writes y, then writes the shifted tail. Nothing else touches those addresses, so x may
// be y (in place) and the tail shift needs no barrier. Adjacent threads own adjacent channels, so
// every tail row, x and y are read and written coalesced (float4 when the layout allows).
//
// The tails are a host array of device pointers: each launch takes up to kSeqsPerLaunch of them by
// value in its parameters (grid.y = sequence), so that a recorded CUDA graph holds them and nothing
// has to be staged on the device.
#include "backends/cuda/gpu_runtime.h"

#include <cstdint>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/device_math.cuh"
#include "backends/cuda/kernels.h"
#include "core/error.h"

namespace dn::cuda {

namespace {

constexpr int kMaxWidth = 16;        // as short_conv.cu: W <= 16
constexpr int kThreads = 128;        // small blocks: more of them for small D * B
constexpr int kSeqsPerLaunch = 256;  // 2 KiB of tail pointers: the parameters stay under 4 KiB

struct ConvRowsParams {
    const float *x;
    int64_t x_stride;
    float *y;
    int64_t y_stride;
    const float *weight;  // [D][W]
    int D;
    int W;
    bool silu;
    float *tails[kSeqsPerLaunch];  // [W-1][D] each; only the first grid.y are set
};
static_assert(sizeof(ConvRowsParams) < 4000, "kernel parameters must stay under 4 KiB");

template <int VW>
__device__ __forceinline__ void load_vec(const float *p, float (&v)[VW]) {
    if constexpr (VW == 4) {
        const float4 t = *reinterpret_cast<const float4 *>(p);
        v[0] = t.x, v[1] = t.y, v[2] = t.z, v[3] = t.w;
    } else {
        v[0] = *p;
    }
}

template <int VW>
__device__ __forceinline__ void store_vec(float *p, const float (&v)[VW]) {
    if constexpr (VW == 4) *reinterpret_cast<float4 *>(p) = make_float4(v[0], v[1], v[2], v[3]);
    else *p = v[0];
}

// grid = (channel blocks, sequences of this launch); VW = 4 needs D % 4 == 0 and 16-byte aligned
// rows of x, y and every tail. W <= MAXW: the common W <= 4 keeps fewer registers.
template <int VW, int MAXW>
__global__ __launch_bounds__(kThreads) void short_conv_rows_kernel(const ConvRowsParams p) {
    const int c = (blockIdx.x * kThreads + threadIdx.x) * VW;
    if (c >= p.D) return;
    const int b = blockIdx.y, D = p.D, W = p.W, history = W - 1;
    float *tail = p.tails[b] + c;  // row j at tail + j * D (only formed for W > 1)
    const float *x = p.x + int64_t(b) * p.x_stride + c;
    float *y = p.y + int64_t(b) * p.y_stride + c;

    // All loads first (tail rows, then x), so that they are in flight together.
    float t[MAXW - 1][VW];
#pragma unroll
    for (int j = 0; j < MAXW - 1; ++j)
        if (j < history) load_vec<VW>(tail + int64_t(j) * D, t[j]);
    float xv[VW];
    load_vec<VW>(x, xv);

    float acc[VW];
#pragma unroll
    for (int e = 0; e < VW; ++e) {
        const float *w = p.weight + int64_t(c + e) * W;
        float sum = __ldg(w + history) * xv[e];
#pragma unroll
        for (int j = 0; j < MAXW - 1; ++j)
            if (j < history) sum = fmaf(__ldg(w + j), t[j][e], sum);
        acc[e] = p.silu ? silu(sum) : sum;
    }
    store_vec<VW>(y, acc);  // after this thread's read of x: safe in place

    // The tail shifts by one row; its newest row is x.
#pragma unroll
    for (int j = 0; j + 1 < MAXW - 1; ++j)
        if (j + 1 < history) store_vec<VW>(tail + int64_t(j) * D, t[j + 1]);
    if (history > 0) store_vec<VW>(tail + int64_t(history - 1) * D, xv);
}

bool aligned16(const void *p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

void short_conv_rows(const ConvRowsArgs &args, cudaStream_t stream) {
    if (args.W < 1 || args.W > kMaxWidth)
        fail(DN_ERR_UNSUPPORTED, "CUDA short convolution (rows): width ", args.W, " is not in 1..", kMaxWidth);
    if (args.B <= 0 || args.D <= 0) return;

    for (int64_t b0 = 0; b0 < args.B; b0 += kSeqsPerLaunch) {
        const int n = int(args.B - b0 < kSeqsPerLaunch ? args.B - b0 : kSeqsPerLaunch);
        ConvRowsParams p{};
        p.x = args.x + b0 * args.x_stride, p.x_stride = args.x_stride;
        p.y = args.y + b0 * args.y_stride, p.y_stride = args.y_stride;
        p.weight = args.weight, p.D = args.D, p.W = args.W, p.silu = args.silu;
        bool vec = args.D % 4 == 0 && aligned16(p.x) && aligned16(p.y) && args.x_stride % 4 == 0 &&
                   args.y_stride % 4 == 0;
        for (int i = 0; i < n; ++i) {
            p.tails[i] = args.W > 1 ? args.tails[b0 + i] : nullptr;
            if (args.W > 1 && !aligned16(p.tails[i])) vec = false;
        }
        const int vw = vec ? 4 : 1;
        const int64_t threads = (int64_t(args.D) + vw - 1) / vw;
        const dim3 grid(unsigned((threads + kThreads - 1) / kThreads), unsigned(n));
        if (vec) {
            if (args.W <= 4) short_conv_rows_kernel<4, 4><<<grid, kThreads, 0, stream>>>(p);
            else short_conv_rows_kernel<4, kMaxWidth><<<grid, kThreads, 0, stream>>>(p);
        } else {
            if (args.W <= 4) short_conv_rows_kernel<1, 4><<<grid, kThreads, 0, stream>>>(p);
            else short_conv_rows_kernel<1, kMaxWidth><<<grid, kThreads, 0, stream>>>(p);
        }
        check_launch("short_conv_rows_kernel");
    }
}

}  // namespace dn::cuda
