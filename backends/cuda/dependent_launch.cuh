// Programmatic dependent launch (Hopper and later): a kernel launched with launch_dependent() may
// start while the kernel before it on the stream is still finishing, so its launch, block
// scheduling and any prologue that reads no earlier results overlap the previous kernel's tail.
// Decode runs ~10 kernels per layer, each costing a few µs of launch gap and ramp inside a CUDA
// graph: on an H100 this took a 1.3B DeltaNet's batch-1 step from 1.70 to 1.52 ms. Every kernel
// now releases its successor first thing, so a whole run of short kernels is launched at once and the
// next weight product is already resident, loading its first weights into registers (gemv.cu):
// 1.39 -> 1.32 ms. (Prefetching weights into L2 while releasing after the wait measured no better.)
//
// The contract: every kernel launched with launch_dependent() calls dependent_kernel_begin() (or
// dependent_kernel_wait(), in every block, before any early return) before it reads or writes anything
// another kernel produces or consumes; only what no kernel writes (the weights) may be read before it.
// The wait returns once the previous kernel has completed and its writes are visible, and as every
// kernel waits before it completes, ordering stays transitive along the stream however early the
// kernels are released. Two consequences:
// - data another kernel writes is read with ordinary loads, never the non-coherent path (__ldg,
//   ld.global.nc, which assumes data fixed for the kernel's lifetime): a kernel released early is
//   resident while its inputs are still being written, and the non-coherent path then returned
//   stale values (wrong decode on an H100);
// - a kernel that reads, before its wait, what an earlier kernel wrote (delta_rule_rows.cu: the
//   states) must not be overtaken by a later instance of itself, so the writer calls
//   dependent_kernel_wait() only and never releases: its successors launch when it has completed.
// Kernels launched the ordinary way (<<<>>>, cuBLASLt) keep full stream ordering.
#pragma once

#include "backends/cuda/gpu_runtime.h"

#include <utility>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/features.h"

namespace dn::cuda {

// Lets this kernel's successor be scheduled (it runs once every block here has called this or exited).
// Harmless at any point: the successor still waits in dependent_kernel_wait() for this kernel to
// complete. Called first thing, it lets a chain of short kernels launch at once, so that a weight
// product a few kernels ahead is already resident and streaming its weights (see gemv.cu).
__device__ __forceinline__ void dependent_kernel_release() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900 && !DN_GPU_PORTABLE
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// Waits until the previous kernel on the stream has completed and its writes are visible.
__device__ __forceinline__ void dependent_kernel_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900 && !DN_GPU_PORTABLE
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

__device__ __forceinline__ void dependent_kernel_begin() {
    dependent_kernel_release();
    dependent_kernel_wait();
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
