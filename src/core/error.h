// Internal error type. Library code throws dn::Error; the C ABI layer (src/api/guard.h) turns it
// into a dn_status and the thread's last-error message. Nothing throws across the ABI.
#pragma once

#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "deltanet/deltanet.h"

namespace dn {

class Error : public std::runtime_error {
public:
    Error(dn_status status, const std::string &message) : std::runtime_error(message), status_(status) {}
    dn_status status() const noexcept { return status_; }

private:
    dn_status status_;
};

// Concatenate anything streamable into a string: cat("tensor ", name, " has ", n, " dims").
// Streams swallow exceptions (an allocation failing inside one only sets badbit, leaving the text
// cut short), and some of these strings are hashed into state blobs: a failure must throw.
template <typename... Parts>
std::string cat(Parts &&...parts) {
    std::ostringstream out;
    (out << ... << std::forward<Parts>(parts));
    if (out.bad()) throw std::bad_alloc();
    return out.str();
}

template <typename... Parts>
[[noreturn]] void fail(dn_status status, Parts &&...parts) {
    throw Error(status, cat(std::forward<Parts>(parts)...));
}

}  // namespace dn
