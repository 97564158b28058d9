// Elementwise and row-wise kernels of the CUDA backend: conversions, the embedding gather, the
// norms, the q/k transform, beta, the gated decay, the GLU, biases and residual adds. The math is
// the CPU backend's (backends/cpu/elementwise.cpp) formula for formula: the same float32 operations
// in the same order, and float64 where the CPU sums squares in float64, so that the two agree to a
// few float32 ulps (expf/logf and CUDA's division differ from the host libm by at most an ulp or two).
//
// Row kernels give each row (or head vector) a team of threads: one warp for short rows, up to a
// whole block for long ones. A team reads its row once into registers, reduces with warp shuffles
// (and shared memory across warps), and writes from registers. Kernels over contiguous data move
// 16 bytes per access where all their pointers and strides allow, and fall back to scalar accesses
// otherwise.
#include "backends/cuda/gpu_runtime.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <type_traits>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/dependent_launch.cuh"
#include "backends/cuda/device_math.cuh"
#include "backends/cuda/kernels.h"

namespace dn::cuda {

namespace {

constexpr int kBlock = 256;            // threads per block of the flat and gather kernels
constexpr int kMaxTeam = 1024;         // threads of the largest row team (one block)
constexpr int64_t kMaxFlatBlocks = 8192;  // grid-stride kernels: enough blocks to fill any GPU

bool aligned(const void *p, int bytes) { return reinterpret_cast<uintptr_t>(p) % uintptr_t(bytes) == 0; }
bool aligned16(const void *p) { return aligned(p, 16); }

// ---- float math shared with the CPU reference ----

// A bfloat16 is the high half of a float32, so widening is exact.
__device__ __forceinline__ float bf16_bits_to_float(uint32_t bits) { return __uint_as_float(bits << 16); }

// ---- V consecutive floats as one access: 16 bytes when V = 4 ----

template <int V>
struct Vec {
    float v[V];
};

template <int V>
__device__ __forceinline__ Vec<V> load(const float *p) {
    Vec<V> r;
    if constexpr (V == 4) {
        const float4 q = *reinterpret_cast<const float4 *>(p);
        r.v[0] = q.x;
        r.v[1] = q.y;
        r.v[2] = q.z;
        r.v[3] = q.w;
    } else {
        static_assert(V == 1);
        r.v[0] = *p;
    }
    return r;
}

template <int V>
__device__ __forceinline__ void store(float *p, const Vec<V> &a) {
    if constexpr (V == 4) {
        *reinterpret_cast<float4 *>(p) = make_float4(a.v[0], a.v[1], a.v[2], a.v[3]);
    } else {
        static_assert(V == 1);
        *p = a.v[0];
    }
}

template <int V>
__device__ __forceinline__ double sum_of_squares(const Vec<V> &a) {
    double s = 0.0;
#pragma unroll
    for (int e = 0; e < V; ++e) s += double(a.v[e]) * double(a.v[e]);
    return s;
}

// ---- row teams ----

// Accesses of its row each team thread keeps in registers: 16 floats, or 8 on the scalar path,
// whose per-access addresses cost registers too (more spills at the 64 registers of 1024 threads).
template <int V>
constexpr int kCached = V == 4 ? 4 : 8;

// A team of 2^shift threads (at least a warp) per row; a block holds one team or several.
struct Team {
    int64_t row;
    int tid;
    int size;
};

__device__ __forceinline__ Team team_of(int shift) {
    const int size = 1 << shift;
    return {int64_t(blockIdx.x) * (blockDim.x >> shift) + (threadIdx.x >> shift), int(threadIdx.x & (size - 1)), size};
}

template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
    // An xor butterfly adds the same two partials in both lanes of a pair, so every lane ends with
    // the bit-identical total.
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

// The sum of v over the team, in every thread of it. Every thread of the block must call it, and
// at most once per kernel (its shared memory is not fenced for reuse).
template <typename T>
__device__ __forceinline__ T team_sum(T v, int size) {
    v = warp_sum(v);
    if (size <= 32) return v;
    __shared__ T partial[kMaxTeam / 32];
    if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = v;
    __syncthreads();
    const int first = (threadIdx.x & ~unsigned(size - 1)) >> 5;
    T sum = 0;
    for (int w = 0; w < size / 32; ++w) sum += partial[first + w];
    return sum;
}

struct TeamLaunch {
    int shift;
    dim3 grid, block;
};

// Teams sized so that each thread holds about half its register cache of a row of `items`
// accesses of V floats. Rows longer than a block's worth of caches are refused.
template <int V>
TeamLaunch team_launch(int64_t rows, int64_t items, const char *what) {
    constexpr int64_t cache = kCached<V>;
    int size = 32;
    while (size < kMaxTeam && size * (cache / 2) < items) size *= 2;
    if (size * cache < items)
        fail(DN_ERR_UNSUPPORTED, what, ": rows of ", items * V, " floats exceed the ", kMaxTeam * cache * V,
             " one block holds", V == 1 ? " (unaligned rows)" : "");
    const int threads = std::max(size, kBlock);
    const int64_t teams = threads / size;
    const int64_t blocks = (rows + teams - 1) / teams;
    if (blocks > INT_MAX) fail(DN_ERR_UNSUPPORTED, what, ": ", rows, " rows are too many for one launch");
    int shift = 0;
    while ((1 << shift) < size) ++shift;
    return {shift, dim3(unsigned(blocks)), dim3(unsigned(threads))};
}

// ---- rows x items grids for the gathers and row-broadcast kernels ----

// Blocks of kBlock threads: x across a row's items (as many as the row has, up to kBlock), y across
// rows; the grid's x is rows (up to 2^31 - 1), its y column blocks that stride the row.
struct RowGrid {
    dim3 grid, block;
};

RowGrid row_grid(int64_t rows, int64_t items, const char *what) {
    int bx = 32;
    while (bx < kBlock && bx < items) bx *= 2;
    const int by = kBlock / bx;
    const int64_t gx = (rows + by - 1) / by;
    if (gx > INT_MAX) fail(DN_ERR_UNSUPPORTED, what, ": ", rows, " rows are too many for one launch");
    const int64_t gy = std::min<int64_t>((items + bx - 1) / bx, 65535);
    return {dim3(unsigned(gx), unsigned(gy)), dim3(unsigned(bx), unsigned(by))};
}

__device__ __forceinline__ int64_t grid_row() { return int64_t(blockIdx.x) * blockDim.y + threadIdx.y; }
__device__ __forceinline__ int64_t grid_col() { return int64_t(blockIdx.y) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ int64_t grid_col_step() { return int64_t(gridDim.y) * blockDim.x; }

dim3 flat_grid(int64_t items) {
    return dim3(unsigned(std::clamp<int64_t>((items + kBlock - 1) / kBlock, 1, kMaxFlatBlocks)));
}

__device__ __forceinline__ int64_t flat_index() { return int64_t(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ int64_t flat_step() { return int64_t(gridDim.x) * blockDim.x; }

// ---- kernels ----

template <int V>
__global__ void to_bf16_kernel(const float *x, int64_t x_stride, int64_t rows, int64_t cols, uint16_t *out) {
    dependent_kernel_begin();
    const int64_t r = grid_row();
    if (r >= rows) return;
    const float *in = x + r * x_stride;
    uint16_t *o = out + r * cols;
    for (int64_t i = grid_col(); i < cols / V; i += grid_col_step()) {
        const Vec<V> a = load<V>(in + i * V);
        uint16_t h[V];
#pragma unroll
        for (int e = 0; e < V; ++e) h[e] = __bfloat16_as_ushort(__float2bfloat16_rn(a.v[e]));
        if constexpr (V == 4) {
            *reinterpret_cast<uint2 *>(o + i * V) =
                make_uint2(h[0] | uint32_t(h[1]) << 16, h[2] | uint32_t(h[3]) << 16);
        } else {
            o[i] = h[0];
        }
    }
}

// E: table elements per access (8 bfloat16 or 4 float32 in 16 bytes, or 1).
template <bool kBf16, int E>
__global__ void embed_kernel(const void *table, int64_t cols, const int32_t *ids, int64_t n, float *out) {
    dependent_kernel_begin();
    const int64_t r = grid_row();
    if (r >= n) return;
    const int64_t row = ids[r];
    float *o = out + r * cols;
    for (int64_t i = grid_col(); i < cols / E; i += grid_col_step()) {
        float f[E];
        if constexpr (kBf16) {
            const uint16_t *t = static_cast<const uint16_t *>(table) + row * cols + i * E;
            if constexpr (E == 8) {
                const uint4 q = __ldg(reinterpret_cast<const uint4 *>(t));
                const uint32_t words[4] = {q.x, q.y, q.z, q.w};
#pragma unroll
                for (int w = 0; w < 4; ++w) {
                    f[2 * w] = bf16_bits_to_float(words[w] & 0xffffu);
                    f[2 * w + 1] = bf16_bits_to_float(words[w] >> 16);
                }
            } else {
                f[0] = bf16_bits_to_float(__ldg(t));
            }
        } else {
            const float *t = static_cast<const float *>(table) + row * cols + i * E;
            if constexpr (E == 4) {
                const float4 q = __ldg(reinterpret_cast<const float4 *>(t));
                f[0] = q.x;
                f[1] = q.y;
                f[2] = q.z;
                f[3] = q.w;
            } else {
                f[0] = __ldg(t);
            }
        }
        if constexpr (E == 1) {
            o[i] = f[0];
        } else {
#pragma unroll
            for (int e = 0; e < E; e += 4) store<4>(o + i * E + e, Vec<4>{{f[e], f[e + 1], f[e + 2], f[e + 3]}});
        }
    }
}

// Calls f(j, i) for the team thread's cached accesses j, at access i of the row. The row kernels
// run separate loops for loads, math and stores: a store may alias a later load as far as the
// compiler knows, so only store-free loops get all of their loads in flight at once.
template <int J, typename F>
__device__ __forceinline__ void for_each_cached(const Team &t, int n, F &&f) {
#pragma unroll
    for (int j = 0; j < J; ++j) {
        const int i = t.tid + j * t.size;
        if (i < n) f(j, i);
    }
}

// y = x / rms(x) * weight (* silu(gate)).
template <int V>
__global__ void __launch_bounds__(kMaxTeam)
    rms_norm_kernel(const float *x, int64_t x_stride, const float *weight, const float *gate, int64_t gate_stride,
                    float *y, int64_t y_stride, int64_t rows, int dim, float eps, int team_shift) {
    dependent_kernel_begin();
    constexpr int J = kCached<V>;
    const Team t = team_of(team_shift);
    const bool active = t.row < rows;
    const int n = active ? dim / V : 0;
    Vec<V> v[J];
    const float *in = x + t.row * x_stride;
    for_each_cached<J>(t, n, [&](int j, int i) { v[j] = load<V>(in + i * V); });
    double ss = 0.0;
    for_each_cached<J>(t, n, [&](int j, int) { ss += sum_of_squares(v[j]); });
    ss = team_sum(ss, t.size);
    if (!active) return;
    // The CPU's float64 rms, rounded once to float32.
    const float rstd = float(1.0 / sqrt(ss / dim + double(eps)));
    for_each_cached<J>(t, n, [&](int j, int i) {
        const Vec<V> w = load<V>(weight + i * V);
#pragma unroll
        for (int e = 0; e < V; ++e) v[j].v[e] = v[j].v[e] * rstd * w.v[e];
    });
    if (gate) {
        const float *g = gate + t.row * gate_stride;
        for_each_cached<J>(t, n, [&](int j, int i) {
            const Vec<V> gv = load<V>(g + i * V);
#pragma unroll
            for (int e = 0; e < V; ++e) v[j].v[e] *= gv.v[e] * sigmoid(gv.v[e]);
        });
    }
    float *out = y + t.row * y_stride;
    for_each_cached<J>(t, n, [&](int j, int i) { store<V>(out + i * V, v[j]); });
}

// residual += delta; y = residual / rms(residual) * weight, on dense rows.
template <int V>
__global__ void __launch_bounds__(kMaxTeam)
    add_rms_norm_kernel(float *residual, const float *delta, const float *weight, float *y, int64_t rows, int dim,
                        float eps, int team_shift) {
    dependent_kernel_begin();
    constexpr int J = kCached<V>;
    const Team t = team_of(team_shift);
    const bool active = t.row < rows;
    const int n = active ? dim / V : 0;
    Vec<V> v[J];
    float *res = residual + t.row * dim;
    const float *d = delta + t.row * dim;
    for_each_cached<J>(t, n, [&](int j, int i) { v[j] = load<V>(res + i * V); });
    for_each_cached<J>(t, n, [&](int j, int i) {
        const Vec<V> dv = load<V>(d + i * V);
#pragma unroll
        for (int e = 0; e < V; ++e) v[j].v[e] += dv.v[e];
    });
    double ss = 0.0;
    for_each_cached<J>(t, n, [&](int j, int i) {
        store<V>(res + i * V, v[j]);
        ss += sum_of_squares(v[j]);
    });
    ss = team_sum(ss, t.size);
    if (!active) return;
    const float rstd = float(1.0 / sqrt(ss / dim + double(eps)));
    for_each_cached<J>(t, n, [&](int j, int i) {
        const Vec<V> w = load<V>(weight + i * V);
#pragma unroll
        for (int e = 0; e < V; ++e) v[j].v[e] = v[j].v[e] * rstd * w.v[e];
    });
    float *out = y + t.row * dim;
    for_each_cached<J>(t, n, [&](int j, int i) { store<V>(out + i * V, v[j]); });
}

// In place on each head vector x[row][h][:dim]: activation, then L2 or sum normalisation, then scale.
template <int V>
__global__ void __launch_bounds__(kMaxTeam)
    qk_transform_kernel(float *x, int64_t stride, int64_t vectors, int heads, int dim, QKActivation act,
                        Backend::Norm norm, float scale, int team_shift) {
    dependent_kernel_begin();
    constexpr int J = kCached<V>;
    const Team t = team_of(team_shift);
    const bool active = t.row < vectors;
    const int n = active ? dim / V : 0;
    float *p = x + (t.row / heads) * stride + (t.row % heads) * int64_t(dim);
    Vec<V> v[J];
    for_each_cached<J>(t, n, [&](int j, int i) { v[j] = load<V>(p + i * V); });
    double ss = 0.0;
    float sum = 0.0f;
    for_each_cached<J>(t, n, [&](int j, int) {
#pragma unroll
        for (int e = 0; e < V; ++e) v[j].v[e] = qk_activation(v[j].v[e], act);
        if (norm == Backend::Norm::L2) ss += sum_of_squares(v[j]);
        // __fadd_rn: no fusing with the activation's product, which the CPU rounds first.
#pragma unroll
        for (int e = 0; e < V; ++e) sum = __fadd_rn(sum, v[j].v[e]);
    });
    // One reduction per kernel (team_sum's contract); the branch is uniform over the grid.
    float inv = 1.0f;
    if (norm == Backend::Norm::L2) inv = float(1.0 / sqrt(team_sum(ss, t.size) + 1e-6));
    else if (norm == Backend::Norm::Sum) sum = team_sum(sum, t.size);
    if (!active) return;
    for_each_cached<J>(t, n, [&](int j, int i) {
        // Normalise first, then scale, as fla does (and the CPU reference, for its rounding).
#pragma unroll
        for (int e = 0; e < V; ++e) {
            float &a = v[j].v[e];
            if (norm == Backend::Norm::L2) a = (a * inv) * scale;
            else if (norm == Backend::Norm::Sum) a = (a / sum) * scale;
            else a *= scale;
        }
        store<V>(p + i * V, v[j]);
    });
}

__global__ void beta_kernel(float *b, int64_t stride, int64_t rows, int heads, float factor, bool b_is_one) {
    dependent_kernel_begin();
    for (int64_t i = flat_index(); i < rows * heads; i += flat_step()) {
        float &v = b[(i / heads) * stride + i % heads];
        v = b_is_one ? factor : sigmoid(v) * factor;
    }
}

__global__ void gated_decay_kernel(float *a, int64_t stride, int64_t rows, int heads, const float *A_log,
                                   const float *dt_bias) {
    dependent_kernel_begin();
    for (int64_t i = flat_index(); i < rows * heads; i += flat_step()) {
        const int h = int(i % heads);
        float &v = a[(i / heads) * stride + h];
        v = -expf(A_log[h]) * softplus(v + dt_bias[h]);
    }
}

// Flat kernels: n / V accesses of V floats, then the last n % V elements one by one.
template <int V>
__global__ void glu_kernel(const float *gate, const float *up, float *out, int64_t n, MlpActivation act) {
    dependent_kernel_begin();
    for (int64_t i = flat_index(); i < n / V; i += flat_step()) {
        const Vec<V> g = load<V>(gate + i * V);
        const Vec<V> u = load<V>(up + i * V);
        Vec<V> o;
#pragma unroll
        for (int e = 0; e < V; ++e) o.v[e] = glu_value(g.v[e], u.v[e], act);
        store<V>(out + i * V, o);
    }
    const int64_t k = n / V * V + flat_index();
    if (V > 1 && k < n) out[k] = glu_value(gate[k], up[k], act);
}

// bf16(act(gate) * up), V per access (out is densely packed bfloat16).
template <int V>
__global__ void glu_to_bf16_kernel(const float *gate, const float *up, uint16_t *out, int64_t n, MlpActivation act) {
    dependent_kernel_begin();
    for (int64_t i = flat_index(); i < n / V; i += flat_step()) {
        const Vec<V> g = load<V>(gate + i * V);
        const Vec<V> u = load<V>(up + i * V);
        uint16_t h[V];
#pragma unroll
        for (int e = 0; e < V; ++e) h[e] = __bfloat16_as_ushort(__float2bfloat16_rn(glu_value(g.v[e], u.v[e], act)));
        if constexpr (V == 4) {
            *reinterpret_cast<uint2 *>(out + i * V) = make_uint2(h[0] | uint32_t(h[1]) << 16, h[2] | uint32_t(h[3]) << 16);
        } else {
            out[i] = h[0];
        }
    }
    const int64_t k = n / V * V + flat_index();
    if (V > 1 && k < n) out[k] = __bfloat16_as_ushort(__float2bfloat16_rn(glu_value(gate[k], up[k], act)));
}

template <int V>
__global__ void add_kernel(float *y, const float *x, int64_t n) {
    dependent_kernel_begin();
    for (int64_t i = flat_index(); i < n / V; i += flat_step()) {
        Vec<V> a = load<V>(y + i * V);
        const Vec<V> b = load<V>(x + i * V);
#pragma unroll
        for (int e = 0; e < V; ++e) a.v[e] += b.v[e];
        store<V>(y + i * V, a);
    }
    const int64_t k = n / V * V + flat_index();
    if (V > 1 && k < n) y[k] += x[k];
}

__global__ void split_columns_kernel(const float *src, int64_t src_ld, int64_t rows, const ColumnSlices s) {
    dependent_kernel_begin();
    const int64_t r = grid_row();
    if (r >= rows) return;
    const int64_t width = s.first_col[s.count];
    for (int64_t c = grid_col(); c < width; c += grid_col_step()) {
        int j = 0;
        while (c >= s.first_col[j + 1]) ++j;
        s.dst[j][r * s.dst_stride[j] + c - s.first_col[j]] = src[r * src_ld + c];
    }
}

template <int V>
__global__ void add_bias_kernel(float *y, int64_t stride, int64_t rows, const float *bias, int dim) {
    dependent_kernel_begin();
    const int64_t r = grid_row();
    if (r >= rows) return;
    float *row = y + r * stride;
    for (int64_t i = grid_col(); i < dim / V; i += grid_col_step()) {
        Vec<V> a = load<V>(row + i * V);
        const Vec<V> b = load<V>(bias + i * V);
#pragma unroll
        for (int e = 0; e < V; ++e) a.v[e] += b.v[e];
        store<V>(row + i * V, a);
    }
}

// Runs f(std::integral_constant<int, V>) with V = 4 (16-byte accesses) when `vec`, else V = 1.
template <typename F>
void with_width(bool vec, F &&f) {
    if (vec) f(std::integral_constant<int, 4>{});
    else f(std::integral_constant<int, 1>{});
}

}  // namespace

void to_bf16(const float *x, int64_t x_stride, int64_t rows, int64_t cols, uint16_t *out, cudaStream_t stream) {
    if (rows <= 0 || cols <= 0) return;
    const bool vec = aligned16(x) && x_stride % 4 == 0 && cols % 4 == 0 && aligned(out, 8);
    with_width(vec, [&](auto width) {
        constexpr int V = decltype(width)::value;
        const RowGrid g = row_grid(rows, cols / V, "to_bf16");
        launch_dependent(to_bf16_kernel<V>, g.grid, g.block, 0, stream, "to_bf16_kernel", x, x_stride, rows, cols, out);
    });
    check_launch("to_bf16");
}

void embed(const void *table, bool table_bf16, int64_t cols, const int32_t *ids, int64_t n, float *out,
           cudaStream_t stream) {
    if (n <= 0 || cols <= 0) return;
    const int64_t row_bytes = cols * (table_bf16 ? 2 : 4);
    const bool vec = aligned16(table) && row_bytes % 16 == 0 && aligned16(out);
    const int E = vec ? (table_bf16 ? 8 : 4) : 1;
    const RowGrid g = row_grid(n, cols / E, "embed");
    if (table_bf16) {
        if (vec) launch_dependent(embed_kernel<true, 8>, g.grid, g.block, 0, stream, "embed_kernel", table, cols, ids, n, out);
        else launch_dependent(embed_kernel<true, 1>, g.grid, g.block, 0, stream, "embed_kernel", table, cols, ids, n, out);
    } else {
        if (vec) launch_dependent(embed_kernel<false, 4>, g.grid, g.block, 0, stream, "embed_kernel", table, cols, ids, n, out);
        else launch_dependent(embed_kernel<false, 1>, g.grid, g.block, 0, stream, "embed_kernel", table, cols, ids, n, out);
    }
    check_launch("embed");
}

void rms_norm(const float *x, int64_t x_stride, const float *weight, const float *gate, int64_t gate_stride, float *y,
              int64_t y_stride, int64_t rows, int dim, float eps, cudaStream_t stream) {
    if (rows <= 0 || dim <= 0) return;
    const bool vec = dim % 4 == 0 && aligned16(x) && x_stride % 4 == 0 && aligned16(y) && y_stride % 4 == 0 &&
                     aligned16(weight) && (!gate || (aligned16(gate) && gate_stride % 4 == 0));
    with_width(vec, [&](auto width) {
        constexpr int V = decltype(width)::value;
        const TeamLaunch l = team_launch<V>(rows, dim / V, "rms_norm");
        launch_dependent(rms_norm_kernel<V>, l.grid, l.block, 0, stream, "rms_norm_kernel", x, x_stride, weight, gate, gate_stride, y, y_stride, rows,
                                                           dim, eps, l.shift);
    });
    check_launch("rms_norm");
}

void add_rms_norm(float *residual, const float *delta, const float *weight, float *y, int64_t rows, int dim, float eps,
                  cudaStream_t stream) {
    if (rows <= 0 || dim <= 0) return;
    const bool vec = dim % 4 == 0 && aligned16(residual) && aligned16(delta) && aligned16(weight) && aligned16(y);
    with_width(vec, [&](auto width) {
        constexpr int V = decltype(width)::value;
        const TeamLaunch l = team_launch<V>(rows, dim / V, "add_rms_norm");
        launch_dependent(add_rms_norm_kernel<V>, l.grid, l.block, 0, stream, "add_rms_norm_kernel", residual, delta, weight, y, rows, dim, eps, l.shift);
    });
    check_launch("add_rms_norm");
}

void add(float *y, const float *x, size_t count, cudaStream_t stream) {
    if (count == 0) return;
    const int64_t n = int64_t(count);
    with_width(aligned16(y) && aligned16(x), [&](auto width) {
        constexpr int V = decltype(width)::value;
        launch_dependent(add_kernel<V>, flat_grid(n / V + 1), kBlock, 0, stream, "add_kernel", y, x, n);
    });
    check_launch("add");
}

void qk_transform(float *x, int64_t stride, int64_t rows, int heads, int dim, QKActivation act, Backend::Norm norm,
                  float scale, cudaStream_t stream) {
    if (rows <= 0 || heads <= 0 || dim <= 0) return;
    if (act == QKActivation::Identity && norm == Backend::Norm::None && scale == 1.0f) return;
    const bool vec = dim % 4 == 0 && aligned16(x) && stride % 4 == 0;
    with_width(vec, [&](auto width) {
        constexpr int V = decltype(width)::value;
        const TeamLaunch l = team_launch<V>(rows * heads, dim / V, "qk_transform");
        launch_dependent(qk_transform_kernel<V>, l.grid, l.block, 0, stream, "qk_transform_kernel", x, stride, rows * heads, heads, dim, act, norm, scale,
                                                               l.shift);
    });
    check_launch("qk_transform");
}

void beta(float *b, int64_t stride, int64_t rows, int heads, float factor, bool b_is_one, cudaStream_t stream) {
    if (rows <= 0 || heads <= 0) return;
    launch_dependent(beta_kernel, flat_grid(rows * heads), kBlock, 0, stream, "beta_kernel", b, stride, rows, heads, factor, b_is_one);
    check_launch("beta");
}

void gated_decay(float *a, int64_t stride, int64_t rows, int heads, const float *A_log, const float *dt_bias,
                 cudaStream_t stream) {
    if (rows <= 0 || heads <= 0) return;
    launch_dependent(gated_decay_kernel, flat_grid(rows * heads), kBlock, 0, stream, "gated_decay_kernel", a, stride, rows, heads, A_log, dt_bias);
    check_launch("gated_decay");
}

void glu(const float *gate, const float *up, float *out, int64_t rows, int dim, MlpActivation act,
         cudaStream_t stream) {
    if (rows <= 0 || dim <= 0) return;
    const int64_t n = rows * dim;
    with_width(aligned16(gate) && aligned16(up) && aligned16(out), [&](auto width) {
        constexpr int V = decltype(width)::value;
        launch_dependent(glu_kernel<V>, flat_grid(n / V + 1), kBlock, 0, stream, "glu_kernel", gate, up, out, n, act);
    });
    check_launch("glu");
}

void glu_to_bf16(const float *gate, const float *up, int64_t rows, int dim, MlpActivation act, uint16_t *out,
                 cudaStream_t stream) {
    if (rows <= 0 || dim <= 0) return;
    const int64_t n = rows * dim;
    with_width(aligned16(gate) && aligned16(up) && aligned(out, 8), [&](auto width) {
        constexpr int V = decltype(width)::value;
        launch_dependent(glu_to_bf16_kernel<V>, flat_grid(n / V + 1), kBlock, 0, stream, "glu_to_bf16", gate, up, out,
                         n, act);
    });
    check_launch("glu_to_bf16");
}

void split_columns(const float *src, int64_t src_ld, int64_t rows, const ColumnSlices &slices, cudaStream_t stream) {
    if (slices.count < 1 || slices.count > kMaxColumnSlices)
        fail(DN_ERR_INVALID_ARGUMENT, "split_columns: ", slices.count, " outputs (1..", kMaxColumnSlices, ")");
    const int64_t width = slices.first_col[slices.count];
    if (rows <= 0 || width <= 0) return;
    const RowGrid g = row_grid(rows, width, "split_columns");
    launch_dependent(split_columns_kernel, g.grid, g.block, 0, stream, "split_columns_kernel", src, src_ld, rows, slices);
    check_launch("split_columns");
}

void add_bias(float *y, int64_t stride, int64_t rows, const float *bias, int dim, cudaStream_t stream) {
    if (rows <= 0 || dim <= 0) return;
    const bool vec = dim % 4 == 0 && aligned16(y) && stride % 4 == 0 && aligned16(bias);
    with_width(vec, [&](auto width) {
        constexpr int V = decltype(width)::value;
        const RowGrid g = row_grid(rows, dim / V, "add_bias");
        launch_dependent(add_bias_kernel<V>, g.grid, g.block, 0, stream, "add_bias_kernel", y, stride, rows, bias, dim);
    });
    check_launch("add_bias");
}

}  // namespace dn::cuda
