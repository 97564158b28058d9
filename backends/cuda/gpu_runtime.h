// One kernel source for two GPU runtimes. The CUDA plugin (nvcc) and the HIP plugin (hipcc, AMD GPUs:
// backends/hip/) compile the same files of backends/cuda/; this header is the one place that knows
// which runtime it is. Under CUDA it includes CUDA's runtime and changes nothing; under HIP it
// includes HIP's and maps the CUDA names these sources use onto HIP's (as macros, so that the
// sources keep their CUDA spelling).
//
// DN_GPU_PORTABLE (always on under HIP; on in a CUDA build configured with -DDN_CUDA_PORTABLE=ON):
// every NVIDIA-only path is left out and the plain code that HIP compiles runs instead: PTX inline
// assembly (mma.sync, ldmatrix, cp.async, ld.global.nc, griddepcontrol), thread-block clusters,
// programmatic dependent launch and cuBLASLt. Shared memory is then sized for the 64 KiB that an AMD
// workgroup can have, so that a portable CUDA build on an H100 chooses exactly the kernels that the
// HIP build chooses on an MI200/MI300, and the CUDA tests prove those paths.
//
// Warps: the kernels are written for 32-lane warps (threadIdx.x / 32 is a warp, shuffles reach the
// 32 lanes of one). AMD's CDNA GPUs run 64-lane wavefronts, so there a kernel's warp is half a
// wavefront: every shuffle passes width kWarp, which keeps it inside its 32-lane group, and
// __syncwarp() orders the wavefront's shared-memory accesses (a wavefront runs in lockstep, so
// no lane waits for another).
#pragma once

#if defined(__HIP_PLATFORM_AMD__) || defined(__HIPCC__)
#define DN_GPU_HIP 1
#include <hip/hip_runtime.h>
#else
#define DN_GPU_HIP 0
#include <cuda_runtime.h>
#ifdef __CUDACC__
#include <cuda_bf16.h>
#endif
#endif

#if DN_GPU_HIP
#undef DN_GPU_PORTABLE
#define DN_GPU_PORTABLE 1
#elif !defined(DN_GPU_PORTABLE)
#define DN_GPU_PORTABLE 0
#endif

#include <algorithm>
#include <cstdint>

namespace dn::gpu {

// Lanes of a warp as the kernels see it (on AMD: half a 64-lane wavefront).
inline constexpr int kWarp = 32;

// What this plugin is called where users see it: device strings ("cuda:0" / "hip:0"), messages.
inline constexpr const char *kDeviceKind = DN_GPU_HIP ? "hip" : "cuda";
inline constexpr const char *kRuntimeName = DN_GPU_HIP ? "HIP" : "CUDA";
inline constexpr const char *kPluginFile = DN_GPU_HIP ? "libdeltanet-hip.so" : "libdeltanet-cuda.so";

// Shared memory per block that the portable paths plan with: an AMD workgroup's LDS (CDNA 2 and 3).
inline constexpr int kPortableSharedBytes = 64 * 1024;

}  // namespace dn::gpu

#if DN_GPU_HIP
// ---------------------------------------------------------------- CUDA names on HIP
// Runtime types, constants and calls (those of backends/cuda/ only).
#define cudaError_t hipError_t
#define cudaSuccess hipSuccess
#define cudaErrorMemoryAllocation hipErrorOutOfMemory
#define cudaGetErrorName hipGetErrorName
#define cudaGetErrorString hipGetErrorString
#define cudaGetLastError hipGetLastError
#define cudaStream_t hipStream_t
#define cudaStreamNonBlocking hipStreamNonBlocking
#define cudaStreamCreateWithFlags hipStreamCreateWithFlags
#define cudaStreamDestroy hipStreamDestroy
#define cudaStreamSynchronize hipStreamSynchronize
#define cudaStreamCreateWithPriority hipStreamCreateWithPriority
#define cudaDeviceGetStreamPriorityRange hipDeviceGetStreamPriorityRange
#define cudaStreamWaitEvent hipStreamWaitEvent
#define cudaEvent_t hipEvent_t
#define cudaEventCreateWithFlags hipEventCreateWithFlags
#define cudaEventDisableTiming hipEventDisableTiming
#define cudaEventRecord hipEventRecord
#define cudaEventDestroy hipEventDestroy
#define cudaStreamBeginCapture hipStreamBeginCapture
#define cudaStreamEndCapture hipStreamEndCapture
#define cudaStreamCaptureModeThreadLocal hipStreamCaptureModeThreadLocal
#define cudaGraph_t hipGraph_t
#define cudaGraphExec_t hipGraphExec_t
#define cudaGraphInstantiate hipGraphInstantiateWithFlags  // (exec, graph, flags): CUDA 12's form
#define cudaGraphLaunch hipGraphLaunch
#define cudaGraphDestroy hipGraphDestroy
#define cudaGraphExecDestroy hipGraphExecDestroy
#define cudaGetDeviceCount hipGetDeviceCount
#define cudaSetDevice hipSetDevice
#define cudaGetDevice hipGetDevice
#define cudaDevAttrMultiProcessorCount hipDeviceAttributeMultiprocessorCount
#define cudaDevAttrComputeCapabilityMajor hipDeviceAttributeComputeCapabilityMajor
// CUDA's opt-in limit is "Cuda only" in HIP; AMD has no opt-in, the per-block limit is all there is.
#define cudaDevAttrMaxSharedMemoryPerBlockOptin hipDeviceAttributeMaxSharedMemoryPerBlock
#define cudaMalloc hipMalloc
#define cudaFree hipFree
#define cudaHostAlloc hipHostMalloc
#define cudaHostAllocDefault hipHostMallocDefault
#define cudaFreeHost hipHostFree
#define cudaMemcpy hipMemcpy
#define cudaMemcpyAsync hipMemcpyAsync
#define cudaMemsetAsync hipMemsetAsync
#define cudaMemcpyHostToDevice hipMemcpyHostToDevice
#define cudaMemcpyDeviceToHost hipMemcpyDeviceToHost
#define cudaMemcpyDeviceToDevice hipMemcpyDeviceToDevice
#define cudaFuncAttributeMaxDynamicSharedMemorySize hipFuncAttributeMaxDynamicSharedMemorySize

