// Softmax attention (backends/backend.h's AttentionArgs) for the CUDA backend, with the CPU
// backend's semantics (backends/cpu/attention.cpp): fla's RoPE (rotate-half), causal attention in
// which a query at absolute position p sees keys max(0, p - (window-1)) .. p (all of 0 .. p when
// window == 0), grouped-query heads, scale 1/sqrt(head_dim), and a ring cache of `capacity` rows
// (slot = absolute position % capacity) that keeps the newest keys/values.
//
// A launcher may not allocate, so unlike the CPU code nothing gathers the visible keys into one
// buffer: every kernel reads a key where it lives, the ring for positions before `position` and
// k/v for the new rows. Three kernels, in stream order:
//   1. rope_kernel rotates q and k in place (a block per token).
//   2. Attention, one of:
//      - decode_kernel, for up to 32 query rows (tokens x heads of a kv group): blocks per (token,
//        head) whose groups of 8 lanes split the key range with an online softmax each, merged
//        through shuffles and shared memory; on sm_90 a thread block cluster of up to 8 blocks
//        splits the keys of one (token, head) and merges through distributed shared memory.
//      - tile_kernel, for prefill: a block per 64 query rows of one kv head (rows are (token, head
//        of the kv head's group) pairs, so the heads sharing keys share the tiles), flash-style:
//        K and V tiles staged in shared memory by cp.async, a register tile of scores and one of
//        outputs per thread, float32 FMAs on the CUDA cores, online softmax in base 2.
//   3. ring_write_kernel stores the newest min(T, capacity) rotated keys and their values in the
//      ring. It must run after the attention kernel: the slots it overwrites may hold keys that the
//      first new queries still see.
//
// Limits (the launcher throws DN_ERR_UNSUPPORTED beyond them): head_dim a multiple of 4 up to 256;
// position + T below 2^31; num_heads up to 65535.
#include "backends/cuda/gpu_runtime.h"
#if !DN_GPU_PORTABLE
#include <cooperative_groups.h>
#endif

#include <atomic>
#include <cmath>
#include <cstdint>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/kernels.h"
#include "core/error.h"

