// libFuzzer target: the token-id inputs of the C API on the bundled kjv model (loaded once, one worker
// thread). Input: a byte of options, then int32 token ids (any value; at most kMaxTokens are used, to
// keep each run short). Runs dn_forward in the chosen logits mode, a dn_decode_batch step, a state
// save/load round trip and a short greedy dn_generate_ids. Out-of-range ids must be refused with
// DN_ERR_TOKEN_OUT_OF_RANGE leaving the state as it was; logits must be finite.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_support.h"

namespace {

constexpr size_t kMaxTokens = 8;

struct Fixture {
    dn_stream *stream = nullptr;
    dn_model *model = nullptr;
    dn_tokenizer *tokenizer = nullptr;
    dn_state *state = nullptr, *other = nullptr;
    int32_t vocab = 0;
};

Fixture &fixture() {
    static Fixture *f = [] {
        auto *f = new Fixture;
        dn_stream_options options;
        dn_stream_options_init(&options);
        options.num_threads = 1;
        if (dn_stream_create("cpu", &options, &f->stream) != DN_OK ||
            dn_model_load(f->stream, dnfuzz::kjv_model_dir(), nullptr, &f->model) != DN_OK ||
            dn_tokenizer_load(dnfuzz::kjv_model_dir(), &f->tokenizer) != DN_OK ||
            dn_state_create(f->model, nullptr, &f->state) != DN_OK || dn_state_create(f->model, nullptr, &f->other) != DN_OK ||
            dn_model_vocab_size(f->model, &f->vocab) != DN_OK)
            dnfuzz::bug("setup", dn_last_error());
        return f;
    }();
    return *f;
}

void check_finite(const std::vector<float> &logits, const char *what) {
    for (float x : logits)
        if (!std::isfinite(x)) dnfuzz::bug(what, "non-finite logit");
}

bool in_vocab(const std::vector<int32_t> &ids, int32_t vocab) {
    for (int32_t id : ids)
        if (id < 0 || id >= vocab) return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Fixture &f = fixture();
    if (size < 1) return 0;
    const uint8_t options = data[0];
    std::vector<int32_t> ids(std::min((size - 1) / 4, kMaxTokens));
    if (!ids.empty()) std::memcpy(ids.data(), data + 1, ids.size() * 4);
    // Small values are likelier to be real ids: fold most into the vocabulary unless option 0x80.
    if (!(options & 0x80))
        for (int32_t &id : ids)
            if (id >= f.vocab) id %= f.vocab;
    const bool valid = !ids.empty() && in_vocab(ids, f.vocab);

    dn_state_reset(f.state);
    const dn_logits_mode mode = dn_logits_mode(options % 3);
    const size_t rows = mode == DN_LOGITS_ALL ? ids.size() : 1;
    std::vector<float> logits(rows * size_t(f.vocab));
    const int32_t none = 0;  // a valid pointer for the zero-token call
    dn_status s = dn_forward(f.stream, f.model, f.state, ids.empty() ? &none : ids.data(), ids.size(), mode,
                             mode == DN_LOGITS_NONE ? nullptr : logits.data(), logits.size());
    if (ids.empty()) dnfuzz::expect_status(s, {DN_ERR_INVALID_ARGUMENT}, "dn_forward of no tokens");
    else if (!valid) dnfuzz::expect_status(s, {DN_ERR_TOKEN_OUT_OF_RANGE}, "dn_forward of bad ids");
    else dnfuzz::expect_status(s, {DN_OK}, "dn_forward");
    int64_t position = -1;
    dn_state_position(f.state, &position);
    if (position != (s == DN_OK ? int64_t(ids.size()) : 0)) dnfuzz::bug("dn_forward", "wrong position after the call");
    if (s == DN_OK && mode != DN_LOGITS_NONE) check_finite(logits, "dn_forward");
    if (!valid) return 0;

    if (options & 8) {  // one batched step: this state and a fresh one
        dn_state_reset(f.other);
        dn_state *const states[2] = {f.state, f.other};
        const int32_t next[2] = {ids.back(), ids.front()};
        std::vector<float> batch_logits(2 * size_t(f.vocab));
        dnfuzz::expect_status(dn_decode_batch(f.stream, f.model, states, next, 2, batch_logits.data(), batch_logits.size()),
                              {DN_OK}, "dn_decode_batch");
        check_finite(batch_logits, "dn_decode_batch");
    }
    if (options & 16) {  // save, load into the other state, compare
        size_t n = 0;
        dn_state_save_size(f.state, &n);
        std::vector<unsigned char> a(n), b(n);
        dnfuzz::expect_status(dn_state_save(f.state, a.data(), n, nullptr), {DN_OK}, "dn_state_save");
        dnfuzz::expect_status(dn_state_load(f.other, a.data(), n), {DN_OK}, "dn_state_load");
        dnfuzz::expect_status(dn_state_save(f.other, b.data(), n, nullptr), {DN_OK}, "dn_state_save");
        if (a != b) dnfuzz::bug("state round trip", "the loaded state saves differently");
    }
    if (options & 32) {  // a short greedy generation from these ids
        dn_generate_options g;
        dn_generate_options_init(&g);
        g.max_tokens = 2;
        dn_state_reset(f.other);
        dnfuzz::expect_status(dn_generate_ids(f.stream, f.model, f.tokenizer, f.other, ids.data(), ids.size(), &g, nullptr),
                              {DN_OK}, "dn_generate_ids");
    }
    return 0;
}
