// The sampler's random numbers: xoshiro256** seeded through splitmix64 (both published by Blackman
// and Vigna, written here from their descriptions). Only integer arithmetic and one exact conversion,
// so a seed gives the same numbers with every compiler and standard library, unlike std::
// distributions, whose algorithms are implementation-defined.
#pragma once

#include <cstdint>

namespace dn::text {

class Random {
public:
    explicit Random(uint64_t seed = 0) { seed_with(seed); }

    // splitmix64 spreads any seed (0 included) over the 256-bit state, which must not be all zero;
    // its outputs never are four zeros in a row.
    void seed_with(uint64_t seed) {
        for (uint64_t &word : s_) {
            seed += 0x9e3779b97f4a7c15ull;
            uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            word = z ^ (z >> 31);
        }
    }

    uint64_t next() {
        const uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    // Uniform in [0, 1): the top 53 bits as a multiple of 2^-53 (exact in a double).
    double uniform() { return double(next() >> 11) * 0x1.0p-53; }

private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    uint64_t s_[4];
};

}  // namespace dn::text
