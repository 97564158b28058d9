// Batched decode of the delta rule (backends/backend.h's DeltaRowsArgs): row b of q, k, v, beta, g
// is one token of sequence b, whose own state [Hv][dv][dk] is updated in place. Per sequence b,
// value head h (key head h / (Hv / Hk)) and state row r, as delta_rule.cu's recurrent kernel with
// T = 1:
//   sk = s_r . k,  u = beta (v_r - e sk),  s_r <- e s_r + u k,  o_r = s_r . q     (e = exp(g), or 1)
// The output is taken from the old row, o_r = e (s_r . q) + u (k . q), so that the three dot
// products s.k, s.q and k.q share one reduction and the new row is stored as soon as it is formed.
//
// Decode is bound by reading and writing the states (1 MB and more per sequence and layer), so the
// kernel reads and writes every state element exactly once, with 16-byte loads and stores where the
// layout allows, marked streaming (nothing reuses a state within the step). A group of P lanes owns
// R rows of one head's state in registers, P lanes side by side along each row (coalesced); the R
// rows of a group are kThreads / P rows apart, so that each of a block's load instructions covers
// consecutive rows. R rows per thread keep 16 state floats per thread in flight.
//
// grid = (row tiles of dv, Hv, sequences of this launch). The states are a host array of device
// pointers: each launch takes up to kSeqsPerLaunch of them by value in its parameters, so that a
// recorded CUDA graph holds them and nothing is staged on the device.
#include "backends/cuda/gpu_runtime.h"

#include <cstdint>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/dependent_launch.cuh"
#include "backends/cuda/kernels.h"
#include "core/error.h"

