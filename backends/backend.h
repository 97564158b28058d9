// The one internal interface every compute backend implements (CPU now; CUDA and HIP later).
//
// A Backend owns a device's memory and runs the model's operations on it. The model code in
// src/model/ is written only against this interface: it allocates activations and states through
// it, hands it weights to prepare once at load time, and calls the operations below in order. All
// activations are float32 in device memory; weights keep their stored dtype.
//
// The interface is plain virtual C++; GPU backends live in their own shared objects, loaded at run
// time and entered through one extern "C" function (backends/plugin.h), as ggml's are. A plugin is
// only accepted when it was built from the same version of this interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/model_config.h"
#include "deltanet/deltanet.h"

namespace dn {

struct TensorView;

// How prepare_matrix() keeps a weight matrix.
struct MatrixOptions {
    MatrixOptions(dn_precision precision = DN_PRECISION_EXACT, bool mapped = false)  // NOLINT: implicit on purpose
        : precision(precision), mapped(mapped) {}
    dn_precision precision;
    bool mapped;  // read in place from the mapped file where the device can (DN_WEIGHTS_MAPPED)
};

// A weight matrix [rows = out features, cols = in features] prepared for a device.
class DeviceMatrix {
public:
    virtual ~DeviceMatrix() = default;
    int64_t rows = 0;
    int64_t cols = 0;
    DType dtype = DType::F32;
};

// Short causal convolution over one sequence's T rows (channels D, width W) with its tail: the last
// W-1 inputs before this call, [W-1][D], updated in place. y[t] = act(sum_i w[:, i] * x[t-W+1+i]).
struct ConvArgs {
    const float *x = nullptr; int64_t x_stride = 0;
    float *y = nullptr; int64_t y_stride = 0;
    const float *weight = nullptr;  // [D][W] on the device
    float *tail = nullptr;          // [W-1][D]
    int64_t T = 0;
    int D = 0;
    int W = 0;
    bool silu = true;
};

// The delta rule over one sequence's rows (see backends/cpu/delta_rule.h for the math).
struct DeltaArgs {
    int64_t T = 0;
    int Hk = 0, Hv = 0, dk = 0, dv = 0;
    const float *q = nullptr; int64_t q_stride = 0;
    const float *k = nullptr; int64_t k_stride = 0;
    const float *v = nullptr; int64_t v_stride = 0;
    const float *beta = nullptr; int64_t beta_stride = 0;
    const float *g = nullptr; int64_t g_stride = 0;  // null for plain DeltaNet
    float *state = nullptr;                          // [Hv][dv][dk]
    float *o = nullptr; int64_t o_stride = 0;
    bool chunked = true;                             // false: token-by-token recurrence
    // The chunked form may multiply in bfloat16 on tensor cores (float32 accumulation and state):
    // DN_PRECISION_FAST. Otherwise every product is float32.
    bool bf16_products = false;
};

// Softmax attention of one sequence's T new rows against its key/value cache. The cache is a ring
// of `capacity` rows per layer ([capacity][kv_dim] for k and for v); `position` is the number of
// tokens the sequence had seen before these. Rotary embeddings are applied to q and k here.
struct AttentionArgs {
    int64_t T = 0;
    int64_t position = 0;
    int num_heads = 0, num_kv_heads = 0, head_dim = 0;
    int64_t window = 0;        // 0: global
    double rope_theta = 10000.0;
    float *q = nullptr; int64_t q_stride = 0;        // rotated in place
    float *k = nullptr; int64_t k_stride = 0;        // rotated in place
    const float *v = nullptr; int64_t v_stride = 0;
    float *k_cache = nullptr;
    float *v_cache = nullptr;
    int64_t capacity = 0;
    float *o = nullptr; int64_t o_stride = 0;        // [T][num_heads * head_dim]
};

// An execution queue on a backend's device: a dn_stream owns one. Operations run on the calling
// thread's current queue (Backend::set_current_queue), in the order they were issued; independent
// queues of one device may run concurrently (CUDA streams).
class Queue {
public:
    virtual ~Queue() = default;
    // Waits until everything issued to this queue has finished.
    virtual void synchronize() = 0;
};

// A recorded sequence of operations (a CUDA graph), replayed later with new token ids.
class CapturedPass {
public:
    virtual ~CapturedPass() = default;
};

// One of several products of the same activation rows (Backend::matmul_many).
struct MatmulTarget {
    const DeviceMatrix *w = nullptr;
    float *y = nullptr;
    int64_t y_stride = 0;
};

// Decode of B sequences at once: row b of the inputs is one token of sequence b, whose recurrent
// memory is given per row (host arrays of B device pointers).
struct ConvRowsArgs {
    int64_t B = 0;
    const float *x = nullptr; int64_t x_stride = 0;
    float *y = nullptr; int64_t y_stride = 0;  // may equal x
    const float *weight = nullptr;             // [D][W]
    float *const *tails = nullptr;             // B pointers, each [W-1][D]
    int D = 0;
    int W = 0;
    bool silu = true;
};

struct DeltaRowsArgs {
    int64_t B = 0;
    int Hk = 0, Hv = 0, dk = 0, dv = 0;
    const float *q = nullptr; int64_t q_stride = 0;  // row b as in DeltaArgs' row t
    const float *k = nullptr; int64_t k_stride = 0;
    const float *v = nullptr; int64_t v_stride = 0;
    const float *beta = nullptr; int64_t beta_stride = 0;
    const float *g = nullptr; int64_t g_stride = 0;
    float *const *states = nullptr;                  // B pointers, each [Hv][dv][dk]
    float *o = nullptr; int64_t o_stride = 0;
};

// A delta layer's decode inputs, one token of each of B sequences, prepared in place: the short
// convolutions of q, k, v with each sequence's tails (when `conv`), the activations and the q/k
// normalisation of delta_mixer, beta, and Gated DeltaNet's decay. See Backend::decode_inputs.
struct DecodeInputsArgs {
    int64_t B = 0;
    int Hk = 0, Hv = 0, dk = 0, dv = 0;
    float *q = nullptr; int64_t q_stride = 0;  // [B][Hk*dk]
    float *k = nullptr; int64_t k_stride = 0;  // [B][Hk*dk]
    float *v = nullptr; int64_t v_stride = 0;  // [B][Hv*dv]
    // Short convolution (null weights: none; v then gets SiLU alone).
    const float *q_conv = nullptr, *k_conv = nullptr, *v_conv = nullptr;  // [D][W]
    float *const *q_tails = nullptr, *const *k_tails = nullptr, *const *v_tails = nullptr;  // B pointers each
    int W = 0;
    bool qk_conv_silu = false;  // SiLU after the q/k convolutions (v's always has it)
    QKActivation qk_act = QKActivation::Identity;  // then this on q and k, then the norm
    int qk_norm = 0;            // Backend::Norm as int (None, L2, Sum)
    float q_scale = 1.0f;
    float *beta = nullptr; int64_t beta_stride = 0;  // [B][Hv]: sigmoid(b) * factor, or factor
    float beta_factor = 1.0f;
    bool beta_is_one = false;
    float *decay = nullptr; int64_t decay_stride = 0;  // [B][Hv], gated only (null: none)
    const float *A_log = nullptr, *dt_bias = nullptr;
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual const char *name() const = 0;

