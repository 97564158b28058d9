#include "backends/cpu/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <omp.h>

namespace dn::cpu {

void apply_rope(float *x, int heads, int head_dim, int64_t position, double theta) {
    const int half = head_dim / 2;
    for (int i = 0; i < half; ++i) {
        // As fla: inv_freq = 1 / theta^(2i/d) and the angle position * inv_freq, both in float32.
        const float inv_freq = float(1.0 / std::pow(theta, double(2 * i) / head_dim));
        const float angle = float(position) * inv_freq;
        const float c = std::cos(angle), s = std::sin(angle);
        for (int h = 0; h < heads; ++h) {
            float *v = x + int64_t(h) * head_dim;
            const float a = v[i], b = v[i + half];
            v[i] = a * c - b * s;
            v[i + half] = b * c + a * s;
        }
    }
}

void attention(const AttentionArgs &a) {
    const int D = a.head_dim;
    const int kv_dim = a.num_kv_heads * D;
    const int group = a.num_heads / a.num_kv_heads;
    const int64_t T = a.T, P = a.position;

    for (int64_t t = 0; t < T; ++t) {
        apply_rope(a.q + t * a.q_stride, a.num_heads, D, P + t, a.rope_theta);
        apply_rope(a.k + t * a.k_stride, a.num_kv_heads, D, P + t, a.rope_theta);
    }

    // Gather the keys/values this call can see into one contiguous run: the cached ones a window
    // still reaches (or all of them, for global attention), then the new ones.
    const int64_t reach = a.window ? std::min<int64_t>(P, a.window - 1) : P;
    const int64_t first = P - reach;  // absolute position of row 0 of the run
    const int64_t rows = reach + T;
    std::vector<float> keys(static_cast<size_t>(rows * kv_dim)), values(static_cast<size_t>(rows * kv_dim));
    for (int64_t r = 0; r < reach; ++r) {
        const int64_t slot = (first + r) % a.capacity;
        std::copy_n(a.k_cache + slot * kv_dim, kv_dim, keys.data() + r * kv_dim);
        std::copy_n(a.v_cache + slot * kv_dim, kv_dim, values.data() + r * kv_dim);
    }
    for (int64_t t = 0; t < T; ++t) {
        std::copy_n(a.k + t * a.k_stride, kv_dim, keys.data() + (reach + t) * kv_dim);
        std::copy_n(a.v + t * a.v_stride, kv_dim, values.data() + (reach + t) * kv_dim);
    }

    const float scale = float(1.0 / std::sqrt(double(D)));
    // One row of scores per thread, allocated here: nothing may throw inside the parallel region.
    std::vector<float> all_scores(static_cast<size_t>(rows) * size_t(omp_get_max_threads()));
#pragma omp parallel
    {
        float *scores = all_scores.data() + size_t(rows) * size_t(omp_get_thread_num());
#pragma omp for collapse(2) schedule(static)
        for (int64_t t = 0; t < T; ++t) {
            for (int h = 0; h < a.num_heads; ++h) {
                const int kvh = h / group;
                const float *q = a.q + t * a.q_stride + int64_t(h) * D;
                const int64_t last = reach + t;  // row of the query's own key
                const int64_t lo = a.window ? std::max<int64_t>(0, last - (a.window - 1)) : 0;
                float max_score = -INFINITY;
                for (int64_t r = lo; r <= last; ++r) {
                    const float *k = keys.data() + r * kv_dim + int64_t(kvh) * D;
                    float dot = 0.0f;
                    for (int d = 0; d < D; ++d) dot += q[d] * k[d];
                    scores[r] = dot * scale;
                    max_score = std::max(max_score, scores[r]);
                }
                double total = 0.0;
                for (int64_t r = lo; r <= last; ++r) {
                    scores[r] = std::exp(scores[r] - max_score);
                    total += scores[r];
                }
                const float inv_total = float(1.0 / total);
                float *o = a.o + t * a.o_stride + int64_t(h) * D;
                std::fill_n(o, D, 0.0f);
                for (int64_t r = lo; r <= last; ++r) {
                    const float p = scores[r] * inv_total;
                    const float *v = values.data() + r * kv_dim + int64_t(kvh) * D;
                    for (int d = 0; d < D; ++d) o[d] += p * v[d];
                }
            }
        }
    }

    // Keep the newest tokens in the ring: at most `capacity` of them.
    for (int64_t t = std::max<int64_t>(0, T - a.capacity); t < T; ++t) {
        const int64_t slot = (P + t) % a.capacity;
        std::copy_n(a.k + t * a.k_stride, kv_dim, a.k_cache + slot * kv_dim);
        std::copy_n(a.v + t * a.v_stride, kv_dim, a.v_cache + slot * kv_dim);
    }
}

}  // namespace dn::cpu
