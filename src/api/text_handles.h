// What the tokenizer handles of text.h are.
#pragma once

#include <memory>

#include "text/tokenizer.h"

struct dn_tokenizer {
    std::unique_ptr<dn::text::Tokenizer> tokenizer;
};

struct dn_detokenizer {
    explicit dn_detokenizer(const dn::text::Tokenizer &tokenizer, bool skip_special)
        : detokenizer(tokenizer, skip_special) {}
    dn::text::Detokenizer detokenizer;
};
