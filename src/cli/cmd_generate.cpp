// deltanet generate MODEL_DIR --ids FILE -n N: greedy decoding of exactly N tokens.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace dn::cli {

namespace {

struct GenerateOptions {
    std::string model_dir;
    std::string ids_file;
    int64_t count = 32;
    dn_precision precision = DN_PRECISION_EXACT;
};

void run_generate(const GenerateOptions &options, const GlobalOptions &global) {
    const std::vector<int32_t> ids = read_ids_file(options.ids_file);
    const LoadedModel loaded = load_model(options.model_dir, global.threads, options.precision);
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

}  // namespace

Command add_generate_command(CLI::App &root, const GlobalOptions &global) {
    auto options = std::make_shared<GenerateOptions>();
    CLI::App *command = root.add_subcommand(
        "generate",
        "Greedy decoding: print exactly N token ids (no early stop at the eos token) after the prompt ids");
    command->add_option("model_dir", options->model_dir, "Model directory (config.json + *.safetensors)")
        ->required();
    command->add_option("--ids", options->ids_file, "Prompt token ids separated by whitespace ('-' reads stdin)")
        ->required();
    command->add_option("-n,--tokens", options->count, "Number of tokens to generate")
        ->check(CLI::Range(int64_t(0), int64_t(1) << 30))
        ->capture_default_str();
    add_precision_option(*command, options->precision);
    return {command, [options, &global] { run_generate(*options, global); }};
}

}  // namespace dn::cli
