// Short causal convolution (backends/backend.h's ConvArgs) over one sequence:
// y[t, c] = act(sum_j w[c, j] * x[t - W + 1 + j, c]), the W-1 inputs before x[0] coming from `tail`,
// which ends up holding the last W-1 inputs of tail ++ x (so older tail rows shift when T < W-1).
//
// x may be y (the model convolves in place), and the launcher may not allocate scratch. So a block
// owns a group of channels for the whole sequence and no other block ever reads or writes them; it
// walks the sequence in chunks, staging each chunk's inputs in shared memory (after W-1 history rows)
// before any thread overwrites them. Within a block, threads split both channels (blockDim.x,
// adjacent channels in adjacent lanes: coalesced rows) and timesteps (blockDim.y time lanes, each
// taking kRowsPerLane rows of a chunk). The launcher shapes the block to T: one time lane and 256
// channels for decode, 32 time lanes of 8 channels for long prefills (8 floats = one 32-byte sector).
#include "backends/cuda/gpu_runtime.h"

#include <cstdint>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/device_math.cuh"
#include "backends/cuda/kernels.h"
#include "core/error.h"

namespace dn::cuda {

namespace {

constexpr int kMaxWidth = 16;        // W <= kMaxWidth: the weights of a channel live in registers
constexpr int kThreads = 256;
constexpr int kRowsPerLane = 4;      // rows of a chunk per time lane: loads in flight per thread
constexpr int kMaxTimeLanes = 32;    // at least 8 channels per block

// blockDim = (channels per block, time lanes); dynamic shared memory holds
// [W-1 + time lanes * kRowsPerLane][channels per block] floats.
__global__ __launch_bounds__(kThreads) void short_conv_kernel(const ConvArgs a) {
    extern __shared__ float rows[];  // row r: input t0 - (W-1) + r of the block's channels
    const int width = blockDim.x, lanes = blockDim.y;
    const int cx = threadIdx.x, ty = threadIdx.y;
    const int c = blockIdx.x * width + cx;
    const bool active = c < a.D;
    const int history = a.W - 1;
    const int chunk = lanes * kRowsPerLane;

    float w[kMaxWidth];
#pragma unroll
    for (int j = 0; j < kMaxWidth; ++j) w[j] = (active && j < a.W) ? a.weight[int64_t(c) * a.W + j] : 0.0f;

    // History rows: each thread always handles rows ty, ty + lanes, ... of its channel, here, in the
    // shifts and in the final tail write, so those need no barrier of their own.
    for (int r = ty; r < history; r += lanes)
        rows[r * width + cx] = active ? a.tail[int64_t(r) * a.D + c] : 0.0f;

    // Inputs of the next chunk, loaded one chunk ahead. Reading rows beyond the current chunk before
    // writing the current chunk's outputs is safe in place: only this block touches these channels,
    // and it writes a row only after having read it.
    float next[kRowsPerLane];
    auto load_chunk = [&](int64_t t0) {
#pragma unroll
        for (int i = 0; i < kRowsPerLane; ++i) {
            const int64_t t = t0 + ty + int64_t(i) * lanes;
            next[i] = (active && t < a.T) ? a.x[t * a.x_stride + c] : 0.0f;
        }
    };
    load_chunk(0);

    for (int64_t t0 = 0; t0 < a.T; t0 += chunk) {
        const int n = int(a.T - t0 < chunk ? a.T - t0 : chunk);  // rows in this chunk
#pragma unroll
        for (int i = 0; i < kRowsPerLane; ++i) rows[(history + ty + i * lanes) * width + cx] = next[i];
        __syncthreads();
        if (t0 + chunk < a.T) load_chunk(t0 + chunk);

#pragma unroll
        for (int i = 0; i < kRowsPerLane; ++i) {
            const int r = ty + i * lanes;
            if (!active || r >= n) continue;
            float sum = 0.0f;
#pragma unroll
            for (int j = 0; j < kMaxWidth; ++j)
                if (j < a.W) sum = fmaf(w[j], rows[(r + j) * width + cx], sum);
            a.y[(t0 + r) * a.y_stride + c] = a.silu ? silu(sum) : sum;
        }

        // The chunk's last W-1 inputs (rows n .. n+W-2, which may overlap the destination when
        // n < W-1) become the next history: read them all before anyone writes.
        float keep[kMaxWidth - 1];
        __syncthreads();
#pragma unroll
        for (int i = 0; i < kMaxWidth - 1; ++i) {
            const int r = ty + i * lanes;
            if (r < history) keep[i] = rows[(n + r) * width + cx];
        }
        __syncthreads();
#pragma unroll
        for (int i = 0; i < kMaxWidth - 1; ++i) {
            const int r = ty + i * lanes;
            if (r < history) rows[r * width + cx] = keep[i];
        }
        // The next iteration's barrier (after storing its inputs) orders these writes before reads.
    }

    for (int r = ty; r < history; r += lanes)
        if (active) a.tail[int64_t(r) * a.D + c] = rows[r * width + cx];
}

}  // namespace

void short_conv(const ConvArgs &args, cudaStream_t stream) {
    if (args.W < 1 || args.W > kMaxWidth)
        fail(DN_ERR_UNSUPPORTED, "CUDA short convolution: width ", args.W, " is not in 1..", kMaxWidth);
    if (args.T <= 0 || args.D <= 0) return;

    // Enough time lanes to cover T with kRowsPerLane rows each, up to kMaxTimeLanes.
    int lanes = 1;
    while (lanes < kMaxTimeLanes && int64_t(lanes) * kRowsPerLane < args.T) lanes *= 2;
    const int width = kThreads / lanes;
    const dim3 block{unsigned(width), unsigned(lanes)};
    const unsigned grid = unsigned((int64_t(args.D) + width - 1) / width);
    const size_t smem = size_t(args.W - 1 + lanes * kRowsPerLane) * size_t(width) * sizeof(float);
    short_conv_kernel<<<grid, block, smem, stream>>>(args);
    check_launch("short_conv_kernel");
}

}  // namespace dn::cuda
