#include "backends/cuda/cuda_check.h"

namespace dn::cuda {

void throw_cuda_error(cudaError_t error, const char *what) {
    const dn_status status = error == cudaErrorMemoryAllocation ? DN_ERR_OUT_OF_MEMORY : DN_ERR_DEVICE;
    fail(status, dn::gpu::kRuntimeName, " error in ", what, ": ", cudaGetErrorName(error), " (", cudaGetErrorString(error), ")");
}

}  // namespace dn::cuda
