// Matrix products of many rows through cuBLASLt: y[M][N] (float32, row stride ldy) = x[M][K] W^T
// with W [N][K] row-major. bf16: x and W are bfloat16 (products on the tensor cores, float32
// accumulation); otherwise both are float32 and the math is float32 throughout.
// Portable builds (gpu_runtime.h) implement this class in gemm_portable.cpp instead of gemm.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>

#include "backends/cuda/gpu_runtime.h"
#if !DN_GPU_PORTABLE
#include <cublasLt.h>
#endif

namespace dn::cuda {

struct GemmArgs {
    int64_t M = 0, N = 0, K = 0;
    const void *x = nullptr; int64_t ldx = 0;
    const void *w = nullptr;
    bool bf16 = false;
    float *y = nullptr; int64_t ldy = 0;
};

class Gemm {
public:
    Gemm();
    ~Gemm();
    Gemm(const Gemm &) = delete;
    Gemm &operator=(const Gemm &) = delete;

    // `workspace`: kWorkspaceBytes of device memory for this stream's products. Enqueues on `stream`.
    void run(const GemmArgs &args, void *workspace, cudaStream_t stream);

    static constexpr size_t kWorkspaceBytes = size_t(32) << 20;

private:
#if DN_GPU_PORTABLE
    // gemm_portable.cpp: hipBLAS where the HIP build has it (DN_HIP_HIPBLAS), else the tiled kernels
    // of gemm_tiled.cu.
    [[maybe_unused]] void *blas_ = nullptr;
#else
    using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, bool>;  // M N K ldx ldy bf16
    struct Plan;
    const Plan &plan_for(const GemmArgs &args);

    cublasLtHandle_t handle_ = nullptr;
    std::mutex mutex_;
    std::map<Key, Plan *> plans_;  // chosen algorithms, kept for the backend's lifetime
#endif
};

}  // namespace dn::cuda
