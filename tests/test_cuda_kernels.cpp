// The CUDA backend's operations, one by one, on random inputs at sizes off every tile: the delta rule
// and the matrix products against float64 references, the other operations against the CPU backend
// (whose own tests tie it to float64 references). Skips, saying why, where no CUDA device is there.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/safetensors.h"

namespace {

using dn::Backend;

Backend *cuda_backend(std::string *why) {
    try {
        return &dn::backend_for_device("cuda:0");
    } catch (const dn::Error &e) {
        *why = e.what();
        return nullptr;
    }
}

#define REQUIRE_CUDA(var)                                                                   \
    std::string why_no_cuda_;                                                               \
    Backend *var = cuda_backend(&why_no_cuda_);                                             \
    if (!var) GTEST_SKIP() << "no CUDA device to run on (" << why_no_cuda_ << ")"

Backend &cpu() { return dn::backend_for_device("cpu"); }

// A float buffer on a backend, filled from the host.
class Buffer {
public:
    Buffer(Backend &backend, const std::vector<float> &host) : backend_(backend), size_(host.size()) {
        data_ = backend.alloc(size_);
        backend.upload(data_, host.data(), size_);
    }
    ~Buffer() { backend_.release(data_); }
    Buffer(const Buffer &) = delete;
    Buffer &operator=(const Buffer &) = delete;
    float *get() { return data_; }
    std::vector<float> read() const {
        std::vector<float> out(size_);
        backend_.download(out.data(), data_, size_);
        return out;
    }

private:
    Backend &backend_;
    size_t size_;
    float *data_;
};

std::vector<float> random_vector(size_t n, std::mt19937 &rng, float lo = -1.0f, float hi = 1.0f) {
    std::uniform_real_distribution<float> u(lo, hi);
    std::vector<float> v(n);
    for (float &x : v) x = u(rng);
    return v;
}

// max|got - want| / max|want|; NaN never passes.
double rel_err(const std::vector<float> &got, const std::vector<double> &want) {
    double diff = 0, scale = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        const double d = std::abs(double(got.at(i)) - want[i]);
        diff = std::isnan(d) ? INFINITY : std::max(diff, d);
        scale = std::max(scale, std::abs(want[i]));
    }
    return diff / std::max(scale, 1e-30);
}
double rel_err(const std::vector<float> &got, const std::vector<float> &want) {
    return rel_err(got, std::vector<double>(want.begin(), want.end()));
}

// ---- matrix products ------------------------------------------------------------------------

struct MatmulCase {
    int64_t M, N, K;
    bool bf16;
};

TEST(CudaKernels, MatmulAgainstFloat64) {
    REQUIRE_CUDA(gpu);
    std::mt19937 rng(7);
    const MatmulCase cases[] = {{1, 33, 70, true},    {1, 1000, 2050, true}, {3, 517, 129, false},
                                {8, 300, 264, true},  {9, 97, 131, true},    {130, 259, 520, true},
                                {77, 64, 48, false},  {1, 4099, 7, false},   {5, 32000, 256, true},
                                {1, 2048, 2048, true}, {8, 5632, 2048, true}, {4, 2048, 5632, true},
                                {2, 96, 100, false},  {300, 2048, 1024, true},
                                // Off the portable tiled kernel's 64 x 64 x 16 tiles (HIP, DN_CUDA_PORTABLE).
                                {65, 63, 17, true},   {70, 130, 33, false}, {129, 1, 300, true},
                                {200, 257, 1, false}};
    for (const MatmulCase &c : cases) {
        SCOPED_TRACE("M=" + std::to_string(c.M) + " N=" + std::to_string(c.N) + " K=" + std::to_string(c.K) +
                     (c.bf16 ? " bf16" : " f32"));
        const std::vector<float> w = random_vector(size_t(c.N * c.K), rng);
        std::vector<uint16_t> w16(w.size());
        for (size_t i = 0; i < w.size(); ++i) w16[i] = dn::f32_to_bf16(w[i]);
        dn::TensorView view;
        view.name = "w";
        view.dtype = c.bf16 ? dn::DType::BF16 : dn::DType::F32;
        view.shape = {c.N, c.K};
        view.data = reinterpret_cast<const std::byte *>(c.bf16 ? static_cast<const void *>(w16.data()) : w.data());
        view.nbytes = uint64_t(w.size()) * (c.bf16 ? 2 : 4);
        auto matrix = gpu->prepare_matrix(view, DN_PRECISION_EXACT);

        // Dense rows (the model's decode path, 16-byte aligned when K allows) and padded ones.
        const int64_t x_stride = (c.N % 2) ? c.K + 3 : c.K, y_stride = c.N + 5;
        const std::vector<float> x = random_vector(size_t(c.M * x_stride), rng);
        Buffer dx(*gpu, x), dy(*gpu, std::vector<float>(size_t(c.M * y_stride), 777.0f));
        gpu->matmul(dx.get(), x_stride, c.M, *matrix, dy.get(), y_stride);
        const std::vector<float> y = dy.read();

        // The reference sees what the tensor cores see: bf16 operands, exact products and sums.
        std::vector<double> want;
        std::vector<float> got;
        for (int64_t m = 0; m < c.M; ++m)
            for (int64_t n = 0; n < c.N; ++n) {
                double sum = 0;
                for (int64_t k = 0; k < c.K; ++k) {
                    float xv = x[size_t(m * x_stride + k)];
                    float wv = w[size_t(n * c.K + k)];
                    if (c.bf16) {
                        wv = dn::bf16_to_f32(w16[size_t(n * c.K + k)]);
                        if (c.M > 8) xv = dn::bf16_to_f32(dn::f32_to_bf16(xv));  // the GEMM path's operand
                    }
                    sum += double(xv) * wv;
                }
                want.push_back(sum);
                got.push_back(y[size_t(m * y_stride + n)]);
            }
        EXPECT_LT(rel_err(got, want), 2e-5);
        for (int64_t m = 0; m < c.M; ++m)  // padding between rows untouched
            for (int64_t n = c.N; n < y_stride; ++n) ASSERT_EQ(y[size_t(m * y_stride + n)], 777.0f);
    }
}

