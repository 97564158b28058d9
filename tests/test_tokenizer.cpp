// Tokenizers through the C API: the KJV model's byte-level BPE against fla's ids, Mistral-7B's
// SentencePiece-style BPE against mistral-tokenizer-js's ids (tests/data/mistral), round trips on a
// UTF-8 torture text, invalid UTF-8, streaming detokenization, tokenizer.json features on small
// hand-written files, and bad input.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/dn_test.h"
#include "support/tokenizer_support.h"

namespace {

using namespace dntest;
using json = nlohmann::json;

fs::path kjv_dir() { return shared_path("models/kjv-deltanet-6m"); }

// tests/data/mistral (DN_TEST_DATA_DIR comes from tests/CMakeLists.txt).
fs::path mistral_dir() {
    const fs::path dir = fs::path(DN_TEST_DATA_DIR) / "mistral";
    if (!fs::is_regular_file(dir / "tokenizer.json")) throw std::runtime_error("missing " + (dir / "tokenizer.json").string());
    return dir;
}

TEST(KjvTokenizer, HeldOutTextEncodesToFlasIds) {
    const TokenizerPtr tok = load_tokenizer(kjv_dir());
    std::ifstream in(kjv_dir() / "heldout-revelation.txt", std::ios::binary);
    ASSERT_TRUE(in) << "cannot open heldout-revelation.txt";
    std::vector<int32_t> ids;
    for (std::string line; std::getline(in, line);) {
        const std::vector<int32_t> line_ids = encode(tok.get(), line + "\n");
        ids.insert(ids.end(), line_ids.begin(), line_ids.end());
    }
    const std::vector<int32_t> want = read_ids(kjv_dir() / "val_ids.safetensors", "val_ids");
    ASSERT_EQ(want.size(), 2049u);
    ASSERT_GE(ids.size(), want.size());
    EXPECT_EQ(std::vector<int32_t>(ids.begin(), ids.begin() + ptrdiff_t(want.size())), want);
}

TEST(KjvTokenizer, PromptAndGreedyTextMatchTheReference) {
    const TokenizerPtr tok = load_tokenizer(kjv_dir());
    const json ref = json::parse(read_bytes(kjv_dir() / "reference.json"));
    EXPECT_EQ(encode(tok.get(), "In the beginning"), (std::vector<int32_t>{1136, 259, 2101}));
    EXPECT_EQ(encode(tok.get(), ref["prompt"].get<std::string>()), ref["prompt_ids"].get<std::vector<int32_t>>());
    EXPECT_EQ(decode(tok.get(), ref["greedy_ids"].get<std::vector<int32_t>>()), ref["greedy_text"].get<std::string>());
}

TEST(KjvTokenizer, SpecialTokensAndVocabulary) {
    const TokenizerPtr tok = load_tokenizer(kjv_dir());
    int32_t vocab = 0, bos = -2, eos = -2;
    ASSERT_DN_OK(dn_tokenizer_vocab_size(tok.get(), &vocab));
    EXPECT_EQ(vocab, 4096);
    ASSERT_DN_OK(dn_tokenizer_bos_eos(tok.get(), &bos, &eos));
    EXPECT_EQ(bos, 0);
    EXPECT_EQ(eos, 0);
    int special = -1;
    ASSERT_DN_OK(dn_tokenizer_is_special(tok.get(), 0, &special));
    EXPECT_EQ(special, 1);
    ASSERT_DN_OK(dn_tokenizer_is_special(tok.get(), 259, &special));
    EXPECT_EQ(special, 0);
    const char *text = nullptr;
    ASSERT_DN_OK(dn_tokenizer_token_text(tok.get(), 0, &text));
    EXPECT_STREQ(text, "<|endoftext|>");
    int32_t id = -2;
    ASSERT_DN_OK(dn_tokenizer_token_id(tok.get(), "<|endoftext|>", &id));
    EXPECT_EQ(id, 0);
    ASSERT_DN_OK(dn_tokenizer_token_id(tok.get(), "no such token", &id));
    EXPECT_EQ(id, -1);

    // Special tokens in the text are plain text unless asked for; skipped on decode when asked.
    const std::string with_eos = "Amen.<|endoftext|>";
    const std::vector<int32_t> plain = encode(tok.get(), with_eos);
    const std::vector<int32_t> parsed = encode(tok.get(), with_eos, DN_ENCODE_PARSE_SPECIAL);
    EXPECT_EQ(std::count(plain.begin(), plain.end(), 0), 0);
    ASSERT_FALSE(parsed.empty());
    EXPECT_EQ(parsed.back(), 0);
    EXPECT_EQ(decode(tok.get(), parsed), with_eos);
    EXPECT_EQ(decode(tok.get(), parsed, DN_DECODE_SKIP_SPECIAL), "Amen.");
}

TEST(KjvTokenizer, TortureTextRoundTrips) {
    const TokenizerPtr tok = load_tokenizer(kjv_dir());
    for (const std::string &text : torture_texts()) {
        SCOPED_TRACE(printable(text));
        EXPECT_EQ(decode(tok.get(), encode(tok.get(), text)), text);
    }
}

// Invalid UTF-8 is encoded byte by byte (every byte has a token); decoding gives the sanitized text.
TEST(KjvTokenizer, InvalidUtf8HasADefinedResult) {
    const TokenizerPtr tok = load_tokenizer(kjv_dir());
    for (const auto &[bytes, sanitized] : invalid_utf8_cases()) {
        SCOPED_TRACE(printable(bytes));
        const std::vector<int32_t> ids = encode(tok.get(), bytes);
        EXPECT_FALSE(ids.empty());
        EXPECT_EQ(decode(tok.get(), ids), sanitized);
        EXPECT_EQ(ids, encode(tok.get(), bytes));  // the same every time
    }
}

TEST(KjvTokenizer, StreamingEqualsWholeDecode) {
    const TokenizerPtr tok = load_tokenizer(kjv_dir());
    for (const std::string &text : torture_texts()) {
        SCOPED_TRACE(printable(text));
        expect_streaming_matches(tok.get(), encode(tok.get(), text, DN_ENCODE_PARSE_SPECIAL));
    }
    // Bytes that never form a character: held back, then replaced at the end.
    for (const auto &[bytes, sanitized] : invalid_utf8_cases()) {
        SCOPED_TRACE(printable(bytes));
        expect_streaming_matches(tok.get(), encode(tok.get(), bytes));
    }
}

// Four threads encode at once with one tokenizer (of each kind) and agree with a lone thread.
TEST(Tokenizer, ThreadsShareOneTokenizer) {
    const std::string text = read_bytes(kjv_dir() / "heldout-revelation.txt");
    for (const fs::path &path : {kjv_dir(), mistral_dir()}) {
        SCOPED_TRACE(path.string());
        const TokenizerPtr tok = load_tokenizer(path);
        const std::vector<int32_t> want = encode(tok.get(), text);
        ASSERT_GT(want.size(), 10000u);
        std::vector<std::vector<int32_t>> got(4);
        std::vector<std::thread> threads;
        for (auto &g : got) threads.emplace_back([&] { g = encode(tok.get(), text); });
        for (auto &t : threads) t.join();
        for (const auto &g : got) EXPECT_EQ(g, want);
    }
}

// Mistral-7B's vocabulary and merges, as tokenizer.json (see tests/data/mistral/README.md).
class MistralTokenizer : public ::testing::Test {
protected:
    void SetUp() override { tok_ = load_tokenizer(mistral_dir()); }
    TokenizerPtr tok_;
};

// Ids from mistral-tokenizer-js's own encoder, which adds bos and the leading space as we do with
// DN_ENCODE_ADD_SPECIAL.
TEST_F(MistralTokenizer, MatchesThePackagesEncoder) {
    const json cases = json::parse(read_bytes(mistral_dir() / "expected.json"));
    ASSERT_GT(cases.size(), 250u);
    for (const json &c : cases) {
        const std::string text = c.at("text").get<std::string>();
        const std::vector<int32_t> want = c.at("ids").get<std::vector<int32_t>>();
        SCOPED_TRACE(printable(text));
        EXPECT_EQ(encode(tok_.get(), text, DN_ENCODE_ADD_SPECIAL), want);
        EXPECT_EQ(decode(tok_.get(), want, DN_DECODE_SKIP_SPECIAL), text);
    }
}

TEST_F(MistralTokenizer, VocabularyAndSpecialTokens) {
    int32_t vocab = 0, bos = -2, eos = -2;
    ASSERT_DN_OK(dn_tokenizer_vocab_size(tok_.get(), &vocab));
    EXPECT_EQ(vocab, 32000);
    ASSERT_DN_OK(dn_tokenizer_bos_eos(tok_.get(), &bos, &eos));
    EXPECT_EQ(bos, 1);
    EXPECT_EQ(eos, 2);
    const char *text = nullptr;
    ASSERT_DN_OK(dn_tokenizer_token_text(tok_.get(), 28705, &text));
    EXPECT_STREQ(text, "\u2581");
    ASSERT_DN_OK(dn_tokenizer_token_text(tok_.get(), 13, &text));
    EXPECT_STREQ(text, "<0x0A>");
    int special = -1;
    ASSERT_DN_OK(dn_tokenizer_is_special(tok_.get(), 2, &special));
    EXPECT_EQ(special, 1);
    ASSERT_DN_OK(dn_tokenizer_is_special(tok_.get(), 13, &special));
    EXPECT_EQ(special, 0);
    // tokenizers' decode keeps the space after "<s>" (Strip removes only the text's first space).
    EXPECT_EQ(decode(tok_.get(), {1, 22557, 1526, 28808}), "<s> Hello world!");
    EXPECT_EQ(decode(tok_.get(), {1, 22557, 1526, 28808}, DN_DECODE_SKIP_SPECIAL), "Hello world!");
    // Without parse_special "</s>" is text; with it, the token (and the text after it gets its own "▁").
    EXPECT_EQ(encode(tok_.get(), "a</s>b", DN_ENCODE_PARSE_SPECIAL), (std::vector<int32_t>{264, 2, 287}));
    const std::vector<int32_t> plain = encode(tok_.get(), "a</s>b");
    EXPECT_EQ(std::count(plain.begin(), plain.end(), 2), 0);
}

TEST_F(MistralTokenizer, TortureTextRoundTripsAndStreams) {
    for (const std::string &text : torture_texts()) {
        SCOPED_TRACE(printable(text));
        const std::vector<int32_t> ids = encode(tok_.get(), text);
        EXPECT_EQ(printable(decode(tok_.get(), ids)), printable(text));
        expect_streaming_matches(tok_.get(), ids);
        expect_streaming_matches(tok_.get(), encode(tok_.get(), text, DN_ENCODE_ADD_SPECIAL), DN_DECODE_SKIP_SPECIAL);
    }
}

// Each invalid byte falls back to its <0xNN> token; decoding gives the sanitized text.
TEST_F(MistralTokenizer, InvalidUtf8FallsBackToByteTokens) {
    const int32_t ff = 0xFF + 3;  // <0xFF>: the byte tokens start at id 3
    EXPECT_EQ(encode(tok_.get(), "\xFF"), (std::vector<int32_t>{28705, ff}));
    for (const auto &[bytes, sanitized] : invalid_utf8_cases()) {
        SCOPED_TRACE(printable(bytes));
        const std::vector<int32_t> ids = encode(tok_.get(), bytes);
        EXPECT_EQ(printable(decode(tok_.get(), ids)), printable(sanitized));
        expect_streaming_matches(tok_.get(), ids);
    }
}

// Features on a small hand-written SentencePiece-style tokenizer.json: metaspace, merges by rank,
// byte fallback, a bos template, added tokens that strip the spaces around them.
class TinyTokenizer : public ::testing::Test {
protected:
    void SetUp() override {
        write_bytes(dir_ / "tokenizer.json", R"({
          "model": {"type": "BPE", "byte_fallback": true, "unk_token": "<unk>", "fuse_unk": true,
            "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0x0A>": 3, "<0xC3>": 4, "<0xA9>": 5,
                      "\u2581": 6, "a": 7, "b": 8, "\u2581a": 9, "ab": 10, "\u2581ab": 11},
            "merges": [["\u2581", "a"], ["a", "b"], ["\u2581a", "b"]]},
          "added_tokens": [{"id": 1, "content": "<s>", "special": true},
                           {"id": 2, "content": "</s>", "special": true},
                           {"id": 12, "content": "[X]", "special": false, "lstrip": true, "rstrip": true}],
          "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": false},
          "post_processor": {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
          "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
        })");
        tok_ = load_tokenizer(dir_ / "tokenizer.json");
    }
    TempDir dir_;
    TokenizerPtr tok_;
};

