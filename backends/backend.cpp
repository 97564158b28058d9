#include "backends/backend.h"

#include <cctype>

#include "backends/cpu/cpu_backend.h"
#include "core/error.h"

namespace dn {

Backend &backend_for_device(const std::string &device) {
    if (device == "cpu") return cpu_backend();
    const auto colon = device.find(':');
    const std::string kind = device.substr(0, colon);
    bool index_ok = colon != std::string::npos && colon + 1 < device.size();
    for (size_t i = colon + 1; index_ok && i < device.size(); ++i)
        index_ok = std::isdigit(static_cast<unsigned char>(device[i]));
    if ((kind == "cuda" || kind == "hip") && index_ok)
        fail(DN_ERR_UNSUPPORTED, "device '", device, "': this build of libdeltanet has no ", kind, " backend");
    fail(DN_ERR_INVALID_ARGUMENT, "device '", device, "' is not one of: cpu, cuda:N, hip:N");
}

}  // namespace dn
