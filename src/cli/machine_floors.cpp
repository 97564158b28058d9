#include "cli/machine_floors.h"

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "cli/common.h"
#include "core/dtype.h"

namespace dn::cli {

namespace {

struct FreeDeleter {
    void operator()(void *p) const { std::free(p); }
};

// Slice [begin, end) of thread `t` of `n`, page-aligned so threads never share a page.
void slice(size_t bytes, int t, int n, size_t *begin, size_t *end) {
    const size_t pages = (bytes + 4095) / 4096;
    *begin = std::min(bytes, pages * size_t(t) / size_t(n) * 4096);
    *end = std::min(bytes, pages * size_t(t + 1) / size_t(n) * 4096);
}

// oneDNN takes its thread count from OpenMP; set it for one measurement and put it back after.
class OmpThreads {
public:
    explicit OmpThreads(int threads) : saved_(omp_get_max_threads()) { omp_set_num_threads(threads); }
    ~OmpThreads() { omp_set_num_threads(saved_); }

private:
    int saved_;
};

}  // namespace

double measure_copy_bandwidth(size_t bytes, int threads, int repeats) {
    std::unique_ptr<char, FreeDeleter> src(static_cast<char *>(std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096)));
    std::unique_ptr<char, FreeDeleter> dst(static_cast<char *>(std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096)));
    if (!src || !dst) throw std::bad_alloc();
    char *s = src.get();
    char *d = dst.get();
    // First touch by the thread that later copies the slice, so pages sit near it.
#pragma omp parallel num_threads(threads)
    {
        size_t begin, end;
        slice(bytes, omp_get_thread_num(), omp_get_num_threads(), &begin, &end);
        std::memset(s + begin, 1, end - begin);
        std::memset(d + begin, 0, end - begin);
    }
    double best = 1e30;
    for (int r = 0; r <= repeats; ++r) {  // r == 0 is the warm-up
        const double start = now_seconds();
#pragma omp parallel num_threads(threads)
        {
            size_t begin, end;
            slice(bytes, omp_get_thread_num(), omp_get_num_threads(), &begin, &end);
            std::memcpy(d + begin, s + begin, end - begin);
        }
        const double seconds = now_seconds() - start;
        if (r > 0) best = std::min(best, seconds);
    }
    return 2.0 * double(bytes) / best / 1e9;
}

double measure_read_bandwidth(const void *data, size_t bytes, int threads, int repeats) {
    const auto *words = static_cast<const uint64_t *>(data);
    const size_t count = bytes / sizeof(uint64_t);
    double best = 1e30;
    uint64_t checksum = 0;
    for (int r = 0; r <= repeats; ++r) {  // r == 0 is the warm-up (and faults the pages in)
        const double start = now_seconds();
        uint64_t total = 0;
#pragma omp parallel for num_threads(threads) schedule(static) reduction(^ : total)
        for (size_t block = 0; block < count / 512; ++block) {  // 4 KiB blocks
            // Software prefetch 1 KiB ahead, as the decode kernel does: the hardware prefetcher
            // stops at 4 KiB page boundaries, and this keeps the stream going across them.
            const uint64_t *p = words + block * 512;
            for (size_t line = 0; line < 512 && block * 512 + line + 128 < count; line += 8)
                __builtin_prefetch(p + line + 128, 0, 3);
            uint64_t x = 0;
#pragma omp simd reduction(^ : x)
            for (size_t i = 0; i < 512; ++i) x ^= p[i];
            total ^= x;
        }
        const double seconds = now_seconds() - start;
        checksum ^= total;
        if (r > 0) best = std::min(best, seconds);
    }
    volatile uint64_t sink = checksum;  // keeps the reads from being optimised away
    (void)sink;
    return double(count / 512 * 4096) / best / 1e9;
}

double measure_gemm_gflops(GemmType type, long m, long n, long k, int threads, int repeats, std::string *why) {
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    OmpThreads scope(threads);
    try {
        dnnl::engine engine(dnnl::engine::kind::cpu, 0);
        dnnl::stream stream(engine);
        const dt in_type = type == GemmType::F32 ? dt::f32 : dt::bf16;
        const dnnl::memory::desc src_md({m, k}, in_type, tag::ab);
        const dnnl::memory::desc weights_any({k, n}, in_type, tag::any);
        const dnnl::memory::desc weights_plain({k, n}, in_type, tag::ab);
        const dnnl::memory::desc dst_md({m, n}, dt::f32, tag::ab);
#if DNNL_VERSION_MAJOR >= 3
        const dnnl::matmul::primitive_desc pd(engine, src_md, weights_any, dst_md);
#else
        const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, weights_any, dst_md), engine);
#endif
        dnnl::memory src(src_md, engine), weights(pd.weights_desc(), engine), plain(weights_plain, engine),
            dst(dst_md, engine);

        // Small varied values: zeros could take shortcuts on some hardware.
        auto fill = [&](dnnl::memory &memory, size_t count) {
            if (type == GemmType::F32) {
                float *p = static_cast<float *>(memory.get_data_handle());
                for (size_t i = 0; i < count; ++i) p[i] = float(int(i % 17) - 8) * 0.01f;
            } else {
                uint16_t *p = static_cast<uint16_t *>(memory.get_data_handle());
                for (size_t i = 0; i < count; ++i) p[i] = f32_to_bf16(float(int(i % 17) - 8) * 0.01f);
            }
        };
        fill(src, size_t(m) * size_t(k));
        fill(plain, size_t(k) * size_t(n));
        dnnl::reorder(plain, weights).execute(stream, plain, weights);
        stream.wait();

        dnnl::matmul matmul(pd);
        double best = 1e30;
        for (int r = 0; r <= repeats; ++r) {  // r == 0 is the warm-up
            const double start = now_seconds();
            matmul.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}});
            stream.wait();
            const double seconds = now_seconds() - start;
            if (r > 0) best = std::min(best, seconds);
        }
        return 2.0 * double(m) * double(n) * double(k) / best / 1e9;
    } catch (const dnnl::error &e) {
        if (why) *why = e.what();
        return -1;
    }
}

}  // namespace dn::cli
