// An independent, deliberately naive float64 implementation of fla's DeltaNet / Gated DeltaNet /
// hybrid forward pass (token by token, the recurrent form for the delta rule), reading a checkpoint
// directly. The config-variant tests compare the library's float32 chunked prefill and recurrent
// decode against it for configurations that have no fla fixture.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace dntest {

// Logits [tokens.size()][vocab] for every position, from an empty state.
std::vector<double> reference_logits(const std::filesystem::path &model_dir, const std::vector<int32_t> &tokens);

}  // namespace dntest
