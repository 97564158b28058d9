// The chunked delta rule on tensor cores (DeltaArgs::bf16_products): the WY/UT form of
// delta_rule.cu's chunked kernel, chunks of 64 tokens, with every product over dk or over the
// chunk's tokens done by mma.sync m16n8k16 (bfloat16 operands, float32 accumulation). Inputs,
// outputs and the state stay float32 in global memory; q, k and the state are rounded to bfloat16
// only when they become mma operands. Per value head h and chunk (G_i: cumulative log decay within
// the chunk, D_ij = exp(G_i - G_j) for j <= i):
//   A     = strictly-lower(diag(beta) (K K^T .* D)),  T = (I + A)^-1
//   Y     = diag(beta) (V - diag(exp G) K S^T)
//   V_new = T Y
//   O     = diag(exp G) Q S^T + lower(Q K^T .* D) V_new
//   S     = exp(G_last) S + V_new^T diag(exp(G_last - G)) K
//
// A block (256 threads, 8 warps) owns DVT rows of one head's state [dv][dk] and walks all chunks;
// the state lives in float32 mma accumulators (registers) for the whole sequence, with a bfloat16
// copy in shared memory as the operand of the next chunk's K S^T and Q S^T. Each block recomputes
// the key-only quantities (K K^T, Q K^T, T) of its head, because the launcher may not allocate
// scratch. T is built in float32: the four 16 x 16 diagonal blocks of I + A are inverted by forward
// substitution on CUDA cores, then the off-diagonal blocks by doubling (16 -> 32 -> 64, blocked
// inverse T_IJ = -sum_K T_IK sum_M A_KM T_MJ) on tensor cores with float32 operands split into
// bfloat16 hi + lo parts (three mma per product, about 16 significant bits). dv is tiled across
// blocks (grid.x = dv / DVT, dv <= 1024); each tile's block repeats the key-only work.
//
// Two-kernel path (the caller passes scratch, delta_rule_tc_scratch_bytes): tc_prep_kernel first
// builds T and QK (bf16, bit-identical to the one-kernel path) for every (chunk, value head) in
// parallel, grid (chunks, Hv); tc_kernel<..., PRE = true> then skips K K^T, Q K^T, P2 and P3 and
// copies the chunk's T and QK with its inputs (cp.async, double-buffered), leaving four block
// barriers per chunk instead of six and only the state-dependent products on the sequential path.
//
// Phases of a chunk (__syncthreads between):
//   load   bf16 K, Q rows; beta and the decay (warp 0)     [staged: from the cp.async copy of
//                                                          the chunk issued one chunk earlier]
//   P1     K K^T and Q K^T (lower tiles), K S^T and Q S^T (all warps, mma)
//   P2     T's diagonal blocks, then T_10 and T_32 (warps 0, 1; no block barrier in between)
//   P3     T's lower-left 32 x 32 quarter (warps 2..5)
//   P4     V_new = T Y (mma)
//   P5     O (mma, accumulated onto the Q S^T registers of P1, stored to global) and the state
//          update (mma onto the state registers)
// Only exponentials of non-positive numbers are taken, so strong decay cannot overflow.
//
// The device primitives, the fragment layouts of mma.m16n8k16 and the construction of T (shared
// with delta_rule_tc_split.cu) are in mma_bf16.cuh. DN_TC_EMULATE (a host test harness only, never
// the library build) replaces those primitives with a CPU emulation of the same code.
#include "backends/cuda/delta_rule_tc.h"

#include <cstddef>
#include <cstdint>

#include "backends/cuda/mma_bf16.cuh"

#ifndef DN_TC_EMULATE
#include <cuda_runtime.h>

#include "backends/cuda/cuda_check.h"
#endif

