// The delta rule on the GPU, float32 throughout (backends/cpu/delta_rule.h has the math): per value
// head h, S_t = exp(g_t) S_{t-1} (I - beta_t k_t k_t^T) + beta_t v_t k_t^T and o_t = S_t q_t, with the
// state S [dv][dk] read from and written back to args.state.
//
// delta_rule_recurrent: token by token. The rows of S evolve independently (row r only needs
// s_r . k_t), so a group of P lanes owns one row in registers and the grid spans heads x rows, which
// fills the GPU even for a handful of heads. For decode (T = 1) the kernel is one read and one write
// of the state.
//
// delta_rule_chunked: the chunkwise WY/UT form, chunks of 64 tokens. A block owns a slice of DVT
// rows of one head's state in shared memory and walks all the chunks. Per chunk it recomputes the
// key-only quantities (K K^T, Q K^T, the decay factors) itself, because the launcher may not
// allocate scratch; then
//   Y     = diag(beta) (V - diag(exp G) K S^T)            (dv-slice of U - W S^T)
//   V_new = (I + A)^-1 Y,  A = strictly-lower(diag(beta) (K K^T .* D)),  D_ij = exp(G_i - G_j)
//   O     = diag(exp G) Q S^T + (Q K^T .* D, lower) V_new
//   S     = exp(G_last) S + V_new^T diag(exp(G_last - G)) K
// The triangular system is solved in 16-row blocks (the 16 x 16 diagonal blocks inverted in
// registers), so the 64 x 64 inverse T of the CPU code is never formed. Only exponentials of
// G_i - G_j <= 0 are taken, so strong decay cannot overflow.
#include "backends/cuda/gpu_runtime.h"

#include <cstdint>
#include <initializer_list>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/delta_rule_tc.h"
#include "backends/cuda/kernels.h"

