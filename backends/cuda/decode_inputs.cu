// A delta layer's decode inputs in one launch (backends/backend.h's DecodeInputsArgs): for each of
// B sequences (row b, one token each) the short causal convolutions of q, k and v with that
// sequence's own tails, SiLU where Backend::decode_inputs applies it, the q/k activation and
// per-head normalisation with q's scale, beta and Gated DeltaNet's decay. Backend::decode_inputs is
// the reference: it runs short_conv_rows, qk_transform, beta and gated_decay one after another; this
// kernel does the same float32 operations in the same order (short_conv_rows.cu's convolution,
// elementwise.cu's activation, norms, beta and decay, duplicated below), so the results agree with
// those kernels' up to the order of the norms' reductions.
//
// grid = (head slots, sequences of this launch). The head slots are Hk q heads, Hk k heads, Hv v
// heads and one slot for the beta and decay of all Hv heads (q and k slots are left out when they
// have nothing to do). A block of kThreads threads owns one head of one row: thread i holds
// channels i, i + blockDim, ... (up to KC of them) in registers. It reads their W-1 tail rows and x
// first, convolves, writes the shifted tail (nothing else touches those addresses, so there is no
// barrier), applies the activations, reduces the head's norm over the block and writes the row in
// place. Adjacent threads own adjacent channels: every access is coalesced.
//
// The tails are host arrays of device pointers: each launch takes up to kSeqsPerLaunch of each by
// value in its parameters, so that a recorded CUDA graph holds them and nothing is staged.
#include "backends/cuda/gpu_runtime.h"

#include <cstdint>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/dependent_launch.cuh"
#include "backends/cuda/device_math.cuh"
#include "backends/cuda/kernels.h"
#include "core/error.h"

