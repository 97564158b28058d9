// Decode-time matrix-vector products: y[m, n] = sum_k x[m, k] * W[n, k] for a few activation rows
// (M <= kGemvMaxRows) against a large weight matrix. This is bound by the bytes of W, so the kernel
// streams W exactly once with 16-byte loads that bypass L1, keeps several loads in flight per lane,
// and reads the small activation rows through L1, where every warp of an SM finds them.
//
// Work split: a block owns kRows consecutive rows of W; its S warps split K between them in
// interleaved chunks of one 16-byte load per lane (S > 1 only when there are too few rows to fill
// the GPU). Each lane accumulates kRows * M float32 sums, which one butterfly reduce-scatter leaves
// in distinct lanes; a block with several warps then adds theirs through shared memory.
#include "backends/cuda/gpu_runtime.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstdint>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/dependent_launch.cuh"
#include "backends/cuda/kernels.h"

namespace dn::cuda {

namespace {

constexpr int kRows = 4;             // rows of W per block: each activation load serves all of them
constexpr int kMaxSplit = 8;         // warps per block splitting K (256 threads: up to 255 registers)
// Warps to aim for when splitting K: a warp's few loads each wait a full DRAM latency, so a
// decode-sized matrix (8-50 MB) needs many of the GPU's resident warps to keep HBM busy (measured on
// an H100 at batch 1: 2048 warps 1.56 ms a step, 6144 1.52 ms). DN_CUDA_GEMV_WARPS overrides it, for
// tuning on other GPUs.
int64_t target_warps() {
    static const int64_t warps = [] {
        const char *v = std::getenv("DN_CUDA_GEMV_WARPS");
        const long n = v ? std::strtol(v, nullptr, 10) : 0;
        return n >= 32 && n <= (1 << 20) ? int64_t(n) : int64_t(6144);
    }();
    return warps;
}

// 16 bytes of W that are read once: skip L1 so that the activation rows stay there.
__device__ __forceinline__ uint4 load_streaming(const void *p) {
#if DN_GPU_PORTABLE
    return __ldg(static_cast<const uint4 *>(p));
#else
    uint4 v;
    asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
        : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
        : "l"(p));
    return v;
#endif
}

// A bfloat16 is the high half of a float32, so widening is exact: the bits shift into place.
__device__ __forceinline__ float bf16_lo(uint32_t pair) { return __uint_as_float(pair << 16); }
__device__ __forceinline__ float bf16_hi(uint32_t pair) { return __uint_as_float(pair & 0xffff0000u); }

// How one lane reads E consecutive weights of a row and widens them to float32: E = 8 (bfloat16)
// or 4 (float32) for one 16-byte load, E = 1 for the scalar fallback when rows are not 16-byte aligned.
template <bool kBf16, int E>
struct WeightLoad;

template <>
struct WeightLoad<true, 8> {
    using Elem = uint16_t;
    using Raw = uint4;
    static __device__ __forceinline__ Raw load(const Elem *p) { return load_streaming(p); }
    static __device__ __forceinline__ void widen(const Raw &r, float (&w)[8]) {
        const uint32_t words[4] = {r.x, r.y, r.z, r.w};
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            w[2 * i] = bf16_lo(words[i]);
            w[2 * i + 1] = bf16_hi(words[i]);
        }
    }
};

template <>
struct WeightLoad<false, 4> {
    using Elem = float;
    using Raw = uint4;
    static __device__ __forceinline__ Raw load(const Elem *p) { return load_streaming(p); }
    static __device__ __forceinline__ void widen(const Raw &r, float (&w)[4]) {
        w[0] = __uint_as_float(r.x);
        w[1] = __uint_as_float(r.y);
        w[2] = __uint_as_float(r.z);
        w[3] = __uint_as_float(r.w);
    }
};

template <>
struct WeightLoad<true, 1> {
    using Elem = uint16_t;
    using Raw = unsigned short;
    static __device__ __forceinline__ Raw load(const Elem *p) { return __ldg(p); }
    static __device__ __forceinline__ void widen(Raw r, float (&w)[1]) { w[0] = bf16_lo(r); }
};

template <>
struct WeightLoad<false, 1> {
    using Elem = float;
    using Raw = float;
    static __device__ __forceinline__ Raw load(const Elem *p) { return __ldg(p); }
    static __device__ __forceinline__ void widen(Raw r, float (&w)[1]) { w[0] = r; }
};

