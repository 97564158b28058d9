// The CUDA backend: device memory, a CUDA stream per queue, cuBLASLt for the matrix products of
// many rows and the kernels of kernels.h for everything else. Built into libdeltanet-cuda.so,
// which the core loads at run time (backends/plugin.h); the core itself never links CUDA.
#include "backends/cuda/gpu_runtime.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/delta_rule_tc.h"
#include "backends/cuda/delta_rule_tc_split.h"
#include "backends/cuda/features.h"
#include "backends/cuda/gemm.h"
#include "backends/cuda/kernels.h"
#include "backends/plugin.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "deltanet/version.h"

namespace dn::cuda {

namespace {

// Memory that a queue grows on demand (bf16 copies of activations, token ids). Growing moves it,
// which invalidates what was recorded against the old address: `generation` counts the moves.
class Scratch {
public:
    explicit Scratch(uint64_t &generation, bool pinned_host = false) : generation_(generation), pinned_(pinned_host) {}
    ~Scratch() { free_memory(); }
    Scratch(const Scratch &) = delete;
    Scratch &operator=(const Scratch &) = delete;

    void *get(size_t bytes, bool capturing) {
        if (bytes <= capacity_) return data_;
        if (capturing) fail(DN_ERR_INTERNAL, "scratch memory would grow while a pass is being recorded");
        free_memory();
        const cudaError_t e = pinned_ ? cudaHostAlloc(&data_, bytes, cudaHostAllocDefault) : cudaMalloc(&data_, bytes);
        if (e != cudaSuccess) {
            data_ = nullptr;
            throw_cuda_error(e, pinned_ ? "cudaHostAlloc (scratch)" : "cudaMalloc (scratch)");
        }
        capacity_ = bytes;
        ++generation_;
        return data_;
    }

private:
    void free_memory() {
        if (data_) pinned_ ? cudaFreeHost(data_) : cudaFree(data_);
        data_ = nullptr;
        capacity_ = 0;
    }

    uint64_t &generation_;
    const bool pinned_;
    void *data_ = nullptr;
    size_t capacity_ = 0;
};

class CudaQueue final : public Queue {
public:
    explicit CudaQueue(int device) : device(device) {
        check(cudaSetDevice(device), "cudaSetDevice");
        try {
            check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
            // The split delta rule's walk runs here beside its prep (delta_rule_tc_split.h): a higher
            // priority, so that its blocks are placed before the prep's as SMs free up.
            int least = 0, greatest = 0;
            check(cudaDeviceGetStreamPriorityRange(&least, &greatest), "cudaDeviceGetStreamPriorityRange");
            check(cudaStreamCreateWithPriority(&side.stream, cudaStreamNonBlocking, greatest), "cudaStreamCreate (side)");
            check(cudaEventCreateWithFlags(&side.fork, cudaEventDisableTiming), "cudaEventCreate");
            check(cudaEventCreateWithFlags(&side.join, cudaEventDisableTiming), "cudaEventCreate");
        } catch (...) {
            release();
            throw;
        }
    }
    ~CudaQueue() override {
        cudaSetDevice(device);
        release();
    }
    void synchronize() override {
        check(cudaSetDevice(device), "cudaSetDevice");
        check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    }