// ---- the delta rule ---------------------------------------------------------------------------

struct DeltaCase {
    int64_t T;
    int Hk, Hv, dk, dv;
    bool gated, init;
    float g_min = -0.5f;
};

struct DeltaProblem {
    DeltaCase c;
    int64_t stride, bg_stride, o_stride;
    std::vector<float> qkv, bg, state0;

    explicit DeltaProblem(const DeltaCase &cs, unsigned seed) : c(cs) {
        stride = int64_t(2) * c.Hk * c.dk + int64_t(c.Hv) * c.dv + 3;
        bg_stride = 2 * c.Hv + 1;
        o_stride = int64_t(c.Hv) * c.dv + 5;
        std::mt19937 rng(seed);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        std::uniform_real_distribution<float> ubeta(0.02f, 1.0f), ug(c.g_min, -1e-3f);
        qkv.assign(size_t(c.T * stride), 0.0f);
        bg.assign(size_t(c.T * bg_stride), 0.0f);
        for (int64_t t = 0; t < c.T; ++t) {
            float *row = &qkv[size_t(t * stride)];
            for (int h = 0; h < 2 * c.Hk; ++h) {
                float *x = row + int64_t(h) * c.dk;
                double ss = 0;
                for (int i = 0; i < c.dk; ++i) x[i] = normal(rng), ss += double(x[i]) * x[i];
                const double scale = (h < c.Hk ? 1.0 / std::sqrt(double(c.dk)) : 1.0) / std::sqrt(ss);
                for (int i = 0; i < c.dk; ++i) x[i] = float(x[i] * scale);
            }
            for (int64_t i = 0; i < int64_t(c.Hv) * c.dv; ++i) row[2 * c.Hk * c.dk + i] = normal(rng);
            for (int h = 0; h < c.Hv; ++h) {
                bg[size_t(t * bg_stride + h)] = ubeta(rng);
                bg[size_t(t * bg_stride + c.Hv + h)] = ug(rng);
            }
        }
        state0.assign(size_t(c.Hv) * c.dv * c.dk, 0.0f);
        if (c.init)
            for (float &x : state0) x = 0.3f * normal(rng);
    }

    // The recurrence in float64, straight from the formula; o packed [T][Hv*dv].
    void reference(std::vector<double> &S, std::vector<double> &o) const {
        const int dk = c.dk, dv = c.dv;
        S.assign(state0.begin(), state0.end());
        o.assign(size_t(c.T) * c.Hv * dv, 0.0);
        std::vector<double> u(static_cast<size_t>(dv));
        for (int64_t t = 0; t < c.T; ++t)
            for (int h = 0; h < c.Hv; ++h) {
                const int kh = h / (c.Hv / c.Hk);
                const float *row = &qkv[size_t(t * stride)];
                const float *q = row + kh * dk, *k = row + (c.Hk + kh) * dk, *v = row + 2 * c.Hk * dk + h * dv;
                const double beta = bg[size_t(t * bg_stride + h)];
                double *s = &S[size_t(h) * dv * dk];
                if (c.gated)
                    for (int i = 0; i < dv * dk; ++i) s[i] *= std::exp(double(bg[size_t(t * bg_stride + c.Hv + h)]));
                for (int r = 0; r < dv; ++r) {
                    double sk = 0;
                    for (int j = 0; j < dk; ++j) sk += s[r * dk + j] * k[j];
                    u[size_t(r)] = beta * (v[r] - sk);
                }
                for (int r = 0; r < dv; ++r)
                    for (int j = 0; j < dk; ++j) s[r * dk + j] += u[size_t(r)] * k[j];
                for (int r = 0; r < dv; ++r) {
                    double sq = 0;
                    for (int j = 0; j < dk; ++j) sq += s[r * dk + j] * q[j];
                    o[size_t((t * c.Hv + h) * dv + r)] = sq;
                }
            }
    }
};

