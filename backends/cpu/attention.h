// Softmax attention with rotary embeddings and a ring key/value cache, for the hybrid models'
// attention layers (fla's Attention: RoPE with rotate-half, causal, optional sliding window in which
// each token sees itself and window-1 tokens before it; grouped-query heads).
#pragma once

#include "backends/backend.h"

namespace dn::cpu {

void attention(const AttentionArgs &args);

// Rotates `heads` vectors of `head_dim` at absolute position `position` (rotate-half layout).
void apply_rope(float *x, int heads, int head_dim, int64_t position, double theta);

}  // namespace dn::cpu
