#include "backends/cpu/cpu_backend.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include <omp.h>
#include <sys/mman.h>

#include "backends/cpu/attention.h"
#include "backends/cpu/delta_rule.h"
#include "backends/cpu/elementwise.h"
#include "core/error.h"
#include "core/safetensors.h"

namespace dn {

HugePageBuffer::HugePageBuffer(size_t bytes) {
    constexpr size_t kHuge = size_t(2) << 20;
    const size_t rounded = (std::max<size_t>(bytes, 1) + kHuge - 1) / kHuge * kHuge;
    mapping_bytes_ = rounded + kHuge;  // room to start on a 2 MB boundary
    mapping_ = mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping_ == MAP_FAILED) {
        mapping_ = nullptr;
        fail(DN_ERR_OUT_OF_MEMORY, "cannot map ", mapping_bytes_, " bytes of memory for weights");
    }
    aligned_ = reinterpret_cast<void *>((reinterpret_cast<uintptr_t>(mapping_) + kHuge - 1) & ~uintptr_t(kHuge - 1));
    madvise(aligned_, rounded, MADV_HUGEPAGE);  // a hint: without THP the copy still works, on small pages
}

HugePageBuffer::~HugePageBuffer() {
    if (mapping_) munmap(mapping_, mapping_bytes_);
}

namespace {

// memcpy over the thread team: a multi-GB model copies at memory speed, not one core's.
void parallel_copy(void *dst, const void *src, size_t bytes) {
    constexpr size_t kBlock = size_t(16) << 20;
    const int64_t blocks = int64_t((bytes + kBlock - 1) / kBlock);
#pragma omp parallel for schedule(static) if (blocks > 1)
    for (int64_t b = 0; b < blocks; ++b) {
        const size_t at = size_t(b) * kBlock;
        std::memcpy(static_cast<char *>(dst) + at, static_cast<const char *>(src) + at, std::min(kBlock, bytes - at));
    }
}

// CPU work runs on the calling thread (and its OpenMP team), so a queue is only a thread count.
class CpuQueue final : public Queue {
public:
    explicit CpuQueue(int threads) : threads(threads) {}
    void synchronize() override {}
    const int threads;  // 0: every core
};

class CpuBackend final : public Backend {
public:
    const char *name() const override { return "cpu"; }

    std::unique_ptr<Queue> create_queue(int num_threads) override { return std::make_unique<CpuQueue>(num_threads); }

    // Sets the thread's OpenMP team size to the queue's; back to the host program's own setting
    // when the outermost scope ends.
    Queue *set_current_queue(Queue *queue) override {
        thread_local Queue *current = nullptr;
        thread_local int host_threads = 0;
        Queue *previous = current;
        if (queue && !previous) host_threads = omp_get_max_threads();
        if (queue) {
            const int n = static_cast<CpuQueue *>(queue)->threads;
            omp_set_num_threads(n > 0 ? n : omp_get_num_procs());
        } else if (previous) {
            omp_set_num_threads(host_threads);
        }
        current = queue;
        return previous;
    }

    float *alloc(size_t count) override {
        // 64-byte alignment for AVX-512 loads; at least one element so that 0 gives a real pointer.
        // Through the (replaceable) aligned operator new, so that a test that fails allocations in
        // turn reaches these too; a count too large to express in bytes fails the same way.
        if (count > (SIZE_MAX - 63) / sizeof(float)) fail(DN_ERR_OUT_OF_MEMORY, "cannot allocate ", count, " floats");
        const size_t bytes = ((std::max<size_t>(count, 1) * sizeof(float)) + 63) / 64 * 64;
        void *p = ::operator new(bytes, std::align_val_t(64), std::nothrow);
        if (!p) fail(DN_ERR_OUT_OF_MEMORY, "cannot allocate ", bytes, " bytes of host memory");
        return static_cast<float *>(p);
    }
    void release(float *buffer) override {
        if (buffer) ::operator delete(buffer, std::align_val_t(64));
    }
    void zero(float *buffer, size_t count) override { std::memset(buffer, 0, count * sizeof(float)); }
    void copy(float *dst, const float *src, size_t count) override {
        if (count) std::memmove(dst, src, count * sizeof(float));
    }
    void upload(float *dst, const float *src, size_t count) override { copy(dst, src, count); }
    void download(float *dst, const float *src, size_t count) override { copy(dst, src, count); }
    void synchronize() override {}

