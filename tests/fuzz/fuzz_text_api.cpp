// libFuzzer target: the text calls of the C API on the bundled kjv tokenizer (loaded once). Input: a
// byte of options, then bytes: dn_tokenizer_encode of them as text (the flags, and a too-small buffer
// first, as the options byte says), dn_tokenizer_decode of the result and of the same bytes read as
// token ids (mostly valid ones, or any int32 with option 16), the streaming detokenizer over the same
// ids (its text must equal decode's), and the id/text lookups.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_support.h"

namespace {

const dn_tokenizer *tokenizer() {
    static dn_tokenizer *t = [] {
        dn_tokenizer *t = nullptr;
        if (dn_tokenizer_load(dnfuzz::kjv_model_dir(), &t) != DN_OK) dnfuzz::bug("setup", dn_last_error());
        return t;
    }();
    return t;
}

int32_t vocab_size() {
    static const int32_t n = [] {
        int32_t n = 0;
        if (dn_tokenizer_vocab_size(tokenizer(), &n) != DN_OK) dnfuzz::bug("setup", dn_last_error());
        return n;
    }();
    return n;
}

std::string decode(const int32_t *ids, size_t n, uint32_t flags, dn_status *status) {
    size_t len = 0;
    *status = dn_tokenizer_decode(tokenizer(), ids, n, flags, nullptr, 0, &len);
    if (*status != DN_ERR_BUFFER_TOO_SMALL) return "";
    std::string text(len, '\0');
    *status = dn_tokenizer_decode(tokenizer(), ids, n, flags, text.data(), text.size(), &len);
    return text;
}

// Streams `ids` through a detokenizer; ids it refuses are left out (nothing may be added for them).
std::string detokenize(const std::vector<int32_t> &ids, uint32_t flags, std::vector<int32_t> *accepted) {
    dn_detokenizer *d = nullptr;
    dnfuzz::expect_status(dn_detokenizer_create(tokenizer(), flags, &d), {DN_OK}, "dn_detokenizer_create");
    std::string text;
    for (int32_t id : ids) {
        const char *piece = nullptr;
        size_t len = 0;
        const dn_status s = dn_detokenizer_push(d, id, &piece, &len);
        dnfuzz::expect_status(s, {DN_OK, DN_ERR_TOKEN_OUT_OF_RANGE}, "dn_detokenizer_push");
        if (s == DN_OK) {
            text.append(piece, len);
            accepted->push_back(id);
        }
    }
    const char *piece = nullptr;
    size_t len = 0;
    dnfuzz::expect_status(dn_detokenizer_flush(d, &piece, &len), {DN_OK}, "dn_detokenizer_flush");
    text.append(piece, len);
    dn_detokenizer_free(d);
    return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    // The first byte chooses the encode flags and whether to ask with a too-small buffer first.
    const uint32_t flags = data[0] & 3;
    const char *text = reinterpret_cast<const char *>(data + 1);
    const size_t text_len = size - 1;
    {
        size_t count = 0;
        dn_status s = DN_ERR_BUFFER_TOO_SMALL;
        std::vector<int32_t> ids;
        if (data[0] & 4) {
            int32_t one = -1;
            s = dn_tokenizer_encode(tokenizer(), text, text_len, flags, &one, 1, &count);
            dnfuzz::expect_status(s, {DN_OK, DN_ERR_BUFFER_TOO_SMALL}, "dn_tokenizer_encode");
            ids.resize(count);
            if (s == DN_OK) ids.assign(&one, &one + count);  // it fitted: 0 or 1 id
        } else {
            ids.resize(text_len + 2);  // never more ids than bytes, plus the added specials
        }
        for (int attempt = 0; s != DN_OK; ++attempt) {
            const size_t asked = ids.size();
            s = dn_tokenizer_encode(tokenizer(), text, text_len, flags, ids.data(), ids.size(), &count);
            dnfuzz::expect_status(s, {DN_OK, DN_ERR_BUFFER_TOO_SMALL}, "dn_tokenizer_encode (second call)");
            if (s != DN_OK && (attempt > 0 || data[0] & 4 || count <= asked))
                dnfuzz::bug("dn_tokenizer_encode", "the count it asked for was not enough");
            ids.resize(count);
        }
        const uint32_t decode_flags = flags & 1 ? DN_DECODE_SKIP_SPECIAL : 0;
        const std::string whole = decode(ids.data(), ids.size(), decode_flags, &s);
        dnfuzz::expect_status(s, {DN_OK}, "dn_tokenizer_decode of encoded ids");
        std::vector<int32_t> accepted;
        if (detokenize(ids, decode_flags, &accepted) != whole) dnfuzz::bug("detokenizer", "differs from decode");
    }
    // The bytes as ids. Option 16: raw int32s, nearly all out of range. Otherwise 16-bit values folded
    // onto the vocabulary and two ids either side of it, so that most reach the byte-level and
    // special-token paths of decode and the detokenizer, and some are still refused.
    std::vector<int32_t> raw;
    if (data[0] & 16) {
        raw.resize(text_len / 4);
        if (!raw.empty()) std::memcpy(raw.data(), text, raw.size() * 4);
    } else {
        const int32_t span = vocab_size() + 4;
        for (size_t i = 0; i + 1 < text_len; i += 2)
            raw.push_back(int32_t((uint8_t(text[i]) | uint8_t(text[i + 1]) << 8) % span) - 2);
    }
    {
        const uint32_t flags = data[0] & 8 ? DN_DECODE_SKIP_SPECIAL : 0;
        dn_status s;
        const std::string whole = decode(raw.data(), raw.size(), flags, &s);
        dnfuzz::expect_status(s, {DN_OK, DN_ERR_TOKEN_OUT_OF_RANGE}, "dn_tokenizer_decode of raw ids");
        std::vector<int32_t> accepted;
        const std::string streamed = detokenize(raw, flags, &accepted);
        if (s == DN_OK && streamed != whole) dnfuzz::bug("detokenizer", "differs from decode on raw ids");
        const std::string expected = decode(accepted.data(), accepted.size(), flags, &s);
        dnfuzz::expect_status(s, {DN_OK}, "dn_tokenizer_decode of accepted ids");
        if (streamed != expected) dnfuzz::bug("detokenizer", "differs from decode of the ids it accepted");
    }
    for (int32_t id : raw) {
        const char *token = nullptr;
        int special = 0;
        dnfuzz::expect_status(dn_tokenizer_token_text(tokenizer(), id, &token), {DN_OK, DN_ERR_TOKEN_OUT_OF_RANGE},
                              "dn_tokenizer_token_text");
        dnfuzz::expect_status(dn_tokenizer_is_special(tokenizer(), id, &special), {DN_OK, DN_ERR_TOKEN_OUT_OF_RANGE},
                              "dn_tokenizer_is_special");
    }
    const std::string as_c_string(text, strnlen(text, text_len));
    int32_t id = 0;
    dnfuzz::expect_status(dn_tokenizer_token_id(tokenizer(), as_c_string.c_str(), &id), {DN_OK}, "dn_tokenizer_token_id");
    return 0;
}
