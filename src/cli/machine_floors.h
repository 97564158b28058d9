// What the machine can do at best, measured here, so bench can say how close the model comes:
// streaming memory bandwidth and oneDNN matrix-product throughput.
#pragma once

#include <cstddef>
#include <string>

namespace dn::cli {

// Copies a `bytes` buffer into another with `threads` OpenMP threads (memcpy per thread slice), best
// of `repeats` after a warm-up. Returns GB/s counting bytes read plus bytes written.
double measure_copy_bandwidth(size_t bytes, int threads, int repeats);

// Reads `bytes` at `data` once with `threads` OpenMP threads (a summing stream over each thread's
// slice), best of `repeats` after a warm-up. Returns GB/s of bytes read. Run on the model's own
// mapped weight files, this is the tightest floor for decode: the same pages, read the same way.
double measure_read_bandwidth(const void *data, size_t bytes, int threads, int repeats);

enum class GemmType { F32, BF16 };

// A oneDNN matmul [m x k] * [k x n] -> f32 [m x n], inputs of `type`, weights in oneDNN's preferred
// layout, best of `repeats` after a warm-up, on `threads` threads. Returns GFLOP/s (2 m n k per
// product), or a negative value when oneDNN cannot run this type here (`why` then says why).
double measure_gemm_gflops(GemmType type, long m, long n, long k, int threads, int repeats, std::string *why);

}  // namespace dn::cli
