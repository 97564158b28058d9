#include "core/weight_manifest.h"

#include "core/error.h"

namespace dn {

std::string layer_prefix(int layer) { return cat("model.layers.", layer, "."); }

std::vector<TensorSpec> weight_manifest(const ModelConfig &c) {
    using R = TensorRole;
    const int64_t H = c.hidden_size;
    std::vector<TensorSpec> specs;
    auto add = [&](std::string name, std::vector<int64_t> shape, R role) {
        specs.push_back({std::move(name), std::move(shape), role});
    };
    add("model.embeddings.weight", {c.vocab_size, H}, R::Matrix);
    for (int i = 0; i < c.num_layers; ++i) {
        const std::string p = layer_prefix(i);
        add(p + "attn_norm.weight", {H}, R::Vector);
        if (c.is_attention_layer(i)) {
            const AttentionConfig &a = *c.attention[size_t(i)];
            const int64_t kv = int64_t(a.num_kv_heads) * a.head_dim;
            add(p + "attn.q_proj.weight", {H, H}, R::Matrix);
            add(p + "attn.k_proj.weight", {kv, H}, R::Matrix);
            add(p + "attn.v_proj.weight", {kv, H}, R::Matrix);
            if (a.qkv_bias) {
                add(p + "attn.q_proj.bias", {H}, R::Vector);
                add(p + "attn.k_proj.bias", {kv}, R::Vector);
                add(p + "attn.v_proj.bias", {kv}, R::Vector);
            }
            add(p + "attn.o_proj.weight", {H, H}, R::Matrix);
        } else {
            add(p + "attn.q_proj.weight", {c.key_dim, H}, R::Matrix);
            add(p + "attn.k_proj.weight", {c.key_dim, H}, R::Matrix);
            add(p + "attn.v_proj.weight", {c.value_dim, H}, R::Matrix);
            if (c.family == DN_FAMILY_GATED_DELTANET) {
                add(p + "attn.a_proj.weight", {c.num_v_heads, H}, R::Matrix);
                add(p + "attn.b_proj.weight", {c.num_v_heads, H}, R::Matrix);
                add(p + "attn.A_log", {c.num_v_heads}, R::Vector);
                add(p + "attn.dt_bias", {c.num_v_heads}, R::Vector);
            } else if (c.use_beta) {
                add(p + "attn.b_proj.weight", {c.num_v_heads, H}, R::Matrix);
            }
            if (c.use_short_conv) {
                add(p + "attn.q_conv1d.weight", {c.key_dim, 1, c.conv_size}, R::Conv);
                add(p + "attn.k_conv1d.weight", {c.key_dim, 1, c.conv_size}, R::Conv);
                add(p + "attn.v_conv1d.weight", {c.value_dim, 1, c.conv_size}, R::Conv);
            }
            if (c.use_gate) add(p + "attn.g_proj.weight", {c.value_dim, H}, R::Matrix);
            add(p + "attn.o_norm.weight", {c.head_v_dim}, R::Vector);
            add(p + "attn.o_proj.weight", {H, c.value_dim}, R::Matrix);
        }
        add(p + "mlp_norm.weight", {H}, R::Vector);
        add(p + "mlp.gate_proj.weight", {c.intermediate_size, H}, R::Matrix);
        add(p + "mlp.up_proj.weight", {c.intermediate_size, H}, R::Matrix);
        add(p + "mlp.down_proj.weight", {H, c.intermediate_size}, R::Matrix);
    }
    add("model.norm.weight", {H}, R::Vector);
    if (!c.tie_word_embeddings) add("lm_head.weight", {c.vocab_size, H}, R::Matrix);
    return specs;
}

}  // namespace dn
