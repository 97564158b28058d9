// The portable tiled matrix product of the GPU backends (backends/cuda/gemm_tiled.cuh: the kernel that
// the HIP build and CUDA's portable configuration use for prefill products), run on the host without
// a GPU against a float64 reference. The kernel's steps are plain C++; this harness runs each step
// for all threads of a block before the next step, which is what the kernel's __syncthreads() give,
// over every block of the grid. Shared memory starts as NaN, so a read of anything not staged shows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#define DN_GEMM_EMULATE 1
#define __device__
#define __forceinline__ inline
struct float4 {
    float x, y, z, w;
};
using std::fmaf;

#include "backends/cuda/gemm_tiled.cuh"

namespace {

namespace tiled = dn::cuda::tiled;

uint16_t to_bf16(float f) {  // round to nearest even (finite inputs)
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
float from_bf16(uint16_t h) {
    const uint32_t u = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// gemm_tiled_kernel's schedule on the host: every block, every slice, each step for all threads.
template <bool kBf16>
void run_grid(const tiled::Operands &o) {
    constexpr int T = tiled::kThreads;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    alignas(16) float xs[tiled::kTileK][tiled::kPitch], ws[tiled::kTileK][tiled::kPitch];
    std::vector<float> xr(4 * T), wr(4 * T), acc(16 * T);
    for (int64_t m0 = 0; m0 < o.M; m0 += tiled::kTileM)
        for (int64_t n0 = 0; n0 < o.N; n0 += tiled::kTileN) {
            std::fill(&xs[0][0], &xs[0][0] + sizeof xs / sizeof(float), nan);
            std::fill(&ws[0][0], &ws[0][0] + sizeof ws / sizeof(float), nan);
            std::fill(acc.begin(), acc.end(), 0.0f);
            auto regs = [](std::vector<float> &v, int t) -> float(&)[4] {
                return *reinterpret_cast<float(*)[4]>(&v[size_t(4 * t)]);
            };
            auto accs = [&](int t) -> float(&)[4][4] { return *reinterpret_cast<float(*)[4][4]>(&acc[size_t(16 * t)]); };
            for (int t = 0; t < T; ++t) tiled::fetch<kBf16>(o, m0, n0, 0, t, regs(xr, t), regs(wr, t));
            for (int64_t k0 = 0; k0 < o.K; k0 += tiled::kTileK) {
                for (int t = 0; t < T; ++t) tiled::stage(xs, ws, t, regs(xr, t), regs(wr, t));
                if (k0 + tiled::kTileK < o.K)
                    for (int t = 0; t < T; ++t)
                        tiled::fetch<kBf16>(o, m0, n0, k0 + tiled::kTileK, t, regs(xr, t), regs(wr, t));
                for (int t = 0; t < T; ++t) tiled::multiply(xs, ws, t, accs(t));
            }
            for (int t = 0; t < T; ++t) tiled::store(o, m0, n0, t, accs(t));
        }
}

struct Case {
    int64_t M, N, K;
    bool bf16;
};

void check(const Case &c, unsigned seed) {
    SCOPED_TRACE("M=" + std::to_string(c.M) + " N=" + std::to_string(c.N) + " K=" + std::to_string(c.K) +
                 (c.bf16 ? " bf16" : " f32"));
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const int64_t ldx = c.K + 3, ldy = c.N + 5;  // padded rows: strides are honoured
    std::vector<float> x(size_t(c.M * ldx)), w(size_t(c.N * c.K));
    for (float &v : x) v = u(rng);
    for (float &v : w) v = u(rng);
    std::vector<uint16_t> xb(x.size()), wb(w.size());
    for (size_t i = 0; i < x.size(); ++i) xb[i] = to_bf16(x[i]), x[i] = c.bf16 ? from_bf16(xb[i]) : x[i];
    for (size_t i = 0; i < w.size(); ++i) wb[i] = to_bf16(w[i]), w[i] = c.bf16 ? from_bf16(wb[i]) : w[i];
    std::vector<float> y(size_t(c.M * ldy), 777.0f);
    tiled::Operands o{};
    o.x = c.bf16 ? static_cast<const void *>(xb.data()) : x.data();
    o.ldx = ldx;
    o.w = c.bf16 ? static_cast<const void *>(wb.data()) : w.data();
    o.y = y.data();
    o.ldy = ldy;
    o.M = c.M, o.N = c.N, o.K = c.K;
    if (c.bf16) run_grid<true>(o);
    else run_grid<false>(o);

    double worst = 0.0, scale = 0.0;
    for (int64_t m = 0; m < c.M; ++m) {
        for (int64_t n = 0; n < c.N; ++n) {
            double want = 0.0;
            for (int64_t k = 0; k < c.K; ++k) want += double(x[size_t(m * ldx + k)]) * double(w[size_t(n * c.K + k)]);
            const double got = y[size_t(m * ldy + n)];
            worst = std::isnan(got) ? INFINITY : std::max(worst, std::abs(got - want));
            scale = std::max(scale, std::abs(want));
        }
        for (int64_t n = c.N; n < ldy; ++n) ASSERT_EQ(y[size_t(m * ldy + n)], 777.0f) << "padding written";
    }
    // float32 sums of K products: relative error well under 1e-5 for these K.
    EXPECT_LT(worst / std::max(scale, 1e-30), 2e-6 * std::sqrt(double(std::max<int64_t>(c.K, 1))));
}

TEST(GemmTiledEmulated, MatchesFloat64AtShapesOffTheTiles) {
    const Case cases[] = {{1, 1, 1, false},    {9, 97, 131, true},  {64, 64, 16, false}, {65, 63, 17, true},
                          {130, 259, 520, false}, {77, 64, 48, true}, {3, 200, 0, false},  {70, 130, 33, true},
                          {128, 129, 15, false}};
    unsigned seed = 11;
    for (const Case &c : cases) check(c, seed++);
}

}  // namespace