namespace dn::cuda {

namespace {

constexpr int kMaxHeadDim = 256;
constexpr float kLog2e = 1.4426950408889634f;

// What the attention kernels read; positions and counts are absolute, as in AttentionArgs.
struct Params {
    const float *q; int64_t q_stride;
    const float *k; int64_t k_stride;
    const float *v; int64_t v_stride;
    const float *k_cache, *v_cache;
    float *o; int64_t o_stride;
    int64_t T, position, window, capacity, kv_dim;
    int num_heads, group, head_dim;
    float scale_log2;  // 1/sqrt(head_dim) * log2(e): softmax with exp2 of scores in base 2
};

// The first key position that the query of new row t sees.
__device__ __forceinline__ int64_t first_key(const Params &p, int64_t t) {
    const int64_t pos = p.position + t;
    if (p.window == 0) return 0;
    return pos - (p.window - 1) > 0 ? pos - (p.window - 1) : 0;
}

// The key/value rows (head kvh) of absolute position `pos`. `lo` is a position no later than `pos`
// and no earlier than position - capacity (the launcher checks that every visible key is still in
// the ring), `lo_slot` its slot: so a cached position is at most one wrap past lo_slot, and needs no
// 64-bit modulo per key.
struct KVRow {
    const float *k, *v;
};
__device__ __forceinline__ KVRow kv_row(const Params &p, int kvh, int64_t pos, int64_t lo, int64_t lo_slot) {
    const int64_t head = int64_t(kvh) * p.head_dim;
    if (pos < p.position) {
        int64_t slot = lo_slot + (pos - lo);
        if (slot >= p.capacity) slot -= p.capacity;
        const int64_t off = slot * p.kv_dim + head;
        return {p.k_cache + off, p.v_cache + off};
    }
    const int64_t r = pos - p.position;
    return {p.k + r * p.k_stride + head, p.v + r * p.v_stride + head};
}

// Four consecutive floats: one 16-byte access where the launcher found every row 16-byte aligned.
template <bool kVec4>
__device__ __forceinline__ float4 load4(const float *p) {
    if constexpr (kVec4) return *reinterpret_cast<const float4 *>(p);
    else return make_float4(p[0], p[1], p[2], p[3]);
}
template <bool kVec4>
__device__ __forceinline__ void store4(float *p, float4 x) {
    if constexpr (kVec4) {
        *reinterpret_cast<float4 *>(p) = x;
    } else {
        p[0] = x.x; p[1] = x.y; p[2] = x.z; p[3] = x.w;
    }
}

__device__ __forceinline__ float dot4(float4 a, float4 b, float acc) {
    acc = fmaf(a.x, b.x, acc);
    acc = fmaf(a.y, b.y, acc);
    acc = fmaf(a.z, b.z, acc);
    return fmaf(a.w, b.w, acc);
}
__device__ __forceinline__ float4 axpby(float4 x, float a, float4 y, float b) {  // a*x + b*y
    return make_float4(fmaf(a, x.x, b * y.x), fmaf(a, x.y, b * y.y), fmaf(a, x.z, b * y.z), fmaf(a, x.w, b * y.w));
}
__device__ __forceinline__ float4 fma4(float a, float4 x, float4 y) {  // a*x + y
    return make_float4(fmaf(a, x.x, y.x), fmaf(a, x.y, y.y), fmaf(a, x.z, y.z), fmaf(a, x.w, y.w));
}
__device__ __forceinline__ float4 scale4(float4 x, float a) { return make_float4(x.x * a, x.y * a, x.z * a, x.w * a); }
__device__ __forceinline__ float4 shfl_xor4(float4 x, int mask) {
    return make_float4(__shfl_xor_sync(0xffffffffu, x.x, mask), __shfl_xor_sync(0xffffffffu, x.y, mask),
                       __shfl_xor_sync(0xffffffffu, x.z, mask), __shfl_xor_sync(0xffffffffu, x.w, mask));
}

// The online softmax's reference for exp2: the running maximum, or 0 while nothing was seen (so that
// exp2(-inf - ref) is 0 rather than NaN).
__device__ __forceinline__ float softmax_ref(float m) { return m == -INFINITY ? 0.0f : m; }

// ---------------------------------------------------------------------------------------------
// 1. RoPE, in place on q (num_heads) and k (num_kv_heads) of token t at position + t.

constexpr int kRopeThreads = 128;

__global__ __launch_bounds__(kRopeThreads) void rope_kernel(float *q, int64_t q_stride, int q_heads, float *k,
                                                            int64_t k_stride, int k_heads, int head_dim,
                                                            int64_t position, double theta) {
    __shared__ float cos_t[kMaxHeadDim / 2], sin_t[kMaxHeadDim / 2];
    const int64_t t = blockIdx.x;
    const int half = head_dim / 2;
    for (int i = threadIdx.x; i < half; i += blockDim.x) {
        // As fla: inv_freq = 1 / theta^(2i/d) in double rounded to float, the angle a float32
        // product (bit for bit the CPU's). Its cosine and sine in double, then rounded: nearly always
        // the correctly rounded float, like the CPU's cosf/sinf, even for angles of 1e5 radians and
        // whatever -use_fast_math does to the float functions.
        const float inv_freq = float(1.0 / pow(theta, double(2 * i) / head_dim));
        const float angle = float(position + t) * inv_freq;
        double s, c;
        sincos(double(angle), &s, &c);
        cos_t[i] = float(c);
        sin_t[i] = float(s);
    }
    __syncthreads();
    float *qt = q + t * q_stride, *kt = k + t * k_stride;
    const int pairs = (q_heads + k_heads) * half;
    for (int idx = threadIdx.x; idx < pairs; idx += blockDim.x) {
        const int h = idx / half, i = idx % half;
        float *x = h < q_heads ? qt + int64_t(h) * head_dim : kt + int64_t(h - q_heads) * head_dim;
        const float a = x[i], b = x[i + half], c = cos_t[i], s = sin_t[i];
        x[i] = a * c - b * s;
        x[i + half] = b * c + a * s;
    }
}

// ---------------------------------------------------------------------------------------------
// 2a. Decode: `splits` blocks per (token, head). Lanes work in groups of 8 on one key at a time, a
// lane holding 4-float chunks part, part+8, ... of the head (so 8 lanes read 128 contiguous bytes);
// the 32 groups of each of the splits blocks take interleaved keys, several at a time for loads in
// flight. Each group keeps an online softmax; shuffles merge a warp's groups, shared memory the
// block's warps. With splits > 1 (sm_90 and newer) the blocks of a (token, head) form a thread
// block cluster and block 0 merges the others' results through distributed shared memory: a
// decode step has only num_heads (token, head) pairs, too few to fill the GPU, and a launcher has
// no scratch memory for a split-K combine across unrelated blocks.

constexpr int kDecodeThreads = 256;
constexpr int kDecodeWarps = kDecodeThreads / 32;
constexpr int kLanesPerKey = 8;
constexpr int kKeyGroups = kDecodeThreads / kLanesPerKey;  // keys in flight per block and batch slot
constexpr int kMaxSplits = 8;                               // the portable cluster size

// Merges online-softmax states: (m, l, acc) absorbs (m2, l2, acc2).
template <int C>
__device__ __forceinline__ void merge_state(float &m, float &l, float4 (&acc)[C], float m2, float l2,
                                            const float4 (&acc2)[C]) {
    const float m_new = fmaxf(m, m2);
    const float ref = softmax_ref(m_new);
    const float a = exp2f(m - ref), b = exp2f(m2 - ref);
    l = l * a + l2 * b;
#pragma unroll
    for (int i = 0; i < C; ++i) acc[i] = axpby(acc[i], a, acc2[i], b);
    m = m_new;
}

template <int DP, bool kVec4>
__global__ __launch_bounds__(kDecodeThreads, 2) void decode_kernel(const Params p, const int splits) {
    constexpr int C = DP / (4 * kLanesPerKey);  // float4 chunks per lane: 2, 4, 8
    constexpr int B = 8 / C;                    // keys per group and step: 16 float4 of K and V in flight
    __shared__ float4 part_o[kDecodeWarps][DP / 4];
    __shared__ float part_m[kDecodeWarps], part_l[kDecodeWarps];

    const int split = blockIdx.x;
    const int64_t t = blockIdx.y;
    const int h = blockIdx.z, kvh = h / p.group;
    const int D = p.head_dim;
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int part = lane % kLanesPerKey;
    const int key_group = threadIdx.x / kLanesPerKey;

    float4 qv[C];
    const float *qrow = p.q + t * p.q_stride + int64_t(h) * D;
#pragma unroll
    for (int i = 0; i < C; ++i) {
        const int d = 4 * (part + kLanesPerKey * i);
        qv[i] = d < D ? load4<kVec4>(qrow + d) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    }

    const int64_t lo = first_key(p, t);
    const int64_t keys = p.position + t - lo + 1;
    const int64_t lo_slot = lo % p.capacity;
    const int64_t groups = int64_t(splits) * kKeyGroups;
    const int64_t first = int64_t(split) * kKeyGroups + key_group;

    float m = -INFINITY, l = 0.0f;
    float4 acc[C];
#pragma unroll
    for (int i = 0; i < C; ++i) acc[i] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);