// Runs one case on the GPU and compares outputs and final state with the float64 recurrence.
void check_delta_rule(Backend &gpu, const DeltaCase &c, unsigned seed, bool chunked, bool bf16, double tolerance) {
    const DeltaProblem p(c, seed);
    std::vector<double> want_state, want_o;
    p.reference(want_state, want_o);
    SCOPED_TRACE("T=" + std::to_string(c.T) + " Hk=" + std::to_string(c.Hk) + " Hv=" + std::to_string(c.Hv) +
                 " dk=" + std::to_string(c.dk) + " dv=" + std::to_string(c.dv) + (c.gated ? " gated" : "") +
                 (c.init ? " init" : "") + (chunked ? " chunked" : " recurrent") + (bf16 ? " bf16" : ""));
    Buffer qkv(gpu, p.qkv), bg(gpu, p.bg), state(gpu, p.state0);
    Buffer o(gpu, std::vector<float>(size_t(c.T * p.o_stride), 777.0f));
    dn::DeltaArgs a;
    a.T = c.T;
    a.Hk = c.Hk, a.Hv = c.Hv, a.dk = c.dk, a.dv = c.dv;
    a.q = qkv.get(), a.k = qkv.get() + int64_t(c.Hk) * c.dk, a.v = qkv.get() + int64_t(2) * c.Hk * c.dk;
    a.q_stride = a.k_stride = a.v_stride = p.stride;
    a.beta = bg.get(), a.beta_stride = p.bg_stride;
    a.g = c.gated ? bg.get() + c.Hv : nullptr, a.g_stride = p.bg_stride;
    a.state = state.get();
    a.o = o.get(), a.o_stride = p.o_stride;
    a.chunked = chunked;
    a.bf16_products = bf16;
    gpu.delta_rule(a);
    const std::vector<float> out = o.read();
    std::vector<float> packed;
    for (int64_t t = 0; t < c.T; ++t) {
        packed.insert(packed.end(), out.begin() + t * p.o_stride, out.begin() + t * p.o_stride + int64_t(c.Hv) * c.dv);
        for (int64_t i = int64_t(c.Hv) * c.dv; i < p.o_stride; ++i)
            ASSERT_EQ(out[size_t(t * p.o_stride + i)], 777.0f) << "padding written";
    }
    EXPECT_LT(rel_err(packed, want_o), tolerance) << "outputs";
    EXPECT_LT(rel_err(state.read(), want_state), tolerance) << "final state";
}

// DN_PRECISION_FAST's chunked kernel multiplies in bfloat16 on tensor cores (float32 accumulation
// and state): bf16-level agreement, on shapes it takes and shapes it hands to the float32 kernel.
TEST(CudaKernels, DeltaRuleBf16TensorCoresAgainstFloat64) {
    REQUIRE_CUDA(gpu);
    const DeltaCase cases[] = {
        {1, 2, 2, 64, 64, false, true},      {5, 1, 2, 32, 48, true, true},     {63, 2, 2, 64, 64, true, false},
        {64, 2, 4, 128, 128, false, true},   {65, 1, 2, 48, 80, true, true},    {150, 4, 4, 128, 128, true, true},
        {200, 1, 1, 256, 256, true, true},   {129, 2, 2, 96, 16, false, true},  {300, 1, 1, 64, 64, true, true, -8.0f},
        {70, 1, 2, 40, 24, true, true},      {33, 1, 1, 256, 512, false, true}, {1000, 2, 2, 128, 128, true, true},
        // 313 chunks: a long run of the overlapped walk's wait for each chunk's record
        {20001, 2, 4, 128, 128, true, true}};
    unsigned seed = 100;
    for (const DeltaCase &c : cases) check_delta_rule(*gpu, c, seed++, true, true, 2e-2);
}

