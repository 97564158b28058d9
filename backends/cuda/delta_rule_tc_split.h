// The chunked delta rule with bfloat16 tensor-core products (DeltaArgs::bf16_products), split so
// that the sequential walk over chunks is short: a parallel prep kernel precomputes every chunk's
// state-independent products (W, U, the decayed K, Q and QK) into scratch, then a walk kernel whose
// warps hold the state in registers runs the chunks in order (delta_rule_tc_split.cu). Float32
// inputs, outputs and state, float32 accumulation; operands rounded to bfloat16 for mma.sync.
#pragma once

#include <cstddef>

#include "backends/backend.h"

// The host emulation harness (DN_TC_EMULATE, tests/test_delta_rule_tc_emulated.cpp) includes the .cu
// without a CUDA toolkit and calls the block functions directly.
#ifndef DN_TC_EMULATE
#include "backends/cuda/gpu_runtime.h"

namespace dn::cuda {

// A second stream for running the walk beside the prep (created with a higher priority than the
// streams it serves) and two events (cudaEventDisableTiming) to fork to it and join back.
struct SplitSideStream {
    cudaStream_t stream = nullptr;
    cudaEvent_t fork = nullptr, join = nullptr;
};

// Enqueues the chunked delta rule of `args` on `stream` and returns true, or returns false having
// launched nothing when the shape is outside this path: dk or dv not a multiple of 16, dk > 256,
// dv > 1024, Hv not a multiple of Hk, a GPU before sm_80, too little shared memory per block (dk >
// 128 needs 201 KiB at least, as on Hopper; dk <= 128 138 KiB at least), or `scratch` null or not
// 16-byte aligned. No allocation, no synchronisation (capturable in a CUDA graph).
//
// `scratch`: device memory of at least delta_rule_tc_split_scratch_bytes(args) bytes, 16-byte
// aligned, owned by the caller and not used by anything else on `stream` until this work has run;
// no initialisation needed, every byte read is written first.
//
// `side` (may be null): where the shape allows it (a walk on at most half the SMs), the walk runs on
// side->stream at the same time as the prep, waiting for each chunk's record through flags in the
// scratch; `stream` waits for it before anything enqueued later. Both streams must be on the current
// device, and side->stream not used for anything else meanwhile. Capturable too (fork and join).
bool delta_rule_chunked_tc_split(const DeltaArgs &args, cudaStream_t stream, void *scratch,
                                 const SplitSideStream *side = nullptr);

// Bytes of scratch for delta_rule_chunked_tc_split (0 when T <= 0): per value head and chunk of 64
// tokens, bfloat16 W, K', Q' [64][dk], QK [64][64] and U [64][dv], then a float and an int flag per
// head and chunk (each array rounded up to 16 bytes). Depends on T, Hv, dk and dv.
size_t delta_rule_tc_split_scratch_bytes(const DeltaArgs &args);

}  // namespace dn::cuda
#endif  // DN_TC_EMULATE
