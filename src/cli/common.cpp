#include "cli/common.h"

#include <omp.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <sstream>

#include "cli/progress.h"
#include "core/error.h"

namespace dn::cli {

int GlobalOptions::resolved_threads() const { return threads > 0 ? threads : omp_get_max_threads(); }

void check(dn_status status) {
    if (status != DN_OK) throw Error(status, dn_last_error());
}

LoadedModel load_model(const std::string &dir, const GlobalOptions &global, dn_precision precision) {
    LoadedModel loaded;
    dn_stream_options stream_options;
    check(dn_stream_options_init(&stream_options));
    stream_options.num_threads = global.threads;
    dn_stream *stream = nullptr;
    check(dn_stream_create("cpu", &stream_options, &stream));
    loaded.stream.reset(stream);

    ProgressBar bar("loading");
    dn_model_options model_options;
    check(dn_model_options_init(&model_options));
    model_options.precision = precision;
    model_options.weights = global.mapped_weights ? DN_WEIGHTS_MAPPED : DN_WEIGHTS_COPY;
    if (bar.enabled()) {
        model_options.progress = &ProgressBar::callback;
        model_options.progress_user_data = &bar;
    }
    const double start = now_seconds();
    dn_model *model = nullptr;
    const dn_status status = dn_model_load(stream, dir.c_str(), &model_options, &model);
    bar.clear();
    check(status);
    loaded.model.reset(model);
    loaded.load_seconds = now_seconds() - start;
    std::fprintf(stderr, "loaded %s in %.3f s\n", dir.c_str(), loaded.load_seconds);
    return loaded;
}

StatePtr new_state(const dn_model *model, int64_t max_context) {
    dn_state_options options;
    check(dn_state_options_init(&options));
    options.max_context = max_context;
    dn_state *state = nullptr;
    check(dn_state_create(model, &options, &state));
    return StatePtr(state);
}

ModelInfo describe(const dn_model *model) {
    ModelInfo info;
    check(dn_model_family(model, &info.family));
    check(dn_model_vocab_size(model, &info.vocab_size));
    check(dn_model_num_layers(model, &info.num_layers));
    check(dn_model_num_attention_layers(model, &info.num_attention_layers));
    check(dn_model_hidden_size(model, &info.hidden_size));
    check(dn_model_weight_dtype(model, &info.weight_dtype));
    check(dn_model_num_params(model, &info.params));
    check(dn_model_weight_bytes(model, &info.weight_bytes));
    check(dn_model_state_bytes(model, &info.state_bytes));
    check(dn_model_special_tokens(model, &info.bos, &info.eos));
    return info;
}

const char *family_name(dn_family family) {
    switch (family) {
        case DN_FAMILY_DELTANET: return "delta_net";
        case DN_FAMILY_GATED_DELTANET: return "gated_deltanet";
    }
    return "unknown";
}

const char *dtype_name(dn_dtype dtype) {
    switch (dtype) {
        case DN_DTYPE_F32: return "f32";
        case DN_DTYPE_BF16: return "bf16";
        case DN_DTYPE_F16: return "f16";
    }
    return "unknown";
}

std::string read_all(const std::string &path) {
    if (path == "-") {
        std::ostringstream text;
        text << std::cin.rdbuf();
        if (std::cin.bad()) fail(DN_ERR_IO, "cannot read standard input");
        return text.str();
    }
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) fail(DN_ERR_IO, path, " is a directory, not a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(DN_ERR_IO, "cannot open ", path, ": ", std::strerror(errno));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) fail(DN_ERR_IO, "cannot read ", path);
    return text;
}

TokenizerPtr load_tokenizer(const std::string &dir) {
    dn_tokenizer *tokenizer = nullptr;
    check(dn_tokenizer_load(dir.c_str(), &tokenizer));
    return TokenizerPtr(tokenizer);
}

std::vector<int32_t> encode(const dn_tokenizer *tokenizer, const std::string &text, uint32_t flags) {
    size_t count = 0;
    std::vector<int32_t> ids(text.size() + 8);  // at most one id per byte, plus what a template adds
    dn_status status = dn_tokenizer_encode(tokenizer, text.data(), text.size(), flags, ids.data(), ids.size(), &count);
    if (status == DN_ERR_BUFFER_TOO_SMALL) {
        ids.resize(count);
        status = dn_tokenizer_encode(tokenizer, text.data(), text.size(), flags, ids.data(), ids.size(), &count);
    }
    check(status);
    ids.resize(count);
    return ids;
}

std::vector<int32_t> read_ids_file(const std::string &path) {
    const std::string text = read_all(path);
    const std::string name = path == "-" ? std::string("<stdin>") : path;
    std::vector<int32_t> ids;
    size_t line = 1;
    size_t i = 0;
    while (i < text.size()) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (std::isspace(c)) {
            line += c == '\n';
            ++i;
            continue;
        }
        size_t end = i;
        while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
        const char *first = text.data() + i;
        const char *last = text.data() + end;
        int64_t value = 0;
        const auto [ptr, ec] = std::from_chars(first, last, value);
        const std::string token(first, std::min<size_t>(end - i, 40));
        const std::string shown = end - i > 40 ? token + "..." : token;
        if (ec == std::errc::invalid_argument || ptr != last)
            fail(DN_ERR_MALFORMED_FILE, name, ":", line, ": '", shown,
                 "' is not an integer token id (ids must be integers separated by whitespace)");
        if (ec == std::errc::result_out_of_range || value < std::numeric_limits<int32_t>::min() ||
            value > std::numeric_limits<int32_t>::max())
            fail(DN_ERR_MALFORMED_FILE, name, ":", line, ": token id ", shown, " is out of range");
        ids.push_back(int32_t(value));
        i = end;
    }
    if (ids.empty()) fail(DN_ERR_MALFORMED_FILE, name, " holds no token ids");
    return ids;
}

