// Programmatic dependent launch (Hopper and later): a kernel launched with launch_dependent() may
// start while the kernel before it on the stream is still finishing, so its launch, block
// scheduling and any prologue that reads no earlier results overlap the previous kernel's tail.
// Decode runs ~10 kernels per layer, each costing a few µs of launch gap and ramp inside a CUDA
// graph: on an H100 this took a 1.3B DeltaNet's batch-1 step from 1.70 to 1.52 ms. (Prefetching
// the weights into L2 before the wait measured no better.)
//
// The contract: every kernel launched with launch_dependent() calls dependent_kernel_begin() (in
// every block, before any early return) before it reads or writes anything another kernel
// produces or consumes. That call waits until the previous kernel has completed and its writes are
// visible, which also keeps ordering transitive along the stream. Kernels launched the ordinary
// way (<<<>>>, cuBLASLt) keep full stream ordering.
#pragma once

#include "backends/cuda/gpu_runtime.h"

#include <utility>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/features.h"

namespace dn::cuda {

__device__ __forceinline__ void dependent_kernel_begin() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900 && !DN_GPU_PORTABLE
    asm volatile("griddepcontrol.wait;" ::: "memory");
    // This kernel's own successor may now be scheduled (and run its prologue) beside this one.
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// Whether launch_dependent() asks for overlap: compute capability 9.0 or later, "pdl" enabled.
bool dependent_launch_enabled();

template <typename... Params, typename... Args>
void launch_dependent(void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream,
                      const char *what, Args &&...args) {
#if DN_GPU_PORTABLE
    // No dependent launches (HIP has none): an ordinary launch, fully stream-ordered.
    kernel<<<grid, block, shared_bytes, stream>>>(std::forward<Args>(args)...);
    check(cudaGetLastError(), what);
#else
    cudaLaunchAttribute attribute[1] = {};
    attribute[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attribute[0].val.programmaticStreamSerializationAllowed = 1;
    cudaLaunchConfig_t config = {};
    config.gridDim = grid;
    config.blockDim = block;
    config.dynamicSmemBytes = shared_bytes;
    config.stream = stream;
    config.attrs = attribute;
    config.numAttrs = dependent_launch_enabled() ? 1 : 0;
    check(cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...), what);
#endif
}

}  // namespace dn::cuda