    // The trip count is the same for the whole block, so the shuffles below always have all lanes.
    for (int64_t step = 0; step < keys; step += groups * B) {
        float4 kr[B][C], vr[B][C];
        bool valid[B];
#pragma unroll
        for (int b = 0; b < B; ++b) {
            const int64_t n = step + b * groups + first;
            valid[b] = n < keys;
            KVRow row{nullptr, nullptr};
            if (valid[b]) row = kv_row(p, kvh, lo + n, lo, lo_slot);
#pragma unroll
            for (int i = 0; i < C; ++i) {
                const int d = 4 * (part + kLanesPerKey * i);
                const bool ok = valid[b] && d < D;
                kr[b][i] = ok ? load4<kVec4>(row.k + d) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
                vr[b][i] = ok ? load4<kVec4>(row.v + d) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
            }
        }
        float s[B];
        float m_new = m;
#pragma unroll
        for (int b = 0; b < B; ++b) {
            float dot = 0.0f;
#pragma unroll
            for (int i = 0; i < C; ++i) dot = dot4(qv[i], kr[b][i], dot);
#pragma unroll
            for (int mask = 1; mask < kLanesPerKey; mask *= 2) dot += __shfl_xor_sync(0xffffffffu, dot, mask);
            s[b] = valid[b] ? dot * p.scale_log2 : -INFINITY;
            m_new = fmaxf(m_new, s[b]);
        }
        const float ref = softmax_ref(m_new);
        const float alpha = exp2f(m - ref);
        l *= alpha;
#pragma unroll
        for (int i = 0; i < C; ++i) acc[i] = scale4(acc[i], alpha);
#pragma unroll
        for (int b = 0; b < B; ++b) {
            const float w = exp2f(s[b] - ref);
            l += w;
#pragma unroll
            for (int i = 0; i < C; ++i) acc[i] = fma4(w, vr[b][i], acc[i]);
        }
        m = m_new;
    }

    // Merge the warp's 4 key groups (butterfly: every group ends with the warp's total).
#pragma unroll
    for (int mask = kLanesPerKey; mask < 32; mask *= 2) {
        float4 acc_other[C];
#pragma unroll
        for (int i = 0; i < C; ++i) acc_other[i] = shfl_xor4(acc[i], mask);
        const float m_other = __shfl_xor_sync(0xffffffffu, m, mask);
        const float l_other = __shfl_xor_sync(0xffffffffu, l, mask);
        merge_state(m, l, acc, m_other, l_other, acc_other);
    }
    if (lane < kLanesPerKey) {
#pragma unroll
        for (int i = 0; i < C; ++i) part_o[warp][part + kLanesPerKey * i] = acc[i];
        if (lane == 0) {
            part_m[warp] = m;
            part_l[warp] = l;
        }
    }
    __syncthreads();

