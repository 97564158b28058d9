// Serial numbers that tell objects apart for the whole process, where an address may be reused by
// a later object (cached CUDA graphs are keyed by the models and states they were recorded for).
#pragma once

#include <atomic>
#include <cstdint>

namespace dn {

inline uint64_t next_serial() {
    static std::atomic<uint64_t> counter{0};
    return ++counter;
}

}  // namespace dn