    // Rows (tokens) the model code puts through the layers at once: bounds its activation memory.
    virtual int64_t max_rows_per_pass() const { return 1024; }

    // ---- capture and replay (GPU backends; the CPU has no launch cost to save) ----
    // Between begin_capture() and end_capture() the current queue records the operations instead of
    // running them (embed() included: a replay reads the ids given to replay()). Nothing issued in
    // between may allocate or synchronise. abort_capture() ends a capture an exception interrupted.
    virtual bool can_capture() const { return false; }
    virtual void begin_capture() {}
    virtual std::unique_ptr<CapturedPass> end_capture() { return nullptr; }
    virtual void abort_capture() {}
    // Runs `pass` on the current queue with `ids` (n, host) as its token ids. False when the pass
    // can no longer run as recorded (it belongs to another queue, or the queue's scratch memory has
    // moved since): capture it again.
    virtual bool replay(CapturedPass &, const int32_t *, int64_t) { return false; }

    // ---- queues ----
    // `num_threads`: host threads the queue's work may use (CPU; 0 = all cores); others ignore it.
    virtual std::unique_ptr<Queue> create_queue(int num_threads) = 0;
    // Makes `queue` (created by this backend, or null for the backend's own default queue) the
    // calling thread's current queue and returns the previous one, for QueueScope to restore.
    virtual Queue *set_current_queue(Queue *queue) = 0;

    // ---- memory (float32 buffers on the device) ----
    // Throws dn::Error(DN_ERR_OUT_OF_MEMORY) when it cannot allocate.
    virtual float *alloc(size_t count) = 0;
    virtual void release(float *buffer) = 0;
    virtual void zero(float *buffer, size_t count) = 0;
    virtual void copy(float *dst, const float *src, size_t count) = 0;
    virtual void upload(float *dst, const float *host_src, size_t count) = 0;
    virtual void download(float *host_dst, const float *src, size_t count) = 0;
    // upload/download/copy/zero are ordered on the current queue; upload and download return once the
    // host memory may be reused. Waits for all work issued to the current queue.
    virtual void synchronize() = 0;

