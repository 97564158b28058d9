// Checksums and fingerprints for state blobs: FNV-1a (64-bit), which is fast, simple and plenty for
// detecting corruption (it is not a defence against an adversary).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dn {

constexpr uint64_t kFnvOffset = 1469598103934665603ull;

uint64_t fnv1a64(const void *data, size_t size, uint64_t seed = kFnvOffset);
inline uint64_t fnv1a64(std::string_view text, uint64_t seed = kFnvOffset) {
    return fnv1a64(text.data(), text.size(), seed);
}

}  // namespace dn