namespace dn::cuda {

namespace {

constexpr int kMaxWidth = 16;        // as short_conv_rows.cu: W <= 16
constexpr int kMaxThreads = 256;     // threads of the largest block
constexpr int kMaxChannels = 4;      // channels per thread: heads of up to 1024 floats
constexpr int kSeqsPerLaunch = 128;  // 3 KiB of tail pointers: the parameters stay under 4 KiB

struct DecodeInputsParams {
    float *q;
    int64_t q_stride;
    float *k;
    int64_t k_stride;
    float *v;
    int64_t v_stride;
    const float *q_conv, *k_conv, *v_conv;  // [D][W]; null: no convolution
    float *beta;
    int64_t beta_stride;
    float *decay;  // null: none
    int64_t decay_stride;
    const float *A_log, *dt_bias;
    int Hk, Hv, dk, dv, W;
    int qk_slots;  // 2 * Hk, or 0 when q and k need nothing
    QKActivation qk_act;
    Backend::Norm qk_norm;
    float q_scale;
    float beta_factor;
    bool beta_is_one;
    bool qk_conv_silu;
    float *q_tails[kSeqsPerLaunch];  // [W-1][Hk*dk] each; only the first grid.y are set
    float *k_tails[kSeqsPerLaunch];  // [W-1][Hk*dk]
    float *v_tails[kSeqsPerLaunch];  // [W-1][Hv*dv]
};
static_assert(sizeof(DecodeInputsParams) < 4000, "kernel parameters must stay under 4 KiB");

template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

// The sum of v over the block, in every thread. Every thread of the block calls it, once per kernel.
template <typename T>
__device__ __forceinline__ T block_sum(T v) {
    v = warp_sum(v);
    if (blockDim.x <= 32) return v;
    __shared__ T partial[kMaxThreads / 32];
    if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = v;
    __syncthreads();
    T sum = 0;
    for (int w = 0; w < int(blockDim.x >> 5); ++w) sum += partial[w];
    return sum;
}

// ---- one head of one row ----

// The row's channels [0, dim) of this thread (c = tid + i * blockDim for i < KC), convolved with
// the tail when `weight` (tail: this head's channel 0 of the tail's row 0; rows D apart; weight:
// this head's channel 0's [W] weights), the tail shifted, and `conv_silu` applied after the
// convolution. Returns the values in y.
template <int MAXW, int KC>
__device__ __forceinline__ void convolve(const float *x, const float *weight, float *tail, int64_t D, int W, int dim,
                                         bool conv_silu, float (&y)[KC]) {
    const int tid = threadIdx.x, step = blockDim.x, history = W - 1;
    float xv[KC];
    float t[KC][MAXW - 1];
    // All loads first (tail rows, then x), so that they are in flight together.
#pragma unroll
    for (int i = 0; i < KC; ++i) {
        const int c = tid + i * step;
        if (c >= dim) continue;
        if (weight) {
#pragma unroll
            for (int j = 0; j < MAXW - 1; ++j)
                if (j < history) t[i][j] = tail[int64_t(j) * D + c];
        }
        xv[i] = x[c];
    }
    if (!weight) {
#pragma unroll
        for (int i = 0; i < KC; ++i)
            if (tid + i * step < dim) y[i] = xv[i];
        return;
    }
#pragma unroll
    for (int i = 0; i < KC; ++i) {
        const int c = tid + i * step;
        if (c >= dim) continue;
        const float *w = weight + int64_t(c) * W;
        float sum = __ldg(w + history) * xv[i];
#pragma unroll
        for (int j = 0; j < MAXW - 1; ++j)
            if (j < history) sum = fmaf(__ldg(w + j), t[i][j], sum);
        y[i] = conv_silu ? silu(sum) : sum;
    }
    // The tail shifts by one row; its newest row is x.
#pragma unroll
    for (int i = 0; i < KC; ++i) {
        const int c = tid + i * step;
        if (c >= dim) continue;
#pragma unroll
        for (int j = 0; j + 1 < MAXW - 1; ++j)
            if (j + 1 < history) tail[int64_t(j) * D + c] = t[i][j + 1];
        if (history > 0) tail[int64_t(history - 1) * D + c] = xv[i];
    }
}

template <int MAXW, int KC>
__global__ void __launch_bounds__(kMaxThreads) decode_inputs_kernel(const DecodeInputsParams p) {
    dependent_kernel_begin();
    const int b = blockIdx.y, tid = threadIdx.x, step = blockDim.x;
    int slot = blockIdx.x;

    if (slot < p.qk_slots) {
        // A q or k head: convolution (and its SiLU), activation, norm, scale.
        const bool is_q = slot < p.Hk;
        const int h = is_q ? slot : slot - p.Hk, dim = p.dk;
        const int64_t D = int64_t(p.Hk) * p.dk, offset = int64_t(h) * dim;
        float *x = (is_q ? p.q + int64_t(b) * p.q_stride : p.k + int64_t(b) * p.k_stride) + offset;
        const float *weight = is_q ? p.q_conv : p.k_conv;
        float *tail = nullptr;
        if (weight) {
            weight += offset * p.W;
            if (p.W > 1) tail = (is_q ? p.q_tails[b] : p.k_tails[b]) + offset;
        }
        float y[KC];
        convolve<MAXW, KC>(x, weight, tail, D, p.W, dim, p.qk_conv_silu, y);

        // elementwise.cu's qk_transform_kernel on this head vector.
        const Backend::Norm norm = p.qk_norm;
        double ss = 0.0;
        float sum = 0.0f;
#pragma unroll
        for (int i = 0; i < KC; ++i) {
            if (tid + i * step >= dim) continue;
            y[i] = qk_activation(y[i], p.qk_act);
            if (norm == Backend::Norm::L2) ss += double(y[i]) * double(y[i]);
            // __fadd_rn: no fusing with the activation's product, which the CPU rounds first.
            sum = __fadd_rn(sum, y[i]);
        }
        // One reduction per kernel; the branch is uniform over the grid.
        float inv = 1.0f;
        if (norm == Backend::Norm::L2) inv = float(1.0 / sqrt(block_sum(ss) + 1e-6));
        else if (norm == Backend::Norm::Sum) sum = block_sum(sum);
        const float scale = is_q ? p.q_scale : 1.0f;
#pragma unroll
        for (int i = 0; i < KC; ++i) {
            const int c = tid + i * step;
            if (c >= dim) continue;
            // Normalise first, then scale, as fla does (and the CPU reference, for its rounding).
            float a = y[i];
            if (norm == Backend::Norm::L2) a = (a * inv) * scale;
            else if (norm == Backend::Norm::Sum) a = (a / sum) * scale;
            else a *= scale;
            x[c] = a;
        }
        return;
    }
    slot -= p.qk_slots;

    if (slot < p.Hv) {
        // A v head: convolution with SiLU, or SiLU alone without the convolution.
        const int h = slot, dim = p.dv;
        const int64_t D = int64_t(p.Hv) * p.dv, offset = int64_t(h) * dim;
        float *x = p.v + int64_t(b) * p.v_stride + offset;
        const float *weight = p.v_conv;
        float *tail = nullptr;
        if (weight) {
            weight += offset * p.W;
            if (p.W > 1) tail = p.v_tails[b] + offset;
        }
        float y[KC];
        convolve<MAXW, KC>(x, weight, tail, D, p.W, dim, true, y);
#pragma unroll
        for (int i = 0; i < KC; ++i) {
            const int c = tid + i * step;
            if (c >= dim) continue;
            // qk_transform's Silu, None, scale 1 (x * sigmoid(x) * 1) where there is no convolution.
            x[c] = weight ? y[i] : silu(y[i]) * 1.0f;
        }
        return;
    }

    // Beta and the gated decay of all Hv heads of this row.
    for (int h = tid; h < p.Hv; h += step) {
        if (p.beta) {
            float &v = p.beta[int64_t(b) * p.beta_stride + h];
            v = p.beta_is_one ? p.beta_factor : sigmoid(v) * p.beta_factor;
        }
        if (p.decay) {
            float &v = p.decay[int64_t(b) * p.decay_stride + h];
            v = -expf(p.A_log[h]) * softplus(v + p.dt_bias[h]);
        }
    }
}

}  // namespace

void decode_inputs(const DecodeInputsArgs &args, cudaStream_t stream) {
    if (args.B <= 0) return;
    if (args.Hk <= 0 || args.Hv <= 0 || args.dk <= 0 || args.dv <= 0)
        fail(DN_ERR_INVALID_ARGUMENT, "CUDA decode_inputs: heads ", args.Hk, "/", args.Hv, " of ", args.dk, "/",
             args.dv, " floats");
    const bool conv = args.q_conv != nullptr;
    if (conv && (!args.k_conv || !args.v_conv))
        fail(DN_ERR_INVALID_ARGUMENT, "CUDA decode_inputs: q has convolution weights but k or v has none");
    if (conv && (args.W < 1 || args.W > kMaxWidth))
        fail(DN_ERR_UNSUPPORTED, "CUDA decode_inputs: convolution width ", args.W, " is not in 1..", kMaxWidth);
    const int widest = args.dk > args.dv ? args.dk : args.dv;
    if (widest > kMaxThreads * kMaxChannels)
        fail(DN_ERR_UNSUPPORTED, "CUDA decode_inputs: heads of ", widest, " floats exceed ",
             kMaxThreads * kMaxChannels);
    if (int64_t(args.Hk) * args.dk > INT32_MAX || int64_t(args.Hv) * args.dv > INT32_MAX)
        fail(DN_ERR_UNSUPPORTED, "CUDA decode_inputs: rows too long");

    // A block per head: one channel per thread up to kMaxThreads, then up to kMaxChannels each.
    int threads = 32;
    while (threads < kMaxThreads && threads < widest) threads *= 2;
    const int per_thread = (widest + threads - 1) / threads;
    const int kc = per_thread <= 1 ? 1 : per_thread <= 2 ? 2 : 4;

    const bool qk_work = conv || args.qk_act != QKActivation::Identity || args.qk_norm != 0 || args.q_scale != 1.0f;
    DecodeInputsParams p{};
    p.q_stride = args.q_stride, p.k_stride = args.k_stride, p.v_stride = args.v_stride;
    p.q_conv = args.q_conv, p.k_conv = conv ? args.k_conv : nullptr, p.v_conv = conv ? args.v_conv : nullptr;
    p.beta_stride = args.beta_stride, p.decay_stride = args.decay_stride;
    p.A_log = args.A_log, p.dt_bias = args.dt_bias;
    p.Hk = args.Hk, p.Hv = args.Hv, p.dk = args.dk, p.dv = args.dv, p.W = conv ? args.W : 1;
    p.qk_slots = qk_work ? 2 * args.Hk : 0;
    p.qk_act = args.qk_act, p.qk_norm = Backend::Norm(args.qk_norm), p.q_scale = args.q_scale;
    p.beta_factor = args.beta_factor, p.beta_is_one = args.beta_is_one, p.qk_conv_silu = args.qk_conv_silu;
    const bool wide = conv && args.W > 4;
    const int64_t slots = int64_t(p.qk_slots) + args.Hv + 1;

    for (int64_t b0 = 0; b0 < args.B; b0 += kSeqsPerLaunch) {
        const int n = int(args.B - b0 < kSeqsPerLaunch ? args.B - b0 : kSeqsPerLaunch);
        p.q = args.q + b0 * args.q_stride;
        p.k = args.k + b0 * args.k_stride;
        p.v = args.v + b0 * args.v_stride;
        p.beta = args.beta ? args.beta + b0 * args.beta_stride : nullptr;
        p.decay = args.decay ? args.decay + b0 * args.decay_stride : nullptr;
        for (int i = 0; i < kSeqsPerLaunch; ++i) {
            const bool set = conv && args.W > 1 && i < n;
            p.q_tails[i] = set ? args.q_tails[b0 + i] : nullptr;
            p.k_tails[i] = set ? args.k_tails[b0 + i] : nullptr;
            p.v_tails[i] = set ? args.v_tails[b0 + i] : nullptr;
        }
        const dim3 grid{unsigned(slots), unsigned(n)};
        auto launch = [&](auto kernel) { launch_dependent(kernel, grid, threads, 0, stream, "kernel", p); };
        if (wide) {
            if (kc == 1) launch(decode_inputs_kernel<kMaxWidth, 1>);
            else if (kc == 2) launch(decode_inputs_kernel<kMaxWidth, 2>);
            else launch(decode_inputs_kernel<kMaxWidth, 4>);
        } else {
            if (kc == 1) launch(decode_inputs_kernel<4, 1>);
            else if (kc == 2) launch(decode_inputs_kernel<4, 2>);
            else launch(decode_inputs_kernel<4, 4>);
        }
        check_launch("decode_inputs_kernel");
    }
}

}  // namespace dn::cuda
