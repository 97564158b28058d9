// The portable tiled matrix product: the kernel that runs gemm_tiled.cuh's steps, and its launcher.
#include "backends/cuda/gemm_tiled.h"

#include <cstdint>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/gemm_tiled.cuh"
#include "core/error.h"

namespace dn::cuda {

namespace {

template <bool kBf16>
__global__ __launch_bounds__(tiled::kThreads) void gemm_tiled_kernel(const tiled::Operands o) {
    __shared__ __align__(16) float xs[tiled::kTileK][tiled::kPitch];
    __shared__ __align__(16) float ws[tiled::kTileK][tiled::kPitch];
    const int tid = int(threadIdx.x);
    const int64_t m0 = int64_t(blockIdx.y) * tiled::kTileM, n0 = int64_t(blockIdx.x) * tiled::kTileN;
    float acc[4][4] = {};
    float xr[4], wr[4];
    tiled::fetch<kBf16>(o, m0, n0, 0, tid, xr, wr);
    for (int64_t k0 = 0; k0 < o.K; k0 += tiled::kTileK) {
        tiled::stage(xs, ws, tid, xr, wr);
        __syncthreads();
        // The next slice's loads are in flight while this one is multiplied.
        if (k0 + tiled::kTileK < o.K) tiled::fetch<kBf16>(o, m0, n0, k0 + tiled::kTileK, tid, xr, wr);
        tiled::multiply(xs, ws, tid, acc);
        __syncthreads();  // before the next stage() overwrites the slice
    }
    tiled::store(o, m0, n0, tid, acc);
}

}  // namespace

void gemm_tiled(const GemmArgs &g, cudaStream_t stream) {
    if (g.M <= 0 || g.N <= 0) return;
    const int64_t tiles_m = (g.M + tiled::kTileM - 1) / tiled::kTileM;
    const int64_t tiles_n = (g.N + tiled::kTileN - 1) / tiled::kTileN;
    if (tiles_m > 65535 || tiles_n > int64_t(INT32_MAX))
        fail(DN_ERR_UNSUPPORTED, "tiled matrix product: ", g.M, " x ", g.N, " is too large for one launch");
    const tiled::Operands o{g.x, g.ldx, g.w, g.y, g.ldy, g.M, g.N, g.K};
    const dim3 grid(static_cast<unsigned>(tiles_n), static_cast<unsigned>(tiles_m));
    if (g.bf16) gemm_tiled_kernel<true><<<grid, tiled::kThreads, 0, stream>>>(o);
    else gemm_tiled_kernel<false><<<grid, tiled::kThreads, 0, stream>>>(o);
    check_launch("gemm_tiled_kernel");
}

}  // namespace dn::cuda
