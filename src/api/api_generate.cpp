// dn_generate / dn_generate_ids: the C face of the generation loop (text/generate.h). The model is
// fed through dn_forward itself, so every check of a plain forward call applies here too.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

#include "api/guard.h"
#include "api/handles.h"
#include "api/sampler_handle.h"
#include "api/text_handles.h"
#include "text/generate.h"
#include "text/tokenizer.h"

using namespace dn;
using namespace dn::api;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A failed library call inside generation becomes an exception carrying its status and message.
void check(dn_status status) {
    if (status != DN_OK) fail(status, dn_last_error());
}

text::GenerateConfig config_from(const dn_generate_options &o, const text::Tokenizer &tokenizer,
                                 const dn_model *model) {
    if (o.max_tokens < 0) fail(DN_ERR_INVALID_ARGUMENT, "dn_generate_options.max_tokens is ", o.max_tokens);
    text::GenerateConfig config;
    config.max_tokens = o.max_tokens;
    if (o.n_stop_ids) require(o.stop_ids, "dn_generate_options.stop_ids");
    config.stop_ids.assign(o.stop_ids, o.stop_ids + o.n_stop_ids);
    if (o.stop_at_eos) {
        int32_t eos = tokenizer.eos_id();
        if (eos < 0) eos = model->model->config().eos_token_id;  // config.json's, when the tokenizer has none
        if (eos >= 0) config.stop_ids.push_back(eos);
    }
    if (o.n_stop_strings) require(o.stop_strings, "dn_generate_options.stop_strings");
    for (size_t i = 0; i < o.n_stop_strings; ++i) {
        require(o.stop_strings[i], "a stop string");
        std::string stop(o.stop_strings[i]);
        if (stop.empty()) fail(DN_ERR_INVALID_ARGUMENT, "stop string ", i, " is empty");
        if (text::sanitize_utf8(stop) != stop) fail(DN_ERR_INVALID_ARGUMENT, "stop string ", i, " is not valid UTF-8");
        config.stop_strings.push_back(std::move(stop));
    }
    return config;
}

dn_stop_reason to_c(text::StopReason reason) {
    switch (reason) {
        case text::StopReason::Eos: return DN_STOP_EOS;
        case text::StopReason::String: return DN_STOP_STRING;
        case text::StopReason::MaxTokens: return DN_STOP_MAX_TOKENS;
        case text::StopReason::Cancelled: return DN_STOP_CANCELLED;
    }
    return DN_STOP_MAX_TOKENS;
}

constexpr size_t kOptionsV1 = offsetof(dn_generate_options, user_data) + sizeof(void *);
constexpr size_t kResultV1 = offsetof(dn_generate_result, generate_seconds) + sizeof(double);

// Both entry points: `encode` yields the prompt ids (timed as part of the prefill).
template <typename Encode>
void generate(dn_stream *stream, const dn_model *model, const dn_tokenizer *tokenizer, dn_state *state,
              const dn_generate_options *options, dn_generate_result *result, Encode encode) {
    require(stream, "stream");
    require(model, "model");
    require(tokenizer, "tokenizer");
    require(state, "state");
    check_struct_size(options, kOptionsV1, "dn_generate_options");
    check_struct_size(result, kResultV1, "dn_generate_result");
    dn_generate_options o;
    check(dn_generate_options_init(&o));
    if (options) std::memcpy(&o, options, std::min(options->struct_size, sizeof o));  // an older, shorter struct
    const text::Tokenizer &tok = *tokenizer->tokenizer;
    const text::GenerateConfig config = config_from(o, tok, model);

    const int32_t vocab = int32_t(model->model->config().vocab_size);
    std::optional<text::Sampler> own_sampler;
    text::Sampler *sampler = nullptr;
    if (o.sampler) {
        sampler = &o.sampler->sampler;
        if (sampler->vocab_size() != vocab)
            fail(DN_ERR_INVALID_ARGUMENT, "the sampler is for ", sampler->vocab_size(), " tokens, the model has ", vocab);
    } else {
        text::SamplerOptions greedy;
        greedy.temperature = 0;
        own_sampler.emplace(o.sampling ? to_sampler_options(o.sampling) : greedy, vocab);
        sampler = &*own_sampler;
    }

    const auto prefill_start = std::chrono::steady_clock::now();
    const std::vector<int32_t> prompt = encode(o.encode_flags);
    if (prompt.empty()) fail(DN_ERR_INVALID_ARGUMENT, "the prompt encodes to no tokens");
    std::vector<float> logits(static_cast<size_t>(vocab));
    check(dn_forward(stream, model, state, prompt.data(), prompt.size(), DN_LOGITS_LAST, logits.data(), logits.size()));
    sampler->accept(prompt);
    const double prefill_seconds = seconds_since(prefill_start);

    const auto feed = [&](std::span<const int32_t> tokens, float *out) {
        check(dn_forward(stream, model, state, tokens.data(), tokens.size(), out ? DN_LOGITS_LAST : DN_LOGITS_NONE,
                         out, out ? size_t(vocab) : 0));  // `logits` itself has moved into the loop
    };
    const auto emit = [&](std::string_view piece, int32_t token) {
        return o.callback ? o.callback(piece.data(), piece.size(), token, o.user_data) != 0 : true;
    };
    const auto generate_start = std::chrono::steady_clock::now();
    const text::GenerateOutcome outcome = text::generate(tok, *sampler, config, std::move(logits), feed, emit);

    if (result) {
        result->prompt_tokens = int64_t(prompt.size());
        result->generated_tokens = outcome.generated;
        result->stop_reason = to_c(outcome.reason);
        result->prefill_seconds = prefill_seconds;
        result->generate_seconds = seconds_since(generate_start);
    }
}

}  // namespace

extern "C" {

dn_status dn_generate_options_init(dn_generate_options *options) {
    return guarded([&] {
        require(options, "options");
        *options = dn_generate_options{};
        options->struct_size = sizeof(dn_generate_options);
        options->max_tokens = 256;
        options->stop_at_eos = 1;
    });
}

dn_status dn_generate(dn_stream *stream, const dn_model *model, const dn_tokenizer *tokenizer, dn_state *state,
                      const char *prompt, size_t prompt_len, const dn_generate_options *options,
                      dn_generate_result *result) {
    return guarded([&] {
        require(prompt, "prompt");
        generate(stream, model, tokenizer, state, options, result, [&](uint32_t flags) {
            if (flags & ~uint32_t(DN_ENCODE_ADD_SPECIAL | DN_ENCODE_PARSE_SPECIAL))
                fail(DN_ERR_INVALID_ARGUMENT, "dn_generate_options.encode_flags has unknown bits ", flags);
            return tokenizer->tokenizer->encode(std::string_view(prompt, prompt_len), flags & DN_ENCODE_ADD_SPECIAL,
                                                flags & DN_ENCODE_PARSE_SPECIAL);
        });
    });
}

dn_status dn_generate_ids(dn_stream *stream, const dn_model *model, const dn_tokenizer *tokenizer, dn_state *state,
                          const int32_t *prompt, size_t n_prompt, const dn_generate_options *options,
                          dn_generate_result *result) {
    return guarded([&] {
        require(prompt, "prompt");
        generate(stream, model, tokenizer, state, options, result,
                 [&](uint32_t) { return std::vector<int32_t>(prompt, prompt + n_prompt); });
    });
}

}  // extern "C"