TEST(CudaKernels, DeltaRuleAgainstFloat64) {
    REQUIRE_CUDA(gpu);
    const DeltaCase cases[] = {
        {1, 2, 2, 64, 64, false, true},     {37, 1, 2, 32, 48, true, true},   {64, 2, 2, 64, 64, true, false},
        {65, 2, 4, 64, 64, false, true},    {150, 1, 3, 48, 80, true, true},  {200, 4, 4, 128, 128, false, true},
        {129, 2, 2, 128, 128, true, false}, {70, 1, 2, 256, 512, true, true}, {300, 1, 1, 64, 64, true, true, -8.0f},
        {45, 2, 2, 16, 32, false, true},    {2, 16, 16, 128, 128, true, true}};
    unsigned seed = 1;
    for (const DeltaCase &c : cases) {
        for (bool chunked : {false, true}) check_delta_rule(*gpu, c, seed, chunked, false, 2e-5);
        ++seed;
    }
}

// ---- the remaining operations against the CPU backend -----------------------------------------

// Runs `op` on both backends over copies of the same inputs and compares every buffer after.
template <typename Op>
void same_on_both(std::vector<std::vector<float>> inputs, Op op, double tolerance) {
    Backend &c = cpu();
    std::string why;
    Backend *g = cuda_backend(&why);
    std::vector<std::unique_ptr<Buffer>> on_cpu, on_gpu;
    std::vector<float *> pc, pg;
    for (const auto &v : inputs) {
        on_cpu.push_back(std::make_unique<Buffer>(c, v));
        on_gpu.push_back(std::make_unique<Buffer>(*g, v));
        pc.push_back(on_cpu.back()->get());
        pg.push_back(on_gpu.back()->get());
    }
    op(c, pc);
    op(*g, pg);
    g->synchronize();
    for (size_t i = 0; i < inputs.size(); ++i)
        EXPECT_LT(rel_err(on_gpu[i]->read(), on_cpu[i]->read()), tolerance) << "buffer " << i;
}

// Several projections of the same rows in one call (a decode step's q/k/v/beta, gate/up), prepared
// one by one or stacked in one block (prepare_matrices: one product, scattered to the outputs unless
// they lie side by side, gap = 0, or the rows are many, M = 100).
void check_matmul_many(Backend *gpu, bool stacked, int64_t gap, int64_t M, std::mt19937 &rng) {
    const int64_t K = M == 3 ? 203 : 256;  // 203: rows not 16-byte aligned, the scalar path
    const int64_t ns[] = {256, 16, 100, 512, 7, 64};
    std::vector<std::vector<uint16_t>> weights;
    std::vector<dn::TensorView> views;
    std::vector<std::unique_ptr<dn::DeviceMatrix>> on_gpu, on_cpu;
    for (int64_t n : ns) {
        std::vector<uint16_t> w(size_t(n * K));
        for (auto &v : w) v = dn::f32_to_bf16(std::uniform_real_distribution<float>(-1, 1)(rng));
        weights.push_back(std::move(w));
        dn::TensorView t;
        t.name = "w", t.dtype = dn::DType::BF16, t.shape = {n, K};
        t.data = reinterpret_cast<const std::byte *>(weights.back().data());
        t.nbytes = uint64_t(n * K * 2);
        views.push_back(t);
        if (!stacked) on_gpu.push_back(gpu->prepare_matrix(t, DN_PRECISION_EXACT));
        on_cpu.push_back(cpu().prepare_matrix(t, DN_PRECISION_EXACT));
    }
    if (stacked) {
        std::vector<const dn::TensorView *> pointers;
        for (const auto &v : views) pointers.push_back(&v);
        on_gpu = gpu->prepare_matrices(pointers.data(), pointers.size(), DN_PRECISION_EXACT);
    }
    int64_t total = 0;
    for (int64_t n : ns) total += n + gap;
    std::vector<float> x = random_vector(size_t(M * K), rng), y = random_vector(size_t(M * total), rng);
    SCOPED_TRACE("M=" + std::to_string(M) + " K=" + std::to_string(K) + (stacked ? " stacked" : "") +
                 " gap=" + std::to_string(gap));
    same_on_both({x, y}, [&](Backend &be, std::vector<float *> &p) {
        std::vector<dn::MatmulTarget> targets;
        int64_t at = 0;
        for (size_t i = 0; i < std::size(ns); ++i) {  // outputs side by side in one row, gap columns apart
            targets.push_back({&be == &cpu() ? on_cpu[i].get() : on_gpu[i].get(), p[1] + at, total});
            at += ns[i] + gap;
        }
        be.matmul_many(p[0], K, M, targets.data(), int(targets.size()));
    }, M > 8 ? 1e-2 : 2e-5);  // more than 8 rows: bf16 activations on the GPU's tensor cores
}

