// The per-thread steps of the portable tiled matrix product (gemm_tiled.cu): y[M][N] (float32, row
// stride ldy) = x[M][K] W^T, W [N][K] row-major (dense), x with row stride ldx; x and W both bfloat16
// or both float32, products and sums in float32. No PTX, no tensor cores: plain FMAs that nvcc and
// hipcc both compile, for the HIP build without hipBLAS and for CUDA's portable configuration.
//
// A block of kThreads threads computes a kTileM x kTileN tile of y, walking K in slices of kTileK:
// each thread fetches 4 elements of the x slice and 4 of the W slice into registers (the next slice
// is fetched while the current one is multiplied), stores them transposed into shared memory, and
// accumulates a 4 x 4 piece of the tile from float4 reads of it. Everything past M, N or K reads as
// zero and is never written, so any shape works.
//
// DN_GEMM_EMULATE (tests/test_gemm_tiled_emulated.cpp only): the host harness supplies __device__,
// __forceinline__ and float4, and runs these steps for every thread of a block in turn.
#pragma once

#include <cstdint>

namespace dn::cuda::tiled {

inline constexpr int kTileM = 64, kTileN = 64, kTileK = 16;
inline constexpr int kThreads = 256;       // 16 x 16 threads, each a 4 x 4 piece of the tile
inline constexpr int kPitch = kTileM + 4;  // shared row pitch (floats): float4-aligned, fewer bank conflicts
static_assert(kTileM == kTileN, "one pitch and one fetch pattern serve both operands");
static_assert(kTileM * kTileK == 4 * kThreads, "each thread fetches 4 elements of each operand");

struct Operands {
    const void *x;
    int64_t ldx;
    const void *w;  // [N][K], row stride K
    float *y;
    int64_t ldy;
    int64_t M, N, K;
};

// Element i of a bfloat16 or float32 array, as float32 (bfloat16 widens exactly: its bits shift up).
template <bool kBf16>
__device__ __forceinline__ float element(const void *p, int64_t i) {
    if constexpr (kBf16) {
        const uint32_t bits = uint32_t(static_cast<const uint16_t *>(p)[i]) << 16;
        float f;
        __builtin_memcpy(&f, &bits, sizeof f);
        return f;
    } else {
        return static_cast<const float *>(p)[i];
    }
}

// Thread `tid` fetches, for the slice at k0, column k0 + tid % 16 of tile rows tid / 16 + 16 j
// (j < 4) of x (rows from m0) and of W (rows from n0): 16 consecutive threads read 16 consecutive
// elements of one row.
template <bool kBf16>
__device__ __forceinline__ void fetch(const Operands &o, int64_t m0, int64_t n0, int64_t k0, int tid, float (&xr)[4],
                                      float (&wr)[4]) {
    const int64_t k = k0 + tid % kTileK;
    const bool k_in = k < o.K;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
        const int r = tid / kTileK + (kThreads / kTileK) * j;
        xr[j] = k_in && m0 + r < o.M ? element<kBf16>(o.x, (m0 + r) * o.ldx + k) : 0.0f;
        wr[j] = k_in && n0 + r < o.N ? element<kBf16>(o.w, (n0 + r) * o.K + k) : 0.0f;
    }
}

// The fetched elements into shared memory, transposed: xs[k][m], ws[k][n].
__device__ __forceinline__ void stage(float (*xs)[kPitch], float (*ws)[kPitch], int tid, const float (&xr)[4],
                                      const float (&wr)[4]) {
    const int k = tid % kTileK;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
        const int r = tid / kTileK + (kThreads / kTileK) * j;
        xs[k][r] = xr[j];
        ws[k][r] = wr[j];
    }
}

// acc[i][j] += sum over the slice of x[4 ty + i][k] W[4 tx + j][k], ty = tid / 16, tx = tid % 16.
__device__ __forceinline__ void multiply(const float (*xs)[kPitch], const float (*ws)[kPitch], int tid,
                                         float (&acc)[4][4]) {
    const int ty = tid / 16, tx = tid % 16;
#pragma unroll
    for (int k = 0; k < kTileK; ++k) {
        const float4 a = *reinterpret_cast<const float4 *>(&xs[k][4 * ty]);
        const float4 b = *reinterpret_cast<const float4 *>(&ws[k][4 * tx]);
        const float av[4] = {a.x, a.y, a.z, a.w}, bv[4] = {b.x, b.y, b.z, b.w};
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
            for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
}

// The thread's 4 x 4 piece into y, inside M x N only.
__device__ __forceinline__ void store(const Operands &o, int64_t m0, int64_t n0, int tid, const float (&acc)[4][4]) {
    const int ty = tid / 16, tx = tid % 16;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int64_t m = m0 + 4 * ty + i;
        if (m >= o.M) continue;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const int64_t n = n0 + 4 * tx + j;
            if (n < o.N) o.y[m * o.ldy + n] = acc[i][j];
        }
    }
}

}  // namespace dn::cuda::tiled
