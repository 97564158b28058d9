// libFuzzer target: config.json parsing, then what the loader derives from an accepted config before
// reading any weights (the tensor manifest, the state size, the canonical text): none of it may
// overflow, throw something other than a clean refusal, or ask for memory the config alone decides.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/model_config.h"
#include "core/weight_manifest.h"
#include "fuzz_support.h"
#include "model/state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    dnfuzz::expect_clean(
        [&] {
            const dn::ModelConfig config =
                dn::parse_model_config(std::string(reinterpret_cast<const char *>(data), size), "config.json");
            const std::vector<dn::TensorSpec> manifest = dn::weight_manifest(config);
            for (const dn::TensorSpec &spec : manifest)
                for (int64_t d : spec.shape)
                    if (d <= 0) dnfuzz::bug("manifest", spec.name.c_str());
            (void)dn::State::bytes_for(config, 0);
            (void)config.canonical();
        },
        {DN_ERR_MALFORMED_FILE, DN_ERR_UNSUPPORTED});
    return 0;
}