    // Merge the warps: a thread per dimension. A block may have seen no key at all (m = -inf, l = 0),
    // but every query sees its own key, so the merged maximum of all blocks is finite and the total
    // positive.
    float m_block = -INFINITY;
#pragma unroll
    for (int w = 0; w < kDecodeWarps; ++w) m_block = fmaxf(m_block, part_m[w]);
    const float ref = softmax_ref(m_block);
    float l_block = 0.0f, weight[kDecodeWarps];
#pragma unroll
    for (int w = 0; w < kDecodeWarps; ++w) {
        weight[w] = exp2f(part_m[w] - ref);
        l_block = fmaf(part_l[w], weight[w], l_block);
    }
    auto block_sum = [&](int d) {  // dimension d of the block's unnormalised result
        float sum = 0.0f;
#pragma unroll
        for (int w = 0; w < kDecodeWarps; ++w) sum = fmaf(reinterpret_cast<const float *>(part_o[w])[d], weight[w], sum);
        return sum;
    };
    float *orow = p.o + t * p.o_stride + int64_t(h) * D;
    if (splits == 1) {
        for (int d = threadIdx.x; d < D; d += kDecodeThreads) orow[d] = block_sum(d) / l_block;
        return;
    }

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900 && !DN_GPU_PORTABLE
    namespace cg = cooperative_groups;
    const cg::cluster_group cluster = cg::this_cluster();
    __shared__ float block_o[DP];  // the block's result for the cluster merge
    __shared__ float block_ml[2];
    for (int d = threadIdx.x; d < D; d += kDecodeThreads) block_o[d] = block_sum(d);
    if (threadIdx.x == 0) {
        block_ml[0] = m_block;
        block_ml[1] = l_block;
    }
    cluster.sync();  // every block's result is in its shared memory, visible to the cluster
    if (cluster.block_rank() == 0) {
        float ms[kMaxSplits], ls[kMaxSplits];
        float m_all = -INFINITY;
#pragma unroll
        for (int r = 0; r < kMaxSplits; ++r) {
            ms[r] = r < splits ? cluster.map_shared_rank(block_ml, r)[0] : -INFINITY;
            ls[r] = r < splits ? cluster.map_shared_rank(block_ml, r)[1] : 0.0f;
            m_all = fmaxf(m_all, ms[r]);
        }
        float l_all = 0.0f;
#pragma unroll
        for (int r = 0; r < kMaxSplits; ++r) {
            ms[r] = exp2f(ms[r] - m_all);  // now the weight of block r
            l_all = fmaf(ls[r], ms[r], l_all);
        }
        for (int d = threadIdx.x; d < D; d += kDecodeThreads) {
            float sum = 0.0f;
#pragma unroll
            for (int r = 0; r < kMaxSplits; ++r)
                if (r < splits) sum = fmaf(cluster.map_shared_rank(block_o, r)[d], ms[r], sum);
            orow[d] = sum / l_all;
        }
    }
    cluster.sync();  // no block leaves (freeing its shared memory) while block 0 reads it
#else
    __trap();  // the launcher only splits where this kernel was built for sm_90 or newer
#endif
}

// ---------------------------------------------------------------------------------------------
// 2b. Prefill: a block per 64 query rows of one kv head, over tiles of BK keys (64, or 32 for
// head_dim > 128 so that the tiles fit an A100's shared memory). Thread (ty, tx) of a 16x16 layout
// owns query rows ty + 16i (i < 4), keys tx + 16j of each tile (j < BK/16) and output columns
// 4tx + 64c. Strided rather than contiguous rows and keys make the float4 shared-memory reads
// conflict-free: the 8 threads of a quarter warp read 8 different rows, 4 banks apart (row stride
// DP + 4), or share one address (broadcast). The 16 threads of a row are one half warp, so row
// reductions are 4 shuffles.
//
// Tiles travel global -> shared with cp.async into separate K and V buffers, pipelined: V of a tile
// loads during its scores, K of the next tile during the softmax and P*V.

constexpr int kTileQ = 64, kTileThreads = 256;

template <int DP>
struct TileShape {
    static constexpr int BK = DP > 128 ? 32 : 64;  // keys per tile
    static constexpr int RS = DP + 4;               // row stride of the Q, K and V tiles, floats
    static constexpr int PS = BK + 4;               // row stride of the probability tile
    static constexpr size_t smem_bytes = (size_t(kTileQ + 2 * BK) * RS + size_t(kTileQ) * PS) * sizeof(float);
};

// Copies 16 bytes global -> shared without a register round trip, or zero-fills them (`fill` false;
// `src` must still be a valid address). kVec4 false: four 4-byte copies, for rows not 16-byte aligned.
template <bool kVec4>
__device__ __forceinline__ void cp_async4(float *dst, const float *src, bool fill) {
#if DN_GPU_PORTABLE
    // A plain copy through registers: the waits below become no-ops, the __syncthreads() after them
    // still publishes the data.
    if constexpr (kVec4) {
        *reinterpret_cast<float4 *>(dst) = fill ? *reinterpret_cast<const float4 *>(src) : make_float4(0, 0, 0, 0);
    } else {
#pragma unroll
        for (int e = 0; e < 4; ++e) dst[e] = fill ? src[e] : 0.0f;
    }
#else
    const unsigned d = unsigned(__cvta_generic_to_shared(dst));
    if constexpr (kVec4) {
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src), "r"(fill ? 16 : 0)
                     : "memory");
    } else {
#pragma unroll
        for (int e = 0; e < 4; ++e)
            asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(d + 4 * e), "l"(src + (fill ? e : 0)),
                         "r"(fill ? 4 : 0)
                         : "memory");
    }