TEST(CudaKernels, MatmulManyMatchesCpu) {
    REQUIRE_CUDA(gpu);
    std::mt19937 rng(17);
    for (bool stacked : {false, true})
        for (int64_t gap : {3, 0})
            for (int64_t M : {1, 3, 8, 20, 100}) check_matmul_many(gpu, stacked, gap, M, rng);
}

// The MLP's GLU fused into the down projection: gemv-style for decode rows, through a bf16 operand
// for more. K = 203 leaves rows unaligned: the unfused fallback.
TEST(CudaKernels, GluMatmulMatchesCpu) {
    REQUIRE_CUDA(gpu);
    std::mt19937 rng(29);
    for (int64_t M : {1, 5, 8, 20}) {
        for (int64_t K : {int64_t(264), int64_t(203)}) {
            for (dn::MlpActivation act : {dn::MlpActivation::Swish, dn::MlpActivation::PowLU}) {
                const int64_t N = 100;
                std::vector<uint16_t> w(size_t(N * K));
                for (auto &v : w) v = dn::f32_to_bf16(std::uniform_real_distribution<float>(-1, 1)(rng));
                dn::TensorView t;
                t.name = "w", t.dtype = dn::DType::BF16, t.shape = {N, K};
                t.data = reinterpret_cast<const std::byte *>(w.data());
                t.nbytes = uint64_t(N * K * 2);
                auto on_gpu = gpu->prepare_matrix(t, DN_PRECISION_EXACT);
                auto on_cpu = cpu().prepare_matrix(t, DN_PRECISION_EXACT);
                const size_t n = size_t(M * K);
                std::vector<float> gate = random_vector(n, rng, -3, 3), up = random_vector(n, rng);
                SCOPED_TRACE("M=" + std::to_string(M) + " K=" + std::to_string(K) +
                             (act == dn::MlpActivation::Swish ? " swish" : " powlu"));
                same_on_both({gate, up, random_vector(size_t(M * (N + 5)), rng), gate},
                             [&](Backend &be, std::vector<float *> &p) {
                                 // p[3]: a copy of the gate that glu_matmul may overwrite; restored after
                                 be.glu_matmul(p[3], p[1], M, int(K), act,
                                               &be == &cpu() ? *on_cpu : *on_gpu, p[2], N + 5);
                                 be.copy(p[3], p[0], n);
                             },
                             M > 8 ? 1e-2 : 2e-5);
            }
        }
    }
}

TEST(CudaKernels, RowOperationsMatchCpu) {
    REQUIRE_CUDA(gpu);
    std::mt19937 rng(3);
    for (int dim : {7, 64, 130, 2048, 5003}) {
        SCOPED_TRACE("dim=" + std::to_string(dim));
        const int64_t rows = 37, stride = dim + 3;
        auto x = random_vector(size_t(rows * stride), rng), w = random_vector(size_t(dim), rng, 0.5f, 1.5f);
        auto gate = random_vector(size_t(rows * stride), rng, -3, 3), y = random_vector(size_t(rows * stride), rng);
        same_on_both({x, w, gate, y}, [&](Backend &b, std::vector<float *> &p) {
            b.rms_norm(p[0], stride, p[1], nullptr, 0, p[3], stride, rows, dim, 1e-6f);
        }, 2e-6);
        same_on_both({x, w, gate, y}, [&](Backend &b, std::vector<float *> &p) {
            b.rms_norm(p[0], stride, p[1], p[2], stride, p[3], stride, rows, dim, 1e-5f);
        }, 2e-6);
        auto dense = random_vector(size_t(rows * dim), rng), delta = random_vector(size_t(rows * dim), rng);
        auto out = random_vector(size_t(rows * dim), rng);
        same_on_both({dense, delta, w, out}, [&](Backend &b, std::vector<float *> &p) {
            b.add_rms_norm(p[0], p[1], p[2], p[3], rows, dim, 1e-6f);
        }, 2e-6);
        same_on_both({dense, delta}, [&](Backend &b, std::vector<float *> &p) { b.add(p[0], p[1], size_t(rows * dim)); },
                     1e-7);
        for (auto act : {dn::MlpActivation::Swish}) {
            same_on_both({dense, delta, out}, [&](Backend &b, std::vector<float *> &p) {
                b.glu(p[0], p[1], p[2], rows, dim, act);
            }, 2e-6);
        }
        same_on_both({x, w}, [&](Backend &b, std::vector<float *> &p) { b.add_bias(p[0], stride, rows, p[1], dim); },
                     1e-7);
    }
}

