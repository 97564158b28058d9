#include "backends/cpu/elementwise.h"

#include <cmath>
#include <vector>

namespace dn::cpu {

namespace {

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// log(1 + exp(x)), linear above 20 as fla's softplus.
inline float softplus(float x) { return x > 20.0f ? x : std::log1p(std::exp(x)); }

inline double sum_of_squares(const float *x, int dim) {
    double sum = 0.0;
    for (int i = 0; i < dim; ++i) sum += double(x[i]) * double(x[i]);
    return sum;
}

}  // namespace

void rms_norm(const float *x, int64_t x_stride, const float *weight, const float *gate, int64_t gate_stride,
              float *y, int64_t y_stride, int64_t rows, int dim, float eps) {
#pragma omp parallel for schedule(static) if (rows * dim > 16384)
    for (int64_t r = 0; r < rows; ++r) {
        const float *in = x + r * x_stride;
        float *out = y + r * y_stride;
        const float rstd = float(1.0 / std::sqrt(sum_of_squares(in, dim) / dim + double(eps)));
        if (gate) {
            const float *g = gate + r * gate_stride;
            for (int i = 0; i < dim; ++i) out[i] = in[i] * rstd * weight[i] * (g[i] * sigmoid(g[i]));
        } else {
            for (int i = 0; i < dim; ++i) out[i] = in[i] * rstd * weight[i];
        }
    }
}

void add_rms_norm(float *residual, const float *delta, const float *weight, float *y, int64_t rows, int dim,
                  float eps) {
#pragma omp parallel for schedule(static) if (rows * dim > 16384)
    for (int64_t r = 0; r < rows; ++r) {
        float *res = residual + r * dim;
        const float *d = delta + r * dim;
        for (int i = 0; i < dim; ++i) res[i] += d[i];
        const float rstd = float(1.0 / std::sqrt(sum_of_squares(res, dim) / dim + double(eps)));
        float *out = y + r * dim;
        for (int i = 0; i < dim; ++i) out[i] = res[i] * rstd * weight[i];
    }
}

void add(float *y, const float *x, size_t count) {
#pragma omp parallel for schedule(static) if (count > 65536)
    for (size_t i = 0; i < count; ++i) y[i] += x[i];
}

void short_conv(const ConvArgs &a) {
    const int W = a.W;
    const int64_t T = a.T;
    const int D = a.D;
    // Channels are independent: each thread takes a block of channels through all T steps.
    constexpr int kBlock = 64;
    const int blocks = (D + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (T * D > 16384)
    for (int b = 0; b < blocks; ++b) {
        const int c0 = b * kBlock;
        const int c1 = std::min(D, c0 + kBlock);
        const int width = c1 - c0;
        // window[j] holds input t - (W-1) + j for the block's channels.
        std::vector<float> window(size_t(W) * width);
        for (int j = 0; j < W - 1; ++j)
            for (int c = 0; c < width; ++c) window[size_t(j) * width + c] = a.tail[int64_t(j) * D + c0 + c];
        for (int64_t t = 0; t < T; ++t) {
            const float *x = a.x + t * a.x_stride + c0;
            for (int c = 0; c < width; ++c) window[size_t(W - 1) * width + c] = x[c];
            float *y = a.y + t * a.y_stride + c0;
            for (int c = 0; c < width; ++c) {
                const float *w = a.weight + int64_t(c0 + c) * W;
                float sum = 0.0f;
                for (int j = 0; j < W; ++j) sum += w[j] * window[size_t(j) * width + c];
                y[c] = a.silu ? sum * sigmoid(sum) : sum;
            }
            for (int j = 0; j + 1 < W; ++j)
                for (int c = 0; c < width; ++c) window[size_t(j) * width + c] = window[size_t(j + 1) * width + c];
        }
        for (int j = 0; j < W - 1; ++j)
            for (int c = 0; c < width; ++c) a.tail[int64_t(j) * D + c0 + c] = window[size_t(j) * width + c];
    }
}

void qk_transform(float *x, int64_t stride, int64_t rows, int heads, int dim, QKActivation act, int norm,
                  float scale) {
#pragma omp parallel for schedule(static) if (rows * heads * dim > 16384)
    for (int64_t r = 0; r < rows; ++r) {
        for (int h = 0; h < heads; ++h) {
            float *v = x + r * stride + int64_t(h) * dim;
            switch (act) {
                case QKActivation::Relu:
                    for (int i = 0; i < dim; ++i) v[i] = v[i] > 0.0f ? v[i] : 0.0f;
                    break;
                case QKActivation::Elu:  // elu(x) + 1
                    for (int i = 0; i < dim; ++i) v[i] = v[i] > 0.0f ? v[i] + 1.0f : std::exp(v[i]);
                    break;
                case QKActivation::Silu:
                    for (int i = 0; i < dim; ++i) v[i] = v[i] * sigmoid(v[i]);
                    break;
                case QKActivation::Identity:
                    break;
            }
            if (norm == 1) {
                // fla normalises first, then scales: keep that rounding order.
                const float inv = float(1.0 / std::sqrt(sum_of_squares(v, dim) + 1e-6));
                for (int i = 0; i < dim; ++i) v[i] = (v[i] * inv) * scale;
                continue;
            }
            if (norm == 2) {
                float sum = 0.0f;
                for (int i = 0; i < dim; ++i) sum += v[i];
                for (int i = 0; i < dim; ++i) v[i] = (v[i] / sum) * scale;
                continue;
            }
            if (scale != 1.0f)
                for (int i = 0; i < dim; ++i) v[i] *= scale;
        }
    }
}

void beta(float *b, int64_t stride, int64_t rows, int heads, float factor, bool b_is_one) {
    for (int64_t r = 0; r < rows; ++r)
        for (int h = 0; h < heads; ++h) {
            float &v = b[r * stride + h];
            v = b_is_one ? factor : sigmoid(v) * factor;
        }
}

void gated_decay(float *a, int64_t stride, int64_t rows, int heads, const float *A_log, const float *dt_bias) {
    for (int64_t r = 0; r < rows; ++r)
        for (int h = 0; h < heads; ++h) {
            float &v = a[r * stride + h];
            v = -std::exp(A_log[h]) * softplus(v + dt_bias[h]);
        }
}

void glu(const float *gate, const float *up, float *out, int64_t rows, int dim, MlpActivation act) {
    const int64_t n = rows * dim;
    if (act == MlpActivation::Swish) {
#pragma omp parallel for schedule(static) if (n > 65536)
        for (int64_t i = 0; i < n; ++i) out[i] = gate[i] * sigmoid(gate[i]) * up[i];
        return;
    }
    // fla's PowGLU: x^(3 / (sqrt(x) + 1)) * sigmoid(x) for x > 0, silu(x) otherwise.
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; ++i) {
        const float x = gate[i];
        const float s = sigmoid(x);
        const float g = x > 0.0f ? std::exp(3.0f / (std::sqrt(x) + 1.0f) * std::log(x)) * s : x * s;
        out[i] = g * up[i];
    }
}

void add_bias(float *y, int64_t stride, int64_t rows, const float *bias, int dim) {
    for (int64_t r = 0; r < rows; ++r)
        for (int i = 0; i < dim; ++i) y[r * stride + i] += bias[i];
}

}  // namespace dn::cpu