namespace dn::cuda {

namespace {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kMaxDk = 256;  // both kernels keep a state row (recurrent) or chunk rows (chunked) on chip

bool aligned16(const void *p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// q and k rows of every head start on 16-byte boundaries: float4 loads are possible.
bool qk_rows_aligned(const DeltaArgs &a) {
    return a.dk % 4 == 0 && aligned16(a.q) && aligned16(a.k) && a.q_stride % 4 == 0 && a.k_stride % 4 == 0;
}

void validate(const DeltaArgs &a, const char *who) {
    if (a.Hk <= 0 || a.Hv <= 0 || a.Hv % a.Hk != 0 || a.dk <= 0 || a.dv <= 0)
        fail(DN_ERR_INVALID_ARGUMENT, who, ": bad head shape Hk = ", a.Hk, ", Hv = ", a.Hv, ", dk = ", a.dk,
             ", dv = ", a.dv);
    if (a.dk > kMaxDk) fail(DN_ERR_UNSUPPORTED, who, ": key head dim ", a.dk, " exceeds ", kMaxDk);
    if (a.Hv > 65535) fail(DN_ERR_UNSUPPORTED, who, ": ", a.Hv, " value heads exceed one grid dimension");
}

// ================================ recurrent ================================

constexpr int kRecThreads = 128;

// One lane's share of a dk-vector: NV pieces of VW consecutive floats, piece j at column
// (lane + j * P) * VW, so that the P lanes of a row group read each piece of the row contiguously.
// Columns past dk read as zero.
template <int P, int NV, int VW>
struct Slice {
    float x[NV][VW];

    static __device__ __forceinline__ int column(int lane, int j) { return (lane + j * P) * VW; }

    // Read-only inputs (q, k) through the non-coherent path.
    __device__ __forceinline__ void load_input(const float *row, int lane, int dk) {
#pragma unroll
        for (int j = 0; j < NV; ++j) {
            const int c = column(lane, j);
            if constexpr (VW == 4) {
                const float4 v = c < dk ? __ldg(reinterpret_cast<const float4 *>(row + c)) : make_float4(0, 0, 0, 0);
                x[j][0] = v.x, x[j][1] = v.y, x[j][2] = v.z, x[j][3] = v.w;
            } else {
                x[j][0] = c < dk ? __ldg(row + c) : 0.0f;
            }
        }
    }
    __device__ __forceinline__ void load_state(const float *row, int lane, int dk, bool own) {
#pragma unroll
        for (int j = 0; j < NV; ++j) {
            const int c = column(lane, j);
            const bool ok = own && c < dk;
            if constexpr (VW == 4) {
                const float4 v = ok ? *reinterpret_cast<const float4 *>(row + c) : make_float4(0, 0, 0, 0);
                x[j][0] = v.x, x[j][1] = v.y, x[j][2] = v.z, x[j][3] = v.w;
            } else {
                x[j][0] = ok ? row[c] : 0.0f;
            }
        }
    }
    __device__ __forceinline__ void store_state(float *row, int lane, int dk) const {
#pragma unroll
        for (int j = 0; j < NV; ++j) {
            const int c = column(lane, j);
            if (c >= dk) continue;
            if constexpr (VW == 4)
                *reinterpret_cast<float4 *>(row + c) = make_float4(x[j][0], x[j][1], x[j][2], x[j][3]);
            else
                row[c] = x[j][0];
        }
    }
    __device__ __forceinline__ void zero() {
#pragma unroll
        for (int j = 0; j < NV; ++j)
#pragma unroll
            for (int e = 0; e < VW; ++e) x[j][e] = 0.0f;
    }
};

template <int P, int NV, int VW>
__device__ __forceinline__ float dot(const Slice<P, NV, VW> &a, const Slice<P, NV, VW> &b) {
    float s = 0.0f;
#pragma unroll
    for (int j = 0; j < NV; ++j)
#pragma unroll
        for (int e = 0; e < VW; ++e) s = fmaf(a.x[j][e], b.x[j][e], s);
    return s;
}

// Butterfly sums over aligned groups of P lanes; every lane of the group gets the totals. Two values
// at once so that their shuffles overlap.
template <int P>
__device__ __forceinline__ float group_sum(float x) {
#pragma unroll
    for (int off = P / 2; off > 0; off >>= 1) x += __shfl_xor_sync(kFullMask, x, off);
    return x;
}
template <int P>
__device__ __forceinline__ void group_sum2(float &x, float &y) {
#pragma unroll
    for (int off = P / 2; off > 0; off >>= 1) {
        x += __shfl_xor_sync(kFullMask, x, off);
        y += __shfl_xor_sync(kFullMask, y, off);
    }
}

// Row r of head h: u = beta (v_r - e (s_r . k_t)), s_r = e s_r + u k_t, o_r = s_r . q_t. The pass that
// updates the row also takes its dot product with the next key, so one reduction (two sums) per
// token. Rows past dv (last block) run on zeros and store nothing; all lanes stay for the shuffles.
template <int P, int NV, int VW>
__global__ void __launch_bounds__(kRecThreads) recurrent_kernel(const DeltaArgs a) {
    using Vec = Slice<P, NV, VW>;
    const int lane = threadIdx.x % P;
    const int r = blockIdx.x * (kRecThreads / P) + threadIdx.x / P;
    const int h = blockIdx.y, kh = h / (a.Hv / a.Hk), dk = a.dk;
    const bool own = r < a.dv;

    float *srow = a.state + (int64_t(h) * a.dv + (own ? r : 0)) * dk;
    const float *qh = a.q + int64_t(kh) * dk, *khp = a.k + int64_t(kh) * dk;
    const float *vh = a.v + int64_t(h) * a.dv + r;
    float *oh = a.o + int64_t(h) * a.dv + r;

    Vec s, k, kn, q;
    s.load_state(srow, lane, dk, own);
    k.load_input(khp, lane, dk);
    float sk = group_sum<P>(dot(s, k));

    for (int64_t t = 0; t < a.T; ++t) {
        // Loads that do not depend on the state first, so that their latency overlaps the math.
        q.load_input(qh + t * a.q_stride, lane, dk);
        if (t + 1 < a.T) kn.load_input(khp + (t + 1) * a.k_stride, lane, dk);
        else kn.zero();
        const float beta = __ldg(a.beta + t * a.beta_stride + h);
        const float e = a.g ? expf(__ldg(a.g + t * a.g_stride + h)) : 1.0f;
        const float v = own ? __ldg(vh + t * a.v_stride) : 0.0f;

        const float u = beta * (v - e * sk);
        float po = 0.0f, pk = 0.0f;
#pragma unroll
        for (int j = 0; j < NV; ++j)
#pragma unroll
            for (int c = 0; c < VW; ++c) {
                const float x = fmaf(u, k.x[j][c], e * s.x[j][c]);
                s.x[j][c] = x;
                po = fmaf(x, q.x[j][c], po);
                pk = fmaf(x, kn.x[j][c], pk);
            }
        group_sum2<P>(po, pk);
        if (own && lane == 0) oh[t * a.o_stride] = po;
        sk = pk;
        k = kn;
    }
    if (own) s.store_state(srow, lane, dk);
}

template <int P, int NV, int VW>
void launch_recurrent(const DeltaArgs &a, cudaStream_t stream) {
    static_assert(P <= 32 && 32 % P == 0 && kRecThreads % P == 0, "row groups must tile a warp");
    constexpr int kRowsPerBlock = kRecThreads / P;
    const dim3 grid(unsigned((a.dv + kRowsPerBlock - 1) / kRowsPerBlock), unsigned(a.Hv));
    recurrent_kernel<P, NV, VW><<<grid, kRecThreads, 0, stream>>>(a);
}

// ================================ chunked ================================

constexpr int kChunk = 64;  // tokens per chunk
constexpr int kChunkWarps = 8;
constexpr int kChunkThreads = 32 * kChunkWarps;
constexpr int kBlk = 16;    // rows of a diagonal block of the triangular solve
constexpr int kPitchC = kChunk + 4;

// Shared-memory layout, in floats. Row pitches are 4 (mod 32) words: the eight rows that a warp's
// float4 loads touch at once (rows 8 apart in a thread's tile, consecutive across lanes) then fall
// into distinct 16-byte bank groups, and rows stay 16-byte aligned.
struct ChunkLayout {
    int pitch_k;  // Ks, Qs, Ss rows (KMAX columns; those past dk stay zero)
    int pitch_v;  // Y, Vn rows (DVT columns)
    int k, q, s, a, qk, y, vn, g, eg, dl, beta, floats;
};

__host__ __device__ constexpr ChunkLayout chunk_layout(int kmax, int dvt) {
    ChunkLayout l{};
    l.pitch_k = kmax + 4;
    l.pitch_v = dvt + 4;
    int at = 0;
    l.k = at, at += kChunk * l.pitch_k;     // K rows of the chunk
    l.q = at, at += kChunk * l.pitch_k;     // Q rows
    l.s = at, at += dvt * l.pitch_k;        // the block's state rows (value-first)
    l.a = at, at += kChunk * kPitchC;       // A, its diagonal blocks then replaced by their inverses
    l.qk = at, at += kChunk * kPitchC;      // Q K^T .* D, zero above the diagonal
    l.y = at, at += kChunk * l.pitch_v;     // V tile -> Y -> (after the solve) O staging
    l.vn = at, at += kChunk * l.pitch_v;    // V_new
    l.g = at, at += 2 * kChunk;             // double G_i: cumulative log decay within the chunk
    l.eg = at, at += kChunk;                // exp(G_i)
    l.dl = at, at += kChunk;                // exp(G_last - G_i)
    l.beta = at, at += kChunk;
    l.floats = at;
    return l;
}

struct ChunkSmem {
    float *K, *Q, *S, *A, *QK, *Y, *Vn, *eG, *dl, *beta;
    double *G;
};

__device__ __forceinline__ float dot4(const float4 &x, const float4 &y, float acc) {
    return fmaf(x.w, y.w, fmaf(x.z, y.z, fmaf(x.y, y.y, fmaf(x.x, y.x, acc))));
}

template <int N>
__device__ __forceinline__ void load_floats(const float *p, float (&w)[N]) {
    if constexpr (N % 4 == 0) {
#pragma unroll
        for (int i = 0; i < N / 4; ++i) {
            const float4 v = reinterpret_cast<const float4 *>(p)[i];
            w[4 * i] = v.x, w[4 * i + 1] = v.y, w[4 * i + 2] = v.z, w[4 * i + 3] = v.w;
        }
    } else if constexpr (N == 2) {
        const float2 v = *reinterpret_cast<const float2 *>(p);
        w[0] = v.x, w[1] = v.y;
    } else {
#pragma unroll
        for (int i = 0; i < N; ++i) w[i] = p[i];
    }
}

// A thread's TM x TN tile of R B^T where both operands run along rows of pitch P (shared memory):
// acc[m][n] += sum_{c < 4 k4} R[8m][c] B[4n][c]. R and B point at the thread's first rows; its rows
// are 8 (R) and 4 (B) apart, so a warp of 8 x 4 lanes covers an 8TM x 4TN tile with each float4
// load touching at most 8 distinct rows (one wavefront, no bank conflicts).
template <int TM, int TN, int P>
__device__ __forceinline__ void tile_nt(float (&acc)[TM][TN], const float *R, const float *B, int k4) {
#pragma unroll 2
    for (int c = 0; c < k4; ++c) {
        float4 x[TM], y[TN];
#pragma unroll
        for (int m = 0; m < TM; ++m) x[m] = reinterpret_cast<const float4 *>(R + 8 * m * P)[c];
#pragma unroll
        for (int n = 0; n < TN; ++n) y[n] = reinterpret_cast<const float4 *>(B + 4 * n * P)[c];
#pragma unroll
        for (int m = 0; m < TM; ++m)
#pragma unroll
            for (int n = 0; n < TN; ++n) acc[m][n] = dot4(x[m], y[n], acc[m][n]);
    }
}

// ---- per-chunk loads ----

// The chunk's q or k rows of one key head into a [kChunk][P] tile; rows past n become zero, columns
// past dk are never written (zero since the kernel cleared shared memory). Each warp reads whole rows
// (coalesced); all of a thread's loads are issued before its stores.
template <int KMAX, int P>
__device__ __forceinline__ void load_qk_rows(float *dst, const float *src, int64_t stride, int n, int dk, bool vec) {
    constexpr int kRows = kChunk / kChunkWarps;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (vec) {
        constexpr int kCols = (KMAX / 4 + 31) / 32;
        const int dk4 = dk / 4;
        float4 x[kRows][kCols];
#pragma unroll
        for (int u = 0; u < kRows; ++u)
#pragma unroll
            for (int j = 0; j < kCols; ++j) {
                const int i = warp + kChunkWarps * u, c = lane + 32 * j;
                x[u][j] = i < n && c < dk4 ? __ldg(reinterpret_cast<const float4 *>(src + i * stride) + c)
                                           : make_float4(0, 0, 0, 0);
            }
#pragma unroll
        for (int u = 0; u < kRows; ++u)
#pragma unroll
            for (int j = 0; j < kCols; ++j) {
                const int i = warp + kChunkWarps * u, c = lane + 32 * j;
                if (c < dk4) reinterpret_cast<float4 *>(dst + i * P)[c] = x[u][j];
            }
    } else {
        constexpr int kCols = KMAX / 32;
        float x[kRows][kCols];
#pragma unroll
        for (int u = 0; u < kRows; ++u)
#pragma unroll
            for (int j = 0; j < kCols; ++j) {
                const int i = warp + kChunkWarps * u, c = lane + 32 * j;
                x[u][j] = i < n && c < dk ? __ldg(src + i * stride + c) : 0.0f;
            }
#pragma unroll
        for (int u = 0; u < kRows; ++u)
#pragma unroll
            for (int j = 0; j < kCols; ++j) {
                const int i = warp + kChunkWarps * u, c = lane + 32 * j;
                if (c < dk) dst[i * P + c] = x[u][j];
            }
    }
}

// The block's DVT columns of v (zero past dv and past n) into Y.
template <int DVT, int PV>
__device__ __forceinline__ void load_v_tile(float *Y, const float *v, int64_t stride, int n, int cols) {
    constexpr int kPer = kChunk * DVT / kChunkThreads;
    float x[kPer];
#pragma unroll
    for (int u = 0; u < kPer; ++u) {
        const int e = threadIdx.x + kChunkThreads * u, i = e / DVT, r = e % DVT;
        x[u] = i < n && r < cols ? __ldg(v + i * stride + r) : 0.0f;
    }
#pragma unroll
    for (int u = 0; u < kPer; ++u) {
        const int e = threadIdx.x + kChunkThreads * u;
        Y[(e / DVT) * PV + e % DVT] = x[u];
    }
}

// Warp 0: beta and the decay of the chunk. G_i (inclusive prefix sum of g) in double, like the CPU
// code, so that G_i - G_j loses nothing; padding tokens have g = 0 and beta = 0, which makes them
// no-ops (and G_63 = G_{n-1}).
__device__ __forceinline__ void load_beta_decay(const ChunkSmem &s, const DeltaArgs &a, int64_t t0, int n, int h) {
    if (threadIdx.x >= 32) return;
    const int lane = threadIdx.x, i0 = 2 * lane, i1 = i0 + 1;
    float b0 = 0.0f, b1 = 0.0f, g0 = 0.0f, g1 = 0.0f;
    if (i0 < n) {
        b0 = __ldg(a.beta + (t0 + i0) * a.beta_stride + h);
        if (a.g) g0 = __ldg(a.g + (t0 + i0) * a.g_stride + h);
    }
    if (i1 < n) {
        b1 = __ldg(a.beta + (t0 + i1) * a.beta_stride + h);
        if (a.g) g1 = __ldg(a.g + (t0 + i1) * a.g_stride + h);
    }
    double sum = double(g0) + double(g1);
#pragma unroll
    for (int off = 1; off < 32; off *= 2) {
        const double y = __shfl_up_sync(kFullMask, sum, off);
        if (lane >= off) sum += y;
    }
    const double G1 = sum, G0 = sum - double(g1);
    const double last = __shfl_sync(kFullMask, sum, 31);
    s.G[i0] = G0, s.G[i1] = G1;
    s.eG[i0] = expf(float(G0)), s.eG[i1] = expf(float(G1));
    s.dl[i0] = expf(float(last - G0)), s.dl[i1] = expf(float(last - G1));
    s.beta[i0] = b0, s.beta[i1] = b1;
}

// ---- per-chunk math ----

// All products over dk, as 32 x 16 warp tiles (a lane owns rows ti + 8m, columns tj + 4n):
//   tasks 0..5:  K K^T, lower tiles -> A = beta_i (k_i . k_j) D_ij for j < i, else 0
//   tasks 6..11: Q K^T, lower tiles -> QK = (q_i . k_j) D_ij for j <= i, else 0
//   the rest:    K S^T              -> Y = beta_i (v_i - exp(G_i) k_i . s_r)   (Y holds v)
// The lower tiles of a 64 x 64 triangle are (rows 0-31: columns 0-31) and (rows 32-63: all), which
// covers every entry the solve and the output pass read.
template <int KMAX, int DVT>
__device__ __forceinline__ void chunk_products(const ChunkSmem &s, int k4, bool gated) {
    constexpr ChunkLayout L = chunk_layout(KMAX, DVT);
    constexpr int P = L.pitch_k, PV = L.pitch_v;
    constexpr int kTriTasks = 6, kTasks = 2 * kTriTasks + 2 * (DVT / 16);
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, ti = lane % 8, tj = lane / 8;

    for (int task = warp; task < kTasks; task += kChunkWarps) {
        int kind, I, J;  // kind 0: K K^T, 1: Q K^T, 2: K S^T; row tile I (32 rows), column tile J (16)
        if (task < 2 * kTriTasks) {
            const int idx = task % kTriTasks;
            kind = task / kTriTasks, I = idx < 2 ? 0 : 1, J = idx < 2 ? idx : idx - 2;
        } else {
            const int idx = task - 2 * kTriTasks;
            kind = 2, I = idx % 2, J = idx / 2;
        }
        const float *R = (kind == 1 ? s.Q : s.K) + (32 * I + ti) * P;
        const float *B = (kind == 2 ? s.S : s.K) + (16 * J + tj) * P;
        float acc[4][4] = {};
        tile_nt<4, 4, P>(acc, R, B, k4);

#pragma unroll
        for (int m = 0; m < 4; ++m) {
            const int i = 32 * I + ti + 8 * m;
#pragma unroll
            for (int n = 0; n < 4; ++n) {
                const int j = 16 * J + tj + 4 * n;
                if (kind == 2) {
                    float &y = s.Y[i * PV + j];
                    y = s.beta[i] * (y - s.eG[i] * acc[m][n]);
                } else {
                    const bool keep = kind == 0 ? j < i : j <= i;
                    float x = 0.0f;
                    if (keep) {
                        x = acc[m][n];
                        if (gated) x *= expf(float(s.G[i] - s.G[j]));
                        if (kind == 0) x *= s.beta[i];
                    }
                    (kind == 0 ? s.A : s.QK)[i * kPitchC + j] = x;
                }
            }
        }
    }
}

// Replaces each 16 x 16 diagonal block of A by (I + A_bb)^-1 (lower triangular, zero above): lane j
// of block b forward-substitutes column j in registers. In place, so all reads finish first.
__device__ __forceinline__ void invert_diagonal_blocks(float *A) {
    const int tid = threadIdx.x, b = tid / kBlk, j = tid % kBlk;
    const bool active = tid < kChunk;
    float x[kBlk];
#pragma unroll
    for (int i = 0; i < kBlk; ++i) x[i] = 0.0f;
    if (active) {
        const float *Ab = A + b * kBlk * (kPitchC + 1);
#pragma unroll
        for (int i = 0; i < kBlk; ++i) {
            float acc = i == j ? 1.0f : 0.0f;
#pragma unroll
            for (int m = 0; m < i; ++m) acc = fmaf(-Ab[i * kPitchC + m], x[m], acc);
            x[i] = acc;
        }
    }
    __syncthreads();
    if (active) {
        float *Ab = A + b * kBlk * (kPitchC + 1);
#pragma unroll
        for (int i = 0; i < kBlk; ++i) Ab[i * kPitchC + j] = x[i];
    }
    __syncthreads();
}

// V_new = (I + A)^-1 Y by block forward substitution over the four 16-row blocks: V_new_J =
// inv_J Y_J, then every later block row drops A_IJ V_new_J from its Y (in place). Ends synchronised.
template <int DVT, int PV>
__device__ __forceinline__ void solve_v_new(const float *A, float *Y, float *Vn) {
    constexpr int kPer = kBlk * DVT / kChunkThreads;  // outputs per thread and block row
    static_assert(kPer >= 1, "DVT too small for the block");
    const int tid = threadIdx.x;
#pragma unroll
    for (int J = 0; J < kChunk / kBlk; ++J) {
        const int base = kBlk * J;
#pragma unroll
        for (int u = 0; u < kPer; ++u) {
            const int e = tid + kChunkThreads * u, i = e / DVT, r = e % DVT;
            const float4 *inv = reinterpret_cast<const float4 *>(A + (base + i) * kPitchC + base);
            const float *y = Y + base * PV + r;
            float acc = 0.0f;
#pragma unroll
            for (int m4 = 0; m4 < kBlk / 4; ++m4) {
                const float4 d = inv[m4];
                acc = fmaf(d.x, y[(4 * m4) * PV], acc);
                acc = fmaf(d.y, y[(4 * m4 + 1) * PV], acc);
                acc = fmaf(d.z, y[(4 * m4 + 2) * PV], acc);
                acc = fmaf(d.w, y[(4 * m4 + 3) * PV], acc);
            }
            Vn[(base + i) * PV + r] = acc;
        }
        __syncthreads();
        if (J + 1 == kChunk / kBlk) break;
#pragma unroll
        for (int u = 0; u < (kChunk / kBlk - 1 - J) * kPer; ++u) {
            const int e = tid + kChunkThreads * u, i = base + kBlk + e / DVT, r = e % DVT;
            const float4 *a = reinterpret_cast<const float4 *>(A + i * kPitchC + base);
            const float *vn = Vn + base * PV + r;
            float acc = Y[i * PV + r];
#pragma unroll
            for (int m4 = 0; m4 < kBlk / 4; ++m4) {
                const float4 d = a[m4];
                acc = fmaf(-d.x, vn[(4 * m4) * PV], acc);
                acc = fmaf(-d.y, vn[(4 * m4 + 1) * PV], acc);
                acc = fmaf(-d.z, vn[(4 * m4 + 2) * PV], acc);
                acc = fmaf(-d.w, vn[(4 * m4 + 3) * PV], acc);
            }
            Y[i * PV + r] = acc;
        }
        __syncthreads();
    }
}

// O = diag(exp G) Q S^T + QK V_new into the Y buffer (free after the solve). One warp tile per warp:
// TM x TN per lane with TM * TN = DVT / 4. Row i of QK is zero past column i, so a tile of rows below
// ib + 8 TM reads only columns j < ib + 8 TM.
template <int KMAX, int DVT>
__device__ __forceinline__ void chunk_output(const ChunkSmem &s, int k4) {
    constexpr ChunkLayout L = chunk_layout(KMAX, DVT);
    constexpr int P = L.pitch_k, PV = L.pitch_v;
    constexpr int TM = DVT == 64 ? 4 : 2, TN = DVT / 4 / TM;
    constexpr int kColTiles = DVT / (4 * TN);
    static_assert((kChunk / (8 * TM)) * kColTiles == kChunkWarps, "one output tile per warp");
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, ti = lane % 8, tj = lane / 8;
    const int ib = (warp / kColTiles) * 8 * TM, rb = (warp % kColTiles) * 4 * TN;

    float acc[TM][TN] = {};
    tile_nt<TM, TN, P>(acc, s.Q + (ib + ti) * P, s.S + (rb + tj) * P, k4);
#pragma unroll
    for (int m = 0; m < TM; ++m) {
        const float e = s.eG[ib + ti + 8 * m];
#pragma unroll
        for (int n = 0; n < TN; ++n) acc[m][n] *= e;
    }

    const float *qk = s.QK + (ib + ti) * kPitchC;
    const float *vn = s.Vn + rb + tj;
    const int j4_end = (ib + 8 * TM) / 4;
    for (int j4 = 0; j4 < j4_end; ++j4) {
        float4 x[TM];
#pragma unroll
        for (int m = 0; m < TM; ++m) x[m] = reinterpret_cast<const float4 *>(qk + 8 * m * kPitchC)[j4];
        float v[4][TN];
#pragma unroll
        for (int jj = 0; jj < 4; ++jj)
#pragma unroll
            for (int n = 0; n < TN; ++n) v[jj][n] = vn[(4 * j4 + jj) * PV + 4 * n];
#pragma unroll
        for (int m = 0; m < TM; ++m)
#pragma unroll
            for (int n = 0; n < TN; ++n) {
                float a = acc[m][n];
                a = fmaf(x[m].x, v[0][n], a);
                a = fmaf(x[m].y, v[1][n], a);
                a = fmaf(x[m].z, v[2][n], a);
                a = fmaf(x[m].w, v[3][n], a);
                acc[m][n] = a;
            }
    }
#pragma unroll
    for (int m = 0; m < TM; ++m)
#pragma unroll
        for (int n = 0; n < TN; ++n) s.Y[(ib + ti + 8 * m) * PV + rb + tj + 4 * n] = acc[m][n];
}

// S = exp(G_last) S + sum_i exp(G_last - G_i) v_new_i k_i^T. A thread owns TR consecutive state rows
// times TC float4 columns (CT lanes across a row, so K loads are contiguous and V_new loads are
// broadcasts); columns past dk stay zero because K's do.
template <int KMAX, int DVT>
__device__ __forceinline__ void update_state(const ChunkSmem &s) {
    constexpr ChunkLayout L = chunk_layout(KMAX, DVT);
    constexpr int P = L.pitch_k, PV = L.pitch_v;
    constexpr int CT = KMAX / 4 < 32 ? KMAX / 4 : 32;
    constexpr int RT = kChunkThreads / CT;
    constexpr int TC = KMAX / 4 / CT;
    constexpr int TR = DVT / RT > 0 ? DVT / RT : 1;
    const int ct = threadIdx.x % CT, rt = threadIdx.x / CT, r0 = rt * TR;
    if (r0 >= DVT) return;

    const float e_last = s.eG[kChunk - 1];
    float4 acc[TR][TC];
#pragma unroll
    for (int m = 0; m < TR; ++m)
#pragma unroll
        for (int c = 0; c < TC; ++c) {
            const float4 x = reinterpret_cast<const float4 *>(s.S + (r0 + m) * P)[ct + CT * c];
            acc[m][c] = make_float4(e_last * x.x, e_last * x.y, e_last * x.z, e_last * x.w);
        }
#pragma unroll 4
    for (int i = 0; i < kChunk; ++i) {
        float w[TR];
        load_floats<TR>(s.Vn + i * PV + r0, w);
        const float d = s.dl[i];
        float4 k[TC];
#pragma unroll
        for (int c = 0; c < TC; ++c) k[c] = reinterpret_cast<const float4 *>(s.K + i * P)[ct + CT * c];
#pragma unroll
        for (int m = 0; m < TR; ++m) {
            const float wm = w[m] * d;
#pragma unroll
            for (int c = 0; c < TC; ++c) {
                acc[m][c].x = fmaf(wm, k[c].x, acc[m][c].x);
                acc[m][c].y = fmaf(wm, k[c].y, acc[m][c].y);
                acc[m][c].z = fmaf(wm, k[c].z, acc[m][c].z);
                acc[m][c].w = fmaf(wm, k[c].w, acc[m][c].w);
            }
        }
    }
#pragma unroll
    for (int m = 0; m < TR; ++m)
#pragma unroll
        for (int c = 0; c < TC; ++c) reinterpret_cast<float4 *>(s.S + (r0 + m) * P)[ct + CT * c] = acc[m][c];
}

// The staged O rows (Y buffer) to the output, coalesced along the value dim.
template <int DVT, int PV>
__device__ __forceinline__ void store_output(const float *Y, float *o, int64_t stride, int n, int cols) {
    constexpr int kPer = kChunk * DVT / kChunkThreads;
#pragma unroll
    for (int u = 0; u < kPer; ++u) {
        const int e = threadIdx.x + kChunkThreads * u, i = e / DVT, r = e % DVT;
        if (i < n && r < cols) o[i * stride + r] = Y[i * PV + r];
    }
}

// Block (x, y) = (DVT-row slice of the state, value head). Its state slice stays in shared memory
// across all chunks; `vec`: q and k rows allow float4 loads.
template <int KMAX, int DVT>
__global__ void __launch_bounds__(kChunkThreads, 1) chunked_kernel(const DeltaArgs a, bool vec) {
    constexpr ChunkLayout L = chunk_layout(KMAX, DVT);
    constexpr int P = L.pitch_k, PV = L.pitch_v;
    extern __shared__ float4 smem4[];
    float *sm = reinterpret_cast<float *>(smem4);
    const ChunkSmem s{sm + L.k,  sm + L.q,  sm + L.s,  sm + L.a,  sm + L.qk, sm + L.y,
                      sm + L.vn, sm + L.eg, sm + L.dl, sm + L.beta, reinterpret_cast<double *>(sm + L.g)};

    const int h = blockIdx.y, kh = h / (a.Hv / a.Hk), dk = a.dk, k4 = (dk + 3) / 4;
    const int r0 = blockIdx.x * DVT, rows = min(DVT, a.dv - r0);
    const bool gated = a.g != nullptr;

    // Zero everything once: padding columns (past dk) and rows (past dv) then stay zero throughout.
    for (int i = threadIdx.x; i < L.floats / 4; i += kChunkThreads) smem4[i] = make_float4(0, 0, 0, 0);
    __syncthreads();
    float *state = a.state + (int64_t(h) * a.dv + r0) * dk;
    for (int e = threadIdx.x; e < rows * dk; e += kChunkThreads) s.S[(e / dk) * P + e % dk] = state[e];

    const float *qh = a.q + int64_t(kh) * dk, *khp = a.k + int64_t(kh) * dk;
    const float *vh = a.v + int64_t(h) * a.dv + r0;
    float *oh = a.o + int64_t(h) * a.dv + r0;
    for (int64_t t0 = 0; t0 < a.T; t0 += kChunk) {
        const int n = int(a.T - t0 < kChunk ? a.T - t0 : kChunk);
        load_beta_decay(s, a, t0, n, h);
        load_qk_rows<KMAX, P>(s.K, khp + t0 * a.k_stride, a.k_stride, n, dk, vec);
        load_qk_rows<KMAX, P>(s.Q, qh + t0 * a.q_stride, a.q_stride, n, dk, vec);
        load_v_tile<DVT, PV>(s.Y, vh + t0 * a.v_stride, a.v_stride, n, rows);
        __syncthreads();
        chunk_products<KMAX, DVT>(s, k4, gated);
        __syncthreads();
        invert_diagonal_blocks(s.A);
        solve_v_new<DVT, PV>(s.A, s.Y, s.Vn);
        chunk_output<KMAX, DVT>(s, k4);
        __syncthreads();  // the output pass read the old state
        update_state<KMAX, DVT>(s);
        store_output<DVT, PV>(s.Y, oh + t0 * a.o_stride, a.o_stride, n, rows);
        __syncthreads();  // before the next chunk's loads overwrite K, Q and Y
    }
    for (int e = threadIdx.x; e < rows * dk; e += kChunkThreads) state[e] = s.S[(e / dk) * P + e % dk];
}

constexpr size_t chunk_smem_bytes(int kmax, int dvt) { return sizeof(float) * size_t(chunk_layout(kmax, dvt).floats); }

// Relative time of one block per chunk, in FMAs per thread: the dk products (rounds of 32 x 16 warp
// tiles), the output pass, the state update and the solve. Used only to rank the tile widths.
double chunk_block_cost(int dk, int dvt) {
    const int tasks = 12 + dvt / 8;
    const int rounds = (tasks + kChunkWarps - 1) / kChunkWarps;
    return rounds * 16.0 * dk + dvt / 4.0 * (dk + kChunk) + dvt * dk / 4.0 + 7.0 * dvt;
}

template <int KMAX, int DVT>
void launch_chunked(const DeltaArgs &a, bool vec, cudaStream_t stream) {
    constexpr size_t kBytes = chunk_smem_bytes(KMAX, DVT);
    check(cudaFuncSetAttribute(chunked_kernel<KMAX, DVT>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(kBytes)),
          "delta_rule_chunked: shared memory limit");
    const dim3 grid(unsigned((a.dv + DVT - 1) / DVT), unsigned(a.Hv));
    chunked_kernel<KMAX, DVT><<<grid, kChunkThreads, kBytes, stream>>>(a, vec);
}

// The widest tiles are instantiated only where some GPU's shared memory (227 KiB on Hopper) holds them.
constexpr size_t kMaxSmemBytes = 227 * 1024;

template <int KMAX>
void launch_chunked_kmax(const DeltaArgs &a, int dvt, bool vec, cudaStream_t stream) {
    if (dvt == 16) launch_chunked<KMAX, 16>(a, vec, stream);
    else if (dvt == 32) launch_chunked<KMAX, 32>(a, vec, stream);
    else if constexpr (chunk_smem_bytes(KMAX, 64) <= kMaxSmemBytes) launch_chunked<KMAX, 64>(a, vec, stream);
}

}  // namespace

void delta_rule_recurrent(const DeltaArgs &a, cudaStream_t stream) {
    validate(a, "delta_rule_recurrent");
    if (a.T <= 0) return;
    const int dk = a.dk;
    // A row group of P lanes holds dk floats: float4 pieces where q, k and the state allow them.
    if (qk_rows_aligned(a) && aligned16(a.state)) {
        if (dk <= 32) launch_recurrent<8, 1, 4>(a, stream);
        else if (dk <= 64) launch_recurrent<16, 1, 4>(a, stream);
        else if (dk <= 128) launch_recurrent<32, 1, 4>(a, stream);
        else launch_recurrent<32, 2, 4>(a, stream);
    } else {
        if (dk <= 32) launch_recurrent<32, 1, 1>(a, stream);
        else if (dk <= 64) launch_recurrent<32, 2, 1>(a, stream);
        else if (dk <= 128) launch_recurrent<32, 4, 1>(a, stream);
        else launch_recurrent<32, 8, 1>(a, stream);
    }
    check_launch("delta_rule_recurrent");
}

void delta_rule_chunked(const DeltaArgs &a, cudaStream_t stream, void *tc_scratch) {
    validate(a, "delta_rule_chunked");
    if (a.T <= 0) return;
    // DN_PRECISION_FAST: bfloat16 tensor-core products where the shape allows (delta_rule_tc.cu).
    if (a.bf16_products && delta_rule_chunked_tc(a, stream, tc_scratch)) return;
    int device = 0, sms = 0, smem_optin = 0;
    check(cudaGetDevice(&device), "delta_rule_chunked: cudaGetDevice");
    check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "delta_rule_chunked: SM count");
    check(cudaDeviceGetAttribute(&smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device),
          "delta_rule_chunked: shared memory size");