#endif
}
__device__ __forceinline__ void cp_async_commit() {
#if !DN_GPU_PORTABLE
    asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}
// Waits until at most `kPending` of this thread's newest groups are in flight; a __syncthreads()
// then publishes the landed data to the block.
template <int kPending>
__device__ __forceinline__ void cp_async_wait() {
#if !DN_GPU_PORTABLE
    asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending) : "memory");
#endif
}

template <int DP, bool kVec4>
__global__ __launch_bounds__(kTileThreads, DP <= 64 ? 2 : 1) void tile_kernel(const Params p) {
    using Shape = TileShape<DP>;
    constexpr int BK = Shape::BK, RS = Shape::RS, PS = Shape::PS;
    constexpr int KJ = BK / 16;       // keys per thread per tile
    constexpr int DC = DP / 64;       // output float4 columns per thread
    constexpr int CHUNKS = DP / 4;    // float4 per tile row
    constexpr int Q_LOADS = kTileQ * CHUNKS / kTileThreads, KV_LOADS = BK * CHUNKS / kTileThreads;
    static_assert(Q_LOADS * kTileThreads == kTileQ * CHUNKS && KV_LOADS * kTileThreads == BK * CHUNKS);
    constexpr int kUnrollS = DP <= 64 ? 1 : 2;  // DP = 64 must fit 128 registers (two blocks per SM)

    extern __shared__ float4 smem4[];
    float *Qs = reinterpret_cast<float *>(smem4);
    float *Ks = Qs + kTileQ * RS;
    float *Vs = Ks + BK * RS;
    float *Ps = Vs + BK * RS;

    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    const int kvh = blockIdx.y;
    const int D = p.head_dim, group = p.group;
    const int64_t rows = p.T * group;
    // Later tokens see more keys: start those tiles first.
    const int64_t row0 = int64_t(gridDim.x - 1 - blockIdx.x) * kTileQ;
    const int64_t tok0 = row0 / group;
    const int g0 = int(row0 % group);

    // Query row r of the block is flat row row0 + r: token tok0 + (g0 + r) / group, head
    // kvh * group + (g0 + r) % group.
#pragma unroll
    for (int n = 0; n < Q_LOADS; ++n) {
        const int idx = tid + n * kTileThreads, r = idx / CHUNKS, d = 4 * (idx % CHUNKS);
        const bool fill = row0 + r < rows && d < D;
        const float *src = p.q;
        if (fill) {
            const int tok = (g0 + r) / group, h = kvh * group + (g0 + r) % group;
            src = p.q + (tok0 + tok) * p.q_stride + int64_t(h) * D + d;
        }
        cp_async4<kVec4>(Qs + r * RS + d, src, fill);
    }

    // The block's keys are positions lo .. lo + keys - 1, counted from lo in 32 bits below (the
    // launcher checks that they fit). Thread row i sees keys q_first[i] .. q_last[i].
    const int64_t last_row = rows - 1 < row0 + kTileQ - 1 ? rows - 1 : row0 + kTileQ - 1;
    const int64_t lo = first_key(p, tok0);
    const int keys = int(p.position + last_row / group - lo + 1);
    const int64_t lo_slot = lo % p.capacity;
    int q_first[4], q_last[4];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int r = ty + 16 * i;
        q_last[i] = row0 + r < rows ? int(p.position + tok0 + (g0 + r) / group - lo) : -1;  // -1: padding
        q_first[i] = p.window ? q_last[i] - int(p.window - 1) : INT32_MIN;
    }

    // Starts copying keys or values lo + k0 .. lo + k0 + BK - 1 into `dst`; zeros past the last.
    auto load_tile = [&](float *dst, int k0, bool values) {
#pragma unroll
        for (int n = 0; n < KV_LOADS; ++n) {
            const int idx = tid + n * kTileThreads, j = idx / CHUNKS, d = 4 * (idx % CHUNKS);
            const bool fill = k0 + j < keys && d < D;
            const float *src = p.k;
            if (fill) {
                const KVRow row = kv_row(p, kvh, lo + k0 + j, lo, lo_slot);
                src = (values ? row.v : row.k) + d;
            }
            cp_async4<kVec4>(dst + j * RS + d, src, fill);
        }
    };

    float4 acc[4][DC];
    float m[4], l[4];  // l: this thread's share of the row sums (all share the row maximum m)
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        m[i] = -INFINITY;
        l[i] = 0.0f;
