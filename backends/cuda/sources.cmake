# The GPU plugin's sources, shared by the CUDA plugin (backends/cuda/CMakeLists.txt) and the HIP
# plugin (backends/hip/CMakeLists.txt), relative to backends/cuda/.
#   dn_gpu_sources           every build: the backend, the kernels, their launchers
#   dn_gpu_nvidia_sources    CUDA only: cuBLASLt products, the tensor-core (mma.sync) delta rule
#   dn_gpu_portable_sources  portable builds (HIP; CUDA with DN_CUDA_PORTABLE) instead: hipBLAS or
#                            tiled products, the tensor-core delta rule's stand-in (gpu_runtime.h)
set(dn_gpu_sources
  cuda_backend.cpp
  cuda_check.cpp
  gemv.cu
  dependent_launch.cu
  elementwise.cu
  short_conv.cu
  short_conv_rows.cu
  decode_inputs.cu
  delta_rule.cu
  delta_rule_rows.cu
  attention.cu)
set(dn_gpu_nvidia_sources
  gemm.cpp
  delta_rule_tc.cu
  delta_rule_tc_split.cu)
set(dn_gpu_portable_sources
  gemm_portable.cpp
  gemm_tiled.cu
  delta_rule_tc_portable.cpp)
