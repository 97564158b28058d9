#include "api/guard.h"
#include "api/handles.h"

using namespace dn;
using namespace dn::api;

extern "C" {

dn_status dn_state_options_init(dn_state_options *options) {
    return guarded([&] {
        require(options, "options");
        *options = dn_state_options{};
        options->struct_size = sizeof(dn_state_options);
        options->max_context = 0;
    });
}

dn_status dn_state_create(const dn_model *model, const dn_state_options *options, dn_state **out_state) {
    return guarded([&] {
        require(model, "model");
        require(out_state, "out_state");
        check_struct_size(options, offsetof(dn_state_options, max_context) + sizeof(int64_t), "dn_state_options");
        int64_t max_context = 0;
        if (options) {
            if (options->max_context < 0 || options->max_context > (int64_t(1) << 32))
                fail(DN_ERR_INVALID_ARGUMENT, "dn_state_options.max_context is ", options->max_context);
            max_context = options->max_context;
        }
        auto handle = std::make_unique<dn_state>();
        handle->model = model->model;
        handle->state = std::make_unique<State>(*model->model, max_context);
        *out_state = handle.release();
    });
}

dn_status dn_state_reset(dn_state *state) {
    return guarded([&] {
        require(state, "state");
        state->state->reset();
    });
}

dn_status dn_state_clone(const dn_state *state, dn_state **out_state) {
    return guarded([&] {
        require(state, "state");
        require(out_state, "out_state");
        auto handle = std::make_unique<dn_state>();
        handle->model = state->model;
        handle->state = std::make_unique<State>(*state->state);
        *out_state = handle.release();
    });
}

dn_status dn_state_position(const dn_state *state, int64_t *out_position) {
    return guarded([&] {
        require(state, "state");
        require(out_position, "out_position");
        *out_position = state->state->position();
    });
}

dn_status dn_state_save_size(const dn_state *state, size_t *out_size) {
    return guarded([&] {
        require(state, "state");
        require(out_size, "out_size");
        *out_size = state->state->blob_size();
    });
}

dn_status dn_state_save(const dn_state *state, void *buffer, size_t capacity, size_t *out_written) {
    return guarded([&] {
        require(state, "state");
        require(buffer, "buffer");
        const size_t needed = state->state->blob_size();
        if (capacity < needed)
            fail(DN_ERR_BUFFER_TOO_SMALL, "state blob needs ", needed, " bytes; the buffer has ", capacity);
        state->state->save(buffer);
        if (out_written) *out_written = needed;
    });
}

dn_status dn_state_load(dn_state *state, const void *buffer, size_t size) {
    return guarded([&] {
        require(state, "state");
        require(buffer, "buffer");
        state->state->load(buffer, size);
    });
}

dn_status dn_state_free(dn_state *state) {
    return guarded([&] { delete state; });
}

}  // extern "C"
