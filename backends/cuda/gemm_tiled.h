// The portable tiled matrix product (gemm_tiled.cu, steps in gemm_tiled.cuh): GemmArgs's product with
// plain float32 FMAs, for builds without cuBLASLt or hipBLAS. Enqueues on `stream`; throws dn::Error
// when the launch fails.
#pragma once

#include "backends/cuda/gemm.h"
#include "backends/cuda/gpu_runtime.h"

namespace dn::cuda {

void gemm_tiled(const GemmArgs &args, cudaStream_t stream);

}  // namespace dn::cuda
