// The CPU matrix products against a float64 reference on random inputs: the decode GEMV (1..8
// activation rows) and the oneDNN path (any rows), for float32 and bfloat16 weights, at sizes that
// fill no vector, tile or thread slice evenly, with strided activations and outputs.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "core/dtype.h"

namespace {

using dn::CpuMatrix;
using dn::DType;

struct Problem {
    int64_t M, N, K;
    DType dtype;
};

std::string name(const Problem &p) {
    return "M=" + std::to_string(p.M) + " N=" + std::to_string(p.N) + " K=" + std::to_string(p.K) +
           (p.dtype == DType::BF16 ? " bf16" : " f32");
}

// Runs `product` on random data and compares with float64 sums over the weights as stored (bf16
// weights widened exactly), so only float32 accumulation error remains.
template <typename Product>
void check(const Problem &p, dn_precision precision, double tolerance, Product product) {
    SCOPED_TRACE(name(p));
    std::mt19937 rng(uint32_t(p.M * 131 + p.N * 17 + p.K));
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    const int64_t x_stride = p.K + 3, y_stride = p.N + 5;  // padded rows: strides are honoured
    std::vector<float> x(size_t(p.M * x_stride)), w32(size_t(p.N * p.K));
    for (float &v : x) v = dist(rng);
    for (float &v : w32) v = dist(rng);
    std::vector<uint16_t> w16(w32.size());
    if (p.dtype == DType::BF16)
        for (size_t i = 0; i < w32.size(); ++i) {
            w16[i] = dn::f32_to_bf16(w32[i]);
            w32[i] = dn::bf16_to_f32(w16[i]);  // the reference uses the stored values
        }
    CpuMatrix m;
    m.rows = p.N;
    m.cols = p.K;
    m.dtype = p.dtype;
    m.precision = precision;
    m.data = p.dtype == DType::BF16 ? static_cast<const void *>(w16.data()) : w32.data();

    const float sentinel = 12345.0f;
    std::vector<float> y(size_t(p.M * y_stride), sentinel);
    product(x.data(), x_stride, p.M, m, y.data(), y_stride);

    double err = 0, ref_norm = 0;
    for (int64_t i = 0; i < p.M; ++i)
        for (int64_t n = 0; n < p.N; ++n) {
            double ref = 0;
            for (int64_t k = 0; k < p.K; ++k) ref += double(x[size_t(i * x_stride + k)]) * w32[size_t(n * p.K + k)];
            const double d = y[size_t(i * y_stride + n)] - ref;
            err += d * d;
            ref_norm += ref * ref;
        }
    EXPECT_LT(std::sqrt(err / ref_norm), tolerance);
    for (int64_t i = 0; i < p.M; ++i)  // the padding between output rows is never written
        for (int64_t n = p.N; n < y_stride; ++n) ASSERT_EQ(y[size_t(i * y_stride + n)], sentinel);
}

std::vector<Problem> gemv_problems() {
    std::vector<Problem> problems;
    for (DType dtype : {DType::F32, DType::BF16})
        for (int64_t M : {1, 2, 3, 5, 8})
            // Products above 65536 weights run on every thread, each reading its share of the rows
            // as several streams of unequal length (1 row: all but one stream empty).
            for (auto [N, K] : {std::pair<int64_t, int64_t>{1, 2}, {37, 30}, {129, 66}, {300, 514}, {17, 2050},
                                {1001, 130}, {33, 2050}})
                problems.push_back({M, N, K, dtype});
    problems.push_back({1, 45, 31, DType::F32});  // odd K: the bf16 kernel needs even K, f32 does not
    problems.push_back({4, 45, 31, DType::BF16});  // odd K with bf16: the portable path
    return problems;
}

// Every kernel family this CPU can run (AVX-512, AVX2, portable), not only the one gemv() picks.
TEST(CpuMatmul, GemvMatchesFloat64Reference) {
    for (dn::cpu::GemvIsa isa : dn::cpu::gemv_isas()) {
        SCOPED_TRACE(dn::cpu::gemv_isa_name(isa));
        for (const Problem &p : gemv_problems())
            check(p, DN_PRECISION_EXACT, 1e-6,
                  [isa](const float *x, int64_t xs, int64_t M, const CpuMatrix &w, float *y, int64_t ys) {
                      dn::cpu::gemv(x, xs, M, w, y, ys, isa);
                  });
    }
}

TEST(CpuMatmul, OneDnnExactMatchesFloat64Reference) {
    for (DType dtype : {DType::F32, DType::BF16})
        for (auto [M, N, K] : {std::tuple<int64_t, int64_t, int64_t>{1, 33, 65}, {9, 100, 70}, {70, 129, 257}, {200, 64, 96}})
            check({M, N, K, dtype}, DN_PRECISION_EXACT, 1e-6, dn::cpu::matmul_onednn);
}

// Fast precision rounds the activations to bfloat16 (8 bits of mantissa): about 2^-9 relative per
// product term, which averages down over K terms.
TEST(CpuMatmul, OneDnnFastIsWithinBf16Rounding) {
    for (auto [M, N, K] : {std::tuple<int64_t, int64_t, int64_t>{9, 100, 70}, {70, 129, 257}})
        check({M, N, K, DType::BF16}, DN_PRECISION_FAST, 4e-3, dn::cpu::matmul_onednn);
}

}  // namespace