    const int device;
    cudaStream_t stream = nullptr;
    cuda::SplitSideStream side;                    // a second stream, for the overlapped delta rule
    bool capturing = false;
    uint64_t generation = 0;                       // scratch moves (see Scratch)
    Scratch activations_bf16{generation};          // the left operand of bf16 products
    Scratch gemm_workspace{generation};            // cuBLASLt's
    Scratch token_ids{generation};                 // device copy of embed()'s ids
    Scratch staged_ids{generation, true};          // pinned host copy: replays copy from here
    Scratch delta_scratch{generation};             // per-chunk key-only products (tensor-core path)
    Scratch stacked_products{generation};          // one product of stacked matrices, before its scatter

private:
    void release() {
        if (stream) cudaStreamSynchronize(stream);
        if (side.stream) cudaStreamSynchronize(side.stream);
        if (side.join) cudaEventDestroy(side.join);
        if (side.fork) cudaEventDestroy(side.fork);
        if (side.stream) cudaStreamDestroy(side.stream);
        if (stream) cudaStreamDestroy(stream);
    }
};

// A recorded pass: an instantiated CUDA graph, valid on its queue while the scratch stays put.
class CudaPass final : public CapturedPass {
public:
    ~CudaPass() override {
        if (exec) cudaGraphExecDestroy(exec);
    }
    cudaGraphExec_t exec = nullptr;
    const CudaQueue *queue = nullptr;
    uint64_t generation = 0;
    int64_t rows = 0;
};

class CudaMatrix final : public DeviceMatrix {
public:
    ~CudaMatrix() override {
        if (data && !block) cudaFree(data);
    }
    void *data = nullptr;          // [rows][cols], dtype F32 or BF16
    std::shared_ptr<void> block;   // set when data lies in a block shared with others (prepare_matrices)
};

constexpr int kMaxDevices = 64;

class CudaBackend final : public Backend {
public:
    explicit CudaBackend(int device)
        : device_(device), name_(std::string(gpu::kDeviceKind) + ":" + std::to_string(device)) {
        check(cudaSetDevice(device), "cudaSetDevice");
        default_queue_ = std::make_unique<CudaQueue>(device);
        gemm_ = std::make_unique<Gemm>();
    }
    const char *name() const override { return name_.c_str(); }

    // ---- queues ----
    std::unique_ptr<Queue> create_queue(int) override { return std::make_unique<CudaQueue>(device_); }
    Queue *set_current_queue(Queue *queue) override {
        Queue *previous = current_[device_];
        current_[device_] = static_cast<CudaQueue *>(queue);
        return previous;
    }

    // Prefill in passes of up to 16384 tokens: large products keep the tensor cores busy, and the
    // activations of a pass (about 100 KB a token at 1.3B scale) fit easily.
    int64_t max_rows_per_pass() const override { return 16384; }