#pragma unroll
        for (int c = 0; c < DC; ++c) acc[i][c] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    }

    load_tile(Ks, 0, false);
    cp_async_commit();  // group: Q and the first K tile
    for (int k0 = 0; k0 < keys; k0 += BK) {
        load_tile(Vs, k0, true);
        cp_async_commit();
        cp_async_wait<1>();  // all but this V tile: Q and this K tile have landed
        __syncthreads();

        float s[4][KJ] = {};
#pragma unroll kUnrollS
        for (int d = 0; d < D; d += 4) {
            float4 qf[4], kf[KJ];
#pragma unroll
            for (int i = 0; i < 4; ++i) qf[i] = *reinterpret_cast<const float4 *>(Qs + (ty + 16 * i) * RS + d);
#pragma unroll
            for (int j = 0; j < KJ; ++j) kf[j] = *reinterpret_cast<const float4 *>(Ks + (tx + 16 * j) * RS + d);
#pragma unroll
            for (int i = 0; i < 4; ++i)
#pragma unroll
                for (int j = 0; j < KJ; ++j) s[i][j] = dot4(qf[i], kf[j], s[i][j]);
        }
        __syncthreads();  // every warp is done with this K tile: start the next one
        if (k0 + BK < keys) load_tile(Ks, k0 + BK, false);
        cp_async_commit();

        // Mask (causal, window, padding rows), then the online softmax update of each row.
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            float mx = m[i];
#pragma unroll
            for (int j = 0; j < KJ; ++j) {
                const int key = k0 + tx + 16 * j;
                const bool seen = key <= q_last[i] && key >= q_first[i];
                s[i][j] = seen ? s[i][j] * p.scale_log2 : -INFINITY;
                mx = fmaxf(mx, s[i][j]);
            }
#pragma unroll
            for (int mask = 1; mask < 16; mask *= 2) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, mask));
            const float ref = softmax_ref(mx);
            const float alpha = exp2f(m[i] - ref);
            m[i] = mx;
            l[i] *= alpha;
#pragma unroll
            for (int c = 0; c < DC; ++c) acc[i][c] = scale4(acc[i][c], alpha);
#pragma unroll
            for (int j = 0; j < KJ; ++j) {
                const float w = exp2f(s[i][j] - ref);
                l[i] += w;
                Ps[(ty + 16 * i) * PS + tx + 16 * j] = w;
            }
        }
        cp_async_wait<1>();  // this V tile has landed (the next K tile may still be on its way)
        __syncthreads();

#pragma unroll 2
        for (int j = 0; j < BK; j += 4) {
            float4 pf[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) pf[i] = *reinterpret_cast<const float4 *>(Ps + (ty + 16 * i) * PS + j);
#pragma unroll
            for (int jj = 0; jj < 4; ++jj) {
#pragma unroll
                for (int c = 0; c < DC; ++c) {
                    const float4 vf = *reinterpret_cast<const float4 *>(Vs + (j + jj) * RS + 4 * tx + 64 * c);
#pragma unroll
                    for (int i = 0; i < 4; ++i) {
                        const float w = jj == 0 ? pf[i].x : jj == 1 ? pf[i].y : jj == 2 ? pf[i].z : pf[i].w;
                        acc[i][c] = fma4(w, vf, acc[i][c]);
                    }
                }
            }
        }
        __syncthreads();  // every warp is done with this V tile and with Ps
    }

