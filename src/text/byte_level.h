// GPT-2's byte-level alphabet: every byte stands for one printable code point, so that byte-level
// BPE vocabularies are plain strings (space is "Ġ", newline "Ċ").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dn::text {

// The UTF-8 of the code point that stands for byte `b`.
const std::string &byte_level_char(unsigned char b);

// The byte that code point `cp` stands for, or -1 when it stands for none.
int byte_level_byte(uint32_t cp);

// Each byte of `bytes` as its code point's UTF-8.
std::string to_byte_level(std::string_view bytes);

// The inverse of to_byte_level; false (and `out` unspecified) when a code point stands for no byte.
bool from_byte_level(std::string_view text, std::string &out);

}  // namespace dn::text
