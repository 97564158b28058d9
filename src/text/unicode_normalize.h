// Unicode normalization forms (NFC, NFD, NFKC, NFKD) for tokenizer.json normalizers, through ICU:
// Qwen's tokenizers, for one, put NFC in front of byte-level BPE.
#pragma once

#include <string>
#include <string_view>

namespace dn::text {

enum class NormalForm { NFC, NFD, NFKC, NFKD };

// `text` in the normal form. Bytes that are not valid UTF-8 are kept as they are (the tokenizer then
// encodes them byte by byte); only the valid runs between them are normalized.
std::string normalize_unicode(std::string_view text, NormalForm form);

}  // namespace dn::text