TEST(CudaKernels, HeadOperationsMatchCpu) {
    REQUIRE_CUDA(gpu);
    std::mt19937 rng(5);
    const int64_t rows = 29;
    for (int dim : {16, 48, 128, 256}) {
        for (auto act : {dn::QKActivation::Silu, dn::QKActivation::Relu, dn::QKActivation::Elu,
                         dn::QKActivation::Identity})
            for (auto norm : {Backend::Norm::L2, Backend::Norm::Sum, Backend::Norm::None}) {
                if (norm == Backend::Norm::Sum && act == dn::QKActivation::Identity) continue;  // sums near 0
                SCOPED_TRACE("dim=" + std::to_string(dim) + " act=" + std::to_string(int(act)) +
                             " norm=" + std::to_string(int(norm)));
                const int heads = 3;
                const int64_t stride = heads * dim + 2;
                auto x = random_vector(size_t(rows * stride), rng, -2, 2);
                same_on_both({x}, [&](Backend &b, std::vector<float *> &p) {
                    b.qk_transform(p[0], stride, rows, heads, dim, act, norm, 0.125f);
                }, 2e-6);
            }
    }
    const int heads = 6;
    auto b = random_vector(size_t(rows * 8), rng, -4, 4), A_log = random_vector(heads, rng, -1, 1.5f);
    auto dt_bias = random_vector(heads, rng, -2, 2);
    for (bool one : {false, true})
        same_on_both({b}, [&](Backend &be, std::vector<float *> &p) { be.beta(p[0], 8, rows, heads, 2.0f, one); },
                     1e-6);
    same_on_both({b, A_log, dt_bias}, [&](Backend &be, std::vector<float *> &p) {
        be.gated_decay(p[0], 8, rows, heads, p[1], p[2]);
    }, 2e-6);
}

TEST(CudaKernels, ShortConvolutionMatchesCpu) {
    REQUIRE_CUDA(gpu);
    std::mt19937 rng(9);
    for (int64_t T : {1, 2, 3, 70, 1025})
        for (int D : {5, 256, 1000})
            for (int W : {2, 4}) {
                SCOPED_TRACE("T=" + std::to_string(T) + " D=" + std::to_string(D) + " W=" + std::to_string(W));
                const int64_t stride = D + 7;
                auto x = random_vector(size_t(T * stride), rng), w = random_vector(size_t(D * W), rng);
                auto tail = random_vector(size_t((W - 1) * D), rng);
                same_on_both({x, w, tail}, [&](Backend &b, std::vector<float *> &p) {
                    dn::ConvArgs a;
                    a.x = p[0], a.x_stride = stride, a.y = p[0], a.y_stride = stride;  // in place, as the model runs it
                    a.weight = p[1], a.tail = p[2], a.T = T, a.D = D, a.W = W, a.silu = true;
                    b.short_conv(a);
                }, 2e-6);
            }
}

