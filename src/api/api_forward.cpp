#include <limits>
#include <unordered_set>

#include "api/guard.h"
#include "api/handles.h"

using namespace dn;
using namespace dn::api;

namespace {

void check_pairing(const dn_stream *stream, const dn_model *model, const dn_state *state) {
    if (&state->state->model() != model->model.get())
        fail(DN_ERR_STATE_MISMATCH, "the state was created for another model");
    if (stream->backend != &model->model->backend())
        fail(DN_ERR_STATE_MISMATCH, "the stream is on device '", stream->device, "' but the model is on '",
             model->model->device(), "'");
}

void check_tokens(const int32_t *tokens, size_t n, int32_t vocab) {
    for (size_t i = 0; i < n; ++i)
        if (tokens[i] < 0 || tokens[i] >= vocab)
            fail(DN_ERR_TOKEN_OUT_OF_RANGE, "token ", i, " is ", tokens[i], ", outside the vocabulary [0, ", vocab, ")");
}

void check_room(const State &state, size_t n) {
    if (int64_t(n) > state.room())
        fail(DN_ERR_CONTEXT_FULL, "the state holds ", state.position(), " tokens of its ", state.max_context(),
             "-token attention cache; ", n, " more do not fit (create the state with a larger max_context)");
}

void check_capacity(size_t needed, size_t capacity) {
    if (capacity < needed)
        fail(DN_ERR_BUFFER_TOO_SMALL, "the logits buffer holds ", capacity, " floats; ", needed, " are needed");
}

}  // namespace

extern "C" {

dn_status dn_forward(dn_stream *stream, const dn_model *model, dn_state *state, const int32_t *tokens,
                     size_t n_tokens, dn_logits_mode mode, float *logits, size_t logits_capacity) {
    return guarded([&] {
        require(stream, "stream");
        require(model, "model");
        require(state, "state");
        require(tokens, "tokens");
        if (n_tokens == 0) fail(DN_ERR_INVALID_ARGUMENT, "n_tokens is 0");
        const auto raw_mode = raw_enum(mode);
        if (raw_mode != DN_LOGITS_NONE && raw_mode != DN_LOGITS_LAST && raw_mode != DN_LOGITS_ALL)
            fail(DN_ERR_INVALID_ARGUMENT, "logits mode ", int64_t(raw_mode), " is not a dn_logits_mode");
        check_pairing(stream, model, state);
        const size_t vocab = size_t(model->model->config().vocab_size);
        if (n_tokens > std::numeric_limits<size_t>::max() / vocab / 4)
            fail(DN_ERR_INVALID_ARGUMENT, "n_tokens ", n_tokens, " is too large");
        check_tokens(tokens, n_tokens, int32_t(vocab));
        if (mode != DN_LOGITS_NONE) {
            require(logits, "logits");
            check_capacity(mode == DN_LOGITS_ALL ? n_tokens * vocab : vocab, logits_capacity);
        }
        check_room(*state->state, n_tokens);
        StreamScope scope(*stream);
        const LogitRows rows = mode == DN_LOGITS_ALL ? LogitRows::All
                               : mode == DN_LOGITS_LAST ? LogitRows::Last
                                                        : LogitRows::None;
        run_forward(*model->model, {Sequence{state->state.get(), tokens, int64_t(n_tokens)}}, rows, logits,
                    stream->workspace);
    });
}

dn_status dn_decode_batch(dn_stream *stream, const dn_model *model, dn_state *const *states, const int32_t *tokens,
                          size_t batch, float *logits, size_t logits_capacity) {
    return guarded([&] {
        require(stream, "stream");
        require(model, "model");
        require(states, "states");
        require(tokens, "tokens");
        require(logits, "logits");
        if (batch == 0) fail(DN_ERR_INVALID_ARGUMENT, "batch is 0");
        if (batch > 4096) fail(DN_ERR_INVALID_ARGUMENT, "batch ", batch, " is larger than 4096");
        const size_t vocab = size_t(model->model->config().vocab_size);
        std::unordered_set<const dn_state *> seen;
        for (size_t i = 0; i < batch; ++i) {
            if (!states[i]) fail(DN_ERR_NULL_ARGUMENT, "states[", i, "] is NULL");
            if (!seen.insert(states[i]).second)
                fail(DN_ERR_INVALID_ARGUMENT, "states[", i, "] appears twice in the batch");
            check_pairing(stream, model, states[i]);
            check_room(*states[i]->state, 1);
        }
        check_tokens(tokens, batch, int32_t(vocab));
        check_capacity(batch * vocab, logits_capacity);
        StreamScope scope(*stream);
        std::vector<Sequence> sequences;
        for (size_t i = 0; i < batch; ++i) sequences.push_back(Sequence{states[i]->state.get(), tokens + i, 1});
        run_forward(*model->model, sequences, LogitRows::Last, logits, stream->workspace);
    });
}

}  // extern "C"