TEST_F(TinyTokenizer, MergesByteFallbackAndTemplate) {
    EXPECT_EQ(encode(tok_.get(), "ab"), (std::vector<int32_t>{11}));                  // "▁ab"
    EXPECT_EQ(encode(tok_.get(), "ab ab"), (std::vector<int32_t>{11, 11}));
    EXPECT_EQ(encode(tok_.get(), "ab", DN_ENCODE_ADD_SPECIAL), (std::vector<int32_t>{1, 11}));
    EXPECT_EQ(encode(tok_.get(), "a\n\xC3\xA9"), (std::vector<int32_t>{9, 3, 4, 5}));  // bytes of "\n" and "é"
    EXPECT_EQ(encode(tok_.get(), "zz"), (std::vector<int32_t>{6, 0}));                 // unknown, fused
    // Strip removes a leading space of the whole text only, as tokenizers does ("<s> ab", not "<s>ab").
    EXPECT_EQ(decode(tok_.get(), {1, 11, 11, 3, 4, 5}), "<s> ab ab\n\xC3\xA9");
    EXPECT_EQ(decode(tok_.get(), {1, 11, 11}, DN_DECODE_SKIP_SPECIAL), "ab ab");
    expect_streaming_matches(tok_.get(), {11, 4, 5, 3, 11}, DN_DECODE_SKIP_SPECIAL);
    int32_t bos = -2, eos = -2;
    ASSERT_DN_OK(dn_tokenizer_bos_eos(tok_.get(), &bos, &eos));
    EXPECT_EQ(bos, 1);  // from the template: there is no tokenizer_config.json
    EXPECT_EQ(eos, -1);
}

