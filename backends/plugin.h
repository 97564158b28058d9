// The contract between libdeltanet and a backend plugin (libdeltanet-cuda.so, libdeltanet-hip.so).
//
// A plugin exports one C function, dn_backend_plugin_open. The core calls it with the interface
// version it was built with; the plugin refuses any other, because dn::Backend is a C++ class
// whose layout both sides must agree on. On success the plugin hands out a process-wide Backend
// for one device (the same object for every call with that index); the plugin is never unloaded.
// Nothing may throw across this function: errors come back as a status and a message.
//
// Exceptions thrown later by a plugin's Backend methods are dn::Error; they cross into the core,
// which catches them in the C ABI layer (the type is matched by name, as the C++ ABI does for
// classes with hidden visibility, and dn::Error also derives from std::runtime_error).
#pragma once

#include <cstddef>
#include <cstdint>

#include "deltanet/deltanet.h"

namespace dn {
class Backend;
}

// Bump whenever backends/backend.h (or anything its classes hold) changes in a way that changes
// the layout of a virtual table or an argument struct. The core also passes its version string,
// and a plugin accepts only its own: plugins and core are installed together.
#define DN_BACKEND_PLUGIN_INTERFACE 9u

#define DN_BACKEND_PLUGIN_ENTRY "dn_backend_plugin_open"

extern "C" {
// Opens device `device_index` of the plugin's kind. `message` (capacity bytes, NUL-terminated on
// return) explains a failure: no such device, no driver, interface mismatch.
typedef dn_status (*dn_backend_plugin_open_fn)(uint32_t interface_version, const char *library_version,
                                                int device_index, dn::Backend **out_backend, char *message,
                                                size_t capacity);
}
