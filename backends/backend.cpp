#include "backends/backend.h"

#include <dlfcn.h>

#include <cctype>
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/plugin.h"
#include "core/error.h"
#include "deltanet/version.h"

namespace dn {

namespace {

// Where plugins are looked for, in order: $DN_BACKEND_DIR, then deltanet/backends beside the
// library that holds this code (<libdir>/deltanet/backends once installed; the build tree mirrors it).
std::vector<std::string> plugin_directories() {
    std::vector<std::string> dirs;
    if (const char *env = std::getenv("DN_BACKEND_DIR"); env && *env) dirs.emplace_back(env);
    Dl_info info{};
    if (dladdr(reinterpret_cast<void *>(&plugin_directories), &info) && info.dli_fname) {
        std::string self = info.dli_fname;
        const auto slash = self.rfind('/');
        dirs.push_back((slash == std::string::npos ? std::string(".") : self.substr(0, slash)) + "/deltanet/backends");
    }
    return dirs;
}

// Loads libdeltanet-<kind>.so (once; it stays loaded) and returns its entry point.
dn_backend_plugin_open_fn plugin_entry(const std::string &kind) {
    static std::map<std::string, dn_backend_plugin_open_fn> loaded;  // guarded by registry_mutex
    if (auto it = loaded.find(kind); it != loaded.end()) return it->second;
    const std::string file = "libdeltanet-" + kind + ".so";
    std::string tried;
    for (const std::string &dir : plugin_directories()) {
        const std::string path = dir + "/" + file;
        void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            const char *why = dlerror();
            tried += cat("\n  ", path, ": ", why ? why : "cannot be opened");
            continue;
        }
        auto entry = reinterpret_cast<dn_backend_plugin_open_fn>(dlsym(handle, DN_BACKEND_PLUGIN_ENTRY));
        if (!entry) {
            dlclose(handle);
            fail(DN_ERR_DEVICE, path, " is not a libdeltanet backend plugin (no ", DN_BACKEND_PLUGIN_ENTRY, ")");
        }
        loaded.emplace(kind, entry);
        return entry;
    }
    fail(DN_ERR_UNSUPPORTED, "this installation of libdeltanet has no ", kind, " backend: ", file,
         " could not be loaded (set DN_BACKEND_DIR to the folder that holds it)", tried);
}

std::mutex registry_mutex;

}  // namespace

Backend &backend_for_device(const std::string &device) {
    if (device == "cpu") return cpu_backend();
    const auto colon = device.find(':');
    const std::string kind = device.substr(0, colon);
    bool index_ok = colon != std::string::npos && colon + 1 < device.size() && device.size() - colon <= 5;
    for (size_t i = colon + 1; index_ok && i < device.size(); ++i)
        index_ok = std::isdigit(static_cast<unsigned char>(device[i]));
    if (!(kind == "cuda" || kind == "hip") || !index_ok)
        fail(DN_ERR_INVALID_ARGUMENT, "device '", device, "' is not one of: cpu, cuda:N, hip:N");
    const int index = std::atoi(device.c_str() + colon + 1);

    std::lock_guard lock(registry_mutex);
    static std::map<std::string, Backend *> opened;
    const std::string key = kind + ":" + std::to_string(index);  // "cuda:00" is "cuda:0"
    if (auto it = opened.find(key); it != opened.end()) return *it->second;
    dn_backend_plugin_open_fn open = plugin_entry(kind);
    Backend *backend = nullptr;
    char message[512] = {};
    const dn_status status =
        open(DN_BACKEND_PLUGIN_INTERFACE, DN_VERSION_STRING, index, &backend, message, sizeof message);
    if (status != DN_OK || !backend)
        fail(status != DN_OK ? status : DN_ERR_INTERNAL, "device '", device, "': ", message);
    opened.emplace(key, backend);
    return *backend;
}

}  // namespace dn
