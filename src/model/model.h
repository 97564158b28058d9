// A loaded model: its validated config and its weights prepared on one backend. Immutable after
// load, so any number of threads may run it at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "core/model_config.h"
#include "model/serial.h"
#include "model/weights.h"

namespace dn {

struct DeltaLayerWeights {
    std::unique_ptr<DeviceMatrix> q_proj, k_proj, v_proj, a_proj, b_proj, g_proj, o_proj;
    float *q_conv = nullptr, *k_conv = nullptr, *v_conv = nullptr;  // [D][W]
    float *A_log = nullptr, *dt_bias = nullptr;                      // Gated DeltaNet
    float *o_norm = nullptr;                                         // [head_v_dim]
};

struct AttentionLayerWeights {
    std::unique_ptr<DeviceMatrix> q_proj, k_proj, v_proj, o_proj;
    float *q_bias = nullptr, *k_bias = nullptr, *v_bias = nullptr;
};

struct LayerWeights {
    float *attn_norm = nullptr;
    float *mlp_norm = nullptr;
    DeltaLayerWeights delta;          // delta-rule layers
    AttentionLayerWeights attention;  // softmax-attention layers
    std::unique_ptr<DeviceMatrix> gate_proj, up_proj, down_proj;
};

struct LoadOptions {
    dn_precision precision = DN_PRECISION_EXACT;
    bool mapped_weights = false;  // DN_WEIGHTS_MAPPED
    dn_progress_fn progress = nullptr;
    void *progress_user_data = nullptr;
};

class Model {
public:
    // Loads `directory` for `backend`. Throws dn::Error with the status of the first problem found.
    Model(Backend &backend, std::string device, const std::string &directory, const LoadOptions &options);
    ~Model();
    Model(const Model &) = delete;
    Model &operator=(const Model &) = delete;

    const ModelConfig &config() const { return config_; }
    Backend &backend() const { return *backend_; }
    const std::string &device() const { return device_; }
    const LayerWeights &layer(int i) const { return layers_[size_t(i)]; }
    const DeviceMatrix &embeddings() const { return *embeddings_; }
    const DeviceMatrix &lm_head() const { return lm_head_ ? *lm_head_ : *embeddings_; }
    const float *final_norm() const { return final_norm_; }

    dn_precision precision() const { return precision_; }
    uint64_t serial() const { return serial_; }
    uint64_t fingerprint() const { return fingerprint_; }
    DType weight_dtype() const { return weight_dtype_; }
    uint64_t weight_bytes() const { return weight_bytes_; }
    uint64_t num_params() const { return num_params_; }

private:
    float *vector(const TensorView &tensor);

    ModelConfig config_;
    Backend *backend_;
    std::string device_;
    std::unique_ptr<CheckpointFiles> files_;
    std::unique_ptr<DeviceMatrix> embeddings_, lm_head_;
    float *final_norm_ = nullptr;
    std::vector<LayerWeights> layers_;
    std::vector<float *> vectors_;  // every prepare_vector() buffer, released in the destructor
    dn_precision precision_ = DN_PRECISION_EXACT;
    const uint64_t serial_ = next_serial();
    uint64_t fingerprint_ = 0;
    DType weight_dtype_ = DType::F32;
    uint64_t weight_bytes_ = 0;
    uint64_t num_params_ = 0;
};

}  // namespace dn
