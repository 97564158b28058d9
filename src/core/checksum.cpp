#include "core/checksum.h"

namespace dn {

uint64_t fnv1a64(const void *data, size_t size, uint64_t seed) {
    const auto *bytes = static_cast<const unsigned char *>(data);
    uint64_t hash = seed;
    // Eight independent lanes would be faster; states are a few MB, hashed once per save/load.
    for (size_t i = 0; i < size; ++i) {
        hash ^= bytes[i];
        hash *= 1099511628211ull;
    }
    return hash;
}

}  // namespace dn
