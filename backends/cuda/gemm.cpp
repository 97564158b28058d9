#include "backends/cuda/gemm.h"

#include <memory>

#include "backends/cuda/cuda_check.h"
#include "core/error.h"

namespace dn::cuda {

namespace {

void check_blas(cublasStatus_t status, const char *what) {
    if (status != CUBLAS_STATUS_SUCCESS)
        fail(status == CUBLAS_STATUS_ALLOC_FAILED ? DN_ERR_OUT_OF_MEMORY : DN_ERR_DEVICE, "cuBLASLt ", what, ": ",
             cublasLtGetStatusString(status));
}

}  // namespace

// cuBLASLt is column-major: the row-major y[M][N] is the column-major N x M matrix
// C = op(A) B with A = W seen as a K x N column-major matrix (transposed) and B = x as K x M.
struct Gemm::Plan {
    cublasLtMatmulDesc_t op = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
    cublasLtMatmulAlgo_t algo{};

    ~Plan() {
        if (a) cublasLtMatrixLayoutDestroy(a);
        if (b) cublasLtMatrixLayoutDestroy(b);
        if (c) cublasLtMatrixLayoutDestroy(c);
        if (op) cublasLtMatmulDescDestroy(op);
    }
};

Gemm::Gemm() { check_blas(cublasLtCreate(&handle_), "create"); }

Gemm::~Gemm() {
    for (auto &entry : plans_) delete entry.second;
    if (handle_) cublasLtDestroy(handle_);
}

const Gemm::Plan &Gemm::plan_for(const GemmArgs &g) {
    const Key key{g.M, g.N, g.K, g.ldx, g.ldy, g.bf16};
    std::lock_guard lock(mutex_);
    if (auto it = plans_.find(key); it != plans_.end()) return *it->second;

    auto plan = std::make_unique<Plan>();
    const cudaDataType_t in = g.bf16 ? CUDA_R_16BF : CUDA_R_32F;
    check_blas(cublasLtMatmulDescCreate(&plan->op, CUBLAS_COMPUTE_32F, CUDA_R_32F), "matmul descriptor");
    const cublasOperation_t transpose = CUBLAS_OP_T, none = CUBLAS_OP_N;
    check_blas(cublasLtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_TRANSA, &transpose, sizeof transpose),
               "transa");
    check_blas(cublasLtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_TRANSB, &none, sizeof none), "transb");
    check_blas(cublasLtMatrixLayoutCreate(&plan->a, in, uint64_t(g.K), uint64_t(g.N), g.K), "layout A");
    check_blas(cublasLtMatrixLayoutCreate(&plan->b, in, uint64_t(g.K), uint64_t(g.M), g.ldx), "layout B");
    check_blas(cublasLtMatrixLayoutCreate(&plan->c, CUDA_R_32F, uint64_t(g.N), uint64_t(g.M), g.ldy), "layout C");

    cublasLtMatmulPreference_t preference = nullptr;
    check_blas(cublasLtMatmulPreferenceCreate(&preference), "preference");
    const uint64_t workspace = kWorkspaceBytes;
    cublasLtMatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace,
                                         sizeof workspace);
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(handle_, plan->op, plan->a, plan->b, plan->c,
                                                                 plan->c, preference, 1, &result, &found);
    cublasLtMatmulPreferenceDestroy(preference);
    check_blas(status, "algorithm heuristic");
    if (found == 0)
        fail(DN_ERR_UNSUPPORTED, "cuBLASLt has no algorithm for a ", g.M, " x ", g.N, " x ", g.K, " product");
    plan->algo = result.algo;
    Plan *raw = plan.release();
    plans_.emplace(key, raw);
    return *raw;
}

void Gemm::run(const GemmArgs &g, void *workspace, cudaStream_t stream) {
    const Plan &plan = plan_for(g);
    const float one = 1.0f, zero = 0.0f;
    check_blas(cublasLtMatmul(handle_, plan.op, &one, g.w, plan.a, g.x, plan.b, &zero, g.y, plan.c, g.y, plan.c,
                              &plan.algo, workspace, kWorkspaceBytes, stream),
               "matmul");
}

}  // namespace dn::cuda
