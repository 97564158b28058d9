// Decode-time matrix products: a few activation rows against a large weight matrix. These are bound
// by the bytes of W, so the kernel streams W exactly once (widening bfloat16 to float32 in registers,
// which keeps the math exact) and keeps the activation rows in L1. oneDNN 2.6 cannot multiply float32
// activations by bfloat16 weights, hence this kernel.
#include <immintrin.h>
#include <omp.h>

// GCC 12 reports its own _mm512_undefined_* helpers as "maybe uninitialized" (a known false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>
#include <type_traits>
#include <cstdint>
#include <vector>

#include "backends/cpu/cpu_backend.h"

namespace dn::cpu {

namespace {

constexpr int64_t kRowsPerTask = 16;  // output features per scheduling unit (portable kernel)

// Memory-level parallelism decides how fast one core streams W. The kernels read NR rows side by
// side; taken from NR separate stretches of the thread's rows, each stretch is read in address order
// (row after row), so the core runs NR long streams, where NR adjacent rows would be NR streams of
// one row (4 KiB at K = 2048) that the prefetchers must pick up again every few microseconds.
// Measured on this project's 2-core EPYC: a plain read of 4 long streams per core moves 0.93x the
// bytes per second of a large memcpy (read + write), adjacent-row reading 0.70x.
//
// NR streams over rows [n0, n1): stream s holds rows [n0 + s len, min(n1, n0 + (s + 1) len)); step
// i takes row n0 + s len + i of the streams that still have one, always streams 0 .. rows - 1.
struct RowStreams {
    int64_t n0, n1, len;
    RowStreams(int64_t n0, int64_t n1, int streams) : n0(n0), n1(n1), len((n1 - n0 + streams - 1) / streams) {}
    int rows_at(int64_t i, int streams) const {
        int rows = 0;
        while (rows < streams && n0 + rows * len + i < n1) ++rows;
        return rows;
    }
    int64_t row(int stream, int64_t i) const { return n0 + stream * len + i; }
};

// Software prefetch distance along each stream, in bytes (the hardware prefetchers also run).
constexpr int kPrefetchBytes = 1024;

// Portable fallback: any CPU.
template <typename LoadW>
void gemv_generic(const float *x, int64_t x_stride, int64_t M, int64_t K, LoadW load_w, float *y,
                  int64_t y_stride, int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n)
        for (int64_t m = 0; m < M; ++m) {
            const float *xm = x + m * x_stride;
            float sum = 0.0f;
            for (int64_t k = 0; k < K; ++k) sum += load_w(n, k) * xm[k];
            y[m * y_stride + n] = sum;
        }
}

// float32 weights: NR rows of W at a time (one from each stream) against MR activation rows.
template <int MR, int NR>
__attribute__((target("avx512f,avx512bw"))) void gemv_f32_avx512(const float *x, int64_t x_stride, int64_t K,
                                                                 const float *W, float *y, int64_t y_stride,
                                                                 const RowStreams &streams) {
    const int64_t K16 = K / 16 * 16;
    const __mmask16 tail = __mmask16((1u << (K - K16)) - 1u);
    for (int64_t i = 0; i < streams.len; ++i) {
        const int rows = streams.rows_at(i, NR);
        const float *w_row[NR];
        for (int r = 0; r < NR; ++r) w_row[r] = W + streams.row(r < rows ? r : 0, i) * K;
        __m512 acc[NR][MR];
        for (int r = 0; r < NR; ++r)
            for (int m = 0; m < MR; ++m) acc[r][m] = _mm512_setzero_ps();
        for (int64_t k = 0; k < K; k += 16) {
            const __mmask16 mask = k < K16 ? __mmask16(0xffff) : tail;
            __m512 xv[MR];
            for (int m = 0; m < MR; ++m) xv[m] = _mm512_maskz_loadu_ps(mask, x + m * x_stride + k);
            for (int r = 0; r < NR; ++r) {
                if (r >= rows) break;
                _mm_prefetch(reinterpret_cast<const char *>(w_row[r] + k) + kPrefetchBytes, _MM_HINT_T0);
                const __m512 w = _mm512_maskz_loadu_ps(mask, w_row[r] + k);
                for (int m = 0; m < MR; ++m) acc[r][m] = _mm512_fmadd_ps(w, xv[m], acc[r][m]);
            }
        }
        for (int r = 0; r < rows; ++r)
            for (int m = 0; m < MR; ++m) y[m * y_stride + streams.row(r, i)] = _mm512_reduce_add_ps(acc[r][m]);
    }
}

// bfloat16 weights. A 512-bit load holds 32 weights; shifting each 32-bit lane left by 16 gives the
// even-indexed ones as float32 and masking off the low half the odd-indexed ones, with no shuffles.
// The activations are split once per call into matching even/odd halves (xe, xo: K/2 each, K even)
// and read from L1 by the FMAs, which leaves the registers to the accumulators.
template <int MR, int NR>
__attribute__((target("avx512f,avx512bw"), always_inline)) inline void bf16_step(
    const float *xe, const float *xo, int64_t half_stride, const uint16_t *const (&w_row)[NR], int64_t k,
    __mmask16 mask, int rows, __m512 (&acc)[NR][MR]) {
    const __m512i high = _mm512_set1_epi32(int(0xffff0000u));
    const int64_t h = k / 2;
    for (int r = 0; r < NR; ++r) {
        if (r >= rows) break;
        const __m512i bits = _mm512_maskz_loadu_epi32(mask, w_row[r] + k);
        const __m512 even_w = _mm512_castsi512_ps(_mm512_slli_epi32(bits, 16));
        const __m512 odd_w = _mm512_castsi512_ps(_mm512_and_si512(bits, high));
        for (int m = 0; m < MR; ++m) {
            acc[r][m] = _mm512_fmadd_ps(even_w, _mm512_maskz_loadu_ps(mask, xe + m * half_stride + h), acc[r][m]);
            acc[r][m] = _mm512_fmadd_ps(odd_w, _mm512_maskz_loadu_ps(mask, xo + m * half_stride + h), acc[r][m]);
        }
    }
}

template <int MR, int NR>
__attribute__((target("avx512f,avx512bw"))) void gemv_bf16_avx512(const float *xe, const float *xo,
                                                                  int64_t half_stride, int64_t K,
                                                                  const uint16_t *W, float *y, int64_t y_stride,
                                                                  const RowStreams &streams) {
    const int64_t K32 = K / 32 * 32;
    const __mmask16 tail = __mmask16((1u << ((K - K32) / 2)) - 1u);
    for (int64_t i = 0; i < streams.len; ++i) {
        const int rows = streams.rows_at(i, NR);
        const uint16_t *w_row[NR];
        for (int r = 0; r < NR; ++r) w_row[r] = W + streams.row(r < rows ? r : 0, i) * K;
        __m512 acc[NR][MR];
        for (int r = 0; r < NR; ++r)
            for (int m = 0; m < MR; ++m) acc[r][m] = _mm512_setzero_ps();
        for (int64_t k = 0; k < K32; k += 32) {
            for (int r = 0; r < rows; ++r)
                _mm_prefetch(reinterpret_cast<const char *>(w_row[r] + k) + kPrefetchBytes, _MM_HINT_T0);
            bf16_step<MR, NR>(xe, xo, half_stride, w_row, k, __mmask16(0xffff), rows, acc);
        }
        if (K32 < K) bf16_step<MR, NR>(xe, xo, half_stride, w_row, K32, tail, rows, acc);
        for (int r = 0; r < rows; ++r)
            for (int m = 0; m < MR; ++m) y[m * y_stride + streams.row(r, i)] = _mm512_reduce_add_ps(acc[r][m]);
    }
}

// AVX2 + FMA variants for CPUs without AVX-512: 8 floats a vector, the same even/odd bfloat16
// trick on 256-bit loads, and the K remainder (below a vector) done in scalar code.
__attribute__((target("avx2,fma"))) inline float hsum256(__m256 v) {
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

template <int MR, int NR>
__attribute__((target("avx2,fma"))) void gemv_f32_avx2(const float *x, int64_t x_stride, int64_t K, const float *W,
                                                        float *y, int64_t y_stride, const RowStreams &streams) {
    const int64_t K8 = K / 8 * 8;
    for (int64_t i = 0; i < streams.len; ++i) {
        const int rows = streams.rows_at(i, NR);
        const float *w_row[NR];
        for (int r = 0; r < NR; ++r) w_row[r] = W + streams.row(r < rows ? r : 0, i) * K;
        __m256 acc[NR][MR];
        for (int r = 0; r < NR; ++r)
            for (int m = 0; m < MR; ++m) acc[r][m] = _mm256_setzero_ps();
        for (int64_t k = 0; k < K8; k += 8) {
            for (int r = 0; r < NR; ++r) {
                if (r >= rows) break;
                if (k % 16 == 0) _mm_prefetch(reinterpret_cast<const char *>(w_row[r] + k) + kPrefetchBytes, _MM_HINT_T0);
                const __m256 w = _mm256_loadu_ps(w_row[r] + k);
                for (int m = 0; m < MR; ++m) acc[r][m] = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + m * x_stride + k), acc[r][m]);
            }
        }
        for (int r = 0; r < rows; ++r)
            for (int m = 0; m < MR; ++m) {
                float sum = hsum256(acc[r][m]);
                for (int64_t k = K8; k < K; ++k) sum += w_row[r][k] * x[m * x_stride + k];
                y[m * y_stride + streams.row(r, i)] = sum;
            }
    }
}

