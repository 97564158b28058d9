// The chunked delta rule on tensor cores, split into a parallel prep kernel and a short sequential
// walk (DeltaArgs::bf16_products; see delta_rule_tc_split.h). The math is delta_rule_tc.cu's: per
// value head h and chunk of 64 tokens (G_i: cumulative log decay within the chunk, D_ij = exp(G_i -
// G_j) for j <= i, S: the state [dv][dk] before the chunk),
//   A = strictly-lower(diag(beta) (K K^T .* D)),  T = (I + A)^-1
//   V_new = T diag(beta) (V - diag(exp G) K S^T) = U - W S^T
//           with W = T diag(beta exp G) K  [64][dk],  U = T diag(beta) V  [64][dv]
//   O     = diag(exp G) Q S^T + QK V_new = Q' S^T + QK V_new
//           with Q' = diag(exp G) Q,  QK = lower(Q K^T .* D)
//   S     = exp(G_last) S + V_new^T K'     with K' = diag(exp(G_last - G)) K
// Everything but S is known before the walk, so:
//
// Kernel 1, prep (grid: chunks x Hv blocks, chunk-major, 256 threads): T exactly as delta_rule_tc.cu builds it
// (mma_bf16.cuh: float32 forward substitution and blocked doubling), then W, U = T X on tensor cores
// and K', Q', QK, exp(G_last); all into scratch. Independent per chunk: bandwidth-bound.
//
// Kernel 2, walk (grid: dv / (16 SPB) x Hv; SPB slabs of 16 state rows per block, KS warps per
// slab): the state lives in float32 mma accumulator registers for the whole sequence, warp q of a
// slab holding its rows' columns [q dk / KS, +dk / KS). Two adjacent n8 accumulator tiles, packed
// pairwise, are an A fragment of the same rows (mma_bf16.cuh), so per chunk
//   P   = S W^T,  R = S Q'^T   (A = S from the state registers; partial over the warp's columns)
//   V_new^T = U^T - P          (KS > 1: the partial P, R of the slab's warps summed through shared
//                               memory, one barrier)                          [16 x 64]
//   O^T = R + V_new^T QK^T     (A = V_new^T from the accumulators above; warp q stores token
//                               tiles q, q + KS, ..., from registers)         [16 x 64]
//   S   = exp(G_last) S + V_new^T K'   (A = V_new^T, B = K', the warp's columns)
// The warps of a block meet only to share the chunk's W, Q', QK, K', U tile, copied by cp.async
// one chunk ahead (double-buffered; K' single-buffered and copied during the chunk when dk > 128,
// for shared memory), and, with KS > 1, for the exchange.
//
// Scratch (delta_rule_tc_split_scratch_bytes): per (h, chunk c), a record of bf16 at element
// (h * chunks + c) * rec, rec = 64 (3 dk + 64 + dv), rows unpadded:
//   W [64][dk] | K' [64][dk] | Q' [64][dk] | QK [64][64] (zero above the diagonal) | U [64][dv]
// then, after all records, float exp(G_last) [Hv][chunks] and int ready [Hv][chunks] (the overlap's
// flags). Rows of padding tokens (past T) are zero.
//
// Overlap (delta_rule_chunked_tc_split's `side`): the prep's blocks run chunk-major, and the walk,
// on another stream with few enough blocks to leave the prep half the SMs, starts at once and waits
// for each record's flag (release by the prep after its stores, acquire by every copying thread)
// instead of for the whole prep kernel. The prep then costs only what it slows the walk down.
//
// Rounding: q, k, v, S and V_new become bfloat16 mma operands, like delta_rule_tc.cu; W and U are
// products of bf16 T and bf16 X = diag(beta exp G) K or diag(beta) V (each rounded once from
// float32, scales folded in first), accumulated in float32 and stored as bf16; K', Q' are rounded
// once from float32. Only exponentials of non-positive numbers are taken.
//
// DN_TC_EMULATE (host test harnesses only): the device primitives come from the harness, and the
// launchers are left out (tests/test_delta_rule_tc_emulated.cpp).
#include "backends/cuda/delta_rule_tc_split.h"

#include <cstddef>
#include <cstdint>

#ifndef DN_TC_EMULATE
#include <cuda_runtime.h>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/features.h"
#endif

#include "backends/cuda/mma_bf16.cuh"

