// The CPU delta-rule kernels against a float64 token-by-token reference, and against each other.
#include "backends/cpu/delta_rule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

using dn::cpu::DeltaRuleArgs;

struct Case {
    int64_t T;
    int Hk, Hv, dk, dv;
    bool gated;
    bool init_state;       // random non-zero initial state, else zeros
    float beta_max = 1.0f; // 2 for the allow_neg_eigval setting
    float g_min = -0.5f;   // log decay drawn from [g_min, -1e-3)

    std::string name() const {
        return "T=" + std::to_string(T) + " Hk=" + std::to_string(Hk) + " Hv=" + std::to_string(Hv) +
               " dk=" + std::to_string(dk) + " dv=" + std::to_string(dv) + (gated ? " gated" : "") +
               (init_state ? " init" : "") + " beta_max=" + std::to_string(beta_max) +
               " g_min=" + std::to_string(g_min);
    }
};

constexpr float kSentinel = 12345.0f;  // fills padding the kernels must not write

// Inputs with strides larger than the packed size: q, k and v rows interleaved in one buffer, beta
// and g interleaved in another, and padded output rows.
struct Problem {
    Case c;
    int64_t qkv_stride, bg_stride, o_stride;
    std::vector<float> qkv, bg, state0;

    explicit Problem(const Case &cs, unsigned seed = 1) : c(cs) {
        qkv_stride = int64_t(2) * c.Hk * c.dk + int64_t(c.Hv) * c.dv + 3;
        bg_stride = 2 * c.Hv + 1;
        o_stride = int64_t(c.Hv) * c.dv + 5;
        std::mt19937 rng(seed);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        std::uniform_real_distribution<float> ubeta(0.02f, c.beta_max), ug(c.g_min, -1e-3f);
        qkv.assign(size_t(c.T * qkv_stride), kSentinel);
        bg.assign(size_t(c.T * bg_stride), kSentinel);
        for (int64_t t = 0; t < c.T; ++t) {
            float *row = &qkv[size_t(t * qkv_stride)];
            for (int h = 0; h < 2 * c.Hk; ++h) {  // q heads then k heads, each L2-normalised
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
        if (c.init_state)
            for (float &x : state0) x = normal(rng);
    }

    // Args for tokens [t0, t0 + T) writing o rows [t0, t0 + T) of `o` (full length, o_stride).
    DeltaRuleArgs args(float *state, float *o, int64_t t0 = 0, int64_t T = -1) const {
        DeltaRuleArgs a;
        a.T = T < 0 ? c.T - t0 : T;
        a.Hk = c.Hk, a.Hv = c.Hv, a.dk = c.dk, a.dv = c.dv;
        const float *row = qkv.data() + t0 * qkv_stride;
        a.q = row, a.k = row + int64_t(c.Hk) * c.dk, a.v = row + int64_t(2) * c.Hk * c.dk;
        a.q_stride = a.k_stride = a.v_stride = qkv_stride;
        a.beta = bg.data() + t0 * bg_stride, a.beta_stride = bg_stride;
        a.g = c.gated ? bg.data() + t0 * bg_stride + c.Hv : nullptr, a.g_stride = bg_stride;
        a.state = state;
        a.o = o + t0 * o_stride, a.o_stride = o_stride;
        return a;
    }

    std::vector<float> new_output() const { return std::vector<float>(size_t(c.T * o_stride), kSentinel); }

    // o[t][h*dv + i] without padding.
    std::vector<float> packed(const std::vector<float> &o) const {
        std::vector<float> r;
        for (int64_t t = 0; t < c.T; ++t)
            r.insert(r.end(), o.begin() + t * o_stride, o.begin() + t * o_stride + int64_t(c.Hv) * c.dv);
        return r;
    }

    bool padding_intact(const std::vector<float> &o) const {
        for (int64_t t = 0; t < c.T; ++t)
            for (int64_t i = int64_t(c.Hv) * c.dv; i < o_stride; ++i)
                if (o[size_t(t * o_stride + i)] != kSentinel) return false;
        return true;
    }

    // The recurrence in float64, straight from the formula.
    void reference(std::vector<double> &state, std::vector<double> &o) const {
        const int dk = c.dk, dv = c.dv;
        state.assign(state0.begin(), state0.end());
        o.assign(size_t(c.T) * c.Hv * dv, 0.0);
        std::vector<double> u(dv);
        DeltaRuleArgs a = args(nullptr, nullptr);
        for (int64_t t = 0; t < c.T; ++t)
            for (int h = 0; h < c.Hv; ++h) {
                const int kh = h / (c.Hv / c.Hk);
                const float *q = a.q + t * qkv_stride + kh * dk, *k = a.k + t * qkv_stride + kh * dk;
                const float *v = a.v + t * qkv_stride + h * dv;
                const double beta = a.beta[t * bg_stride + h];
                double *S = &state[size_t(h) * dv * dk];
                if (a.g)
                    for (int i = 0; i < dv * dk; ++i) S[i] *= std::exp(double(a.g[t * bg_stride + h]));
                for (int r = 0; r < dv; ++r) {
                    double sk = 0;
                    for (int j = 0; j < dk; ++j) sk += S[r * dk + j] * k[j];
                    u[r] = beta * (v[r] - sk);
                }
                for (int r = 0; r < dv; ++r)
                    for (int j = 0; j < dk; ++j) S[r * dk + j] += u[r] * k[j];
                for (int r = 0; r < dv; ++r) {
                    double sq = 0;
                    for (int j = 0; j < dk; ++j) sq += S[r * dk + j] * q[j];
                    o[size_t((t * c.Hv + h) * dv + r)] = sq;
                }
            }
    }
};

// max|a - b| / max|ref|.
template <class A, class B>
double rel_err(const std::vector<A> &got, const std::vector<B> &ref) {
    EXPECT_EQ(got.size(), ref.size());
    double diff = 0, scale = 0;
    for (size_t i = 0; i < got.size() && i < ref.size(); ++i) {
        const double d = std::abs(double(got[i]) - double(ref[i]));
        diff = std::isnan(d) ? INFINITY : std::max(diff, d);
        scale = std::max(scale, std::abs(double(ref[i])));
    }
    return diff / std::max(scale, 1e-30);
}

constexpr double kTol = 2e-5;

std::vector<Case> cases() {
    std::vector<Case> r;
    const int dims[][2] = {{64, 64}, {32, 48}, {128, 128}};
    const int heads[][2] = {{2, 2}, {1, 2}, {2, 4}};  // Hk, Hv
    int n = 0;
    for (auto &d : dims)
        for (int64_t T : {1, 37, 64, 65, 150, 200})
            for (bool gated : {false, true})
                for (bool init : {false, true}) {
                    const auto &hd = heads[n % 3];
                    r.push_back({T, hd[0], hd[1], d[0], d[1], gated, init, (n / 3) % 2 ? 2.0f : 1.0f});
                    ++n;
                }
    // Strong decay: G falls to about -500 over a chunk, so exp(-G) alone would overflow.
    r.push_back({150, 1, 2, 64, 64, true, true, 1.0f, -8.0f});
    r.push_back({200, 2, 4, 32, 48, true, true, 2.0f, -8.0f});
    // Sizes that fill no vector or tile evenly, and three value heads per key head.
    r.push_back({70, 1, 3, 20, 13, true, true, 2.0f});
    r.push_back({45, 2, 2, 7, 5, false, true, 1.0f});
    r.push_back({129, 1, 1, 256, 33, true, false, 1.0f});
    return r;
}

enum class Kernel { kRecurrent, kChunked64, kChunked16 };

// Every test runs for each instruction-set variant of the kernels that this CPU supports.
const dn::cpu::DeltaRuleKernels *g_variant = nullptr;

template <typename Body>
void for_each_variant(Body body) {
    for (const auto &variant : dn::cpu::delta_rule_variants()) {
        SCOPED_TRACE(std::string("isa=") + variant.isa);
        g_variant = &variant;
        body();
    }
}

void run(const Problem &p, Kernel kernel, std::vector<float> &state, std::vector<float> &o, int64_t t0 = 0,
         int64_t T = -1) {
    const DeltaRuleArgs a = p.args(state.data(), o.data(), t0, T);
    switch (kernel) {
        case Kernel::kRecurrent: dn::cpu::delta_rule_recurrent(a, *g_variant); break;
        case Kernel::kChunked64: dn::cpu::delta_rule_chunked(a, 64, *g_variant); break;
        case Kernel::kChunked16: dn::cpu::delta_rule_chunked(a, 16, *g_variant); break;
    }
}

TEST(DeltaRule, BaselineVariantIsAlwaysPresent) {
    ASSERT_FALSE(dn::cpu::delta_rule_variants().empty());
    EXPECT_STREQ(dn::cpu::delta_rule_variants().back().isa, "generic");
    for (const auto &v : dn::cpu::delta_rule_variants()) std::printf("delta-rule kernel variant: %s\n", v.isa);
}

void check_against_reference(Kernel kernel) {
    for (const Case &c : cases()) {
        SCOPED_TRACE(c.name());
        const Problem p(c);
        std::vector<double> ref_state, ref_o;
        p.reference(ref_state, ref_o);
        std::vector<float> state = p.state0, o = p.new_output();
        run(p, kernel, state, o);
        EXPECT_LT(rel_err(p.packed(o), ref_o), kTol);
        EXPECT_LT(rel_err(state, ref_state), kTol);
        EXPECT_TRUE(p.padding_intact(o));
    }
}

TEST(DeltaRule, RecurrentMatchesReference) {
    for_each_variant([] { check_against_reference(Kernel::kRecurrent); });
}
TEST(DeltaRule, Chunked64MatchesReference) {
    for_each_variant([] { check_against_reference(Kernel::kChunked64); });
}
TEST(DeltaRule, Chunked16MatchesReference) {
    for_each_variant([] { check_against_reference(Kernel::kChunked16); });
}

TEST(DeltaRule, ChunkedMatchesRecurrent) {
    for_each_variant([] {
        for (const Case &c : cases()) {
            SCOPED_TRACE(c.name());
            const Problem p(c, 7);
            std::vector<float> rs = p.state0, ro = p.new_output();
            run(p, Kernel::kRecurrent, rs, ro);
            for (Kernel k : {Kernel::kChunked64, Kernel::kChunked16}) {
                std::vector<float> cs = p.state0, co = p.new_output();
                run(p, k, cs, co);
                EXPECT_LT(rel_err(p.packed(co), p.packed(ro)), kTol);
                EXPECT_LT(rel_err(cs, rs), kTol);
            }
        }
    });
}

// Other chunk sizes, including 1 and ones that divide nothing.
TEST(DeltaRule, ChunkedOddChunkSizes) {
    for_each_variant([] {
        const Problem p({150, 1, 2, 32, 48, true, true, 2.0f});
        std::vector<double> ref_state, ref_o;
        p.reference(ref_state, ref_o);
        for (int chunk : {1, 7, 32, 100, 1000}) {
            SCOPED_TRACE(chunk);
            std::vector<float> state = p.state0, o = p.new_output();
            dn::cpu::delta_rule_chunked(p.args(state.data(), o.data()), chunk, *g_variant);
            EXPECT_LT(rel_err(p.packed(o), ref_o), kTol);
            EXPECT_LT(rel_err(state, ref_state), kTol);
        }
    });
}

// Two calls with the state carried equal one call.
TEST(DeltaRule, SplitEqualsWhole) {
    for_each_variant([] {
        for (bool gated : {false, true})
            for (int64_t split : {1, 37, 64, 100}) {
                const Problem p({150, 1, 2, 64, 64, gated, true, 1.0f}, 3);
                SCOPED_TRACE(p.c.name() + " split=" + std::to_string(split));
                for (Kernel k : {Kernel::kRecurrent, Kernel::kChunked64, Kernel::kChunked16}) {
                    std::vector<float> ws = p.state0, wo = p.new_output();
                    run(p, k, ws, wo);
                    std::vector<float> ss = p.state0, so = p.new_output();
                    run(p, k, ss, so, 0, split);
                    run(p, k, ss, so, split);
                    // Equal up to rounding: chunk boundaries move, and the recurrent kernel sums a
                    // dot product in another order at the start of a call.
                    EXPECT_LT(rel_err(p.packed(so), p.packed(wo)), kTol);
                    EXPECT_LT(rel_err(ss, ws), kTol);
                    EXPECT_TRUE(p.padding_intact(so));
                }
            }
    });
}

}  // namespace
