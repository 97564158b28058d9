// Stop strings in streamed text: text is released only once it cannot be the start of a stop string,
// so a caller never sees part of one, even when a stop string spans several tokens.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dn::text {

class StopStrings {
public:
    // Empty strings are not allowed (dn::Error DN_ERR_INVALID_ARGUMENT).
    explicit StopStrings(std::vector<std::string> stops);

    // Appends `text`; returns the text that is now safe to release. After a stop string is found,
    // stopped() is true, the returned text is what came before it and everything after is dropped.
    std::string_view push(std::string_view text);

    // The text still held back (the end of the stream proved it is not a stop string).
    std::string_view flush();

    bool stopped() const { return stopped_; }

private:
    std::vector<std::string> stops_;
    std::string held_;  // not yet released: could be the beginning of a stop string
    std::string out_;   // the last released text (views returned point into it)
    bool stopped_ = false;
};

}  // namespace dn::text
