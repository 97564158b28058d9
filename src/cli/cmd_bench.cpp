// deltanet bench MODEL_DIR: prefill and decode speed, set against floors measured on this machine
// (memory bandwidth for decode, GEMM throughput for prefill).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/machine_floors.h"
#include "core/mapped_file.h"
#include "core/model_config.h"

namespace dn::cli {

namespace {

struct BenchOptions {
    std::string model_dir;
    int64_t prompt_tokens = 512;
    int64_t decode_tokens = 32;
    int64_t batch = 1;
    int repeats = 5;
    dn_precision precision = DN_PRECISION_EXACT;
    int64_t copy_mib = 1024;
    bool skip_floors = false;
};

constexpr long kGemmM = 2048, kGemmN = 4096, kGemmK = 4096;

struct Floors {
    double f32_gflops = -1;    // negative: not measured or unavailable
    double bf16_gflops = -1;
    std::string f32_why, bf16_why;  // why a peak could not be measured
};

// Memory bandwidth on this (shared, virtual) machine wanders by up to 2x within a minute, so every
// decode round is bracketed by its own bandwidth measurements and set against them.
struct Bandwidth {
    double copy_gbs = 0;  // memcpy of a large buffer, bytes read + written per second / 1e9
    double read_gbs = 0;  // one pass over the model's mapped weight files, bytes read per second / 1e9
};

struct DecodeRound {
    double seconds = 0;  // per token (or per batched step)
    Bandwidth bandwidth;  // mean of the measurements just before and just after the round
};

struct Timings {
    double prefill_seconds = 0;  // best run
    std::vector<DecodeRound> decode, batch;
};

using MeasureBandwidth = std::function<Bandwidth()>;  // empty: floors are skipped

// Times `round` (which runs `steps` steps) `rounds` times, each between two bandwidth measurements.
template <typename Round>
std::vector<DecodeRound> time_rounds(int rounds, size_t steps, const MeasureBandwidth &measure, Round round) {
    std::vector<DecodeRound> result;
    for (int r = 0; r < rounds; ++r) {
        const Bandwidth before = measure ? measure() : Bandwidth{};
        const double start = now_seconds();
        round();
        DecodeRound timed;
        timed.seconds = (now_seconds() - start) / double(steps);
        const Bandwidth after = measure ? measure() : Bandwidth{};
        timed.bandwidth = {(before.copy_gbs + after.copy_gbs) / 2, (before.read_gbs + after.read_gbs) / 2};
        result.push_back(timed);
    }
    return result;
}

Timings time_model(const BenchOptions &options, const LoadedModel &loaded, int32_t vocab,
                   const MeasureBandwidth &measure) {
    dn_stream *stream = loaded.stream.get();
    const dn_model *model = loaded.model.get();
    const size_t T = size_t(options.prompt_tokens);
    const size_t D = size_t(options.decode_tokens);
    const size_t B = size_t(options.batch);
    Timings timings;

    // Fixed seed: every run of bench feeds the same prompt.
    std::mt19937_64 rng(20240601);
    std::vector<int32_t> prompt(T);
    for (int32_t &id : prompt) id = int32_t(rng() % uint64_t(vocab));

    // Each state sees the prompt, one warm-up token and the timed rounds of D tokens.
    const int64_t context = int64_t(T + D * size_t(options.repeats) + 1);
    StatePtr state = new_state(model, context);
    std::vector<float> logits(size_t(vocab) * B);

    std::fprintf(stderr, "prefill: %zu tokens, warm-up + best of %d\n", T, options.repeats);
    timings.prefill_seconds = 1e30;
    for (int r = 0; r <= options.repeats; ++r) {
        check(dn_state_reset(state.get()));
        const double start = now_seconds();
        check(dn_forward(stream, model, state.get(), prompt.data(), T, DN_LOGITS_LAST, logits.data(), size_t(vocab)));
        const double seconds = now_seconds() - start;
        if (r > 0) timings.prefill_seconds = std::min(timings.prefill_seconds, seconds);
    }

    // Batched decode starts from copies of the prefilled state, taken before single decode moves it on.
    std::vector<StatePtr> batch_states;
    if (B > 1) {
        for (size_t i = 0; i < B; ++i) {
            dn_state *copy = nullptr;
            check(dn_state_clone(state.get(), &copy));
            batch_states.emplace_back(copy);
        }
    }

    // Decode: rounds of D tokens, each bracketed by bandwidth measurements.
    std::fprintf(stderr, "decode: %d rounds of %zu tokens after a warm-up token\n", options.repeats, D);
    int32_t token = int32_t(argmax(logits.data(), size_t(vocab)));
    check(dn_forward(stream, model, state.get(), &token, 1, DN_LOGITS_LAST, logits.data(), size_t(vocab)));
    timings.decode = time_rounds(options.repeats, D, measure, [&] {
        for (size_t i = 0; i < D; ++i) {
            token = int32_t(argmax(logits.data(), size_t(vocab)));
            check(dn_forward(stream, model, state.get(), &token, 1, DN_LOGITS_LAST, logits.data(), size_t(vocab)));
        }
    });

    if (B > 1) {
        std::fprintf(stderr, "batched decode: %zu sequences, %d rounds of %zu steps after a warm-up step\n", B,
                     options.repeats, D);
        std::vector<dn_state *> states;
        for (const StatePtr &s : batch_states) states.push_back(s.get());
        // Different tokens per sequence, as a server's batch would have.
        std::vector<int32_t> tokens(B);
        for (int32_t &id : tokens) id = int32_t(rng() % uint64_t(vocab));
        check(dn_decode_batch(stream, model, states.data(), tokens.data(), B, logits.data(), logits.size()));
        timings.batch = time_rounds(options.repeats, D, measure, [&] {
            for (size_t step = 0; step < D; ++step) {
                for (size_t i = 0; i < B; ++i)
                    tokens[i] = int32_t(argmax(logits.data() + i * size_t(vocab), size_t(vocab)));
                check(dn_decode_batch(stream, model, states.data(), tokens.data(), B, logits.data(), logits.size()));
            }
        });
    }
    return timings;
}

// Bytes of weights one decode step reads: all of them but an untied input embedding table.
// Parameters of an untied input embedding table (a row lookup per token: no products), else 0.
uint64_t lookup_only_params(const std::string &model_dir, const ModelInfo &info) {
    const ModelConfig config = parse_model_config(read_text_file(model_dir + "/config.json"), "config.json");
    return config.tie_word_embeddings ? 0 : uint64_t(info.vocab_size) * uint64_t(info.hidden_size);
}

uint64_t decode_weight_bytes(const std::string &model_dir, const ModelInfo &info) {
    const uint64_t element = info.weight_dtype == DN_DTYPE_F32 ? 4 : 2;
    return info.weight_bytes - lookup_only_params(model_dir, info) * element;
}

// The model's *.safetensors files, mapped again: the same page-cache pages the model reads.
std::vector<std::unique_ptr<MappedFile>> map_weight_files(const std::string &model_dir) {
    std::vector<std::unique_ptr<MappedFile>> files;
    for (const auto &entry : std::filesystem::directory_iterator(model_dir))
        if (entry.path().extension() == ".safetensors")
            files.push_back(std::make_unique<MappedFile>(entry.path().string()));
    return files;
}

Bandwidth measure_bandwidth(const BenchOptions &options, const std::vector<std::unique_ptr<MappedFile>> &files,
                            int threads) {
    Bandwidth b;
    b.copy_gbs = measure_copy_bandwidth(size_t(options.copy_mib) << 20, threads, 2);
    double bytes = 0, seconds = 0;
    for (const auto &file : files) {
        const double gbs = measure_read_bandwidth(file->data(), file->size(), threads, 1);
        bytes += double(file->size());
        seconds += double(file->size()) / (gbs * 1e9);
    }
    b.read_gbs = seconds > 0 ? bytes / seconds / 1e9 : 0;
    return b;
}

Floors measure_gemm_floors(int threads) {
    Floors floors;
    std::fprintf(stderr, "machine: oneDNN f32 and bf16 matmuls %ldx%ldx%ld\n", kGemmM, kGemmN, kGemmK);
    floors.f32_gflops = measure_gemm_gflops(GemmType::F32, kGemmM, kGemmN, kGemmK, threads, 3, &floors.f32_why);
    floors.bf16_gflops = measure_gemm_gflops(GemmType::BF16, kGemmM, kGemmN, kGemmK, threads, 3, &floors.bf16_why);
    return floors;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return n == 0 ? 0 : n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string peak_text(double gflops, const std::string &why) {
    return gflops > 0 ? format("%.1f GFLOP/s", gflops) : "n/a (" + why + ")";
}

std::string percent_of(double achieved, double peak) {
    return peak > 0 ? format("%.0f%%", 100.0 * achieved / peak) : std::string("n/a");
}

void run_bench(const BenchOptions &options, const GlobalOptions &global) {
    const LoadedModel loaded = load_model(options.model_dir, global, options.precision);
    const ModelInfo info = describe(loaded.model.get());
    const int threads = global.resolved_threads();

    const auto weight_files = options.skip_floors ? decltype(map_weight_files("")){} : map_weight_files(options.model_dir);
    MeasureBandwidth measure;
    if (!options.skip_floors)
        measure = [&] { return measure_bandwidth(options, weight_files, threads); };
    const Timings timings = time_model(options, loaded, info.vocab_size, measure);
    Floors floors;
    if (!options.skip_floors) floors = measure_gemm_floors(threads);

    const double T = double(options.prompt_tokens);
    std::printf("model    %s: %s, %d layers (%d attention), hidden %d, vocab %d, %s\n", options.model_dir.c_str(),
                family_name(info.family), info.num_layers, info.num_attention_layers, info.hidden_size,
                info.vocab_size, dtype_name(info.weight_dtype));
    std::printf("         %s params, %s weights, %s state, loaded in %.2f s\n", human_count(double(info.params)).c_str(),
                human_bytes(double(info.weight_bytes)).c_str(), human_bytes(double(info.state_bytes)).c_str(),
                loaded.load_seconds);
    std::printf("run      threads %d, precision %s, weights %s, prompt %lld, decode %lld, batch %lld\n", threads,
                options.precision == DN_PRECISION_FAST ? "fast" : "exact",
                global.mapped_weights ? "mapped (in place)" : "copied (huge pages)", (long long)options.prompt_tokens,
                (long long)options.decode_tokens, (long long)options.batch);
    if (!options.skip_floors) {
        std::printf("machine  GEMM peak f32 %s, bf16 %s (oneDNN matmul %ldx%ldx%ld, best of 3)\n",
                    peak_text(floors.f32_gflops, floors.f32_why).c_str(),
                    peak_text(floors.bf16_gflops, floors.bf16_why).c_str(), kGemmM, kGemmN, kGemmK);
    }

    const double matmul_params = double(info.params - lookup_only_params(options.model_dir, info));
    const double prefill_gflop = 2.0 * matmul_params * T / 1e9;
    const double prefill_gflops = prefill_gflop / timings.prefill_seconds;
    std::printf("prefill  %.1f tokens/s (%lld tokens in %.3f s, best of %d after a warm-up)\n",
                T / timings.prefill_seconds, (long long)options.prompt_tokens, timings.prefill_seconds,
                options.repeats);
    std::printf("         %.1f GFLOP/s (2 x matmul params x T = %.1f GFLOP)", prefill_gflops, prefill_gflop);
    if (!options.skip_floors)
        std::printf(" → %s of f32 peak, %s of bf16 peak", percent_of(prefill_gflops, floors.f32_gflops).c_str(),
                    percent_of(prefill_gflops, floors.bf16_gflops).c_str());
    std::printf("\n");

    // Decode must read every weight once per step, so weights / bandwidth bounds a step from below:
    // at the copy bandwidth (what the machine moves) and at the rate a plain read streams the weight
    // pages themselves. Each round is set against the bandwidth measured around it. An untied input
    // embedding table is not read (one row per token), so it does not count.
    const double weights = double(decode_weight_bytes(options.model_dir, info));
    auto report_rounds = [&](const char *label, const char *per, const std::vector<DecodeRound> &rounds, double steps) {
        std::vector<double> seconds, copy_ratio, read_ratio, copy_gbs, read_gbs;
        for (const DecodeRound &r : rounds) {
            seconds.push_back(r.seconds);
            copy_gbs.push_back(r.bandwidth.copy_gbs);
            read_gbs.push_back(r.bandwidth.read_gbs);
            if (r.bandwidth.copy_gbs > 0) copy_ratio.push_back(weights / (r.bandwidth.copy_gbs * 1e9) / r.seconds);
            if (r.bandwidth.read_gbs > 0) read_ratio.push_back(weights / (r.bandwidth.read_gbs * 1e9) / r.seconds);
        }
        const double best = *std::min_element(seconds.begin(), seconds.end());
        std::printf("%-9s%.2f ms%s, %.1f tokens/s (best of %zu rounds of %lld; median %.2f ms)\n", label, best * 1e3, per,
                    steps / best, rounds.size(), (long long)options.decode_tokens, median(seconds) * 1e3);
        if (options.skip_floors) return;
        auto ratio_line = [&](const char *what, const std::vector<double> &gbs, const std::vector<double> &ratio) {
            if (ratio.empty()) return;
            std::string each;
            for (double x : ratio) each += format(" %.0f%%", 100 * x);
            std::printf("         vs %s floor (%s of weights read at %.1f..%.1f GB/s): median %.0f%%, rounds%s\n", what,
                        human_bytes(weights).c_str(), *std::min_element(gbs.begin(), gbs.end()),
                        *std::max_element(gbs.begin(), gbs.end()), 100 * median(ratio), each.c_str());
        };
        ratio_line("copy", copy_gbs, copy_ratio);
        ratio_line("weight-read", read_gbs, read_ratio);
    };
    report_rounds("decode", "/token", timings.decode, 1);
    if (options.batch > 1)
        report_rounds(format("batch %lld", (long long)options.batch).c_str(), "/step", timings.batch,
                      double(options.batch));
    std::printf("notes    prefill FLOPs = 2 x matmul parameters x prompt tokens (a multiply-add per weight per token,\n"
                "         an untied input embedding excluded, delta-rule and attention work not counted)%s\n",
                options.skip_floors ? ""
                                    : ";\n         decode floor = reading every weight once per step, at the copy bandwidth\n"
                                      "         (memcpy, bytes read + written) or at the rate a plain read streams the\n"
                                      "         mapped weight files; each round against the bandwidth measured around it");
}

}  // namespace

Command add_bench_command(CLI::App &root, const GlobalOptions &global) {
    auto options = std::make_shared<BenchOptions>();
    CLI::App *command = root.add_subcommand(
        "bench", "Measure prefill and decode speed against this machine's bandwidth and GEMM floors");
    command->add_option("model_dir", options->model_dir, "Model directory (config.json + *.safetensors)")
        ->required();
    command->add_option("--prompt-tokens", options->prompt_tokens, "Prefill length (random ids)")
        ->check(CLI::Range(int64_t(1), int64_t(1) << 24))
        ->capture_default_str();
    command->add_option("--decode-tokens", options->decode_tokens, "Decode steps to time")
        ->check(CLI::Range(int64_t(1), int64_t(1) << 20))
        ->capture_default_str();
    command->add_option("--batch", options->batch, "Sequences for batched decode (dn_decode_batch) when > 1")
        ->check(CLI::Range(int64_t(1), int64_t(4096)))
        ->capture_default_str();
    command->add_option("--repeats", options->repeats, "Timed prefill runs and decode rounds (the best counts)")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    command->add_option("--copy-mib", options->copy_mib, "Buffer size of the bandwidth measurement")
        ->check(CLI::Range(int64_t(1), int64_t(1) << 20))
        ->capture_default_str();
    command->add_flag("--skip-floors", options->skip_floors, "Do not measure bandwidth and GEMM peaks");
    add_precision_option(*command, options->precision);
    return {command, [options, &global] { run_bench(*options, global); }};
}

}  // namespace dn::cli