// Batched decode: B sequences, one token each, each with its own tails and state (laid out apart
// in one buffer, with gaps, as separately allocated states would be).
TEST(CudaKernels, BatchedDecodeOperationsMatchCpu) {
    REQUIRE_CUDA(gpu);
    std::mt19937 rng(13);
    struct Case {
        int64_t B;
        int Hk, Hv, dk, dv;
        bool gated;
    };
    for (const Case &c : {Case{1, 2, 2, 64, 64, false}, Case{3, 16, 16, 128, 128, false}, Case{70, 1, 3, 48, 80, true},
                          Case{130, 16, 16, 128, 128, true}, Case{5, 2, 6, 256, 512, true}}) {
        SCOPED_TRACE("B=" + std::to_string(c.B) + " Hk=" + std::to_string(c.Hk) + " Hv=" + std::to_string(c.Hv) +
                     " dk=" + std::to_string(c.dk) + " dv=" + std::to_string(c.dv) + (c.gated ? " gated" : ""));
        const int64_t key = int64_t(c.Hk) * c.dk, value = int64_t(c.Hv) * c.dv;
        const int64_t row = 2 * key + value + 4, heads = 2 * c.Hv + 1;
        std::vector<float> qkv = random_vector(size_t(c.B * row), rng);
        for (int64_t b = 0; b < c.B; ++b)  // q and k heads L2-normalised, as the model feeds them
            for (int h = 0; h < 2 * c.Hk; ++h) {
                float *x = &qkv[size_t(b * row + int64_t(h) * c.dk)];
                double ss = 0;
                for (int i = 0; i < c.dk; ++i) ss += double(x[i]) * x[i];
                for (int i = 0; i < c.dk; ++i) x[i] = float(x[i] / std::sqrt(ss));
            }
        std::vector<float> bg = random_vector(size_t(c.B * heads), rng, -0.6f, -0.01f);
        for (int64_t b = 0; b < c.B; ++b)
            for (int h = 0; h < c.Hv; ++h) bg[size_t(b * heads + h)] = -bg[size_t(b * heads + h)];  // beta > 0
        const int64_t state_size = int64_t(c.Hv) * c.dv * c.dk, gap = 12;
        std::vector<float> states = random_vector(size_t(c.B * (state_size + gap)), rng, -0.3f, 0.3f);
        std::vector<float> o = random_vector(size_t(c.B * (value + 3)), rng);
        same_on_both({qkv, bg, states, o}, [&](Backend &be, std::vector<float *> &p) {
            std::vector<float *> ptrs;
            for (int64_t b = 0; b < c.B; ++b) ptrs.push_back(p[2] + b * (state_size + gap));
            std::swap(ptrs[0], ptrs[ptrs.size() - 1]);  // rows need not follow memory order
            dn::DeltaRowsArgs a;
            a.B = c.B, a.Hk = c.Hk, a.Hv = c.Hv, a.dk = c.dk, a.dv = c.dv;
            a.q = p[0], a.k = p[0] + key, a.v = p[0] + 2 * key, a.q_stride = a.k_stride = a.v_stride = row;
            a.beta = p[1], a.beta_stride = heads;
            if (c.gated) a.g = p[1] + c.Hv, a.g_stride = heads;
            a.states = ptrs.data();
            a.o = p[3], a.o_stride = value + 3;
            be.delta_rule_rows(a);
        }, 2e-5);

        const int D = int(key) + 5, W = 4;
        const int64_t stride = D + 3, tail_size = int64_t(W - 1) * D + 7;
        std::vector<float> x = random_vector(size_t(c.B * stride), rng), weight = random_vector(size_t(D * W), rng);
        std::vector<float> tails = random_vector(size_t(c.B * tail_size), rng);
        same_on_both({x, weight, tails}, [&](Backend &be, std::vector<float *> &p) {
            std::vector<float *> ptrs;  // in reverse memory order
            for (int64_t b = 0; b < c.B; ++b) ptrs.push_back(p[2] + (c.B - 1 - b) * tail_size);
            dn::ConvRowsArgs a;
            a.B = c.B, a.x = p[0], a.x_stride = stride, a.y = p[0], a.y_stride = stride;
            a.weight = p[1], a.tails = ptrs.data(), a.D = D, a.W = W, a.silu = true;
            be.short_conv_rows(a);
        }, 2e-6);
    }
}

// A delta layer's decode inputs fused (conv with per-sequence tails, activations, q/k norm, beta,
// decay) against the CPU's separate operations.
TEST(CudaKernels, DecodeInputsMatchCpu) {
    REQUIRE_CUDA(gpu);
    std::mt19937 rng(19);
    struct Case {
        int64_t B;
        int Hk, Hv, dk, dv;
        bool conv, gated, conv_silu;
        dn::QKActivation act;
        Backend::Norm norm;
    };
    using A = dn::QKActivation;
    using N = Backend::Norm;
    for (const Case &c : {Case{1, 16, 16, 128, 128, true, false, true, A::Identity, N::L2},
                          Case{3, 2, 6, 256, 512, true, true, true, A::Identity, N::L2},
                          Case{130, 4, 4, 64, 64, true, false, false, A::Relu, N::Sum},
                          Case{7, 1, 3, 48, 80, false, true, false, A::Silu, N::L2},
                          Case{2, 2, 2, 32, 32, true, false, false, A::Elu, N::L2},
                          Case{5, 2, 4, 64, 32, false, false, false, A::Identity, N::Sum}}) {
        SCOPED_TRACE("B=" + std::to_string(c.B) + " Hk=" + std::to_string(c.Hk) + " Hv=" + std::to_string(c.Hv) +
                     " dk=" + std::to_string(c.dk) + " dv=" + std::to_string(c.dv) + (c.conv ? " conv" : "") +
                     (c.gated ? " gated" : "") + " act=" + std::to_string(int(c.act)) +
                     " norm=" + std::to_string(int(c.norm)));
        const int64_t key = int64_t(c.Hk) * c.dk, value = int64_t(c.Hv) * c.dv, W = 4;
        const int64_t qs = key + 1, vs = value + 3, hs = c.Hv + 2;
        const bool positive = c.norm == N::Sum;  // sum-normalised heads need sums away from 0
        auto q = random_vector(size_t(c.B * qs), rng, positive ? 0.1f : -1.0f, 1.0f);
        auto k = random_vector(size_t(c.B * qs), rng, positive ? 0.1f : -1.0f, 1.0f);
        auto v = random_vector(size_t(c.B * vs), rng);
        auto convw = random_vector(size_t((2 * key + value) * W), rng, positive ? 0.05f : -0.5f, 0.5f);
        const int64_t tail_q = (W - 1) * key, tail_v = (W - 1) * value;
        auto tails = random_vector(size_t(c.B * (2 * tail_q + tail_v)), rng, positive ? 0.1f : -1.0f, 1.0f);
        auto b = random_vector(size_t(c.B * hs), rng, -3, 3), a = random_vector(size_t(c.B * hs), rng, -3, 3);
        auto gate_params = random_vector(size_t(2 * c.Hv), rng, -1, 1);
        same_on_both({q, k, v, convw, tails, b, a, gate_params}, [&](Backend &be, std::vector<float *> &p) {
            std::vector<float *> qt, kt, vt;
            for (int64_t i = 0; i < c.B; ++i) {  // each sequence's tails apart, in reverse order
                float *base = p[4] + (c.B - 1 - i) * (2 * tail_q + tail_v);
                qt.push_back(base), kt.push_back(base + tail_q), vt.push_back(base + 2 * tail_q);
            }
            dn::DecodeInputsArgs d;
            d.B = c.B, d.Hk = c.Hk, d.Hv = c.Hv, d.dk = c.dk, d.dv = c.dv;
            d.q = p[0], d.q_stride = qs, d.k = p[1], d.k_stride = qs, d.v = p[2], d.v_stride = vs;
            if (c.conv) {
                d.q_conv = p[3], d.k_conv = p[3] + key * W, d.v_conv = p[3] + 2 * key * W;
                d.q_tails = qt.data(), d.k_tails = kt.data(), d.v_tails = vt.data(), d.W = int(W);
                d.qk_conv_silu = c.conv_silu;
            }
            d.qk_act = c.act, d.qk_norm = int(c.norm), d.q_scale = 0.125f;
            d.beta = p[5], d.beta_stride = hs, d.beta_factor = 2.0f, d.beta_is_one = false;
            if (c.gated) d.decay = p[6], d.decay_stride = hs, d.A_log = p[7], d.dt_bias = p[7] + c.Hv;
            be.decode_inputs(d);
        }, 2e-6);
    }
}

