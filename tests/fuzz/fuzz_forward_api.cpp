// libFuzzer target: the token-id inputs of the C API on two generated tiny models (one worker thread):
// a DeltaNet hybrid with a sliding-window and a global softmax-attention layer, and a Gated DeltaNet
// with grouped value heads and a sliding-window layer, both with a vocabulary of kVocab ids (a prefix of
// the bundled tokenizer's, which dn_generate_ids uses). Tiny sizes keep each input around a millisecond
// under the sanitizers, so the fuzzer reaches millions of inputs; up to kMaxTokens ids cross the CPU
// prefill's 64-token chunk.
// Input: a byte of options, then int32 token ids (any value). Runs dn_forward in the chosen logits
// mode, a dn_decode_batch step, a state save/load round trip and a short greedy dn_generate_ids.
// Out-of-range ids must be refused with DN_ERR_TOKEN_OUT_OF_RANGE leaving the state as it was;
// logits must be finite.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "tiny_model.h"

namespace {

constexpr size_t kMaxTokens = 72;
constexpr int32_t kVocab = 512;

std::string hybrid_config(int vocab) {
    return R"({"model_type": "delta_net", "hidden_size": 8, "num_hidden_layers": 3, "num_heads": 2,
  "intermediate_size": 16, "max_position_embeddings": 96, "conv_size": 4, "vocab_size": )" +
           std::to_string(vocab) + R"(,
  "attn": [{"layers": [1], "num_heads": 2, "num_kv_heads": 1, "window_size": 5}, {"layers": [2], "num_heads": 2}],
  "bos_token_id": 1, "eos_token_id": 2, "tie_word_embeddings": false})";
}

std::string gated_config(int vocab) {
    return R"({"model_type": "gated_deltanet", "hidden_size": 8, "num_hidden_layers": 2, "num_heads": 1,
  "num_v_heads": 2, "head_dim": 4, "expand_v": 2, "intermediate_size": 16, "max_position_embeddings": 96,
  "conv_size": 4, "vocab_size": )" +
           std::to_string(vocab) + R"(,
  "attn": {"layers": [1], "num_heads": 2, "window_size": 3},
  "bos_token_id": 1, "eos_token_id": 2, "tie_word_embeddings": true})";
}

struct Model {
    dn_model *model = nullptr;
    dn_state *state = nullptr, *other = nullptr;
};

struct Fixture {
    dn_stream *stream = nullptr;
    dn_tokenizer *tokenizer = nullptr;
    Model models[2];  // hybrid DeltaNet, Gated DeltaNet
    int32_t vocab = 0;
};

void load(dn_stream *stream, const std::string &dir, const std::string &config, Model *m) {
    dnfuzz::write_random_model(dir, config);
    if (dn_model_load(stream, dir.c_str(), nullptr, &m->model) != DN_OK ||
        dn_state_create(m->model, nullptr, &m->state) != DN_OK || dn_state_create(m->model, nullptr, &m->other) != DN_OK)
        dnfuzz::bug("setup", dn_last_error());
    std::filesystem::remove_all(dir);  // the weights stay mapped
}

Fixture &fixture() {
    static Fixture *f = [] {
        auto *f = new Fixture;
        dn_stream_options options;
        dn_stream_options_init(&options);
        options.num_threads = 1;
        if (dn_stream_create("cpu", &options, &f->stream) != DN_OK ||
            dn_tokenizer_load(dnfuzz::kjv_model_dir(), &f->tokenizer) != DN_OK)
            dnfuzz::bug("setup", dn_last_error());
        f->vocab = kVocab;
        load(f->stream, dnfuzz::scratch_model_dir("hybrid"), hybrid_config(f->vocab), &f->models[0]);
        load(f->stream, dnfuzz::scratch_model_dir("gated"), gated_config(f->vocab), &f->models[1]);
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
    Model &m = f.models[(options >> 6) & 1];
    std::vector<int32_t> ids(std::min((size - 1) / 4, kMaxTokens));
    if (!ids.empty()) std::memcpy(ids.data(), data + 1, ids.size() * 4);
    // Small values are likelier to be real ids: fold most into the vocabulary unless option 0x80 (0x40
    // picks the model).
    if (!(options & 0x80))
        for (int32_t &id : ids)
            if (id >= f.vocab) id %= f.vocab;
    const bool valid = !ids.empty() && in_vocab(ids, f.vocab);

    dn_state_reset(m.state);
    const dn_logits_mode mode = dn_logits_mode(options % 3);
    const size_t rows = mode == DN_LOGITS_ALL ? ids.size() : 1;
    std::vector<float> logits(rows * size_t(f.vocab), NAN);  // NaN until written: every row must be filled
    const int32_t none = 0;  // a valid pointer for the zero-token call
    dn_status s = dn_forward(f.stream, m.model, m.state, ids.empty() ? &none : ids.data(), ids.size(), mode,
                             mode == DN_LOGITS_NONE ? nullptr : logits.data(), logits.size());
    if (ids.empty()) dnfuzz::expect_status(s, {DN_ERR_INVALID_ARGUMENT}, "dn_forward of no tokens");
    else if (!valid) dnfuzz::expect_status(s, {DN_ERR_TOKEN_OUT_OF_RANGE}, "dn_forward of bad ids");
    else dnfuzz::expect_status(s, {DN_OK}, "dn_forward");
    int64_t position = -1;
    dn_state_position(m.state, &position);
    if (position != (s == DN_OK ? int64_t(ids.size()) : 0)) dnfuzz::bug("dn_forward", "wrong position after the call");
    if (s == DN_OK && mode != DN_LOGITS_NONE) check_finite(logits, "dn_forward");
    if (!valid) return 0;

    if (options & 8) {  // one batched step: this state and a fresh one
        dn_state_reset(m.other);
        dn_state *const states[2] = {m.state, m.other};
        const int32_t next[2] = {ids.back(), ids.front()};
        std::vector<float> batch_logits(2 * size_t(f.vocab), NAN);
        dnfuzz::expect_status(dn_decode_batch(f.stream, m.model, states, next, 2, batch_logits.data(), batch_logits.size()),
                              {DN_OK}, "dn_decode_batch");
        check_finite(batch_logits, "dn_decode_batch");
    }
    if (options & 16) {  // save, load into the other state, compare
        size_t n = 0;
        dn_state_save_size(m.state, &n);
        std::vector<unsigned char> a(n), b(n);
        dnfuzz::expect_status(dn_state_save(m.state, a.data(), n, nullptr), {DN_OK}, "dn_state_save");
        dnfuzz::expect_status(dn_state_load(m.other, a.data(), n), {DN_OK}, "dn_state_load");
        dnfuzz::expect_status(dn_state_save(m.other, b.data(), n, nullptr), {DN_OK}, "dn_state_save");
        if (a != b) dnfuzz::bug("state round trip", "the loaded state saves differently");
    }
    if (options & 32) {  // a short greedy generation from these ids
        dn_generate_options g;
        dn_generate_options_init(&g);
        g.max_tokens = 2;
        dn_state_reset(m.other);
        dnfuzz::expect_status(dn_generate_ids(f.stream, m.model, f.tokenizer, m.other, ids.data(), ids.size(), &g, nullptr),
                              {DN_OK}, "dn_generate_ids");
    }
    return 0;
}