template <int MR, int NR>
__attribute__((target("avx2,fma"))) void gemv_bf16_avx2(const float *xe, const float *xo, int64_t half_stride,
                                                         int64_t K, const uint16_t *W, float *y, int64_t y_stride,
                                                         const RowStreams &streams) {
    const int64_t K16 = K / 16 * 16;
    const __m256i high = _mm256_set1_epi32(int(0xffff0000u));
    for (int64_t i = 0; i < streams.len; ++i) {
        const int rows = streams.rows_at(i, NR);
        const uint16_t *w_row[NR];
        for (int r = 0; r < NR; ++r) w_row[r] = W + streams.row(r < rows ? r : 0, i) * K;
        __m256 acc[NR][MR];
        for (int r = 0; r < NR; ++r)
            for (int m = 0; m < MR; ++m) acc[r][m] = _mm256_setzero_ps();
        for (int64_t k = 0; k < K16; k += 16) {
            const int64_t h = k / 2;
            for (int r = 0; r < NR; ++r) {
                if (r >= rows) break;
                if (k % 32 == 0) _mm_prefetch(reinterpret_cast<const char *>(w_row[r] + k) + kPrefetchBytes, _MM_HINT_T0);
                const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(w_row[r] + k));
                const __m256 even_w = _mm256_castsi256_ps(_mm256_slli_epi32(bits, 16));
                const __m256 odd_w = _mm256_castsi256_ps(_mm256_and_si256(bits, high));
                for (int m = 0; m < MR; ++m) {
                    acc[r][m] = _mm256_fmadd_ps(even_w, _mm256_loadu_ps(xe + m * half_stride + h), acc[r][m]);
                    acc[r][m] = _mm256_fmadd_ps(odd_w, _mm256_loadu_ps(xo + m * half_stride + h), acc[r][m]);
                }
            }
        }
        for (int r = 0; r < rows; ++r)
            for (int m = 0; m < MR; ++m) {
                float sum = hsum256(acc[r][m]);
                for (int64_t k = K16; k < K; k += 2) {
                    sum += bf16_to_f32(w_row[r][k]) * xe[m * half_stride + k / 2];
                    sum += bf16_to_f32(w_row[r][k + 1]) * xo[m * half_stride + k / 2];
                }
                y[m * y_stride + streams.row(r, i)] = sum;
            }
    }
}

