#include "text/utf8.h"

namespace dn::text {

namespace {

// The allowed range of the second byte after lead byte `lead` (Unicode Table 3-7), and the sequence length.
struct LeadInfo {
    size_t length;  // 0: not a lead byte
    unsigned char low, high;
};

LeadInfo lead_info(unsigned char lead) {
    if (lead < 0x80) return {1, 0, 0};
    if (lead >= 0xC2 && lead <= 0xDF) return {2, 0x80, 0xBF};
    if (lead == 0xE0) return {3, 0xA0, 0xBF};
    if (lead == 0xED) return {3, 0x80, 0x9F};  // no surrogates
    if (lead >= 0xE1 && lead <= 0xEF) return {3, 0x80, 0xBF};
    if (lead == 0xF0) return {4, 0x90, 0xBF};
    if (lead >= 0xF1 && lead <= 0xF3) return {4, 0x80, 0xBF};
    if (lead == 0xF4) return {4, 0x80, 0x8F};  // nothing above U+10FFFF
    return {0, 0, 0};
}

// How many bytes of `bytes` (at most the sequence's length) follow the lead byte's rules.
size_t valid_prefix(std::string_view bytes, const LeadInfo &info) {
    size_t n = 1;
    for (; n < info.length && n < bytes.size(); ++n) {
        const auto b = static_cast<unsigned char>(bytes[n]);
        const bool ok = n == 1 ? (b >= info.low && b <= info.high) : (b >= 0x80 && b <= 0xBF);
        if (!ok) break;
    }
    return n;
}

}  // namespace

size_t utf8_sequence_length(std::string_view bytes, size_t *invalid) {
    const LeadInfo info = lead_info(static_cast<unsigned char>(bytes[0]));
    if (info.length == 0) {
        if (invalid) *invalid = 1;
        return 0;
    }
    const size_t n = valid_prefix(bytes, info);
    if (n == info.length) return n;
    if (invalid) *invalid = n;
    return 0;
}

size_t utf8_incomplete_tail(std::string_view bytes) {
    for (size_t back = 1; back <= 3 && back <= bytes.size(); ++back) {
        const std::string_view tail = bytes.substr(bytes.size() - back);
        const LeadInfo info = lead_info(static_cast<unsigned char>(tail[0]));
        if (info.length == 0) continue;  // a continuation byte (or invalid): look further back
        return info.length > back && valid_prefix(tail, info) == back ? back : 0;
    }
    return 0;
}

std::string sanitize_utf8(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    for (size_t i = 0; i < bytes.size();) {
        size_t invalid = 0;
        const size_t n = utf8_sequence_length(bytes.substr(i), &invalid);
        if (n) {
            out.append(bytes.substr(i, n));
            i += n;
        } else {
            out += "\xEF\xBF\xBD";  // U+FFFD
            i += invalid;
        }
    }
    return out;
}

void append_utf8(uint32_t cp, std::string &out) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

}  // namespace dn::text
