// One sequence's memory for a model: per delta-rule layer the state matrices [Hv][dv][dk] and the
// short-convolution tails [W-1][D] of q, k and v; per attention layer a ring of keys and values.
// Everything lives in one device buffer so that clone, save and load are single copies.
#pragma once

#include <cstdint>
#include <vector>

#include "model/model.h"

namespace dn {

struct LayerState {
    float *S = nullptr;                                     // delta rule
    float *q_tail = nullptr, *k_tail = nullptr, *v_tail = nullptr;
    float *k_cache = nullptr, *v_cache = nullptr;           // attention
    int64_t capacity = 0;                                   // rows of the ring
};

class State {
public:
    // max_context: rows of a global attention layer's cache (0 = max_position_embeddings).
    State(const Model &model, int64_t max_context);
    State(const State &other);  // deep copy
    ~State();
    State &operator=(const State &) = delete;

    const Model &model() const { return *model_; }
    int64_t position() const { return position_; }
    uint64_t serial() const { return serial_; }
    void advance(int64_t tokens) { position_ += tokens; }
    int64_t max_context() const { return max_context_; }
    // Tokens a global-attention layer can still take; INT64_MAX if the model has none.
    int64_t room() const;
    const LayerState &layer(int i) const { return layers_[size_t(i)]; }

    void reset();
    size_t floats() const { return floats_; }
    static uint64_t bytes_for(const ModelConfig &config, int64_t max_context);

    // Serialised form (see state.cpp for the layout).
    size_t blob_size() const;
    void save(void *buffer) const;
    // Validates the blob completely before changing anything.
    void load(const void *blob, size_t size);

private:
    void layout();
    uint64_t layout_hash() const;

    const Model *model_;
    const uint64_t serial_ = next_serial();
    int64_t max_context_ = 0;
    int64_t position_ = 0;
    float *buffer_ = nullptr;
    size_t floats_ = 0;
    std::vector<LayerState> layers_;
};

}  // namespace dn
