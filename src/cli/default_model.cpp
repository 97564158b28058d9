#include "cli/default_model.h"

#include <filesystem>
#include <system_error>
#include <vector>

#include "core/error.h"

namespace dn::cli {

namespace fs = std::filesystem;

std::string default_model_dir() {
    constexpr const char *kName = "kjv-deltanet-6m";
    std::vector<fs::path> candidates;
    std::error_code error;
    const fs::path exe = fs::read_symlink("/proc/self/exe", error);
    // Installed: <prefix>/bin/deltanet and <prefix>/share/deltanet/models/<name>.
    if (!error) candidates.push_back(exe.parent_path().parent_path() / DN_INSTALL_DATADIR / "deltanet/models" / kName);
    // Built and run from a source checkout.
    candidates.push_back(fs::path(DN_SOURCE_DIR) / "models" / kName);
    std::string tried;
    for (const fs::path &dir : candidates) {
        if (fs::is_regular_file(dir / "config.json", error)) return dir.string();
        tried += (tried.empty() ? "" : ", ") + dir.string();
    }
    fail(DN_ERR_IO, "the default model ", kName, " is not installed (looked in ", tried, "); give a model directory");
}

}  // namespace dn::cli
