#include "text/unicode_normalize.h"

#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <new>
#include <vector>

#include "core/error.h"
#include "text/utf8.h"

namespace dn::text {

namespace {

const UNormalizer2 *normalizer(NormalForm form) {
    UErrorCode error = U_ZERO_ERROR;
    const UNormalizer2 *n = nullptr;
    switch (form) {
        case NormalForm::NFC: n = unorm2_getNFCInstance(&error); break;
        case NormalForm::NFD: n = unorm2_getNFDInstance(&error); break;
        case NormalForm::NFKC: n = unorm2_getNFKCInstance(&error); break;
        case NormalForm::NFKD: n = unorm2_getNFKDInstance(&error); break;
    }
    if (U_FAILURE(error)) fail(DN_ERR_INTERNAL, "ICU cannot load its normalization data: ", u_errorName(error));
    return n;
}

void check(UErrorCode error) {
    if (error == U_MEMORY_ALLOCATION_ERROR) throw std::bad_alloc();
    if (U_FAILURE(error)) fail(DN_ERR_INTERNAL, "ICU normalization failed: ", u_errorName(error));
}

// One run of valid UTF-8: to UTF-16, normalize, back (ICU's normalizers work on UTF-16).
void normalize_run(std::string_view run, const UNormalizer2 *n, std::string &out) {
    UErrorCode error = U_ZERO_ERROR;
    std::vector<UChar> utf16(run.size() + 1);
    int32_t len16 = 0;
    u_strFromUTF8(utf16.data(), int32_t(utf16.size()), &len16, run.data(), int32_t(run.size()), &error);
    check(error);
    std::vector<UChar> normalized(size_t(len16) * 3 + 16);  // room for any expansion but NFKD's rarest
    int32_t len = unorm2_normalize(n, utf16.data(), len16, normalized.data(), int32_t(normalized.size()), &error);
    if (error == U_BUFFER_OVERFLOW_ERROR) {
        error = U_ZERO_ERROR;
        normalized.resize(size_t(len));
        len = unorm2_normalize(n, utf16.data(), len16, normalized.data(), len, &error);
    }
    check(error);
    int32_t len8 = 0;
    u_strToUTF8(nullptr, 0, &len8, normalized.data(), len, &error);
    if (error != U_BUFFER_OVERFLOW_ERROR) check(error);
    error = U_ZERO_ERROR;
    const size_t at = out.size();
    out.resize(at + size_t(len8));
    u_strToUTF8(out.data() + at, len8, nullptr, normalized.data(), len, &error);
    if (error != U_STRING_NOT_TERMINATED_WARNING) check(error);
}

}  // namespace

std::string normalize_unicode(std::string_view text, NormalForm form) {
    const UNormalizer2 *n = normalizer(form);
    std::string out;
    out.reserve(text.size());
    size_t run_start = 0, i = 0;
    auto flush_run = [&] {
        if (i > run_start) normalize_run(text.substr(run_start, i - run_start), n, out);
    };
    while (i < text.size()) {
        size_t invalid = 0;
        const size_t len = utf8_sequence_length(text.substr(i), &invalid);
        if (len) {
            i += len;
            continue;
        }
        flush_run();
        out.append(text.substr(i, invalid));
        i += invalid;
        run_start = i;
    }
    flush_run();
    return out;
}

}  // namespace dn::text
