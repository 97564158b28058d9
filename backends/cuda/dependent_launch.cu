#include <cstdlib>
#include <cstring>
#include <string>

#include "backends/cuda/dependent_launch.cuh"

namespace dn::cuda {

bool feature_enabled(const char *feature) {
    const char *list = std::getenv("DN_CUDA_DISABLE");
    if (!list || !*list) return true;
    const std::string padded = std::string(",") + list + ",";
    return padded.find(std::string(",") + feature + ",") == std::string::npos;
}

bool dependent_launch_enabled() {
#if DN_GPU_PORTABLE
    return false;  // no dependent launches (launch_dependent launches the ordinary way)
#else
    static const bool allowed = feature_enabled("pdl");
    constexpr int kMaxDevices = 64;
    static signed char capable[kMaxDevices] = {};  // 0 unknown, 1 yes, -1 no; races only repeat the query
    int device = 0;
    if (!allowed || cudaGetDevice(&device) != cudaSuccess || device < 0 || device >= kMaxDevices) return false;
    if (capable[device] == 0) {
        int major = 0;
        cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
        capable[device] = major >= 9 ? 1 : -1;
    }
    return capable[device] == 1;
#endif
}

}  // namespace dn::cuda
