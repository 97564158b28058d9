// Model directories that must not load: broken safetensors (DN_ERR_MALFORMED_FILE), weights that do
// not fit the config (DN_ERR_MODEL_MISMATCH), configs this build cannot run (DN_ERR_UNSUPPORTED) or
// cannot parse (DN_ERR_MALFORMED_FILE), missing files (DN_ERR_IO). Each built from deltanet-tiny in
// a temporary directory.
#include <string>
#include <vector>

#include "support/dn_test.h"
#include "support/model_files.h"

namespace {

using namespace dntest;

const char *const kFixture = "deltanet-tiny";

class MalformedModel : public ::testing::Test {
protected:
    void SetUp() override {
        stream_ = make_stream();
        weights_ = read_bytes(fixture_dir(kFixture) / "model.safetensors");
        config_ = read_json(fixture_dir(kFixture) / "config.json");
    }

    // Loads `dir`, expected to fail; dn_last_error() is left for the caller to check.
    dn_status try_load(const fs::path &dir) {
        dn_model *model = nullptr;
        const dn_status status = dn_model_load(stream_.get(), dir.string().c_str(), nullptr, &model);
        if (model) {
            EXPECT_EQ(status, DN_OK) << "a failed load wrote *out_model";
            dn_model_free(model);
        }
        return status;
    }

    // A directory with the fixture's config and these weights.
    fs::path with_weights(const std::string &name, const std::string &bytes) {
        return model_dir_with_weights(tmp_, name, kFixture, bytes);
    }
    // A directory with this config and the fixture's weights.
    fs::path with_config(const std::string &name, const nlohmann::json &config) {
        return model_dir_with_config(tmp_, name, kFixture, config);
    }

