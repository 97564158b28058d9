#include "support/tokenizer_support.h"

#include <cstdio>
#include <stdexcept>

namespace dntest {

TokenizerPtr load_tokenizer(const fs::path &path) {
    dn_tokenizer *t = nullptr;
    check(dn_tokenizer_load(path.c_str(), &t), "dn_tokenizer_load " + path.string());
    return TokenizerPtr(t);
}

std::vector<int32_t> encode(const dn_tokenizer *tokenizer, const std::string &text, uint32_t flags) {
    size_t count = 0;
    const dn_status first = dn_tokenizer_encode(tokenizer, text.data(), text.size(), flags, nullptr, 0, &count);
    if (first != DN_OK && first != DN_ERR_BUFFER_TOO_SMALL) check(first, "dn_tokenizer_encode");
    std::vector<int32_t> ids(count);
    check(dn_tokenizer_encode(tokenizer, text.data(), text.size(), flags, ids.data(), ids.size(), &count),
          "dn_tokenizer_encode");
    return ids;
}

std::string decode(const dn_tokenizer *tokenizer, const std::vector<int32_t> &ids, uint32_t flags) {
    size_t len = 0;
    const dn_status first = dn_tokenizer_decode(tokenizer, ids.data(), ids.size(), flags, nullptr, 0, &len);
    if (first != DN_OK && first != DN_ERR_BUFFER_TOO_SMALL) check(first, "dn_tokenizer_decode");
    std::string text(len, '\0');
    check(dn_tokenizer_decode(tokenizer, ids.data(), ids.size(), flags, text.data(), text.size(), &len),
          "dn_tokenizer_decode");
    return text;
}

const std::vector<std::string> &torture_texts() {
    static constexpr char with_nul[] = "control \x01\x02\x1F\x7F and a NUL \0 inside";
    static const std::vector<std::string> texts = {
        "In the beginning God created the heaven and the earth.",
        "Numbers 1234567890, 3.14159, -42, 1e-9, 0x1F, 2026-11-22 12:34:56",
        "   leading spaces, trailing spaces   ",
        std::string(200, ' ') + "after a long run of spaces",
        "tabs\tand\ttabs\nnewlines\r\nwindows\n\n\nblank lines\n",
        "\xE4\xB8\xAD\xE6\x96\x87\xE5\xAD\x97\xE7\xAC\xA6\xEF\xBC\x8C\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"
        "\xE3\x81\xAE\xE3\x83\x86\xE3\x82\xAD\xE3\x82\xB9\xE3\x83\x88\xE3\x80\x81\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4",
        "emoji \xF0\x9F\x98\x80 family \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7"
        " flag \xF0\x9F\x87\xAF\xF0\x9F\x87\xB5 thumbs \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",
        "combining: e\xCC\x81 n\xCC\x83 a\xCC\x88\xCC\x84 Z\xCD\x91\xCD\x97\xCD\xA0",
        "RTL: \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9 mixed",
        std::string(with_nul, sizeof with_nul - 1),  // the NUL is part of the text
        "math \xF0\x9D\x94\x98\xF0\x9D\x94\xAB \xE2\x88\x91\xE2\x88\xAB\xE2\x88\x9A \xE2\x84\x9D",
        "Greek \xCE\xB1\xCE\xB2\xCE\xB3 Cyrillic \xD0\xB6\xD0\xB8\xD0\xB7\xD0\xBD\xD1\x8C Hindi \xE0\xA4\xB9\xE0\xA4\xBF",
        "the special <|endoftext|> written as text",
        "x",
    };
    return texts;
}

const std::vector<std::pair<std::string, std::string>> &invalid_utf8_cases() {
    static const std::string R = "\xEF\xBF\xBD";  // U+FFFD
    static const std::vector<std::pair<std::string, std::string>> cases = {
        {"\x80", R},
        {"a\xFF" "b", "a" + R + "b"},
        {"\xE4\xB8", R},                          // truncated: one maximal subpart
        {"\xE4\xB8" "x", R + "x"},
        {"\xC0\xAF", R + R},                      // overlong '/'
        {"\xED\xA0\x80", R + R + R},              // a surrogate
        {"\xF0\x9F\x98" "x", R + "x"},            // a truncated emoji
        {"\xF4\x90\x80\x80", R + R + R + R},      // above U+10FFFF
        {"ok\xE2\x82", "ok" + R},                 // cut at the end
        {"\xBF\xBF\xBF", R + R + R},
    };
    return cases;
}

bool is_valid_utf8(const std::string &s) {
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        uint32_t cp = 0;
        size_t n = 0;
        if (c < 0x80) { cp = c; n = 1; }
        else if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; n = 2; }
        else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; n = 3; }
        else if ((c & 0xF8) == 0xF0) { cp = c & 0x07; n = 4; }
        else return false;
        if (i + n > s.size()) return false;
        for (size_t k = 1; k < n; ++k) {
            const auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = cp << 6 | (d & 0x3F);
        }
        static const uint32_t min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_length[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += n;
    }
    return true;
}

std::string printable(const std::string &s) {
    std::string out;
    for (char c : s) {
        const auto b = static_cast<unsigned char>(c);
        if (b >= 0x20 && b < 0x7F) {
            out += c;
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02X", b);
            out += hex;
        }
    }
    return out;
}

void expect_streaming_matches(const dn_tokenizer *tokenizer, const std::vector<int32_t> &ids, uint32_t flags) {
    dn_detokenizer *raw = nullptr;
    check(dn_detokenizer_create(tokenizer, flags, &raw), "dn_detokenizer_create");
    std::unique_ptr<dn_detokenizer, dn_status (*)(dn_detokenizer *)> detok(raw, dn_detokenizer_free);
    std::string streamed;
    for (int32_t id : ids) {
        const char *piece = nullptr;
        size_t len = 0;
        check(dn_detokenizer_push(detok.get(), id, &piece, &len), "dn_detokenizer_push");
        const std::string s(piece, len);
        EXPECT_TRUE(is_valid_utf8(s)) << "piece for id " << id << " is not valid UTF-8: " << printable(s);
        streamed += s;
    }
    const char *rest = nullptr;
    size_t len = 0;
    check(dn_detokenizer_flush(detok.get(), &rest, &len), "dn_detokenizer_flush");
    streamed.append(rest, len);
    EXPECT_EQ(printable(streamed), printable(decode(tokenizer, ids, flags)));
}

}  // namespace dntest
