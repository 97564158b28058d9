#include "core/json_release.h"

#include "core/error.h"

namespace dn {

nlohmann::json parse_json_bounded(const char *begin, const char *end, const std::string &source) {
    using json = nlohmann::json;
    const json::parser_callback_t limit = [&source](int depth, json::parse_event_t, json &) {
        if (depth > kMaxJsonDepth) fail(DN_ERR_MALFORMED_FILE, source, ": JSON nests deeper than ", kMaxJsonDepth, " levels");
        return true;
    };
    return json::parse(begin, end, limit, false);
}

void release_json(nlohmann::json &root) noexcept {
    using json = nlohmann::json;
    if (!root.is_structured()) return;
    // A fixed path (no allocation). Deeper than kMaxPath, the deepest level is replaced by its child;
    // the node it held is found again from its parent later and scanned anew: slower, still correct.
    constexpr int kMaxPath = kMaxJsonDepth + 2;  // parse_json_bounded's documents never go deeper
    struct Level {
        json *node;
        json::iterator next;
    };
    Level path[kMaxPath];
    int top = 0;
    path[0] = {&root, root.begin()};
    while (top >= 0) {
        Level &level = path[top];
        while (level.next != level.node->end() && !(level.next->is_structured() && !level.next->empty())) ++level.next;
        if (level.next == level.node->end()) {
            level.node->clear();  // every child is a scalar or an empty container: nothing allocates
            --top;
            continue;
        }
        json &child = *level.next;
        if (top + 1 < kMaxPath) ++top;
        path[top] = {&child, child.begin()};
    }
}

}  // namespace dn
