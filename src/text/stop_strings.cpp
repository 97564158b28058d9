#include "text/stop_strings.h"

#include <algorithm>

#include "core/error.h"

namespace dn::text {

StopStrings::StopStrings(std::vector<std::string> stops) : stops_(std::move(stops)) {
    for (const std::string &s : stops_)
        if (s.empty()) fail(DN_ERR_INVALID_ARGUMENT, "a stop string is empty");
}

std::string_view StopStrings::push(std::string_view text) {
    out_.clear();
    if (stopped_) return out_;
    held_ += text;

    // The earliest complete stop string ends the stream.
    size_t first = std::string::npos;
    for (const std::string &s : stops_) first = std::min(first, held_.find(s));
    if (first != std::string::npos) {
        out_.assign(held_, 0, first);
        held_.clear();
        stopped_ = true;
        return out_;
    }

    // Keep the longest tail that is a proper prefix of some stop string; release the rest.
    size_t keep = 0;
    for (const std::string &s : stops_)
        for (size_t n = std::min(s.size() - 1, held_.size()); n > keep; --n)
            if (held_.compare(held_.size() - n, n, s, 0, n) == 0) {
                keep = n;
                break;
            }
    out_.assign(held_, 0, held_.size() - keep);
    held_.erase(0, held_.size() - keep);
    return out_;
}

std::string_view StopStrings::flush() {
    out_.clear();
    if (!stopped_) out_.swap(held_);
    return out_;
}

}  // namespace dn::text
