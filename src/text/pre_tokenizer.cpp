#include "text/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "core/error.h"
#include "text/byte_level.h"
#include "text/utf8.h"

namespace dn::text {

namespace {

using json = nlohmann::json;

// GPT-2's split pattern, which the ByteLevel pre-tokenizer applies when use_regex is set.
constexpr const char *kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// A compiled pattern: UTF-8 with Unicode properties (\s, \p{L} as the tokenizers library means them).
// Invalid UTF-8 in the subject is allowed: it never matches and ends up in the gaps between matches.
// The compiled code is read-only, so one Regex serves many threads; match data is per call.
class Regex {
public:
    Regex(const std::string &pattern, bool literal) {
        int error = 0;
        PCRE2_SIZE offset = 0;
        const uint32_t options = literal ? PCRE2_LITERAL : (PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF);
        code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &error, &offset,
                              nullptr);
        if (!code_) {
            PCRE2_UCHAR message[256];
            pcre2_get_error_message(error, message, sizeof message);
            fail(DN_ERR_UNSUPPORTED, "tokenizer.json: split pattern '", pattern, "' does not compile at offset ", offset,
                 ": ", reinterpret_cast<const char *>(message));
        }
        pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);  // where JIT is unavailable the interpreter runs
    }
    ~Regex() { pcre2_code_free(code_); }
    Regex(const Regex &) = delete;
    Regex &operator=(const Regex &) = delete;

    // The [begin, end) ranges of the non-overlapping matches in `text`, left to right.
    std::vector<std::pair<size_t, size_t>> matches(std::string_view text) const {
        std::vector<std::pair<size_t, size_t>> found;
        pcre2_match_data *data = pcre2_match_data_create_from_pattern(code_, nullptr);
        if (!data) throw std::bad_alloc();
        const auto *subject = reinterpret_cast<PCRE2_SPTR>(text.data());
        size_t start = 0;
        while (start <= text.size()) {
            const int rc = pcre2_match(code_, subject, text.size(), start, 0, data, nullptr);
            if (rc < 0) break;  // no match (or a match-limit error: the rest stays one gap)
            const PCRE2_SIZE *v = pcre2_get_ovector_pointer(data);
            if (v[1] == v[0]) {  // empty match: never emitted; go on after the character there
                if (v[1] == text.size()) break;
                start = v[1] + std::max<size_t>(1, utf8_sequence_length(text.substr(v[1])));
                continue;
            }
            found.emplace_back(v[0], v[1]);
            start = v[1];
        }
        pcre2_match_data_free(data);
        return found;
    }

private:
    pcre2_code *code_ = nullptr;
};

enum class Behavior { Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous };

Behavior parse_behavior(const std::string &name) {
    if (name == "Isolated") return Behavior::Isolated;
    if (name == "Removed") return Behavior::Removed;
    if (name == "MergedWithPrevious") return Behavior::MergedWithPrevious;
    if (name == "MergedWithNext") return Behavior::MergedWithNext;
    if (name == "Contiguous") return Behavior::Contiguous;
    fail(DN_ERR_UNSUPPORTED, "tokenizer.json: split behavior '", name, "' is not supported");
}

// Splits one piece around the regex's matches as `behavior` says: the piece is first cut into
// matches and the gaps between them, which are then kept, dropped or glued as tokenizers does.
void split_piece(const Regex &regex, Behavior behavior, const std::string &piece, std::vector<std::string> &out) {
    struct Segment {
        std::string text;
        bool match;
    };
    std::vector<Segment> segments;
    size_t last = 0;
    for (const auto &[begin, end] : regex.matches(piece)) {
        if (begin > last) segments.push_back({piece.substr(last, begin - last), false});
        segments.push_back({piece.substr(begin, end - begin), true});
        last = end;
    }
    if (last < piece.size()) segments.push_back({piece.substr(last), false});

    // A delimiter glues onto the neighbouring gap only, never onto another delimiter. (Gluing needs
    // i > 0, so this piece has already put something in `out`.)
    for (size_t i = 0; i < segments.size(); ++i) {
        Segment &s = segments[i];
        const bool after_match = i > 0 && segments[i - 1].match;
        const bool after_gap = i > 0 && !segments[i - 1].match;
        bool glue = false;
        switch (behavior) {
            case Behavior::Isolated: break;
            case Behavior::Removed:
                if (s.match) continue;
                break;
            case Behavior::MergedWithPrevious: glue = s.match && after_gap; break;
            case Behavior::MergedWithNext: glue = !s.match && after_match; break;
            case Behavior::Contiguous: glue = s.match && after_match; break;
        }
        if (glue) out.back() += s.text;
        else out.push_back(std::move(s.text));
    }
}

