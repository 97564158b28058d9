#include <cstring>

#include "api/guard.h"
#include "api/text_handles.h"

using namespace dn;
using namespace dn::api;

namespace {

const text::Tokenizer &tokenizer_of(const dn_tokenizer *tokenizer) {
    require(tokenizer, "tokenizer");
    return *tokenizer->tokenizer;
}

void check_flags(uint32_t flags, uint32_t known, const char *what) {
    if (flags & ~known) fail(DN_ERR_INVALID_ARGUMENT, what, " has unknown bits ", flags & ~known);
}

void check_id(const text::Tokenizer &t, int32_t id) {
    if (!t.token_text(id))
        fail(DN_ERR_TOKEN_OUT_OF_RANGE, "token id ", id, " is not in the tokenizer's vocabulary [0, ", t.vocab_size(), ")");
}

}  // namespace

extern "C" {

dn_status dn_tokenizer_load(const char *path, dn_tokenizer **out_tokenizer) {
    return guarded([&] {
        require(path, "path");
        require(out_tokenizer, "out_tokenizer");
        auto handle = std::make_unique<dn_tokenizer>();
        handle->tokenizer = text::Tokenizer::load(path);
        *out_tokenizer = handle.release();
    });
}

dn_status dn_tokenizer_free(dn_tokenizer *tokenizer) {
    return guarded([&] { delete tokenizer; });
}

dn_status dn_tokenizer_encode(const dn_tokenizer *tokenizer, const char *text, size_t text_len, uint32_t flags,
                              int32_t *ids, size_t capacity, size_t *out_count) {
    return guarded([&] {
        const text::Tokenizer &t = tokenizer_of(tokenizer);
        if (text_len) require(text, "text");
        require(out_count, "out_count");
        if (capacity) require(ids, "ids");
        check_flags(flags, DN_ENCODE_ADD_SPECIAL | DN_ENCODE_PARSE_SPECIAL, "encode flags");
        const std::vector<int32_t> encoded = t.encode(std::string_view(text ? text : "", text_len),
                                                      flags & DN_ENCODE_ADD_SPECIAL, flags & DN_ENCODE_PARSE_SPECIAL);
        *out_count = encoded.size();
        if (encoded.size() > capacity)
            fail(DN_ERR_BUFFER_TOO_SMALL, "the text encodes to ", encoded.size(), " ids; the buffer holds ", capacity);
        if (!encoded.empty()) std::memcpy(ids, encoded.data(), encoded.size() * sizeof(int32_t));
    });
}

dn_status dn_tokenizer_decode(const dn_tokenizer *tokenizer, const int32_t *ids, size_t n_ids, uint32_t flags,
                              char *text, size_t capacity, size_t *out_len) {
    return guarded([&] {
        const text::Tokenizer &t = tokenizer_of(tokenizer);
        if (n_ids) require(ids, "ids");
        require(out_len, "out_len");
        if (capacity) require(text, "text");
        check_flags(flags, DN_DECODE_SKIP_SPECIAL, "decode flags");
        const std::string decoded = t.decode(std::span<const int32_t>(ids, n_ids), flags & DN_DECODE_SKIP_SPECIAL);
        *out_len = decoded.size();
        if (decoded.size() > capacity)
            fail(DN_ERR_BUFFER_TOO_SMALL, "the text is ", decoded.size(), " bytes; the buffer holds ", capacity);
        if (!decoded.empty()) std::memcpy(text, decoded.data(), decoded.size());
    });
}

dn_status dn_tokenizer_vocab_size(const dn_tokenizer *tokenizer, int32_t *out_size) {
    return guarded([&] {
        const text::Tokenizer &t = tokenizer_of(tokenizer);
        require(out_size, "out_size");
        *out_size = t.vocab_size();
    });
}

dn_status dn_tokenizer_token_text(const dn_tokenizer *tokenizer, int32_t id, const char **out_text) {
    return guarded([&] {
        const text::Tokenizer &t = tokenizer_of(tokenizer);
        require(out_text, "out_text");
        check_id(t, id);
        *out_text = t.token_text(id)->c_str();
    });
}

dn_status dn_tokenizer_token_id(const dn_tokenizer *tokenizer, const char *text, int32_t *out_id) {
    return guarded([&] {
        const text::Tokenizer &t = tokenizer_of(tokenizer);
        require(text, "text");
        require(out_id, "out_id");
        *out_id = t.token_id(text);
    });
}

dn_status dn_tokenizer_is_special(const dn_tokenizer *tokenizer, int32_t id, int *out_special) {
    return guarded([&] {
        const text::Tokenizer &t = tokenizer_of(tokenizer);
        require(out_special, "out_special");
        check_id(t, id);
        *out_special = t.is_special(id) ? 1 : 0;
    });
}

dn_status dn_tokenizer_bos_eos(const dn_tokenizer *tokenizer, int32_t *out_bos, int32_t *out_eos) {
    return guarded([&] {
        const text::Tokenizer &t = tokenizer_of(tokenizer);
        if (out_bos) *out_bos = t.bos_id();
        if (out_eos) *out_eos = t.eos_id();
    });
}

dn_status dn_detokenizer_create(const dn_tokenizer *tokenizer, uint32_t flags, dn_detokenizer **out_detokenizer) {
    return guarded([&] {
        const text::Tokenizer &t = tokenizer_of(tokenizer);
        require(out_detokenizer, "out_detokenizer");
        check_flags(flags, DN_DECODE_SKIP_SPECIAL, "detokenizer flags");
        *out_detokenizer = new dn_detokenizer(t, flags & DN_DECODE_SKIP_SPECIAL);
    });
}

dn_status dn_detokenizer_push(dn_detokenizer *detokenizer, int32_t id, const char **out_text, size_t *out_len) {
    return guarded([&] {
        require(detokenizer, "detokenizer");
        require(out_text, "out_text");
        require(out_len, "out_len");
        const std::string_view piece = detokenizer->detokenizer.push(id);
        *out_text = piece.data();
        *out_len = piece.size();
    });
}

dn_status dn_detokenizer_flush(dn_detokenizer *detokenizer, const char **out_text, size_t *out_len) {
    return guarded([&] {
        require(detokenizer, "detokenizer");
        require(out_text, "out_text");
        require(out_len, "out_len");
        const std::string_view piece = detokenizer->detokenizer.flush();
        *out_text = piece.data();
        *out_len = piece.size();
    });
}

dn_status dn_detokenizer_free(dn_detokenizer *detokenizer) {
    return guarded([&] { delete detokenizer; });
}

}  // extern "C"