    TempDir tmp_;
    StreamPtr stream_;
    std::string weights_;
    nlohmann::json config_;
};

// --- Broken safetensors: DN_ERR_MALFORMED_FILE naming the file ----------------------------------

TEST_F(MalformedModel, TruncatedInTheHeader) {
    const RawSafetensors raw = split_safetensors(weights_);
    EXPECT_DN_ERROR(try_load(with_weights("mid-header", weights_.substr(0, 8 + raw.header_length / 2))),
                    DN_ERR_MALFORMED_FILE, "model.safetensors");
    EXPECT_DN_ERROR(try_load(with_weights("length-only", weights_.substr(0, 8))), DN_ERR_MALFORMED_FILE,
                    "model.safetensors");
    EXPECT_DN_ERROR(try_load(with_weights("in-length", weights_.substr(0, 5))), DN_ERR_MALFORMED_FILE,
                    "model.safetensors");
    EXPECT_DN_ERROR(try_load(with_weights("empty", "")), DN_ERR_MALFORMED_FILE, "model.safetensors");
}

TEST_F(MalformedModel, TruncatedInTheData) {
    const RawSafetensors raw = split_safetensors(weights_);
    const size_t data_begin = 8 + raw.header_length;
    EXPECT_DN_ERROR(try_load(with_weights("last-byte", weights_.substr(0, weights_.size() - 1))),
                    DN_ERR_MALFORMED_FILE, "model.safetensors");
    EXPECT_DN_ERROR(try_load(with_weights("mid-data", weights_.substr(0, data_begin + raw.data.size() / 2))),
                    DN_ERR_MALFORMED_FILE, "model.safetensors");
    EXPECT_DN_ERROR(try_load(with_weights("no-data", weights_.substr(0, data_begin))), DN_ERR_MALFORMED_FILE,
                    "model.safetensors");
}

TEST_F(MalformedModel, HeaderLengthPastTheEnd) {
    EXPECT_DN_ERROR(try_load(with_weights("past-end", with_header_length(weights_, weights_.size()))),
                    DN_ERR_MALFORMED_FILE, "header");
    EXPECT_DN_ERROR(try_load(with_weights("huge", with_header_length(weights_, ~uint64_t(0)))), DN_ERR_MALFORMED_FILE,
                    "header");
    EXPECT_DN_ERROR(try_load(with_weights("off-by-one", with_header_length(weights_, weights_.size() - 7))),
                    DN_ERR_MALFORMED_FILE, "header");
}

TEST_F(MalformedModel, HeaderNotJson) {
    RawSafetensors raw = split_safetensors(weights_);
    std::string header = raw.header.dump();
    header[header.size() / 2] = '\x01';
    std::string bytes = with_header_length(std::string(8, '\0') + header, header.size()) + raw.data;
    EXPECT_DN_ERROR(try_load(with_weights("garbled", bytes)), DN_ERR_MALFORMED_FILE, "model.safetensors");

    const std::string array = "[1, 2, 3]";
    EXPECT_DN_ERROR(try_load(with_weights("array", with_header_length(std::string(8, '\0') + array, array.size()))),
                    DN_ERR_MALFORMED_FILE, "model.safetensors");
}

TEST_F(MalformedModel, OverlappingDataOffsets) {
    RawSafetensors raw = split_safetensors(weights_);
    // Two tensors of 1024 bytes (the [256] norm weights): the second starts inside the first.
    auto &a = raw.header["model.layers.0.attn_norm.weight"]["data_offsets"];
    auto &b = raw.header["model.layers.0.mlp_norm.weight"]["data_offsets"];
    ASSERT_EQ(a[1].get<uint64_t>() - a[0].get<uint64_t>(), b[1].get<uint64_t>() - b[0].get<uint64_t>());
    const uint64_t start = a[0].get<uint64_t>() + 512;
    b = {start, start + 1024};
    EXPECT_DN_ERROR(try_load(with_weights("overlap", join_safetensors(raw.header, raw.data))), DN_ERR_MALFORMED_FILE,
                    "overlap");

    // Exactly the same range twice overlaps too.
    b = a;
    EXPECT_DN_ERROR(try_load(with_weights("same-range", join_safetensors(raw.header, raw.data))),
                    DN_ERR_MALFORMED_FILE, "overlap");
}

TEST_F(MalformedModel, OutOfRangeDataOffsets) {
    const std::string name = "model.norm.weight";
    RawSafetensors raw = split_safetensors(weights_);
    const uint64_t data_size = raw.data.size();
    auto &offsets = raw.header[name]["data_offsets"];
    const nlohmann::ordered_json original = offsets;

    offsets = {data_size - 512, data_size + 512};  // runs past the end
    EXPECT_DN_ERROR(try_load(with_weights("past-end", join_safetensors(raw.header, raw.data))), DN_ERR_MALFORMED_FILE,
                    name);
    offsets = {data_size + 4096, data_size + 4096 + 1024};  // wholly past the end
    EXPECT_DN_ERROR(try_load(with_weights("beyond", join_safetensors(raw.header, raw.data))), DN_ERR_MALFORMED_FILE,
                    name);
    offsets = {~uint64_t(0) - 1023, ~uint64_t(0)};  // wraps around if added carelessly
    EXPECT_DN_ERROR(try_load(with_weights("wrap", join_safetensors(raw.header, raw.data))), DN_ERR_MALFORMED_FILE,
                    name);
    offsets = {original[1], original[0]};  // begin after end
    EXPECT_DN_ERROR(try_load(with_weights("reversed", join_safetensors(raw.header, raw.data))), DN_ERR_MALFORMED_FILE,
                    name);
    offsets = {original[0], original[1].get<uint64_t>() - 4};  // fewer bytes than shape x dtype
    EXPECT_DN_ERROR(try_load(with_weights("short", join_safetensors(raw.header, raw.data))), DN_ERR_MALFORMED_FILE,
                    name);
    offsets = {-1, 1023};  // not an unsigned integer
    EXPECT_DN_ERROR(try_load(with_weights("negative", join_safetensors(raw.header, raw.data))), DN_ERR_MALFORMED_FILE,
                    name);
}

// --- Weights that do not fit the config: DN_ERR_MODEL_MISMATCH naming the tensor -----------------

TEST_F(MalformedModel, WrongDtype) {
    std::vector<OwnedTensor> tensors = read_tensors(fixture_dir(kFixture) / "model.safetensors");
    OwnedTensor &t = tensor_named(tensors, "model.norm.weight");  // F32 [256]
    t.dtype = dn::DType::I64;
    t.bytes.resize(t.bytes.size() * 2, '\0');
    const fs::path dir = make_dir(tmp_, "i64");
    fs::copy_file(fixture_dir(kFixture) / "config.json", dir / "config.json");
    write_tensors(dir / "model.safetensors", tensors);
    EXPECT_DN_ERROR(try_load(dir), DN_ERR_MODEL_MISMATCH, "model.norm.weight");
}

TEST_F(MalformedModel, WrongShape) {
    const std::string name = "model.layers.1.attn.q_proj.weight";  // [256, 256]
    {
        std::vector<OwnedTensor> tensors = read_tensors(fixture_dir(kFixture) / "model.safetensors");
        OwnedTensor &t = tensor_named(tensors, name);
        t.shape = {128, 256};
        t.bytes.resize(t.bytes.size() / 2);
        const fs::path dir = make_dir(tmp_, "half");
        fs::copy_file(fixture_dir(kFixture) / "config.json", dir / "config.json");
        write_tensors(dir / "model.safetensors", tensors);
        EXPECT_DN_ERROR(try_load(dir), DN_ERR_MODEL_MISMATCH, name);
    }
    {
        // Same element count, other shape.
        std::vector<OwnedTensor> tensors = read_tensors(fixture_dir(kFixture) / "model.safetensors");
        tensor_named(tensors, name).shape = {512, 128};
        const fs::path dir = make_dir(tmp_, "reshaped");
        fs::copy_file(fixture_dir(kFixture) / "config.json", dir / "config.json");
        write_tensors(dir / "model.safetensors", tensors);
        EXPECT_DN_ERROR(try_load(dir), DN_ERR_MODEL_MISMATCH, name);
    }
    {
        // The config disagrees instead: a hidden size the weights do not have.
        nlohmann::json config = config_;
        config["intermediate_size"] = 768;
        EXPECT_DN_ERROR(try_load(with_config("config-mlp", config)), DN_ERR_MODEL_MISMATCH, "mlp");
    }
}

TEST_F(MalformedModel, MissingTensor) {
    for (const std::string name : {"model.layers.2.mlp.down_proj.weight", "lm_head.weight", "model.layers.3.attn.b_proj.weight"}) {
        std::vector<OwnedTensor> tensors = read_tensors(fixture_dir(kFixture) / "model.safetensors");
        std::erase_if(tensors, [&](const OwnedTensor &t) { return t.name == name; });
        const fs::path dir = make_dir(tmp_, "without-" + name);
        fs::copy_file(fixture_dir(kFixture) / "config.json", dir / "config.json");
        write_tensors(dir / "model.safetensors", tensors);
        EXPECT_DN_ERROR(try_load(dir), DN_ERR_MODEL_MISMATCH, name);
    }
}

// --- Configs: DN_ERR_UNSUPPORTED naming the field, DN_ERR_MALFORMED_FILE for non-JSON -------------

TEST_F(MalformedModel, UnknownModelType) {
    nlohmann::json config = config_;
    config["model_type"] = "mamba2";
    EXPECT_DN_ERROR(try_load(with_config("mamba", config)), DN_ERR_UNSUPPORTED, "model_type", "mamba2");
}

TEST_F(MalformedModel, UnsupportedFieldValues) {
    struct Case {
        const char *field;
        nlohmann::json value;
    };
    for (const Case &c : {Case{"qk_activation", "gelu"}, Case{"hidden_act", "gelu"}, Case{"qk_norm", "softmax"}}) {
        nlohmann::json config = config_;
        config[c.field] = c.value;
        EXPECT_DN_ERROR(try_load(with_config(std::string(c.field) + "-" + c.value.get<std::string>(), config)),
                        DN_ERR_UNSUPPORTED, c.field)
            << c.field << " = " << c.value;
    }
}

TEST_F(MalformedModel, ConfigNotJson) {
    const fs::path dir = make_dir(tmp_, "not-json");
    write_bytes(dir / "config.json", "{\"model_type\": \"delta_net\", \"hidden_size\": 256,");
    fs::create_symlink(fs::absolute(fixture_dir(kFixture) / "model.safetensors"), dir / "model.safetensors");
    EXPECT_DN_ERROR(try_load(dir), DN_ERR_MALFORMED_FILE, "config.json");

    write_bytes(dir / "config.json", "");
    EXPECT_DN_ERROR(try_load(dir), DN_ERR_MALFORMED_FILE, "config.json");

    write_bytes(dir / "config.json", "[\"delta_net\"]");
    EXPECT_DN_ERROR(try_load(dir), DN_ERR_MALFORMED_FILE, "config.json");

    // JSON, but a field of the wrong type.
    nlohmann::json config = config_;
    config["hidden_size"] = "256";
    EXPECT_DN_ERROR(try_load(with_config("string-size", config)), DN_ERR_MALFORMED_FILE, "hidden_size");
}

// --- Missing files: DN_ERR_IO naming what is missing ---------------------------------------------

TEST_F(MalformedModel, MissingDirectory) {
    const fs::path dir = tmp_ / "does-not-exist";
    EXPECT_DN_ERROR(try_load(dir), DN_ERR_IO, "does-not-exist");
}

TEST_F(MalformedModel, MissingConfig) {
    const fs::path dir = make_dir(tmp_, "no-config");
    fs::create_symlink(fs::absolute(fixture_dir(kFixture) / "model.safetensors"), dir / "model.safetensors");
    EXPECT_DN_ERROR(try_load(dir), DN_ERR_IO, "config.json");
}

TEST_F(MalformedModel, MissingWeights) {
    const fs::path dir = make_dir(tmp_, "no-weights");
    fs::copy_file(fixture_dir(kFixture) / "config.json", dir / "config.json");
    EXPECT_DN_ERROR(try_load(dir), DN_ERR_IO, "model.safetensors");
}

TEST_F(MalformedModel, PathIsAFile) {
    EXPECT_DN_ERROR(try_load(fixture_dir(kFixture) / "config.json"), DN_ERR_IO, "config.json");
}

// The unmodified copies load: the failures above come from the modifications, not the copying.
TEST_F(MalformedModel, UnmodifiedCopiesLoad) {
    const fs::path a = with_weights("copy", weights_);
    const fs::path b = with_config("same-config", config_);
    const std::vector<OwnedTensor> tensors = read_tensors(fixture_dir(kFixture) / "model.safetensors");
    const fs::path c = make_dir(tmp_, "rewritten");
    fs::copy_file(fixture_dir(kFixture) / "config.json", c / "config.json");
    write_tensors(c / "model.safetensors", tensors);
    const RawSafetensors raw = split_safetensors(weights_);
    const fs::path d = with_weights("rejoined", join_safetensors(raw.header, raw.data));
    for (const fs::path &dir : {a, b, c, d}) {
        dn_model *model = nullptr;
        const dn_status status = dn_model_load(stream_.get(), dir.string().c_str(), nullptr, &model);
        EXPECT_EQ(status, DN_OK) << dir << ": " << dn_last_error();
        dn_model_free(model);
    }
}

}  // namespace
