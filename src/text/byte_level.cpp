#include "text/byte_level.h"

#include <array>

#include "text/utf8.h"

namespace dn::text {

namespace {

// Printable Latin-1 bytes stand for themselves; the rest (controls, space, 0x7F-0xA0, soft hyphen)
// take the code points from U+0100 on, in byte order.
struct Tables {
    std::array<std::string, 256> chars;
    std::array<int, 324> bytes;  // code point -> byte; every code point used is below 0x144

    Tables() {
        bytes.fill(-1);
        uint32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
            const uint32_t cp = printable ? uint32_t(b) : next++;
            append_utf8(cp, chars[size_t(b)]);
            bytes[cp] = b;
        }
    }
};

const Tables &tables() {
    static const Tables t;
    return t;
}

}  // namespace

const std::string &byte_level_char(unsigned char b) { return tables().chars[b]; }

int byte_level_byte(uint32_t cp) { return cp < tables().bytes.size() ? tables().bytes[cp] : -1; }

std::string to_byte_level(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char c : bytes) out += byte_level_char(static_cast<unsigned char>(c));
    return out;
}

bool from_byte_level(std::string_view text, std::string &out) {
    for (size_t i = 0; i < text.size();) {
        const size_t n = utf8_sequence_length(text.substr(i));
        if (n == 0 || n > 2) return false;  // every byte-level code point is below U+0800
        const auto b0 = static_cast<unsigned char>(text[i]);
        const uint32_t cp = n == 1 ? b0 : ((b0 & 0x1Fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3Fu);
        const int b = byte_level_byte(cp);
        if (b < 0) return false;
        out += char(b);
        i += n;
    }
    return true;
}

}  // namespace dn::text
