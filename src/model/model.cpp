#include "model/model.h"

#include <algorithm>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <utility>
#include <vector>

#include "core/checksum.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "core/weight_manifest.h"

namespace dn {

namespace {

std::string shape_text(const std::vector<int64_t> &shape) {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i) text += cat(i ? ", " : "", shape[i]);
    return text + "]";
}

// Reads one byte per page so that the first forward does not stall on page faults, and so that
// progress means something for large models.
uint64_t touch_pages(const TensorView &t) {
    volatile uint64_t sink = 0;
    for (uint64_t offset = 0; offset < t.nbytes; offset += 4096) sink = sink + uint64_t(t.data[offset]);
    return sink;
}

}  // namespace

Model::Model(Backend &backend, std::string device, const std::string &directory, const LoadOptions &options)
    : backend_(&backend), device_(std::move(device)) {
    const std::string config_path = (std::filesystem::path(directory) / "config.json").string();
    if (!std::filesystem::is_directory(directory)) fail(DN_ERR_IO, "model directory ", directory, " does not exist");
    config_ = parse_model_config(read_text_file(config_path), config_path);
    files_ = std::make_unique<CheckpointFiles>(directory);

    // Check every tensor before preparing any: name, dtype and shape against the config.
    const std::vector<TensorSpec> manifest = weight_manifest(config_);
    std::map<std::string, const TensorView *> found;
    std::map<DType, uint64_t> bytes_by_dtype;
    uint64_t total_bytes = 0;
    for (const TensorSpec &spec : manifest) {
        const TensorView *t = files_->find(spec.name);
        if (!t) fail(DN_ERR_MODEL_MISMATCH, directory, ": tensor '", spec.name, "' is missing from the checkpoint");
        if (t->dtype != DType::F32 && t->dtype != DType::BF16 && t->dtype != DType::F16)
            fail(DN_ERR_MODEL_MISMATCH, directory, ": tensor '", spec.name, "' has dtype ", dtype_name(t->dtype),
                 "; expected F32, BF16 or F16");
        if (t->shape != spec.shape)
            fail(DN_ERR_MODEL_MISMATCH, directory, ": tensor '", spec.name, "' has shape ", shape_text(t->shape),
                 " but the config needs ", shape_text(spec.shape));
        found[spec.name] = t;
        bytes_by_dtype[t->dtype] += t->nbytes;
        total_bytes += t->nbytes;
        num_params_ += uint64_t(t->numel());
    }
    weight_bytes_ = total_bytes;
    weight_dtype_ = std::max_element(bytes_by_dtype.begin(), bytes_by_dtype.end(),
                                     [](auto &a, auto &b) { return a.second < b.second; })->first;

    // The fingerprint identifies the math (config) and, cheaply, the weights: names, shapes, dtypes
    // and a sample of each tensor's bytes. State blobs carry it.
    fingerprint_ = fnv1a64(config_.canonical());
    for (const TensorSpec &spec : manifest) {
        const TensorView *t = found[spec.name];
        fingerprint_ = fnv1a64(spec.name, fingerprint_);
        fingerprint_ = fnv1a64(dtype_name(t->dtype), fingerprint_);
        const uint64_t sample = std::min<uint64_t>(t->nbytes, 256);
        fingerprint_ = fnv1a64(t->data, sample, fingerprint_);
        fingerprint_ = fnv1a64(t->data + (t->nbytes - sample), sample, fingerprint_);
    }

    uint64_t done = 0;
    auto tensor = [&](const std::string &name) -> const TensorView & {
        const TensorView &t = *found.at(name);
        touch_pages(t);
        done += t.nbytes;
        if (options.progress && options.progress(done, total_bytes, options.progress_user_data))
            fail(DN_ERR_INVALID_ARGUMENT, "loading ", directory, " was cancelled");
        return t;
    };
    precision_ = options.precision;
    const MatrixOptions matrix_options(options.precision, options.mapped_weights);
    auto matrix = [&](const std::string &name) { return backend_->prepare_matrix(tensor(name), matrix_options); };
    // Matrices multiplied by the same rows, in the order forward.cpp passes them to matmul_many(): the
    // backend may stack them and cover them with one product.
    auto matrices = [&](std::initializer_list<std::pair<std::string, std::unique_ptr<DeviceMatrix> *>> list) {
        std::vector<const TensorView *> views;
        for (const auto &[name, out] : list) views.push_back(&tensor(name));
        auto prepared = backend_->prepare_matrices(views.data(), views.size(), matrix_options);
        size_t i = 0;
        for (const auto &[name, out] : list) *out = std::move(prepared.at(i++));
    };
    auto vec = [&](const std::string &name) { return vector(tensor(name)); };

    try {
        embeddings_ = matrix("model.embeddings.weight");
        layers_.resize(size_t(config_.num_layers));
        for (int i = 0; i < config_.num_layers; ++i) {
            const std::string p = layer_prefix(i);
            LayerWeights &L = layers_[size_t(i)];
            L.attn_norm = vec(p + "attn_norm.weight");
            if (config_.is_attention_layer(i)) {
                AttentionLayerWeights &A = L.attention;
                A.q_proj = matrix(p + "attn.q_proj.weight");
                A.k_proj = matrix(p + "attn.k_proj.weight");
                A.v_proj = matrix(p + "attn.v_proj.weight");
                A.o_proj = matrix(p + "attn.o_proj.weight");
                if (config_.attention[size_t(i)]->qkv_bias) {
                    A.q_bias = vec(p + "attn.q_proj.bias");
                    A.k_bias = vec(p + "attn.k_proj.bias");
                    A.v_bias = vec(p + "attn.v_proj.bias");
                }
            } else {
                DeltaLayerWeights &D = L.delta;
                const bool gated = config_.family == DN_FAMILY_GATED_DELTANET;
                if (gated)
                    matrices({{p + "attn.q_proj.weight", &D.q_proj}, {p + "attn.k_proj.weight", &D.k_proj},
                              {p + "attn.v_proj.weight", &D.v_proj}, {p + "attn.b_proj.weight", &D.b_proj},
                              {p + "attn.a_proj.weight", &D.a_proj}});
                else if (config_.use_beta)
                    matrices({{p + "attn.q_proj.weight", &D.q_proj}, {p + "attn.k_proj.weight", &D.k_proj},
                              {p + "attn.v_proj.weight", &D.v_proj}, {p + "attn.b_proj.weight", &D.b_proj}});
                else
                    matrices({{p + "attn.q_proj.weight", &D.q_proj}, {p + "attn.k_proj.weight", &D.k_proj},
                              {p + "attn.v_proj.weight", &D.v_proj}});
                if (gated) {
                    D.A_log = vec(p + "attn.A_log");
                    D.dt_bias = vec(p + "attn.dt_bias");
                }
                if (config_.use_short_conv) {
                    D.q_conv = vec(p + "attn.q_conv1d.weight");
                    D.k_conv = vec(p + "attn.k_conv1d.weight");
                    D.v_conv = vec(p + "attn.v_conv1d.weight");
                }
                if (config_.use_gate) D.g_proj = matrix(p + "attn.g_proj.weight");
                D.o_norm = vec(p + "attn.o_norm.weight");
                D.o_proj = matrix(p + "attn.o_proj.weight");
            }
            L.mlp_norm = vec(p + "mlp_norm.weight");
            matrices({{p + "mlp.gate_proj.weight", &L.gate_proj}, {p + "mlp.up_proj.weight", &L.up_proj}});
            L.down_proj = matrix(p + "mlp.down_proj.weight");
        }
        final_norm_ = vec("model.norm.weight");
        if (!config_.tie_word_embeddings) lm_head_ = matrix("lm_head.weight");
    } catch (...) {
        for (float *v : vectors_) backend_->release(v);
        vectors_.clear();
        throw;
    }
}

Model::~Model() {
    for (float *v : vectors_) backend_->release(v);
}

float *Model::vector(const TensorView &tensor) {
    vectors_.reserve(vectors_.size() + 1);  // so that push_back cannot throw after the allocation
    float *v = backend_->prepare_vector(tensor);
    vectors_.push_back(v);
    return v;
}

}  // namespace dn
