// The generation loop: sample a token, stream its text, feed it back, until a stop condition.
// Independent of devices and of the C API: the model is reached through a feed function.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "text/sampler.h"
#include "text/tokenizer.h"

namespace dn::text {

enum class StopReason { Eos, String, MaxTokens, Cancelled };

struct GenerateConfig {
    int32_t max_tokens = 256;
    std::vector<int32_t> stop_ids;  // the eos id is added here by the caller when it should stop there
    std::vector<std::string> stop_strings;
};

// Feeds `tokens` into the sequence; when `logits` is non-null, writes the last position's logits
// there (vocabulary size floats).
using FeedFn = std::function<void(std::span<const int32_t> tokens, float *logits)>;
// Receives each released piece of text with the token that produced it (-1 for text released at the
// end of the stream). Returns false to stop.
using EmitFn = std::function<bool(std::string_view text, int32_t token)>;

struct GenerateOutcome {
    int64_t generated = 0;  // tokens sampled (an eos or stop id included)
    StopReason reason = StopReason::MaxTokens;
};

// Starts from `logits` (the prompt's last position, already fed) and generates. Every sampled token
// is fed before returning, so the sequence ends up holding all of them; the sampler accepts each.
GenerateOutcome generate(const Tokenizer &tokenizer, Sampler &sampler, const GenerateConfig &config,
                         std::vector<float> logits, const FeedFn &feed, const EmitFn &emit);

}  // namespace dn::text
