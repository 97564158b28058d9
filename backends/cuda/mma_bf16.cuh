// Device pieces shared by the bfloat16 tensor-core delta-rule kernels (delta_rule_tc.cu,
// delta_rule_tc_split.cu): PTX wrappers (mma.sync m16n8k16, ldmatrix, cp.async), fragment loaders,
// and the construction of a chunk's T = (I + A)^-1 from A = strictly-lower(diag(beta) (K K^T .* D)).
//
// Fragment layouts of mma.m16n8k16 (g = lane / 4, t = lane % 4), low half of a register = lower
// column (A) or lower k (B):
//   A 16x16 row-major: a0 (g, 2t..2t+1), a1 (g+8, 2t..), a2 (g, 2t+8..), a3 (g+8, 2t+8..)
//   B 16x8 "col":      b0 (k = 2t..2t+1, n = g), b1 (k = 2t+8..2t+9, n = g)
//   C 16x8 float32:    c0 (g, 2t), c1 (g, 2t+1), c2 (g+8, 2t), c3 (g+8, 2t+1)
// So the accumulators of two adjacent n8 tiles, packed in pairs, are the A fragment of the same 16
// rows over those 16 columns (the chained-product trick of the split kernel).
//
// DN_TC_EMULATE (host test harnesses only, never the library build): the harness defines the PTX
// wrappers (pack_bf16 .. cp_async_wait) and the CUDA built-ins itself, and this header leaves them out.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dn::cuda::tc {

inline constexpr int kC = 64;       // tokens per chunk
inline constexpr int kPB = kC + 8;  // pitch (bf16) of rows over the chunk's tokens: T, QK, Y^T, V_new^T
inline constexpr int kPF = kC + 4;  // pitch (float) of rows over the chunk's tokens: A, T (float32)

// ---------------------------------------------------------------- device primitives
#ifndef DN_TC_EMULATE
__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
    uint32_t r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));  // first source -> upper half
    return r;
}
__device__ __forceinline__ uint16_t bf16_bits(float x) {
    uint16_t r;
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(r) : "f"(x));
    return r;
}
// d += A B (16 x 8 x 16), bfloat16 operands, float32 accumulators.
__device__ __forceinline__ void mma_bf16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
__device__ __forceinline__ void cp_async16(void *dst, const void *src) {
    const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(dst));
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(s), "l"(src) : "memory");
}
__device__ __forceinline__ void cp_async4(void *dst, const void *src) {
    const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(dst));
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4;" ::"r"(s), "l"(src) : "memory");
}
// ldmatrix .x4: lane l gives the address of row l % 8 of matrix l / 8 (16-byte aligned rows of 8
// bf16); r[i] receives lane (g, t)'s word (row g, columns 2t..2t+1) of matrix i.
__device__ __forceinline__ void ldsm_x4(uint32_t (&r)[4], const uint16_t *p) {
    const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(p));
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(s)
                 : "memory");
}
// ldmatrix .x2 .trans: lanes 0..15 give the addresses of rows 0..7 of matrices 0 and 1; r[i] receives
// lane (g, t)'s elements (rows 2t and 2t+1, column g) of matrix i.
__device__ __forceinline__ void ldsm_x2_trans(uint32_t (&r)[2], const uint16_t *p) {
    const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(p));
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0,%1}, [%2];"
                 : "=r"(r[0]), "=r"(r[1])
                 : "r"(s)
                 : "memory");
}
// ldmatrix .x4 .trans: addresses as ldsm_x4; r[i] receives lane (g, t)'s elements (rows 2t and 2t+1,
// column g) of matrix i.
__device__ __forceinline__ void ldsm_x4_trans(uint32_t (&r)[4], const uint16_t *p) {
    const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(p));
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(s)
                 : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;" ::: "memory"); }
__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_group 0;" ::: "memory"); }
// Waits until at most N of this thread's most recent cp.async groups are still in flight.
template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;" ::"n"(N) : "memory");
}
#endif

