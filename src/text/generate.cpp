#include "text/generate.h"

#include <algorithm>

#include "text/stop_strings.h"

namespace dn::text {

GenerateOutcome generate(const Tokenizer &tokenizer, Sampler &sampler, const GenerateConfig &config,
                         std::vector<float> logits, const FeedFn &feed, const EmitFn &emit) {
    GenerateOutcome outcome;
    Detokenizer detokenizer(tokenizer, /*skip_special=*/true);
    StopStrings stops(config.stop_strings);
    auto is_stop_id = [&](int32_t token) {
        return std::find(config.stop_ids.begin(), config.stop_ids.end(), token) != config.stop_ids.end();
    };
    // Text held back by the detokenizer or the stop-string matcher goes out when the stream ends
    // (not after a cancel: the caller asked for nothing more).
    auto release_rest = [&] {
        std::string rest(stops.push(detokenizer.flush()));
        if (!stops.stopped()) rest += stops.flush();
        if (!rest.empty()) emit(rest, -1);
    };

    for (int32_t i = 0; i < config.max_tokens; ++i) {
        const int32_t token = sampler.sample(logits);
        const int32_t one[1] = {token};
        sampler.accept(one);
        ++outcome.generated;
        const bool last = i + 1 == config.max_tokens;

        if (is_stop_id(token)) {
            feed(one, nullptr);
            outcome.reason = StopReason::Eos;
            release_rest();
            return outcome;
        }
        const std::string_view piece = stops.push(detokenizer.push(token));
        if (stops.stopped()) {
            feed(one, nullptr);
            if (!piece.empty()) emit(piece, token);
            outcome.reason = StopReason::String;
            return outcome;
        }
        const bool go_on = emit(piece, token);
        feed(one, go_on && !last ? logits.data() : nullptr);
        if (!go_on) {
            outcome.reason = StopReason::Cancelled;
            return outcome;
        }
    }
    outcome.reason = StopReason::MaxTokens;
    release_rest();
    return outcome;
}

}  // namespace dn::text
