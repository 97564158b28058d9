// The chunked delta rule with bfloat16 tensor-core products (DeltaArgs::bf16_products): float32
// inputs, outputs and state, float32 accumulation; operands rounded to bfloat16 for mma.sync.
#pragma once

#include "backends/cuda/gpu_runtime.h"

#include <cstddef>

#include "backends/backend.h"

namespace dn::cuda {

// Enqueues the chunked delta rule of `args` on `stream` and returns true, or returns false having
// launched nothing when the shape is outside this path (dk or dv not a multiple of 16, dk > 256,
// dv > 1024, a GPU before sm_80, too little shared memory): the caller then runs the float32 kernel.
// No allocation, no synchronisation (capturable).
//
// `scratch` (optional; null: one kernel): device memory of at least
// delta_rule_tc_scratch_bytes(args) bytes, 16-byte aligned, owned by the caller and not used by
// anything else on `stream` until this work has run; no initialisation needed, contents are
// overwritten. With it the key-only per-chunk work (T = (I + A)^-1, the decayed QK) runs first for
// all chunks in parallel, and the sequential kernel does only the state-dependent products.
bool delta_rule_chunked_tc(const DeltaArgs &args, cudaStream_t stream, void *scratch = nullptr);

// Bytes of scratch for delta_rule_chunked_tc's two-kernel path: Hv * ceil(T / 64) * 16 KiB (0 when
// T <= 0). Depends only on T and Hv.
size_t delta_rule_tc_scratch_bytes(const DeltaArgs &args);

}  // namespace dn::cuda
