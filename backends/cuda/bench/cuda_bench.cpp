// deltanet-cuda-bench MODEL_DIR...: the CUDA backend's speed against this GPU's own floors.
//
// Floors are measured here, once per run: memory bandwidth by a large device-to-device copy (bytes
// read + written per second) and the bf16 tensor-core peak by a large cuBLASLt product. For each
// model: decode (batch 1, 32, 256) in ms per step against the bytes a step must read (the weights
// once, minus the untied input embedding, which is a row lookup, plus each state read and written),
// prefill tokens/s at T = 2048 and 16384 against 2 * params * T flops at the bf16 peak; and the
// delta-rule prefill kernel alone (T = 65536, H = 16, D = 128) in tokens/s.
#include <cublasLt.h>
#include <cuda_profiler_api.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "core/dtype.h"
#include "core/safetensors.h"
#include "deltanet/deltanet.h"

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

#define CHECK_CUDA(call)                                                                       \
    do {                                                                                       \
        const cudaError_t e_ = (call);                                                         \
        if (e_ != cudaSuccess) {                                                               \
            std::fprintf(stderr, "%s: %s\n", #call, cudaGetErrorString(e_));                   \
            std::exit(1);                                                                      \
        }                                                                                      \
    } while (0)

void check(dn_status status, const char *what) {
    if (status != DN_OK) {
        std::fprintf(stderr, "%s: %s\n", what, dn_last_error());
        std::exit(1);
    }
}

// Device-to-device copy of 2 GiB, median of 10: bytes read + written per second.
double copy_bandwidth() {
    const size_t bytes = size_t(2) << 30;
    void *a = nullptr, *b = nullptr;
    CHECK_CUDA(cudaMalloc(&a, bytes));
    CHECK_CUDA(cudaMalloc(&b, bytes));
    CHECK_CUDA(cudaMemset(a, 1, bytes));
    cudaEvent_t start, stop;
    cudaEventCreate(&start);
    cudaEventCreate(&stop);
    std::vector<float> ms;
    for (int i = 0; i < 12; ++i) {
        cudaEventRecord(start);
        CHECK_CUDA(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice));
        cudaEventRecord(stop);
        cudaEventSynchronize(stop);
        float t = 0;
        cudaEventElapsedTime(&t, start, stop);
        if (i >= 2) ms.push_back(t);
    }
    std::sort(ms.begin(), ms.end());
    cudaFree(a);
    cudaFree(b);
    return 2.0 * double(bytes) / (ms[ms.size() / 2] * 1e-3);
}

// 8192^3 bf16 product through cuBLASLt on random data, median of 10: flops per second.
double bf16_peak() {
    const int n = 8192;
    const size_t count = size_t(n) * n;
    void *a, *b, *c, *ws;
    CHECK_CUDA(cudaMalloc(&a, count * 2));
    CHECK_CUDA(cudaMalloc(&b, count * 2));
    CHECK_CUDA(cudaMalloc(&c, count * 4));
    CHECK_CUDA(cudaMalloc(&ws, 64 << 20));
    std::vector<uint16_t> host(count);
    std::mt19937 rng(1);
    for (auto &x : host) x = uint16_t(0x3c00 + (rng() & 0x3ff)) ^ uint16_t((rng() & 1) << 15);  // +-[1, 2)/128
    CHECK_CUDA(cudaMemcpy(a, host.data(), count * 2, cudaMemcpyHostToDevice));
    CHECK_CUDA(cudaMemcpy(b, host.data(), count * 2, cudaMemcpyHostToDevice));
    cublasLtHandle_t lt;
    cublasLtCreate(&lt);
    cublasLtMatmulDesc_t op;
    cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F);
    cublasLtMatrixLayout_t la, lb, lc;
    cublasLtMatrixLayoutCreate(&la, CUDA_R_16BF, n, n, n);
    cublasLtMatrixLayoutCreate(&lb, CUDA_R_16BF, n, n, n);
    cublasLtMatrixLayoutCreate(&lc, CUDA_R_32F, n, n, n);
    const float one = 1, zero = 0;
    cudaEvent_t start, stop;
    cudaEventCreate(&start);
    cudaEventCreate(&stop);
    std::vector<float> ms;
    for (int i = 0; i < 12; ++i) {
        cudaEventRecord(start);
        if (cublasLtMatmul(lt, op, &one, a, la, b, lb, &zero, c, lc, c, lc, nullptr, ws, 64 << 20, nullptr) !=
            CUBLAS_STATUS_SUCCESS) {
            std::fprintf(stderr, "cuBLASLt bf16 product failed\n");
            std::exit(1);
        }
        cudaEventRecord(stop);
        cudaEventSynchronize(stop);
        float t = 0;
        cudaEventElapsedTime(&t, start, stop);
        if (i >= 2) ms.push_back(t);
    }
    std::sort(ms.begin(), ms.end());
    cublasLtMatrixLayoutDestroy(la);
    cublasLtMatrixLayoutDestroy(lb);
    cublasLtMatrixLayoutDestroy(lc);
    cublasLtMatmulDescDestroy(op);
    cublasLtDestroy(lt);
    cudaFree(a);
    cudaFree(b);
    cudaFree(c);
    cudaFree(ws);
    return 2.0 * double(n) * n * n / (ms[ms.size() / 2] * 1e-3);
}

