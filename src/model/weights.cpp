#include "model/weights.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "core/json_release.h"

namespace dn {

namespace fs = std::filesystem;

CheckpointFiles::CheckpointFiles(const std::string &directory) {
    const fs::path dir(directory);
    const fs::path index_path = dir / "model.safetensors.index.json";
    std::vector<std::string> names;
    if (fs::exists(index_path)) {
        const std::string text = read_text_file(index_path.string());
        nlohmann::json index = parse_json_bounded(text.data(), text.data() + text.size(), index_path.string());
        const JsonRelease release(index);
        if (index.is_discarded() || !index.is_object() || !index.contains("weight_map") ||
            !index["weight_map"].is_object())
            fail(DN_ERR_MALFORMED_FILE, index_path.string(), ": not a safetensors index (no weight_map object)");
        std::set<std::string> shards;
        for (const auto &entry : index["weight_map"].items()) {
            if (!entry.value().is_string())
                fail(DN_ERR_MALFORMED_FILE, index_path.string(), ": weight_map entry '", entry.key(),
                     "' is not a file name");
            const std::string shard = entry.value().get<std::string>();
            if (shard.empty() || shard.find('/') != std::string::npos || shard == "." || shard == "..")
                fail(DN_ERR_MALFORMED_FILE, index_path.string(), ": shard name '", shard, "' is not a plain file name");
            shards.insert(shard);
        }
        if (shards.empty()) fail(DN_ERR_MALFORMED_FILE, index_path.string(), ": weight_map is empty");
        names.assign(shards.begin(), shards.end());
    } else {
        names.push_back("model.safetensors");
        if (!fs::exists(dir / names[0]))
            fail(DN_ERR_IO, "no model.safetensors or model.safetensors.index.json in ", directory);
    }
    for (const std::string &name : names) {
        files_.push_back(std::make_unique<SafetensorsFile>((dir / name).string()));
        for (const auto &[tensor_name, view] : files_.back()->tensors()) {
            if (!index_.emplace(tensor_name, &view).second)
                fail(DN_ERR_MALFORMED_FILE, directory, ": tensor '", tensor_name, "' appears in two shards");
        }
    }
}

const TensorView *CheckpointFiles::find(const std::string &name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : it->second;
}

}  // namespace dn
