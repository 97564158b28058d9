// The tensor-core delta rules (delta_rule_tc.cu and delta_rule_tc_split.cu: mma.sync, ldmatrix and
// cp.async PTX) in portable builds, which leave them out: they take no shape, so delta_rule_chunked
// runs its float32 kernel (or, where that kernel's shared memory does not fit, the recurrence).
#include "backends/cuda/delta_rule_tc.h"
#include "backends/cuda/delta_rule_tc_split.h"

namespace dn::cuda {

bool delta_rule_chunked_tc(const DeltaArgs &, cudaStream_t, void *) { return false; }

size_t delta_rule_tc_scratch_bytes(const DeltaArgs &) { return 0; }

bool delta_rule_chunked_tc_split(const DeltaArgs &, cudaStream_t, void *, const SplitSideStream *) { return false; }

size_t delta_rule_tc_split_scratch_bytes(const DeltaArgs &) { return 0; }

}  // namespace dn::cuda