// DN_BENCH_PARTS (comma-separated: kernel, ops, decode, prefill; default all) picks what runs, for
// short targeted runs on the GPU machine. DN_BENCH_BATCHES (e.g. "1,32") picks the decode batches.
bool part_wanted(const char *part) {
    const char *parts = std::getenv("DN_BENCH_PARTS");
    if (!parts || !*parts) return true;
    const std::string list = std::string(",") + parts + ",";
    return list.find(std::string(",") + part + ",") != std::string::npos;
}

std::vector<int> decode_batches() {
    std::vector<int> batches;
    const char *env = std::getenv("DN_BENCH_BATCHES");
    for (const char *p = env; p && *p;) {
        char *end = nullptr;
        const long b = std::strtol(p, &end, 10);
        if (end == p) break;
        if (b > 0 && b <= 256) batches.push_back(int(b));
        p = *end == ',' ? end + 1 : end;
    }
    if (batches.empty()) batches = {1, 32, 256};
    return batches;
}

std::vector<int32_t> random_ids(size_t n, int32_t vocab, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<int32_t> ids(n);
    for (auto &id : ids) id = int32_t(rng() % uint32_t(vocab));
    return ids;
}

void bench_model(const std::string &dir, double bandwidth, double peak) {
    dn_stream *stream = nullptr;
    check(dn_stream_create("cuda:0", nullptr, &stream), "dn_stream_create");
    dn_model_options options;
    dn_model_options_init(&options);
    options.precision = DN_PRECISION_FAST;
    dn_model *model = nullptr;
    check(dn_model_load(stream, dir.c_str(), &options, &model), "dn_model_load");
    int32_t vocab = 0, hidden = 0;
    uint64_t weight_bytes = 0, params = 0, state_bytes = 0;
    dn_model_vocab_size(model, &vocab);
    dn_model_hidden_size(model, &hidden);
    dn_model_weight_bytes(model, &weight_bytes);
    dn_model_num_params(model, &params);
    dn_model_state_bytes(model, &state_bytes);
    // The input embedding is read one row per token; tied checkpoints read it whole as the lm head.
    const bool tied = std::filesystem::exists(dir + "/config.json") &&
                      std::system(("grep -q '\"tie_word_embeddings\": *true' " + dir + "/config.json").c_str()) == 0;
    const uint64_t embedding_bytes = uint64_t(vocab) * uint64_t(hidden) * (weight_bytes / std::max<uint64_t>(params, 1));
    const uint64_t step_bytes = tied ? weight_bytes : weight_bytes - embedding_bytes;
    const double matmul_params = double(tied ? params : params - uint64_t(vocab) * hidden);
    std::printf("\n%s\n  %.2f G params, %.2f GB weights, %.2f GB read per decode step, state %.2f MB\n", dir.c_str(),
                double(params) / 1e9, double(weight_bytes) / 1e9, double(step_bytes) / 1e9, double(state_bytes) / 1e6);

    std::vector<float> logits(size_t(vocab) * 256);
    for (int batch : part_wanted("decode") ? decode_batches() : std::vector<int>{}) {
        std::vector<dn_state *> states(static_cast<size_t>(batch));
        for (auto &s : states) check(dn_state_create(model, nullptr, &s), "dn_state_create");
        const std::vector<int32_t> prompt = random_ids(8, vocab, 1);
        for (auto *s : states) check(dn_forward(stream, model, s, prompt.data(), prompt.size(), DN_LOGITS_NONE, nullptr, 0), "prefill");
        const std::vector<int32_t> tokens = random_ids(size_t(batch), vocab, 2);
        auto one_step = [&] {
            if (batch == 1)
                check(dn_forward(stream, model, states[0], tokens.data(), 1, DN_LOGITS_LAST, logits.data(), logits.size()), "decode");
            else
                check(dn_decode_batch(stream, model, states.data(), tokens.data(), size_t(batch), logits.data(), logits.size()),
                      "decode batch");
        };
        for (int i = 0; i < 3; ++i) one_step();
        // DN_BENCH_PROFILE=1: three steps inside a profiler range (ncu --profile-from-start off).
        const bool profile = std::getenv("DN_BENCH_PROFILE") && std::atoi(std::getenv("DN_BENCH_PROFILE")) == 1;
        const int steps = profile ? 3 : batch == 1 ? 64 : 16;
        if (profile) cudaProfilerStart();
        const double t0 = now();
        for (int i = 0; i < steps; ++i) one_step();
        const double per_step = (now() - t0) / steps;
        if (profile) cudaProfilerStop();
        const double bytes = double(step_bytes) + 2.0 * double(batch) * double(state_bytes);
        const double floor = bytes / bandwidth;
        std::printf("  decode batch %3d: %8.3f ms/step  %9.0f tok/s   floor %.3f ms (%.2f GB)  %.0f%% of floor\n", batch,
                    per_step * 1e3, batch / per_step, floor * 1e3, bytes / 1e9, 100.0 * floor / per_step);
        for (auto *s : states) dn_state_free(s);
    }
    for (int64_t T : part_wanted("prefill") ? std::vector<int64_t>{2048, 16384} : std::vector<int64_t>{}) {
        const std::vector<int32_t> ids = random_ids(size_t(T), vocab, 3);
        dn_state *state = nullptr;
        check(dn_state_create(model, nullptr, &state), "dn_state_create");
        double best = 1e30;
        for (int r = 0; r < 3; ++r) {
            dn_state_reset(state);
            const double t0 = now();
            check(dn_forward(stream, model, state, ids.data(), ids.size(), DN_LOGITS_LAST, logits.data(), logits.size()),
                  "prefill");
            best = std::min(best, now() - t0);
        }
        const double floor = 2.0 * matmul_params * double(T) / peak;
        std::printf("  prefill T=%5lld: %9.0f tok/s   (%.1f ms; matrix-product floor %.1f ms: %.0f%% of bf16 peak)\n",
                    (long long)T, double(T) / best, best * 1e3, floor * 1e3, 100.0 * floor / best);
        dn_state_free(state);
    }
    dn_model_free(model);
    dn_stream_destroy(stream);
}

