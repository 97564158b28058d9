// The parts of an fla config.json that define the math, validated. Fields this library cannot honour
// are refused with DN_ERR_UNSUPPORTED naming the field; fields that change nothing at inference
// (fuse_*, attn_mode, use_cache, initializer_range, ...) are ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "deltanet/deltanet.h"

namespace dn {

enum class QKActivation { Silu, Relu, Elu, Identity };
enum class QKNorm { L2, Sum };
enum class MlpActivation { Swish, PowLU };

// A softmax-attention layer of a hybrid model (fla's `attn` field).
struct AttentionConfig {
    int num_heads = 0;
    int num_kv_heads = 0;
    int head_dim = 0;        // hidden_size / num_heads
    bool qkv_bias = false;
    int64_t window_size = 0; // 0: global attention; else each token sees itself and window_size-1 before it
    double rope_theta = 10000.0;
};

struct ModelConfig {
    dn_family family = DN_FAMILY_DELTANET;
    int hidden_size = 0;
    int num_layers = 0;
    int vocab_size = 0;
    int intermediate_size = 0;
    MlpActivation mlp_activation = MlpActivation::Swish;
    float norm_eps = 1e-6f;
    bool tie_word_embeddings = false;
    int64_t max_position_embeddings = 2048;
    int32_t bos_token_id = -1;
    int32_t eos_token_id = -1;

    // The delta-rule mixer (both families).
    int num_k_heads = 0;   // query/key heads
    int num_v_heads = 0;   // value heads (> num_k_heads only for Gated DeltaNet's num_v_heads)
    int head_k_dim = 0;
    int head_v_dim = 0;
    int key_dim = 0;       // num_k_heads * head_k_dim
    int value_dim = 0;     // num_v_heads * head_v_dim
    bool use_beta = true;
    bool use_gate = false;         // output gate (g_proj + gated RMSNorm)
    bool use_short_conv = true;
    int conv_size = 4;
    bool allow_neg_eigval = false;
    QKActivation qk_activation = QKActivation::Silu;
    QKNorm qk_norm = QKNorm::L2;

    // One entry per layer: the attention config for softmax-attention layers, empty for delta-rule ones.
    std::vector<std::optional<AttentionConfig>> attention;

    bool is_attention_layer(int layer) const { return attention[size_t(layer)].has_value(); }
    int num_attention_layers() const;
    // A canonical text of every value above: two models with the same text run the same math shapes.
    std::string canonical() const;
};

// Parses config.json text. `source` names the file in messages. Throws DN_ERR_MALFORMED_FILE (not
// JSON, wrong types, inconsistent sizes) or DN_ERR_UNSUPPORTED (model_type, a field's value).
ModelConfig parse_model_config(const std::string &json_text, const std::string &source);

}  // namespace dn
