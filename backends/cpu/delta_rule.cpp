// Run-time choice among the delta-rule kernel variants compiled for several instruction sets, so
// that one binary is both portable (a baseline x86-64 build) and fast on the CPU it runs on.
#include "backends/cpu/delta_rule.h"

#include <algorithm>
#include <vector>

#include <omp.h>

namespace dn::cpu {

#define DN_DECLARE_DELTA_RULE_VARIANT(isa)             \
    namespace isa {                                    \
    void recurrent(const DeltaRuleArgs &args);         \
    void chunked(const DeltaRuleArgs &, int, float *, int64_t); \
    }
DN_DECLARE_DELTA_RULE_VARIANT(generic)
#if defined(DN_DELTA_RULE_X86_VARIANTS)
DN_DECLARE_DELTA_RULE_VARIANT(avx2)
DN_DECLARE_DELTA_RULE_VARIANT(avx512)
#endif
#undef DN_DECLARE_DELTA_RULE_VARIANT

namespace {

std::vector<DeltaRuleKernels> supported_variants() {
    std::vector<DeltaRuleKernels> variants;
#if defined(DN_DELTA_RULE_X86_VARIANTS)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl"))
        variants.push_back({"avx512", avx512::recurrent, avx512::chunked});
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        variants.push_back({"avx2", avx2::recurrent, avx2::chunked});
#endif
    variants.push_back({"generic", generic::recurrent, generic::chunked});
    return variants;
}

}  // namespace

const std::vector<DeltaRuleKernels> &delta_rule_variants() {
    static const std::vector<DeltaRuleKernels> variants = supported_variants();
    return variants;
}

int64_t delta_rule_chunk_scratch_floats(int64_t C, int64_t dk, int64_t dv) {
    // Matches ChunkScratch in delta_rule_kernels.h: G (C doubles), kq, kt, p, tm, x, wu, st, 4 vectors.
    const int64_t floats = 2 * C + 2 * C * dk + dk * C + 2 * C * C + C * C + 2 * C * (dk + dv) + dk * dv + 4 * C;
    return (floats + 15) / 16 * 16;  // each thread's block starts on its own cache line
}

void delta_rule_recurrent(const DeltaRuleArgs &args, const DeltaRuleKernels &variant) {
    if (args.T > 0) variant.recurrent(args);
}

void delta_rule_chunked(const DeltaRuleArgs &args, int chunk, const DeltaRuleKernels &variant) {
    if (args.T <= 0) return;
    const int C = int(std::min<int64_t>(std::max(chunk, 1), args.T));
    const int64_t per_thread = delta_rule_chunk_scratch_floats(C, args.dk, args.dv);
    // Allocated here, outside the kernel's parallel region, so that running out of memory throws
    // on the calling thread (an exception must not leave an OpenMP region).
    std::vector<float> scratch(size_t(per_thread) * size_t(omp_get_max_threads()));
    variant.chunked(args, C, scratch.data(), per_thread);
}

void delta_rule_recurrent(const DeltaRuleArgs &args) { delta_rule_recurrent(args, delta_rule_variants().front()); }

void delta_rule_chunked(const DeltaRuleArgs &args, int chunk) {
    delta_rule_chunked(args, chunk, delta_rule_variants().front());
}

}  // namespace dn::cpu