    // Key rows padded to 32, 64, 128 or 256 columns. The state slice per block (DVT rows) trades
    // parallelism (blocks) against the key-only work every block repeats: pick the width with the
    // least estimated time, counting waves of blocks over the SMs.
    const int kmax = a.dk <= 32 ? 32 : a.dk <= 64 ? 64 : a.dk <= 128 ? 128 : 256;
    int dvt = 0;
    double best = 0.0;
    for (int cand : {16, 32, 64}) {
        const size_t bytes = chunk_smem_bytes(kmax, cand);
        if (bytes > size_t(smem_optin) || bytes > kMaxSmemBytes) continue;
        const int64_t blocks = int64_t(a.Hv) * ((a.dv + cand - 1) / cand);
        const double cost = double((blocks + sms - 1) / sms) * chunk_block_cost(a.dk, cand);
        if (dvt == 0 || cost < best) dvt = cand, best = cost;
    }
    // A device whose shared memory cannot hold a chunk (dk = 256 before Hopper) runs the recurrence.
    if (dvt == 0) {
        delta_rule_recurrent(a, stream);
        return;
    }

    const bool vec = qk_rows_aligned(a);
    switch (kmax) {
        case 32: launch_chunked_kmax<32>(a, dvt, vec, stream); break;
        case 64: launch_chunked_kmax<64>(a, dvt, vec, stream); break;
        case 128: launch_chunked_kmax<128>(a, dvt, vec, stream); break;
        default: launch_chunked_kmax<256>(a, dvt, vec, stream); break;
    }
    check_launch("delta_rule_chunked");
}

}  // namespace dn::cuda