namespace dn::cuda {

namespace {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kMaxDk = 256;          // a thread's share of a state row lives in registers
constexpr int kThreads = 128;
constexpr int kSeqsPerLaunch = 256;  // 2 KiB of state pointers: the parameters stay under 4 KiB

struct DeltaRowsParams {
    int Hk, Hv, dk, dv;
    const float *q; int64_t q_stride;  // all row pointers already at this launch's first sequence
    const float *k; int64_t k_stride;
    const float *v; int64_t v_stride;
    const float *beta; int64_t beta_stride;
    const float *g; int64_t g_stride;  // null: no decay
    float *o; int64_t o_stride;
    float *states[kSeqsPerLaunch];     // [Hv][dv][dk] each; only the first grid.z are set
};
static_assert(sizeof(DeltaRowsParams) < 4000, "kernel parameters must stay under 4 KiB");

// Column of piece j of a lane's share of a row: NV pieces of VW consecutive floats, the P lanes of a
// group reading each piece of the row contiguously.
template <int P, int VW>
__device__ __forceinline__ int column(int lane, int j) {
    return (lane + j * P) * VW;
}

// Inputs from earlier kernels (q, k): ordinary loads, never the non-coherent path, as this kernel may be
// resident (released early, dependent_launch.cuh) while they are written. Columns past dk read as zero.
template <int P, int NV, int VW>
__device__ __forceinline__ void load_input(const float *row, int lane, int dk, float (&x)[NV][VW]) {
#pragma unroll
    for (int j = 0; j < NV; ++j) {
        const int c = column<P, VW>(lane, j);
        if constexpr (VW == 4) {
            const float4 v = c < dk ? __ldca(reinterpret_cast<const float4 *>(row + c)) : make_float4(0, 0, 0, 0);
            x[j][0] = v.x, x[j][1] = v.y, x[j][2] = v.z, x[j][3] = v.w;
        } else {
            x[j][0] = c < dk ? __ldca(row + c) : 0.0f;
        }
    }
}

// Butterfly sums over aligned groups of P lanes, N values at once so that their shuffles overlap;
// every lane of the group gets the totals.
template <int P, int N>
__device__ __forceinline__ void group_sums(float (&x)[N]) {
#pragma unroll
    for (int off = P / 2; off > 0; off >>= 1)
#pragma unroll
        for (int i = 0; i < N; ++i) x[i] += __shfl_xor_sync(kFullMask, x[i], off);
}

// Rows past dv (last row tile) run on zeros and store nothing; all lanes stay for the shuffles.
template <int P, int NV, int VW, int R>
__global__ void __launch_bounds__(kThreads) delta_rule_rows_kernel(const DeltaRowsParams a) {
    static_assert(P <= 32 && 32 % P == 0 && kThreads % P == 0, "row groups must tile a warp");
    constexpr int G = kThreads / P;  // row groups per block; a group's rows are G apart
    const int lane = threadIdx.x % P;
    const int r0 = blockIdx.x * (G * R) + threadIdx.x / P;
    const int h = blockIdx.y, b = blockIdx.z, kh = h / (a.Hv / a.Hk), dk = a.dk, dv = a.dv;
    float *state = a.states[b] + int64_t(h) * dv * dk;

    // The state rows first: they are the traffic; the small inputs' latency hides behind them.
    float s[R][NV][VW];
#pragma unroll
    for (int i = 0; i < R; ++i) {
        const int r = r0 + i * G;
        const float *row = state + int64_t(r < dv ? r : 0) * dk;
#pragma unroll
        for (int j = 0; j < NV; ++j) {
            const int c = column<P, VW>(lane, j);
            const bool ok = r < dv && c < dk;
            if constexpr (VW == 4) {
                const float4 v = ok ? __ldcs(reinterpret_cast<const float4 *>(row + c)) : make_float4(0, 0, 0, 0);
                s[i][j][0] = v.x, s[i][j][1] = v.y, s[i][j][2] = v.z, s[i][j][3] = v.w;
            } else {
                s[i][j][0] = ok ? __ldcs(row + c) : 0.0f;
            }
        }
    }
    // Only this kernel writes states (in earlier steps), so they load before the wait for the
    // previous kernel's q, k, v, beta and decay. That holds because this kernel never releases its
    // successors early (dependent_launch.cuh): they launch once it has completed, so no later kernel
    // on the stream, this one's next step included, can be reading a state before this one's writes
    // are visible.
    dependent_kernel_wait();
    float k[NV][VW], q[NV][VW];
    load_input<P, NV, VW>(a.k + int64_t(b) * a.k_stride + int64_t(kh) * dk, lane, dk, k);
    load_input<P, NV, VW>(a.q + int64_t(b) * a.q_stride + int64_t(kh) * dk, lane, dk, q);
    const float beta = __ldca(a.beta + int64_t(b) * a.beta_stride + h);
    const float e = a.g ? expf(__ldca(a.g + int64_t(b) * a.g_stride + h)) : 1.0f;
    const float *vh = a.v + int64_t(b) * a.v_stride + int64_t(h) * dv;
    float v[R];
#pragma unroll
    for (int i = 0; i < R; ++i) v[i] = r0 + i * G < dv ? __ldca(vh + r0 + i * G) : 0.0f;

    // Partial dot products: [2i] = s_i . k, [2i + 1] = s_i . q, [2R] = k . q.
    float dots[2 * R + 1];
#pragma unroll
    for (int i = 0; i < 2 * R + 1; ++i) dots[i] = 0.0f;
#pragma unroll
    for (int j = 0; j < NV; ++j)
#pragma unroll
        for (int c = 0; c < VW; ++c) {
#pragma unroll
            for (int i = 0; i < R; ++i) {
                dots[2 * i] = fmaf(s[i][j][c], k[j][c], dots[2 * i]);
                dots[2 * i + 1] = fmaf(s[i][j][c], q[j][c], dots[2 * i + 1]);
            }
            dots[2 * R] = fmaf(k[j][c], q[j][c], dots[2 * R]);
        }
    group_sums<P, 2 * R + 1>(dots);

    float *oh = a.o + int64_t(b) * a.o_stride + int64_t(h) * dv;
#pragma unroll
    for (int i = 0; i < R; ++i) {
        const int r = r0 + i * G;
        if (r >= dv) continue;  // the same for all lanes of the group: no shuffles follow
        const float u = beta * (v[i] - e * dots[2 * i]);
        if (lane == 0) oh[r] = fmaf(e, dots[2 * i + 1], u * dots[2 * R]);
        float *row = state + int64_t(r) * dk;
#pragma unroll
        for (int j = 0; j < NV; ++j) {
            const int c = column<P, VW>(lane, j);
            if (c >= dk) continue;
            float x[VW];
#pragma unroll
            for (int cc = 0; cc < VW; ++cc) x[cc] = fmaf(u, k[j][cc], e * s[i][j][cc]);
            if constexpr (VW == 4) __stcs(reinterpret_cast<float4 *>(row + c), make_float4(x[0], x[1], x[2], x[3]));
            else __stcs(row + c, x[0]);
        }
    }
}

template <int P, int NV, int VW, int R>
void launch_rows(const DeltaRowsParams &p, int n, cudaStream_t stream) {
    constexpr int kRowsPerBlock = kThreads / P * R;
    const dim3 grid(unsigned((p.dv + kRowsPerBlock - 1) / kRowsPerBlock), unsigned(p.Hv), unsigned(n));
    launch_dependent(delta_rule_rows_kernel<P, NV, VW, R>, grid, kThreads, 0, stream, "delta_rule_rows_kernel", p);
}

bool aligned16(const void *p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

void delta_rule_rows(const DeltaRowsArgs &a, cudaStream_t stream) {
    const char *who = "delta_rule_rows";
    if (a.Hk <= 0 || a.Hv <= 0 || a.Hv % a.Hk != 0 || a.dk <= 0 || a.dv <= 0)
        fail(DN_ERR_INVALID_ARGUMENT, who, ": bad head shape Hk = ", a.Hk, ", Hv = ", a.Hv, ", dk = ", a.dk,
             ", dv = ", a.dv);
    if (a.dk > kMaxDk) fail(DN_ERR_UNSUPPORTED, who, ": key head dim ", a.dk, " exceeds ", kMaxDk);
    if (a.Hv > 65535) fail(DN_ERR_UNSUPPORTED, who, ": ", a.Hv, " value heads exceed one grid dimension");
    if (a.B <= 0) return;

    const int dk = a.dk;
    for (int64_t b0 = 0; b0 < a.B; b0 += kSeqsPerLaunch) {
        const int n = int(a.B - b0 < kSeqsPerLaunch ? a.B - b0 : kSeqsPerLaunch);
        DeltaRowsParams p{};
        p.Hk = a.Hk, p.Hv = a.Hv, p.dk = a.dk, p.dv = a.dv;
        p.q = a.q + b0 * a.q_stride, p.q_stride = a.q_stride;
        p.k = a.k + b0 * a.k_stride, p.k_stride = a.k_stride;
        p.v = a.v + b0 * a.v_stride, p.v_stride = a.v_stride;
        p.beta = a.beta + b0 * a.beta_stride, p.beta_stride = a.beta_stride;
        p.g = a.g ? a.g + b0 * a.g_stride : nullptr, p.g_stride = a.g_stride;
        p.o = a.o + b0 * a.o_stride, p.o_stride = a.o_stride;
        // float4 pieces where q, k and every state row start on 16-byte boundaries.
        bool vec = dk % 4 == 0 && aligned16(p.q) && aligned16(p.k) && a.q_stride % 4 == 0 && a.k_stride % 4 == 0;
        for (int i = 0; i < n; ++i) {
            p.states[i] = a.states[b0 + i];
            if (!aligned16(p.states[i])) vec = false;
        }
        // A group of P lanes holds dk floats of each of its R rows: 16 state floats per thread
        // (8 for scalar rows of up to 64 floats).
        if (vec) {
            if (dk <= 32) launch_rows<8, 1, 4, 4>(p, n, stream);
            else if (dk <= 64) launch_rows<16, 1, 4, 4>(p, n, stream);
            else if (dk <= 128) launch_rows<32, 1, 4, 4>(p, n, stream);
            else launch_rows<32, 2, 4, 2>(p, n, stream);
        } else {
            if (dk <= 32) launch_rows<32, 1, 1, 8>(p, n, stream);
            else if (dk <= 64) launch_rows<32, 2, 1, 4>(p, n, stream);
            else if (dk <= 128) launch_rows<32, 4, 1, 4>(p, n, stream);
            else launch_rows<32, 8, 1, 2>(p, n, stream);
        }
        check_launch("delta_rule_rows_kernel");
    }
}

}  // namespace dn::cuda
