#include "api/guard.h"
#include "api/handles.h"

using namespace dn;
using namespace dn::api;

namespace {

const Model &model_of(const dn_model *model) {
    require(model, "model");
    return *model->model;
}

template <typename T, typename Getter>
dn_status get(const dn_model *model, T *out, const char *what, Getter getter) {
    return guarded([&] {
        const Model &m = model_of(model);
        require(out, what);
        *out = getter(m);
    });
}

}  // namespace

extern "C" {

dn_status dn_model_options_init(dn_model_options *options) {
    return guarded([&] {
        require(options, "options");
        *options = dn_model_options{};
        options->struct_size = sizeof(dn_model_options);
        options->precision = DN_PRECISION_EXACT;
        options->weights = DN_WEIGHTS_COPY;
    });
}

dn_status dn_model_load(dn_stream *stream, const char *path, const dn_model_options *options, dn_model **out_model) {
    return guarded([&] {
        require(stream, "stream");
        require(path, "path");
        require(out_model, "out_model");
        check_struct_size(options, offsetof(dn_model_options, progress_user_data) + sizeof(void *),
                          "dn_model_options");
        LoadOptions load;
        if (options) {
            const auto precision = raw_enum(options->precision);
            if (precision != DN_PRECISION_EXACT && precision != DN_PRECISION_FAST)
                fail(DN_ERR_INVALID_ARGUMENT, "dn_model_options.precision is ", int64_t(precision),
                     ", not a dn_precision");
            load.precision = options->precision;
            load.progress = options->progress;
            load.progress_user_data = options->progress_user_data;
            if (options->struct_size >= offsetof(dn_model_options, weights) + sizeof(dn_weight_memory)) {
                const auto weights = raw_enum(options->weights);
                if (weights != DN_WEIGHTS_COPY && weights != DN_WEIGHTS_MAPPED)
                    fail(DN_ERR_INVALID_ARGUMENT, "dn_model_options.weights is ", int64_t(weights),
                         ", not a dn_weight_memory");
                load.mapped_weights = options->weights == DN_WEIGHTS_MAPPED;
            }
        }
        StreamScope scope(*stream);
        auto handle = std::make_unique<dn_model>();
        handle->model = std::make_shared<Model>(*stream->backend, stream->device, path, load);
        stream->queue->synchronize();  // weights complete before any stream of the device reads them
        *out_model = handle.release();
    });
}

dn_status dn_model_free(dn_model *model) {
    return guarded([&] { delete model; });
}

dn_status dn_model_family(const dn_model *model, dn_family *out) {
    return get(model, out, "out_family", [](const Model &m) { return m.config().family; });
}
dn_status dn_model_vocab_size(const dn_model *model, int32_t *out) {
    return get(model, out, "out_vocab_size", [](const Model &m) { return int32_t(m.config().vocab_size); });
}
dn_status dn_model_num_layers(const dn_model *model, int32_t *out) {
    return get(model, out, "out_num_layers", [](const Model &m) { return int32_t(m.config().num_layers); });
}
dn_status dn_model_hidden_size(const dn_model *model, int32_t *out) {
    return get(model, out, "out_hidden_size", [](const Model &m) { return int32_t(m.config().hidden_size); });
}
dn_status dn_model_num_attention_layers(const dn_model *model, int32_t *out) {
    return get(model, out, "out_count", [](const Model &m) { return int32_t(m.config().num_attention_layers()); });
}
dn_status dn_model_weight_dtype(const dn_model *model, dn_dtype *out) {
    return get(model, out, "out_dtype", [](const Model &m) {
        switch (m.weight_dtype()) {
            case DType::BF16: return DN_DTYPE_BF16;
            case DType::F16: return DN_DTYPE_F16;
            default: return DN_DTYPE_F32;
        }
    });
}
dn_status dn_model_weight_bytes(const dn_model *model, uint64_t *out) {
    return get(model, out, "out_bytes", [](const Model &m) { return m.weight_bytes(); });
}
dn_status dn_model_num_params(const dn_model *model, uint64_t *out) {
    return get(model, out, "out_params", [](const Model &m) { return m.num_params(); });
}
dn_status dn_model_state_bytes(const dn_model *model, uint64_t *out) {
    return get(model, out, "out_bytes", [](const Model &m) { return State::bytes_for(m.config(), 0); });
}
dn_status dn_model_special_tokens(const dn_model *model, int32_t *out_bos, int32_t *out_eos) {
    return guarded([&] {
        const Model &m = model_of(model);
        require(out_bos, "out_bos");
        require(out_eos, "out_eos");
        *out_bos = m.config().bos_token_id;
        *out_eos = m.config().eos_token_id;
    });
}

}  // extern "C"