__device__ __forceinline__ uint32_t ld32(const uint16_t *p) { return *reinterpret_cast<const uint32_t *>(p); }
__device__ __forceinline__ void st32(uint16_t *p, uint32_t x) { *reinterpret_cast<uint32_t *>(p) = x; }

// A fragment of M[r0 .. r0+15][c0 .. c0+15] (bf16, row pitch `pitch` elements, a multiple of 8; M
// 16-byte aligned), by ldmatrix: matrices (rows r0.., c0), (r0+8.., c0), (r0.., c0+8), (r0+8.., c0+8).
__device__ __forceinline__ void frag_a(uint32_t (&f)[4], const uint16_t *M, int pitch, int r0, int c0, int, int) {
    const int lane = int(threadIdx.x) & 31;
    ldsm_x4(f, M + (r0 + (lane & 15)) * pitch + c0 + 8 * (lane >> 4));
}
// B fragment with B[k][n] = M[n0 + n][k0 + k] (M's rows run along k: K rows for K^T, S rows for S^T).
__device__ __forceinline__ void frag_b(uint32_t (&f)[2], const uint16_t *M, int pitch, int n0, int k0, int g, int t) {
    const uint16_t *p = M + (n0 + g) * pitch + k0 + 2 * t;
    f[0] = ld32(p);
    f[1] = ld32(p + 8);
}
// B fragment with B[k][n] = M[k0 + k][n0 + n] (M's rows run along n: K itself), by ldmatrix .trans
// of the 8 x 8 matrices at rows k0.. and k0+8.. (pitch a multiple of 8, M 16-byte aligned).
__device__ __forceinline__ void frag_bt(uint32_t (&f)[2], const uint16_t *M, int pitch, int k0, int n0, int, int) {
    const int lane = int(threadIdx.x) & 15;
    ldsm_x2_trans(f, M + (k0 + lane) * pitch + n0);
}