    // ---- weights ----
    virtual std::unique_ptr<DeviceMatrix> prepare_matrix(const TensorView &tensor, const MatrixOptions &options) = 0;
    // Matrices that matmul_many() multiplies by the same rows, in that order (a layer's q, k, v and beta
    // projections). A backend may keep them in one block, rows stacked, and cover them with one product.
    // The default prepares them one by one.
    virtual std::vector<std::unique_ptr<DeviceMatrix>> prepare_matrices(const TensorView *const *tensors, size_t count,
                                                                       const MatrixOptions &options) {
        std::vector<std::unique_ptr<DeviceMatrix>> out;
        for (size_t i = 0; i < count; ++i) out.push_back(prepare_matrix(*tensors[i], options));
        return out;
    }
    // A 1-D (or conv [D,1,W] -> [D][W]) tensor widened to float32 in a buffer from alloc().
    virtual float *prepare_vector(const TensorView &tensor) = 0;

    // ---- operations ----
    // out[i] = table[ids[i]] (ids on the host, already range-checked).
    virtual void embed(const DeviceMatrix &table, const int32_t *ids, int64_t n, float *out) = 0;
    // y[m, :] (+)= x[m, :] W^T for m < M.
    virtual void matmul(const float *x, int64_t x_stride, int64_t M, const DeviceMatrix &w, float *y,
                        int64_t y_stride) = 0;
    // matmul() of the same x with each target's matrix. The default runs them one by one; GPU
    // backends read x once and launch once for a decode step's projections.
    virtual void matmul_many(const float *x, int64_t x_stride, int64_t M, const MatmulTarget *targets, int count) {
        for (int i = 0; i < count; ++i) matmul(x, x_stride, M, *targets[i].w, targets[i].y, targets[i].y_stride);
    }
    // y = x / rms(x) * weight, rows of `dim`. With `gate`, y *= silu(gate) (fla's FusedRMSNormGated).
    virtual void rms_norm(const float *x, int64_t x_stride, const float *weight, const float *gate,
                          int64_t gate_stride, float *y, int64_t y_stride, int64_t rows, int dim,
                          float eps) = 0;
    // residual += delta; y = rms_norm(residual) (fla's fused prenorm residual path).
    virtual void add_rms_norm(float *residual, const float *delta, const float *weight, float *y,
                              int64_t rows, int dim, float eps) = 0;
    virtual void add(float *y, const float *x, size_t count) = 0;
    virtual void short_conv(const ConvArgs &args) = 0;
    // In place on rows of `heads` vectors of `dim`: optional silu/relu/elu+1, then sum- or
    // L2-normalisation, then a scale.
    enum class Norm { None, L2, Sum };
    virtual void qk_transform(float *x, int64_t stride, int64_t rows, int heads, int dim, QKActivation act,
                              Norm norm, float scale) = 0;
    // In place on [rows][heads]: beta = sigmoid(b) * factor, or factor where `b_is_one`.
    virtual void beta(float *b, int64_t stride, int64_t rows, int heads, float factor, bool b_is_one) = 0;
    // In place on [rows][heads]: g = -exp(A_log[h]) * softplus(a + dt_bias[h]).
    virtual void gated_decay(float *a, int64_t stride, int64_t rows, int heads, const float *A_log,
                             const float *dt_bias) = 0;
    // out = act(gate) * up on [rows][dim] (swish: SwiGLU; powlu: fla's PowGLU).
    virtual void glu(const float *gate, const float *up, float *out, int64_t rows, int dim,
                     MlpActivation act) = 0;
    // y = (act(gate) * up) W^T on [rows][dim] inputs (row stride dim): the MLP's GLU and down
    // projection. `gate` may be overwritten: the default writes the product there, then multiplies;
    // GPU backends fuse the two.
    virtual void glu_matmul(float *gate, const float *up, int64_t rows, int dim, MlpActivation act,
                            const DeviceMatrix &w, float *y, int64_t y_stride) {
        glu(gate, up, gate, rows, dim, act);
        matmul(gate, dim, rows, w, y, y_stride);
    }
    virtual void add_bias(float *y, int64_t stride, int64_t rows, const float *bias, int dim) = 0;
    virtual void delta_rule(const DeltaArgs &args) = 0;
    virtual void attention(const AttentionArgs &args) = 0;

