// deltanet eval MODEL_DIR --ids FILE [--out OUT.safetensors]: one forward over the ids, every
// position's logits, and the mean next-token negative log-likelihood.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/safetensors.h"

namespace dn::cli {

namespace {

struct EvalOptions {
    std::string model_dir;
    std::string ids_file;
    std::string out_file;
    dn_precision precision = DN_PRECISION_EXACT;
};

// -log softmax(row)[target], in double so that long vocabularies do not lose digits.
double token_nll(const float *row, size_t vocab, int32_t target) {
    double max = row[0];
    for (size_t v = 1; v < vocab; ++v) max = std::fmax(max, double(row[v]));
    double sum = 0;
    for (size_t v = 0; v < vocab; ++v) sum += std::exp(double(row[v]) - max);
    return max + std::log(sum) - double(row[target]);
}

void run_eval(const EvalOptions &options, const GlobalOptions &global) {
    const std::vector<int32_t> ids = read_ids_file(options.ids_file);
    const LoadedModel loaded = load_model(options.model_dir, global, options.precision);
    const ModelInfo info = describe(loaded.model.get());
    const size_t T = ids.size();
    const size_t V = size_t(info.vocab_size);

    StatePtr state = new_state(loaded.model.get(), int64_t(T));
    std::vector<float> logits(T * V);
    const double start = now_seconds();
    check(dn_forward(loaded.stream.get(), loaded.model.get(), state.get(), ids.data(), T, DN_LOGITS_ALL,
                     logits.data(), logits.size()));
    const double seconds = now_seconds() - start;
    std::fprintf(stderr, "forward over %zu tokens in %.3f s (%.1f tokens/s)\n", T, seconds, double(T) / seconds);

    // Row t predicts ids[t + 1]. Rows are summed in order so the result does not depend on threads.
    const int64_t predictions = int64_t(T) - 1;
    std::vector<double> nll(size_t(std::max<int64_t>(predictions, 0)));
#pragma omp parallel for schedule(static) num_threads(global.resolved_threads())
    for (int64_t t = 0; t < predictions; ++t)
        nll[size_t(t)] = token_nll(logits.data() + size_t(t) * V, V, ids[size_t(t) + 1]);
    double total = 0;
    for (double x : nll) total += x;

    if (!options.out_file.empty()) {
        write_safetensors(options.out_file, {{"logits", DType::F32, {int64_t(T), int64_t(V)}, logits.data()}});
        std::fprintf(stderr, "wrote logits [%zu, %zu] to %s\n", T, V, options.out_file.c_str());
    }
    if (predictions > 0) {
        const double mean = total / double(predictions);
        std::printf("mean NLL %.6f over %lld predictions (perplexity %.2f)\n", mean, (long long)predictions,
                    std::exp(mean));
    } else {
        std::fprintf(stderr, "no next-token predictions: the ids file holds a single id\n");
    }
}

}  // namespace

Command add_eval_command(CLI::App &root, const GlobalOptions &global) {
    auto options = std::make_shared<EvalOptions>();
    CLI::App *command = root.add_subcommand(
        "eval", "Run one forward over token ids: write every position's logits and report the mean next-token NLL");
    command->add_option("model_dir", options->model_dir, "Model directory (config.json + *.safetensors)")
        ->required();
    command->add_option("--ids", options->ids_file, "Token ids separated by whitespace ('-' reads stdin)")
        ->required();
    command->add_option("--out", options->out_file, "Write the logits, float32 [T, vocab], as tensor 'logits' of this safetensors file");
    add_precision_option(*command, options->precision);
    return {command, [options, &global] { run_eval(*options, global); }};
}

}  // namespace dn::cli
