// The sharded checkpoint layout: model.safetensors.index.json {"metadata": {...}, "weight_map":
// {tensor: file}} naming several safetensors files.
#include <string>
#include <vector>

#include "support/dn_test.h"
#include "support/model_files.h"

namespace {

using namespace dntest;

const char *const kFixture = "deltanet-hybrid-tiny";
const char *const kShard1 = "model-00001-of-00002.safetensors";
const char *const kShard2 = "model-00002-of-00002.safetensors";

class Sharded : public ::testing::Test {
protected:
    void SetUp() override {
        stream_ = make_stream();
        tensors_ = read_tensors(fixture_dir(kFixture) / "model.safetensors");
        ASSERT_GT(tensors_.size(), 2u);
    }

    // tmp/name: the fixture's config, its tensors split in two shards (every other tensor, so that
    // each layer spans both files), and an index. Returns the index for tests to spoil.
    fs::path write_sharded(const std::string &name, nlohmann::json *index_out = nullptr) {
        const fs::path dir = make_dir(tmp_, name);
        fs::copy_file(fixture_dir(kFixture) / "config.json", dir / "config.json");
        std::vector<OwnedTensor> first, second;
        nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlohmann::json::object()}};
        uint64_t total = 0;
        for (size_t i = 0; i < tensors_.size(); ++i) {
            (i % 2 ? second : first).push_back(tensors_[i]);
            index["weight_map"][tensors_[i].name] = i % 2 ? kShard2 : kShard1;
            total += tensors_[i].bytes.size();
        }
        index["metadata"]["total_size"] = total;
        write_tensors(dir / kShard1, first);
        write_tensors(dir / kShard2, second);
        write_json(dir / "model.safetensors.index.json", index);
        if (index_out) *index_out = index;
        return dir;
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

    TempDir tmp_;
    StreamPtr stream_;
    std::vector<OwnedTensor> tensors_;
};

TEST_F(Sharded, LoadsAndMatchesTheSingleFile) {
    const fs::path dir = write_sharded("two-shards");
    ModelPtr single = load_model(stream_.get(), fixture_dir(kFixture));
    ModelPtr sharded = load_model(stream_.get(), dir);

    uint64_t params_a = 0, params_b = 0, bytes_a = 0, bytes_b = 0;
    ASSERT_DN_OK(dn_model_num_params(single.get(), &params_a));
    ASSERT_DN_OK(dn_model_num_params(sharded.get(), &params_b));
    ASSERT_DN_OK(dn_model_weight_bytes(single.get(), &bytes_a));
    ASSERT_DN_OK(dn_model_weight_bytes(sharded.get(), &bytes_b));
    EXPECT_EQ(params_a, params_b);
    EXPECT_EQ(bytes_a, bytes_b);

    const Reference ref = load_reference(fixture_dir(kFixture) / "reference.safetensors");
    StatePtr a = make_state(single.get()), b = make_state(sharded.get());
    const std::vector<float> expected = forward(stream_.get(), single.get(), a.get(), ref.input_ids, DN_LOGITS_ALL);
    const std::vector<float> got = forward(stream_.get(), sharded.get(), b.get(), ref.input_ids, DN_LOGITS_ALL);
    EXPECT_TRUE(bit_equal(got, expected)) << "the same weights in two shards give other logits (rel L2 "
                                          << rel_l2(got, expected) << ")";
    EXPECT_LT(rel_l2(got, ref.logits), 1e-4) << "sharded model vs the reference";

    // Same model, so a state blob moves between them.
    const std::vector<unsigned char> blob = save_state(a.get());
    StatePtr c = make_state(sharded.get());
    EXPECT_DN_OK(dn_state_load(c.get(), blob.data(), blob.size()));
}

TEST_F(Sharded, IndexNamingAMissingShard) {
    nlohmann::json index;
    const fs::path dir = write_sharded("missing-shard", &index);
    fs::remove(dir / kShard2);
    EXPECT_DN_ERROR(try_load(dir), DN_ERR_IO, kShard2);

    // A shard name the index invents.
    index["weight_map"]["model.norm.weight"] = "model-00003-of-00002.safetensors";
    const fs::path other = write_sharded("invented-shard");
    write_json(other / "model.safetensors.index.json", index);
    EXPECT_DN_ERROR(try_load(other), DN_ERR_IO, "model-00003-of-00002.safetensors");
}

TEST_F(Sharded, MalformedIndex) {
    const fs::path dir = write_sharded("bad-index");
    write_bytes(dir / "model.safetensors.index.json", "{\"weight_map\": {");
    EXPECT_DN_ERROR(try_load(dir), DN_ERR_MALFORMED_FILE, "model.safetensors.index.json");
    write_bytes(dir / "model.safetensors.index.json", "{\"metadata\": {}}");
    EXPECT_DN_ERROR(try_load(dir), DN_ERR_MALFORMED_FILE, "model.safetensors.index.json");
    write_bytes(dir / "model.safetensors.index.json", "{\"weight_map\": {\"model.norm.weight\": 3}}");
    EXPECT_DN_ERROR(try_load(dir), DN_ERR_MALFORMED_FILE, "model.safetensors.index.json");
}

}  // namespace
