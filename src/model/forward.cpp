#include "model/forward.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace dn {

namespace {

// Long prompts are cut into blocks of Backend::max_rows_per_pass() tokens (a multiple of the delta
// rule's chunk of 64) so that scratch memory stays bounded.

// Decode passes of at most this many rows are recorded and replayed where the backend can.
constexpr int64_t kMaxCapturedRows = 512;

// Offsets of the activation buffers of one pass inside the workspace.
struct Buffers {
    float *h, *x, *q, *k, *v, *b, *a, *gate, *o, *y, *mlp_gate, *mlp_up, *logits;
    int64_t q_ld, k_ld, v_ld, heads_ld, o_ld;

    static size_t layout(const ModelConfig &c, int64_t rows, int64_t logit_rows, float *base, Buffers *out) {
        int64_t max_kv = 0;
        for (const auto &a : c.attention)
            if (a) max_kv = std::max<int64_t>(max_kv, int64_t(a->num_kv_heads) * a->head_dim);
        const int64_t H = c.hidden_size;
        Buffers b{};
        b.q_ld = std::max<int64_t>(c.key_dim, H);
        b.k_ld = std::max<int64_t>(c.key_dim, max_kv);
        b.v_ld = std::max<int64_t>(c.value_dim, max_kv);
        b.heads_ld = c.num_v_heads;
        b.o_ld = std::max<int64_t>(c.value_dim, H);
        size_t offset = 0;
        auto take = [&](float *&p, int64_t width, int64_t r) {
            p = base ? base + offset : nullptr;
            offset += size_t((width * r + 15) / 16 * 16);  // 64-byte aligned pieces
        };
        take(b.h, H, rows);
        take(b.x, H, rows);
        take(b.q, b.q_ld, rows);
        take(b.k, b.k_ld, rows);
        take(b.v, b.v_ld, rows);
        take(b.b, b.heads_ld, rows);
        take(b.a, b.heads_ld, rows);
        take(b.gate, c.use_gate ? c.value_dim : 0, rows);
        take(b.o, b.o_ld, rows);
        take(b.y, H, rows);
        take(b.mlp_gate, c.intermediate_size, rows);
        take(b.mlp_up, c.intermediate_size, rows);
        take(b.logits, c.vocab_size, logit_rows);
        if (out) *out = b;
        return offset;
    }
};

struct Span {
    State *state;
    const int32_t *tokens;
    int64_t n;
    int64_t row;  // first row in the pass
};

void delta_mixer(const Model &model, int layer, const std::vector<Span> &spans, int64_t R, const Buffers &B) {
    Backend &be = model.backend();
    const ModelConfig &c = model.config();
    const DeltaLayerWeights &w = model.layer(layer).delta;
    const bool gated = c.family == DN_FAMILY_GATED_DELTANET;
    const int64_t H = c.hidden_size;

    std::vector<MatmulTarget> projections = {{w.q_proj.get(), B.q, B.q_ld}, {w.k_proj.get(), B.k, B.k_ld},
                                             {w.v_proj.get(), B.v, B.v_ld}};
    if (w.b_proj) projections.push_back({w.b_proj.get(), B.b, B.heads_ld});
    if (w.a_proj) projections.push_back({w.a_proj.get(), B.a, B.heads_ld});
    if (w.g_proj) projections.push_back({w.g_proj.get(), B.gate, c.value_dim});
    be.matmul_many(B.x, H, R, projections.data(), int(projections.size()));

    // q and k pass through SiLU when the config says so (always for Gated DeltaNet), v always. With
    // a convolution it comes right after it; the remaining activation, the normalisation and, for q,
    // the 1/sqrt(dk) scale of the delta-rule kernels follow.
    const bool qk_silu = gated || c.qk_activation == QKActivation::Silu;
    QKActivation act = c.qk_activation;
    if (qk_silu) act = c.use_short_conv ? QKActivation::Identity : QKActivation::Silu;
    const Backend::Norm norm = c.qk_norm == QKNorm::L2 ? Backend::Norm::L2 : Backend::Norm::Sum;
    const float scale = float(1.0 / std::sqrt(double(c.head_k_dim)));
    const float beta_factor = c.allow_neg_eigval ? 2.0f : 1.0f;

    // Decode (one token of each sequence): every step for the whole batch at once.
    const bool decode_rows = R == int64_t(spans.size());
    if (decode_rows) {
        std::vector<float *> q_tails, k_tails, v_tails;
        for (const Span &s : spans) {
            const LayerState &st = s.state->layer(layer);
            q_tails.push_back(st.q_tail), k_tails.push_back(st.k_tail), v_tails.push_back(st.v_tail);
        }
        DecodeInputsArgs d;
        d.B = R;
        d.Hk = c.num_k_heads, d.Hv = c.num_v_heads, d.dk = c.head_k_dim, d.dv = c.head_v_dim;
        d.q = B.q, d.q_stride = B.q_ld, d.k = B.k, d.k_stride = B.k_ld, d.v = B.v, d.v_stride = B.v_ld;
        if (c.use_short_conv) {
            d.q_conv = w.q_conv, d.k_conv = w.k_conv, d.v_conv = w.v_conv;
            d.q_tails = q_tails.data(), d.k_tails = k_tails.data(), d.v_tails = v_tails.data();
            d.W = c.conv_size;
            d.qk_conv_silu = qk_silu;
        }
        d.qk_act = act, d.qk_norm = int(norm), d.q_scale = scale;
        d.beta = B.b, d.beta_stride = B.heads_ld, d.beta_factor = beta_factor, d.beta_is_one = !w.b_proj;
        if (gated) d.decay = B.a, d.decay_stride = B.heads_ld, d.A_log = w.A_log, d.dt_bias = w.dt_bias;
        be.decode_inputs(d);
    } else {
        if (c.use_short_conv) {
            for (const Span &s : spans) {
                const LayerState &st = s.state->layer(layer);
                auto conv = [&](float *x, int64_t ld, const float *weight, float *tail, int D, bool silu) {
                    ConvArgs a;
                    a.x = x + s.row * ld; a.x_stride = ld;
                    a.y = x + s.row * ld; a.y_stride = ld;
                    a.weight = weight; a.tail = tail;
                    a.T = s.n; a.D = D; a.W = c.conv_size; a.silu = silu;
                    be.short_conv(a);
                };
                conv(B.q, B.q_ld, w.q_conv, st.q_tail, c.key_dim, qk_silu);
                conv(B.k, B.k_ld, w.k_conv, st.k_tail, c.key_dim, qk_silu);
                conv(B.v, B.v_ld, w.v_conv, st.v_tail, c.value_dim, true);
            }
        } else {
            be.qk_transform(B.v, B.v_ld, R, 1, c.value_dim, QKActivation::Silu, Backend::Norm::None, 1.0f);
        }
        be.qk_transform(B.q, B.q_ld, R, c.num_k_heads, c.head_k_dim, act, norm, scale);
        be.qk_transform(B.k, B.k_ld, R, c.num_k_heads, c.head_k_dim, act, norm, 1.0f);
        be.beta(B.b, B.heads_ld, R, c.num_v_heads, beta_factor, !w.b_proj);
        if (gated) be.gated_decay(B.a, B.heads_ld, R, c.num_v_heads, w.A_log, w.dt_bias);
    }

    if (decode_rows) {
        std::vector<float *> states;
        for (const Span &s : spans) states.push_back(s.state->layer(layer).S);
        DeltaRowsArgs a;
        a.B = R;
        a.Hk = c.num_k_heads; a.Hv = c.num_v_heads; a.dk = c.head_k_dim; a.dv = c.head_v_dim;
        a.q = B.q, a.q_stride = B.q_ld, a.k = B.k, a.k_stride = B.k_ld, a.v = B.v, a.v_stride = B.v_ld;
        a.beta = B.b, a.beta_stride = B.heads_ld;
        if (gated) a.g = B.a, a.g_stride = B.heads_ld;
        a.states = states.data();
        a.o = B.o, a.o_stride = c.value_dim;
        be.delta_rule_rows(a);
    }
    for (const Span &s : spans) {
        if (decode_rows) break;
        DeltaArgs a;
        a.T = s.n;
        a.Hk = c.num_k_heads; a.Hv = c.num_v_heads; a.dk = c.head_k_dim; a.dv = c.head_v_dim;
        a.q = B.q + s.row * B.q_ld; a.q_stride = B.q_ld;
        a.k = B.k + s.row * B.k_ld; a.k_stride = B.k_ld;
        a.v = B.v + s.row * B.v_ld; a.v_stride = B.v_ld;
        a.beta = B.b + s.row * B.heads_ld; a.beta_stride = B.heads_ld;
        if (gated) { a.g = B.a + s.row * B.heads_ld; a.g_stride = B.heads_ld; }
        a.state = s.state->layer(layer).S;
        a.o = B.o + s.row * c.value_dim; a.o_stride = c.value_dim;
        a.chunked = s.n > 1;
        a.bf16_products = model.precision() == DN_PRECISION_FAST;
        be.delta_rule(a);
    }

    // Per-head output norm (gated by silu(g_proj x) when use_gate), then the output projection.
    const int64_t head_rows = R * c.num_v_heads;
    be.rms_norm(B.o, c.head_v_dim, w.o_norm, w.g_proj ? B.gate : nullptr, c.head_v_dim, B.o, c.head_v_dim,
                head_rows, c.head_v_dim, c.norm_eps);
    be.matmul(B.o, c.value_dim, R, *w.o_proj, B.y, H);
}

void attention_mixer(const Model &model, int layer, const std::vector<Span> &spans, int64_t R, const Buffers &B) {
    Backend &be = model.backend();
    const ModelConfig &c = model.config();
    const AttentionConfig &cfg = *c.attention[size_t(layer)];
    const AttentionLayerWeights &w = model.layer(layer).attention;
    const int64_t H = c.hidden_size;
    const int kv = cfg.num_kv_heads * cfg.head_dim;

    const MatmulTarget projections[] = {{w.q_proj.get(), B.q, B.q_ld}, {w.k_proj.get(), B.k, B.k_ld},
                                        {w.v_proj.get(), B.v, B.v_ld}};
    be.matmul_many(B.x, H, R, projections, 3);
    if (w.q_bias) {
        be.add_bias(B.q, B.q_ld, R, w.q_bias, int(H));
        be.add_bias(B.k, B.k_ld, R, w.k_bias, kv);
        be.add_bias(B.v, B.v_ld, R, w.v_bias, kv);
    }
    for (const Span &s : spans) {
        const LayerState &st = s.state->layer(layer);
        AttentionArgs a;
        a.T = s.n;
        a.position = s.state->position();
        a.num_heads = cfg.num_heads; a.num_kv_heads = cfg.num_kv_heads; a.head_dim = cfg.head_dim;
        a.window = cfg.window_size;
        a.rope_theta = cfg.rope_theta;
        a.q = B.q + s.row * B.q_ld; a.q_stride = B.q_ld;
        a.k = B.k + s.row * B.k_ld; a.k_stride = B.k_ld;
        a.v = B.v + s.row * B.v_ld; a.v_stride = B.v_ld;
        a.k_cache = st.k_cache; a.v_cache = st.v_cache; a.capacity = st.capacity;
        a.o = B.o + s.row * H; a.o_stride = H;
        be.attention(a);
    }
    be.matmul(B.o, H, R, *w.o_proj, B.y, H);
}

// The layers over the pass's rows, up to the logits in B.logits (device memory).
void run_layers(const Model &model, const std::vector<Span> &spans, int64_t R, LogitRows rows,
                const std::vector<int32_t> &ids, const Buffers &B) {
    Backend &be = model.backend();
    const ModelConfig &c = model.config();
    const int64_t H = c.hidden_size;
    const int64_t logit_rows = rows == LogitRows::All ? R : rows == LogitRows::Last ? int64_t(spans.size()) : 0;
    be.embed(model.embeddings(), ids.data(), R, B.h);
    be.rms_norm(B.h, H, model.layer(0).attn_norm, nullptr, 0, B.x, H, R, int(H), c.norm_eps);
    for (int i = 0; i < c.num_layers; ++i) {
        const LayerWeights &L = model.layer(i);
        if (c.is_attention_layer(i)) attention_mixer(model, i, spans, R, B);
        else delta_mixer(model, i, spans, R, B);
        be.add_rms_norm(B.h, B.y, L.mlp_norm, B.x, R, int(H), c.norm_eps);
        const MatmulTarget mlp_in[] = {{L.gate_proj.get(), B.mlp_gate, c.intermediate_size},
                                       {L.up_proj.get(), B.mlp_up, c.intermediate_size}};
        be.matmul_many(B.x, H, R, mlp_in, 2);
        be.glu_matmul(B.mlp_gate, B.mlp_up, R, c.intermediate_size, c.mlp_activation, *L.down_proj, B.y, H);
        // The residual add, fused with the next layer's input norm.
        if (i + 1 < c.num_layers)
            be.add_rms_norm(B.h, B.y, model.layer(i + 1).attn_norm, B.x, R, int(H), c.norm_eps);
        else
            be.add(B.h, B.y, size_t(R * H));
    }
    if (rows == LogitRows::None) return;
    if (rows == LogitRows::All) {
        be.rms_norm(B.h, H, model.final_norm(), nullptr, 0, B.x, H, R, int(H), c.norm_eps);
    } else {
        // Each span's last row, one launch per run of spans whose last rows are evenly spaced (all of
        // a batched decode step, where every span is one row): one launch per span cost a 256-sequence
        // step 1 ms on an H100.
        for (size_t i = 0; i < spans.size();) {
            const int64_t last = spans[i].row + spans[i].n - 1;
            const int64_t step = i + 1 < spans.size() ? spans[i + 1].row + spans[i + 1].n - 1 - last : 1;
            size_t end = i + 1;
            while (step > 0 && end < spans.size() && spans[end].row + spans[end].n - 1 == last + int64_t(end - i) * step)
                ++end;
            const int64_t stride = end - i > 1 ? step * H : H;
            be.rms_norm(B.h + last * H, stride, model.final_norm(), nullptr, 0, B.x + int64_t(i) * H, H,
                        int64_t(end - i), int(H), c.norm_eps);
            i = end;
        }
    }
    be.matmul(B.x, H, logit_rows, model.lm_head(), B.logits, c.vocab_size);
}

// Runs the layers through a recorded pass where the backend can record one and this pass is a
// decode step it has seen before (recording costs about one eager run; replaying saves the launch
// cost of every operation). Returns false where the caller must run the layers itself.
bool run_recorded(const Model &model, const std::vector<Span> &spans, int64_t R, LogitRows rows,
                  const std::vector<int32_t> &ids, const Buffers &B, Workspace &workspace) {
    Backend &be = model.backend();
    const ModelConfig &c = model.config();
    // Attention layers take the position as an argument: their steps differ every time.
    if (!be.can_capture() || R > kMaxCapturedRows || c.num_attention_layers() > 0) return false;
    for (const Span &s : spans)
        if (s.n != 1) return false;
    std::vector<uint64_t> states;
    for (const Span &s : spans) states.push_back(s.state->serial());
    Workspace::PassKey key{model.serial(), std::move(states), R, int(rows), B.h};
    if (auto it = workspace.captured.find(key); it != workspace.captured.end()) {
        if (!it->second) return false;  // recording this pass failed once: it runs eagerly
        if (be.replay(*it->second, ids.data(), R)) return true;
        workspace.captured.erase(it);
    }
    if (workspace.seen.insert(key).second) {
        if (workspace.seen.size() > 64) workspace.seen.clear();  // bounded: keys of freed states pile up
        workspace.seen.insert(key);
        return false;
    }
    if (workspace.captured.size() >= 16) workspace.captured.erase(workspace.captured.begin());
    // Nothing runs while recording, so a failure here changes nothing: the pass then runs eagerly
    // (which reports a real device error again) and is not recorded again.
    std::unique_ptr<CapturedPass> pass;
    try {
        be.begin_capture();
        run_layers(model, spans, R, rows, ids, B);
        pass = be.end_capture();
    } catch (const Error &) {
        be.abort_capture();
    }
    if (!pass || !be.replay(*pass, ids.data(), R)) {
        workspace.captured.emplace(std::move(key), nullptr);
        return false;
    }
    workspace.captured.emplace(std::move(key), std::move(pass));
    return true;
}

// One pass of the layers over spans whose rows fit in one set of buffers.
void run_pass(const Model &model, const std::vector<Span> &spans, int64_t R, LogitRows rows, float *logits,
              Workspace &workspace) {
    Backend &be = model.backend();
    const ModelConfig &c = model.config();
    const int64_t logit_rows = rows == LogitRows::All ? R : rows == LogitRows::Last ? int64_t(spans.size()) : 0;
    Buffers B;
    const size_t floats = Buffers::layout(c, R, logit_rows, nullptr, nullptr);
    Buffers::layout(c, R, logit_rows, workspace.get(be, floats), &B);
    std::vector<int32_t> ids;  // every row's token, in row order
    ids.reserve(size_t(R));
    for (const Span &s : spans) ids.insert(ids.end(), s.tokens, s.tokens + s.n);

    // Everything that can fail for lack of memory has been allocated: states change from here on.
    if (!run_recorded(model, spans, R, rows, ids, B, workspace)) run_layers(model, spans, R, rows, ids, B);
    for (const Span &s : spans) s.state->advance(s.n);
    if (logit_rows) be.download(logits, B.logits, size_t(logit_rows * c.vocab_size));
}

}  // namespace

