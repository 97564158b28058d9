// Hostile tokenizer.json and config.json contents that once got through as something other than a
// clean refusal (found while fuzzing and hardening, issue 8): a JSON type error reported as an
// internal error, sizes truncated to int, ids that would size a 16 GB table, nesting deep enough to
// exhaust the stack, floats converted to int out of range, template ids with no token.
#include <string>

#include "support/dn_test.h"
#include "support/model_files.h"

namespace {

using namespace dntest;

// A small valid byte-level tokenizer; each test changes one part.
nlohmann::json base_tokenizer() {
    return nlohmann::json::parse(R"({
      "version": "1.0", "added_tokens": [], "normalizer": null, "post_processor": null,
      "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
      "decoder": {"type": "ByteLevel"},
      "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}})");
}

class HostileFiles : public ::testing::Test {
protected:
    dn_status load_tokenizer(const nlohmann::json &json) {
        const fs::path file = tmp_ / ("tokenizer" + std::to_string(count_++) + ".json");
        write_bytes(file, json.dump());
        dn_tokenizer *tokenizer = nullptr;
        const dn_status status = dn_tokenizer_load(file.string().c_str(), &tokenizer);
        if (tokenizer) dn_tokenizer_free(tokenizer);  // (freeing NULL would clear dn_last_error())
        return status;
    }
    dn_status load_model_with(const std::string &field, const nlohmann::json &value) {
        nlohmann::json config = read_json(fixture_dir("deltanet-tiny") / "config.json");
        config[field] = value;
        const fs::path dir = model_dir_with_config(tmp_, "model" + std::to_string(count_++), "deltanet-tiny", config);
        dn_model *model = nullptr;
        const dn_status status = dn_model_load(stream_.get(), dir.string().c_str(), nullptr, &model);
        if (model) dn_model_free(model);
        return status;
    }

    TempDir tmp_;
    StreamPtr stream_ = make_stream();
    int count_ = 0;
};

TEST_F(HostileFiles, BaseTokenizerLoads) { EXPECT_DN_OK(load_tokenizer(base_tokenizer())); }

// Was DN_ERR_INTERNAL: the JSON type error escaped the parser's error handling.
TEST_F(HostileFiles, TokenizerFieldOfTheWrongType) {
    nlohmann::json t = base_tokenizer();
    t["model"]["type"] = 5;
    EXPECT_DN_ERROR(load_tokenizer(t), DN_ERR_MALFORMED_FILE, "tokenizer");
    t = base_tokenizer();
    t["model"]["fuse_unk"] = "yes";
    EXPECT_DN_ERROR(load_tokenizer(t), DN_ERR_MALFORMED_FILE, "tokenizer");
}

// Token texts are stored by id: id 2^31 - 1 used to size a table of 2^31 strings (64 GB).
TEST_F(HostileFiles, TokenIdsFarAboveAnyVocabulary) {
    nlohmann::json t = base_tokenizer();
    t["model"]["vocab"]["c"] = 2147483647;
    EXPECT_DN_ERROR(load_tokenizer(t), DN_ERR_UNSUPPORTED, "id");
    t = base_tokenizer();
    t["added_tokens"] = nlohmann::json::array({{{"id", 1ull << 40}, {"content", "<s>"}, {"special", true}}});
    EXPECT_DN_ERROR(load_tokenizer(t), DN_ERR_UNSUPPORTED, "id");  // was truncated to int32 silently
    t["added_tokens"][0]["id"] = 1.5;
    EXPECT_DN_ERROR(load_tokenizer(t), DN_ERR_MALFORMED_FILE, "id");
}

// A template id with no token: encoding emitted it, and decoding those ids then failed.
TEST_F(HostileFiles, TemplateIdWithoutAToken) {
    nlohmann::json t = base_tokenizer();
    t["post_processor"] = nlohmann::json::parse(R"({"type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "special_tokens": {"<s>": {"id": "<s>", "ids": [77], "tokens": ["<s>"]}}})");
    EXPECT_DN_ERROR(load_tokenizer(t), DN_ERR_MALFORMED_FILE, "post_processor");
    t["post_processor"]["special_tokens"]["<s>"]["ids"] = {2};
    EXPECT_DN_OK(load_tokenizer(t));
}