TEST(CudaKernels, AttentionMatchesCpu) {
    REQUIRE_CUDA(gpu);
    std::mt19937 rng(11);
    struct Case {
        int64_t T, position, window, capacity;
        int heads, kv_heads, dim;
    };
    const Case cases[] = {{1, 0, 0, 64, 4, 2, 32},      {37, 0, 0, 64, 4, 4, 64},    {1, 50, 0, 64, 8, 2, 64},
                          {20, 30, 16, 16, 4, 1, 48},   {1, 300, 16, 16, 2, 2, 128}, {130, 10, 0, 300, 6, 3, 64},
                          {5, 1000, 0, 1100, 16, 4, 128}, {70, 90, 32, 32, 2, 1, 256}, {1, 4000, 0, 4096, 16, 4, 128},
                          {64, 200, 0, 512, 8, 8, 64}};
    int index = 0;
    for (const Case &c : cases) {
        const int pad = index++ % 2;  // dense rows (16-byte accesses) and padded ones (the scalar paths)
        SCOPED_TRACE("T=" + std::to_string(c.T) + " P=" + std::to_string(c.position) + " window=" +
                     std::to_string(c.window) + " heads=" + std::to_string(c.heads) + "/" + std::to_string(c.kv_heads) +
                     " dim=" + std::to_string(c.dim));
        const int64_t qs = int64_t(c.heads) * c.dim + pad, kvs = int64_t(c.kv_heads) * c.dim + 2 * pad;
        const int64_t os = int64_t(c.heads) * c.dim + 3 * pad;
        auto q = random_vector(size_t(c.T * qs), rng, -2, 2), k = random_vector(size_t(c.T * kvs), rng, -2, 2);
        auto v = random_vector(size_t(c.T * kvs), rng);
        const size_t cache = size_t(c.capacity) * c.kv_heads * c.dim;
        auto kc = random_vector(cache, rng, -2, 2), vc = random_vector(cache, rng);
        auto o = random_vector(size_t(c.T * os), rng);
        same_on_both({q, k, v, kc, vc, o}, [&](Backend &b, std::vector<float *> &p) {
            dn::AttentionArgs a;
            a.T = c.T, a.position = c.position, a.num_heads = c.heads, a.num_kv_heads = c.kv_heads;
            a.head_dim = c.dim, a.window = c.window, a.rope_theta = 10000.0;
            a.q = p[0], a.q_stride = qs, a.k = p[1], a.k_stride = kvs, a.v = p[2], a.v_stride = kvs;
            a.k_cache = p[3], a.v_cache = p[4], a.capacity = c.capacity, a.o = p[5], a.o_stride = os;
            b.attention(a);
        }, 2e-5);
    }
}

}  // namespace
