// Gemm (gemm.h) in portable builds: hipBLAS where the HIP build found it (DN_HIP_HIPBLAS, ROCm 6 and
// later), else the tiled kernels of gemm_tiled.cu (Debian's HIP has no BLAS; CUDA's portable
// configuration leaves cuBLASLt out on purpose).
#include "backends/cuda/gemm.h"

#include <cstdint>
#include <mutex>

#include "backends/cuda/gemm_tiled.h"
#include "core/error.h"

#if DN_HIP_HIPBLAS
#define HIPBLAS_V2  // hipDataType and hipblasComputeType_t (the only API from hipBLAS 3)
#include <hipblas/hipblas.h>
#endif

namespace dn::cuda {

#if DN_HIP_HIPBLAS
namespace {

void check_blas(hipblasStatus_t status, const char *what) {
    if (status != HIPBLAS_STATUS_SUCCESS)
        fail(status == HIPBLAS_STATUS_ALLOC_FAILED ? DN_ERR_OUT_OF_MEMORY : DN_ERR_DEVICE, "hipBLAS ", what, ": ",
             hipblasStatusToString(status));
}

// One handle serves every queue of the device: binding it to a stream and enqueueing is one step.
std::mutex blas_mutex;

}  // namespace

Gemm::Gemm() {
    hipblasHandle_t handle = nullptr;
    check_blas(hipblasCreate(&handle), "create");
    blas_ = handle;
}

Gemm::~Gemm() {
    if (blas_) hipblasDestroy(static_cast<hipblasHandle_t>(blas_));
}

// Column-major, as gemm.cpp: y^T (N x M, ldy) = W (K x N seen transposed, ld K)^T x^T (K x M, ldx).
void Gemm::run(const GemmArgs &g, void *, cudaStream_t stream) {
    if (g.M <= 0 || g.N <= 0) return;
    if (g.M > INT32_MAX || g.N > INT32_MAX || g.K > INT32_MAX || g.ldx > INT32_MAX || g.ldy > INT32_MAX)
        fail(DN_ERR_UNSUPPORTED, "hipBLAS: a ", g.M, " x ", g.N, " x ", g.K, " product exceeds 32-bit sizes");
    const hipDataType in = g.bf16 ? HIP_R_16BF : HIP_R_32F;
    const float one = 1.0f, zero = 0.0f;
    auto handle = static_cast<hipblasHandle_t>(blas_);
    std::lock_guard lock(blas_mutex);
    check_blas(hipblasSetStream(handle, stream), "set stream");
    check_blas(hipblasGemmEx(handle, HIPBLAS_OP_T, HIPBLAS_OP_N, int(g.N), int(g.M), int(g.K), &one, g.w, in,
                             int(g.K), g.x, in, int(g.ldx), &zero, g.y, HIP_R_32F, int(g.ldy), HIPBLAS_COMPUTE_32F,
                             HIPBLAS_GEMM_DEFAULT),
               "gemm");
}
#else
Gemm::Gemm() = default;
Gemm::~Gemm() = default;

void Gemm::run(const GemmArgs &g, void *, cudaStream_t stream) { gemm_tiled(g, stream); }
#endif

}  // namespace dn::cuda