// Calls body(std::integral_constant<int, MR>) with MR = M (1..8, larger M in slices of 8 rows).
template <typename Body>
void with_rows(int64_t M, Body body) {
    switch (M) {
        case 1: body(std::integral_constant<int, 1>{}); return;
        case 2: body(std::integral_constant<int, 2>{}); return;
        case 3: body(std::integral_constant<int, 3>{}); return;
        case 4: body(std::integral_constant<int, 4>{}); return;
        case 5: body(std::integral_constant<int, 5>{}); return;
        case 6: body(std::integral_constant<int, 6>{}); return;
        case 7: body(std::integral_constant<int, 7>{}); return;
        default: body(std::integral_constant<int, 8>{}); return;
    }
}

// Rows [n0, n1) with the kernels of `isa`, read as NR streams; fewer activation rows leave
// registers for more weight rows.
void vector_rows(GemvIsa isa, const float *x, int64_t x_stride, const float *xe, const float *xo, int64_t half_stride,
                 int64_t M, const CpuMatrix &w, float *y, int64_t y_stride, int64_t n0, int64_t n1) {
    const int64_t K = w.cols;
    const auto *W32 = static_cast<const float *>(w.data);
    const auto *W16 = static_cast<const uint16_t *>(w.data);
    with_rows(M, [&](auto rows) {
        constexpr int MR = decltype(rows)::value;
        constexpr int NR_F32 = MR <= 2 ? 4 : MR <= 4 ? 2 : 1;
        constexpr int NR_BF16 = MR <= 4 ? 4 : 2;
        constexpr int NR_BF16_AVX2 = MR <= 2 ? 4 : MR <= 4 ? 2 : 1;
        if (isa == GemvIsa::Avx512) {
            if (w.dtype == DType::F32)
                gemv_f32_avx512<MR, NR_F32>(x, x_stride, K, W32, y, y_stride, RowStreams(n0, n1, NR_F32));
            else
                gemv_bf16_avx512<MR, NR_BF16>(xe, xo, half_stride, K, W16, y, y_stride, RowStreams(n0, n1, NR_BF16));
        } else {
            if (w.dtype == DType::F32)
                gemv_f32_avx2<MR, NR_F32>(x, x_stride, K, W32, y, y_stride, RowStreams(n0, n1, NR_F32));
            else
                gemv_bf16_avx2<MR, NR_BF16_AVX2>(xe, xo, half_stride, K, W16, y, y_stride,
                                                 RowStreams(n0, n1, NR_BF16_AVX2));
        }
    });
}