// E activations x[k .. k+E) of one row, float4 loads when the row allows them, through L1 (where every
// warp of the SM finds them) but never the non-coherent path: this kernel is resident, released early,
// while the kernels that write x still run (dependent_launch.cuh), and a non-coherent load then sees
// stale lines (it did: wrong decode on the H100); the wait makes x visible to ordinary loads.
template <int E, bool kVecX>
__device__ __forceinline__ void load_x(const float *p, float (&v)[E]) {
    if constexpr (kVecX && E % 4 == 0) {
#pragma unroll
        for (int i = 0; i < E / 4; ++i) {
            const float4 q = __ldca(reinterpret_cast<const float4 *>(p) + i);
            v[4 * i] = q.x;
            v[4 * i + 1] = q.y;
            v[4 * i + 2] = q.z;
            v[4 * i + 3] = q.w;
        }
    } else {
#pragma unroll
        for (int i = 0; i < E; ++i) v[i] = __ldca(p + i);
    }
}

// acc[r][m] += sum_e W[r][k + e] * x[m][k + e] for one lane's E weights of each of the kRows rows.
template <int M, bool kBf16, int E, bool kVecX>
__device__ __forceinline__ void fma_chunk(const typename WeightLoad<kBf16, E>::Raw (&raw)[kRows], const float *x,
                                          int64_t x_stride, float (&acc)[kRows][M]) {
    float w[kRows][E];
#pragma unroll
    for (int r = 0; r < kRows; ++r) WeightLoad<kBf16, E>::widen(raw[r], w[r]);
#pragma unroll
    for (int m = 0; m < M; ++m) {
        float xv[E];
        load_x<E, kVecX>(x + m * x_stride, xv);
#pragma unroll
        for (int r = 0; r < kRows; ++r)
#pragma unroll
            for (int e = 0; e < E; ++e) acc[r][m] = fmaf(w[r][e], xv[e], acc[r][m]);
    }
}

__host__ __device__ constexpr int ceil_pow2(int v) { return v <= 1 ? 1 : 2 * ceil_pow2((v + 1) / 2); }
__host__ __device__ constexpr int log2_exact(int v) { return v <= 1 ? 0 : 1 + log2_exact(v / 2); }

// One halving step of warp_reduce_scatter and the steps after it (templates keep every index a
// compile-time constant, so v stays in registers): lanes with bit 32*Half/V set keep the upper half
// of the values and trade the lower half with the partner lane across that bit.
template <int V, int Half>
__device__ __forceinline__ void halve_values(float (&v)[V], int lane) {
    if constexpr (Half >= 1) {
        constexpr int kBit = 32 * Half / V;
        const bool upper = (lane & kBit) != 0;
#pragma unroll
        for (int i = 0; i < Half; ++i) {
            const float send = upper ? v[i] : v[i + Half];
            const float keep = upper ? v[i + Half] : v[i];
            v[i] = keep + __shfl_xor_sync(0xffffffffu, send, kBit);
        }
        halve_values<V, Half / 2>(v, lane);
    }
}

// Sums V (a power of two <= 32) values over the warp and leaves the total of value j in the lanes
// whose top log2(V) bits are j. Trading halves costs V - 1 + 5 - log2(V) shuffles instead of 5 * V.
template <int V>
__device__ __forceinline__ float warp_reduce_scatter(float (&v)[V], int lane) {
    halve_values<V, V / 2>(v, lane);
    float total = v[0];
#pragma unroll
    for (int offset = 16 / V; offset > 0; offset >>= 1) total += __shfl_xor_sync(0xffffffffu, total, offset);
    return total;
}

// Several matrices multiplied by the same activation rows in one launch (a layer's q, k and v
// projections, say): the grid's blocks are cut into consecutive ranges, one per matrix.
struct GemvTargets {
    int count;
    const void *w[kMaxGemvTargets];
    int64_t n[kMaxGemvTargets];
    float *y[kMaxGemvTargets];
    int64_t y_stride[kMaxGemvTargets];
    int64_t first_block[kMaxGemvTargets + 1];
};

