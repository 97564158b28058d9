// The C ABI boundary: every dn_* function runs its body through guarded(), which turns exceptions
// into a status and the thread's last-error message. Nothing escapes into C callers.
#pragma once

#include <cstring>
#include <new>
#include <type_traits>
#include <string>

#include "core/error.h"
#include "deltanet/deltanet.h"

namespace dn::api {

dn_status set_error(dn_status status, const std::string &message) noexcept;
void clear_error() noexcept;

template <typename Body>
dn_status guarded(Body &&body) noexcept {
    try {
        body();
        clear_error();
        return DN_OK;
    } catch (const Error &e) {
        return set_error(e.status(), e.what());
    } catch (const std::bad_alloc &) {
        return set_error(DN_ERR_OUT_OF_MEMORY, "out of memory");
    } catch (const std::exception &e) {
        return set_error(DN_ERR_INTERNAL, std::string("internal error: ") + e.what());
    } catch (...) {
        return set_error(DN_ERR_INTERNAL, "internal error: unknown exception");
    }
}

// Throws DN_ERR_NULL_ARGUMENT naming the argument when `pointer` is null.
inline void require(const void *pointer, const char *what) {
    if (!pointer) fail(DN_ERR_NULL_ARGUMENT, what, " is NULL");
}

// Checks an options struct's self-declared size: at least the fields of version 1.
template <typename Options>
void check_struct_size(const Options *options, size_t minimum, const char *what) {
    if (options && ((options->struct_size) < minimum || (options->struct_size) > (1u << 16)))
        fail(DN_ERR_INVALID_ARGUMENT, what, ".struct_size is ", options->struct_size,
             "; initialise it with ", what, "_init()");
}

// Reads an enum that came from C as its raw integer. C callers may pass any int; loading it as
// the C++ enum type would be undefined for values outside the enumerators, so validate the bits.
template <typename Enum>
std::underlying_type_t<Enum> raw_enum(const Enum &value) noexcept {
    std::underlying_type_t<Enum> raw;
    static_assert(sizeof raw == sizeof value);
    std::memcpy(&raw, &value, sizeof raw);
    return raw;
}

}  // namespace dn::api
