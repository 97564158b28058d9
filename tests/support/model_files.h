// Building model directories for the tests: copies of a fixture's checkpoint with tensors changed,
// dropped or split into shards, and raw safetensors bytes no writer would produce.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "support/dn_test.h"

namespace dntest {

// A tensor held in memory.
struct OwnedTensor {
    std::string name;
    dn::DType dtype = dn::DType::F32;
    std::vector<int64_t> shape;
    std::string bytes;
};

// Every tensor of a safetensors file, in name order.
std::vector<OwnedTensor> read_tensors(const fs::path &file);
// Writes them with dn::write_safetensors (a well-formed file).
void write_tensors(const fs::path &file, const std::vector<OwnedTensor> &tensors);
// The tensor called `name` (throws if absent).
OwnedTensor &tensor_named(std::vector<OwnedTensor> &tensors, const std::string &name);

// A safetensors file taken apart: its JSON header (in file order) and its data bytes.
struct RawSafetensors {
    uint64_t header_length = 0;
    nlohmann::ordered_json header;
    std::string data;
};
RawSafetensors split_safetensors(const std::string &bytes);
// Header length (8 bytes, little-endian), the header padded with spaces to a multiple of 8, the data.
std::string join_safetensors(const nlohmann::ordered_json &header, const std::string &data);
// `bytes` with its 8-byte header length replaced by `length`.
std::string with_header_length(std::string bytes, uint64_t length);

nlohmann::json read_json(const fs::path &file);
void write_json(const fs::path &file, const nlohmann::json &value);

// Creates the directory tmp/name and returns it.
fs::path make_dir(const TempDir &tmp, const std::string &name);
// A model directory tmp/name holding `config` as config.json and a symbolic link to the fixture's
// model.safetensors (for tests that change only the config).
fs::path model_dir_with_config(const TempDir &tmp, const std::string &name, const std::string &fixture,
                               const nlohmann::json &config);
// A model directory tmp/name holding the fixture's config.json and `weights` as model.safetensors.
fs::path model_dir_with_weights(const TempDir &tmp, const std::string &name, const std::string &fixture,
                                const std::string &weights);

}  // namespace dntest