    // ---- capture and replay ----
    // DN_CUDA_GRAPHS=0 turns recording off (to compare, or to debug one kernel at a time).
    bool can_capture() const override {
        static const bool enabled = [] {
            const char *env = std::getenv("DN_CUDA_GRAPHS");
            return !(env && std::strcmp(env, "0") == 0);
        }();
        return enabled;
    }
    void begin_capture() override {
        CudaQueue &q = queue();
        check(cudaStreamBeginCapture(q.stream, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
        q.capturing = true;
    }
    std::unique_ptr<CapturedPass> end_capture() override {
        CudaQueue &q = queue();
        q.capturing = false;
        cudaGraph_t graph = nullptr;
        check(cudaStreamEndCapture(q.stream, &graph), "cudaStreamEndCapture");
        auto pass = std::make_unique<CudaPass>();
        const cudaError_t e = cudaGraphInstantiate(&pass->exec, graph, 0);
        cudaGraphDestroy(graph);
        check(e, "cudaGraphInstantiate");
        pass->queue = &q;
        pass->generation = q.generation;
        return pass;
    }
    void abort_capture() override {
        CudaQueue &q = queue();
        q.capturing = false;
        cudaGraph_t graph = nullptr;
        if (cudaStreamEndCapture(q.stream, &graph) == cudaSuccess && graph) cudaGraphDestroy(graph);
        cudaGetLastError();  // the interrupted capture's error is the one already being thrown
    }
    bool replay(CapturedPass &recorded, const int32_t *ids, int64_t n) override {
        CudaQueue &q = queue();
        auto &pass = static_cast<CudaPass &>(recorded);
        if (pass.queue != &q || pass.generation != q.generation) return false;
        std::memcpy(q.staged_ids.get(size_t(n) * sizeof(int32_t), false), ids, size_t(n) * sizeof(int32_t));
        check(cudaGraphLaunch(pass.exec, q.stream), "cudaGraphLaunch");
        return true;
    }

    // ---- memory ----
    float *alloc(size_t count) override {
        select_device();
        void *p = nullptr;
        const cudaError_t e = cudaMalloc(&p, std::max<size_t>(count, 1) * sizeof(float));
        if (e != cudaSuccess) {
            cudaGetLastError();  // clear the sticky-free error so later calls are not blamed
            fail(DN_ERR_OUT_OF_MEMORY, "cannot allocate ", count * sizeof(float), " bytes on ", name_, ": ",
                 cudaGetErrorString(e));
        }
        return static_cast<float *>(p);
    }
    void release(float *buffer) override {
        if (!buffer) return;
        select_device();
        cudaFree(buffer);
    }
    void zero(float *buffer, size_t count) override {
        CudaQueue &q = queue();
        check(cudaMemsetAsync(buffer, 0, count * sizeof(float), q.stream), "cudaMemsetAsync");
        finish_if_default(q);
    }
    void copy(float *dst, const float *src, size_t count) override {
        CudaQueue &q = queue();
        if (count) check(cudaMemcpyAsync(dst, src, count * sizeof(float), cudaMemcpyDeviceToDevice, q.stream), "copy");
        finish_if_default(q);
    }
    void upload(float *dst, const float *host, size_t count) override {
        CudaQueue &q = queue();
        if (count) check(cudaMemcpyAsync(dst, host, count * sizeof(float), cudaMemcpyHostToDevice, q.stream), "upload");
        q.synchronize();
    }
    void download(float *host, const float *src, size_t count) override {
        CudaQueue &q = queue();
        if (count)
            check(cudaMemcpyAsync(host, src, count * sizeof(float), cudaMemcpyDeviceToHost, q.stream), "download");
        q.synchronize();
    }
    void synchronize() override { queue().synchronize(); }

    // ---- weights ----
    std::unique_ptr<DeviceMatrix> prepare_matrix(const TensorView &t, const MatrixOptions &options) override {
        select_device();
        auto m = matrix_shape(t, options.precision);
        const size_t bytes = matrix_bytes(*m);
        const cudaError_t e = cudaMalloc(&m->data, std::max<size_t>(bytes, 1));
        if (e != cudaSuccess) {
            cudaGetLastError();
            m->data = nullptr;
            fail(DN_ERR_OUT_OF_MEMORY, "cannot allocate ", bytes, " bytes on ", name_, " for ", t.name);
        }
        upload_matrix(t, *m);
        return m;
    }

    // One allocation, rows stacked, where the matrices share a width and a type and each fills whole
    // 256-byte pieces (so that every one stays aligned): matmul_many() then covers them with one
    // product. Otherwise one by one.
    std::vector<std::unique_ptr<DeviceMatrix>> prepare_matrices(const TensorView *const *tensors, size_t count,
                                                               const MatrixOptions &options) override {
        std::vector<std::unique_ptr<CudaMatrix>> parts;
        size_t total = 0;
        bool stack = count > 1;
        for (size_t i = 0; i < count; ++i) {
            parts.push_back(matrix_shape(*tensors[i], options.precision));
            const size_t bytes = matrix_bytes(*parts.back());
            stack = stack && bytes > 0 && bytes % 256 == 0 && parts[i]->cols == parts[0]->cols &&
                    parts[i]->dtype == parts[0]->dtype;
            total += bytes;
        }
        if (!stack) return Backend::prepare_matrices(tensors, count, options);
        select_device();
        void *base = nullptr;
        const cudaError_t e = cudaMalloc(&base, total);
        if (e != cudaSuccess) {
            cudaGetLastError();
            fail(DN_ERR_OUT_OF_MEMORY, "cannot allocate ", total, " bytes on ", name_, " for ", tensors[0]->name,
                 " and the ", count - 1, " matrices stacked with it");
        }
        std::shared_ptr<void> block(base, [](void *p) { cudaFree(p); });
        std::vector<std::unique_ptr<DeviceMatrix>> out;
        size_t offset = 0;
        for (size_t i = 0; i < count; ++i) {
            CudaMatrix &m = *parts[i];
            m.data = static_cast<char *>(base) + offset;
            m.block = block;
            offset += matrix_bytes(m);
            upload_matrix(*tensors[i], m);
            out.push_back(std::move(parts[i]));
        }
        return out;
    }

    // float32 checkpoints stay float32 in DN_PRECISION_EXACT and become bfloat16 in
    // DN_PRECISION_FAST (the tensor cores' input type); float16 ones are widened to float32 first.
    static std::unique_ptr<CudaMatrix> matrix_shape(const TensorView &t, dn_precision precision) {
        auto m = std::make_unique<CudaMatrix>();
        m->rows = t.shape.at(0);
        m->cols = elements(t) / std::max<int64_t>(m->rows, 1);
        const bool to_bf16 = t.dtype == DType::BF16 || precision == DN_PRECISION_FAST;
        m->dtype = to_bf16 ? DType::BF16 : DType::F32;
        return m;
    }
    static size_t matrix_bytes(const CudaMatrix &m) { return size_t(m.rows * m.cols) * dtype_size(m.dtype); }

    // Converts t to m's type on the host where they differ, then copies it into m.data.
    static void upload_matrix(const TensorView &t, const CudaMatrix &m) {
        const size_t bytes = matrix_bytes(m);
        if (t.dtype == m.dtype) {
            check(cudaMemcpy(m.data, t.data, bytes, cudaMemcpyHostToDevice), "upload weights");
            return;
        }
        std::vector<float> wide(static_cast<size_t>(elements(t)));
        convert_to_f32(t.dtype, t.data, wide.data(), wide.size());
        if (m.dtype == DType::F32) {
            check(cudaMemcpy(m.data, wide.data(), bytes, cudaMemcpyHostToDevice), "upload weights");
        } else {
            std::vector<uint16_t> narrow(wide.size());
            for (size_t i = 0; i < wide.size(); ++i) narrow[i] = f32_to_bf16(wide[i]);
            check(cudaMemcpy(m.data, narrow.data(), bytes, cudaMemcpyHostToDevice), "upload weights");
        }
    }

    float *prepare_vector(const TensorView &t) override {
        std::vector<float> wide(size_t(elements(t)));
        convert_to_f32(t.dtype, t.data, wide.data(), wide.size());
        float *out = alloc(wide.size());
        select_device();
        const cudaError_t e = cudaMemcpy(out, wide.data(), wide.size() * sizeof(float), cudaMemcpyHostToDevice);
        if (e != cudaSuccess) {
            release(out);
            throw_cuda_error(e, "upload weights");
        }
        return out;
    }

    // ---- operations ----
    void embed(const DeviceMatrix &table, const int32_t *ids, int64_t n, float *out) override {
        CudaQueue &q = queue();
        const auto &m = static_cast<const CudaMatrix &>(table);
        // Through pinned memory, so that a recorded pass re-reads the ids of each replay.
        const size_t bytes = size_t(n) * sizeof(int32_t);
        auto *staged = static_cast<int32_t *>(q.staged_ids.get(bytes, q.capturing));
        auto *device_ids = static_cast<int32_t *>(q.token_ids.get(bytes, q.capturing));
        std::memcpy(staged, ids, bytes);
        check(cudaMemcpyAsync(device_ids, staged, bytes, cudaMemcpyHostToDevice, q.stream), "upload token ids");
        cuda::embed(m.data, m.dtype == DType::BF16, m.cols, device_ids, n, out, q.stream);
    }

    void matmul(const float *x, int64_t x_stride, int64_t M, const DeviceMatrix &w, float *y,
                int64_t y_stride) override {
        CudaQueue &q = queue();
        const auto &m = static_cast<const CudaMatrix &>(w);
        const bool bf16 = m.dtype == DType::BF16;
        if (M <= kGemvMaxRows) {
            cuda::gemv(x, x_stride, int(M), m.data, bf16, m.rows, m.cols, y, y_stride, q.stream);
            return;
        }
        GemmArgs g;
        g.M = M;
        g.N = m.rows;
        g.K = m.cols;
        g.w = m.data;
        g.bf16 = bf16;
        g.y = y;
        g.ldy = y_stride;
        if (bf16) {
            auto *xb = static_cast<uint16_t *>(q.activations_bf16.get(size_t(M * m.cols) * sizeof(uint16_t), q.capturing));
            cuda::to_bf16(x, x_stride, M, m.cols, xb, q.stream);
            g.x = xb;
            g.ldx = m.cols;
        } else {
            g.x = x;
            g.ldx = x_stride;
        }
        gemm_->run(g, q.gemm_workspace.get(Gemm::kWorkspaceBytes, q.capturing), q.stream);
    }

    // Stacked products with more rows are not scattered: the scatter's traffic grows with the rows
    // while the products' own launch and ramp costs do not (H100, 1.3B DeltaNet: one product and a
    // scatter took batch 32 from 3.2 to 2.9 ms a step but prefill at 2048 tokens from 116 k to 97 k tok/s).
    static constexpr int64_t kMaxScatteredRows = 64;

    // The end of the run of targets from `first` whose matrices follow each other in one stacked block
    // (prepare_matrices), at most kMaxColumnSlices of them.
    static int stacked_run(const MatmulTarget *targets, int first, int count) {
        const auto &head = static_cast<const CudaMatrix &>(*targets[first].w);
        int end = first + 1;
        while (end < count && end - first < cuda::kMaxColumnSlices && head.block) {
            const auto &prev = static_cast<const CudaMatrix &>(*targets[end - 1].w);
            const auto &next = static_cast<const CudaMatrix &>(*targets[end].w);
            if (next.block != head.block || next.data != static_cast<const char *>(prev.data) + matrix_bytes(prev)) break;
            ++end;
        }
        return end;
    }

    void matmul_many(const float *x, int64_t x_stride, int64_t M, const MatmulTarget *targets, int count) override {
        bool one_launch = M <= kGemvMaxRows && count <= kMaxGemvTargets;
        for (int i = 0; i < count && one_launch; ++i)
            one_launch = targets[i].w->dtype == targets[0].w->dtype && targets[i].w->cols == targets[0].w->cols;
        if (!one_launch) {
            bool same_bf16_width = true;
            for (int i = 0; i < count; ++i)
                same_bf16_width = same_bf16_width && targets[i].w->dtype == DType::BF16 &&
                                  targets[i].w->cols == targets[0].w->cols;
            if (M <= kGemvMaxRows || !same_bf16_width) {
                Backend::matmul_many(x, x_stride, M, targets, count);
                return;
            }
            // Many rows: x rounded to bf16 once for all the products.
            CudaQueue &q = queue();
            const int64_t K = targets[0].w->cols;
            auto *xb = static_cast<uint16_t *>(q.activations_bf16.get(size_t(M * K) * sizeof(uint16_t), q.capturing));
            cuda::to_bf16(x, x_stride, M, K, xb, q.stream);
            for (int i = 0; i < count;) {
                int end = stacked_run(targets, i, count);
                const auto &first = static_cast<const CudaMatrix &>(*targets[i].w);
                GemmArgs g;
                g.M = M, g.K = K, g.w = first.data, g.bf16 = true, g.x = xb, g.ldx = K;
                g.N = 0;
                for (int j = i; j < end; ++j) g.N += targets[j].w->rows;
                // One product for the run: straight into the outputs where they lie side by side in
                // one row (as the stacked matrices do), else through a wide buffer and one scatter.
                bool adjacent = targets[i].y_stride >= g.N;
                for (int j = i + 1; j < end; ++j)
                    adjacent = adjacent && targets[j].y == targets[j - 1].y + targets[j - 1].w->rows &&
                               targets[j].y_stride == targets[i].y_stride;
                if (!adjacent && M > kMaxScatteredRows) {  // products this size run well apart
                    end = i + 1;
                    g.N = first.rows;
                    adjacent = true;
                }
                if (adjacent) {
                    g.y = targets[i].y, g.ldy = targets[i].y_stride;
                    gemm_->run(g, q.gemm_workspace.get(Gemm::kWorkspaceBytes, q.capturing), q.stream);
                } else {
                    g.y = static_cast<float *>(q.stacked_products.get(size_t(M * g.N) * sizeof(float), q.capturing));
                    g.ldy = g.N;
                    gemm_->run(g, q.gemm_workspace.get(Gemm::kWorkspaceBytes, q.capturing), q.stream);
                    cuda::ColumnSlices slices{};
                    slices.count = end - i;
                    for (int j = i; j < end; ++j) {
                        slices.first_col[j - i + 1] = slices.first_col[j - i] + targets[j].w->rows;
                        slices.dst[j - i] = targets[j].y;
                        slices.dst_stride[j - i] = targets[j].y_stride;
                    }
                    cuda::split_columns(g.y, g.N, M, slices, q.stream);
                }
                i = end;
            }
            return;
        }
        GemvTarget g[kMaxGemvTargets];
        for (int i = 0; i < count; ++i)
            g[i] = {static_cast<const CudaMatrix *>(targets[i].w)->data, targets[i].w->rows, targets[i].y,
                    targets[i].y_stride};
        cuda::gemv_many(x, x_stride, int(M), g, count, targets[0].w->dtype == DType::BF16, targets[0].w->cols,
                        queue().stream);
    }

    void rms_norm(const float *x, int64_t x_stride, const float *weight, const float *gate, int64_t gate_stride,
                  float *y, int64_t y_stride, int64_t rows, int dim, float eps) override {
        cuda::rms_norm(x, x_stride, weight, gate, gate_stride, y, y_stride, rows, dim, eps, queue().stream);
    }
    void add_rms_norm(float *residual, const float *delta, const float *weight, float *y, int64_t rows, int dim,
                      float eps) override {
        cuda::add_rms_norm(residual, delta, weight, y, rows, dim, eps, queue().stream);
    }
    void add(float *y, const float *x, size_t count) override { cuda::add(y, x, count, queue().stream); }
    void short_conv(const ConvArgs &args) override { cuda::short_conv(args, queue().stream); }
    void qk_transform(float *x, int64_t stride, int64_t rows, int heads, int dim, QKActivation act, Norm norm,
                      float scale) override {
        cuda::qk_transform(x, stride, rows, heads, dim, act, norm, scale, queue().stream);
    }
    void beta(float *b, int64_t stride, int64_t rows, int heads, float factor, bool b_is_one) override {
        cuda::beta(b, stride, rows, heads, factor, b_is_one, queue().stream);
    }
    void gated_decay(float *a, int64_t stride, int64_t rows, int heads, const float *A_log,
                     const float *dt_bias) override {
        cuda::gated_decay(a, stride, rows, heads, A_log, dt_bias, queue().stream);
    }
    void glu(const float *gate, const float *up, float *out, int64_t rows, int dim, MlpActivation act) override {
        cuda::glu(gate, up, out, rows, dim, act, queue().stream);
    }
    void glu_matmul(float *gate, const float *up, int64_t rows, int dim, MlpActivation act, const DeviceMatrix &w,
                    float *y, int64_t y_stride) override {
        CudaQueue &q = queue();
        const auto &m = static_cast<const CudaMatrix &>(w);
        const bool bf16 = m.dtype == DType::BF16;
        // (Decode rows: forming the product inside the down projection's gemv measured slower than
        // the separate glu kernel, which dependent launches overlap.)
        if (rows > kGemvMaxRows && bf16) {
            // Prefill: the product goes straight to the bfloat16 operand, never written as float32.
            auto *xb = static_cast<uint16_t *>(q.activations_bf16.get(size_t(rows * dim) * sizeof(uint16_t), q.capturing));
            cuda::glu_to_bf16(gate, up, rows, dim, act, xb, q.stream);
            GemmArgs g;
            g.M = rows, g.N = m.rows, g.K = m.cols, g.w = m.data, g.bf16 = true;
            g.x = xb, g.ldx = dim, g.y = y, g.ldy = y_stride;
            gemm_->run(g, q.gemm_workspace.get(Gemm::kWorkspaceBytes, q.capturing), q.stream);
            return;
        }
        Backend::glu_matmul(gate, up, rows, dim, act, w, y, y_stride);
    }
    void add_bias(float *y, int64_t stride, int64_t rows, const float *bias, int dim) override {
        cuda::add_bias(y, stride, rows, bias, dim, queue().stream);
    }
    void delta_rule(const DeltaArgs &args) override {
        CudaQueue &q = queue();
        if (args.chunked) {
            // Tensor-core paths, best first: the split kernels (every chunk's state-free products in
            // parallel, then a short walk over the chunks), then the single kernel that precomputes
            // only the key-only products; both keep their per-chunk work in the queue's scratch.
            // DN_CUDA_DISABLE=split_delta_rule falls back to the latter (for A/B timing).
            static const bool split_allowed = cuda::feature_enabled("split_delta_rule");
            if (args.bf16_products && split_allowed) {
                void *split = q.delta_scratch.get(cuda::delta_rule_tc_split_scratch_bytes(args), q.capturing);
                if (cuda::delta_rule_chunked_tc_split(args, q.stream, split, &q.side)) return;
            }
            void *tc = args.bf16_products ? q.delta_scratch.get(cuda::delta_rule_tc_scratch_bytes(args), q.capturing)
                                          : nullptr;
            cuda::delta_rule_chunked(args, q.stream, tc);
        } else cuda::delta_rule_recurrent(args, q.stream);
    }
    void attention(const AttentionArgs &args) override { cuda::attention(args, queue().stream); }
    void short_conv_rows(const ConvRowsArgs &args) override { cuda::short_conv_rows(args, queue().stream); }
    void delta_rule_rows(const DeltaRowsArgs &args) override { cuda::delta_rule_rows(args, queue().stream); }
    void decode_inputs(const DecodeInputsArgs &args) override { cuda::decode_inputs(args, queue().stream); }

private:
    static int64_t elements(const TensorView &t) {
        int64_t n = 1;
        for (int64_t d : t.shape) n *= d;
        return n;
    }

    void select_device() const { check(cudaSetDevice(device_), "cudaSetDevice"); }

    // The calling thread's queue on this device (the backend's own when none is set), with this
    // device made current for the thread.
    CudaQueue &queue() {
        select_device();
        CudaQueue *q = current_[device_];
        return q ? *q : *default_queue_;
    }

    // Work issued outside any stream (state creation, clone, load) completes before the call returns.
    void finish_if_default(CudaQueue &q) {
        if (&q == default_queue_.get()) q.synchronize();
    }

    static thread_local CudaQueue *current_[kMaxDevices];
    const int device_;
    const std::string name_;
    std::unique_ptr<CudaQueue> default_queue_;
    std::unique_ptr<Gemm> gemm_;
};

thread_local CudaQueue *CudaBackend::current_[kMaxDevices] = {};

// Writes `text` into the caller's message buffer.
void put_message(char *message, size_t capacity, const std::string &text) {
    if (!message || capacity == 0) return;
    const size_t n = std::min(capacity - 1, text.size());
    std::memcpy(message, text.data(), n);
    message[n] = '\0';
}

}  // namespace

}  // namespace dn::cuda

extern "C" __attribute__((visibility("default"))) dn_status dn_backend_plugin_open(
    uint32_t interface_version, const char *library_version, int device_index, dn::Backend **out_backend,
    char *message, size_t capacity) {
    using namespace dn::cuda;
    try {
        if (!out_backend) return DN_ERR_NULL_ARGUMENT;
        *out_backend = nullptr;
        if (interface_version != DN_BACKEND_PLUGIN_INTERFACE || !library_version ||
            std::strcmp(library_version, DN_VERSION_STRING) != 0) {
            put_message(message, capacity,
                        dn::cat(dn::gpu::kPluginFile, " ", DN_VERSION_STRING, " (backend interface ",
                                DN_BACKEND_PLUGIN_INTERFACE, ") does not match libdeltanet ",
                                library_version ? library_version : "?", " (interface ", interface_version, ")"));
            return DN_ERR_UNSUPPORTED;
        }
        int count = 0;
        const cudaError_t e = cudaGetDeviceCount(&count);
        if (e != cudaSuccess) {
            cudaGetLastError();
            put_message(message, capacity,
                        dn::cat("no usable ", dn::gpu::kRuntimeName, " driver or device: ", cudaGetErrorString(e)));
            return DN_ERR_DEVICE;
        }
        if (device_index < 0 || device_index >= count || device_index >= kMaxDevices) {
            const char *kind = dn::gpu::kDeviceKind;
            put_message(message, capacity, dn::cat("there are ", count, " ", dn::gpu::kRuntimeName, " devices (", kind,
                                                   ":0 .. ", kind, ":", count - 1, ")"));
            return DN_ERR_DEVICE;
        }
        static std::mutex mutex;
        static CudaBackend *backends[kMaxDevices] = {};
        std::lock_guard lock(mutex);
        if (!backends[device_index]) backends[device_index] = new CudaBackend(device_index);  // lives until exit
        *out_backend = backends[device_index];
        return DN_OK;
    } catch (const dn::Error &e) {
        put_message(message, capacity, e.what());
        return e.status();
    } catch (const std::exception &e) {
        put_message(message, capacity, e.what());
        return DN_ERR_INTERNAL;
    } catch (...) {
        put_message(message, capacity, "unknown error");
        return DN_ERR_INTERNAL;
    }
}
