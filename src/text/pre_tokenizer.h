// Pre-tokenizers of tokenizer.json: they cut a text segment into the pieces that BPE then encodes
// one by one (regex splits with Unicode classes through PCRE2, GPT-2's byte-level mapping, metaspace).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace dn::text {

class PreTokenizer {
public:
    virtual ~PreTokenizer() = default;
    // Rewrites `pieces` in place. `first_segment`: the segment starts the input (no added token before it).
    virtual void apply(std::vector<std::string> &pieces, bool first_segment) const = 0;
};

// Builds tokenizer.json's "pre_tokenizer" (null gives nullptr). Throws DN_ERR_UNSUPPORTED naming an
// unknown type or option, DN_ERR_MALFORMED_FILE for a bad pattern.
// `depth`: how deep in Sequences `spec` is (nesting deeper than kMaxSequenceDepth is refused, so that
// a hostile file cannot exhaust the stack).
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json &spec, int depth = 0);

// How deeply tokenizer.json's Sequence normalizers, pre-tokenizers, decoders and post-processors may
// nest (real files nest one or two levels).
constexpr int kMaxSequenceDepth = 32;

}  // namespace dn::text
