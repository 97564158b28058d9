// UTF-8 checks shared by the tokenizers and the streaming detokenizer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dn::text {

// Length of the well-formed UTF-8 sequence at the start of `bytes` (1..4), or 0 when it is not one;
// then *invalid (if given) receives the length of its maximal invalid subpart (1..3), the bytes that
// Unicode's "substitution of maximal subparts" replaces with one U+FFFD.
size_t utf8_sequence_length(std::string_view bytes, size_t *invalid = nullptr);

// Length of an unfinished sequence at the end of `bytes` that more bytes could still complete
// (0..3): the bytes a streaming decoder must hold back.
size_t utf8_incomplete_tail(std::string_view bytes);

// Replaces every maximal invalid subpart by U+FFFD (as Python's errors="replace" does).
std::string sanitize_utf8(std::string_view bytes);

// Appends code point `cp` as UTF-8.
void append_utf8(uint32_t cp, std::string &out);

}  // namespace dn::text
