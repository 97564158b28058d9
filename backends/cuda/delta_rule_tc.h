// The chunked delta rule with bfloat16 tensor-core products (DeltaArgs::bf16_products): float32
// inputs, outputs and state, float32 accumulation; operands rounded to bfloat16 for mma.sync.
#pragma once

#include <cuda_runtime_api.h>

#include "backends/backend.h"

namespace dn::cuda {

// Enqueues the chunked delta rule of `args` on `stream` and returns true, or returns false having
// launched nothing when the shape is outside this path (dk or dv not a multiple of 16, dk > 256,
// dv > 1024, a GPU before sm_80, too little shared memory): the caller then runs the float32 kernel.
// No allocation, no synchronisation (capturable).
bool delta_rule_chunked_tc(const DeltaArgs &args, cudaStream_t stream);

}  // namespace dn::cuda
