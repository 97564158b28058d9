// A Hugging Face tokenizer.json with a BPE model: added tokens, normalizer, pre-tokenizer, BPE,
// post-processor template on the way in; the decoder chain on the way out.
#include "text/tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>

#include "core/error.h"
#include "core/json_release.h"
#include "core/mapped_file.h"
#include "text/bpe.h"
#include "text/byte_level.h"
#include "text/pre_tokenizer.h"
#include "text/unicode_normalize.h"

namespace dn::text {

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

void replace_all(std::string &s, const std::string &from, const std::string &to) {
    if (from.empty()) return;
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

// A Replace's pattern must be a plain string (a regex would need the tokenizers library's regex flavour).
std::string literal_pattern(const json &spec, const char *where) {
    const json &pattern = spec.at("pattern");
    if (!pattern.contains("String"))
        fail(DN_ERR_UNSUPPORTED, "tokenizer.json: ", where, " Replace with a regex pattern is not supported");
    return pattern.at("String").get<std::string>();
}

struct NormalizerOp {
    enum Kind { Prepend, Replace, Unicode } kind;
    std::string a, b;  // Prepend: a; Replace: a -> b
    NormalForm form = NormalForm::NFC;  // Unicode
};

// Nesting deeper than kMaxSequenceDepth is refused: a hostile file must not exhaust the stack.
void check_depth(int depth, const char *what) {
    if (depth > kMaxSequenceDepth)
        fail(DN_ERR_UNSUPPORTED, "tokenizer.json: ", what, " Sequences nest deeper than ", kMaxSequenceDepth);
}

// A small non-negative integer field (a float or a huge value would not convert to int safely).
int small_int(const json &spec, const char *key, const char *where) {
    if (!spec.contains(key)) return 0;
    const json &v = spec.at(key);
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > (1 << 20))
        fail(DN_ERR_MALFORMED_FILE, "tokenizer.json: ", where, " field '", key, "' is not a small non-negative integer");
    return int(v.get<int64_t>());
}

void parse_normalizer(const json &spec, std::vector<NormalizerOp> &ops, int depth = 0) {
    if (spec.is_null()) return;
    check_depth(depth, "normalizer");
    const std::string type = spec.value("type", std::string());
    if (type == "Sequence") {
        for (const json &s : spec.at("normalizers")) parse_normalizer(s, ops, depth + 1);
    } else if (type == "Prepend") {
        ops.push_back({NormalizerOp::Prepend, spec.at("prepend").get<std::string>(), {}});
    } else if (type == "Replace") {
        ops.push_back({NormalizerOp::Replace, literal_pattern(spec, "normalizer"), spec.at("content").get<std::string>()});
    } else if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
        const NormalForm form = type == "NFC" ? NormalForm::NFC : type == "NFD" ? NormalForm::NFD
                                : type == "NFKC" ? NormalForm::NFKC : NormalForm::NFKD;
        ops.push_back({NormalizerOp::Unicode, {}, {}, form});
    } else {
        fail(DN_ERR_UNSUPPORTED, "tokenizer.json: normalizer type '", type, "' is not supported");
    }
}

struct DecoderOp {
    enum Kind { ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace } kind;
    std::string a, b;     // Replace: a -> b; Strip: a is the content; Metaspace: a is the replacement
    int start = 0;        // Strip: leading characters to remove
    bool prepend = true;  // Metaspace: a space was prepended on encoding (drop it from the first token)
};

void parse_decoder(const json &spec, std::vector<DecoderOp> &ops, int depth = 0) {
    if (spec.is_null()) return;
    check_depth(depth, "decoder");
    const std::string type = spec.value("type", std::string());
    if (type == "Sequence") {
        for (const json &s : spec.at("decoders")) parse_decoder(s, ops, depth + 1);
    } else if (type == "ByteLevel") {
        ops.push_back({DecoderOp::ByteLevel, {}, {}});
    } else if (type == "Replace") {
        ops.push_back({DecoderOp::Replace, literal_pattern(spec, "decoder"), spec.at("content").get<std::string>()});
    } else if (type == "ByteFallback") {
        ops.push_back({DecoderOp::ByteFallback, {}, {}});
    } else if (type == "Fuse") {
        ops.push_back({DecoderOp::Fuse, {}, {}});
    } else if (type == "Strip") {
        if (small_int(spec, "stop", "Strip decoder") != 0)
            fail(DN_ERR_UNSUPPORTED, "tokenizer.json: a Strip decoder with stop > 0 is not supported");
        DecoderOp op{DecoderOp::Strip, spec.at("content").get<std::string>(), {}};
        op.start = small_int(spec, "start", "Strip decoder");
        ops.push_back(op);
    } else if (type == "Metaspace") {
        DecoderOp op{DecoderOp::Metaspace, spec.value("replacement", std::string("\u2581")), {}};
        op.prepend = spec.contains("prepend_scheme") ? spec["prepend_scheme"] != "never" : spec.value("add_prefix_space", true);
        ops.push_back(op);
    } else {
        fail(DN_ERR_UNSUPPORTED, "tokenizer.json: decoder type '", type, "' is not supported");
    }
}

