// The CUDA backend through the public API: the fla fixtures, the bundled model's held-out NLL,
// states moving between the GPU and the CPU, and streams running at once. Every test skips with
// the reason when no CUDA backend or device is there (CI has none); run them on a GPU machine.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/dn_test.h"

namespace {

using namespace dntest;

constexpr const char *kDevice = "cuda:0";

// A stream on cuda:0, or an empty pointer and the reason there is none.
StreamPtr cuda_stream(std::string *why) {
    dn_stream *stream = nullptr;
    const dn_status status = dn_stream_create(kDevice, nullptr, &stream);
    if (status != DN_OK) {
        *why = describe(status) + ": " + dn_last_error();
        return nullptr;
    }
    return StreamPtr(stream);
}

#define REQUIRE_CUDA(stream_var)                                                     \
    std::string why_no_cuda_;                                                        \
    StreamPtr stream_var = cuda_stream(&why_no_cuda_);                               \
    if (!stream_var) GTEST_SKIP() << "no CUDA device to run on (" << why_no_cuda_ << ")"

ModelPtr load_with(dn_stream *stream, const fs::path &dir, dn_precision precision) {
    dn_model_options options;
    dn_model_options_init(&options);
    options.precision = precision;
    dn_model *model = nullptr;
    check(dn_model_load(stream, dir.string().c_str(), &options, &model), "dn_model_load(" + dir.string() + ")");
    return ModelPtr(model);
}

// The relative L2 error of fla's own bfloat16 prefill on this fixture, from its README.
double fla_bf16_error(const std::string &fixture) {
    std::ifstream in(fixture_dir(fixture) / "README.md");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::smatch m;
    if (!std::regex_search(text, m, std::regex(R"(bfloat16[^\n]*prefill logits: ([0-9.eE+-]+))")))
        throw std::runtime_error("no bfloat16 error in the README of " + fixture);
    return std::stod(m[1]);
}

class CudaFixture : public ::testing::TestWithParam<std::string> {};

std::string param_name(const ::testing::TestParamInfo<std::string> &info) {
    std::string name = info.param;
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

// float32 weights, exact precision: the same 1e-4 bound as the CPU, and fla's greedy ids.
TEST_P(CudaFixture, Float32MatchesReference) {
    REQUIRE_CUDA(stream);
    const fs::path dir = fixture_dir(GetParam());
    const Reference ref = load_reference(dir / "reference.safetensors");
    ModelPtr model = load_with(stream.get(), dir, DN_PRECISION_EXACT);
    const size_t V = size_t(ref.vocab);

    StatePtr state = make_state(model.get());
    const std::vector<float> logits = forward(stream.get(), model.get(), state.get(), ref.input_ids, DN_LOGITS_ALL);
    const double prefill = rel_l2(logits, ref.logits);
    report(GetParam() + " cuda_f32_prefill_rel_l2", prefill);
    EXPECT_LT(prefill, 1e-4);
    EXPECT_EQ(int32_t(argmax(logits.data() + logits.size() - V, V)), ref.decode_ids[0]);

    double worst = 0;
    for (size_t i = 0; i < ref.decode_ids.size(); ++i) {
        const std::vector<float> row = step(stream.get(), model.get(), state.get(), ref.decode_ids[i]);
        worst = std::max(worst, rel_l2(row.data(), ref.decode_logits.data() + i * V, V));
        if (i + 1 < ref.decode_ids.size()) {
            EXPECT_EQ(int32_t(argmax(row.data(), V)), ref.decode_ids[i + 1]) << "greedy id after step " << i;
        }
    }
    report(GetParam() + " cuda_f32_worst_decode_rel_l2", worst);
    EXPECT_LT(worst, 1e-4);
}

// bfloat16 weights and products (DN_PRECISION_FAST): at least as close as fla's bfloat16 path, for
// the prefill and for teacher-forced decoding.
TEST_P(CudaFixture, Bfloat16AtLeastAsCloseAsFla) {
    REQUIRE_CUDA(stream);
    const fs::path dir = fixture_dir(GetParam());
    const Reference ref = load_reference(dir / "reference.safetensors");
    const double bound = fla_bf16_error(GetParam());
    ModelPtr model = load_with(stream.get(), dir, DN_PRECISION_FAST);
    const size_t V = size_t(ref.vocab);

    StatePtr state = make_state(model.get());
    const std::vector<float> logits = forward(stream.get(), model.get(), state.get(), ref.input_ids, DN_LOGITS_ALL);
    const double prefill = rel_l2(logits, ref.logits);
    report(GetParam() + " cuda_bf16_prefill_rel_l2", prefill);
    report(GetParam() + " fla_bf16_prefill_rel_l2", bound);
    EXPECT_LT(prefill, bound);

    double worst = 0;
    for (size_t i = 0; i < ref.decode_ids.size(); ++i) {
        const std::vector<float> row = step(stream.get(), model.get(), state.get(), ref.decode_ids[i]);
        worst = std::max(worst, rel_l2(row.data(), ref.decode_logits.data() + i * V, V));
    }
    report(GetParam() + " cuda_bf16_worst_decode_rel_l2", worst);
    EXPECT_LT(worst, bound);
}

// A state saved on the GPU loads on the CPU and continues there as a CPU-only run does.
TEST_P(CudaFixture, StateMovesFromGpuToCpu) {
    REQUIRE_CUDA(gpu);
    const fs::path dir = fixture_dir(GetParam());
    const Reference ref = load_reference(dir / "reference.safetensors");
    const size_t V = size_t(ref.vocab);
    ModelPtr gpu_model = load_with(gpu.get(), dir, DN_PRECISION_EXACT);
    Loaded cpu = load(dir);

    StatePtr on_gpu = make_state(gpu_model.get());
    forward(gpu.get(), gpu_model.get(), on_gpu.get(), ref.input_ids, DN_LOGITS_NONE);
    const std::vector<unsigned char> blob = save_state(on_gpu.get());

    StatePtr on_cpu = make_state(cpu.model.get());
    load_state(on_cpu.get(), blob);
    EXPECT_EQ(position(on_cpu.get()), int64_t(ref.input_ids.size()));
    const std::vector<float> continued = step(cpu.stream.get(), cpu.model.get(), on_cpu.get(), ref.decode_ids[0]);
    EXPECT_LT(rel_l2(continued.data(), ref.decode_logits.data(), V), 1e-4);

    // And back: the CPU's state continues on the GPU.
    StatePtr back = make_state(gpu_model.get());
    load_state(back.get(), save_state(on_cpu.get()));
    const std::vector<float> next = step(gpu.get(), gpu_model.get(), back.get(), ref.decode_ids[1]);
    EXPECT_LT(rel_l2(next.data(), ref.decode_logits.data() + V, V), 1e-4);
}

// Batched decode of three states equals three single steps; clones are independent.
TEST_P(CudaFixture, BatchedDecodeEqualsSingleSteps) {
    REQUIRE_CUDA(stream);
    const fs::path dir = fixture_dir(GetParam());
    const Reference ref = load_reference(dir / "reference.safetensors");
    const size_t V = size_t(ref.vocab);
    ModelPtr model = load_with(stream.get(), dir, DN_PRECISION_EXACT);
    std::vector<StatePtr> states;
    for (int i = 0; i < 3; ++i) {
        states.push_back(make_state(model.get()));
        const std::vector<int32_t> prompt(ref.input_ids.begin(), ref.input_ids.begin() + 40 + 30 * i);
        forward(stream.get(), model.get(), states.back().get(), prompt, DN_LOGITS_NONE);
    }
    std::vector<StatePtr> copies;
    for (auto &s : states) copies.push_back(clone_state(s.get()));
    std::vector<dn_state *> batch = {states[0].get(), states[1].get(), states[2].get()};
    std::vector<float> batched(3 * V);
    // Four rounds: the first runs eagerly, the second is recorded, the rest replay the recording
    // (models without attention layers) with new tokens.
    for (size_t round = 0; round < 4; ++round) {
        const std::vector<int32_t> tokens = {ref.decode_ids[round], ref.decode_ids[round + 4],
                                             ref.decode_ids[round + 8]};
        ASSERT_DN_OK(dn_decode_batch(stream.get(), model.get(), batch.data(), tokens.data(), 3, batched.data(),
                                     batched.size()));
        for (size_t i = 0; i < 3; ++i) {
            const std::vector<float> single = step(stream.get(), model.get(), copies[i].get(), tokens[i]);
            EXPECT_LT(rel_l2(batched.data() + i * V, single.data(), V), 1e-5) << "round " << round << " state " << i;
        }
    }
}

// A recorded decode step replays with whatever token comes next, and the state it leaves equals
// an eager run's (checked on the CPU, which runs everything eagerly).
TEST_P(CudaFixture, ReplayedDecodeStepsMatchTheCpu) {
    REQUIRE_CUDA(gpu);
    const fs::path dir = fixture_dir(GetParam());
    const Reference ref = load_reference(dir / "reference.safetensors");
    const size_t V = size_t(ref.vocab);
    ModelPtr gpu_model = load_with(gpu.get(), dir, DN_PRECISION_EXACT);
    Loaded cpu = load(dir);
    StatePtr on_gpu = make_state(gpu_model.get()), on_cpu = make_state(cpu.model.get());
    const std::vector<int32_t> tokens = some_tokens(12, int32_t(V), 5);
    double worst = 0;
    for (int32_t token : tokens) {
        const std::vector<float> g = step(gpu.get(), gpu_model.get(), on_gpu.get(), token);
        const std::vector<float> c = step(cpu.stream.get(), cpu.model.get(), on_cpu.get(), token);
        worst = std::max(worst, rel_l2(g, c));
    }
    report(GetParam() + " cuda_vs_cpu_decode_worst_rel_l2", worst);
    EXPECT_LT(worst, 1e-4);
    const std::vector<unsigned char> gpu_blob = save_state(on_gpu.get()), cpu_blob = save_state(on_cpu.get());
    ASSERT_EQ(gpu_blob.size(), cpu_blob.size());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CudaFixture, ::testing::ValuesIn(fixture_names()), param_name);

// The bundled model's held-out NLL in bfloat16, within 1e-2 of fla's float32 value.
TEST(CudaKjv, HeldOutNllInBfloat16) {
    REQUIRE_CUDA(stream);
    const fs::path dir = shared_path("models/kjv-deltanet-6m");
    const std::vector<int32_t> ids = read_ids(dir / "val_ids.safetensors", "val_ids");
    ModelPtr model = load_with(stream.get(), dir, DN_PRECISION_FAST);
    StatePtr state = make_state(model.get());
    const std::vector<float> logits = forward(stream.get(), model.get(), state.get(), ids, DN_LOGITS_ALL);
    const size_t V = logits.size() / ids.size();
    double nll = 0;
    for (size_t t = 0; t + 1 < ids.size(); ++t) {
        const float *row = logits.data() + t * V;
        const float top = *std::max_element(row, row + V);
        double total = 0;
        for (size_t j = 0; j < V; ++j) total += std::exp(double(row[j]) - top);
        nll += std::log(total) + top - row[ids[t + 1]];
    }
    nll /= double(ids.size() - 1);
    report("kjv cuda_bf16_val_nll", nll);
    EXPECT_NEAR(nll, 4.1112118, 1e-2);
}

// Two streams on one device, each in its own thread with its own state, give what one stream gives.
TEST(CudaStreams, TwoThreadsTwoStreamsOneModel) {
    REQUIRE_CUDA(first);
    std::string why;
    StreamPtr second = cuda_stream(&why);
    ASSERT_TRUE(second) << why;
    const fs::path dir = fixture_dir("gated-deltanet-tiny");
    const Reference ref = load_reference(dir / "reference.safetensors");
    ModelPtr model = load_with(first.get(), dir, DN_PRECISION_EXACT);

    auto run = [&](dn_stream *stream, std::vector<float> *out) {
        StatePtr state = make_state(model.get());
        *out = forward(stream, model.get(), state.get(), ref.input_ids, DN_LOGITS_ALL);
        for (int32_t id : ref.decode_ids) {
            const std::vector<float> row = step(stream, model.get(), state.get(), id);
            out->insert(out->end(), row.begin(), row.end());
        }
    };
    std::vector<float> alone, a, b;
    run(first.get(), &alone);
    std::thread ta(run, first.get(), &a), tb(run, second.get(), &b);
    ta.join();
    tb.join();
    EXPECT_TRUE(bit_equal(a, alone));
    EXPECT_TRUE(bit_equal(b, alone));
}

// Devices that do not exist are clear errors.
TEST(CudaDevices, MissingDeviceIsAnError) {
    REQUIRE_CUDA(stream);
    dn_stream *none = nullptr;
    EXPECT_DN_ERROR(dn_stream_create("cuda:63", nullptr, &none), DN_ERR_DEVICE, "cuda:63");
    EXPECT_EQ(none, nullptr);
}

}  // namespace