// ---------------------------------------------------------------- T's off-diagonal blocks
// float32 products on tensor cores: x = hi + lo with hi = bf16(x), lo = bf16(x - hi), and
// a b ~ a_hi b_hi + a_hi b_lo + a_lo b_hi (about 16 significant bits, float32 accumulation).
__device__ __forceinline__ float bf16_lo_f(uint32_t x) { return __uint_as_float(x << 16); }
__device__ __forceinline__ float bf16_hi_f(uint32_t x) { return __uint_as_float(x & 0xffff0000u); }
__device__ __forceinline__ void split2(float x, float y, uint32_t &hi, uint32_t &lo) {
    hi = pack_bf16(x, y);
    lo = pack_bf16(x - bf16_lo_f(hi), y - bf16_hi_f(hi));
}
// d += a_hi b_hi (main), c += a_hi b_lo + a_lo b_hi (correction): two chains instead of one.
__device__ __forceinline__ void mma3(float (&d)[4], float (&c)[4], const uint32_t (&ah)[4], const uint32_t (&al)[4],
                                     const uint32_t (&bh)[2], const uint32_t (&bl)[2]) {
    mma_bf16(d, ah, bh);
    mma_bf16(c, ah, bl);
    mma_bf16(c, al, bh);
}
// B fragment (hi, lo) with B[k][n] = M[n0 + n][k0 + k], M float32 with pitch kPF.
__device__ __forceinline__ void frag_b_f32(uint32_t (&h)[2], uint32_t (&l)[2], const float *M, int n0, int k0, int g,
                                           int t) {
    const float *p = M + (n0 + g) * kPF + k0 + 2 * t;
    split2(p[0], p[1], h[0], l[0]);
    split2(p[8], p[9], h[1], l[1]);
}
// A fragment (hi, lo) of the transpose: A[r][c] = M[c0 + c][r0 + r], M float32 with pitch kPF.
__device__ __forceinline__ void frag_at_f32(uint32_t (&h)[4], uint32_t (&l)[4], const float *M, int r0, int c0, int g,
                                            int t) {
    const float *p = M + (c0 + 2 * t) * kPF + r0 + g;
    split2(p[0], p[kPF], h[0], l[0]);
    split2(p[8], p[kPF + 8], h[1], l[1]);
    split2(p[8 * kPF], p[9 * kPF], h[2], l[2]);
    split2(p[8 * kPF + 8], p[9 * kPF + 8], h[3], l[3]);
}
// One warp: the 16 x 16 block (I, J), I > J, of T = (I + A)^-1, from the blocked inverse split at
// block row K0 (J < K0 <= I): T_IJ = -sum_{K0 <= K <= I} T_IK sum_{J <= M < K0} A_KM T_MJ, where the
// T blocks on the right are already in Tf. Computed transposed, X_KJ^T = sum_M T_MJ^T A_KM^T and
// T_IJ^T = -sum_K X_KJ^T T_IK^T, so that X^T's accumulators are directly the next A fragment.
__device__ __forceinline__ void t_offdiag(const float *As, float *Tf, uint16_t *Tb, int I, int J, int K0, int g,
                                          int t) {
    float acc[2][4] = {}, acc_c[2][4] = {};
    for (int K = K0; K <= I; ++K) {
        float x[2][4] = {}, x_c[2][4] = {};
        for (int M = J; M < K0; ++M) {
            uint32_t ah[4], al[4], bh[2], bl[2];
            frag_at_f32(ah, al, Tf, 16 * J, 16 * M, g, t);
#pragma unroll
            for (int nt = 0; nt < 2; ++nt) {
                frag_b_f32(bh, bl, As, 16 * K + 8 * nt, 16 * M, g, t);
                mma3(x[nt], x_c[nt], ah, al, bh, bl);
            }
        }
#pragma unroll
        for (int nt = 0; nt < 2; ++nt)
#pragma unroll
            for (int e = 0; e < 4; ++e) x[nt][e] += x_c[nt][e];
        uint32_t ah[4], al[4], bh[2], bl[2];
        split2(x[0][0], x[0][1], ah[0], al[0]);
        split2(x[0][2], x[0][3], ah[1], al[1]);
        split2(x[1][0], x[1][1], ah[2], al[2]);
        split2(x[1][2], x[1][3], ah[3], al[3]);
#pragma unroll
        for (int nt = 0; nt < 2; ++nt) {
            frag_b_f32(bh, bl, Tf, 16 * I + 8 * nt, 16 * K, g, t);
            mma3(acc[nt], acc_c[nt], ah, al, bh, bl);
        }
    }
#pragma unroll
    for (int nt = 0; nt < 2; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc[nt][e] += acc_c[nt][e];
    // acc[nt][e]: T_IJ^T at (j = g + 8 (e >> 1), i = 8 nt + 2 t + (e & 1)).
#pragma unroll
    for (int nt = 0; nt < 2; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
            const int i = 16 * I + 8 * nt + 2 * t + (e & 1), j = 16 * J + g + 8 * (e >> 1);
            Tf[i * kPF + j] = -acc[nt][e];
            Tb[i * kPB + j] = bf16_bits(-acc[nt][e]);
        }
}

// ---------------------------------------------------------------- shared memory layouts
__host__ __device__ constexpr size_t align16(size_t x) { return (x + 15) / 16 * 16; }
__host__ __device__ constexpr size_t take(size_t &at, size_t bytes) {
    const size_t p = at;
    at = align16(at + bytes);
    return p;
}

// ---------------------------------------------------------------- a chunk's decay and T
// Warp 0: lane l holds tokens 2l and 2l+1 (beta b, log decay g; zero for padding tokens, which
// makes them no-ops and G_63 = G_{n-1}).
__device__ __forceinline__ void chunk_decay(float b0, float b1, float g0, float g1, float *G, float *eG, float *dl,
                                            float *beta) {
    const int lane = threadIdx.x & 31;
    float sum = g0 + g1;
#pragma unroll
    for (int off = 1; off < 32; off *= 2) {
        const float y = __shfl_up_sync(0xffffffffu, sum, off);
        if (lane >= off) sum += y;
    }
    const float last = __shfl_sync(0xffffffffu, sum, 31);
    const float G1 = sum, G0 = sum - g1;
    G[2 * lane] = G0, G[2 * lane + 1] = G1;
    eG[2 * lane] = __expf(fminf(G0, 0.0f)), eG[2 * lane + 1] = __expf(fminf(G1, 0.0f));
    dl[2 * lane] = __expf(fminf(last - G0, 0.0f)), dl[2 * lane + 1] = __expf(fminf(last - G1, 0.0f));
    beta[2 * lane] = b0, beta[2 * lane + 1] = b1;
}

// A (float32, strictly lower, rows times beta) and QK (bf16, lower with the diagonal), decayed,
// from one warp's K K^T / Q K^T accumulators of row block It, n8 tiles [j0, j0 + cnt).
__device__ __forceinline__ void store_a_qk(const float (&tk)[3][4], const float (&tq)[3][4], int It, int j0, int cnt,
                                           bool gated, const float *G, const float *bt, float *As, uint16_t *QKb,
                                           int g, int t) {
#pragma unroll
    for (int j = 0; j < 3; ++j) {
        if (j >= cnt) continue;
        const int c = 8 * (j0 + j) + 2 * t;
#pragma unroll
        for (int hr = 0; hr < 2; ++hr) {
            const int i = 16 * It + g + 8 * hr;
            const float Gi = G[i], bi = bt[i];
            float d0 = 0.0f, d1 = 0.0f;
            if (c <= i) d0 = gated ? __expf(fminf(Gi - G[c], 0.0f)) : 1.0f;
            if (c + 1 <= i) d1 = gated ? __expf(fminf(Gi - G[c + 1], 0.0f)) : 1.0f;
            As[i * kPF + c] = c < i ? bi * d0 * tk[j][2 * hr] : 0.0f;
            As[i * kPF + c + 1] = c + 1 < i ? bi * d1 * tk[j][2 * hr + 1] : 0.0f;
            st32(QKb + i * kPB + c, pack_bf16(d0 * tq[j][2 * hr], d1 * tq[j][2 * hr + 1]));
        }
    }
}

// T's four diagonal blocks T_II = (I + A_II)^-1 (thread (b, j) of warps 0, 1 owns column j of block b)
// and then T_10 and T_32, one per warp (level 1 of the 16 -> 32 -> 64 doubling).
__device__ __forceinline__ void t_level1(const float *As, float *Tf, uint16_t *Tb, int tid, int warp, int g, int t) {
    if (tid < kC) {
        const int base = 16 * (tid >> 4), j = tid & 15;
        float x[16];
#pragma unroll
        for (int i = 0; i < 16; ++i) {
            float acc = i == j ? 1.0f : 0.0f;
#pragma unroll
            for (int m = 0; m < i; ++m) acc = fmaf(-As[(base + i) * kPF + base + m], x[m], acc);
            x[i] = acc;
        }
#pragma unroll
        for (int i = 0; i < 16; ++i) {
            Tf[(base + i) * kPF + base + j] = x[i];
            Tb[(base + i) * kPB + base + j] = bf16_bits(x[i]);
        }
        __syncwarp();
        t_offdiag(As, Tf, Tb, 2 * warp + 1, 2 * warp, 2 * warp + 1, g, t);
    }
}
// Level 2: the lower-left 32 x 32 quarter of T, warps 2..5 one block each (after t_level1).
__device__ __forceinline__ void t_level2(const float *As, float *Tf, uint16_t *Tb, int warp, int g, int t) {
    if (warp >= 2 && warp < 6) t_offdiag(As, Tf, Tb, 2 + ((warp - 2) >> 1), (warp - 2) & 1, 2, g, t);
}

}  // namespace dn::cuda::tc
