#include "backends/cpu/delta_rule.h"

#include <algorithm>
#include <cmath>
#include <vector>

// The `omp simd` pragmas let float reductions vectorise without -ffast-math and keep the hot loops
// vectorised at -O2 as well as -O3; they need -fopenmp (or -fopenmp-simd).

namespace dn::cpu {

namespace {

// ---- A small row-major GEMM: C[m x n] = (accumulate ? C : 0) + alpha * A[m x k] B[k x n]. ----
// Tiles of MR x NR outputs are accumulated in a fixed-size local array, which the compiler keeps in
// vector registers (8 ymm for 4 x 16), so each B row loaded is reused MR times.

constexpr int MR = 4;
constexpr int NR = 16;

template <int R>
inline void gemm_tile(int k, const float *A, int64_t lda, const float *B, int64_t ldb, float *C, int64_t ldc,
                      float alpha, bool accumulate) {
    float acc[R][NR] = {};
    for (int p = 0; p < k; ++p) {
        const float *b = B + p * ldb;
#pragma GCC unroll 8  // -O2 does not unroll this itself, and then acc lives in memory
        for (int r = 0; r < R; ++r) {
            const float a = A[r * lda + p];
#pragma omp simd
            for (int j = 0; j < NR; ++j) acc[r][j] += a * b[j];
        }
    }
    for (int r = 0; r < R; ++r) {
        float *c = C + r * ldc;
#pragma omp simd
        for (int j = 0; j < NR; ++j) c[j] = (accumulate ? c[j] : 0.0f) + alpha * acc[r][j];
    }
}

// Right edge: fewer than NR columns left; rare, so plain loops.
inline void gemm_edge(int rows, int cols, int k, const float *A, int64_t lda, const float *B, int64_t ldb,
                      float *C, int64_t ldc, float alpha, bool accumulate) {
    float acc[MR][NR] = {};
    for (int p = 0; p < k; ++p) {
        const float *b = B + p * ldb;
        for (int r = 0; r < rows; ++r) {
            const float a = A[r * lda + p];
            for (int j = 0; j < cols; ++j) acc[r][j] += a * b[j];
        }
    }
    for (int r = 0; r < rows; ++r)
        for (int j = 0; j < cols; ++j) {
            float &c = C[r * ldc + j];
            c = (accumulate ? c : 0.0f) + alpha * acc[r][j];
        }
}

template <int R>
void gemm_rows(int n, int k, const float *A, int64_t lda, const float *B, int64_t ldb, float *C, int64_t ldc,
               float alpha, bool accumulate) {
    int j = 0;
    for (; j + NR <= n; j += NR) gemm_tile<R>(k, A, lda, B + j, ldb, C + j, ldc, alpha, accumulate);
    if (j < n) gemm_edge(R, n - j, k, A, lda, B + j, ldb, C + j, ldc, alpha, accumulate);
}

void gemm(int m, int n, int k, const float *A, int64_t lda, const float *B, int64_t ldb, float *C, int64_t ldc,
          float alpha, bool accumulate) {
    int i = 0;
    for (; i + MR <= m; i += MR) gemm_rows<MR>(n, k, A + i * lda, lda, B, ldb, C + i * ldc, ldc, alpha, accumulate);
    const float *a = A + i * lda;
    float *c = C + i * ldc;
    switch (m - i) {  // bottom edge: a single tile of the remaining rows
        case 3: gemm_rows<3>(n, k, a, lda, B, ldb, c, ldc, alpha, accumulate); break;
        case 2: gemm_rows<2>(n, k, a, lda, B, ldb, c, ldc, alpha, accumulate); break;
        case 1: gemm_rows<1>(n, k, a, lda, B, ldb, c, ldc, alpha, accumulate); break;
        default: break;
    }
}

// Per-thread scratch for one head's chunks, sized for the full chunk C (a shorter last chunk uses a
// prefix; per-chunk matrices are packed with the chunk's actual length n as leading dimension).
struct ChunkScratch {
    std::vector<float> kq;   // [2n][dk]: rows 0..n-1 are k_i, rows n..2n-1 are q_i
    std::vector<float> kt;   // [dk][n]: K transposed (later scaled by exp(G_last - G_i))
    std::vector<float> p;    // [2n][n]: K K^T on top, Q K^T below
    std::vector<float> tm;   // [n][n]: T = (I + A)^-1
    std::vector<float> x;    // [n][dk+dv]: rows [beta_i exp(G_i) k_i | beta_i v_i]
    std::vector<float> wu;   // [n][dk+dv]: rows [w_i | u_i], u_i becomes v_new_i in place
    std::vector<float> out;  // [n][dv]
    std::vector<float> st;   // [dk][dv]: the head's state, key-first so every product is A*B
    std::vector<double> G;   // [n]: cumulative log decay within the chunk (double: differences stay exact)