namespace dn::gpu {
// hipFuncSetAttribute takes the kernel as const void *. AMD has no shared-memory opt-in (a block
// may use the whole LDS without one), so "not supported" for that attribute is success.
template <typename Kernel>
inline hipError_t func_set_attribute(Kernel kernel, hipFuncAttribute attribute, int value) {
    const hipError_t e = hipFuncSetAttribute(reinterpret_cast<const void *>(kernel), attribute, value);
    if (e == hipErrorNotSupported && attribute == hipFuncAttributeMaxDynamicSharedMemorySize) {
        (void)hipGetLastError();
        return hipSuccess;
    }
    return e;
}
}  // namespace dn::gpu
#define cudaFuncSetAttribute ::dn::gpu::func_set_attribute

// Device code: 32-lane shuffles (see the warp note above); the mask is implied by the full warp.
namespace dn::gpu {
template <typename T>
__device__ __forceinline__ T shfl(T v, int src, int width = kWarp) { return __shfl(v, src, width); }
template <typename T>
__device__ __forceinline__ T shfl_xor(T v, int mask, int width = kWarp) { return __shfl_xor(v, mask, width); }
template <typename T>
__device__ __forceinline__ T shfl_up(T v, unsigned delta, int width = kWarp) { return __shfl_up(v, delta, width); }
template <typename T>
__device__ __forceinline__ T shfl_down(T v, unsigned delta, int width = kWarp) { return __shfl_down(v, delta, width); }

// Orders this wavefront's shared-memory accesses around the point (the lanes run in lockstep).
__device__ __forceinline__ void syncwarp() {
    __builtin_amdgcn_fence(__ATOMIC_RELEASE, "workgroup");
    __builtin_amdgcn_wave_barrier();
    __builtin_amdgcn_fence(__ATOMIC_ACQUIRE, "workgroup");
}

// float -> bfloat16 bits, round to nearest even (what __float2bfloat16_rn gives); NaN stays NaN.
__device__ __forceinline__ uint16_t bf16_round(float x) {
    const uint32_t u = __float_as_uint(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40u);
    return uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
}  // namespace dn::gpu
#define __shfl_sync(mask, ...) ((void)(mask), ::dn::gpu::shfl(__VA_ARGS__))
#define __shfl_xor_sync(mask, ...) ((void)(mask), ::dn::gpu::shfl_xor(__VA_ARGS__))
#define __shfl_up_sync(mask, ...) ((void)(mask), ::dn::gpu::shfl_up(__VA_ARGS__))
#define __shfl_down_sync(mask, ...) ((void)(mask), ::dn::gpu::shfl_down(__VA_ARGS__))
#define __syncwarp(...) ::dn::gpu::syncwarp()
// bfloat16 as its 16 bits (the kernels never use a bfloat16 type otherwise).
#define __float2bfloat16_rn(x) ::dn::gpu::bf16_round(x)
#define __bfloat16_as_ushort(bits) (bits)
// Streaming-cache hints (evict first): plain accesses on AMD.
#define __ldcs(p) (*(p))
#define __stcs(p, v) (void)(*(p) = (v))
#define __ldca(p) (*(p))
#define __trap() __builtin_trap()
#endif  // DN_GPU_HIP

#if DN_GPU_PORTABLE
namespace dn::gpu {
// Device attributes, with the shared-memory limits capped at kPortableSharedBytes (see the top).
template <typename Attribute>
inline cudaError_t device_attribute(int *value, Attribute attribute, int device) {
    const cudaError_t e =
#if DN_GPU_HIP
        hipDeviceGetAttribute(value, attribute, device);
#else
        ::cudaDeviceGetAttribute(value, attribute, device);
#endif
    if (e == cudaSuccess && attribute == cudaDevAttrMaxSharedMemoryPerBlockOptin)
        *value = std::min(*value, kPortableSharedBytes);
    return e;
}
}  // namespace dn::gpu
#define cudaDeviceGetAttribute ::dn::gpu::device_attribute
#endif  // DN_GPU_PORTABLE
