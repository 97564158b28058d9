// The tensor-core delta rule (delta_rule_tc.cu: mma.sync, ldmatrix and cp.async PTX) in portable
// builds, which leave it out: it takes no shape, so delta_rule_chunked runs its float32 kernel
// (or, where that kernel's shared memory does not fit, the recurrence).
#include "backends/cuda/delta_rule_tc.h"

namespace dn::cuda {

bool delta_rule_chunked_tc(const DeltaArgs &, cudaStream_t, void *) { return false; }

size_t delta_rule_tc_scratch_bytes(const DeltaArgs &) { return 0; }

}  // namespace dn::cuda