namespace dn::cuda {

namespace {

using namespace tc;  // kC, kPB, kPF and the device primitives (mma_bf16.cuh)

constexpr size_t kSmemCap = 227 * 1024;  // the most any GPU gives one block (Hopper)
constexpr int kPrepThreads = 256;  // 8 warps: t_level1 / t_level2 and the T X split assume 8

// ---------------------------------------------------------------- scratch
struct SplitScratch {
    int64_t nch;                // chunks
    int64_t rec;                // bf16 elements per (head, chunk) record
    int64_t kd, qg, qk, u;      // offsets of K', Q', QK, U in a record (W at 0)
    size_t gl;                  // byte offset of exp(G_last) [Hv][nch] (float)
    size_t ready;               // byte offset of the overlapped walk's flags [Hv][nch] (int)
    size_t bytes;
};

__host__ __device__ constexpr SplitScratch split_scratch(int64_t T, int Hv, int dk, int dv) {
    SplitScratch s{};
    s.nch = (T + kC - 1) / kC;
    s.kd = int64_t(kC) * dk;
    s.qg = 2 * s.kd;
    s.qk = 3 * s.kd;
    s.u = s.qk + int64_t(kC) * kC;
    s.rec = s.u + int64_t(kC) * dv;  // a multiple of 8 elements: records stay 16-byte aligned
    s.gl = size_t(Hv) * size_t(s.nch) * size_t(s.rec) * 2;
    s.ready = s.gl + align16(size_t(Hv) * size_t(s.nch) * 4);
    s.bytes = s.ready + align16(size_t(Hv) * size_t(s.nch) * 4);
    return s;
}

#ifndef DN_TC_EMULATE
// The overlapped walk's handshake: the prep releases a (head, chunk) flag once the record is
// written; a walking thread acquires it before it copies that record (gpu scope: other SMs).
__device__ __forceinline__ void release_flag(int *flag) {
    asm volatile("st.release.gpu.global.s32 [%0], %1;" ::"l"(flag), "r"(1) : "memory");
}
__device__ __forceinline__ void await_flag(const int *flag) {
    for (;;) {
        int v;
        asm volatile("ld.acquire.gpu.global.s32 %0, [%1];" : "=r"(v) : "l"(flag) : "memory");
        if (v != 0) return;
        __nanosleep(256);
    }
}
#endif

__device__ __forceinline__ void st64(uint16_t *p, uint32_t lo, uint32_t hi) {
    *reinterpret_cast<uint2 *>(p) = make_uint2(lo, hi);
}

// B fragments of two n8 tiles (n0.., n0+8..) with B[k][n] = M[n0 + n][k0 + k] (M's rows run along
// k), by one ldmatrix .x4: matrices (n0, k0), (n0, k0+8), (n0+8, k0), (n0+8, k0+8).
__device__ __forceinline__ void frag_b2(uint32_t (&b)[4], const uint16_t *M, int pitch, int n0, int k0) {
    const int lane = int(threadIdx.x) & 31;
    ldsm_x4(b, M + (n0 + (lane & 7) + 8 * (lane >> 4)) * pitch + k0 + 8 * ((lane >> 3) & 1));
}
// B fragments of two n8 tiles with B[k][n] = M[k0 + k][n0 + n] (M's rows run along n), by one
// ldmatrix .x4 .trans: matrices (k0, n0), (k0+8, n0), (k0, n0+8), (k0+8, n0+8).
__device__ __forceinline__ void frag_bt2(uint32_t (&b)[4], const uint16_t *M, int pitch, int k0, int n0) {
    const int lane = int(threadIdx.x) & 31;
    ldsm_x4_trans(b, M + (k0 + (lane & 7) + 8 * ((lane >> 3) & 1)) * pitch + n0 + 8 * (lane >> 4));
}
__device__ __forceinline__ void mma2(float (&d0)[4], float (&d1)[4], const uint32_t (&a)[4], const uint32_t (&b)[4]) {
    const uint32_t b0[2] = {b[0], b[1]}, b1[2] = {b[2], b[3]};
    mma_bf16(d0, a, b0);
    mma_bf16(d1, a, b1);
}
// The A fragment (16 rows x 16 columns) of two adjacent n8 accumulator tiles, times s (1 or -1).
__device__ __forceinline__ void acc_to_a(uint32_t (&a)[4], const float (&c0)[4], const float (&c1)[4], float s) {
    a[0] = pack_bf16(s * c0[0], s * c0[1]);
    a[1] = pack_bf16(s * c0[2], s * c0[3]);
    a[2] = pack_bf16(s * c1[0], s * c1[1]);
    a[3] = pack_bf16(s * c1[2], s * c1[3]);
}

#ifndef DN_TC_EMULATE
// threadIdx.x, read anew at each call (the compiler may not hoist a volatile asm out of a loop).
__device__ __forceinline__ int thread_index() {
    int x;
    asm volatile("mov.u32 %0, %%tid.x;" : "=r"(x));
    return x;
}
#else
inline int thread_index() { return int(threadIdx.x); }
#endif

// 16-byte cp.async of 64 rows x cols bf16 (cols a multiple of 8, at most COLS, a power of two) from
// src (row pitch spitch) to dst (row pitch DP), by NT threads. Every index but the source pitch is
// known at compile time: the walk issues these each chunk from the warps that do its products.
template <int COLS, int DP, int NT>
__device__ __forceinline__ void copy_tile(uint16_t *dst, const uint16_t *src, int spitch, int cols) {
    constexpr int P = COLS / 8, N = kC * P;
    static_assert((P & (P - 1)) == 0, "pieces per row: a power of two");
    const int tid = thread_index();  // reread: the addresses are cheap to redo, costly to keep in registers
#pragma unroll
    for (int i = 0; i < (N + NT - 1) / NT; ++i) {
        const int e = tid + i * NT, r = e / P, p = e % P;
        if ((N % NT == 0 || e < N) && 8 * p < cols) cp_async16(dst + r * DP + 8 * p, src + r * spitch + 8 * p);
    }
}

__device__ __forceinline__ float4 load4(const float *p, bool vec) {
    if (vec) return __ldg(reinterpret_cast<const float4 *>(p));
    return make_float4(__ldg(p), __ldg(p + 1), __ldg(p + 2), __ldg(p + 3));
}

// ---------------------------------------------------------------- kernel 1: prep
struct PrepLayout {
    int pk;                       // pitch (bf16) of rows over dk or over a column tile of V
    size_t kb, qb, xb;            // bf16 K, Q, X (the right factor of T X) [64][pk]
    size_t at;                    // float32 A, T [64][kPF] each; then bf16 T X [64][pk]
    size_t tb, qk;                // bf16 T, QK [64][kPB]
    size_t G, eG, dl, beta;       // per token
    size_t bytes;
};

__host__ __device__ constexpr PrepLayout prep_layout(int kmax) {
    PrepLayout l{};
    l.pk = kmax + 8;  // 4 (mod 8) words: ldmatrix rows hit distinct banks
    size_t at = 0;
    const size_t rows = 2 * size_t(kC) * size_t(l.pk);
    l.kb = take(at, rows);
    l.qb = take(at, rows);
    l.xb = take(at, rows);
    const size_t af = 2 * 4 * size_t(kC) * kPF;
    l.at = take(at, af > rows ? af : rows);
    l.tb = take(at, 2 * size_t(kC) * kPB);
    l.qk = take(at, 2 * size_t(kC) * kPB);
    l.G = take(at, 4 * size_t(kC));
    l.eG = take(at, 4 * size_t(kC));
    l.dl = take(at, 4 * size_t(kC));
    l.beta = take(at, 4 * size_t(kC));
    l.bytes = at;
    return l;
}

// Ob = T X for X = Xb[0..63][0..ncols) (ncols a multiple of 16, at most KMAX), then Ob's rows to
// dst (row pitch dpitch elements). Warp w: rows 16 (w % 4).., columns (w / 4) KMAX / 2 ..; T lower.
template <int KMAX>
__device__ __forceinline__ void t_times(const uint16_t *Tb, const uint16_t *Xb, uint16_t *Ob, int ncols, uint16_t *dst,
                                        int64_t dpitch, int tid, int warp, int g, int t) {
    constexpr int PK = KMAX + 8, NT = KMAX / 16;
    const int I = warp & 3, n0 = (warp >> 2) * (KMAX / 2);
    float acc[NT][4];
#pragma unroll
    for (int j = 0; j < NT; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc[j][e] = 0.0f;
    for (int kb = 0; kb <= I; ++kb) {
        uint32_t af[4];
        frag_a(af, Tb, kPB, 16 * I, 16 * kb, g, t);
#pragma unroll
        for (int j = 0; j < NT; j += 2) {
            if (n0 + 8 * j < ncols) {
                uint32_t b[4];
                frag_bt2(b, Xb, PK, 16 * kb, n0 + 8 * j);
                mma2(acc[j], acc[j + 1], af, b);
            }
        }
    }
#pragma unroll
    for (int j = 0; j < NT; ++j) {
        const int c = n0 + 8 * j + 2 * t;
        if (c < ncols) {
            st32(Ob + (16 * I + g) * PK + c, pack_bf16(acc[j][0], acc[j][1]));
            st32(Ob + (16 * I + g + 8) * PK + c, pack_bf16(acc[j][2], acc[j][3]));
        }
    }
    __syncthreads();
    const int p8 = ncols / 8;
    for (int e = tid; e < kC * p8; e += kPrepThreads) {
        const int r = e / p8, p = e - r * p8;
        *reinterpret_cast<uint4 *>(dst + r * dpitch + 8 * p) = *reinterpret_cast<const uint4 *>(Ob + r * PK + 8 * p);
    }
}

// Block (chunk, h): value head h's record of the chunk. vec: q, k, v rows may be read as float4.
template <int KMAX>
__device__ __forceinline__ void prep_block(const DeltaArgs &a, unsigned char *sm, int64_t chunk, int h,
                                           uint16_t *scr, bool vec) {
    constexpr PrepLayout L = prep_layout(KMAX);
    constexpr int PK = L.pk;
    uint16_t *Kb = reinterpret_cast<uint16_t *>(sm + L.kb), *Qb = reinterpret_cast<uint16_t *>(sm + L.qb);
    uint16_t *Xb = reinterpret_cast<uint16_t *>(sm + L.xb), *Ob = reinterpret_cast<uint16_t *>(sm + L.at);
    float *As = reinterpret_cast<float *>(sm + L.at), *Tf = As + kC * kPF;
    uint16_t *Tb = reinterpret_cast<uint16_t *>(sm + L.tb), *QKb = reinterpret_cast<uint16_t *>(sm + L.qk);
    float *G = reinterpret_cast<float *>(sm + L.G), *eG = reinterpret_cast<float *>(sm + L.eG);
    float *dl = reinterpret_cast<float *>(sm + L.dl), *bt = reinterpret_cast<float *>(sm + L.beta);

    const int tid = int(threadIdx.x), warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
    const int dk = a.dk, dv = a.dv, kh = h / (a.Hv / a.Hk);
    const bool gated = a.g != nullptr;
    const SplitScratch S = split_scratch(a.T, a.Hv, dk, dv);
    const int64_t t0 = chunk * kC;
    const int n = a.T - t0 < kC ? int(a.T - t0) : kC;
    uint16_t *rec = scr + (int64_t(h) * S.nch + chunk) * S.rec;

    if (warp == 0) {
        const int i0 = 2 * lane, i1 = i0 + 1;
        const float b0 = i0 < n ? __ldg(a.beta + (t0 + i0) * a.beta_stride + h) : 0.0f;
        const float b1 = i1 < n ? __ldg(a.beta + (t0 + i1) * a.beta_stride + h) : 0.0f;
        const float g0 = gated && i0 < n ? __ldg(a.g + (t0 + i0) * a.g_stride + h) : 0.0f;
        const float g1 = gated && i1 < n ? __ldg(a.g + (t0 + i1) * a.g_stride + h) : 0.0f;
        chunk_decay(b0, b1, g0, g1, G, eG, dl, bt);
    }
    __syncthreads();
    if (tid == 0) reinterpret_cast<float *>(reinterpret_cast<unsigned char *>(scr) + S.gl)[h * S.nch + chunk] = eG[kC - 1];

    // K, Q (bf16 operands of K K^T, Q K^T), X = diag(beta exp G) K, and K', Q' straight to scratch;
    // each rounded once from the float32 input.
    {
        const float *qh = a.q + int64_t(kh) * dk, *kp = a.k + int64_t(kh) * dk;
        const int q4 = dk / 4;
        for (int e = tid; e < kC * q4; e += kPrepThreads) {
            const int i = e / q4, c = 4 * (e - i * q4);
            float4 x = make_float4(0.0f, 0.0f, 0.0f, 0.0f), y = x;
            if (i < n) x = load4(kp + (t0 + i) * a.k_stride + c, vec), y = load4(qh + (t0 + i) * a.q_stride + c, vec);
            const float w = bt[i] * eG[i], d = dl[i], e0 = eG[i];
            st64(Kb + i * PK + c, pack_bf16(x.x, x.y), pack_bf16(x.z, x.w));
            st64(Qb + i * PK + c, pack_bf16(y.x, y.y), pack_bf16(y.z, y.w));
            st64(Xb + i * PK + c, pack_bf16(w * x.x, w * x.y), pack_bf16(w * x.z, w * x.w));
            st64(rec + S.kd + i * dk + c, pack_bf16(d * x.x, d * x.y), pack_bf16(d * x.z, d * x.w));
            st64(rec + S.qg + i * dk + c, pack_bf16(e0 * y.x, e0 * y.y), pack_bf16(e0 * y.z, e0 * y.w));
        }
    }
    __syncthreads();

    // K K^T and Q K^T, lower-triangle tiles (the split over warps of delta_rule_tc.cu's prep).
    {
        const int It = (0x01122333 >> (4 * warp)) & 15, j0 = (0x02030630 >> (4 * warp)) & 15,
                  cnt = (0x22233233 >> (4 * warp)) & 15;
        float tk[3][4], tq[3][4];
#pragma unroll
        for (int j = 0; j < 3; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) tk[j][e] = 0.0f, tq[j][e] = 0.0f;
        const int ksteps = dk / 16;
#pragma unroll 2
        for (int kk = 0; kk < ksteps; ++kk) {
            uint32_t ak[4], aq[4], b[2];
            frag_a(ak, Kb, PK, 16 * It, 16 * kk, g, t);
            frag_a(aq, Qb, PK, 16 * It, 16 * kk, g, t);
#pragma unroll
            for (int j = 0; j < 3; ++j) {
                if (j < cnt) {
                    frag_b(b, Kb, PK, 8 * (j0 + j), 16 * kk, g, t);
                    mma_bf16(tk[j], ak, b);
                    mma_bf16(tq[j], aq, b);
                }
            }
        }
        store_a_qk(tk, tq, It, j0, cnt, gated, G, bt, As, QKb, g, t);
    }
    __syncthreads();
    t_level1(As, Tf, Tb, tid, warp, g, t);
    __syncthreads();
    t_level2(As, Tf, Tb, warp, g, t);
    __syncthreads();  // T complete; A and float32 T are dead, their space becomes Ob

    // QK, with the 16 x 16 blocks above the diagonal (never written) as zeros.
    for (int e = tid; e < kC * 8; e += kPrepThreads) {
        const int r = e >> 3, p = e & 7;
        uint4 x = make_uint4(0u, 0u, 0u, 0u);
        if ((p >> 1) <= (r >> 4)) x = *reinterpret_cast<const uint4 *>(QKb + r * kPB + 8 * p);
        *reinterpret_cast<uint4 *>(rec + S.qk + r * kC + 8 * p) = x;
    }

    // W = T X, then U = T diag(beta) V in column tiles of KMAX. Each t_times ends after a barrier that
    // follows its last read of Xb, so Xb can be refilled at once; Ob is rewritten only after the
    // barrier below, which follows the previous copy-out.
    t_times<KMAX>(Tb, Xb, Ob, dk, rec, dk, tid, warp, g, t);
    const float *vh = a.v + int64_t(h) * dv;
    for (int c0 = 0; c0 < dv; c0 += KMAX) {
        const int w = dv - c0 < KMAX ? dv - c0 : KMAX, q4 = w / 4;
        for (int e = tid; e < kC * q4; e += kPrepThreads) {
            const int i = e / q4, c = 4 * (e - i * q4);
            float4 x = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
            if (i < n) x = load4(vh + (t0 + i) * a.v_stride + c0 + c, vec);
            const float b = bt[i];
            st64(Xb + i * PK + c, pack_bf16(b * x.x, b * x.y), pack_bf16(b * x.z, b * x.w));
        }
        __syncthreads();
        t_times<KMAX>(Tb, Xb, Ob, w, rec + S.u + c0, dv, tid, warp, g, t);
    }
}

// ---------------------------------------------------------------- kernel 2: the walk
// K' rides in the stages when dk <= 128; at dk = 256 two stages would not fit beside it, so it has
// one buffer, copied at the start of the chunk that uses it.
__host__ __device__ constexpr bool kd_staged(int kmax) { return kmax <= 128; }

struct WalkLayout {
    int pk, pu;                   // pitches (bf16): rows over dk; U rows (16 SPB columns)
    size_t w, qg, qk, u, gl, kd;  // offsets within a stage: W, Q' [64][pk], QK [64][kPB], U [64][pu],
                                  // exp(G_last), K' [64][pk] (kd_staged)
    size_t stage;                 // bytes of a stage; stage s at s * stage
    size_t kd1;                   // K' when not kd_staged
    size_t x;                     // partial products exchanged between the KS warps of a slab
    size_t bytes;
};

__host__ __device__ constexpr WalkLayout walk_layout(int kmax, int spb, int ks, int nstage) {
    WalkLayout l{};
    l.pk = kmax + 8;
    l.pu = 16 * spb + 8;
    const size_t rows = 2 * size_t(kC) * size_t(l.pk);
    size_t at = 0;
    l.w = take(at, rows);
    l.qg = take(at, rows);
    l.qk = take(at, 2 * size_t(kC) * kPB);
    l.u = take(at, 2 * size_t(kC) * size_t(l.pu));
    l.gl = take(at, 16);
    l.kd = kd_staged(kmax) ? take(at, rows) : 0;
    l.stage = at;
    at = size_t(nstage) * l.stage;
    l.kd1 = take(at, kd_staged(kmax) ? 0 : rows);
    // Per warp: its partial S W^T and S Q'^T, 2 x 16 x 64 float32 (in fragment order).
    l.x = take(at, ks > 1 ? size_t(spb) * ks * 2 * 16 * kC * 4 : 0);
    l.bytes = at;
    return l;
}

// Zeros in columns [dk, KMAX) of 64 rows of pitch KMAX + 8.
template <int KMAX>
__device__ __forceinline__ void zero_pad_columns(uint16_t *M, int dk, int tid, int nthreads) {
    const int pieces = (KMAX - dk) / 8;
    for (int e = tid; e < kC * pieces; e += nthreads) {
        const int r = e / pieces, p = e - r * pieces;
        *reinterpret_cast<uint4 *>(M + r * (KMAX + 8) + dk + 8 * p) = make_uint4(0u, 0u, 0u, 0u);
    }
}

// Block (tile, h): state rows [16 SPB tile, +16 SPB) of value head h, a slab of 16 rows per KS
// warps: warp w takes slab w / KS (none past dv) and state columns [q KMAX / KS, +KMAX / KS) for
// q = w % KS. KMAX >= dk bounds the state registers and the shared rows; NSTAGE chunks of inputs
// are in shared memory at once (NSTAGE - 1 copies in flight).
//
// KS = 1: a warp walks its slab alone (three chained products per chunk in one warp). KS > 1: the
// KS warps of a slab each multiply their columns of S (S_q W_q^T, S_q Q'_q^T), exchange the
// partial sums through shared memory (one barrier), and each then has all of V_new^T for the update
// of its columns, and finishes O for every KS-th token tile. On an H100 one warp issues mma.sync
// far below its SM sub-partition's rate, so splitting each slab's chain over more warps is what
// shortens the walk.
template <int KMAX, int SPB, int KS, int NSTAGE>
__device__ __forceinline__ void walk_block(const DeltaArgs &a, unsigned char *sm, int tile, int h,
                                           const uint16_t *scr, [[maybe_unused]] const int *ready = nullptr) {
    constexpr bool KD2 = kd_staged(KMAX);
    constexpr WalkLayout L = walk_layout(KMAX, SPB, KS, NSTAGE);
    constexpr int PK = L.pk, PU = L.pu, NT = 32 * SPB * KS;
    constexpr int KP = KMAX / KS, NKT = KP / 8, NK16 = KP / 16;  // this warp's state columns
    constexpr int OG = KS == 1 && KMAX > 128 ? 4 : 8;  // token tiles of O per pass (registers at dk = 256)
    static_assert(NSTAGE >= 2 && KP >= 16 && KP % 16 == 0, "walk variant");

    const int tid = int(threadIdx.x), warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
    const int slab = warp / KS, q = warp % KS, c0 = q * KP;
    const int dk = a.dk, dv = a.dv;
    const SplitScratch S = split_scratch(a.T, a.Hv, dk, dv);
    const int v0 = 16 * SPB * tile, bv = dv - v0 < 16 * SPB ? dv - v0 : 16 * SPB;
    const bool active = 16 * slab < bv;  // warp-uniform
    const uint16_t *recs = scr + int64_t(h) * S.nch * S.rec;
    const float *gls = reinterpret_cast<const float *>(reinterpret_cast<const unsigned char *>(scr) + S.gl) +
                       int64_t(h) * S.nch;
    float *oh = a.o + int64_t(h) * dv + v0 + 16 * slab;
    float *st = a.state + (int64_t(h) * dv + v0 + 16 * slab) * dk;
    float *X = reinterpret_cast<float *>(sm + L.x);  // [warp][2][8 tiles][4][32 lanes]

    // The state: sacc[nb] is the n8 tile (rows g, g+8; columns c0 + 8 nb + 2t, +1) of the slab;
    // zero past dk.
    float sacc[NKT][4];
#pragma unroll
    for (int nb = 0; nb < NKT; ++nb)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
            const int row = g + 8 * (e >> 1), col = c0 + 8 * nb + 2 * t + (e & 1);
            sacc[nb][e] = active && col < dk ? st[int64_t(row) * dk + col] : 0.0f;
        }

    // Columns dk..KMAX of the W, Q', K' rows stay zero (copies never touch them): with the state zero
    // there too, every product runs over KMAX with no bounds checks, and each chunk's chains of mma
    // stay one straight block of code that the compiler can schedule.
    if (dk < KMAX) {
        for (int s = 0; s < NSTAGE; ++s) {
            unsigned char *sb = sm + s * L.stage;
            zero_pad_columns<KMAX>(reinterpret_cast<uint16_t *>(sb + L.w), dk, tid, NT);
            zero_pad_columns<KMAX>(reinterpret_cast<uint16_t *>(sb + L.qg), dk, tid, NT);
            if constexpr (KD2) zero_pad_columns<KMAX>(reinterpret_cast<uint16_t *>(sb + L.kd), dk, tid, NT);
        }
        if constexpr (!KD2) zero_pad_columns<KMAX>(reinterpret_cast<uint16_t *>(sm + L.kd1), dk, tid, NT);
    }

    // Chunk c's inputs into stage `stage`, as one cp.async group (an empty group past the end, so
    // that every thread counts the same groups).
    auto issue_stage = [&](int64_t c, int stage) {
        if (c < S.nch) {
#ifndef DN_TC_EMULATE
            // Overlapped with the prep: each thread acquires chunk c's flag itself before copying, so
            // its copies see the record the prep released.
            if (ready) await_flag(ready + int64_t(h) * S.nch + c);
#endif
            unsigned char *sb = sm + stage * L.stage;
            const uint16_t *rec = recs + c * S.rec;
            copy_tile<KMAX, PK, NT>(reinterpret_cast<uint16_t *>(sb + L.w), rec, dk, dk);
            copy_tile<KMAX, PK, NT>(reinterpret_cast<uint16_t *>(sb + L.qg), rec + S.qg, dk, dk);
            if constexpr (KD2) copy_tile<KMAX, PK, NT>(reinterpret_cast<uint16_t *>(sb + L.kd), rec + S.kd, dk, dk);
            copy_tile<kC, kPB, NT>(reinterpret_cast<uint16_t *>(sb + L.qk), rec + S.qk, kC, kC);
            copy_tile<16 * SPB, PU, NT>(reinterpret_cast<uint16_t *>(sb + L.u), rec + S.u + v0, dv, bv);
            if (tid == 0) cp_async4(sb + L.gl, gls + c);
        }
        cp_async_commit();
    };

    for (int s = 0; s < NSTAGE - 1; ++s) issue_stage(s, s);
    int cur = 0;  // chunk c's stage, c % NSTAGE
    for (int64_t c = 0; c < S.nch; ++c) {
        cp_async_wait<NSTAGE - 2>();  // chunk c's group (the later ones may still be in flight)
        __syncthreads();              // ... landed for all; everyone is done with chunk c - 1
        if constexpr (!KD2) {
            copy_tile<KMAX, PK, NT>(reinterpret_cast<uint16_t *>(sm + L.kd1), recs + c * S.rec + S.kd, dk, dk);
            cp_async_commit();
        }
        issue_stage(c + NSTAGE - 1, cur == 0 ? NSTAGE - 1 : cur - 1);  // into the stage of chunk c - 1

        const unsigned char *sb = sm + cur * L.stage;
        cur = cur + 1 == NSTAGE ? 0 : cur + 1;
        const uint16_t *Ws = reinterpret_cast<const uint16_t *>(sb + L.w);
        const uint16_t *QGs = reinterpret_cast<const uint16_t *>(sb + L.qg);
        const uint16_t *QKs = reinterpret_cast<const uint16_t *>(sb + L.qk);
        const uint16_t *Us = reinterpret_cast<const uint16_t *>(sb + L.u);
        const uint16_t *KDs = reinterpret_cast<const uint16_t *>(KD2 ? sb + L.kd : sm + L.kd1);
        const int64_t t0 = c * kC;
        const int n = a.T - t0 < kC ? int(a.T - t0) : kC;

        uint32_t va[4][4];  // A fragments of V_new^T over the chunk's four 16-token blocks
        float vt[8][4];     // S W^T (this warp's columns), then V_new^T
        float ot[OG][4];    // O^T of OG token tiles

        // S Q'^T for token tiles og.. (with_o) and S W^T (with_vn), this warp's columns; A = S shared.
        auto s_products = [&](int og, bool with_vn, bool with_o) {
#pragma unroll
            for (int kk = 0; kk < NK16; ++kk) {
                uint32_t af[4];
                acc_to_a(af, sacc[2 * kk], sacc[2 * kk + 1], 1.0f);
                if (with_vn) {
#pragma unroll
                    for (int ni = 0; ni < 8; ni += 2) {
                        uint32_t b[4];
                        frag_b2(b, Ws, PK, 8 * ni, c0 + 16 * kk);
                        mma2(vt[ni], vt[ni + 1], af, b);
                    }
                }
                if (with_o) {
#pragma unroll
                    for (int j = 0; j < OG; j += 2) {
                        uint32_t b[4];
                        frag_b2(b, QGs, PK, 8 * (og + j), c0 + 16 * kk);
                        mma2(ot[j], ot[j + 1], af, b);
                    }
                }
            }
        };
        // V_new^T = U^T - vt; ldmatrix .trans of U's [token][v] rows gives C's layout.
        auto make_vn = [&]() {
#pragma unroll
            for (int ni = 0; ni < 8; ni += 2) {
                uint32_t u[4];
                ldsm_x4_trans(u, Us + (8 * ni + (lane & 7) + 8 * (lane >> 4)) * PU + 16 * slab + 8 * ((lane >> 3) & 1));
#pragma unroll
                for (int m = 0; m < 2; ++m) {
                    vt[ni + m][0] = bf16_lo_f(u[2 * m]) - vt[ni + m][0];
                    vt[ni + m][1] = bf16_hi_f(u[2 * m]) - vt[ni + m][1];
                    vt[ni + m][2] = bf16_lo_f(u[2 * m + 1]) - vt[ni + m][2];
                    vt[ni + m][3] = bf16_hi_f(u[2 * m + 1]) - vt[ni + m][3];
                }
            }
#pragma unroll
            for (int kb = 0; kb < 4; ++kb) acc_to_a(va[kb], vt[2 * kb], vt[2 * kb + 1], 1.0f);
        };
        // O^T += V_new^T QK^T for token tile ni (QK is lower: blocks kb <= ni / 2), then stored:
        // o[e] is O at token 8 ni + 2t + (e & 1), row g + 8 (e >> 1).
        auto finish_tile = [&](int ni, float (&o)[4]) {
#pragma unroll
            for (int kb = 0; kb < 4; ++kb)
                if (kb <= ni / 2) {
                    uint32_t b[2];
                    frag_b(b, QKs, kPB, 8 * ni, 16 * kb, g, t);
                    mma_bf16(o, va[kb], b);
                }
            const int64_t os = a.o_stride;
            const int i = 8 * ni + 2 * t;
            float *p = oh + (t0 + i) * os + g;
            if (i < n) p[0] = o[0], p[8] = o[2];
            if (i + 1 < n) p[os] = o[1], p[os + 8] = o[3];
        };
        // S = exp(G_last) S + V_new^T K' for this warp's columns.
        auto update = [&]() {
            const float egl = *reinterpret_cast<const float *>(sb + L.gl);
#pragma unroll
            for (int nb = 0; nb < NKT; ++nb)
#pragma unroll
                for (int e = 0; e < 4; ++e) sacc[nb][e] *= egl;
#pragma unroll
            for (int kb = 0; kb < 4; ++kb)
#pragma unroll
                for (int nb = 0; nb < NKT; nb += 2) {
                    uint32_t b[4];
                    frag_bt2(b, KDs, PK, 16 * kb, c0 + 8 * nb);
                    mma2(sacc[nb], sacc[nb + 1], va[kb], b);
                }
        };

        if (active) {
#pragma unroll
            for (int ni = 0; ni < 8; ++ni)
#pragma unroll
                for (int e = 0; e < 4; ++e) vt[ni][e] = 0.0f;
#pragma unroll
            for (int j = 0; j < OG; ++j)
#pragma unroll
                for (int e = 0; e < 4; ++e) ot[j][e] = 0.0f;
            // At dk = 256 with one warp per slab, O in separate passes (registers).
            s_products(0, true, KS > 1 || KD2);
        }
        if constexpr (KS > 1) {
            // Exchange the partial sums: X[warp][m][ni][e][lane], m = 0: S W^T, 1: S Q'^T.
            float *mine = X + warp * (2 * 8 * 4 * 32) + lane;
            if (active) {
#pragma unroll
                for (int ni = 0; ni < 8; ++ni)
#pragma unroll
                    for (int e = 0; e < 4; ++e) {
                        mine[(ni * 4 + e) * 32] = vt[ni][e];
                        mine[((8 + ni) * 4 + e) * 32] = ot[ni][e];
                    }
            }
            __syncthreads();
            if (active) {
                const float *group = X + slab * KS * (2 * 8 * 4 * 32) + lane;
#pragma unroll
                for (int r = 1; r < KS; ++r) {
                    const float *other = group + ((q + r) % KS) * (2 * 8 * 4 * 32);
#pragma unroll
                    for (int ni = 0; ni < 8; ++ni)
#pragma unroll
                        for (int e = 0; e < 4; ++e) vt[ni][e] += other[(ni * 4 + e) * 32];
                }
                make_vn();
                // This warp's token tiles of O: ni = q, q + KS, ...
#pragma unroll
                for (int m = 0; m < 8 / KS; ++m) {
                    const int ni = q + KS * m;
                    float o[4];
#pragma unroll
                    for (int e = 0; e < 4; ++e) {
                        float x = 0.0f;
#pragma unroll
                        for (int r = 0; r < KS; ++r) x += group[(r * 2 * 8 * 4 + (8 + ni) * 4 + e) * 32];
                        o[e] = x;
                    }
                    finish_tile(ni, o);
                }
            }
        } else if (active) {
            make_vn();
            if constexpr (!KD2) {
#pragma unroll
                for (int og = 0; og < 8; og += OG) {
#pragma unroll
                    for (int j = 0; j < OG; ++j)
#pragma unroll
                        for (int e = 0; e < 4; ++e) ot[j][e] = 0.0f;
                    s_products(og, false, true);
#pragma unroll
                    for (int j = 0; j < OG; ++j) finish_tile(og + j, ot[j]);
                }
            }
        }

        if constexpr (!KD2) {
            cp_async_wait<1>();  // K' of chunk c (the newest group, chunk c + 1's, may be in flight)
            __syncthreads();     // ... landed for all
        }

        if (active) {
            update();
            if constexpr (KS == 1 && KD2) {
#pragma unroll
                for (int j = 0; j < OG; ++j) finish_tile(j, ot[j]);  // after the update: independent chains
            }
        }
    }

    if (active) {
#pragma unroll
        for (int nb = 0; nb < NKT; ++nb)
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int row = g + 8 * (e >> 1), col = c0 + 8 * nb + 2 * t + (e & 1);
                if (col < dk) st[int64_t(row) * dk + col] = sacc[nb][e];
            }
    }
}

// The walk variants the launcher has, in its order of preference: slabs of 16 state rows per block,
// warps per slab, stages. Measured on an H100 (T = 65536, 16 heads, dk = dv = 128; walk alone):
// 1 x 4 2.74 ms, 2 x 2 2.96, 2 x 4 ~2.9, 4 x 1 3.27 (3 stages: no better); at dk = 256, dv = 512,
// 6 heads: 2 x 2 4.06 ms, 4 x 1 5.72, 1 x 4 7.54 (192 blocks: two waves on 132 SMs).
struct WalkConfig {
    int spb, ks, nstage;
};
constexpr WalkConfig kWalkConfigs[] = {{1, 4, 2}, {2, 2, 2}, {2, 4, 2}, {4, 1, 3}, {4, 1, 2}};
constexpr bool walk_has(int kmax, WalkConfig w) {
    return (w.nstage == 2 || kd_staged(kmax)) && walk_layout(kmax, w.spb, w.ks, w.nstage).bytes <= kSmemCap;
}

#ifndef DN_TC_EMULATE

// One block per (chunk, head), chunk-major (block i: chunk i / Hv, head i % Hv), so that the records
// are finished roughly in the order the walk needs them. `ready`: the flags to release (overlapped).
template <int KMAX>
__global__ void __launch_bounds__(kPrepThreads, 2) split_prep_kernel(const DeltaArgs a, uint16_t *scr, bool vec,
                                                                    int *ready) {
    extern __shared__ float4 split_smem[];
    const int64_t i = blockIdx.x, chunk = i / a.Hv;
    const int h = int(i - chunk * a.Hv);
    prep_block<KMAX>(a, reinterpret_cast<unsigned char *>(split_smem), chunk, h, scr, vec);
    if (ready) {
        __threadfence();  // every thread's record stores, ordered before the flag below
        __syncthreads();
        if (threadIdx.x == 0) release_flag(ready + int64_t(h) * ((a.T + kC - 1) / kC) + chunk);
    }
}

template <int KMAX, int SPB, int KS, int NSTAGE>
__global__ void __launch_bounds__(32 * SPB * KS, 1) split_walk_kernel(const DeltaArgs a, const uint16_t *scr,
                                                                     const int *ready) {
    extern __shared__ float4 split_smem[];
    walk_block<KMAX, SPB, KS, NSTAGE>(a, reinterpret_cast<unsigned char *>(split_smem), int(blockIdx.x),
                                      int(blockIdx.y), scr, ready);
}

template <int KMAX, int SPB, int KS, int NSTAGE>
void launch_walk(const DeltaArgs &a, const uint16_t *scr, const int *ready, cudaStream_t stream) {
    constexpr size_t kBytes = walk_layout(KMAX, SPB, KS, NSTAGE).bytes;
    if constexpr (kBytes <= kSmemCap) {
        check(cudaFuncSetAttribute(split_walk_kernel<KMAX, SPB, KS, NSTAGE>,
                                   cudaFuncAttributeMaxDynamicSharedMemorySize, int(kBytes)),
              "delta_rule_chunked_tc_split: shared memory limit");
        const dim3 grid(unsigned((a.dv + 16 * SPB - 1) / (16 * SPB)), unsigned(a.Hv));
        split_walk_kernel<KMAX, SPB, KS, NSTAGE><<<grid, 32 * SPB * KS, kBytes, stream>>>(a, scr, ready);
    }
}

template <int KMAX>
void launch_walk_config(const DeltaArgs &a, const uint16_t *scr, WalkConfig w, const int *ready, cudaStream_t stream) {
    if (w.ks == 1) {
        if (w.nstage == 3 && kd_staged(KMAX)) launch_walk<KMAX, 4, 1, 3>(a, scr, ready, stream);
        else launch_walk<KMAX, 4, 1, 2>(a, scr, ready, stream);
    } else if (w.ks == 2) {
        launch_walk<KMAX, 2, 2, 2>(a, scr, ready, stream);
    } else if (w.spb == 1) {
        launch_walk<KMAX, 1, 4, 2>(a, scr, ready, stream);
    } else {
        launch_walk<KMAX, 2, 4, 2>(a, scr, ready, stream);
    }
}

// Sequential: the prep, then the walk, on `stream`. Overlapped (`side` given): the walk goes first,
// on the side stream (which outranks `stream`, so its few blocks get SMs as soon as any free up),
// and waits chunk by chunk for the prep running beside it on the other SMs; `stream` then waits
// for the walk. The flags are zeroed first, on `stream`, so a recorded graph replays correctly.
template <int KMAX>
void launch_split(const DeltaArgs &a, uint16_t *scr, WalkConfig w, bool vec, cudaStream_t stream,
                  const SplitSideStream *side) {
    constexpr size_t kPrep = prep_layout(KMAX).bytes;
    check(cudaFuncSetAttribute(split_prep_kernel<KMAX>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(kPrep)),
          "delta_rule_chunked_tc_split: shared memory limit");
    const SplitScratch S = split_scratch(a.T, a.Hv, a.dk, a.dv);
    const unsigned blocks = unsigned(S.nch * a.Hv);
    if (!side) {
        split_prep_kernel<KMAX><<<blocks, kPrepThreads, kPrep, stream>>>(a, scr, vec, nullptr);
        launch_walk_config<KMAX>(a, scr, w, nullptr, stream);
        return;
    }
    int *ready = reinterpret_cast<int *>(reinterpret_cast<unsigned char *>(scr) + S.ready);
    check(cudaMemsetAsync(ready, 0, size_t(S.nch) * size_t(a.Hv) * sizeof(int), stream),
          "delta_rule_chunked_tc_split: flags");
    check(cudaEventRecord(side->fork, stream), "delta_rule_chunked_tc_split: fork");
    check(cudaStreamWaitEvent(side->stream, side->fork, 0), "delta_rule_chunked_tc_split: fork");
    launch_walk_config<KMAX>(a, scr, w, ready, side->stream);
    split_prep_kernel<KMAX><<<blocks, kPrepThreads, kPrep, stream>>>(a, scr, vec, ready);
    check(cudaEventRecord(side->join, side->stream), "delta_rule_chunked_tc_split: join");
    check(cudaStreamWaitEvent(stream, side->join, 0), "delta_rule_chunked_tc_split: join");
}

bool aligned16(const void *p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

#endif  // DN_TC_EMULATE

}  // namespace

#ifndef DN_TC_EMULATE

size_t delta_rule_tc_split_scratch_bytes(const DeltaArgs &a) {
    if (a.T <= 0 || a.Hv <= 0 || a.dk <= 0 || a.dv <= 0) return 0;
    return split_scratch(a.T, a.Hv, a.dk, a.dv).bytes;
}

bool delta_rule_chunked_tc_split(const DeltaArgs &a, cudaStream_t stream, void *scratch,
                                 const SplitSideStream *side) {
    if (a.Hk <= 0 || a.Hv <= 0 || a.Hv % a.Hk != 0 || a.Hv > 65535) return false;
    if (a.dk <= 0 || a.dv <= 0 || a.dk % 16 != 0 || a.dv % 16 != 0 || a.dk > 256 || a.dv > 1024) return false;
    if (scratch == nullptr || !aligned16(scratch)) return false;
    if (a.T <= 0) return true;
    if ((a.T + kC - 1) / kC * a.Hv > 0x7fffffff) return false;  // prep blocks, one grid dimension
    int device = 0, major = 0, sms = 0, smem_optin = 0;
    check(cudaGetDevice(&device), "delta_rule_chunked_tc_split: cudaGetDevice");
    check(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device),
          "delta_rule_chunked_tc_split: compute capability");
    if (major < 8) return false;
    check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device),
          "delta_rule_chunked_tc_split: SM count");
    check(cudaDeviceGetAttribute(&smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device),
          "delta_rule_chunked_tc_split: shared memory size");

    const int kmax = a.dk <= 64 ? 64 : a.dk <= 128 ? 128 : 256;
    const size_t cap = size_t(smem_optin) < kSmemCap ? size_t(smem_optin) : kSmemCap;
    // The variant that fits in shared memory with the fewest waves of blocks (one block per SM: each
    // walks the whole sequence, so a second wave doubles the time), the earliest in
    // kWalkConfigs' order among equals.
    WalkConfig w{0, 0, 0};
    int64_t best = 0;
    for (WalkConfig cand : kWalkConfigs) {
        if (!walk_has(kmax, cand) || walk_layout(kmax, cand.spb, cand.ks, cand.nstage).bytes > cap) continue;
        const int64_t blocks = int64_t(a.Hv) * ((a.dv / 16 + cand.spb - 1) / cand.spb);
        const int64_t waves = (blocks + sms - 1) / sms;
        if (w.spb == 0 || waves < best) w = cand, best = waves;
    }
    if (w.spb == 0 || prep_layout(kmax).bytes > cap) return false;
    // Overlapped with the prep when a variant of the walk (kWalkConfigs' order) needs at most half
    // the SMs and has more than one warp per slab (the single-warp slabs run much slower): the prep
    // always keeps the other half, so a walk waiting for it cannot hold every SM, and the prep's time
    // hides behind the walk's. DN_CUDA_DISABLE=overlap_delta_rule: always sequential.
    static const bool overlap_allowed = feature_enabled("overlap_delta_rule");
    bool overlap = false;
    if (side && overlap_allowed) {
        for (WalkConfig cand : kWalkConfigs) {
            if (cand.ks < 2 || !walk_has(kmax, cand) || walk_layout(kmax, cand.spb, cand.ks, cand.nstage).bytes > cap)
                continue;
            const int64_t blocks = int64_t(a.Hv) * ((a.dv / 16 + cand.spb - 1) / cand.spb);
            if (2 * blocks <= sms) {
                w = cand, overlap = true;
                break;
            }
        }
    }

    // float4 loads of q, k, v rows (head offsets are multiples of 16 floats).
    const bool vec = aligned16(a.q) && aligned16(a.k) && aligned16(a.v) && a.q_stride % 4 == 0 &&
                     a.k_stride % 4 == 0 && a.v_stride % 4 == 0;
    uint16_t *scr = static_cast<uint16_t *>(scratch);
    const SplitSideStream *use = overlap ? side : nullptr;
    switch (kmax) {
        case 64: launch_split<64>(a, scr, w, vec, stream, use); break;
        case 128: launch_split<128>(a, scr, w, vec, stream, use); break;
        default: launch_split<256>(a, scr, w, vec, stream, use); break;
    }
    check_launch("delta_rule_chunked_tc_split");
    return true;
}

#endif  // DN_TC_EMULATE

}  // namespace dn::cuda