TEST_F(TinyTokenizer, AddedTokensSplitTheTextAndStripSpaces) {
    // "[X]" absorbs the spaces around it; the text after it is not the first segment (no "▁" prepended).
    EXPECT_EQ(encode(tok_.get(), "ab  [X]  ab"), (std::vector<int32_t>{11, 12, 10}));
    // Special tokens only when asked.
    EXPECT_EQ(encode(tok_.get(), "</s>", DN_ENCODE_PARSE_SPECIAL), (std::vector<int32_t>{2}));
    EXPECT_NE(encode(tok_.get(), "</s>"), (std::vector<int32_t>{2}));
}

// A BPE tokenizer.json over single characters with the given merges, pre-tokenizer and decoder.
TokenizerPtr char_tokenizer(const TempDir &dir, const std::vector<std::string> &tokens, const json &merges,
                            const json &pre_tokenizer, const json &decoder = nullptr) {
    json vocab = json::object();
    for (const std::string &t : tokens) vocab[t] = vocab.size();
    const json file = {{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}}},
                       {"pre_tokenizer", pre_tokenizer}, {"decoder", decoder}};
    write_bytes(dir / "tokenizer.json", file.dump());
    return load_tokenizer(dir / "tokenizer.json");
}

// Split's behaviours decide which pieces BPE sees: here "a-", "-b" and "--" merge only when a piece
// holds them, so the ids show the pieces.
TEST(SplitPreTokenizer, BehavioursCutAndGlueAsTokenizersDoes) {
    const std::vector<std::string> tokens = {"a", "b", "c", "-", "a-", "-b", "--"};
    const json merges = json::array({json::array({"a", "-"}), json::array({"-", "b"}), json::array({"-", "-"})});
    const std::vector<std::pair<std::string, std::vector<int32_t>>> cases = {
        {"Isolated", {0, 3, 1, 3, 3, 2}},            // a - b - - c
        {"Removed", {0, 1, 2}},                      // a b c
        {"MergedWithPrevious", {4, 1, 3, 3, 2}},     // a- b- - c
        {"MergedWithNext", {0, 5, 3, 3, 2}},         // a -b - -c
        {"Contiguous", {0, 3, 1, 6, 2}},             // a - b -- c
    };
    for (const auto &[behavior, want] : cases) {
        SCOPED_TRACE(behavior);
        TempDir dir;
        const json split = {{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", behavior}, {"invert", false}};
        const TokenizerPtr tok = char_tokenizer(dir, tokens, merges, split);
        EXPECT_EQ(encode(tok.get(), "a-b--c"), want);
    }
}

// Llama 3's pre-tokenizer: a Split regex (numbers in groups of three, case-insensitive contractions)
// and ByteLevel without its own regex. The merge ranks make "12345" unsplit give 12 34 5.
TEST(SplitPreTokenizer, Llama3RegexWithByteLevel) {
    const std::vector<std::string> tokens = {"1", "2", "3", "4", "5", "12", "34", "45", "123", "'", "S", "'S", "x",
                                             "\u0120", "\u0120x"};
    const json merges = json::array({"3 4", "1 2", "4 5", "12 3", "' S", "\u0120 x"});  // the older "a b" form
    const json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}};
    const json llama3 = {{"type", "Sequence"}, {"pretokenizers", json::array({
        {{"type", "Split"}, {"behavior", "Isolated"}, {"invert", false}, {"pattern", {{"Regex",
            R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"}}}},
        byte_level})}};
    TempDir split_dir, plain_dir;
    const TokenizerPtr split = char_tokenizer(split_dir, tokens, merges, llama3, {{"type", "ByteLevel"}});
    const TokenizerPtr plain = char_tokenizer(plain_dir, tokens, merges, byte_level, {{"type", "ByteLevel"}});
    EXPECT_EQ(encode(plain.get(), "12345"), (std::vector<int32_t>{5, 6, 4}));
    EXPECT_EQ(encode(split.get(), "12345"), (std::vector<int32_t>{8, 7}));    // 123 45
    EXPECT_EQ(encode(split.get(), "x'S x"), (std::vector<int32_t>{12, 11, 14}));  // x 'S Ġx
    EXPECT_EQ(decode(split.get(), {8, 7, 11, 14}), "12345'S x");
}

// Unicode normalizers (Qwen's byte-level BPE starts with NFC): composed and decomposed forms of
// "é" and the compatibility form of "ﬁ" reach the model as the normal form says; invalid bytes
// pass through untouched.
TEST(UnicodeNormalizer, FormsReachTheModel) {
    auto tokenizer_with = [](TempDir &dir, const std::string &form) {
        write_bytes(dir / "tokenizer.json", R"({"normalizer": {"type": ")" + form + R"("},
          "model": {"type": "BPE", "byte_fallback": true, "merges": [],
            "vocab": {"\u00e9": 0, "e": 1, "\u0301": 2, "f": 3, "i": 4, "\ufb01": 5, "<0xFF>": 6}}})");
        return load_tokenizer(dir / "tokenizer.json");
    };
    const std::string composed = "\xC3\xA9", decomposed = "e\xCC\x81", ligature = "\xEF\xAC\x81";
    TempDir nfc_dir, nfd_dir, nfkc_dir;
    const TokenizerPtr nfc = tokenizer_with(nfc_dir, "NFC"), nfd = tokenizer_with(nfd_dir, "NFD"),
                       nfkc = tokenizer_with(nfkc_dir, "NFKC");
    EXPECT_EQ(encode(nfc.get(), decomposed), (std::vector<int32_t>{0}));
    EXPECT_EQ(encode(nfd.get(), composed), (std::vector<int32_t>{1, 2}));
    EXPECT_EQ(encode(nfc.get(), ligature), (std::vector<int32_t>{5}));     // NFC keeps the ligature
    EXPECT_EQ(encode(nfkc.get(), ligature), (std::vector<int32_t>{3, 4}));  // NFKC splits it
    EXPECT_EQ(encode(nfc.get(), decomposed + "\xFF" + decomposed), (std::vector<int32_t>{0, 6, 0}));
}

TEST(TokenizerErrors, BadCalls) {
    const TokenizerPtr tok = load_tokenizer(kjv_dir());
    int32_t ids[4];
    size_t count = 99;
    EXPECT_DN_ERROR(dn_tokenizer_load(nullptr, nullptr), DN_ERR_NULL_ARGUMENT);
    EXPECT_DN_ERROR(dn_tokenizer_encode(nullptr, "a", 1, 0, ids, 4, &count), DN_ERR_NULL_ARGUMENT, "tokenizer");
    EXPECT_DN_ERROR(dn_tokenizer_encode(tok.get(), nullptr, 1, 0, ids, 4, &count), DN_ERR_NULL_ARGUMENT, "text");
    EXPECT_DN_ERROR(dn_tokenizer_encode(tok.get(), "a", 1, 0, ids, 4, nullptr), DN_ERR_NULL_ARGUMENT, "out_count");
    EXPECT_DN_ERROR(dn_tokenizer_encode(tok.get(), "a", 1, 1u << 9, ids, 4, &count), DN_ERR_INVALID_ARGUMENT, "flags");
    // Too small: the needed count is reported, nothing else changes.
    const std::string text = "In the beginning God created the heaven and the earth.";
    ids[0] = -7;
    EXPECT_DN_ERROR(dn_tokenizer_encode(tok.get(), text.data(), text.size(), 0, ids, 2, &count), DN_ERR_BUFFER_TOO_SMALL);
    EXPECT_EQ(count, encode(tok.get(), text).size());
    EXPECT_EQ(ids[0], -7);
    // Empty text: zero ids, fine with no buffer.
    EXPECT_DN_OK(dn_tokenizer_encode(tok.get(), "", 0, 0, nullptr, 0, &count));
    EXPECT_EQ(count, 0u);

    const int32_t bad_ids[] = {259, 4096};
    char out[64];
    size_t len = 0;
    EXPECT_DN_ERROR(dn_tokenizer_decode(tok.get(), bad_ids, 2, 0, out, sizeof out, &len), DN_ERR_TOKEN_OUT_OF_RANGE,
                    "4096");
    const int32_t negative = -1;
    EXPECT_DN_ERROR(dn_tokenizer_decode(tok.get(), &negative, 1, 0, out, sizeof out, &len), DN_ERR_TOKEN_OUT_OF_RANGE);
    const int32_t good[] = {1136, 259, 2101};
    EXPECT_DN_ERROR(dn_tokenizer_decode(tok.get(), good, 3, 0, out, 3, &len), DN_ERR_BUFFER_TOO_SMALL);
    EXPECT_EQ(len, std::string("In the beginning").size());
    EXPECT_DN_ERROR(dn_tokenizer_decode(tok.get(), good, 3, 4, out, sizeof out, &len), DN_ERR_INVALID_ARGUMENT, "flags");
    const char *piece = nullptr;
    EXPECT_DN_ERROR(dn_tokenizer_token_text(tok.get(), 5000, &piece), DN_ERR_TOKEN_OUT_OF_RANGE);
    int special = 0;
    EXPECT_DN_ERROR(dn_tokenizer_is_special(tok.get(), -3, &special), DN_ERR_TOKEN_OUT_OF_RANGE);

    dn_detokenizer *detok = nullptr;
    ASSERT_DN_OK(dn_detokenizer_create(tok.get(), 0, &detok));
    EXPECT_DN_ERROR(dn_detokenizer_push(detok, 99999, &piece, &len), DN_ERR_TOKEN_OUT_OF_RANGE);
    EXPECT_DN_ERROR(dn_detokenizer_push(nullptr, 1, &piece, &len), DN_ERR_NULL_ARGUMENT);
    EXPECT_DN_ERROR(dn_detokenizer_create(tok.get(), 8, &detok), DN_ERR_INVALID_ARGUMENT, "flags");
    EXPECT_DN_OK(dn_detokenizer_free(detok));
    EXPECT_DN_OK(dn_detokenizer_free(nullptr));
    EXPECT_DN_OK(dn_tokenizer_free(nullptr));
}

TEST(TokenizerErrors, BadFiles) {
    TempDir dir;
    dn_tokenizer *tok = nullptr;
    EXPECT_DN_ERROR(dn_tokenizer_load((dir / "missing").c_str(), &tok), DN_ERR_IO);
    EXPECT_DN_ERROR(dn_tokenizer_load(dir.path().c_str(), &tok), DN_ERR_IO, "tokenizer.json");

    auto load_json = [&](const std::string &text) {
        write_bytes(dir / "tokenizer.json", text);
        return dn_tokenizer_load((dir / "tokenizer.json").c_str(), &tok);
    };
    EXPECT_DN_ERROR(load_json("{\"model\": {\"type\": \"BPE\", "), DN_ERR_MALFORMED_FILE, "JSON");
    EXPECT_DN_ERROR(load_json("[1, 2]"), DN_ERR_MALFORMED_FILE, "model");
    EXPECT_DN_ERROR(load_json(R"({"model": {"type": "Unigram", "vocab": [["a", 0.0]]}})"), DN_ERR_UNSUPPORTED, "Unigram");
    EXPECT_DN_ERROR(load_json(R"({"model": {"type": "WordPiece", "vocab": {"a": 0}}})"), DN_ERR_UNSUPPORTED, "WordPiece");
    EXPECT_DN_ERROR(load_json(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
                                 "pre_tokenizer": {"type": "BertPreTokenizer"}})"),
                    DN_ERR_UNSUPPORTED, "BertPreTokenizer");
    EXPECT_DN_ERROR(load_json(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
                                 "normalizer": {"type": "BertNormalizer"}})"),
                    DN_ERR_UNSUPPORTED, "BertNormalizer");
    EXPECT_DN_ERROR(load_json(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
                                 "decoder": {"type": "WordPiece"}})"),
                    DN_ERR_UNSUPPORTED, "WordPiece");
    EXPECT_DN_ERROR(load_json(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", "b"]]}})"),
                    DN_ERR_MALFORMED_FILE, "merge");
    EXPECT_DN_ERROR(load_json(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "dropout": 0.1}})"),
                    DN_ERR_UNSUPPORTED, "dropout");
    EXPECT_DN_ERROR(load_json(R"({"model": {"type": "BPE", "vocab": {"a": "x"}, "merges": []}})"),
                    DN_ERR_MALFORMED_FILE, "id");
    EXPECT_DN_ERROR(load_json(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
                                 "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated"}})"),
                    DN_ERR_UNSUPPORTED, "pattern");
    EXPECT_EQ(tok, nullptr);  // never set on failure
}

}  // namespace