// Mean time of `op` over many back-to-back launches (launch cost included, as in an eager step).
template <typename Op>
double time_op(dn::Backend &be, Op op, int reps = 200) {
    op();
    be.synchronize();
    const double t0 = now();
    for (int i = 0; i < reps; ++i) op();
    be.synchronize();
    return (now() - t0) / reps;
}

// The operations of one 1.3B DeltaNet decode step (batch 1), one by one: where the time goes.
void bench_decode_ops() {
    dn::Backend &be = dn::backend_for_device("cuda:0");
    std::mt19937 rng(9);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    auto matrix = [&](int64_t n, int64_t k) {
        std::vector<uint16_t> w(size_t(n * k));
        for (auto &x : w) x = dn::f32_to_bf16(u(rng) * 0.02f);
        dn::TensorView t;
        t.name = "w";
        t.dtype = dn::DType::BF16;
        t.shape = {n, k};
        t.data = reinterpret_cast<const std::byte *>(w.data());
        t.nbytes = w.size() * 2;
        return be.prepare_matrix(t, DN_PRECISION_FAST);
    };
    auto buffer = [&](size_t n) {
        std::vector<float> h(n);
        for (auto &x : h) x = u(rng);
        float *p = be.alloc(n);
        be.upload(p, h.data(), n);
        return p;
    };
    float *x = buffer(16384), *y = buffer(40000), *w = buffer(8192), *tail = buffer(3 * 2048);
    float *state = buffer(16 * 128 * 128), *beta = buffer(16);
    std::printf("\ndecode operations, 1.3B DeltaNet shapes, batch 1 (eager launches)\n");
    struct Shape {
        const char *what;
        int64_t n, k;
    };
    for (const Shape &sh : {Shape{"q/k/v/o proj 2048x2048", 2048, 2048}, Shape{"gate/up 5632x2048", 5632, 2048},
                            Shape{"down 2048x5632", 2048, 5632}, Shape{"lm head 32000x2048", 32000, 2048},
                            Shape{"beta proj 16x2048", 16, 2048}}) {
        auto m = matrix(sh.n, sh.k);
        const double t = time_op(be, [&] { be.matmul(x, sh.k, 1, *m, y, sh.n); });
        std::printf("  gemv %-24s %7.2f us  %6.0f GB/s\n", sh.what, t * 1e6, double(sh.n * sh.k * 2) / t / 1e9);
    }
    std::printf("  %-29s %7.2f us\n", "rms_norm 2048",
                time_op(be, [&] { be.rms_norm(x, 2048, w, nullptr, 0, y, 2048, 1, 2048, 1e-6f); }) * 1e6);
    std::printf("  %-29s %7.2f us\n", "short_conv 2048, W=4", time_op(be, [&] {
                    dn::ConvArgs a;
                    a.x = x, a.x_stride = 2048, a.y = x, a.y_stride = 2048, a.weight = w, a.tail = tail;
                    a.T = 1, a.D = 2048, a.W = 4, a.silu = true;
                    be.short_conv(a);
                }) * 1e6);
    std::printf("  %-29s %7.2f us\n", "qk_transform 16x128 l2",
                time_op(be, [&] { be.qk_transform(x, 2048, 1, 16, 128, dn::QKActivation::Identity, dn::Backend::Norm::L2, 0.1f); }) * 1e6);
    std::printf("  %-29s %7.2f us\n", "beta 16", time_op(be, [&] { be.beta(beta, 16, 1, 16, 1.0f, false); }) * 1e6);
    std::printf("  %-29s %7.2f us  (state %.1f MB read + written)\n", "delta rule step 16x128x128", time_op(be, [&] {
                    dn::DeltaArgs a;
                    a.T = 1, a.Hk = 16, a.Hv = 16, a.dk = 128, a.dv = 128;
                    a.q = x, a.k = x + 2048, a.v = x + 4096, a.q_stride = a.k_stride = a.v_stride = 8192;
                    a.beta = w, a.beta_stride = 16, a.state = state, a.o = y, a.o_stride = 2048, a.chunked = false;
                    be.delta_rule(a);
                }) * 1e6, 16 * 128 * 128 * 4 / 1e6);
    std::printf("  %-29s %7.2f us\n", "glu 5632", time_op(be, [&] { be.glu(y, y + 8192, y, 1, 5632, dn::MlpActivation::Swish); }) * 1e6);
    std::printf("  %-29s %7.2f us\n", "add_rms_norm 2048",
                time_op(be, [&] { be.add_rms_norm(x, y, w, x + 8192, 1, 2048, 1e-6f); }) * 1e6);
    for (float *p : {x, y, w, tail, state, beta}) be.release(p);

    // The batched steps' big pieces: products of B rows, and the state update over B sequences.
    for (int64_t B : {32, 256}) {
        std::printf("batch %lld:\n", static_cast<long long>(B));
        float *xb = buffer(size_t(B) * 5632), *yb = buffer(size_t(B) * 11264);
        for (const Shape &sh : {Shape{"q/k/v/o proj 2048x2048", 2048, 2048}, Shape{"gate/up 11264x2048", 11264, 2048},
                                Shape{"down 2048x5632", 2048, 5632}}) {
            auto m = matrix(sh.n, sh.k);
            const double t = time_op(be, [&] { be.matmul(xb, sh.k, B, *m, yb, sh.n); }, 50);
            std::printf("  matmul %-22s %7.2f us  %6.0f GB/s of weights\n", sh.what, t * 1e6,
                        double(sh.n * sh.k * 2) / t / 1e9);
        }
        std::vector<float *> states(static_cast<size_t>(B));
        for (auto &p : states) p = buffer(16 * 128 * 128);
        const double t = time_op(be, [&] {
            dn::DeltaRowsArgs a;
            a.B = B, a.Hk = 16, a.Hv = 16, a.dk = 128, a.dv = 128;
            a.q = xb, a.k = xb + 2048, a.v = xb + 4096, a.q_stride = a.k_stride = a.v_stride = 5632;
            a.beta = yb, a.beta_stride = 16, a.states = states.data(), a.o = yb + 16 * B, a.o_stride = 2048;
            be.delta_rule_rows(a);
        }, 50);
        const double bytes = 2.0 * double(B) * 16 * 128 * 128 * 4;
        std::printf("  %-29s %7.2f us  %6.0f GB/s of state read + written\n", "delta rule rows 16x128x128", t * 1e6,
                    bytes / t / 1e9);
        for (float *p : states) be.release(p);
        be.release(xb);
        be.release(yb);
    }
}

