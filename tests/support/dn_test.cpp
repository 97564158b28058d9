#include "support/dn_test.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "core/safetensors.h"

#ifndef DN_SHARED_DIR
#error "tests/CMakeLists.txt passes DN_SHARED_DIR (the ground-truth directory) as a compile definition"
#endif

namespace {

const char *status_name(dn_status status) {
    switch (status) {
        case DN_OK: return "DN_OK";
        case DN_ERR_NULL_ARGUMENT: return "DN_ERR_NULL_ARGUMENT";
        case DN_ERR_INVALID_ARGUMENT: return "DN_ERR_INVALID_ARGUMENT";
        case DN_ERR_IO: return "DN_ERR_IO";
        case DN_ERR_MALFORMED_FILE: return "DN_ERR_MALFORMED_FILE";
        case DN_ERR_MODEL_MISMATCH: return "DN_ERR_MODEL_MISMATCH";
        case DN_ERR_UNSUPPORTED: return "DN_ERR_UNSUPPORTED";
        case DN_ERR_TOKEN_OUT_OF_RANGE: return "DN_ERR_TOKEN_OUT_OF_RANGE";
        case DN_ERR_BUFFER_TOO_SMALL: return "DN_ERR_BUFFER_TOO_SMALL";
        case DN_ERR_STATE_MISMATCH: return "DN_ERR_STATE_MISMATCH";
        case DN_ERR_STATE_CORRUPT: return "DN_ERR_STATE_CORRUPT";
        case DN_ERR_CONTEXT_FULL: return "DN_ERR_CONTEXT_FULL";
        case DN_ERR_OUT_OF_MEMORY: return "DN_ERR_OUT_OF_MEMORY";
        case DN_ERR_DEVICE: return "DN_ERR_DEVICE";
        case DN_ERR_INTERNAL: return "DN_ERR_INTERNAL";
    }
    return "DN_ERR_?";
}

std::string lower(std::string text) {
    for (char &c : text) c = char(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

}  // namespace

void PrintTo(dn_status status, std::ostream *os) { *os << dntest::describe(status); }

namespace dntest {

// --- The ground truth ---------------------------------------------------------------------------

fs::path shared_dir() {
    const char *env = std::getenv("DN_SHARED_DIR");
    const fs::path dir = (env && *env) ? fs::path(env) : fs::path(DN_SHARED_DIR);
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw std::runtime_error("the ground-truth directory " + dir.string() +
                                 " (DN_SHARED_DIR) does not exist: the tests need ../shared beside the project "
                                 "(configure with -DDN_SHARED_DIR=... or set $DN_SHARED_DIR)");
    return dir;
}

fs::path shared_path(const std::string &relative) {
    const fs::path path = shared_dir() / relative;
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw std::runtime_error("ground-truth file " + path.string() + " (under DN_SHARED_DIR) does not exist");
    return path;
}

const std::vector<std::string> &fixture_names() {
    static const std::vector<std::string> names = {"deltanet-tiny", "gated-deltanet-tiny", "deltanet-hybrid-tiny"};
    return names;
}

fs::path fixture_dir(const std::string &name) { return shared_path("fixtures/" + name); }

// --- Calls that must succeed --------------------------------------------------------------------

std::string describe(dn_status status) {
    std::ostringstream out;
    out << status_name(status) << " (" << int(status) << ": " << dn_status_string(status) << ")";
    return out.str();
}

void check(dn_status status, const std::string &what) {
    if (status != DN_OK)
        throw std::runtime_error(what + " failed with " + describe(status) + ": " + dn_last_error());
}

StreamPtr make_stream() {
    dn_stream *stream = nullptr;
    check(dn_stream_create("cpu", nullptr, &stream), "dn_stream_create(\"cpu\")");
    return StreamPtr(stream);
}

StreamPtr one_worker_stream() {
    dn_stream_options options;
    check(dn_stream_options_init(&options), "dn_stream_options_init");
    options.num_threads = 1;
    dn_stream *stream = nullptr;
    check(dn_stream_create("cpu", &options, &stream), "dn_stream_create(\"cpu\", num_threads = 1)");
    return StreamPtr(stream);
}

ModelPtr load_model(dn_stream *stream, const fs::path &directory) {
    dn_model *model = nullptr;
    check(dn_model_load(stream, directory.string().c_str(), nullptr, &model), "dn_model_load(" + directory.string() + ")");
    return ModelPtr(model);
}

StatePtr make_state(const dn_model *model) {
    dn_state *state = nullptr;
    check(dn_state_create(model, nullptr, &state), "dn_state_create");
    return StatePtr(state);
}

StatePtr clone_state(const dn_state *state) {
    dn_state *copy = nullptr;
    check(dn_state_clone(state, &copy), "dn_state_clone");
    return StatePtr(copy);
}

int32_t vocab_size(const dn_model *model) {
    int32_t vocab = 0;
    check(dn_model_vocab_size(model, &vocab), "dn_model_vocab_size");
    return vocab;
}

int64_t position(const dn_state *state) {
    int64_t pos = -1;
    check(dn_state_position(state, &pos), "dn_state_position");
    return pos;
}

std::vector<unsigned char> save_state(const dn_state *state) {
    size_t size = 0;
    check(dn_state_save_size(state, &size), "dn_state_save_size");
    std::vector<unsigned char> blob(size);
    size_t written = 0;
    check(dn_state_save(state, blob.data(), blob.size(), &written), "dn_state_save");
    if (written != size)
        throw std::runtime_error("dn_state_save wrote " + std::to_string(written) + " bytes; dn_state_save_size said " +
                                 std::to_string(size));
    return blob;
}

void load_state(dn_state *state, const std::vector<unsigned char> &blob) {
    check(dn_state_load(state, blob.data(), blob.size()), "dn_state_load");
}

std::vector<float> forward(dn_stream *stream, const dn_model *model, dn_state *state,
                           const std::vector<int32_t> &tokens, dn_logits_mode mode) {
    const size_t vocab = size_t(vocab_size(model));
    const size_t rows = mode == DN_LOGITS_ALL ? tokens.size() : mode == DN_LOGITS_LAST ? 1 : 0;
    std::vector<float> logits(rows * vocab);
    check(dn_forward(stream, model, state, tokens.data(), tokens.size(), mode, rows ? logits.data() : nullptr,
                     logits.size()),
          "dn_forward of " + std::to_string(tokens.size()) + " tokens");
    return logits;
}

std::vector<float> step(dn_stream *stream, const dn_model *model, dn_state *state, int32_t token) {
    return forward(stream, model, state, {token}, DN_LOGITS_LAST);
}

Loaded load(const fs::path &directory) {
    Loaded l;
    l.stream = make_stream();
    l.model = load_model(l.stream.get(), directory);
    l.vocab = vocab_size(l.model.get());
    return l;
}

// --- Reference tensors --------------------------------------------------------------------------

namespace {

const dn::TensorView &tensor(const dn::SafetensorsFile &file, const fs::path &path, const std::string &name) {
    const dn::TensorView *t = file.find(name);
    if (!t) throw std::runtime_error(path.string() + " has no tensor '" + name + "'");
    return *t;
}

std::vector<int32_t> ids_of(const dn::TensorView &t, const fs::path &path) {
    if (t.dtype != dn::DType::I64 || t.shape.size() != 1)
        throw std::runtime_error(path.string() + ": tensor '" + t.name + "' is not a 1-D I64 tensor");
    std::vector<int32_t> ids(size_t(t.shape[0]));
    for (size_t i = 0; i < ids.size(); ++i) {
        int64_t v;
        std::memcpy(&v, t.data + i * sizeof v, sizeof v);
        if (v < 0 || v > INT32_MAX) throw std::runtime_error(path.string() + ": id out of int32 range in " + t.name);
        ids[i] = int32_t(v);
    }
    return ids;
}

std::vector<float> floats_of(const dn::TensorView &t, const fs::path &path, int64_t rows) {
    if (t.dtype != dn::DType::F32 || t.shape.size() != 2 || t.shape[0] != rows)
        throw std::runtime_error(path.string() + ": tensor '" + t.name + "' is not F32 [" + std::to_string(rows) +
                                 ", vocab]");
    std::vector<float> values(size_t(t.numel()));
    std::memcpy(values.data(), t.data, values.size() * sizeof(float));
    return values;
}

}  // namespace

Reference load_reference(const fs::path &path) {
    const dn::SafetensorsFile file(path.string());
    Reference r;
    r.input_ids = ids_of(tensor(file, path, "input_ids"), path);
    r.decode_ids = ids_of(tensor(file, path, "decode_ids"), path);
    const dn::TensorView &logits = tensor(file, path, "logits");
    r.logits = floats_of(logits, path, int64_t(r.input_ids.size()));
    r.vocab = logits.shape[1];
    const dn::TensorView &decode = tensor(file, path, "decode_logits");
    r.decode_logits = floats_of(decode, path, int64_t(r.decode_ids.size()));
    if (decode.shape[1] != r.vocab) throw std::runtime_error(path.string() + ": logits and decode_logits disagree on vocab");
    return r;
}

std::vector<int32_t> read_ids(const fs::path &path, const std::string &name) {
    const dn::SafetensorsFile file(path.string());
    return ids_of(tensor(file, path, name), path);
}

// --- Numbers ------------------------------------------------------------------------------------

double rel_l2(const float *ours, const float *ref, size_t n) {
    double diff = 0, norm = 0;
    for (size_t i = 0; i < n; ++i) {
        const double d = double(ours[i]) - double(ref[i]);
        diff += d * d;
        norm += double(ref[i]) * double(ref[i]);
    }
    if (std::isnan(diff)) return 1e300;
    if (norm == 0) return diff == 0 ? 0 : 1e300;
    return std::sqrt(diff / norm);
}

size_t argmax(const float *x, size_t n) {
    size_t best = 0;
    for (size_t i = 1; i < n; ++i)
        if (x[i] > x[best]) best = i;
    return best;
}

bool bit_equal(const std::vector<float> &a, const std::vector<float> &b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

void report(const std::string &key, double value) {
    std::ostringstream text;
    text.precision(4);
    text << std::scientific << value;
    std::cout << "[ measured ] " << key << " = " << text.str() << std::endl;
    std::string attribute = key;  // gtest writes properties as XML attributes
    for (char &c : attribute)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    ::testing::Test::RecordProperty(attribute, text.str());
}

std::vector<int32_t> some_tokens(size_t n, int32_t vocab, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int32_t> pick(0, vocab - 1);
    std::vector<int32_t> tokens(n);
    for (int32_t &t : tokens) t = pick(rng);
    return tokens;
}

// --- Errors -------------------------------------------------------------------------------------

::testing::AssertionResult IsError(dn_status got, dn_status want, const std::vector<std::string> &mentions) {
    const std::string message = dn_last_error();  // first: before anything else can touch it
    if (got != want)
        return ::testing::AssertionFailure() << "status " << describe(got) << ", expected " << describe(want)
                                             << "; dn_last_error(): \"" << message << "\"";
    if (message.empty())
        return ::testing::AssertionFailure() << describe(got) << " as expected, but dn_last_error() is empty";
    for (const std::string &m : mentions)
        if (lower(message).find(lower(m)) == std::string::npos)
            return ::testing::AssertionFailure() << describe(got) << " as expected, but dn_last_error() \"" << message
                                                 << "\" does not mention \"" << m << "\"";
    return ::testing::AssertionSuccess() << describe(got) << ": " << message;
}

// --- Files --------------------------------------------------------------------------------------

TempDir::TempDir() {
    static std::atomic<unsigned> counter{0};
    std::random_device entropy;
    const fs::path base = fs::temp_directory_path();
    for (int attempt = 0; attempt < 100; ++attempt) {
        const fs::path candidate = base / ("dn-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
                                           "-" + std::to_string(entropy()));
        if (fs::create_directory(candidate)) {
            path_ = candidate;
            return;
        }
    }
    throw std::runtime_error("cannot create a temporary directory under " + base.string());
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

std::string read_bytes(const fs::path &file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + file.string());
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_bytes(const fs::path &file, const std::string &bytes) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    out.close();
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace dntest