template <int M, bool kBf16, int E, bool kVecX>
__global__ void __launch_bounds__(kMaxSplit * 32)
    gemv_kernel(const float *__restrict__ x, int64_t x_stride, const GemvTargets targets, int64_t K) {
    using Load = WeightLoad<kBf16, E>;
    using Elem = typename Load::Elem;
    constexpr int kUnroll = E == 1 ? 4 : 2;  // 16-byte loads in flight per lane: kUnroll * kRows
    constexpr int kChunk = 32 * E;            // elements of a row one warp-wide load covers
    // Chunks loaded before the wait for x. 4 instead of 2 measured slower (H100, 1.3B DeltaNet batch 1:
    // 1.40 vs 1.32 ms a step): the extra registers cost more resident warps than the loads gain.
    constexpr int kPreload = kUnroll;

    int t = 0;
    while (t + 1 < targets.count && int64_t(blockIdx.x) >= targets.first_block[t + 1]) ++t;
    const Elem *W = static_cast<const Elem *>(targets.w[t]);
    const int64_t N = targets.n[t];
    float *__restrict__ y = targets.y[t];
    const int64_t y_stride = targets.y_stride[t];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int splits = blockDim.x >> 5;
    const int64_t n0 = (int64_t(blockIdx.x) - targets.first_block[t]) * kRows;

    // Rows past N (last block only) read row N-1 again; their sums are dropped.
    const Elem *rows[kRows];
#pragma unroll
    for (int r = 0; r < kRows; ++r) rows[r] = W + (n0 + r < N ? n0 + r : N - 1) * K;

    float acc[kRows][M];
#pragma unroll
    for (int r = 0; r < kRows; ++r)
#pragma unroll
        for (int m = 0; m < M; ++m) acc[r][m] = 0.0f;

    const int64_t full = K / kChunk;
    const int64_t lane_k = int64_t(lane) * E;
    // W is never written by a kernel, so a warp's first kPreload chunks load before the wait for x: a
    // product released a few short kernels early (dependent_launch.cuh) then streams its weights while
    // those run, instead of leaving HBM idle until its turn.
    dependent_kernel_release();
    int64_t c = warp;
    typename Load::Raw first[kPreload][kRows];
#pragma unroll
    for (int u = 0; u < kPreload; ++u)
        if (c + u * splits < full)
#pragma unroll
            for (int r = 0; r < kRows; ++r) first[u][r] = Load::load(rows[r] + (c + u * splits) * kChunk + lane_k);
    dependent_kernel_wait();  // x comes from the previous kernel
#pragma unroll
    for (int u = 0; u < kPreload; ++u)
        if (c + u * splits < full)
            fma_chunk<M, kBf16, E, kVecX>(first[u], x + (c + u * splits) * kChunk + lane_k, x_stride, acc);
    c += int64_t(kPreload) * splits;
    for (; c + int64_t(kUnroll - 1) * splits < full; c += int64_t(kUnroll) * splits) {
        typename Load::Raw raw[kUnroll][kRows];
#pragma unroll
        for (int u = 0; u < kUnroll; ++u)
#pragma unroll
            for (int r = 0; r < kRows; ++r) raw[u][r] = Load::load(rows[r] + (c + u * splits) * kChunk + lane_k);
#pragma unroll
        for (int u = 0; u < kUnroll; ++u)
            fma_chunk<M, kBf16, E, kVecX>(raw[u], x + (c + u * splits) * kChunk + lane_k, x_stride, acc);
    }
    for (; c < full; c += splits) {
        typename Load::Raw raw[kRows];
#pragma unroll
        for (int r = 0; r < kRows; ++r) raw[r] = Load::load(rows[r] + c * kChunk + lane_k);
        fma_chunk<M, kBf16, E, kVecX>(raw, x + c * kChunk + lane_k, x_stride, acc);
    }
    // The last K % kChunk columns, one element per thread of the block.
    for (int64_t k = full * kChunk + threadIdx.x; k < K; k += blockDim.x) {
        typename WeightLoad<kBf16, 1>::Raw raw[kRows];
#pragma unroll
        for (int r = 0; r < kRows; ++r) raw[r] = WeightLoad<kBf16, 1>::load(rows[r] + k);
        fma_chunk<M, kBf16, 1, false>(raw, x + k, x_stride, acc);
    }

    // Value j = r * M + m of every lane, summed into the lanes whose top bits are j.
    constexpr int kValues = kRows * M;
    constexpr int kPadded = ceil_pow2(kValues);
    constexpr int kOwnerShift = 5 - log2_exact(kPadded);
    float v[kPadded];
#pragma unroll
    for (int j = 0; j < kPadded; ++j) v[j] = j < kValues ? acc[j / M][j % M] : 0.0f;
    const float total = warp_reduce_scatter<kPadded>(v, lane);
    const int j = lane >> kOwnerShift;
    const bool owner = (lane & ((1 << kOwnerShift) - 1)) == 0;

    auto store = [&](int value, float sum) {
        const int64_t n = n0 + value / M;
        if (n < N) y[(value % M) * y_stride + n] = sum;
    };
    if (splits == 1) {
        if (owner && j < kValues) store(j, total);
        return;
    }
    __shared__ float partial[kMaxSplit][32];
    if (owner) partial[warp][j] = total;
    __syncthreads();
    if (threadIdx.x < kValues) {
        float sum = 0.0f;
        for (int w = 0; w < splits; ++w) sum += partial[w][threadIdx.x];
        store(threadIdx.x, sum);
    }
}

