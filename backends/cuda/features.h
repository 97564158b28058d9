// Run-time switches for the CUDA backend's optimisations, for measuring what each one brings and
// for ruling one out when debugging: DN_CUDA_DISABLE is a comma-separated list of feature names.
// Features: pdl (programmatic dependent launch), split_delta_rule (the split tensor-core prefill),
// overlap_delta_rule (its walk run beside its prep, delta_rule_tc_split.h).
#pragma once

namespace dn::cuda {

// False when DN_CUDA_DISABLE names `feature`.
bool feature_enabled(const char *feature);

}  // namespace dn::cuda
