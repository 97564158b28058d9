#include "support/reference_model.h"

#include <cmath>
#include <map>
#include <stdexcept>
#include <string>

#include "core/model_config.h"
#include "core/safetensors.h"
#include "core/mapped_file.h"
#include "model/weights.h"

namespace dntest {

namespace {

using Vec = std::vector<double>;

struct Weights {
    dn::CheckpointFiles files;
    explicit Weights(const std::string &dir) : files(dir) {}
    Vec get(const std::string &name) const {
        const dn::TensorView *t = files.find(name);
        if (!t) throw std::runtime_error("reference: missing tensor " + name);
        std::vector<float> f(size_t(t->numel()));
        dn::convert_to_f32(t->dtype, t->data, f.data(), f.size());
        return Vec(f.begin(), f.end());
    }
};

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double silu(double x) { return x * sigmoid(x); }

// y = W x, W [out][in] row-major.
Vec linear(const Vec &W, const Vec &x, size_t out) {
    const size_t in = x.size();
    Vec y(out, 0.0);
    for (size_t o = 0; o < out; ++o)
        for (size_t i = 0; i < in; ++i) y[o] += W[o * in + i] * x[i];
    return y;
}

Vec rms_norm(const Vec &x, const double *w, double eps) {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double r = 1.0 / std::sqrt(ss / double(x.size()) + eps);
    Vec y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * r * w[i];
    return y;
}

// One delta-rule layer's memory.
struct DeltaMemory {
    std::vector<Vec> S;                 // per value head [dv][dk]
    std::vector<Vec> q_hist, k_hist, v_hist;  // past conv inputs, newest last
};

struct AttnMemory {
    std::vector<Vec> keys, values;  // rotated keys, values, per position
};

void rope(double *x, int heads, int d, int64_t pos, double theta) {
    const int half = d / 2;
    for (int h = 0; h < heads; ++h)
        for (int i = 0; i < half; ++i) {
            const double angle = double(pos) / std::pow(theta, 2.0 * i / d);
            double &a = x[h * d + i], &b = x[h * d + i + half];
            const double na = a * std::cos(angle) - b * std::sin(angle);
            const double nb = b * std::cos(angle) + a * std::sin(angle);
            a = na;
            b = nb;
        }
}

// Causal depthwise convolution of the newest input with its history (zeros before the start).
Vec conv_step(std::vector<Vec> &hist, const Vec &x, const Vec &w, int W, bool act) {
    hist.push_back(x);
    const size_t D = x.size();
    Vec y(D, 0.0);
    for (size_t c = 0; c < D; ++c) {
        double s = 0;
        for (int j = 0; j < W; ++j) {
            const int64_t t = int64_t(hist.size()) - W + j;
            if (t >= 0) s += w[c * size_t(W) + size_t(j)] * hist[size_t(t)][c];
        }
        y[c] = act ? silu(s) : s;
    }
    return y;
}

}  // namespace

std::vector<double> reference_logits(const std::filesystem::path &model_dir, const std::vector<int32_t> &tokens) {
    const std::string cfg_path = (model_dir / "config.json").string();
    const dn::ModelConfig c = dn::parse_model_config(dn::read_text_file(cfg_path), cfg_path);
    const Weights W(model_dir.string());
    const bool gated = c.family == DN_FAMILY_GATED_DELTANET;
    const size_t H = size_t(c.hidden_size);

    std::map<std::string, Vec> w;
    auto get = [&](const std::string &name) -> const Vec & {
        auto it = w.find(name);
        if (it == w.end()) it = w.emplace(name, W.get(name)).first;
        return it->second;
    };
    std::vector<DeltaMemory> dmem(size_t(c.num_layers));
    std::vector<AttnMemory> amem(size_t(c.num_layers));
    for (auto &m : dmem) m.S.assign(size_t(c.num_v_heads), Vec(size_t(c.head_v_dim * c.head_k_dim), 0.0));

    std::vector<double> logits;
    for (size_t pos = 0; pos < tokens.size(); ++pos) {
        const Vec &E = get("model.embeddings.weight");
        Vec h(E.begin() + long(size_t(tokens[pos]) * H), E.begin() + long(size_t(tokens[pos] + 1) * H));
        for (int l = 0; l < c.num_layers; ++l) {
            const std::string p = "model.layers." + std::to_string(l) + ".";
            const Vec x = rms_norm(h, get(p + "attn_norm.weight").data(), c.norm_eps);
            Vec mixed;
            if (c.is_attention_layer(l)) {
                const auto &a = *c.attention[size_t(l)];
                const size_t kv = size_t(a.num_kv_heads * a.head_dim);
                Vec q = linear(get(p + "attn.q_proj.weight"), x, H);
                Vec k = linear(get(p + "attn.k_proj.weight"), x, kv);
                Vec v = linear(get(p + "attn.v_proj.weight"), x, kv);
                if (a.qkv_bias) {
                    for (size_t i = 0; i < H; ++i) q[i] += get(p + "attn.q_proj.bias")[i];
                    for (size_t i = 0; i < kv; ++i) k[i] += get(p + "attn.k_proj.bias")[i];
                    for (size_t i = 0; i < kv; ++i) v[i] += get(p + "attn.v_proj.bias")[i];
                }
                rope(q.data(), a.num_heads, a.head_dim, int64_t(pos), a.rope_theta);
                rope(k.data(), a.num_kv_heads, a.head_dim, int64_t(pos), a.rope_theta);
                AttnMemory &m = amem[size_t(l)];
                m.keys.push_back(k);
                m.values.push_back(v);
                const size_t first = a.window_size && pos + 1 > size_t(a.window_size) ? pos + 1 - size_t(a.window_size) : 0;
                Vec o(H, 0.0);
                const int group = a.num_heads / a.num_kv_heads;
                for (int hh = 0; hh < a.num_heads; ++hh) {
                    const int kh = hh / group;
                    Vec s;
                    double mx = -1e300;
                    for (size_t j = first; j <= pos; ++j) {
                        double dot = 0;
                        for (int d = 0; d < a.head_dim; ++d)
                            dot += q[size_t(hh * a.head_dim + d)] * m.keys[j][size_t(kh * a.head_dim + d)];
                        s.push_back(dot / std::sqrt(double(a.head_dim)));
                        mx = std::max(mx, s.back());
                    }
                    double tot = 0;
                    for (double &e : s) tot += (e = std::exp(e - mx));
                    for (size_t j = first; j <= pos; ++j)
                        for (int d = 0; d < a.head_dim; ++d)
                            o[size_t(hh * a.head_dim + d)] +=
                                s[j - first] / tot * m.values[j][size_t(kh * a.head_dim + d)];
                }
                mixed = linear(get(p + "attn.o_proj.weight"), o, H);
            } else {
                DeltaMemory &m = dmem[size_t(l)];
                Vec q = linear(get(p + "attn.q_proj.weight"), x, size_t(c.key_dim));
                Vec k = linear(get(p + "attn.k_proj.weight"), x, size_t(c.key_dim));
                Vec v = linear(get(p + "attn.v_proj.weight"), x, size_t(c.value_dim));
                const bool qk_silu = gated || c.qk_activation == dn::QKActivation::Silu;
                if (c.use_short_conv) {
                    q = conv_step(m.q_hist, q, get(p + "attn.q_conv1d.weight"), c.conv_size, qk_silu);
                    k = conv_step(m.k_hist, k, get(p + "attn.k_conv1d.weight"), c.conv_size, qk_silu);
                    v = conv_step(m.v_hist, v, get(p + "attn.v_conv1d.weight"), c.conv_size, true);
                } else {
                    for (double &e : v) e = silu(e);
                    if (qk_silu) {
                        for (double &e : q) e = silu(e);
                        for (double &e : k) e = silu(e);
                    }
                }
                if (!gated) {
                    auto act = [&](double e) {
                        switch (c.qk_activation) {
                            case dn::QKActivation::Relu: return e > 0 ? e : 0.0;
                            case dn::QKActivation::Elu: return e > 0 ? e + 1.0 : std::exp(e);
                            default: return e;
                        }
                    };
                    for (double &e : q) e = act(e);
                    for (double &e : k) e = act(e);
                }
                const int dk = c.head_k_dim, dv = c.head_v_dim;
                auto normalise = [&](Vec &t, double scale) {
                    for (int hh = 0; hh < c.num_k_heads; ++hh) {
                        double *e = t.data() + size_t(hh * dk);
                        double n = 0;
                        if (c.qk_norm == dn::QKNorm::L2) {
                            for (int i = 0; i < dk; ++i) n += e[i] * e[i];
                            n = std::sqrt(n + 1e-6);
                        } else {
                            for (int i = 0; i < dk; ++i) n += e[i];
                        }
                        for (int i = 0; i < dk; ++i) e[i] = e[i] / n * scale;
                    }
                };
                normalise(q, 1.0 / std::sqrt(double(dk)));
                normalise(k, 1.0);
                Vec beta(size_t(c.num_v_heads), 1.0), decay(size_t(c.num_v_heads), 1.0);
                if (gated || c.use_beta) {
                    beta = linear(get(p + "attn.b_proj.weight"), x, size_t(c.num_v_heads));
                    for (double &b : beta) b = sigmoid(b);
                }
                if (c.allow_neg_eigval)
                    for (double &b : beta) b *= 2.0;
                if (gated) {
                    const Vec a = linear(get(p + "attn.a_proj.weight"), x, size_t(c.num_v_heads));
                    for (int hh = 0; hh < c.num_v_heads; ++hh) {
                        const double z = a[size_t(hh)] + get(p + "attn.dt_bias")[size_t(hh)];
                        const double sp = z > 20 ? z : std::log1p(std::exp(z));
                        decay[size_t(hh)] = std::exp(-std::exp(get(p + "attn.A_log")[size_t(hh)]) * sp);
                    }
                }
                Vec o(size_t(c.value_dim), 0.0);
                const int group = c.num_v_heads / c.num_k_heads;
                for (int hv = 0; hv < c.num_v_heads; ++hv) {
                    Vec &S = m.S[size_t(hv)];
                    const double *kk = k.data() + size_t((hv / group) * dk);
                    const double *qq = q.data() + size_t((hv / group) * dk);
                    const double *vv = v.data() + size_t(hv * dv);
                    for (double &e : S) e *= decay[size_t(hv)];
                    for (int r = 0; r < dv; ++r) {
                        double sk = 0;
                        for (int i = 0; i < dk; ++i) sk += S[size_t(r * dk + i)] * kk[i];
                        const double u = beta[size_t(hv)] * (vv[r] - sk);
                        for (int i = 0; i < dk; ++i) S[size_t(r * dk + i)] += u * kk[i];
                        double sq = 0;
                        for (int i = 0; i < dk; ++i) sq += S[size_t(r * dk + i)] * qq[i];
                        o[size_t(hv * dv + r)] = sq;
                    }
                }
                Vec g;
                if (c.use_gate) g = linear(get(p + "attn.g_proj.weight"), x, size_t(c.value_dim));
                for (int hv = 0; hv < c.num_v_heads; ++hv) {
                    Vec head(o.begin() + hv * dv, o.begin() + (hv + 1) * dv);
                    head = rms_norm(head, get(p + "attn.o_norm.weight").data(), c.norm_eps);
                    for (int i = 0; i < dv; ++i)
                        o[size_t(hv * dv + i)] = head[size_t(i)] * (c.use_gate ? silu(g[size_t(hv * dv + i)]) : 1.0);
                }
                mixed = linear(get(p + "attn.o_proj.weight"), o, H);
            }
            for (size_t i = 0; i < H; ++i) h[i] += mixed[i];
            const Vec xm = rms_norm(h, get(p + "mlp_norm.weight").data(), c.norm_eps);
            const size_t I = size_t(c.intermediate_size);
            const Vec gate = linear(get(p + "mlp.gate_proj.weight"), xm, I);
            const Vec up = linear(get(p + "mlp.up_proj.weight"), xm, I);
            Vec act(I);
            for (size_t i = 0; i < I; ++i) {
                const double z = gate[i];
                const double a = c.mlp_activation == dn::MlpActivation::Swish
                                     ? silu(z)
                                     : (z > 0 ? std::pow(z, 3.0 / (std::sqrt(z) + 1.0)) * sigmoid(z) : silu(z));
                act[i] = a * up[i];
            }
            const Vec down = linear(get(p + "mlp.down_proj.weight"), act, H);
            for (size_t i = 0; i < H; ++i) h[i] += down[i];
        }
        const Vec xf = rms_norm(h, get("model.norm.weight").data(), c.norm_eps);
        const Vec &head = c.tie_word_embeddings ? get("model.embeddings.weight") : get("lm_head.weight");
        const Vec l = linear(head, xf, size_t(c.vocab_size));
        logits.insert(logits.end(), l.begin(), l.end());
    }
    return logits;
}

}  // namespace dntest