    ChunkScratch(int C, int dk, int dv)
        : kq(size_t(2) * C * dk), kt(size_t(dk) * C), p(size_t(2) * C * C), tm(size_t(C) * C),
          x(size_t(C) * (dk + dv)), wu(size_t(C) * (dk + dv)), out(size_t(C) * dv), st(size_t(dk) * dv), G(C) {}
};

// One chunk of n tokens starting at t0 for value head h (key head kh); updates s.st in place.
void chunk_step(const DeltaRuleArgs &a, int h, int kh, int64_t t0, int n, ChunkScratch &s) {
    const int dk = a.dk, dv = a.dv, dkv = dk + dv;
    float *kq = s.kq.data(), *kt = s.kt.data(), *p = s.p.data(), *tm = s.tm.data();
    float *x = s.x.data(), *wu = s.wu.data(), *out = s.out.data(), *st = s.st.data();
    double *G = s.G.data();

    // Gather the chunk's rows and the decay prefix sums.
    double acc_g = 0.0;
    for (int i = 0; i < n; ++i) {
        const int64_t t = t0 + i;
        const float *q = a.q + t * a.q_stride + int64_t(kh) * dk;
        const float *k = a.k + t * a.k_stride + int64_t(kh) * dk;
        const float *v = a.v + t * a.v_stride + int64_t(h) * dv;
        const float beta = a.beta[t * a.beta_stride + h];
        if (a.g) acc_g += a.g[t * a.g_stride + h];
        G[i] = acc_g;
        const float bk = beta * float(std::exp(acc_g));  // G_i <= 0: no overflow
        float *ki = kq + int64_t(i) * dk, *qi = kq + int64_t(n + i) * dk, *xi = x + int64_t(i) * dkv;
        for (int c = 0; c < dk; ++c) {
            ki[c] = k[c];
            qi[c] = q[c];
            kt[int64_t(c) * n + i] = k[c];
            xi[c] = bk * k[c];
        }
        for (int c = 0; c < dv; ++c) xi[dk + c] = beta * v[c];
    }
    auto decay = [&](int i, int j) { return a.g ? float(std::exp(G[i] - G[j])) : 1.0f; };  // j <= i

    // [K; Q] K^T in one product.
    gemm(2 * n, n, dk, kq, dk, kt, n, p, n, 1.0f, false);

    // T = (I + A)^-1 by forward substitution, A[i][j] = beta_i exp(G_i - G_j) k_i.k_j (j < i):
    // row i of T is e_i - sum_{m<i} A[i][m] T[m], and T[m] is zero beyond column m.
    for (int i = 0; i < n; ++i) {
        float *ti = tm + int64_t(i) * n;
        std::fill(ti, ti + n, 0.0f);
        ti[i] = 1.0f;
        const float beta = a.beta[(t0 + i) * a.beta_stride + h];
        for (int m = 0; m < i; ++m) {
            const float aim = beta * decay(i, m) * p[int64_t(i) * n + m];
            const float *tmr = tm + int64_t(m) * n;
#pragma omp simd
            for (int j = 0; j <= m; ++j) ti[j] -= aim * tmr[j];
        }
    }

    // [W | U] = T [diag(beta exp G) K | diag(beta) V].
    gemm(n, dkv, n, tm, n, x, dkv, wu, dkv, 1.0f, false);
    float *vnew = wu + dk;  // [n][dv] with leading dimension dkv
    // V_new = U - W S^T (key-first state: W S^T = W st).
    gemm(n, dv, dk, wu, dkv, st, dv, vnew, dkv, -1.0f, true);

    // O = diag(exp G) Q S^T + ((Q K^T) .* M) V_new.
    gemm(n, dv, dk, kq + int64_t(n) * dk, dk, st, dv, out, dv, 1.0f, false);
    float *qk = p + int64_t(n) * n;
    for (int i = 0; i < n; ++i) {
        if (a.g) {
            const float e = float(std::exp(G[i]));
            for (int c = 0; c < dv; ++c) out[int64_t(i) * dv + c] *= e;
        }
        float *row = qk + int64_t(i) * n;
        for (int j = 0; j <= i; ++j) row[j] *= decay(i, j);
        std::fill(row + i + 1, row + n, 0.0f);
    }
    gemm(n, dv, n, qk, n, vnew, dkv, out, dv, 1.0f, true);
    for (int i = 0; i < n; ++i)
        std::copy(out + int64_t(i) * dv, out + int64_t(i + 1) * dv, a.o + (t0 + i) * a.o_stride + int64_t(h) * dv);

    // S_next = exp(G_last) S + sum_i exp(G_last - G_i) v_new_i k_i^T, i.e. st = e st + K'^T V_new.
    if (a.g) {
        const float e = float(std::exp(G[n - 1]));
        for (int64_t c = 0; c < int64_t(dk) * dv; ++c) st[c] *= e;
        for (int i = 0; i < n; ++i) {
            const float d = decay(n - 1, i);
            for (int c = 0; c < dk; ++c) kt[int64_t(c) * n + i] *= d;
        }
    }
    gemm(dk, dv, n, kt, n, vnew, dkv, st, dv, 1.0f, true);
}

}  // namespace

void delta_rule_recurrent(const DeltaRuleArgs &a) {
    if (a.T <= 0) return;
    const int dk = a.dk, dv = a.dv, group = a.Hv / a.Hk;
#pragma omp parallel for schedule(static)
    for (int h = 0; h < a.Hv; ++h) {
        float *S = a.state + int64_t(h) * dv * dk;
        const int kh = h / group;
        for (int64_t t = 0; t < a.T; ++t) {
            const float *q = a.q + t * a.q_stride + int64_t(kh) * dk;
            const float *k = a.k + t * a.k_stride + int64_t(kh) * dk;
            const float *v = a.v + t * a.v_stride + int64_t(h) * dv;
            const float beta = a.beta[t * a.beta_stride + h];
            const float e = a.g ? std::exp(a.g[t * a.g_stride + h]) : 1.0f;
            float *o = a.o + t * a.o_stride + int64_t(h) * dv;
            // One pass per state row r (dk floats, stays in L1 between the two loops):
            // (S k)_r after decay = e * (s . k); then s = e s + u_r k and o_r = s . q.
            for (int r = 0; r < dv; ++r) {
                float *s = S + int64_t(r) * dk;
                float sk = 0.0f;
#pragma omp simd reduction(+ : sk)
                for (int c = 0; c < dk; ++c) sk += s[c] * k[c];
                const float u = beta * (v[r] - e * sk);
                float sq = 0.0f;
#pragma omp simd reduction(+ : sq)
                for (int c = 0; c < dk; ++c) {
                    s[c] = e * s[c] + u * k[c];
                    sq += s[c] * q[c];
                }
                o[r] = sq;
            }
        }
    }
}

void delta_rule_chunked(const DeltaRuleArgs &a, int chunk) {
    if (a.T <= 0) return;
    const int C = int(std::min<int64_t>(std::max(chunk, 1), a.T));
    const int dk = a.dk, dv = a.dv, group = a.Hv / a.Hk;
#pragma omp parallel
    {
        ChunkScratch s(C, dk, dv);  // once per thread, reused by all its heads and chunks
#pragma omp for schedule(static)
        for (int h = 0; h < a.Hv; ++h) {
            float *S = a.state + int64_t(h) * dv * dk;
            for (int r = 0; r < dv; ++r)
                for (int c = 0; c < dk; ++c) s.st[int64_t(c) * dv + r] = S[int64_t(r) * dk + c];
            for (int64_t t0 = 0; t0 < a.T; t0 += C)
                chunk_step(a, h, h / group, t0, int(std::min<int64_t>(C, a.T - t0)), s);
            for (int r = 0; r < dv; ++r)
                for (int c = 0; c < dk; ++c) S[int64_t(r) * dk + c] = s.st[int64_t(c) * dv + r];
        }
    }
}

}  // namespace dn::cpu
