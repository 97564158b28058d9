#include <string>

#include "api/guard.h"

namespace dn::api {

namespace {
thread_local std::string last_error;
}

dn_status set_error(dn_status status, const std::string &message) noexcept {
    try {
        last_error = message;
    } catch (...) {
        last_error.clear();  // no memory even for the message: the status still tells
    }
    return status;
}

void clear_error() noexcept { last_error.clear(); }

}  // namespace dn::api

extern "C" {

const char *dn_status_string(dn_status status) {
    switch (status) {
        case DN_OK: return "ok";
        case DN_ERR_NULL_ARGUMENT: return "null argument";
        case DN_ERR_INVALID_ARGUMENT: return "invalid argument";
        case DN_ERR_IO: return "I/O error";
        case DN_ERR_MALFORMED_FILE: return "malformed file";
        case DN_ERR_MODEL_MISMATCH: return "weights do not match the config";
        case DN_ERR_UNSUPPORTED: return "unsupported";
        case DN_ERR_TOKEN_OUT_OF_RANGE: return "token id out of range";
        case DN_ERR_BUFFER_TOO_SMALL: return "buffer too small";
        case DN_ERR_STATE_MISMATCH: return "state belongs to another model";
        case DN_ERR_STATE_CORRUPT: return "state blob corrupt";
        case DN_ERR_CONTEXT_FULL: return "context full";
        case DN_ERR_OUT_OF_MEMORY: return "out of memory";
        case DN_ERR_DEVICE: return "device error";
        case DN_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

const char *dn_last_error(void) { return dn::api::last_error.c_str(); }

dn_status dn_version(int32_t *major, int32_t *minor, int32_t *patch) {
    if (major) *major = DN_VERSION_MAJOR;
    if (minor) *minor = DN_VERSION_MINOR;
    if (patch) *patch = DN_VERSION_PATCH;
    dn::api::clear_error();
    return DN_OK;
}

const char *dn_version_string(void) { return DN_VERSION_STRING; }

}  // extern "C"
