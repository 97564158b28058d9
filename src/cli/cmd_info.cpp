// deltanet info MODEL_DIR: what a model is and what it costs in memory.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"

namespace dn::cli {

namespace {

struct InfoOptions {
    std::string model_dir;
};

void run_info(const InfoOptions &options, const GlobalOptions &global) {
    const LoadedModel loaded = load_model(options.model_dir, global);
    const ModelInfo info = describe(loaded.model.get());
    std::printf("model          %s\n", options.model_dir.c_str());
    std::printf("family         %s\n", family_name(info.family));
    std::printf("vocab size     %d\n", info.vocab_size);
    std::printf("layers         %d (%d softmax attention)\n", info.num_layers, info.num_attention_layers);
    std::printf("hidden size    %d\n", info.hidden_size);
    std::printf("weight dtype   %s\n", dtype_name(info.weight_dtype));
    std::printf("parameters     %s (%s)\n", with_commas(info.params).c_str(), human_count(double(info.params)).c_str());
    std::printf("weight bytes   %s (%s)\n", with_commas(info.weight_bytes).c_str(),
                human_bytes(double(info.weight_bytes)).c_str());
    std::printf("state bytes    %s (%s per sequence)\n", with_commas(info.state_bytes).c_str(),
                human_bytes(double(info.state_bytes)).c_str());
    std::printf("bos / eos      %d / %d\n", info.bos, info.eos);
}

}  // namespace

Command add_info_command(CLI::App &root, const GlobalOptions &global) {
    auto options = std::make_shared<InfoOptions>();
    CLI::App *command = root.add_subcommand("info", "Describe a model: family, sizes, dtype, parameters, memory");
    command->add_option("model_dir", options->model_dir, "Model directory (config.json + *.safetensors)")
        ->required();
    return {command, [options, &global] { run_info(*options, global); }};
}

}  // namespace dn::cli
