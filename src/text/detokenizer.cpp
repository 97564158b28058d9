#include "text/tokenizer.h"

namespace dn::text {

Detokenizer::Detokenizer(const Tokenizer &tokenizer, bool skip_special)
    : tokenizer_(tokenizer), skip_special_(skip_special) {}

std::string_view Detokenizer::push(int32_t id) {
    const size_t before = pending_.size();
    try {
        tokenizer_.append_token_bytes(id, first_, skip_special_, pending_);
    } catch (...) {
        pending_.resize(before);  // nothing changes on error
        throw;
    }
    if (!(skip_special_ && tokenizer_.is_special(id))) first_ = false;  // skipped tokens do not count
    // Release everything but an unfinished character; invalid bytes are known invalid now, and
    // sanitizing them piecewise gives what sanitizing the whole text would.
    const size_t keep = utf8_incomplete_tail(pending_);
    out_ = sanitize_utf8(std::string_view(pending_).substr(0, pending_.size() - keep));
    pending_.erase(0, pending_.size() - keep);
    return out_;
}

std::string_view Detokenizer::flush() {
    out_ = sanitize_utf8(pending_);
    pending_.clear();
    first_ = true;
    return out_;
}

}  // namespace dn::text
