// The delta-rule kernels' body, compiled once per instruction set: each delta_rule_<isa>.cpp defines
// DN_DELTA_RULE_ISA (the namespace) and includes this file with its own -m flags, and
// delta_rule.cpp picks the best variant the CPU supports at run time. Included by those files only.
#ifndef DN_DELTA_RULE_ISA
#error "define DN_DELTA_RULE_ISA before including delta_rule_kernels.h"
#endif

#include "backends/cpu/delta_rule.h"

#include <math.h>    // expf/exp: C functions, not inline C++ templates (see below)
#include <omp.h>
#include <string.h>  // memcpy

// No C++ standard-library templates or inline functions are used here: a copy of one instantiated
// with AVX-512 flags could be the one the linker keeps for the whole program, and then crash on a
// CPU without AVX-512. Everything below has internal linkage or lives in the ISA's own namespace.

// The `omp simd` pragmas let float reductions vectorise without -ffast-math and keep the hot loops
// vectorised at -O2 as well as -O3; they need -fopenmp (or -fopenmp-simd).

namespace dn::cpu::DN_DELTA_RULE_ISA {

namespace {

constexpr int lo(int a, int b) { return a < b ? a : b; }
constexpr int hi(int a, int b) { return a < b ? b : a; }

// ---- A small row-major GEMM: C[m x n] = (accumulate ? C : 0) + alpha * A[m x k] B[k x n]. ----
// Tiles of MR x NR outputs are accumulated in a fixed-size local array, which the compiler keeps in
// vector registers (8 ymm for 4 x 16), so each B row loaded is reused MR times.

constexpr int MR = 4;
#if defined(__AVX512F__)
constexpr int NR = 32;  // 2 zmm per row
#elif defined(__AVX__)
constexpr int NR = 16;  // 2 ymm per row
#else
constexpr int NR = 8;   // SSE: 2 xmm per row, so the 4 x 16 tile would not fit in 16 registers
#endif

template <int R>
inline void gemm_tile(int k, const float *A, int64_t lda, const float *B, int64_t ldb, float *C, int64_t ldc,
                      float alpha, bool accumulate) {
    float acc[R][NR] = {};
    for (int p = 0; p < k; ++p) {
        const float *b = B + p * ldb;
#pragma GCC unroll 8  // -O2 unrolls neither r loop itself, and then acc lives in memory
        for (int r = 0; r < R; ++r) {
            const float a = A[r * lda + p];
#pragma omp simd
            for (int j = 0; j < NR; ++j) acc[r][j] += a * b[j];
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
        float *c = C + r * ldc;
        if (accumulate)
            for (int j = 0; j < NR; ++j) c[j] += alpha * acc[r][j];
        else
            for (int j = 0; j < NR; ++j) c[j] = alpha * acc[r][j];
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

// What gemm may skip: with kLowerA, A is lower triangular (A[i][p] = 0 for p > i), so rows from i
// on need only p < i + rows; with kLowerC only C's lower triangle (j <= i) is wanted, and tiles
// wholly above it are left unwritten.
enum class Tri { kNone, kLowerA, kLowerC };

template <int R>
void gemm_rows(int i, int n, int k, const float *A, int64_t lda, const float *B, int64_t ldb, float *C,
               int64_t ldc, float alpha, bool accumulate, Tri tri) {
    if (tri == Tri::kLowerA) k = lo(k, i + R);
    if (tri == Tri::kLowerC) n = lo(n, (i + R + NR - 1) / NR * NR);  // whole tiles only
    int j = 0;
    for (; j + NR <= n; j += NR) gemm_tile<R>(k, A, lda, B + j, ldb, C + j, ldc, alpha, accumulate);
    if (j < n) gemm_edge(R, n - j, k, A, lda, B + j, ldb, C + j, ldc, alpha, accumulate);
}

void gemm(int m, int n, int k, const float *A, int64_t lda, const float *B, int64_t ldb, float *C, int64_t ldc,
          float alpha, bool accumulate, Tri tri = Tri::kNone) {
    int i = 0;
    for (; i + MR <= m; i += MR)
        gemm_rows<MR>(i, n, k, A + i * lda, lda, B, ldb, C + i * ldc, ldc, alpha, accumulate, tri);
    const float *a = A + i * lda;
    float *c = C + i * ldc;
    switch (m - i) {  // bottom edge: a single tile of the remaining rows
        case 3: gemm_rows<3>(i, n, k, a, lda, B, ldb, c, ldc, alpha, accumulate, tri); break;
        case 2: gemm_rows<2>(i, n, k, a, lda, B, ldb, c, ldc, alpha, accumulate, tri); break;
        case 1: gemm_rows<1>(i, n, k, a, lda, B, ldb, c, ldc, alpha, accumulate, tri); break;
        default: break;
    }
}

// dst[c][r] = src[r][c] for a rows x cols matrix, in 16 x 16 blocks so that neither side walks a
// whole column of cache lines at a time.
void transpose(const float *src, int64_t lds, int rows, int cols, float *dst, int64_t ldd) {
    constexpr int B = 16;
    for (int r0 = 0; r0 < rows; r0 += B)
        for (int c0 = 0; c0 < cols; c0 += B)
            for (int r = r0; r < lo(rows, r0 + B); ++r)
                for (int c = c0; c < lo(cols, c0 + B); ++c) dst[c * ldd + r] = src[r * lds + c];
}

// Per-thread scratch for one head's chunks, sized for the full chunk C (a shorter last chunk uses a
// prefix; per-chunk matrices are packed with the chunk's actual length n as leading dimension).
// Carved from a caller-provided block of delta_rule_chunk_scratch_floats(C, dk, dv) floats.
struct ChunkScratch {
    double *G;    // [C]: cumulative log decay (double, so G_i - G_j loses nothing); first, for alignment
    float *kq;    // [2C][dk]: rows 0..n-1 are k_i, rows n..2n-1 are q_i
    float *kt;    // [dk][C]: K transposed (later scaled by exp(G_last - G_i))
    float *p;     // [2C][C]: K K^T on top (becomes A), Q K^T below (becomes masked)
    float *tm;    // [C][C]: T = (I + A)^-1
    float *x;     // [C][dk+dv]: rows [beta_i exp(G_i) k_i | beta_i v_i]
    float *wu;    // [C][dk+dv]: rows [w_i | u_i], u_i becomes v_new_i in place
    float *st;    // [dk][dv]: the head's state, key-first so every product is A*B
    float *beta, *eg, *dl, *d;  // [C]: beta_i, exp(G_i), exp(G_last - G_i), a row of exp(G_i - G_j)

    ChunkScratch(float *base, int64_t C, int64_t dk, int64_t dv) {
        float *f = base;
        auto take = [&f](int64_t n) { float *r = f; f += n; return r; };
        G = reinterpret_cast<double *>(take(2 * C));
        kq = take(2 * C * dk);
        kt = take(dk * C);
        p = take(2 * C * C);
        tm = take(C * C);
        x = take(C * (dk + dv));
        wu = take(C * (dk + dv));
        st = take(dk * dv);
        beta = take(C);
        eg = take(C);
        dl = take(C);
        d = take(C);
    }
};

// One chunk of n tokens starting at t0 for value head h (key head kh); updates s.st in place.
void chunk_step(const DeltaRuleArgs &a, int h, int kh, int64_t t0, int n, ChunkScratch &s) {
    const int dk = a.dk, dv = a.dv, dkv = dk + dv;
    float *kq = s.kq, *kt = s.kt, *p = s.p, *tm = s.tm, *x = s.x, *wu = s.wu, *st = s.st;
    float *beta = s.beta, *eg = s.eg, *dl = s.dl, *d = s.d;
    double *G = s.G;

    // Gather the chunk's rows and the decay factors. Only exponentials of G_i - G_j <= 0 are taken,
    // so nothing overflows however strong the decay.
    double acc_g = 0.0;
    for (int i = 0; i < n; ++i) {
        const int64_t t = t0 + i;
        const float *q = a.q + t * a.q_stride + int64_t(kh) * dk;
        const float *k = a.k + t * a.k_stride + int64_t(kh) * dk;
        const float *v = a.v + t * a.v_stride + int64_t(h) * dv;
        if (a.g) acc_g += a.g[t * a.g_stride + h];
        G[i] = acc_g;
        beta[i] = a.beta[t * a.beta_stride + h];
        eg[i] = float(exp(acc_g));
        memcpy(kq + int64_t(i) * dk, k, sizeof(float) * size_t(dk));
        memcpy(kq + int64_t(n + i) * dk, q, sizeof(float) * size_t(dk));
        float *xi = x + int64_t(i) * dkv;
        const float bk = beta[i] * eg[i];
#pragma omp simd
        for (int c = 0; c < dk; ++c) xi[c] = bk * k[c];
#pragma omp simd
        for (int c = 0; c < dv; ++c) xi[dk + c] = beta[i] * v[c];
    }
    for (int i = 0; i < n; ++i) dl[i] = float(exp(G[n - 1] - G[i]));
    transpose(kq, dk, n, dk, kt, n);

    // K K^T and Q K^T (lower triangles), then weighted in place by D[i][j] = exp(G_i - G_j), j <= i:
    // A = diag(beta) (K K^T .* D) (only j < i is read) and Q K^T .* M (zeroed above the diagonal).
    float *A = p, *qk = p + int64_t(n) * n;
    gemm(n, n, dk, kq, dk, kt, n, A, n, 1.0f, false, Tri::kLowerC);
    gemm(n, n, dk, kq + int64_t(n) * dk, dk, kt, n, qk, n, 1.0f, false, Tri::kLowerC);
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j <= i; ++j) d[j] = a.g ? expf(float(G[i] - G[j])) : 1.0f;
        float *ai = A + int64_t(i) * n, *qi = qk + int64_t(i) * n;
        const float b = beta[i];
#pragma omp simd
        for (int j = 0; j <= i; ++j) {
            ai[j] *= b * d[j];
            qi[j] *= d[j];
        }
        for (int j = i + 1; j < n; ++j) qi[j] = 0.0f;
    }

    // T = (I + A)^-1 by forward substitution: row i of T is e_i - sum_{m<i} A[i][m] T[m], and T[m]
    // is zero beyond column m.
    for (int i = 0; i < n; ++i) {
        float *ti = tm + int64_t(i) * n;
        for (int j = 0; j < n; ++j) ti[j] = 0.0f;
        ti[i] = 1.0f;
        for (int m = 0; m < i; ++m) {
            const float aim = A[int64_t(i) * n + m];
            const float *tmr = tm + int64_t(m) * n;
#pragma omp simd
            for (int j = 0; j <= m; ++j) ti[j] -= aim * tmr[j];
        }
    }

    // [W | U] = T [diag(beta exp G) K | diag(beta) V].
    gemm(n, dkv, n, tm, n, x, dkv, wu, dkv, 1.0f, false, Tri::kLowerA);
    float *vnew = wu + dk;  // [n][dv] with leading dimension dkv
    // V_new = U - W S^T (key-first state: W S^T = W st).
    gemm(n, dv, dk, wu, dkv, st, dv, vnew, dkv, -1.0f, true);

    // O = (diag(exp G) Q) S^T + (Q K^T .* M) V_new, written straight into the output rows.
    float *o = a.o + t0 * a.o_stride + int64_t(h) * dv;
    float *qs = kq + int64_t(n) * dk;
    if (a.g)
        for (int i = 0; i < n; ++i) {
            float *qi = qs + int64_t(i) * dk;
            const float e = eg[i];
#pragma omp simd
            for (int c = 0; c < dk; ++c) qi[c] *= e;
        }
    gemm(n, dv, dk, qs, dk, st, dv, o, a.o_stride, 1.0f, false);
    gemm(n, dv, n, qk, n, vnew, dkv, o, a.o_stride, 1.0f, true, Tri::kLowerA);

    // S_next = exp(G_last) S + sum_i exp(G_last - G_i) v_new_i k_i^T, i.e. st = e st + K'^T V_new
    // with the columns of K^T scaled.
    if (a.g) {
        const float e = eg[n - 1];
#pragma omp simd
        for (int64_t c = 0; c < int64_t(dk) * dv; ++c) st[c] *= e;
        for (int c = 0; c < dk; ++c) {
            float *row = kt + int64_t(c) * n;
#pragma omp simd
            for (int i = 0; i < n; ++i) row[i] *= dl[i];
        }
    }
    gemm(dk, dv, n, kt, n, vnew, dkv, st, dv, 1.0f, true);
}

// The recurrent step on state rows (value-first, dk floats each). Row r evolves on its own:
// u_r = beta (v_r - e (s_r . k_t)), s_r = e s_r + u_r k_t, o_r = s_r . q_t. A single pass per token
// updates the row and takes both dot products it needs next: with q_t for the output and with the
// next token's key for the next step (`sk`, carried between calls; skipped after the last token).
// Four rows at once make eight independent reduction chains, enough to hide the FMA latency.
template <bool kNext>
inline void recurrent_rows4(float *s, int dk, const float *q, const float *k, const float *k_next, const float *v,
                            float beta, float e, float *sk, float *o) {
    float *s0 = s, *s1 = s + dk, *s2 = s + 2 * dk, *s3 = s + 3 * dk;
    const float u0 = beta * (v[0] - e * sk[0]), u1 = beta * (v[1] - e * sk[1]);
    const float u2 = beta * (v[2] - e * sk[2]), u3 = beta * (v[3] - e * sk[3]);
    float b0 = 0.0f, b1 = 0.0f, b2 = 0.0f, b3 = 0.0f, a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
#pragma omp simd reduction(+ : a0, a1, a2, a3, b0, b1, b2, b3)
    for (int c = 0; c < dk; ++c) {
        const float x0 = e * s0[c] + u0 * k[c], x1 = e * s1[c] + u1 * k[c];
        const float x2 = e * s2[c] + u2 * k[c], x3 = e * s3[c] + u3 * k[c];
        s0[c] = x0, s1[c] = x1, s2[c] = x2, s3[c] = x3;
        b0 += x0 * q[c], b1 += x1 * q[c], b2 += x2 * q[c], b3 += x3 * q[c];
        if constexpr (kNext)
            a0 += x0 * k_next[c], a1 += x1 * k_next[c], a2 += x2 * k_next[c], a3 += x3 * k_next[c];
    }
    o[0] = b0, o[1] = b1, o[2] = b2, o[3] = b3;
    sk[0] = a0, sk[1] = a1, sk[2] = a2, sk[3] = a3;
}

template <bool kNext>
inline void recurrent_row(float *s, int dk, const float *q, const float *k, const float *k_next, const float *v,
                          float beta, float e, float *sk, float *o) {
    const float u = beta * (v[0] - e * sk[0]);
    float a = 0.0f, b = 0.0f;
#pragma omp simd reduction(+ : a, b)
    for (int c = 0; c < dk; ++c) {
        const float x = e * s[c] + u * k[c];
        s[c] = x;
        b += x * q[c];
        if constexpr (kNext) a += x * k_next[c];
    }
    o[0] = b;
    sk[0] = a;
}

}  // namespace

void recurrent(const DeltaRuleArgs &a) {
    if (a.T <= 0) return;
    const int dk = a.dk, dv = a.dv, group = a.Hv / a.Hk;
    // Rows evolve independently, so each block of rows (about 16 KiB) runs through all the tokens
    // while it stays in L1, and only q and k are re-read per block. Blocks are also the parallel work.
    constexpr int kMaxRows = 64;
    const int rows = lo(hi(4096 / hi(dk, 1), 4), kMaxRows) / 4 * 4;
    const int blocks = (dv + rows - 1) / rows;
#pragma omp parallel for collapse(2) schedule(static)
    for (int h = 0; h < a.Hv; ++h)
        for (int b = 0; b < blocks; ++b) {
            const int kh = h / group, r0 = b * rows, r1 = lo(dv, r0 + rows);
            float *S = a.state + int64_t(h) * dv * dk;
            auto key = [&](int64_t t) { return a.k + t * a.k_stride + int64_t(kh) * dk; };
            float sk[kMaxRows];  // s_r . k_t for the coming token t
            for (int r = r0; r < r1; ++r) {
                const float *s = S + int64_t(r) * dk, *k = key(0);
                float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
                for (int c = 0; c < dk; ++c) acc += s[c] * k[c];
                sk[r - r0] = acc;
            }
            for (int64_t t = 0; t < a.T; ++t) {
                const float *q = a.q + t * a.q_stride + int64_t(kh) * dk;
                const float *k = key(t), *k_next = t + 1 < a.T ? key(t + 1) : nullptr;
                const float *v = a.v + t * a.v_stride + int64_t(h) * dv;
                const float beta = a.beta[t * a.beta_stride + h];
                const float e = a.g ? expf(a.g[t * a.g_stride + h]) : 1.0f;
                float *o = a.o + t * a.o_stride + int64_t(h) * dv;
                int r = r0;
                for (; r + 4 <= r1; r += 4) {
                    float *s = S + int64_t(r) * dk;
                    if (k_next) recurrent_rows4<true>(s, dk, q, k, k_next, v + r, beta, e, sk + (r - r0), o + r);
                    else recurrent_rows4<false>(s, dk, q, k, k_next, v + r, beta, e, sk + (r - r0), o + r);
                }
                for (; r < r1; ++r) {
                    float *s = S + int64_t(r) * dk;
                    if (k_next) recurrent_row<true>(s, dk, q, k, k_next, v + r, beta, e, sk + (r - r0), o + r);
                    else recurrent_row<false>(s, dk, q, k, k_next, v + r, beta, e, sk + (r - r0), o + r);
                }
            }
        }
}

void chunked(const DeltaRuleArgs &a, int C, float *scratch, int64_t scratch_floats_per_thread) {
    const int dk = a.dk, dv = a.dv, group = a.Hv / a.Hk;
#pragma omp parallel
    {
        ChunkScratch s(scratch + scratch_floats_per_thread * omp_get_thread_num(), C, dk, dv);
#pragma omp for schedule(static)
        for (int h = 0; h < a.Hv; ++h) {
            float *S = a.state + int64_t(h) * dv * dk;
            transpose(S, dk, dv, dk, s.st, dv);  // to key-first and back
            for (int64_t t0 = 0; t0 < a.T; t0 += C)
                chunk_step(a, h, h / group, t0, int(a.T - t0 < C ? a.T - t0 : C), s);
            transpose(s.st, dv, dk, dv, S, dk);
        }
    }
}

}  // namespace dn::cpu::DN_DELTA_RULE_ISA
