// The delta rule on the CPU, float32: the recurrent step (decode) and the chunkwise-parallel
// WY/UT-transform algorithm (prefill) of Yang et al., with the optional per-head decay of Gated
// DeltaNet. Both compute, per value head h and token t:
//
//   S_t = exp(g_t) S_{t-1} (I - beta_t k_t k_t^T) + beta_t v_t k_t^T,   o_t = S_t q_t
//
// where S is [dv x dk] ("value-first", as fla's state_v_first), q/k/v are the head's vectors and
// g_t is the log decay (0 when `g` is null: plain DeltaNet).
#pragma once

#include <cstdint>
#include <vector>

namespace dn::cpu {

struct DeltaRuleArgs {
    int64_t T = 0;  // tokens
    int Hk = 0;     // key/query heads
    int Hv = 0;     // value heads, a multiple of Hk; value head h reads key head h / (Hv / Hk)
    int dk = 0;     // key head dim
    int dv = 0;     // value head dim
    // Row t, head h of q is at q + t * q_stride + h * dk; q is already normalised and scaled, k is
    // normalised (the kernel applies no activation, norm or scale).
    const float *q = nullptr; int64_t q_stride = 0;
    const float *k = nullptr; int64_t k_stride = 0;
    const float *v = nullptr; int64_t v_stride = 0;          // row t, head h at v + t*v_stride + h*dv
    const float *beta = nullptr; int64_t beta_stride = 0;    // beta[t * beta_stride + h], h < Hv
    const float *g = nullptr; int64_t g_stride = 0;          // log decay, same indexing; null = none
    float *state = nullptr;  // [Hv][dv][dk], read as the initial state and overwritten with the final
    float *o = nullptr; int64_t o_stride = 0;                // row t, head h at o + t*o_stride + h*dv
};

// Token by token. Heads run in parallel on the calling thread's OpenMP team.
void delta_rule_recurrent(const DeltaRuleArgs &args);

// Chunkwise-parallel form with chunks of `chunk` tokens (the last may be shorter). Same result as
// delta_rule_recurrent up to float rounding. Heads run in parallel.
void delta_rule_chunked(const DeltaRuleArgs &args, int chunk = 64);

// One compiled variant of both kernels, for one instruction set. `chunked` takes scratch memory of
// delta_rule_chunk_scratch_floats(chunk, dk, dv) floats for each of omp_get_max_threads() threads.
struct DeltaRuleKernels {
    const char *isa;  // "avx512", "avx2" or "generic"
    void (*recurrent)(const DeltaRuleArgs &args);
    void (*chunked)(const DeltaRuleArgs &args, int chunk, float *scratch, int64_t scratch_floats_per_thread);
};

// The variants this CPU can run, best first; the functions above use the first.
const std::vector<DeltaRuleKernels> &delta_rule_variants();

// The same two entry points with a chosen variant (tests check every one the CPU supports).
void delta_rule_recurrent(const DeltaRuleArgs &args, const DeltaRuleKernels &variant);
void delta_rule_chunked(const DeltaRuleArgs &args, int chunk, const DeltaRuleKernels &variant);

int64_t delta_rule_chunk_scratch_floats(int64_t chunk, int64_t dk, int64_t dv);

}  // namespace dn::cpu
