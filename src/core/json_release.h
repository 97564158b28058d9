// Tearing down a parsed JSON document without allocating. nlohmann::json's destructor (3.11) moves
// the children of every non-empty array or object into a std::vector it allocates, inside a noexcept
// destructor: if memory runs out right then, std::terminate ends the host process. Emptying the
// document bottom-up first (each container cleared once its children are scalars or empty
// containers, whose destruction allocates nothing) leaves nothing for that vector to hold.
#pragma once

#include <nlohmann/json.hpp>

namespace dn {

// Nesting deeper than this is refused while parsing (no file this library reads nests more than a few
// levels): it bounds the work and stack of everything that walks a document.
constexpr int kMaxJsonDepth = 128;

// json::parse(begin, end) without exceptions for syntax errors (a discarded value, as with
// allow_exceptions = false), but throwing DN_ERR_MALFORMED_FILE naming `source` when the text nests
// deeper than kMaxJsonDepth.
nlohmann::json parse_json_bounded(const char *begin, const char *end, const std::string &source);

// Empties `root` (containers bottom-up) without allocating and without deep recursion.
void release_json(nlohmann::json &root) noexcept;

// Declared right after a parsed document: empties it first when the scope ends (normally or by an
// exception), so that its destructor has nothing to allocate for.
class JsonRelease {
public:
    explicit JsonRelease(nlohmann::json &json) : json_(json) {}
    ~JsonRelease() { release_json(json_); }
    JsonRelease(const JsonRelease &) = delete;
    JsonRelease &operator=(const JsonRelease &) = delete;

private:
    nlohmann::json &json_;
};

}  // namespace dn
