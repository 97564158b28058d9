// A deterministic tiny hybrid model for the state-blob fuzz target: one DeltaNet layer and one global
// softmax-attention layer, hidden size 8, vocabulary 16, an 8-token context. Its state blob is about
// 1.5 KB (a fixture's is hundreds), so the fuzzer mutates and checks it thousands of times a second,
// and it has both kinds of layer state, including the bounded position of a global cache.
#pragma once

#include <string>

namespace dnfuzz {

constexpr int kTinyVocab = 16;
constexpr int kTinyContext = 8;  // max_position_embeddings, the default state's cache rows

// Writes config.json and model.safetensors into `dir` (created if missing). Same bytes every time.
// Without `attention` layer 1 is a DeltaNet layer too: no bound on the context (a pure DeltaNet).
void write_tiny_model(const std::string &dir, bool attention = true);

// Writes `config_json` and deterministic small random weights for it (norm weights 1) into `dir`.
void write_random_model(const std::string &dir, const std::string &config_json);

// A fresh directory name under $TMPDIR (or /tmp) for a fuzz process's generated model.
std::string scratch_model_dir(const char *name);

}  // namespace dnfuzz
