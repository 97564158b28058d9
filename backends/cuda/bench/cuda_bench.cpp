// deltanet-cuda-bench MODEL_DIR...: the CUDA backend's speed against this GPU's own floors.
//
// Floors are measured here, once per run: memory bandwidth by a large device-to-device copy (bytes
// read + written per second) and the bf16 tensor-core peak by a large cuBLASLt product. For each
// model: decode (batch 1, 32, 256) in ms per step against the bytes a step must read (the weights
// once, minus the untied input embedding, which is a row lookup, plus each state read and written),
// prefill tokens/s at T = 2048 and 16384 against 2 * params * T flops at the bf16 peak; and the
// delta-rule prefill kernel alone (T = 65536, H = 16, D = 128) in tokens/s.
#include <cublasLt.h>
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
    for (int batch : {1, 32, 256}) {
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
        const int steps = batch == 1 ? 64 : 16;
        const double t0 = now();
        for (int i = 0; i < steps; ++i) one_step();
        const double per_step = (now() - t0) / steps;
        const double bytes = double(step_bytes) + 2.0 * double(batch) * double(state_bytes);
        const double floor = bytes / bandwidth;
        std::printf("  decode batch %3d: %8.3f ms/step  %9.0f tok/s   floor %.3f ms (%.2f GB)  %.0f%% of floor\n", batch,
                    per_step * 1e3, batch / per_step, floor * 1e3, bytes / 1e9, 100.0 * floor / per_step);
        for (auto *s : states) dn_state_free(s);
    }
    for (int64_t T : {2048, 16384}) {
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

// The delta-rule prefill kernel alone through the backend interface, fp32 inputs, random data.
void bench_delta_rule(bool gated) {
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
    a.state = state, a.o = o, a.o_stride = row, a.chunked = true;
    double best = 1e30;
    for (int r = 0; r < 5; ++r) {
        be.zero(state, size_t(H) * D * D);
        be.synchronize();
        const double t0 = now();
        be.delta_rule(a);
        be.synchronize();
        best = std::min(best, now() - t0);
    }
    std::printf("  chunked %s delta rule, T=%lld H=%d D=%d (fp32 in/out): %.2f ms, %.1f M tok/s\n",
                gated ? "gated" : "plain", (long long)T, H, D, best * 1e3, double(T) / best / 1e6);
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
    std::printf("\ndelta-rule kernel\n");
    bench_delta_rule(false);
    bench_delta_rule(true);
    for (int i = 1; i < argc; ++i) bench_model(argv[i], bandwidth, peak);
    return 0;
}
