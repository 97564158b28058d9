// Choosing the next token from logits: bias, penalties, greedy or top-k / top-p / min-p /
// temperature with a seeded generator whose draws are the same on every platform.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <utility>
#include <vector>

#include "text/random.h"

namespace dn::text {

struct SamplerOptions {
    float temperature = 0.8f;  // 0: greedy (argmax, lowest id wins ties)
    int32_t top_k = 40;        // 0: off
    float top_p = 0.95f;       // 1: off; 0 keeps only the top token
    float min_p = 0.05f;       // 0: off
    float repetition_penalty = 1.0f;
    float presence_penalty = 0.0f;
    float frequency_penalty = 0.0f;
    int32_t penalty_last_n = 64;  // -1: all accepted tokens
    uint64_t seed = 0;
    std::vector<std::pair<int32_t, float>> logit_bias;
};

class Sampler {
public:
    // Throws dn::Error(DN_ERR_INVALID_ARGUMENT) for options out of range (see text.h).
    Sampler(const SamplerOptions &options, int32_t vocab_size);

    // Throws DN_ERR_INVALID_ARGUMENT when every token is banned or logits.size() != vocab_size().
    int32_t sample(std::span<const float> logits);
    void accept(std::span<const int32_t> tokens);  // throws DN_ERR_TOKEN_OUT_OF_RANGE, records nothing then
    void reset(uint64_t seed);
    int32_t vocab_size() const;

private:
    struct Candidate {
        float logit;
        int32_t id;
        double weight;  // exp(logit - max) at temperature 1, later at the sampling temperature
    };

    void apply_bias_and_penalties(std::span<const float> logits);
    int32_t greedy() const;
    void collect_candidates();
    void collect_top_k(size_t k);
    void sort_prefix(size_t n);
    void top_p();
    void min_p();
    int32_t draw();
    void record(int32_t token);

    SamplerOptions options_;
    int32_t vocab_ = 0;
    bool penalties_on_ = false;
    Random random_;

    // History for the penalties: the window's tokens (unused when penalty_last_n is -1, which keeps
    // only counts), each token's count in the window, and the ids whose count may be nonzero.
    std::deque<int32_t> window_;
    std::vector<int32_t> counts_;
    std::vector<int32_t> seen_;
    std::vector<uint8_t> listed_;

    // Scratch kept between calls so that sample() allocates only on its first call.
    std::vector<float> logits_;
    std::vector<Candidate> candidates_;
    size_t sorted_ = 0;   // candidates_[0, sorted_) are the largest, in final order
    float max_logit_ = 0;
    bool weighted_ = false;  // weights hold exp(logit - max) at temperature 1
};

}  // namespace dn::text