    // Batched decode (one token for each of B sequences). These defaults run one sequence at a time
    // through short_conv / delta_rule; GPU backends override them with one launch for the batch.
    // (Defined in the header, as every virtual here is: a plugin needs Backend's vtable too.)
    virtual void short_conv_rows(const ConvRowsArgs &args);
    virtual void delta_rule_rows(const DeltaRowsArgs &args);
    // All of DecodeInputsArgs in one go. The default runs the separate operations (conv, SiLU,
    // qk_transform, beta, gated_decay) in the order delta_mixer does; GPU backends fuse them.
    virtual void decode_inputs(const DecodeInputsArgs &args);
};

inline void Backend::short_conv_rows(const ConvRowsArgs &r) {
    for (int64_t b = 0; b < r.B; ++b) {
        ConvArgs a;
        a.x = r.x + b * r.x_stride, a.x_stride = r.x_stride;
        a.y = r.y + b * r.y_stride, a.y_stride = r.y_stride;
        a.weight = r.weight, a.tail = r.tails[b];
        a.T = 1, a.D = r.D, a.W = r.W, a.silu = r.silu;
        short_conv(a);
    }
}

inline void Backend::delta_rule_rows(const DeltaRowsArgs &r) {
    for (int64_t b = 0; b < r.B; ++b) {
        DeltaArgs a;
        a.T = 1, a.Hk = r.Hk, a.Hv = r.Hv, a.dk = r.dk, a.dv = r.dv;
        a.q = r.q + b * r.q_stride, a.q_stride = r.q_stride;
        a.k = r.k + b * r.k_stride, a.k_stride = r.k_stride;
        a.v = r.v + b * r.v_stride, a.v_stride = r.v_stride;
        a.beta = r.beta + b * r.beta_stride, a.beta_stride = r.beta_stride;
        if (r.g) a.g = r.g + b * r.g_stride, a.g_stride = r.g_stride;
        a.state = r.states[b];
        a.o = r.o + b * r.o_stride, a.o_stride = r.o_stride;
        a.chunked = false;
        delta_rule(a);
    }
}


// Routes the calling thread's operations on `backend` to `queue` for the scope's lifetime.
class QueueScope {
public:
    QueueScope(Backend &backend, Queue *queue) : backend_(backend), previous_(backend.set_current_queue(queue)) {}
    ~QueueScope() { backend_.set_current_queue(previous_); }
    QueueScope(const QueueScope &) = delete;
    QueueScope &operator=(const QueueScope &) = delete;

private:
    Backend &backend_;
    Queue *previous_;
};

// The backend of a device string ("cpu", "cuda:N", "hip:N"). Backends are process-wide singletons
// that live until exit; GPU backends come from plugins loaded on first use (backends/plugin.h).
// Throws DN_ERR_INVALID_ARGUMENT for a malformed string, DN_ERR_UNSUPPORTED for a device kind this
// installation has no backend for, DN_ERR_DEVICE when the plugin or the device cannot be opened.
Backend &backend_for_device(const std::string &device);

inline void Backend::decode_inputs(const DecodeInputsArgs &d) {
    const int64_t key = int64_t(d.Hk) * d.dk, value = int64_t(d.Hv) * d.dv;
    if (d.q_conv) {
        auto conv = [&](float *x, int64_t ld, const float *weight, float *const *tails, int64_t D, bool silu) {
            ConvRowsArgs a;
            a.B = d.B, a.x = x, a.x_stride = ld, a.y = x, a.y_stride = ld;
            a.weight = weight, a.tails = tails, a.D = int(D), a.W = d.W, a.silu = silu;
            short_conv_rows(a);
        };
        conv(d.q, d.q_stride, d.q_conv, d.q_tails, key, d.qk_conv_silu);
        conv(d.k, d.k_stride, d.k_conv, d.k_tails, key, d.qk_conv_silu);
        conv(d.v, d.v_stride, d.v_conv, d.v_tails, value, true);
    } else {
        qk_transform(d.v, d.v_stride, d.B, 1, int(value), QKActivation::Silu, Norm::None, 1.0f);
    }
    qk_transform(d.q, d.q_stride, d.B, d.Hk, d.dk, d.qk_act, Norm(d.qk_norm), d.q_scale);
    qk_transform(d.k, d.k_stride, d.B, d.Hk, d.dk, d.qk_act, Norm(d.qk_norm), 1.0f);
    beta(d.beta, d.beta_stride, d.B, d.Hv, d.beta_factor, d.beta_is_one);
    if (d.decay) gated_decay(d.decay, d.decay_stride, d.B, d.Hv, d.A_log, d.dt_bias);
}

}  // namespace dn