struct GemvLaunch {
    const float *x;
    int64_t x_stride;
    GemvTargets targets;
    int64_t K;
    dim3 grid, block;
    cudaStream_t stream;
};

template <int M, bool kBf16, int E, bool kVecX>
void launch(const GemvLaunch &a) {
    launch_dependent(gemv_kernel<M, kBf16, E, kVecX>, a.grid, a.block, 0, a.stream, "gemv", a.x, a.x_stride, a.targets,
                     a.K);
}

template <int M>
void launch_rows(const GemvLaunch &a, bool w_bf16, bool vec_w, bool vec_x) {
    if (w_bf16) {
        if (!vec_w) launch<M, true, 1, false>(a);
        else if (vec_x) launch<M, true, 8, true>(a);
        else launch<M, true, 8, false>(a);
    } else {
        if (!vec_w) launch<M, false, 1, false>(a);
        else if (vec_x) launch<M, false, 4, true>(a);
        else launch<M, false, 4, false>(a);
    }
}

bool aligned16(const void *p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

void gemv(const float *x, int64_t x_stride, int M, const void *W, bool w_bf16, int64_t N, int64_t K, float *y,
          int64_t y_stride, cudaStream_t stream) {
    const GemvTarget target{W, N, y, y_stride};
    gemv_many(x, x_stride, M, &target, 1, w_bf16, K, stream);
}

void gemv_many(const float *x, int64_t x_stride, int M, const GemvTarget *targets, int count, bool w_bf16, int64_t K,
               cudaStream_t stream) {
    if (M < 1 || M > kGemvMaxRows) fail(DN_ERR_INVALID_ARGUMENT, "gemv: M = ", M, " is outside 1..", kGemvMaxRows);
    if (count < 1 || count > kMaxGemvTargets)
        fail(DN_ERR_INVALID_ARGUMENT, "gemv: ", count, " matrices (1..", kMaxGemvTargets, " per launch)");
    const int64_t elem_bytes = w_bf16 ? 2 : 4;
    GemvTargets t{};
    t.count = count;
    int64_t blocks = 0, min_blocks = INT64_MAX;
    // 16-byte loads need every row of W to start on a 16-byte boundary, and every activation row too.
    bool vec_w = (K * elem_bytes) % 16 == 0;
    for (int i = 0; i < count; ++i) {
        t.w[i] = targets[i].W;
        t.n[i] = targets[i].N;
        t.y[i] = targets[i].y;
        t.y_stride[i] = targets[i].y_stride;
        t.first_block[i] = blocks;
        const int64_t b = (std::max<int64_t>(targets[i].N, 0) + kRows - 1) / kRows;
        blocks += b;
        min_blocks = std::min(min_blocks, b);
        vec_w = vec_w && aligned16(targets[i].W);
    }
    t.first_block[count] = blocks;
    if (blocks == 0) return;
    if (min_blocks == 0) fail(DN_ERR_INVALID_ARGUMENT, "gemv: a matrix has no rows");
    if (blocks > INT_MAX) fail(DN_ERR_UNSUPPORTED, "gemv: ", blocks * kRows, " rows are too many for one launch");
    const bool vec_x = aligned16(x) && x_stride % 4 == 0;
    const int64_t chunk = vec_w ? 32 * (16 / elem_bytes) : 32;
    const int64_t unroll = vec_w ? 2 : 4;

    // Split K over more warps only while the rows alone leave the GPU short of warps, and only
    // while each warp keeps at least one full unrolled step of chunks.
    int splits = 1;
    while (splits < kMaxSplit && blocks * splits < target_warps() && K / chunk >= 2 * splits * unroll) splits *= 2;

    const GemvLaunch a{x, x_stride, t, K, dim3(unsigned(blocks)), dim3(unsigned(32 * splits)), stream};
    switch (M) {
        case 1: launch_rows<1>(a, w_bf16, vec_w, vec_x); break;
        case 2: launch_rows<2>(a, w_bf16, vec_w, vec_x); break;
        case 3: launch_rows<3>(a, w_bf16, vec_w, vec_x); break;
        case 4: launch_rows<4>(a, w_bf16, vec_w, vec_x); break;
        case 5: launch_rows<5>(a, w_bf16, vec_w, vec_x); break;
        case 6: launch_rows<6>(a, w_bf16, vec_w, vec_x); break;
        case 7: launch_rows<7>(a, w_bf16, vec_w, vec_x); break;
        default: launch_rows<8>(a, w_bf16, vec_w, vec_x); break;
    }
    check_launch("gemv");
}

}  // namespace dn::cuda
