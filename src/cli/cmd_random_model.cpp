// deltanet random-model --config CONFIG.json OUT_DIR: a loadable model with deterministic random
// weights, for benchmarks and tests of shapes no trained checkpoint has.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/random_weights.h"
#include "core/error.h"
#include "core/model_config.h"
#include "core/safetensors.h"
#include "core/weight_manifest.h"

namespace dn::cli {

namespace {

struct RandomModelOptions {
    std::string config_file;
    std::string out_dir;
    std::string dtype = "bf16";
    uint64_t seed = 0;
};

std::string read_text(const std::string &path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) fail(DN_ERR_IO, "config ", path, " is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(DN_ERR_IO, "cannot open config ", path, ": ", std::strerror(errno));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) fail(DN_ERR_IO, "cannot read config ", path);
    return text;
}

void write_text(const std::filesystem::path &path, const std::string &text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) fail(DN_ERR_IO, "cannot write ", path.string(), ": ", std::strerror(errno));
}

// initializer_range is ignored by the config parser (it changes nothing at inference); read it here.
double initializer_range(const std::string &config_text) {
    const nlohmann::json root = nlohmann::json::parse(config_text, nullptr, false);
    if (root.is_object()) {
        const auto it = root.find("initializer_range");
        if (it != root.end() && it->is_number() && it->get<double>() > 0 && std::isfinite(it->get<double>()))
            return it->get<double>();
    }
    return 0.02;
}

void run_random_model(const RandomModelOptions &options, const GlobalOptions &global) {
    const std::string text = read_text(options.config_file);
    const ModelConfig config = parse_model_config(text, options.config_file);
    const double range = initializer_range(text);
    const DType dtype = options.dtype == "f32" ? DType::F32 : DType::BF16;
    const std::vector<TensorSpec> specs = weight_manifest(config);

    const std::filesystem::path dir(options.out_dir);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) fail(DN_ERR_IO, "cannot create directory ", options.out_dir, ": ", ec.message());

    const double start = now_seconds();
    // All tensors are held at once because write_safetensors takes them together: 2.7 GB for a
    // 1.3B-parameter model in bf16.
    std::vector<std::vector<std::byte>> buffers;
    std::vector<TensorToWrite> tensors;
    buffers.reserve(specs.size());
    uint64_t params = 0;
    for (const TensorSpec &spec : specs) {
        buffers.push_back(random_tensor(spec, choose_init(spec, config, range), dtype, options.seed,
                                              global.resolved_threads()));
        tensors.push_back({spec.name, dtype, spec.shape, buffers.back().data()});
        params += buffers.back().size() / dtype_size(dtype);
    }
    const std::filesystem::path weights = dir / "model.safetensors";
    write_safetensors(weights.string(), tensors,
                      {{"format", "pt"}, {"generator", format("deltanet random-model --seed %llu",
                                                               (unsigned long long)options.seed)}});
    write_text(dir / "config.json", text);

    uint64_t bytes = 0;
    for (const auto &buffer : buffers) bytes += buffer.size();
    std::printf("wrote %s: %zu tensors, %s parameters, %s of %s weights (seed %llu) in %.2f s\n",
                weights.string().c_str(), specs.size(), with_commas(params).c_str(), human_bytes(double(bytes)).c_str(),
                options.dtype.c_str(), (unsigned long long)options.seed, now_seconds() - start);
}

}  // namespace

Command add_random_model_command(CLI::App &root, const GlobalOptions &global) {
    auto options = std::make_shared<RandomModelOptions>();
    CLI::App *command = root.add_subcommand(
        "random-model", "Write a model directory with deterministic random weights for a config.json");
    command->add_option("--config", options->config_file, "fla config.json to build (copied to OUT_DIR/config.json)")
        ->required();
    command->add_option("out_dir", options->out_dir, "Directory to create (existing files are replaced)")->required();
    command->add_option("--dtype", options->dtype, "Weight dtype")
        ->check(CLI::IsMember({"bf16", "f32"}))
        ->capture_default_str();
    command->add_option("--seed", options->seed, "Seed of the pseudo-random values")->capture_default_str();
    return {command, [options, &global] { run_random_model(*options, global); }};
}

}  // namespace dn::cli