// Sequences nested 100,000 deep recursed once per level and could exhaust the stack; now any JSON
// nesting deeper than 128 levels is refused while parsing, and Sequences deeper than 32 after it.
TEST_F(HostileFiles, DeeplyNestedSequences) {
    for (const char *part : {"normalizer", "pre_tokenizer", "decoder", "post_processor"}) {
        const std::string key = std::string(part) == "normalizer"      ? "normalizers"
                                : std::string(part) == "pre_tokenizer" ? "pretokenizers"
                                : std::string(part) == "decoder"       ? "decoders"
                                                                       : "processors";
        for (int depth : {40, 100000}) {
            std::string open, close;
            for (int i = 0; i < depth; ++i) {
                open += R"({"type": "Sequence", ")" + key + R"(": [)";
                close += "]}";
            }
            nlohmann::json t = base_tokenizer();
            t[part] = "NESTED";  // spliced in as text: building it as a json value would recurse too
            std::string text = t.dump();
            text.replace(text.find("\"NESTED\""), 8, open + close);
            const fs::path file = tmp_ / (std::string(part) + std::to_string(depth) + ".json");
            write_bytes(file, text);
            dn_tokenizer *tokenizer = nullptr;
            if (depth == 40)
                EXPECT_DN_ERROR(dn_tokenizer_load(file.string().c_str(), &tokenizer), DN_ERR_UNSUPPORTED, "nest") << part;
            else
                EXPECT_DN_ERROR(dn_tokenizer_load(file.string().c_str(), &tokenizer), DN_ERR_MALFORMED_FILE, "nests deeper")
                    << part;
            EXPECT_EQ(tokenizer, nullptr);
        }
    }
}

// The same for config.json and safetensors headers: a deeply nested value anywhere is refused.
TEST_F(HostileFiles, DeeplyNestedConfigValue) {
    nlohmann::json config = read_json(fixture_dir("deltanet-tiny") / "config.json");
    config["unused_field"] = "NESTED";
    std::string text = config.dump();
    text.replace(text.find("\"NESTED\""), 8, std::string(100000, '[') + std::string(100000, ']'));
    const fs::path dir = model_dir_with_config(tmp_, "nested", "deltanet-tiny", nlohmann::json::object());
    write_bytes(dir / "config.json", text);
    dn_model *model = nullptr;
    EXPECT_DN_ERROR(dn_model_load(stream_.get(), dir.string().c_str(), nullptr, &model), DN_ERR_MALFORMED_FILE,
                    "nests deeper");
    EXPECT_EQ(model, nullptr);
}

// A float far outside int's range was converted to int (undefined behaviour).
TEST_F(HostileFiles, StripDecoderWithAHugeCount) {
    nlohmann::json t = base_tokenizer();
    t["decoder"] = {{"type", "Strip"}, {"content", " "}, {"start", 1e300}, {"stop", 0}};
    EXPECT_DN_ERROR(load_tokenizer(t), DN_ERR_MALFORMED_FILE, "start");
}

// Config sizes were read as 64-bit and stored in an int: 2^32 + 4 layers loaded as a 4-layer model.
TEST_F(HostileFiles, ConfigSizesTruncatedToInt) {
    EXPECT_DN_ERROR(load_model_with("num_hidden_layers", (1ull << 32) + 4), DN_ERR_MALFORMED_FILE, "num_hidden_layers");
    EXPECT_DN_ERROR(load_model_with("hidden_size", (1ull << 32) + 256), DN_ERR_MALFORMED_FILE, "hidden_size");
    EXPECT_DN_ERROR(load_model_with("eos_token_id", (1ull << 32) + 2), DN_ERR_MALFORMED_FILE, "eos_token_id");
    EXPECT_DN_ERROR(load_model_with("vocab_size", 1ull << 63), DN_ERR_MALFORMED_FILE, "vocab_size");
}

// expand_v of 1e300 made a double far outside int's range, converted to int (undefined behaviour).
TEST_F(HostileFiles, ConfigRatiosFarOutOfRange) {
    EXPECT_DN_ERROR(load_model_with("expand_v", 1e300), DN_ERR_MALFORMED_FILE, "expand_v");
    EXPECT_DN_ERROR(load_model_with("expand_k", -1.0), DN_ERR_MALFORMED_FILE, "expand_k");
}

}  // namespace
