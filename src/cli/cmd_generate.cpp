// deltanet generate [MODEL_DIR] -p PROMPT: stream generated text (sampling options as llama.cpp
// names them). deltanet generate MODEL_DIR --ids FILE -n N: greedy, print exactly N token ids.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/default_model.h"
#include "core/error.h"

namespace dn::cli {

namespace {

struct GenerateOptions {
    std::string model_dir;  // empty: the bundled default model
    std::string prompt;
    std::string ids_file;
    int64_t count = 128;
    dn_sampler_options sampling{};
    std::vector<std::string> stops;
    bool ignore_eos = false;
    dn_precision precision = DN_PRECISION_EXACT;
};

// Prompt ids in, exactly N greedy ids out (no stop at eos): the token-level contract scripts rely on.
void run_ids(const GenerateOptions &options, const LoadedModel &loaded) {
    const std::vector<int32_t> ids = read_ids_file(options.ids_file);
    dn_stream *stream = loaded.stream.get();
    const dn_model *model = loaded.model.get();
    const ModelInfo info = describe(model);

    // The last generated token is printed but never fed, so the state needs prompt + N - 1 positions.
    StatePtr state = new_state(model, int64_t(ids.size()) + std::max<int64_t>(options.count - 1, 0));
    std::vector<float> logits(size_t(info.vocab_size));
    double start = now_seconds();
    check(dn_forward(stream, model, state.get(), ids.data(), ids.size(), DN_LOGITS_LAST, logits.data(),
                     logits.size()));
    const double prefill_seconds = now_seconds() - start;

    start = now_seconds();
    for (int64_t i = 0; i < options.count; ++i) {
        const int32_t token = int32_t(argmax(logits.data(), logits.size()));
        std::printf(i == 0 ? "%d" : " %d", token);
        std::fflush(stdout);  // show tokens as they come
        if (i + 1 < options.count)
            check(dn_forward(stream, model, state.get(), &token, 1, DN_LOGITS_LAST, logits.data(), logits.size()));
    }
    std::printf("\n");
    const double decode_seconds = now_seconds() - start;
    std::fprintf(stderr, "prefill %zu tokens in %.3f s; generated %lld tokens in %.3f s", ids.size(),
                 prefill_seconds, (long long)options.count, decode_seconds);
    if (options.count > 1)
        std::fprintf(stderr, " (%.2f ms/token)", 1e3 * decode_seconds / double(options.count - 1));
    std::fprintf(stderr, "\n");
}

int print_piece(const char *text, size_t len, int32_t, void *) {
    std::fwrite(text, 1, len, stdout);
    std::fflush(stdout);
    return 1;
}

const char *stop_reason_name(dn_stop_reason reason) {
    switch (reason) {
        case DN_STOP_EOS: return "end of sequence";
        case DN_STOP_STRING: return "stop string";
        case DN_STOP_MAX_TOKENS: return "token limit";
        case DN_STOP_CANCELLED: return "cancelled";
    }
    return "?";
}

// The prompt, then the generated text as it comes.
void run_text(const GenerateOptions &options, const std::string &model_dir, const LoadedModel &loaded) {
    const TokenizerPtr tokenizer = load_tokenizer(model_dir);
    StatePtr state = new_state(loaded.model.get());

    std::vector<const char *> stops;
    for (const std::string &s : options.stops) stops.push_back(s.c_str());
    dn_generate_options generate;
    check(dn_generate_options_init(&generate));
    generate.max_tokens = int32_t(options.count);
    generate.sampling = &options.sampling;
    generate.stop_at_eos = !options.ignore_eos;
    generate.stop_strings = stops.data();
    generate.n_stop_strings = stops.size();
    generate.callback = print_piece;

    std::fwrite(options.prompt.data(), 1, options.prompt.size(), stdout);
    dn_generate_result result{};
    result.struct_size = sizeof result;
    check(dn_generate(loaded.stream.get(), loaded.model.get(), tokenizer.get(), state.get(), options.prompt.data(),
                      options.prompt.size(), &generate, &result));
    std::printf("\n");
    std::fprintf(stderr, "prompt %lld tokens in %.3f s; generated %lld tokens in %.3f s (%.1f tokens/s); stopped: %s\n",
                 (long long)result.prompt_tokens, result.prefill_seconds, (long long)result.generated_tokens,
                 result.generate_seconds,
                 result.generate_seconds > 0 ? double(result.generated_tokens) / result.generate_seconds : 0.0,
                 stop_reason_name(result.stop_reason));
}

void run_generate(const GenerateOptions &options, const GlobalOptions &global) {
    if (options.ids_file.empty() == options.prompt.empty())
        fail(DN_ERR_INVALID_ARGUMENT, "give either a text prompt (-p) or prompt token ids (--ids)");
    const std::string model_dir = options.model_dir.empty() ? default_model_dir() : options.model_dir;
    const LoadedModel loaded = load_model(model_dir, global, options.precision);
    if (!options.ids_file.empty()) run_ids(options, loaded);
    else run_text(options, model_dir, loaded);
}

}  // namespace

Command add_generate_command(CLI::App &root, const GlobalOptions &global) {
    auto options = std::make_shared<GenerateOptions>();
    check(dn_sampler_options_init(&options->sampling));
    dn_sampler_options &s = options->sampling;
    CLI::App *command = root.add_subcommand(
        "generate",
        "Generate text from a prompt (-p), streamed as it comes; or, with --ids, print exactly N greedy "
        "token ids after the prompt ids");
    command->add_option("model_dir", options->model_dir,
                        "Model directory (config.json, *.safetensors, tokenizer.json); default: the bundled "
                        "kjv-deltanet-6m");
    command->add_option("-p,--prompt", options->prompt, "Prompt text");
    command->add_option("--ids", options->ids_file, "Prompt token ids separated by whitespace ('-' reads stdin)");
    command->add_option("-n,--tokens", options->count, "Tokens to generate (at most, for -p)")
        ->check(CLI::Range(int64_t(0), int64_t(1) << 30))
        ->capture_default_str();
    command->add_option("--temp", s.temperature, "Temperature; 0 = greedy")->check(CLI::Range(0.0f, 100.0f))->capture_default_str();
    command->add_option("--top-k", s.top_k, "Keep the k most likely tokens; 0 = off")->check(CLI::NonNegativeNumber)->capture_default_str();
    command->add_option("--top-p", s.top_p, "Nucleus sampling threshold; 1 = off")->check(CLI::Range(0.0f, 1.0f))->capture_default_str();
    command->add_option("--min-p", s.min_p, "Drop tokens below min-p x the top probability; 0 = off")->check(CLI::Range(0.0f, 1.0f))->capture_default_str();
    command->add_option("--repeat-penalty", s.repetition_penalty, "Repetition penalty; 1 = off")->check(CLI::PositiveNumber)->capture_default_str();
    command->add_option("--repeat-last-n", s.penalty_last_n, "Tokens the penalties look back over; -1 = all")->check(CLI::Range(-1, 1 << 30))->capture_default_str();
    command->add_option("--presence-penalty", s.presence_penalty, "Presence penalty; 0 = off")->capture_default_str();
    command->add_option("--frequency-penalty", s.frequency_penalty, "Frequency penalty; 0 = off")->capture_default_str();
    command->add_option("--seed", s.seed, "Seed of the sampler's generator")->capture_default_str();
    command->add_option("--stop", options->stops, "Stop when this text appears (repeatable)");
    command->add_flag("--ignore-eos", options->ignore_eos, "Go on past the end-of-sequence token");
    add_precision_option(*command, options->precision);
    return {command, [options, &global] { run_generate(*options, global); }};
}

}  // namespace dn::cli
