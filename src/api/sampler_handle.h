// What a dn_sampler is, for the C functions of api_sampler.cpp and for dn_generate (which samples
// with a caller's sampler, or makes its own from dn_sampler_options).
#pragma once

#include "deltanet/deltanet.h"
#include "text/sampler.h"

struct dn_sampler {
    dn::text::Sampler sampler;
};

namespace dn::api {

// Checks `options` (non-NULL) like dn_sampler_create does, struct_size and the bias array included,
// and copies it, an older shorter struct over the defaults. Throws dn::Error.
text::SamplerOptions to_sampler_options(const dn_sampler_options *options);

}  // namespace dn::api