Workspace::~Workspace() { clear(); }

void Workspace::clear() {
    captured.clear();
    seen.clear();
    if (buffer_) backend_->release(buffer_);
    buffer_ = nullptr;
    capacity_ = 0;
}

float *Workspace::get(Backend &backend, size_t count) {
    if (buffer_ && (backend_ != &backend || capacity_ < count)) clear();  // recorded passes used the old buffer
    if (!buffer_) {
        buffer_ = backend.alloc(count);
        backend_ = &backend;
        capacity_ = count;
    }
    return buffer_;
}

void run_forward(const Model &model, const std::vector<Sequence> &sequences, LogitRows rows, float *logits,
                 Workspace &workspace) {
    const int64_t V = model.config().vocab_size;
    if (sequences.size() == 1) {
        // One sequence: blocks of at most kMaxRowsPerPass tokens, the state carried between them.
        const Sequence &s = sequences[0];
        const int64_t per_pass = model.backend().max_rows_per_pass();
        for (int64_t start = 0; start < s.n; start += per_pass) {
            const int64_t n = std::min(per_pass, s.n - start);
            const bool last_block = start + n == s.n;
            LogitRows block_rows = rows == LogitRows::All ? LogitRows::All
                                   : (rows == LogitRows::Last && last_block) ? LogitRows::Last
                                                                             : LogitRows::None;
            float *out = rows == LogitRows::All ? logits + start * V : logits;
            run_pass(model, {Span{s.state, s.tokens + start, n, 0}}, n, block_rows, out, workspace);
        }
        model.backend().synchronize();
        return;
    }
    std::vector<Span> spans;
    int64_t row = 0;
    for (const Sequence &s : sequences) {
        spans.push_back(Span{s.state, s.tokens, s.n, row});
        row += s.n;
    }
    run_pass(model, spans, row, rows, logits, workspace);
    // States are complete when the call returns (another queue may save or clone them next).
    model.backend().synchronize();
}

}  // namespace dn