#pragma unroll
    for (int i = 0; i < 4; ++i) {
        float total = l[i];
#pragma unroll
        for (int mask = 1; mask < 16; mask *= 2) total += __shfl_xor_sync(0xffffffffu, total, mask);
        const int r = ty + 16 * i;
        if (row0 + r >= rows) continue;
        const int64_t tok = tok0 + (g0 + r) / group;
        const int h = kvh * group + (g0 + r) % group;
        float *orow = p.o + tok * p.o_stride + int64_t(h) * D;
        const float inv = 1.0f / total;  // > 0: every query sees its own key
#pragma unroll
        for (int c = 0; c < DC; ++c) {
            const int d = 4 * tx + 64 * c;
            if (d < D) store4<kVec4>(orow + d, scale4(acc[i][c], inv));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 3. The ring update: a block per kept row t (first .. T-1).

constexpr int kRingThreads = 256;

__global__ __launch_bounds__(kRingThreads) void ring_write_kernel(const float *k, int64_t k_stride, const float *v,
                                                                  int64_t v_stride, float *k_cache, float *v_cache,
                                                                  int64_t kv_dim, int64_t first, int64_t position,
                                                                  int64_t capacity) {
    const int64_t t = first + blockIdx.x;
    const int64_t slot = (position + t) % capacity;
    const float *ks = k + t * k_stride, *vs = v + t * v_stride;
    float *kd = k_cache + slot * kv_dim, *vd = v_cache + slot * kv_dim;
    for (int64_t i = threadIdx.x; i < kv_dim; i += kRingThreads) {
        kd[i] = ks[i];
        vd[i] = vs[i];
    }
}

// ---------------------------------------------------------------------------------------------

// Query rows (tokens x heads of a kv group) up to which the decode kernel runs: blocks per row
// streaming their keys beat 64-row tiles that would be mostly empty and too few to fill the GPU.
constexpr int64_t kDecodeMaxRows = 32;
constexpr int64_t kMinKeysPerSplit = 256;

#if !DN_GPU_PORTABLE
// A decode_kernel launch as clusters of `splits` blocks (one cluster per (token, head)).
cudaLaunchConfig_t decode_config(dim3 grid, int splits, cudaStream_t stream, cudaLaunchAttribute &cluster) {
    cudaLaunchConfig_t config = {};
    config.gridDim = grid;
    config.blockDim = dim3(kDecodeThreads);
    config.stream = stream;
    cluster.id = cudaLaunchAttributeClusterDimension;
    cluster.val.clusterDim.x = unsigned(splits);
    cluster.val.clusterDim.y = 1;
    cluster.val.clusterDim.z = 1;
    config.attrs = &cluster;
    config.numAttrs = 1;
    return config;
}

// The current device's SM count where decode_kernel<DP, kVec4> can split over clusters of up to
// kMaxSplits blocks, else 0: the device must be sm_90 or newer, and run this kernel from sm_90
// machine code (not from the compute_80 PTX, built without clusters). Cached per device: the
// queries cost microseconds, and decode launches once per attention layer and token.
template <int DP, bool kVec4>
int cluster_sms() {
    constexpr int kMaxDevices = 64;
    static std::atomic<int> known[kMaxDevices];  // 0: not asked yet; -1: no clusters; else SMs
    int device = 0;
    check(cudaGetDevice(&device), "cudaGetDevice");
    if (device < kMaxDevices) {
        const int cached = known[device].load(std::memory_order_relaxed);
        if (cached) return cached > 0 ? cached : 0;
    }
    int result = -1, major = 0;
    check(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device), "cudaDeviceGetAttribute");
    cudaFuncAttributes attributes;
    check(cudaFuncGetAttributes(&attributes, decode_kernel<DP, kVec4>), "attention decode_kernel attributes");
    if (major >= 9 && attributes.ptxVersion >= 90) {
        cudaLaunchAttribute cluster;
        const cudaLaunchConfig_t config = decode_config(dim3(kMaxSplits), kMaxSplits, nullptr, cluster);
        int clusters = 0;  // 0 where a cluster of kMaxSplits blocks cannot be placed at all (MIG, MPS)
        check(cudaOccupancyMaxActiveClusters(&clusters, decode_kernel<DP, kVec4>, &config),
              "attention decode_kernel clusters");
        if (clusters > 0) check(cudaDeviceGetAttribute(&result, cudaDevAttrMultiProcessorCount, device), "SM count");
    }
    if (device < kMaxDevices) known[device].store(result, std::memory_order_relaxed);
    return result > 0 ? result : 0;
}
#else
// Portable builds have no thread-block clusters: one block per (token, head).
template <int DP, bool kVec4>
int cluster_sms() { return 0; }
#endif

// Blocks per (token, head) for the decode kernel: about two blocks per SM in all, at most
// kMaxSplits, each with kMinKeysPerSplit keys or more; 1 without clusters.
template <int DP, bool kVec4>
int decode_splits(const Params &p) {
    const int64_t end = p.position + p.T;
    const int64_t keys = p.window && p.window < end ? p.window : end;  // the most any query sees
    const int64_t by_keys = keys / kMinKeysPerSplit < kMaxSplits ? keys / kMinKeysPerSplit : kMaxSplits;
    if (by_keys <= 1) return 1;
    const int sms = cluster_sms<DP, kVec4>();
    if (sms == 0) return 1;
    const int64_t pairs = p.T * p.num_heads;
    const int64_t by_fill = (2 * int64_t(sms) + pairs - 1) / pairs;
    return int(by_fill < by_keys ? by_fill : by_keys);
}

template <int DP, bool kVec4>
void launch_attention(const Params &p, cudaStream_t stream) {
#if DN_GPU_PORTABLE
    // The tile kernel needs more shared memory than an AMD workgroup has (64 KiB): portable builds
    // run every query row through the decode kernel, a block per row and head.
    constexpr bool kTilesFit = TileShape<DP>::smem_bytes <= size_t(dn::gpu::kPortableSharedBytes);
#else
    constexpr bool kTilesFit = true;
#endif
    if (p.T * p.group <= kDecodeMaxRows || !kTilesFit) {
        const int splits = decode_splits<DP, kVec4>(p);
        const dim3 grid(unsigned(splits), unsigned(p.T), unsigned(p.num_heads));
        if (splits == 1) {
            decode_kernel<DP, kVec4><<<grid, kDecodeThreads, 0, stream>>>(p, 1);
        } else {
#if !DN_GPU_PORTABLE
            cudaLaunchAttribute cluster;
            const cudaLaunchConfig_t config = decode_config(grid, splits, stream, cluster);
            check(cudaLaunchKernelEx(&config, decode_kernel<DP, kVec4>, p, splits), "attention decode_kernel");
#endif
        }
        check_launch("attention decode_kernel");
        return;
    }
    constexpr size_t smem = TileShape<DP>::smem_bytes;
    check(cudaFuncSetAttribute(tile_kernel<DP, kVec4>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)),
          "attention tile_kernel shared memory");
    const int64_t tiles = (p.T * p.group + kTileQ - 1) / kTileQ;
    const dim3 grid(unsigned(tiles), unsigned(p.num_heads / p.group));
    tile_kernel<DP, kVec4><<<grid, kTileThreads, smem, stream>>>(p);
    check_launch("attention tile_kernel");
}