// The delta-rule prefill kernel alone through the backend interface, fp32 inputs, random data.
void bench_delta_rule(bool gated, bool bf16) {
    dn::Backend &be = dn::backend_for_device("cuda:0");
    const int64_t T = 65536;
    const int H = 16, D = 128;
    const int64_t row = int64_t(H) * D;
    std::mt19937 rng(5);
    std::normal_distribution<float> normal;
    std::vector<float> host(size_t(T * row));
    auto upload_random = [&](float scale) {
        for (auto &x : host) x = normal(rng) * scale;
        float *p = be.alloc(host.size());
        be.upload(p, host.data(), host.size());
        return p;
    };
    float *q = upload_random(0.01f), *k = upload_random(1.0f / std::sqrt(float(D))), *v = upload_random(1.0f);
    std::vector<float> small(size_t(T * H));
    for (auto &x : small) x = 0.5f;
    float *beta = be.alloc(small.size()), *g = be.alloc(small.size());
    be.upload(beta, small.data(), small.size());
    for (auto &x : small) x = -0.05f;
    be.upload(g, small.data(), small.size());
    float *state = be.alloc(size_t(H) * D * D), *o = be.alloc(host.size());
    dn::DeltaArgs a;
    a.T = T, a.Hk = H, a.Hv = H, a.dk = D, a.dv = D;
    a.q = q, a.k = k, a.v = v, a.q_stride = a.k_stride = a.v_stride = row;
    a.beta = beta, a.beta_stride = H;
    a.g = gated ? g : nullptr, a.g_stride = H;
    a.state = state, a.o = o, a.o_stride = row, a.chunked = true, a.bf16_products = bf16;
    double best = 1e30;
    for (int r = 0; r < 5; ++r) {
        be.zero(state, size_t(H) * D * D);
        be.synchronize();
        const double t0 = now();
        be.delta_rule(a);
        be.synchronize();
        best = std::min(best, now() - t0);
    }
    std::printf("  chunked %s delta rule, T=%lld H=%d D=%d, %s products: %.2f ms, %.1f M tok/s", gated ? "gated" : "plain",
                (long long)T, H, D, bf16 ? "bf16" : "fp32", best * 1e3, double(T) / best / 1e6);
    // fla's time for the same shape, measured in the same run by tests/gpu/fla_bench.py.
    const char *fla = std::getenv(gated ? "DN_FLA_GATED_MS" : "DN_FLA_PLAIN_MS");
    if (fla && *fla && std::atof(fla) > 0)
        std::printf("   (fla %.2f ms: %.2fx fla's speed)", std::atof(fla), std::atof(fla) / (best * 1e3));
    std::printf("\n");
    for (float *p : {q, k, v, beta, g, state, o}) be.release(p);
}

}  // namespace

int main(int argc, char **argv) {
    cudaDeviceProp prop{};
    CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
    const double bandwidth = copy_bandwidth();
    const double peak = bf16_peak();
    std::printf("%s, %d SMs: copy %.2f TB/s (read + write), bf16 cuBLASLt %.0f TFLOP/s\n", prop.name,
                prop.multiProcessorCount, bandwidth / 1e12, peak / 1e12);
    if (part_wanted("kernel")) {
        std::printf("\ndelta-rule kernel\n");
        for (bool bf16 : {false, true}) {
            bench_delta_rule(false, bf16);
            bench_delta_rule(true, bf16);
        }
    }
    if (part_wanted("ops")) bench_decode_ops();
    for (int i = 1; i < argc; ++i) bench_model(argv[i], bandwidth, peak);
    return 0;
}
