// Helpers of the tokenizer and generation tests: owning tokenizer handles, encode/decode through the
// C API, texts that stress UTF-8 handling, and a streaming-decode check.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/dn_test.h"

namespace dntest {

struct TokenizerDeleter {
    void operator()(dn_tokenizer *t) const { dn_tokenizer_free(t); }
};
using TokenizerPtr = std::unique_ptr<dn_tokenizer, TokenizerDeleter>;

TokenizerPtr load_tokenizer(const fs::path &path);  // throws with the library's message
std::vector<int32_t> encode(const dn_tokenizer *tokenizer, const std::string &text, uint32_t flags = 0);
std::string decode(const dn_tokenizer *tokenizer, const std::vector<int32_t> &ids, uint32_t flags = 0);

// Valid UTF-8 texts: CJK, emoji with ZWJ sequences, flags and skin tones, combining marks, right-to-left
// scripts, control characters (NUL included), runs of spaces, tabs and newlines, numbers, math symbols.
const std::vector<std::string> &torture_texts();

// Invalid UTF-8 (lone continuation bytes, truncated sequences, overlong forms, surrogates, 0xFF,
// code points above U+10FFFF) with the text Unicode's "maximal subpart" replacement gives.
const std::vector<std::pair<std::string, std::string>> &invalid_utf8_cases();

// Whether `s` is well-formed UTF-8 (an independent check, not the library's).
bool is_valid_utf8(const std::string &s);

// `s` with bytes outside printable ASCII as \xNN, for failure messages.
std::string printable(const std::string &s);

// Pushes `ids` one by one through a dn_detokenizer: every piece must be valid UTF-8, and the pieces
// plus the flush must equal dn_tokenizer_decode of all of them.
void expect_streaming_matches(const dn_tokenizer *tokenizer, const std::vector<int32_t> &ids, uint32_t flags = 0);

}  // namespace dntest