template <int DP>
void launch_attention(const Params &p, bool vec4, cudaStream_t stream) {
    if (vec4) launch_attention<DP, true>(p, stream);
    else launch_attention<DP, false>(p, stream);
}

bool aligned16(const void *ptr) { return reinterpret_cast<uintptr_t>(ptr) % 16 == 0; }

}  // namespace

void attention(const AttentionArgs &a, cudaStream_t stream) {
    const int D = a.head_dim;
    if (a.num_heads <= 0 || a.num_kv_heads <= 0 || a.num_heads % a.num_kv_heads != 0)
        fail(DN_ERR_INVALID_ARGUMENT, "CUDA attention: ", a.num_heads, " heads do not split into ", a.num_kv_heads,
             " key/value heads");
    if (D < 4 || D > kMaxHeadDim || D % 4 != 0)
        fail(DN_ERR_UNSUPPORTED, "CUDA attention: head_dim ", D, " is not a multiple of 4 in 4..", kMaxHeadDim);
    if (a.T < 0 || a.position < 0 || a.window < 0 || a.capacity <= 0)
        fail(DN_ERR_INVALID_ARGUMENT, "CUDA attention: bad T ", a.T, ", position ", a.position, ", window ", a.window,
             " or capacity ", a.capacity);
    // The cached keys the first new token still sees must all be in the ring.
    const int64_t reach = a.window ? (a.position < a.window - 1 ? a.position : a.window - 1) : a.position;
    if (reach > a.capacity)
        fail(DN_ERR_INVALID_ARGUMENT, "CUDA attention: the ring of ", a.capacity, " rows cannot hold the ", reach,
             " cached keys in reach");
    if (a.T == 0) return;
    // Grid limits, and key positions that the tile kernel counts in 32 bits.
    if (a.position + a.T > int64_t(INT32_MAX) || a.num_heads > 65535)
        fail(DN_ERR_UNSUPPORTED, "CUDA attention: ", a.position + a.T, " positions of ", a.num_heads,
             " heads are too many");

    rope_kernel<<<unsigned(a.T), kRopeThreads, 0, stream>>>(a.q, a.q_stride, a.num_heads, a.k, a.k_stride,
                                                            a.num_kv_heads, D, a.position, a.rope_theta);
    check_launch("attention rope_kernel");

    Params p;
    p.q = a.q; p.q_stride = a.q_stride;
    p.k = a.k; p.k_stride = a.k_stride;
    p.v = a.v; p.v_stride = a.v_stride;
    p.k_cache = a.k_cache; p.v_cache = a.v_cache;
    p.o = a.o; p.o_stride = a.o_stride;
    p.T = a.T; p.position = a.position; p.capacity = a.capacity;
    // A window that reaches position 0 from every new token is global attention.
    p.window = a.window >= a.position + a.T ? 0 : a.window;
    p.kv_dim = int64_t(a.num_kv_heads) * D;
    p.num_heads = a.num_heads; p.group = a.num_heads / a.num_kv_heads; p.head_dim = D;
    p.scale_log2 = float(1.0 / std::sqrt(double(D))) * kLog2e;

    // 16-byte accesses when every row start is 16-byte aligned (head offsets are: D % 4 == 0).
    const bool vec4 = aligned16(a.q) && aligned16(a.k) && aligned16(a.v) && aligned16(a.o) && aligned16(a.k_cache) &&
                      aligned16(a.v_cache) && a.q_stride % 4 == 0 && a.k_stride % 4 == 0 && a.v_stride % 4 == 0 &&
                      a.o_stride % 4 == 0;
    if (D <= 64) launch_attention<64>(p, vec4, stream);
    else if (D <= 128) launch_attention<128>(p, vec4, stream);
    else launch_attention<256>(p, vec4, stream);

    const int64_t first = a.T > a.capacity ? a.T - a.capacity : 0;
    ring_write_kernel<<<unsigned(a.T - first), kRingThreads, 0, stream>>>(a.k, a.k_stride, a.v, a.v_stride, a.k_cache,
                                                                          a.v_cache, p.kv_dim, first, a.position,
                                                                          a.capacity);
    check_launch("attention ring_write_kernel");
}

}  // namespace dn::cuda
