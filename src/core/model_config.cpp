#include "core/model_config.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "core/json_release.h"

namespace dn {

namespace {

using nlohmann::json;

// Upper bounds far above any real checkpoint, so that sizes and their products (state bytes,
// tensor shapes) stay far from overflowing, and a config alone cannot make the loader allocate
// absurd amounts before any weight is read.
constexpr int64_t kMaxCount = int64_t(1) << 40;  // positions, window sizes
constexpr int64_t kMaxWidth = int64_t(1) << 20;  // hidden, intermediate and head sizes
constexpr int64_t kMaxHeads = int64_t(1) << 12;
constexpr int64_t kMaxLayers = int64_t(1) << 12;
constexpr int64_t kMaxVocab = int64_t(1) << 24;
constexpr int64_t kMaxConv = int64_t(1) << 10;
constexpr double kMaxRatio = 1024;  // hidden_ratio, expand_k, expand_v

// Typed access to config fields with messages that name the field.
class Fields {
public:
    Fields(const json &object, std::string source) : object_(object), source_(std::move(source)) {}

    bool has(const char *name) const {
        auto it = object_.find(name);
        return it != object_.end() && !it->is_null();
    }
    int64_t integer(const char *name, int64_t fallback, int64_t min = 0, int64_t max = kMaxCount) const {
        if (!has(name)) return fallback;
        const json &value = object_.at(name);
        if (!value.is_number_integer()) bad(name, "must be an integer");
        // A value above INT64_MAX reads as negative through get<int64_t>(): check the unsigned form.
        if (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t(max))
            bad(name, cat("is out of range (", value.get<uint64_t>(), " > ", max, ")"));
        const int64_t v = value.get<int64_t>();
        if (v < min || v > max) bad(name, cat("is out of range (", v, "; allowed ", min, " to ", max, ")"));
        return v;
    }
    // A size that the library holds in an int.
    int size(const char *name, int64_t fallback, int64_t max) const { return int(integer(name, fallback, 1, max)); }
    double number(const char *name, double fallback) const {
        if (!has(name)) return fallback;
        const json &value = object_.at(name);
        if (!value.is_number() || !std::isfinite(value.get<double>())) bad(name, "must be a finite number");
        return value.get<double>();
    }
    bool boolean(const char *name, bool fallback) const {
        if (!has(name)) return fallback;
        const json &value = object_.at(name);
        if (!value.is_boolean()) bad(name, "must be true or false");
        return value.get<bool>();
    }
    std::string text(const char *name, const std::string &fallback) const {
        if (!has(name)) return fallback;
        const json &value = object_.at(name);
        if (!value.is_string()) bad(name, "must be a string");
        return value.get<std::string>();
    }
    [[noreturn]] void bad(const char *name, const std::string &why) const {
        fail(DN_ERR_MALFORMED_FILE, source_, ": field '", name, "' ", why);
    }
    [[noreturn]] void unsupported(const char *name, const std::string &why) const {
        fail(DN_ERR_UNSUPPORTED, source_, ": field '", name, "' ", why);
    }

private:
    const json &object_;
    std::string source_;
};

void parse_attention(const json &attn, ModelConfig &config, const std::string &source) {
    config.attention.assign(size_t(config.num_layers), std::nullopt);
    if (attn.is_null()) return;
    // Pointers, not copies: copying a hostile file's deeply nested value recurses once per level.
    std::vector<const json *> specs;
    if (attn.is_object()) specs.push_back(&attn);
    else if (attn.is_array())
        for (const json &spec : attn) specs.push_back(&spec);
    else fail(DN_ERR_MALFORMED_FILE, source, ": field 'attn' must be null, an object or a list of objects");
    for (const json *spec_pointer : specs) {
        const json &spec = *spec_pointer;
        if (!spec.is_object()) fail(DN_ERR_MALFORMED_FILE, source, ": field 'attn' holds a non-object entry");
        Fields f(spec, source + " (attn)");
        if (!f.has("layers") || !spec.at("layers").is_array()) f.bad("layers", "must be a list of layer indices");
        AttentionConfig a;
        a.num_heads = int(f.integer("num_heads", 0, 1, kMaxHeads));
        if (a.num_heads == 0) f.bad("num_heads", "is required");
        a.num_kv_heads = f.size("num_kv_heads", a.num_heads, kMaxHeads);
        a.qkv_bias = f.boolean("qkv_bias", false);
        a.window_size = f.integer("window_size", 0, 1);
        a.rope_theta = f.number("rope_theta", 10000.0);
        if (a.rope_theta <= 0) f.bad("rope_theta", "must be positive");
        if (config.hidden_size % a.num_heads != 0) f.bad("num_heads", "must divide hidden_size");
        if (a.num_heads % a.num_kv_heads != 0) f.bad("num_kv_heads", "must divide num_heads");
        a.head_dim = config.hidden_size / a.num_heads;
        if (a.head_dim % 2 != 0) f.unsupported("num_heads", "gives an odd head size, which rotary embeddings cannot use");
        if (f.boolean("qk_norm", false))
            f.unsupported("qk_norm", "is not applied by fla's hybrid blocks; a checkpoint with it is not one fla makes");
        for (const json &layer : spec.at("layers")) {
            if (!layer.is_number_integer()) f.bad("layers", "must hold integers");
            const int64_t index = layer.get<int64_t>();
            if (index < 0 || index >= config.num_layers)
                f.bad("layers", cat("holds layer ", index, ", outside [0, ", config.num_layers, ")"));
            if (config.attention[size_t(index)]) f.bad("layers", cat("assigns layer ", index, " twice"));
            config.attention[size_t(index)] = a;
        }
    }
}

QKActivation parse_qk_activation(const Fields &f) {
    const std::string name = f.text("qk_activation", "silu");
    if (name == "silu") return QKActivation::Silu;
    if (name == "relu") return QKActivation::Relu;
    if (name == "elu") return QKActivation::Elu;
    if (name == "identity") return QKActivation::Identity;
    f.unsupported("qk_activation", cat("is '", name, "'; supported: silu, relu, elu, identity"));
}

QKNorm parse_qk_norm(const Fields &f) {
    const std::string name = f.text("qk_norm", "l2");
    if (name == "l2") return QKNorm::L2;
    if (name == "sum") return QKNorm::Sum;
    f.unsupported("qk_norm", cat("is '", name, "'; supported: l2, sum"));
}

int checked_product(const Fields &f, const char *field, double base, double factor) {
    const double exact = base * factor;
    if (!(factor > 0 && factor <= kMaxRatio) || exact > double(kMaxWidth))
        f.bad(field, cat("is out of range (", factor, ")"));
    if (exact < 1 || std::fabs(exact - std::round(exact)) > 1e-6 * exact)
        f.bad(field, cat("gives a non-integer size (", exact, ")"));
    return int(std::round(exact));
}

}  // namespace

int ModelConfig::num_attention_layers() const {
    int n = 0;
    for (const auto &a : attention) n += a.has_value();
    return n;
}

std::string ModelConfig::canonical() const {
    std::string text = cat("family=", int(family), ";h=", hidden_size, ";L=", num_layers, ";V=", vocab_size,
                           ";I=", intermediate_size, ";act=", int(mlp_activation), ";eps=", norm_eps,
                           ";tie=", tie_word_embeddings, ";hk=", num_k_heads, ";hv=", num_v_heads,
                           ";dk=", head_k_dim, ";dv=", head_v_dim, ";beta=", use_beta, ";gate=", use_gate,
                           ";conv=", use_short_conv, ":", conv_size, ";neg=", allow_neg_eigval,
                           ";qka=", int(qk_activation), ";qkn=", int(qk_norm));
    for (size_t i = 0; i < attention.size(); ++i) {
        if (!attention[i]) continue;
        const auto &a = *attention[i];
        text += cat(";attn", i, "=", a.num_heads, ",", a.num_kv_heads, ",", a.qkv_bias, ",", a.window_size, ",",
                    a.rope_theta);
    }
    return text;
}

ModelConfig parse_model_config(const std::string &json_text, const std::string &source) {
    json root = parse_json_bounded(json_text.data(), json_text.data() + json_text.size(), source);
    const JsonRelease release(root);
    if (root.is_discarded()) fail(DN_ERR_MALFORMED_FILE, source, ": not valid JSON");
    if (!root.is_object()) fail(DN_ERR_MALFORMED_FILE, source, ": not a JSON object");
    Fields f(root, source);

    ModelConfig c;
    const std::string model_type = f.text("model_type", "");
    if (model_type == "delta_net") c.family = DN_FAMILY_DELTANET;
    else if (model_type == "gated_deltanet") c.family = DN_FAMILY_GATED_DELTANET;
    else if (model_type.empty()) f.bad("model_type", "is missing");
    else f.unsupported("model_type", cat("is '", model_type, "'; supported: delta_net, gated_deltanet"));

    if (f.has("attnres_block_size"))
        f.unsupported("attnres_block_size", "(attention residuals) is not supported");

    const bool gated = c.family == DN_FAMILY_GATED_DELTANET;
    c.hidden_size = f.size("hidden_size", 2048, kMaxWidth);
    c.num_layers = f.size("num_hidden_layers", gated ? 21 : 24, kMaxLayers);
    c.vocab_size = f.size("vocab_size", 32000, kMaxVocab);
    c.norm_eps = float(f.number("norm_eps", 1e-6));
    if (c.norm_eps < 0) f.bad("norm_eps", "must not be negative");
    c.tie_word_embeddings = f.boolean("tie_word_embeddings", false);
    c.max_position_embeddings = f.integer("max_position_embeddings", 2048, 1);
    c.bos_token_id = int32_t(f.integer("bos_token_id", -1, 0, INT32_MAX));
    c.eos_token_id = int32_t(f.has("eos_token_id") && root.at("eos_token_id").is_array()
                                 ? -1 : f.integer("eos_token_id", -1, 0, INT32_MAX));

    const std::string act = f.text("hidden_act", "swish");
    if (act == "swish" || act == "silu") c.mlp_activation = MlpActivation::Swish;
    else if (act == "powlu") c.mlp_activation = MlpActivation::PowLU;
    else f.unsupported("hidden_act", cat("is '", act, "'; supported: swish, powlu"));
    if (f.has("intermediate_size")) {
        c.intermediate_size = f.size("intermediate_size", 0, kMaxWidth);
    } else {
        const double ratio = f.number("hidden_ratio", 4);
        if (!(ratio > 0 && ratio <= kMaxRatio)) f.bad("hidden_ratio", cat("is out of range (", ratio, ")"));
        const int64_t raw = int64_t(double(c.hidden_size) * ratio * 2.0 / 3.0);
        c.intermediate_size = int(256 * ((raw + 255) / 256));
        if (c.intermediate_size <= 0) f.bad("hidden_ratio", "gives an empty MLP");
    }

    c.use_short_conv = f.boolean("use_short_conv", true);
    c.conv_size = f.size("conv_size", 4, kMaxConv);
    c.use_gate = f.boolean("use_gate", gated);
    c.allow_neg_eigval = f.boolean("allow_neg_eigval", false);
    c.num_k_heads = f.size("num_heads", gated ? 6 : 16, kMaxHeads);
    if (gated) {
        c.head_k_dim = f.size("head_dim", 256, kMaxWidth);
        c.num_v_heads = f.size("num_v_heads", c.num_k_heads, kMaxHeads);
        if (c.num_v_heads < c.num_k_heads || c.num_v_heads % c.num_k_heads != 0)
            f.unsupported("num_v_heads", cat("is ", c.num_v_heads, "; it must be a multiple of num_heads (",
                                             c.num_k_heads, ")"));
        c.head_v_dim = checked_product(f, "expand_v", c.head_k_dim, f.number("expand_v", 2.0));
        c.use_beta = true;
        c.qk_activation = QKActivation::Silu;
        c.qk_norm = QKNorm::L2;
    } else {
        if (f.has("num_v_heads") && f.integer("num_v_heads", c.num_k_heads, 1, kMaxHeads) != c.num_k_heads)
            f.unsupported("num_v_heads", "differs from num_heads, which delta_net models do not support");
        c.num_v_heads = c.num_k_heads;
        const int key_dim = checked_product(f, "expand_k", c.hidden_size, f.number("expand_k", 1.0));
        const int value_dim = checked_product(f, "expand_v", c.hidden_size, f.number("expand_v", 1.0));
        if (key_dim % c.num_k_heads) f.bad("expand_k", "gives a key size not divisible by num_heads");
        if (value_dim % c.num_k_heads) f.bad("expand_v", "gives a value size not divisible by num_heads");
        c.head_k_dim = key_dim / c.num_k_heads;
        c.head_v_dim = value_dim / c.num_k_heads;
        c.use_beta = f.boolean("use_beta", true);
        c.qk_activation = parse_qk_activation(f);
        c.qk_norm = parse_qk_norm(f);
    }
    if (int64_t(c.num_k_heads) * c.head_k_dim > kMaxWidth || int64_t(c.num_v_heads) * c.head_v_dim > kMaxWidth)
        f.bad("num_heads", cat("makes the key or value width larger than ", kMaxWidth));
    c.key_dim = c.num_k_heads * c.head_k_dim;
    c.value_dim = c.num_v_heads * c.head_v_dim;

    static const json no_attention;  // (a reference either way: `? root.at(...) : json()` would copy)
    parse_attention(root.contains("attn") ? root.at("attn") : no_attention, c, source);
    return c;
}

}  // namespace dn
