// Shared by the libFuzzer targets: what counts as a clean failure, and where the models are.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <initializer_list>
#include <new>
#include <string>

#include "core/error.h"
#include "deltanet/deltanet.h"

namespace dnfuzz {

[[noreturn]] inline void bug(const char *what, const char *detail) {
    std::fprintf(stderr, "fuzz target found a bug: %s: %s\n", what, detail);
    std::abort();  // libFuzzer saves the input as a crash
}

// Runs an internal parser on fuzz input. Refusing the input with one of `allowed` is fine; any other
// status, or any other exception (a JSON type error, std::out_of_range, bad_alloc from a size the
// input chose), is a bug: the C API would report it as DN_ERR_INTERNAL or DN_ERR_OUT_OF_MEMORY.
template <typename Body>
void expect_clean(Body body, std::initializer_list<dn_status> allowed) {
    try {
        body();
    } catch (const dn::Error &e) {
        for (dn_status s : allowed)
            if (e.status() == s) return;
        bug(("status " + std::to_string(int(e.status()))).c_str(), e.what());
    } catch (const std::bad_alloc &) {
        bug("allocation failed", "the input made the parser ask for too much memory");
    } catch (const std::exception &e) {
        bug("unexpected exception", e.what());
    }
}

// A C API status on fuzz input: DN_ERR_INTERNAL or DN_ERR_OUT_OF_MEMORY is a bug, and so is a
// status the call does not document (the caller lists those it accepts).
inline void expect_status(dn_status got, std::initializer_list<dn_status> allowed, const char *call) {
    for (dn_status s : allowed)
        if (got == s) return;
    bug(call, dn_last_error());
}

// Where the targets find their models (set by tests/fuzz/CMakeLists.txt).
inline const char *kjv_model_dir() { return DN_FUZZ_KJV_DIR; }

}  // namespace dnfuzz
