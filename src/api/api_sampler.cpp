// The sampler's C functions: thin checks around dn::text::Sampler (text/sampler.h), which validates
// the option values themselves.
#include <algorithm>
#include <cstring>
#include <memory>

#include "api/guard.h"
#include "api/sampler_handle.h"

using namespace dn;
using namespace dn::api;

namespace {

constexpr size_t kOptionsV1 = offsetof(dn_sampler_options, n_logit_bias) + sizeof(size_t);

}  // namespace

namespace dn::api {

text::SamplerOptions to_sampler_options(const dn_sampler_options *options) {
    require(options, "options");
    check_struct_size(options, kOptionsV1, "dn_sampler_options");
    dn_sampler_options o;
    dn_sampler_options_init(&o);
    std::memcpy(&o, options, std::min(options->struct_size, sizeof o));
    if (o.n_logit_bias) require(o.logit_bias, "dn_sampler_options.logit_bias");
    text::SamplerOptions s;
    s.temperature = o.temperature;
    s.top_k = o.top_k;
    s.top_p = o.top_p;
    s.min_p = o.min_p;
    s.repetition_penalty = o.repetition_penalty;
    s.presence_penalty = o.presence_penalty;
    s.frequency_penalty = o.frequency_penalty;
    s.penalty_last_n = o.penalty_last_n;
    s.seed = o.seed;
    s.logit_bias.reserve(o.n_logit_bias);
    for (size_t i = 0; i < o.n_logit_bias; ++i) s.logit_bias.emplace_back(o.logit_bias[i].token, o.logit_bias[i].bias);
    return s;
}

}  // namespace dn::api

extern "C" {

dn_status dn_sampler_options_init(dn_sampler_options *options) {
    return guarded([&] {
        require(options, "options");
        const text::SamplerOptions d;  // one source for the defaults
        *options = dn_sampler_options{};
        options->struct_size = sizeof(dn_sampler_options);
        options->temperature = d.temperature;
        options->top_k = d.top_k;
        options->top_p = d.top_p;
        options->min_p = d.min_p;
        options->repetition_penalty = d.repetition_penalty;
        options->presence_penalty = d.presence_penalty;
        options->frequency_penalty = d.frequency_penalty;
        options->penalty_last_n = d.penalty_last_n;
        options->seed = d.seed;
        options->logit_bias = nullptr;
        options->n_logit_bias = 0;
    });
}

dn_status dn_sampler_create(const dn_sampler_options *options, int32_t vocab_size, dn_sampler **out_sampler) {
    return guarded([&] {
        require(out_sampler, "out_sampler");
        const text::SamplerOptions o = options ? to_sampler_options(options) : text::SamplerOptions{};
        if (vocab_size <= 0) fail(DN_ERR_INVALID_ARGUMENT, "vocab_size is ", vocab_size, " (must be > 0)");
        auto handle = std::unique_ptr<dn_sampler>(new dn_sampler{text::Sampler(o, vocab_size)});
        *out_sampler = handle.release();
    });
}

dn_status dn_sampler_sample(dn_sampler *sampler, const float *logits, size_t n_logits, int32_t *out_token) {
    return guarded([&] {
        require(sampler, "sampler");
        require(logits, "logits");
        require(out_token, "out_token");
        const int32_t vocab = sampler->sampler.vocab_size();
        if (n_logits != size_t(vocab))
            fail(DN_ERR_INVALID_ARGUMENT, "n_logits is ", n_logits, "; the sampler's vocab_size is ", vocab);
        *out_token = sampler->sampler.sample({logits, n_logits});
    });
}

dn_status dn_sampler_accept(dn_sampler *sampler, const int32_t *tokens, size_t n_tokens) {
    return guarded([&] {
        require(sampler, "sampler");
        if (n_tokens) require(tokens, "tokens");
        sampler->sampler.accept({tokens, n_tokens});
    });
}

dn_status dn_sampler_reset(dn_sampler *sampler, uint64_t seed) {
    return guarded([&] {
        require(sampler, "sampler");
        sampler->sampler.reset(seed);
    });
}

dn_status dn_sampler_free(dn_sampler *sampler) {
    return guarded([&] { delete sampler; });
}

}  // extern "C"