struct AddedToken {
    std::string content;
    int32_t id;
    bool special, lstrip, rstrip, single_word;
};

// A member of a JSON object by reference, null where absent. (json::value() returns a copy, and
// copying a hostile file's deeply nested value recurses once per level.)
const json &field(const json &object, const char *key) {
    static const json null_value;
    const auto it = object.find(key);
    return it == object.end() ? null_value : *it;
}

bool is_word_byte(unsigned char c) { return c >= 0x80 || std::isalnum(c) || c == '_'; }
bool is_space_byte(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

class HfTokenizer final : public Tokenizer {
public:
    HfTokenizer(const json &tokenizer, const json *config) : model_(tokenizer.at("model")) {
        parse_normalizer(field(tokenizer, "normalizer"), normalizer_);
        pre_tokenizer_ = make_pre_tokenizer(field(tokenizer, "pre_tokenizer"));
        parse_decoder(field(tokenizer, "decoder"), decoder_);

        for (const auto &[text, id] : model_.vocab()) set_token(id, text);
        for (const json &a : field(tokenizer, "added_tokens")) {
            const json &id = a.at("id");
            if (!id.is_number_integer() || id.get<int64_t>() < 0 || (id.is_number_unsigned() && id.get<uint64_t>() > INT64_MAX))
                fail(DN_ERR_MALFORMED_FILE, "tokenizer.json: added token '", a.at("content").get<std::string>(),
                     "' has an invalid id");
            if (id.get<int64_t>() > kMaxTokenId)
                fail(DN_ERR_UNSUPPORTED, "tokenizer.json: added token id ", id.get<int64_t>(),
                     " is above the largest supported id ", kMaxTokenId);
            AddedToken t{a.at("content").get<std::string>(), id.get<int32_t>(), a.value("special", false),
                         a.value("lstrip", false), a.value("rstrip", false), a.value("single_word", false)};
            if (t.content.empty()) fail(DN_ERR_MALFORMED_FILE, "tokenizer.json: an added token is empty");
            set_token(t.id, t.content);
            added_by_text_[t.content] = t.id;
            if (t.special) special_.insert(std::upper_bound(special_.begin(), special_.end(), t.id), t.id);
            added_.push_back(std::move(t));
        }
        // Longest first, so that "<|im_start|>" wins over "<|im".
        std::sort(added_.begin(), added_.end(), [](const AddedToken &x, const AddedToken &y) {
            return x.content.size() > y.content.size();
        });
        for (size_t i = 0; i < added_.size(); ++i)
            added_by_first_byte_[static_cast<unsigned char>(added_[i].content[0])].push_back(i);

        parse_post_processor(field(tokenizer, "post_processor"));
        bos_ = config ? config_token(*config, "bos_token") : -1;
        eos_ = config ? config_token(*config, "eos_token") : -1;
        if (bos_ < 0 && !prefix_.empty()) bos_ = prefix_.front();
    }

    std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const override {
        std::vector<int32_t> ids;
        if (add_special) ids = prefix_;
        size_t segment_start = 0;
        bool first_segment = true;
        auto flush_segment = [&](size_t end) {
            if (end > segment_start) encode_segment(text.substr(segment_start, end - segment_start), first_segment, ids);
            first_segment = false;
        };
        for (size_t i = 0; i < text.size();) {
            const AddedToken *t = match_added(text, i, parse_special);
            if (!t) {
                ++i;
                continue;
            }
            size_t left_end = i;
            if (t->lstrip)
                while (left_end > segment_start && is_space_byte(static_cast<unsigned char>(text[left_end - 1]))) --left_end;
            flush_segment(left_end);
            ids.push_back(t->id);
            i += t->content.size();
            if (t->rstrip)
                while (i < text.size() && is_space_byte(static_cast<unsigned char>(text[i]))) ++i;
            segment_start = i;
        }
        if (segment_start < text.size()) flush_segment(text.size());
        if (add_special) ids.insert(ids.end(), suffix_.begin(), suffix_.end());
        return ids;
    }

    std::string decode(std::span<const int32_t> ids, bool skip_special) const override {
        std::string bytes;
        bool first = true;
        for (int32_t id : ids) {
            append_token_bytes(id, first, skip_special, bytes);
            if (!(skip_special && is_special(id))) first = false;
        }
        return sanitize_utf8(bytes);
    }

    void append_token_bytes(int32_t id, bool first, bool skip_special, std::string &out) const override {
        const std::string *text = token_text(id);
        if (!text) fail(DN_ERR_TOKEN_OUT_OF_RANGE, "token id ", id, " is not in the tokenizer's vocabulary [0, ", vocab_size(), ")");
        if (skip_special && is_special(id)) return;
        std::string t = *text;
        if (decoder_.empty()) {  // tokenizers joins tokens with spaces when there is no decoder
            if (!first) out += ' ';
            out += t;
            return;
        }
        bool fused = false;
        for (const DecoderOp &op : decoder_) {
            switch (op.kind) {
                case DecoderOp::ByteLevel: {
                    std::string bytes;
                    if (from_byte_level(t, bytes)) t.swap(bytes);  // else (an added token, say) as written
                    break;
                }
                case DecoderOp::Replace: replace_all(t, op.a, op.b); break;
                case DecoderOp::ByteFallback:
                    if (const int b = model_.fallback_byte(id); b >= 0) t.assign(1, char(b));
                    break;
                case DecoderOp::Fuse: fused = true; break;
                case DecoderOp::Strip:
                    // After Fuse the whole text is one string, so only its beginning is stripped.
                    if (!fused || first)
                        for (int n = 0; n < op.start && t.compare(0, op.a.size(), op.a) == 0; ++n) t.erase(0, op.a.size());
                    break;
                case DecoderOp::Metaspace:
                    replace_all(t, op.a, " ");
                    if (first && op.prepend && !t.empty() && t[0] == ' ') t.erase(0, 1);
                    break;
            }
        }
        out += t;
    }

    int32_t vocab_size() const override { return int32_t(tokens_.size()); }

    const std::string *token_text(int32_t id) const override {
        return id >= 0 && size_t(id) < tokens_.size() && has_token_[size_t(id)] ? &tokens_[size_t(id)] : nullptr;
    }

    int32_t token_id(std::string_view text) const override {
        if (const auto it = added_by_text_.find(text); it != added_by_text_.end()) return it->second;
        if (const auto it = model_.vocab().find(text); it != model_.vocab().end()) return it->second;
        return -1;
    }

    bool is_special(int32_t id) const override { return std::binary_search(special_.begin(), special_.end(), id); }
    int32_t bos_id() const override { return bos_; }
    int32_t eos_id() const override { return eos_; }

private:
    void set_token(int32_t id, const std::string &text) {
        if (size_t(id) >= tokens_.size()) {
            tokens_.resize(size_t(id) + 1);
            has_token_.resize(size_t(id) + 1, false);
        }
        tokens_[size_t(id)] = text;
        has_token_[size_t(id)] = true;
    }

    const AddedToken *match_added(std::string_view text, size_t at, bool parse_special) const {
        for (size_t index : added_by_first_byte_[static_cast<unsigned char>(text[at])]) {
            const AddedToken &t = added_[index];
            if (t.special && !parse_special) continue;
            if (text.compare(at, t.content.size(), t.content) != 0) continue;
            if (t.single_word) {
                const size_t end = at + t.content.size();
                if ((at > 0 && is_word_byte(static_cast<unsigned char>(text[at - 1]))) ||
                    (end < text.size() && is_word_byte(static_cast<unsigned char>(text[end]))))
                    continue;
            }
            return &t;
        }
        return nullptr;
    }

    void encode_segment(std::string_view segment, bool first_segment, std::vector<int32_t> &ids) const {
        std::string s(segment);
        for (const NormalizerOp &op : normalizer_) {
            switch (op.kind) {
                case NormalizerOp::Prepend:
                    if (!s.empty()) s.insert(0, op.a);
                    break;
                case NormalizerOp::Replace: replace_all(s, op.a, op.b); break;
                case NormalizerOp::Unicode: s = normalize_unicode(s, op.form); break;
            }
        }
        std::vector<std::string> pieces{std::move(s)};
        if (pre_tokenizer_) pre_tokenizer_->apply(pieces, first_segment);
        for (const std::string &piece : pieces) model_.encode(piece, ids);
    }

    // TemplateProcessing's "single" template: special tokens around the sequence "A".
    void parse_post_processor(const json &spec, int depth = 0) {
        if (spec.is_null()) return;
        check_depth(depth, "post_processor");
        const std::string type = spec.value("type", std::string());
        if (type == "Sequence") {
            for (const json &s : spec.at("processors")) parse_post_processor(s, depth + 1);
        } else if (type == "TemplateProcessing") {
            bool after = false;
            for (const json &item : spec.at("single")) {
                if (item.contains("Sequence")) {
                    after = true;
                } else {
                    const std::string name = item.at("SpecialToken").at("id");
                    const json &ids = spec.at("special_tokens").at(name).at("ids");
                    for (const json &id : ids) {
                        // Ids the template adds must be tokens: encode() emits them as they are.
                        if (!id.is_number_integer() || !token_text(int32_t(std::clamp<int64_t>(id.get<int64_t>(), -1, INT32_MAX))))
                            fail(DN_ERR_MALFORMED_FILE, "tokenizer.json: post_processor special token '", name, "' has id ",
                                 id.dump(), ", which is not in the vocabulary");
                        (after ? suffix_ : prefix_).push_back(id.get<int32_t>());
                    }
                }
            }
        } else if (type != "ByteLevel") {  // ByteLevel only adjusts offsets, which we do not report
            fail(DN_ERR_UNSUPPORTED, "tokenizer.json: post_processor type '", type, "' is not supported");
        }
    }

    // tokenizer_config.json names bos/eos as a string or as {"content": ...}.
    int32_t config_token(const json &config, const char *key) const {
        if (!config.contains(key)) return -1;
        const json &v = config[key];
        const json &content = v.is_object() ? field(v, "content") : v;
        return content.is_string() ? token_id(content.get<std::string>()) : -1;
    }

    BpeModel model_;
    std::vector<NormalizerOp> normalizer_;
    std::unique_ptr<PreTokenizer> pre_tokenizer_;
    std::vector<DecoderOp> decoder_;
    std::vector<AddedToken> added_;
    std::array<std::vector<size_t>, 256> added_by_first_byte_;
    StringIds added_by_text_;
    std::vector<int32_t> special_;  // sorted
    std::vector<std::string> tokens_;
    std::vector<bool> has_token_;
    std::vector<int32_t> prefix_, suffix_;
    int32_t bos_ = -1, eos_ = -1;
};

json parse_json_text(std::string_view text, const std::string &source) {
    json parsed = parse_json_bounded(text.data(), text.data() + text.size(), source);
    if (parsed.is_discarded()) fail(DN_ERR_MALFORMED_FILE, source, " is not valid JSON");
    return parsed;
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::load(const std::string &path) {
    std::error_code ec;
    const bool is_dir = fs::is_directory(path, ec);
    const fs::path file = is_dir ? fs::path(path) / "tokenizer.json" : fs::path(path);
    const fs::path config_file = file.parent_path() / "tokenizer_config.json";
    const std::string text = read_text_file(file.string());
    const std::string config = fs::is_regular_file(config_file, ec) ? read_text_file(config_file.string()) : "";
    return from_json(text, config, file.string());
}

std::unique_ptr<Tokenizer> Tokenizer::from_json(std::string_view tokenizer_json, std::string_view config_json,
                                                const std::string &source) {
    json tokenizer = parse_json_text(tokenizer_json, source);
    const JsonRelease release_tokenizer(tokenizer);
    json config;
    const JsonRelease release_config(config);
    if (!config_json.empty())
        config = parse_json_text(config_json, (fs::path(source).parent_path() / "tokenizer_config.json").string());
    // A field of the wrong JSON type anywhere below is a malformed file, not a library error.
    try {
        if (!tokenizer.is_object() || !tokenizer.contains("model") || !tokenizer["model"].is_object())
            fail(DN_ERR_MALFORMED_FILE, source, ": no \"model\" object (not a tokenizers file?)");
        const std::string type = tokenizer["model"].value("type", std::string("BPE"));
        if (type != "BPE") fail(DN_ERR_UNSUPPORTED, source, ": model type '", type, "' is not supported (only BPE)");
        return std::make_unique<HfTokenizer>(tokenizer, config.is_object() ? &config : nullptr);
    } catch (const json::exception &e) {
        fail(DN_ERR_MALFORMED_FILE, source, ": ", e.what());
    }
}

}  // namespace dn::text