namespace dn::cuda {

namespace {

using namespace tc;  // kC, kPB, kPF and the device primitives (mma_bf16.cuh)

constexpr int kWarps = 8;
constexpr int kThreads = 32 * kWarps;

// Scratch of the two-kernel path: per value head h and chunk c, T then QK, each [kC][kC] bf16 with
// unpadded rows (bf16 elements; 16 KiB per chunk and head).
constexpr int64_t kPreChunk = 2 * int64_t(kC) * kC;
__host__ __device__ constexpr int64_t tc_scratch_offset(int h, int64_t c, int64_t nchunks) {
    return (int64_t(h) * nchunks + c) * kPreChunk;
}

// ---------------------------------------------------------------- shared memory
struct TcLayout {
    int pkb;  // bf16 rows over dk (K, Q, S)
    int pkf;  // float32 staging rows over dk
    int pvf;  // float32 V rows (DVT columns)
    size_t kst, qst, vst, bst, gst;  // float32 copies of the chunk's inputs (kst, qst: staged only)
    size_t kb, qb, sb;               // bf16 K, Q [64][pkb]; the state S [DVT][pkb]
    size_t a, tf;                    // float32 A and T [64][kPF]
    size_t tb, qk, yt, vn, vnd;      // bf16 T, QK [64][kPB]; Y^T, V_new^T, (V_new diag(dl))^T [DVT][kPB]
    size_t G, eG, dl, beta;          // per token: G_i, exp(G_i), exp(G_last - G_i), beta_i
    size_t bytes;
};

// pre: T and QK come precomputed from scratch (tc_prep), double-buffered when staged; no A, no
// float32 T.
__host__ __device__ constexpr TcLayout tc_layout(int kmax, int dvt, bool staged, bool pre = false) {
    TcLayout l{};
    l.pkb = kmax + 8;  // 4 (mod 8) words: fragment loads of 8 rows x 4 words hit 32 distinct banks
    l.pkf = kmax + 4;
    l.pvf = dvt + 4;
    size_t at = 0;
    l.kst = take(at, staged ? 4 * size_t(kC) * size_t(l.pkf) : 0);
    l.qst = take(at, staged ? 4 * size_t(kC) * size_t(l.pkf) : 0);
    l.vst = take(at, 4 * size_t(kC) * size_t(l.pvf));
    l.bst = take(at, 4 * size_t(kC));
    l.gst = take(at, 4 * size_t(kC));
    l.kb = take(at, 2 * size_t(kC) * size_t(l.pkb));
    l.qb = take(at, 2 * size_t(kC) * size_t(l.pkb));
    l.sb = take(at, 2 * size_t(dvt) * size_t(l.pkb));
    const size_t nbuf = pre && staged ? 2 : 1;
    l.a = take(at, pre ? 0 : 4 * size_t(kC) * kPF);
    l.tf = take(at, pre ? 0 : 4 * size_t(kC) * kPF);
    l.tb = take(at, nbuf * 2 * size_t(kC) * kPB);
    l.qk = take(at, nbuf * 2 * size_t(kC) * kPB);
    l.yt = take(at, 2 * size_t(dvt) * kPB);
    l.vn = take(at, 2 * size_t(dvt) * kPB);
    l.vnd = take(at, 2 * size_t(dvt) * kPB);
    l.G = take(at, 4 * size_t(kC));
    l.eG = take(at, 4 * size_t(kC));
    l.dl = take(at, 4 * size_t(kC));
    l.beta = take(at, 4 * size_t(kC));
    l.bytes = at;
    return l;
}

// ---------------------------------------------------------------- the block
// Block (tile, h): state rows [tile * DVT, +DVT) of value head h. KMAX >= dk bounds the shared rows
// and the state registers; STAGED: the next chunk's inputs are copied by cp.async (16-byte aligned
// rows) while the current one is computed, otherwise each chunk is loaded when it starts.
// PRE: T and QK of every chunk were computed by tc_prep into `pre` (tc_scratch_offset's layout);
// the block then does only the state-dependent products, and copies T and QK with the chunk's inputs.
template <int KMAX, int DVT, bool STAGED, bool PRE>
__device__ __forceinline__ void tc_block(const DeltaArgs &a, unsigned char *sm, int tile, int h,
                                         const uint16_t *pre) {
    constexpr TcLayout L = tc_layout(KMAX, DVT, STAGED, PRE);
    constexpr int PKB = L.pkb, PKF = L.pkf, PVF = L.pvf;
    constexpr int NS = DVT / 16;                             // value n8 tiles per warp (2 warps per 16 rows)
    constexpr int SU = (DVT / 16 * (KMAX / 8) + kWarps - 1) / kWarps;  // state tiles per warp
    static_assert(DVT % 16 == 0 && KMAX % 16 == 0, "tiles of 16");

    float *Kst = reinterpret_cast<float *>(sm + L.kst), *Qst = reinterpret_cast<float *>(sm + L.qst);
    float *Vst = reinterpret_cast<float *>(sm + L.vst);
    float *bst = reinterpret_cast<float *>(sm + L.bst), *gst = reinterpret_cast<float *>(sm + L.gst);
    uint16_t *Kb = reinterpret_cast<uint16_t *>(sm + L.kb), *Qb = reinterpret_cast<uint16_t *>(sm + L.qb);
    uint16_t *Sb = reinterpret_cast<uint16_t *>(sm + L.sb);
    float *As = reinterpret_cast<float *>(sm + L.a), *Tf = reinterpret_cast<float *>(sm + L.tf);
    uint16_t *Tb = reinterpret_cast<uint16_t *>(sm + L.tb), *QKb = reinterpret_cast<uint16_t *>(sm + L.qk);
    uint16_t *YT = reinterpret_cast<uint16_t *>(sm + L.yt), *VnT = reinterpret_cast<uint16_t *>(sm + L.vn);
    uint16_t *VnTd = reinterpret_cast<uint16_t *>(sm + L.vnd);
    float *G = reinterpret_cast<float *>(sm + L.G), *eG = reinterpret_cast<float *>(sm + L.eG);
    float *dl = reinterpret_cast<float *>(sm + L.dl), *bt = reinterpret_cast<float *>(sm + L.beta);

    const int tid = int(threadIdx.x), warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
    const int dk = a.dk, kh = h / (a.Hv / a.Hk);
    const int r0 = tile * DVT, rows = a.dv - r0 < DVT ? a.dv - r0 : DVT;  // a multiple of 16
    const bool gated = a.g != nullptr;
    const int ksteps = dk / 16, ntk = dk / 8, nstate = NS * ntk;
    const float *qh = a.q + int64_t(kh) * dk, *khd = a.k + int64_t(kh) * dk;
    const float *vh = a.v + int64_t(h) * a.dv + r0;
    const int64_t nchunks = (a.T + kC - 1) / kC;
    const uint16_t *preh = PRE ? pre + tc_scratch_offset(h, 0, nchunks) : nullptr;
    float *oh = a.o + int64_t(h) * a.dv + r0;
    float *state = a.state + (int64_t(h) * a.dv + r0) * dk;

    // P1's tasks. Lower-triangle tiles of K K^T / Q K^T: warp w takes n8 tiles [j0, j0 + cnt) of
    // row block It (20 tiles: 3,3,2 | 3,3 | 2,2 | 2). State tiles: row block Is, n8 tiles
    // [hs * NS, +NS) of the value slice; the same warp later owns those rows of V_new and O.
    const int It = (0x01122333 >> (4 * warp)) & 15, j0 = (0x02030630 >> (4 * warp)) & 15,
              cnt = (0x22233233 >> (4 * warp)) & 15;
    const int Is = warp & 3, hs = warp >> 2;

    // The state in float32 accumulators: tile u of this warp is (16-row block m, n8 block nb) of S.
    float sacc[SU][4];
#pragma unroll
    for (int u = 0; u < SU; ++u) {
        const int ts = warp + kWarps * u, m = ts / ntk, nb = ts % ntk;
        const bool valid = ts < nstate;
#pragma unroll
        for (int e = 0; e < 4; ++e) {
            const int row = 16 * m + g + 8 * (e >> 1), col = 8 * nb + 2 * t + (e & 1);
            sacc[u][e] = valid && row < rows ? state[int64_t(row) * dk + col] : 0.0f;
        }
        if (valid) {
            st32(Sb + (16 * m + g) * PKB + 8 * nb + 2 * t, pack_bf16(sacc[u][0], sacc[u][1]));
            st32(Sb + (16 * m + g + 8) * PKB + 8 * nb + 2 * t, pack_bf16(sacc[u][2], sacc[u][3]));
        }
    }

    // Staged: the float32 rows of the chunk at c0 into Kst, Qst, Vst, bst, gst (zeros past the end).
    auto issue = [&](int64_t c0) {
        const int nn = a.T - c0 < kC ? int(a.T - c0) : kC;
        const int q4 = dk / 4;
        for (int e = tid; e < kC * q4; e += kThreads) {
            const int i = e / q4, c = 4 * (e % q4);
            float *dkp = Kst + i * PKF + c, *dqp = Qst + i * PKF + c;
            if (i < nn) {
                cp_async16(dkp, khd + (c0 + i) * a.k_stride + c);
                cp_async16(dqp, qh + (c0 + i) * a.q_stride + c);
            } else {
                *reinterpret_cast<float4 *>(dkp) = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
                *reinterpret_cast<float4 *>(dqp) = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
            }
        }
        for (int e = tid; e < kC * (DVT / 4); e += kThreads) {
            const int i = e / (DVT / 4), c = 4 * (e % (DVT / 4));
            float *dst = Vst + i * PVF + c;
            if (i < nn && c < rows) cp_async16(dst, vh + (c0 + i) * a.v_stride + c);
            else *reinterpret_cast<float4 *>(dst) = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        }
        if (tid < kC) {
            if (tid < nn) cp_async4(bst + tid, a.beta + (c0 + tid) * a.beta_stride + h);
            else bst[tid] = 0.0f;
        } else if (tid < 2 * kC) {
            const int i = tid - kC;
            if (gated && i < nn) cp_async4(gst + i, a.g + (c0 + i) * a.g_stride + h);
            else gst[i] = 0.0f;
        }
        if constexpr (PRE) {
            const int buf = int(c0 / kC) & 1;
            const uint16_t *src = preh + (c0 / kC) * kPreChunk;
            uint16_t *tb = Tb + buf * kC * kPB, *qk = QKb + buf * kC * kPB;
            for (int e = tid; e < 2 * kC * 8; e += kThreads) {
                const int m = e >> 9, r = (e >> 3) & (kC - 1), p = 8 * (e & 7);
                cp_async16((m ? qk : tb) + r * kPB + p, src + m * kC * kC + r * kC + p);
            }
        }
        cp_async_commit();
    };
    if constexpr (STAGED) issue(0);

    for (int64_t t0 = 0; t0 < a.T; t0 += kC) {
        const int n = a.T - t0 < kC ? int(a.T - t0) : kC;
        // This chunk's T and QK (bf16): built by P2/P3 below, or copied from the prep kernel's scratch.
        const int buf = PRE && STAGED ? int(t0 / kC) & 1 : 0;
        const uint16_t *Tc = Tb + buf * kC * kPB, *QKc = QKb + buf * kC * kPB;

        // ---- load: bf16 K and Q, the V tile, beta and the decay
        if constexpr (STAGED) cp_async_wait_all();
        __syncthreads();  // the copies landed; the previous chunk is done with Kb, Qb, Vst
        if constexpr (STAGED) {
            const int q4 = dk / 4;
            for (int e = tid; e < kC * q4; e += kThreads) {
                const int i = e / q4, c = 4 * (e % q4);
                const float4 x = *reinterpret_cast<const float4 *>(Kst + i * PKF + c);
                const float4 y = *reinterpret_cast<const float4 *>(Qst + i * PKF + c);
                *reinterpret_cast<uint2 *>(Kb + i * PKB + c) = make_uint2(pack_bf16(x.x, x.y), pack_bf16(x.z, x.w));
                *reinterpret_cast<uint2 *>(Qb + i * PKB + c) = make_uint2(pack_bf16(y.x, y.y), pack_bf16(y.z, y.w));
            }
            if (warp == 0)
                chunk_decay(bst[2 * lane], bst[2 * lane + 1], gst[2 * lane], gst[2 * lane + 1], G, eG, dl, bt);
        } else {
            const int q2 = dk / 2;
#pragma unroll 4
            for (int e = tid; e < kC * q2; e += kThreads) {
                const int i = e / q2, c = 2 * (e % q2);
                float k0 = 0.0f, k1 = 0.0f, x0 = 0.0f, x1 = 0.0f;
                if (i < n) {
                    const float *pk = khd + (t0 + i) * a.k_stride + c, *pq = qh + (t0 + i) * a.q_stride + c;
                    k0 = __ldg(pk), k1 = __ldg(pk + 1), x0 = __ldg(pq), x1 = __ldg(pq + 1);
                }
                st32(Kb + i * PKB + c, pack_bf16(k0, k1));
                st32(Qb + i * PKB + c, pack_bf16(x0, x1));
            }
            for (int e = tid; e < kC * DVT; e += kThreads) {
                const int i = e / DVT, c = e % DVT;
                Vst[i * PVF + c] = i < n && c < rows ? __ldg(vh + (t0 + i) * a.v_stride + c) : 0.0f;
            }
            if (warp == 0) {
                const int i0 = 2 * lane, i1 = i0 + 1;
                const float b0 = i0 < n ? __ldg(a.beta + (t0 + i0) * a.beta_stride + h) : 0.0f;
                const float b1 = i1 < n ? __ldg(a.beta + (t0 + i1) * a.beta_stride + h) : 0.0f;
                const float g0 = gated && i0 < n ? __ldg(a.g + (t0 + i0) * a.g_stride + h) : 0.0f;
                const float g1 = gated && i1 < n ? __ldg(a.g + (t0 + i1) * a.g_stride + h) : 0.0f;
                chunk_decay(b0, b1, g0, g1, G, eG, dl, bt);
            }
            if constexpr (PRE) {
                const uint16_t *src = preh + (t0 / kC) * kPreChunk;
                for (int e = tid; e < 2 * kC * 8; e += kThreads) {
                    const int m = e >> 9, r = (e >> 3) & (kC - 1), p = 8 * (e & 7);
                    *reinterpret_cast<float4 *>((m ? QKb : Tb) + r * kPB + p) =
                        *reinterpret_cast<const float4 *>(src + m * kC * kC + r * kC + p);
                }
            }
        }
        __syncthreads();

        // ---- P1: products over dk
        float qs[NS][4];  // Q S^T, then O, of rows Is, value tiles hs
        {
            float tk[3][4], tq[3][4], ks[NS][4];
#pragma unroll
            for (int j = 0; j < 3; ++j)
#pragma unroll
                for (int e = 0; e < 4; ++e) tk[j][e] = 0.0f, tq[j][e] = 0.0f;
#pragma unroll
            for (int j = 0; j < NS; ++j)
#pragma unroll
                for (int e = 0; e < 4; ++e) ks[j][e] = 0.0f, qs[j][e] = 0.0f;

#pragma unroll 2
            for (int kk = 0; kk < ksteps; ++kk) {
                const int c0 = 16 * kk;
                uint32_t ak[4], aq[4], b[2];
                if constexpr (!PRE) {
                    frag_a(ak, Kb, PKB, 16 * It, c0, g, t);
                    frag_a(aq, Qb, PKB, 16 * It, c0, g, t);
#pragma unroll
                    for (int j = 0; j < 3; ++j) {
                        if (j < cnt) {
                            frag_b(b, Kb, PKB, 8 * (j0 + j), c0, g, t);
                            mma_bf16(tk[j], ak, b);
                            mma_bf16(tq[j], aq, b);
                        }
                    }
                }
                frag_a(ak, Kb, PKB, 16 * Is, c0, g, t);
                frag_a(aq, Qb, PKB, 16 * Is, c0, g, t);
#pragma unroll
                for (int j = 0; j < NS; ++j) {
                    frag_b(b, Sb, PKB, 8 * (hs * NS + j), c0, g, t);
                    mma_bf16(ks[j], ak, b);
                    mma_bf16(qs[j], aq, b);
                }
            }

            if constexpr (!PRE) store_a_qk(tk, tq, It, j0, cnt, gated, G, bt, As, QKb, g, t);
            // Y = beta (V - exp(G) K S^T), stored transposed; Q S^T scaled by exp(G) stays here.
#pragma unroll
            for (int j = 0; j < NS; ++j) {
                const int v = 8 * (hs * NS + j) + 2 * t;
#pragma unroll
                for (int hr = 0; hr < 2; ++hr) {
                    const int i = 16 * Is + g + 8 * hr;
                    const float e = eG[i], b = bt[i];
                    YT[v * kPB + i] = bf16_bits(b * (Vst[i * PVF + v] - e * ks[j][2 * hr]));
                    YT[(v + 1) * kPB + i] = bf16_bits(b * (Vst[i * PVF + v + 1] - e * ks[j][2 * hr + 1]));
                    qs[j][2 * hr] *= e;
                    qs[j][2 * hr + 1] *= e;
                }
            }
        }
        __syncthreads();
        // The staging buffers are free: start copying the next chunk.
        if constexpr (STAGED)
            if (t0 + kC < a.T) issue(t0 + kC);

        // ---- P2: T_II = (I + A_II)^-1 for the four diagonal blocks; thread (b, j) owns column j
        // (warp 0: blocks 0, 1; warp 1: blocks 2, 3). Each of the two warps then builds T_10 or
        // T_32 from its own two diagonal blocks (level 1 of the 16 -> 32 -> 64 doubling).
        if constexpr (!PRE) {
            t_level1(As, Tf, Tb, tid, warp, g, t);
            __syncthreads();
            // ---- P3: level 2, the lower-left 32 x 32 quarter of T: warps 2..5 take one block each.
            t_level2(As, Tf, Tb, warp, g, t);
            __syncthreads();
        }

        // ---- P4: V_new = T Y for rows Is, value tiles hs; stored transposed, plain and decayed.
        {
            float vn[NS][4];
#pragma unroll
            for (int j = 0; j < NS; ++j)
#pragma unroll
                for (int e = 0; e < 4; ++e) vn[j][e] = 0.0f;
            for (int kb = 0; kb <= Is; ++kb) {
                uint32_t af[4], b[2];
                frag_a(af, Tc, kPB, 16 * Is, 16 * kb, g, t);
#pragma unroll
                for (int j = 0; j < NS; ++j) {
                    frag_b(b, YT, kPB, 8 * (hs * NS + j), 16 * kb, g, t);
                    mma_bf16(vn[j], af, b);
                }
            }
#pragma unroll
            for (int j = 0; j < NS; ++j) {
                const int v = 8 * (hs * NS + j) + 2 * t;
#pragma unroll
                for (int hr = 0; hr < 2; ++hr) {
                    const int i = 16 * Is + g + 8 * hr;
                    const float w = dl[i];
                    VnT[v * kPB + i] = bf16_bits(vn[j][2 * hr]);
                    VnT[(v + 1) * kPB + i] = bf16_bits(vn[j][2 * hr + 1]);
                    VnTd[v * kPB + i] = bf16_bits(w * vn[j][2 * hr]);
                    VnTd[(v + 1) * kPB + i] = bf16_bits(w * vn[j][2 * hr + 1]);
                }
            }
        }
        __syncthreads();

        // ---- P5: O = exp(G) Q S^T + QK V_new (onto qs), stored; S = exp(G_last) S + V_new'^T K.
        for (int kb = 0; kb <= Is; ++kb) {
            uint32_t af[4], b[2];
            frag_a(af, QKc, kPB, 16 * Is, 16 * kb, g, t);
#pragma unroll
            for (int j = 0; j < NS; ++j) {
                frag_b(b, VnT, kPB, 8 * (hs * NS + j), 16 * kb, g, t);
                mma_bf16(qs[j], af, b);
            }
        }
#pragma unroll
        for (int j = 0; j < NS; ++j) {
            const int v = 8 * (hs * NS + j) + 2 * t;
#pragma unroll
            for (int hr = 0; hr < 2; ++hr) {
                const int i = 16 * Is + g + 8 * hr;
                if (i < n && v < rows) {
                    float *op = oh + (t0 + i) * a.o_stride + v;
                    op[0] = qs[j][2 * hr];
                    op[1] = qs[j][2 * hr + 1];
                }
            }
        }

        const float e_last = eG[kC - 1];
#pragma unroll
        for (int u = 0; u < SU; ++u) {
            const int ts = warp + kWarps * u;
            if (ts >= nstate) continue;
            const int m = ts / ntk, nb = ts % ntk;
#pragma unroll
            for (int e = 0; e < 4; ++e) sacc[u][e] *= e_last;
#pragma unroll
            for (int kb = 0; kb < kC / 16; ++kb) {
                uint32_t af[4], b[2];
                frag_a(af, VnTd, kPB, 16 * m, 16 * kb, g, t);
                frag_bt(b, Kb, PKB, 16 * kb, 8 * nb, g, t);
                mma_bf16(sacc[u], af, b);
            }
            st32(Sb + (16 * m + g) * PKB + 8 * nb + 2 * t, pack_bf16(sacc[u][0], sacc[u][1]));
            st32(Sb + (16 * m + g + 8) * PKB + 8 * nb + 2 * t, pack_bf16(sacc[u][2], sacc[u][3]));
        }
    }

#pragma unroll
    for (int u = 0; u < SU; ++u) {
        const int ts = warp + kWarps * u, m = ts / ntk, nb = ts % ntk;
        if (ts >= nstate) continue;
#pragma unroll
        for (int e = 0; e < 4; ++e) {
            const int row = 16 * m + g + 8 * (e >> 1), col = 8 * nb + 2 * t + (e & 1);
            if (row < rows) state[int64_t(row) * dk + col] = sacc[u][e];
        }
    }
}

// ---------------------------------------------------------------- the prep block (two-kernel path)
// Block (chunk, h): the key-only quantities of value head h's chunk, T = (I + A)^-1 and the decayed
// lower QK, both bfloat16 exactly as tc_block<..., false> builds them, into pre at
// tc_scratch_offset(h, chunk, nchunks). Chunks are independent: grid (chunks, Hv).
template <int KMAX>
__device__ __forceinline__ void tc_prep_block(const DeltaArgs &a, unsigned char *sm, int64_t chunk, int h,
                                              uint16_t *pre) {
    constexpr TcLayout L = tc_layout(KMAX, 16, false, false);
    constexpr int PKB = L.pkb;
    uint16_t *Kb = reinterpret_cast<uint16_t *>(sm + L.kb), *Qb = reinterpret_cast<uint16_t *>(sm + L.qb);
    float *As = reinterpret_cast<float *>(sm + L.a), *Tf = reinterpret_cast<float *>(sm + L.tf);
    uint16_t *Tb = reinterpret_cast<uint16_t *>(sm + L.tb), *QKb = reinterpret_cast<uint16_t *>(sm + L.qk);
    float *G = reinterpret_cast<float *>(sm + L.G), *eG = reinterpret_cast<float *>(sm + L.eG);
    float *dl = reinterpret_cast<float *>(sm + L.dl), *bt = reinterpret_cast<float *>(sm + L.beta);

    const int tid = int(threadIdx.x), warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
    const int dk = a.dk, kh = h / (a.Hv / a.Hk);
    const bool gated = a.g != nullptr;
    const int ksteps = dk / 16;
    const int64_t t0 = chunk * kC, nchunks = (a.T + kC - 1) / kC;
    const int n = a.T - t0 < kC ? int(a.T - t0) : kC;
    const float *qh = a.q + int64_t(kh) * dk, *khd = a.k + int64_t(kh) * dk;

    const int q2 = dk / 2;
#pragma unroll 4
    for (int e = tid; e < kC * q2; e += kThreads) {
        const int i = e / q2, c = 2 * (e % q2);
        float k0 = 0.0f, k1 = 0.0f, x0 = 0.0f, x1 = 0.0f;
        if (i < n) {
            const float *pk = khd + (t0 + i) * a.k_stride + c, *pq = qh + (t0 + i) * a.q_stride + c;
            k0 = __ldg(pk), k1 = __ldg(pk + 1), x0 = __ldg(pq), x1 = __ldg(pq + 1);
        }
        st32(Kb + i * PKB + c, pack_bf16(k0, k1));
        st32(Qb + i * PKB + c, pack_bf16(x0, x1));
    }
    if (warp == 0) {
        const int i0 = 2 * lane, i1 = i0 + 1;
        const float b0 = i0 < n ? __ldg(a.beta + (t0 + i0) * a.beta_stride + h) : 0.0f;
        const float b1 = i1 < n ? __ldg(a.beta + (t0 + i1) * a.beta_stride + h) : 0.0f;
        const float g0 = gated && i0 < n ? __ldg(a.g + (t0 + i0) * a.g_stride + h) : 0.0f;
        const float g1 = gated && i1 < n ? __ldg(a.g + (t0 + i1) * a.g_stride + h) : 0.0f;
        chunk_decay(b0, b1, g0, g1, G, eG, dl, bt);
    }
    __syncthreads();

    // K K^T and Q K^T, lower-triangle tiles (the same split over warps as tc_block's P1).
    const int It = (0x01122333 >> (4 * warp)) & 15, j0 = (0x02030630 >> (4 * warp)) & 15,
              cnt = (0x22233233 >> (4 * warp)) & 15;
    {
        float tk[3][4], tq[3][4];
#pragma unroll
        for (int j = 0; j < 3; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) tk[j][e] = 0.0f, tq[j][e] = 0.0f;
#pragma unroll 2
        for (int kk = 0; kk < ksteps; ++kk) {
            const int c0 = 16 * kk;
            uint32_t ak[4], aq[4], b[2];
            frag_a(ak, Kb, PKB, 16 * It, c0, g, t);
            frag_a(aq, Qb, PKB, 16 * It, c0, g, t);
#pragma unroll
            for (int j = 0; j < 3; ++j) {
                if (j < cnt) {
                    frag_b(b, Kb, PKB, 8 * (j0 + j), c0, g, t);
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
    __syncthreads();

    uint16_t *dst = pre + tc_scratch_offset(h, chunk, nchunks);
    for (int e = tid; e < 2 * kC * 8; e += kThreads) {
        const int m = e >> 9, r = (e >> 3) & (kC - 1), p = 8 * (e & 7);
        *reinterpret_cast<float4 *>(dst + m * kC * kC + r * kC + p) =
            *reinterpret_cast<const float4 *>((m ? QKb : Tb) + r * kPB + p);
    }
}

#ifndef DN_TC_EMULATE

template <int KMAX, int DVT, bool STAGED, bool PRE>
__global__ void __launch_bounds__(kThreads, 1) tc_kernel(const DeltaArgs a, const uint16_t *pre) {
    extern __shared__ float4 tc_smem[];
    tc_block<KMAX, DVT, STAGED, PRE>(a, reinterpret_cast<unsigned char *>(tc_smem), int(blockIdx.x), int(blockIdx.y),
                                     pre);
}

template <int KMAX>
__global__ void __launch_bounds__(kThreads, 2) tc_prep_kernel(const DeltaArgs a, uint16_t *pre) {
    extern __shared__ float4 tc_smem[];
    tc_prep_block<KMAX>(a, reinterpret_cast<unsigned char *>(tc_smem), int64_t(blockIdx.x), int(blockIdx.y), pre);
}

constexpr size_t kSmemCap = 227 * 1024;  // the most any GPU gives one block (Hopper)

template <int KMAX, int DVT, bool STAGED, bool PRE>
void launch_tc(const DeltaArgs &a, const uint16_t *pre, cudaStream_t stream) {
    constexpr size_t kBytes = tc_layout(KMAX, DVT, STAGED, PRE).bytes;
    if constexpr (kBytes <= kSmemCap) {
        check(cudaFuncSetAttribute(tc_kernel<KMAX, DVT, STAGED, PRE>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                   int(kBytes)),
              "delta_rule_chunked_tc: shared memory limit");
        const dim3 grid(unsigned((a.dv + DVT - 1) / DVT), unsigned(a.Hv));
        tc_kernel<KMAX, DVT, STAGED, PRE><<<grid, kThreads, kBytes, stream>>>(a, pre);
    }
}

template <int KMAX>
void launch_prep(const DeltaArgs &a, uint16_t *pre, cudaStream_t stream) {
    constexpr size_t kBytes = tc_layout(KMAX, 16, false, false).bytes;
    check(cudaFuncSetAttribute(tc_prep_kernel<KMAX>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(kBytes)),
          "delta_rule_chunked_tc: shared memory limit");
    const dim3 grid(unsigned((a.T + kC - 1) / kC), unsigned(a.Hv));
    tc_prep_kernel<KMAX><<<grid, kThreads, kBytes, stream>>>(a, pre);
}

template <int KMAX, int DVT>
void launch_tc_staged(const DeltaArgs &a, bool staged, const uint16_t *pre, cudaStream_t stream) {
    if (pre) {
        if (staged) launch_tc<KMAX, DVT, true, true>(a, pre, stream);
        else launch_tc<KMAX, DVT, false, true>(a, pre, stream);
    } else {
        if (staged) launch_tc<KMAX, DVT, true, false>(a, nullptr, stream);
        else launch_tc<KMAX, DVT, false, false>(a, nullptr, stream);
    }
}

// Widest state slice per key width: dk = 256 with 64 rows would need more than 255 registers.
constexpr int max_dvt(int kmax) { return kmax > 128 ? 32 : 64; }

template <int KMAX>
void launch_tc_kmax(const DeltaArgs &a, int dvt, bool staged, uint16_t *pre, cudaStream_t stream) {
    if (pre) launch_prep<KMAX>(a, pre, stream);
    if (dvt == 16) launch_tc_staged<KMAX, 16>(a, staged, pre, stream);
    else if (dvt == 32) launch_tc_staged<KMAX, 32>(a, staged, pre, stream);
    else if constexpr (max_dvt(KMAX) >= 64) launch_tc_staged<KMAX, 64>(a, staged, pre, stream);
}

bool aligned16(const void *p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

#endif  // DN_TC_EMULATE

}  // namespace

#ifndef DN_TC_EMULATE

size_t delta_rule_tc_scratch_bytes(const DeltaArgs &a) {
    if (a.T <= 0 || a.Hv <= 0) return 0;
    const int64_t nchunks = (a.T + kC - 1) / kC;
    return size_t(tc_scratch_offset(a.Hv, 0, nchunks)) * sizeof(uint16_t);
}

bool delta_rule_chunked_tc(const DeltaArgs &a, cudaStream_t stream, void *scratch) {
    if (a.Hk <= 0 || a.Hv <= 0 || a.Hv % a.Hk != 0 || a.Hv > 65535) return false;
    if (a.dk <= 0 || a.dv <= 0 || a.dk % 16 != 0 || a.dv % 16 != 0 || a.dk > 256 || a.dv > 1024) return false;
    if (a.T <= 0) return true;
    int device = 0, major = 0, sms = 0, smem_optin = 0;
    check(cudaGetDevice(&device), "delta_rule_chunked_tc: cudaGetDevice");
    check(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device),
          "delta_rule_chunked_tc: compute capability");
    if (major < 8) return false;
    check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "delta_rule_chunked_tc: SM count");
    check(cudaDeviceGetAttribute(&smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device),
          "delta_rule_chunked_tc: shared memory size");
    const size_t cap = size_t(smem_optin) < kSmemCap ? size_t(smem_optin) : kSmemCap;

    // cp.async copies 16-byte pieces of q, k and v rows (head offsets are multiples of 16 floats).
    const bool can_stage = aligned16(a.q) && aligned16(a.k) && aligned16(a.v) && a.q_stride % 4 == 0 &&
                           a.k_stride % 4 == 0 && a.v_stride % 4 == 0;
    const int kmax = a.dk <= 64 ? 64 : a.dk <= 128 ? 128 : 256;
    // Two kernels when the caller gave scratch: the key-only work of all chunks in parallel first.
    const bool pre = scratch != nullptr && aligned16(scratch) &&
                     tc_layout(kmax, 16, false, false).bytes <= cap;

    // A block's time per chunk: the key-only work every block repeats (about 3000 cycles at dk =
    // 128, mostly latency; about 1200 left when it comes precomputed) plus the work of its DVT state
    // rows; counted in waves of one block per SM.
    int dvt = 0;
    bool staged = false;
    double best = 0.0;
    for (int cand : {16, 32, 64}) {
        if (cand > max_dvt(kmax)) break;
        for (int st = can_stage ? 1 : 0; st >= 0; --st) {
            if (tc_layout(kmax, cand, st != 0, pre).bytes > cap) continue;
            const int64_t blocks = int64_t(a.Hv) * ((a.dv + cand - 1) / cand);
            const double per_chunk =
                ((pre ? 1200.0 : 3000.0) + 400.0 * (cand / 16) * (a.dk / 128.0)) * (st ? 1.0 : 1.3);
            const double cost = double((blocks + sms - 1) / sms) * per_chunk;
            if (dvt == 0 || cost < best) dvt = cand, staged = st != 0, best = cost;
            break;  // the staged variant when it fits, else the direct one
        }
    }
    if (dvt == 0) return false;

    uint16_t *p = pre ? static_cast<uint16_t *>(scratch) : nullptr;
    switch (kmax) {
        case 64: launch_tc_kmax<64>(a, dvt, staged, p, stream); break;
        case 128: launch_tc_kmax<128>(a, dvt, staged, p, stream); break;
        default: launch_tc_kmax<256>(a, dvt, staged, p, stream); break;
    }
    check_launch("delta_rule_chunked_tc");
    return true;
}

#endif  // DN_TC_EMULATE

}  // namespace dn::cuda