size_t argmax(const float *values, size_t count) {
    size_t best = 0;
    for (size_t i = 1; i < count; ++i)
        if (values[i] > values[best]) best = i;
    return best;
}

void add_precision_option(CLI::App &command, dn_precision &precision) {
    command
        .add_option_function<std::string>(
            "--precision",
            [&precision](std::string name) {
                for (char &c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
                precision = name == "fast" ? DN_PRECISION_FAST : DN_PRECISION_EXACT;
            },
            "exact: float32 activations (fla's float32 path); fast: bfloat16 activations in prefill matrix "
            "products of bfloat16 models")
        ->check(CLI::IsMember({"exact", "fast"}, CLI::ignore_case))
        ->default_str("exact");
}

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string format(const char *pattern, ...) {
    va_list args;
    va_start(args, pattern);
    va_list copy;
    va_copy(copy, args);
    const int n = std::vsnprintf(nullptr, 0, pattern, copy);
    va_end(copy);
    std::string out(n > 0 ? size_t(n) : 0, '\0');
    if (n > 0) std::vsnprintf(out.data(), out.size() + 1, pattern, args);
    va_end(args);
    return out;
}

std::string human_bytes(double bytes) {
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    int unit = 0;
    while (bytes >= 1000.0 && unit < 4) {
        bytes /= 1000.0;
        ++unit;
    }
    return unit == 0 ? format("%.0f B", bytes) : format("%.2f %s", bytes, units[unit]);
}

std::string human_count(double count) {
    static const char *const units[] = {"", " k", " M", " G", " T"};
    int unit = 0;
    while (count >= 1000.0 && unit < 4) {
        count /= 1000.0;
        ++unit;
    }
    return unit == 0 ? format("%.0f", count) : format("%.2f%s", count, units[unit]);
}

std::string with_commas(uint64_t value) {
    const std::string digits = std::to_string(value);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

}  // namespace dn::cli