    std::unique_ptr<DeviceMatrix> prepare_matrix(const TensorView &t, const MatrixOptions &options) override {
        auto m = std::make_unique<CpuMatrix>();
        m->rows = t.shape.at(0);
        m->cols = t.numel() / std::max<int64_t>(m->rows, 1);
        m->precision = options.precision;
        if (t.dtype == DType::F32 || t.dtype == DType::BF16) {
            m->dtype = t.dtype;
            m->data = t.data;
            if (!options.mapped) {
                m->copy = std::make_unique<HugePageBuffer>(size_t(t.nbytes));
                parallel_copy(m->copy->data(), t.data, size_t(t.nbytes));
                m->data = m->copy->data();
            }
        } else {
            m->dtype = DType::F32;
            m->owned.reset(new float[size_t(t.numel())]);
            convert_to_f32(t.dtype, t.data, m->owned.get(), size_t(t.numel()));
            m->data = m->owned.get();
        }
        return m;
    }

    float *prepare_vector(const TensorView &t) override {
        float *out = alloc(size_t(t.numel()));
        convert_to_f32(t.dtype, t.data, out, size_t(t.numel()));
        return out;
    }

    void embed(const DeviceMatrix &table, const int32_t *ids, int64_t n, float *out) override {
        const auto &m = static_cast<const CpuMatrix &>(table);
        const size_t row_bytes = size_t(m.cols) * dtype_size(m.dtype);
        for (int64_t i = 0; i < n; ++i)
            convert_to_f32(m.dtype, static_cast<const char *>(m.data) + size_t(ids[i]) * row_bytes,
                           out + i * m.cols, size_t(m.cols));
    }

    void matmul(const float *x, int64_t x_stride, int64_t M, const DeviceMatrix &w, float *y,
                int64_t y_stride) override {
        const auto &m = static_cast<const CpuMatrix &>(w);
        if (M <= cpu::kGemvMaxRows) cpu::gemv(x, x_stride, M, m, y, y_stride);
        else cpu::matmul_onednn(x, x_stride, M, m, y, y_stride);
    }

    void rms_norm(const float *x, int64_t x_stride, const float *weight, const float *gate, int64_t gate_stride,
                  float *y, int64_t y_stride, int64_t rows, int dim, float eps) override {
        cpu::rms_norm(x, x_stride, weight, gate, gate_stride, y, y_stride, rows, dim, eps);
    }
    void add_rms_norm(float *residual, const float *delta, const float *weight, float *y, int64_t rows, int dim,
                      float eps) override {
        cpu::add_rms_norm(residual, delta, weight, y, rows, dim, eps);
    }
    void add(float *y, const float *x, size_t count) override { cpu::add(y, x, count); }
    void short_conv(const ConvArgs &args) override { cpu::short_conv(args); }
    void qk_transform(float *x, int64_t stride, int64_t rows, int heads, int dim, QKActivation act, Norm norm,
                      float scale) override {
        cpu::qk_transform(x, stride, rows, heads, dim, act, int(norm), scale);
    }
    void beta(float *b, int64_t stride, int64_t rows, int heads, float factor, bool b_is_one) override {
        cpu::beta(b, stride, rows, heads, factor, b_is_one);
    }
    void gated_decay(float *a, int64_t stride, int64_t rows, int heads, const float *A_log,
                     const float *dt_bias) override {
        cpu::gated_decay(a, stride, rows, heads, A_log, dt_bias);
    }
    void glu(const float *gate, const float *up, float *out, int64_t rows, int dim, MlpActivation act) override {
        cpu::glu(gate, up, out, rows, dim, act);
    }
    void add_bias(float *y, int64_t stride, int64_t rows, const float *bias, int dim) override {
        cpu::add_bias(y, stride, rows, bias, dim);
    }
    void delta_rule(const DeltaArgs &a) override {
        cpu::DeltaRuleArgs args;
        args.T = a.T;
        args.Hk = a.Hk;
        args.Hv = a.Hv;
        args.dk = a.dk;
        args.dv = a.dv;
        args.q = a.q; args.q_stride = a.q_stride;
        args.k = a.k; args.k_stride = a.k_stride;
        args.v = a.v; args.v_stride = a.v_stride;
        args.beta = a.beta; args.beta_stride = a.beta_stride;
        args.g = a.g; args.g_stride = a.g_stride;
        args.state = a.state;
        args.o = a.o; args.o_stride = a.o_stride;
        if (a.chunked) cpu::delta_rule_chunked(args);
        else cpu::delta_rule_recurrent(args);
    }
    void attention(const AttentionArgs &args) override { cpu::attention(args); }
};

}  // namespace

Backend &cpu_backend() {
    static CpuBackend backend;
    return backend;
}

}  // namespace dn