std::vector<GemvIsa> supported_isas() {
    std::vector<GemvIsa> isas;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) isas.push_back(GemvIsa::Avx512);
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) isas.push_back(GemvIsa::Avx2);
    isas.push_back(GemvIsa::Portable);
    return isas;
}

}  // namespace

const std::vector<GemvIsa> &gemv_isas() {
    static const std::vector<GemvIsa> isas = supported_isas();
    return isas;
}

const char *gemv_isa_name(GemvIsa isa) {
    switch (isa) {
        case GemvIsa::Avx512: return "avx512";
        case GemvIsa::Avx2: return "avx2";
        case GemvIsa::Portable: return "portable";
    }
    return "?";
}

void gemv(const float *x, int64_t x_stride, int64_t M, const CpuMatrix &w, float *y, int64_t y_stride) {
    gemv(x, x_stride, M, w, y, y_stride, gemv_isas().front());
}

void gemv(const float *x, int64_t x_stride, int64_t M, const CpuMatrix &w, float *y, int64_t y_stride, GemvIsa isa) {
    const int64_t N = w.rows, K = w.cols;
    // The bfloat16 kernels pair weights two by two, so they need an even K.
    const bool vector = isa != GemvIsa::Portable && (w.dtype == DType::F32 || K % 2 == 0);
    if (!vector) {
        const auto *W32 = static_cast<const float *>(w.data);
        const auto *W16 = static_cast<const uint16_t *>(w.data);
        auto load = [&](int64_t n, int64_t k) {
            return w.dtype == DType::F32 ? W32[n * K + k] : bf16_to_f32(W16[n * K + k]);
        };
#pragma omp parallel for schedule(static) if (N * K > 65536)
        for (int64_t n0 = 0; n0 < N; n0 += kRowsPerTask)
            gemv_generic(x, x_stride, M, K, load, y, y_stride, n0, std::min(N, n0 + kRowsPerTask));
        return;
    }
    // Even/odd split of the activations for the bfloat16 kernel (small: M x K floats).
    thread_local std::vector<float> split;
    const int64_t half = K / 2;
    float *xe = nullptr, *xo = nullptr;
    if (w.dtype == DType::BF16) {
        split.resize(size_t(2 * M * half));
        xe = split.data();
        xo = xe + M * half;
        for (int64_t m = 0; m < M; ++m)
            for (int64_t i = 0; i < half; ++i) {
                xe[m * half + i] = x[m * x_stride + 2 * i];
                xo[m * half + i] = x[m * x_stride + 2 * i + 1];
            }
    }
    // One contiguous share of the rows per thread, so that each thread's streams are long.
#pragma omp parallel if (N * K > 65536)
    {
        const int64_t threads = omp_get_num_threads(), thread = omp_get_thread_num();
        const int64_t n0 = N * thread / threads, n1 = N * (thread + 1) / threads;
        if (n0 < n1) vector_rows(isa, x, x_stride, xe, xo, half, M, w, y, y_stride, n0, n1);
    }
}

}  // namespace dn::cpu