class SplitStep : public PreTokenizer {
public:
    SplitStep(const json &spec) {
        const json &pattern = spec.at("pattern");
        const bool literal = pattern.contains("String");
        regex_ = std::make_unique<Regex>(literal ? pattern.at("String").get<std::string>()
                                                 : pattern.at("Regex").get<std::string>(),
                                         literal);
        behavior_ = parse_behavior(spec.value("behavior", std::string("Isolated")));
        if (spec.value("invert", false)) fail(DN_ERR_UNSUPPORTED, "tokenizer.json: Split with invert is not supported");
    }
    void apply(std::vector<std::string> &pieces, bool) const override {
        std::vector<std::string> out;
        for (const std::string &p : pieces) split_piece(*regex_, behavior_, p, out);
        pieces.swap(out);
    }

private:
    std::unique_ptr<Regex> regex_;
    Behavior behavior_ = Behavior::Isolated;
};

class ByteLevelStep : public PreTokenizer {
public:
    explicit ByteLevelStep(const json &spec)
        : add_prefix_space_(spec.value("add_prefix_space", false)), use_regex_(spec.value("use_regex", true)) {
        if (use_regex_) regex_ = std::make_unique<Regex>(kGpt2Pattern, false);
    }
    void apply(std::vector<std::string> &pieces, bool) const override {
        std::vector<std::string> out;
        for (std::string p : pieces) {
            if (add_prefix_space_ && !p.empty() && p[0] != ' ') p.insert(p.begin(), ' ');
            if (use_regex_) split_piece(*regex_, Behavior::Isolated, p, out);
            else out.push_back(std::move(p));
        }
        for (std::string &p : out) p = to_byte_level(p);
        pieces.swap(out);
    }

private:
    bool add_prefix_space_, use_regex_;
    std::unique_ptr<Regex> regex_;
};

// Spaces become the replacement character ("▁"), which is also put in front of the text.
class MetaspaceStep : public PreTokenizer {
public:
    explicit MetaspaceStep(const json &spec) : replacement_(spec.value("replacement", std::string("\u2581"))) {
        if (spec.contains("prepend_scheme")) scheme_ = spec["prepend_scheme"].get<std::string>();
        else scheme_ = spec.value("add_prefix_space", true) ? "always" : "never";
        if (scheme_ != "always" && scheme_ != "first" && scheme_ != "never")
            fail(DN_ERR_UNSUPPORTED, "tokenizer.json: Metaspace prepend_scheme '", scheme_, "' is not supported");
        split_ = spec.value("split", true);
    }
    void apply(std::vector<std::string> &pieces, bool first_segment) const override {
        std::vector<std::string> out;
        for (size_t i = 0; i < pieces.size(); ++i) {
            std::string s;
            for (char c : pieces[i]) c == ' ' ? s += replacement_ : s += c;
            const bool prepend = scheme_ == "always" || (scheme_ == "first" && first_segment && i == 0);
            if (prepend && s.compare(0, replacement_.size(), replacement_) != 0) s.insert(0, replacement_);
            if (!split_) {
                out.push_back(std::move(s));
                continue;
            }
            // Each piece starts at a replacement character (MergedWithNext).
            size_t start = 0;
            for (size_t at = s.find(replacement_, 1); at != std::string::npos; at = s.find(replacement_, at + 1)) {
                out.push_back(s.substr(start, at - start));
                start = at;
            }
            out.push_back(s.substr(start));
        }
        pieces.swap(out);
    }

private:
    std::string replacement_, scheme_;
    bool split_ = true;
};

class SequenceStep : public PreTokenizer {
public:
    explicit SequenceStep(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
    void apply(std::vector<std::string> &pieces, bool first_segment) const override {
        for (const auto &step : steps_) step->apply(pieces, first_segment);
    }

private:
    std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json &spec, int depth) {
    if (spec.is_null()) return nullptr;
    if (depth > kMaxSequenceDepth)
        fail(DN_ERR_UNSUPPORTED, "tokenizer.json: pre_tokenizer Sequences nest deeper than ", kMaxSequenceDepth);
    const std::string type = spec.value("type", std::string());
    try {
        if (type == "ByteLevel") return std::make_unique<ByteLevelStep>(spec);
        if (type == "Split") return std::make_unique<SplitStep>(spec);
        if (type == "Metaspace") return std::make_unique<MetaspaceStep>(spec);
        if (type == "Sequence") {
            std::vector<std::unique_ptr<PreTokenizer>> steps;
            for (const json &s : spec.at("pretokenizers"))
                if (auto step = make_pre_tokenizer(s, depth + 1)) steps.push_back(std::move(step));
            return std::make_unique<SequenceStep>(std::move(steps));
        }
    } catch (const json::exception &e) {
        fail(DN_ERR_MALFORMED_FILE, "tokenizer.json: pre_tokenizer ", type, ": ", e.what());
    }
    fail(DN_ERR_UNSUPPORTED, "tokenizer.json: pre_tokenizer type '", type, "' is not supported");
}

}  // namespace dn::text
