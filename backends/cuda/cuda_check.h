// Turning CUDA and cuBLAS errors into dn::Error, so that they reach the caller as a dn_status.
#pragma once

#include "backends/cuda/gpu_runtime.h"

#include "core/error.h"

namespace dn::cuda {

// Throws dn::Error: DN_ERR_OUT_OF_MEMORY for cudaErrorMemoryAllocation, DN_ERR_DEVICE otherwise,
// with `what` and CUDA's own description.
[[noreturn]] void throw_cuda_error(cudaError_t error, const char *what);

inline void check(cudaError_t error, const char *what) {
    if (error != cudaSuccess) throw_cuda_error(error, what);
}

// After a kernel launch: a bad configuration (too much shared memory, a zero-sized grid) shows here.
inline void check_launch(const char *kernel) { check(cudaGetLastError(), kernel); }

}  // namespace dn::cuda
